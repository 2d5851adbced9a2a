"""``python -m txsockjs demo``, ``conformance`` and ``serve``."""

import argparse
import sys

from twisted.internet.protocol import Factory, Protocol
from twisted.logger import Logger, globalLogBeginner, textFileLogObserver

from txsockjs.factory import SockJSMultiFactory
from txsockjs.options import DEFAULT_SOCKJS_URL

log = Logger()


class EchoProtocol(Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class CloseProtocol(Protocol):
    def connectionMade(self):
        self.transport.loseConnection()


class BroadcastProtocol(Protocol):
    """Each message goes to every connected session of the service."""

    def connectionMade(self):
        self.factory.members.add(self)

    def dataReceived(self, data):
        from txsockjs.utils import broadcast
        broadcast(data, [member.transport for member in self.factory.members])

    def connectionLost(self, reason):
        self.factory.members.discard(self)


class BroadcastFactory(Factory):
    protocol = BroadcastProtocol

    def __init__(self):
        self.members = set()


def conformance_site(args):
    """The four services the official SockJS protocol suite needs, plus broadcast."""
    base = {"streaming_limit": args.streaming_limit, "sockjs_url": args.sockjs_url,
            "heartbeat": args.heartbeat, "timeout": args.timeout,
            "max_message_size": args.max_message_size}
    site = SockJSMultiFactory()
    site.addFactory(Factory.forProtocol(EchoProtocol), "echo", base)
    site.addFactory(Factory.forProtocol(CloseProtocol), "close", base)
    site.addFactory(Factory.forProtocol(EchoProtocol), "disabled_websocket_echo",
                    dict(base, websocket=False))
    site.addFactory(Factory.forProtocol(EchoProtocol), "cookie_needed_echo",
                    dict(base, cookie_needed=True))
    site.addFactory(BroadcastFactory(), "broadcast", base)
    return site


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:
        # the same options and code as `twistd sockjs`
        from txsockjs.tap import serve
        return serve(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m txsockjs")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", add_help=False,
                        help="serve a factory (--factory) or bridge to a TCP service (--proxy); "
                             "see serve --help")
    demo = commands.add_parser("demo", help="a chat page with /echo and /chat services")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument("--sockjs-client", metavar="FILE",
                      help="serve this copy of sockjs.min.js at /sockjs.min.js and use it")
    conformance = commands.add_parser(
        "conformance", help="the services the official SockJS protocol suite tests")
    conformance.add_argument("--port", type=int, default=8081)
    conformance.add_argument("--streaming-limit", type=int, default=4096)
    conformance.add_argument("--heartbeat", type=float, default=25.0)
    conformance.add_argument("--timeout", type=float, default=5.0)
    conformance.add_argument("--max-message-size", type=int, default=32 << 20,
                             help="bytes (default 32 MiB: Autobahn|Testsuite sends 16 MiB messages)")
    for sub in (demo, conformance):
        sub.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default 127.0.0.1)")
        sub.add_argument("--sockjs-url", default=DEFAULT_SOCKJS_URL,
                         help="the SockJS client script that pages load")
    args = parser.parse_args(argv)

    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    from twisted.internet import reactor
    if args.command == "demo":
        from txsockjs.demo import demo_site
        site = demo_site(args.sockjs_url, args.sockjs_client)
    else:
        site = conformance_site(args)
    port = reactor.listenTCP(args.port, site, interface=args.host)
    address = port.getHost()
    sys.stdout.write("txsockjs %s listening on http://%s:%d/\n" % (args.command, address.host, address.port))
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main()
