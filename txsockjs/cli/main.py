"""``python -m txsockjs demo | conformance | serve | info``.

A mistake on the command line (a bad value, a port already in use, a missing
file) is one line on stderr and exit status 2, never a traceback.
"""

import argparse
import sys
from typing import TYPE_CHECKING, Any, List, NoReturn, Optional, Sequence, Tuple, Union

from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Factory
from twisted.logger import (
    FilteringLogObserver, Logger, LogLevel, LogLevelFilterPredicate, globalLogBeginner,
    textFileLogObserver,
)

from txsockjs.factory import SockJSMultiFactory
from txsockjs.interfaces import SockJSOptions
from txsockjs.options import DEFAULT_SOCKJS_URL, OptionError
from txsockjs.cli.optiontext import flag_error
from txsockjs.demo.sampleapps import (
    BinaryEchoProtocol, BroadcastFactory, CloseProtocol, EchoProtocol,
)

if TYPE_CHECKING:
    from txsockjs.web import SockJSSite

log = Logger(namespace="txsockjs.cli")


def conformance_services(args: argparse.Namespace) -> List[Tuple[str, Factory, SockJSOptions]]:
    """(prefix, factory, options): the four services the official SockJS
    protocol suite needs, plus broadcast, and for the raw /websocket (Autobahn|Testsuite)
    a binary echo and a compressed binary echo."""
    base: SockJSOptions = {"streaming_limit": args.streaming_limit, "sockjs_url": args.sockjs_url,
            "heartbeat": args.heartbeat, "timeout": args.timeout,
            "max_message_size": args.max_message_size}
    compression = getattr(args, "compression", False)
    if compression is not False:
        base["compression"] = compression
    return [
        ("echo", Factory.forProtocol(EchoProtocol), base),
        ("close", Factory.forProtocol(CloseProtocol), base),
        ("disabled_websocket_echo", Factory.forProtocol(EchoProtocol), {**base, "websocket": False}),
        ("cookie_needed_echo", Factory.forProtocol(EchoProtocol), {**base, "cookie_needed": True}),
        ("broadcast", BroadcastFactory(), base),
        ("binary_echo", Factory.forProtocol(BinaryEchoProtocol), base),
        ("compressed_echo", Factory.forProtocol(BinaryEchoProtocol),
         {**base, "compression": compression or True}),
    ]


def conformance_site(args: argparse.Namespace) -> "Union[SockJSMultiFactory, SockJSSite]":
    """The conformance services on our own HTTP channel, or (``--front
    web``) as SockJSResources in a twisted.web Site."""
    if getattr(args, "front", "own") == "web":
        from txsockjs.web import SockJSResource, SockJSSite
        from twisted.web.resource import Resource
        root = Resource()
        for prefix, factory, options in conformance_services(args):
            # (Any: without a plugin mypy cannot see that a Resource provides IResource)
            resource: Any = SockJSResource(factory, options)
            root.putChild(prefix.encode("ascii"), resource)
        return SockJSSite(root)
    site = SockJSMultiFactory()
    for prefix, factory, options in conformance_services(args):
        site.addFactory(factory, prefix, options)
    return site


PROG = "python -m txsockjs"


class CommandLineError(Exception):
    """What the user asked for cannot be done; the message is the one line shown."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of printing its usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise CommandLineError("%s: %s (see --help)" % (self.prog, message))


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a port number: %r" % (text,))
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("port %d is not in 0-65535" % (port,))
    return port


def compression_flag(text: str) -> Any:
    """--compression as the ``compression`` option reads it as text."""
    from txsockjs.cli.optiontext import option_from_text
    try:
        return option_from_text("compression", text)[1]
    except OptionError as error:
        raise argparse.ArgumentTypeError(error.problem)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog=PROG)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="a chat page with /echo and /chat services")
    demo.set_defaults(run=run_demo)
    demo.add_argument("--port", type=port_number, default=8080,
                      help="port to listen on (default 8080)")
    demo.add_argument("--sockjs-client", metavar="FILE",
                      help="serve this copy of sockjs.min.js at /sockjs.min.js and use it")

    conformance = commands.add_parser(
        "conformance", help="the services the official SockJS protocol suite tests")
    conformance.set_defaults(run=run_conformance)
    conformance.add_argument("--port", type=port_number, default=8081,
                             help="port to listen on (default 8081)")
    conformance.add_argument("--streaming-limit", type=int, default=4096,
                             help="bytes a streaming response carries (default 4096, as the "
                                  "suite expects)")
    conformance.add_argument("--heartbeat", type=float, default=25.0,
                             help="seconds between heartbeats (default 25)")
    conformance.add_argument("--timeout", type=float, default=5.0,
                             help="seconds a session lives with no receiver (default 5)")
    conformance.add_argument("--front", choices=("own", "web"), default="own",
                             help="own: our HTTP channel (default); web: SockJSResources in a "
                                  "twisted.web Site")
    conformance.add_argument("--max-message-size", type=int, default=32 << 20,
                             help="bytes (default 32 MiB: Autobahn|Testsuite sends 16 MiB messages)")
    conformance.add_argument("--compression", type=compression_flag, default=False,
                             help="permessage-deflate for every service: off (default), on, or a "
                                  "JSON object of settings (compressed_echo always has it)")
    conformance.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                             help="serve HTTPS and WSS with this PEM certificate and private "
                                  "key (needs twisted[tls])")

    demo.add_argument("--grace", type=float, default=10.0,
                      help="seconds sessions get to close on SIGTERM/SIGINT (default 10)")
    conformance.add_argument("--grace", type=float, default=2.0,
                             help="seconds sessions get to close on SIGTERM/SIGINT (default 2)")
    for sub in (demo, conformance):
        sub.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default 127.0.0.1)")
        sub.add_argument("--log-level", default="info",
                         choices=("debug", "info", "warn", "error", "critical"),
                         help="the least important log events shown (default info; debug shows "
                              "every session opening and closing)")
        sub.add_argument("--sockjs-url", default=DEFAULT_SOCKJS_URL,
                         help="the SockJS client script that pages load")

    commands.add_parser("serve", add_help=False,
                        help="serve a factory (--factory) or bridge to a TCP service (--proxy); "
                             "see serve --help")

    info = commands.add_parser(
        "info", help="versions, the kernel path in use and why, optional extras present, "
                     "which front doors carry every transport")
    info.set_defaults(run=run_info)
    return parser


def run_demo(args: argparse.Namespace) -> None:
    from txsockjs.demo import demo_site
    try:
        site = demo_site(args.sockjs_url, args.sockjs_client)
    except OSError as error:
        raise CommandLineError("%s demo: cannot read --sockjs-client %s: %s" % (
            PROG, args.sockjs_client, error.strerror or error))
    except ValueError as error:  # an option the service refused, e.g. --sockjs-url
        raise CommandLineError("%s demo: %s" % (PROG, as_flags(error)))
    listen_and_run(site, args)


def run_conformance(args: argparse.Namespace) -> None:
    try:
        site = conformance_site(args)
    except ValueError as error:  # an option the services refused, e.g. --heartbeat 0
        raise CommandLineError("%s conformance: %s" % (PROG, as_flags(error)))
    listen_and_run(site, args)


def as_flags(error: ValueError) -> str:
    # (the flags of these commands are named after the options they set)
    return flag_error(error) if isinstance(error, OptionError) else str(error)


def listen_and_run(site: "Union[SockJSMultiFactory, SockJSSite]", args: argparse.Namespace) -> None:
    """Listen on ``args.host``:``args.port`` and run the reactor until stopped;
    SIGTERM and SIGINT drain the sessions (``args.grace`` seconds) first."""
    tls = getattr(args, "tls", None)
    context = tls_context(args.command, *tls) if tls else None  # (a bad file: before logging)
    level = LogLevel.levelWithName(args.log_level)
    if level <= LogLevel.debug:
        from txsockjs.server.sessiontransport import log_sessions
        log_sessions(True)
    # (Any: these provide ILogObserver and ILogFilterPredicate, zope interfaces)
    to_stderr: Any = textFileLogObserver(sys.stderr)
    predicate: Any = LogLevelFilterPredicate(defaultLogLevel=level)
    observer: Any = FilteringLogObserver(to_stderr, [predicate])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)
    from twisted.internet import reactor as _reactor
    reactor: Any = _reactor  # (IReactorCore and IReactorTCP: zope interfaces)
    reactor.addSystemEventTrigger("before", "shutdown", site.drain, args.grace)
    try:
        if context is None:
            port = reactor.listenTCP(args.port, site, interface=args.host)
        else:
            port = reactor.listenSSL(args.port, site, context, interface=args.host)
    except CannotListenError as error:
        why = getattr(error.socketError, "strerror", None) or error.socketError
        raise CommandLineError("%s %s: cannot listen on %s port %d: %s" % (
            PROG, args.command, args.host, args.port, why))
    address = port.getHost()
    sys.stdout.write("txsockjs %s listening on %s://%s:%d/\n" % (
        args.command, "https" if context else "http", address.host, address.port))
    sys.stdout.flush()
    reactor.run()


def tls_context(command: str, certificate: str, key: str) -> Any:
    """The TLS context factory for ``--tls CERT KEY``."""
    for path in (certificate, key):
        try:
            open(path, "rb").close()
        except OSError as error:
            raise CommandLineError("%s %s: --tls: cannot read %s: %s" % (
                PROG, command, path, error.strerror or error))
    try:
        from twisted.internet import ssl
    except ImportError:
        raise CommandLineError("%s %s: --tls needs pyOpenSSL (pip install 'twisted[tls]')"
                               % (PROG, command))
    try:
        return ssl.DefaultOpenSSLContextFactory(key, certificate)
    except Exception:  # (pyOpenSSL's error says nothing a person can read)
        raise CommandLineError("%s %s: --tls: %s and %s are not a PEM certificate and its "
                               "private key" % (PROG, command, certificate, key))


def run_info(args: argparse.Namespace) -> None:
    from txsockjs.cli.about import describe
    sys.stdout.write(describe())


def main(argv: Optional[Sequence[str]] = None) -> Optional[int]:
    """Run one command; return the exit status (2 for a command-line error)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:
        # the same options and code as `twistd sockjs`
        from txsockjs.cli.tap import serve
        serve(argv[1:])
        return None  # (the reactor stopped: exit status 0)
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except CommandLineError as error:
        sys.stderr.write("%s\n" % (error,))
        return 2
    return 0

