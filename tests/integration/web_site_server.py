"""A twisted.web Site as a user would build it around SockJSResources, for
tests/integration/test_web_site.py and the e2e tests:

    python -m tests.integration.web_site_server STATIC_DIR [CERT KEY]

One SockJSSite, its root a ``File(STATIC_DIR)``, listening on 127.0.0.1 port 0
over HTTP (and over TLS with CERT and KEY), with beside the static files:

* ``/echo``: SockJS echo with the default options;
* ``/guarded``: ``authorize`` reads the query's ``token`` (``user-NAME`` gives the
  principal "user:NAME", anything else is refused) and ``allowed_origins`` is
  https://example.com; each message is answered with the session's principal,
  origin, transport and ``secure`` as JSON;
* ``/flood``: ``send_buffer_limit`` 256 KiB; the message ``flood`` makes the
  application write 64 KiB messages as fast as the reactor lets it, without
  a producer, until its session is gone (at most 512 MiB);
* ``/deep/er/echo``: SockJS echo two resources down;
* ``/hello``: another resource (``Data``), not SockJS.

Prints ``listening on http://127.0.0.1:PORT/`` (and ``tls on https://...``),
then ``FLOOD lost after N bytes`` when a flood's session ends.  SIGTERM
drains the sessions (``SockJSSite.drain``, 2 s) before the process exits.
"""

import json
import sys

from twisted.internet import reactor, ssl
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import globalLogBeginner, textFileLogObserver
from twisted.web.resource import Resource
from twisted.web.static import Data, File

from txsockjs.web import SockJSResource, SockJSSite

FLOOD_CHUNK = b"x" * 65536
FLOOD_CAP = 512 << 20


class Echo(Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Who(Protocol):
    def dataReceived(self, data):
        handshake = self.transport.handshake
        self.transport.write(json.dumps({
            "principal": handshake.principal, "origin": handshake.origin,
            "transport": handshake.transport, "secure": handshake.secure,
        }).encode("utf-8"))


def authorize(handshake):
    token = handshake.query.get("token", ("",))[0]
    if token.startswith("user-"):
        return "user:" + token[len("user-"):]
    return False


class Flood(Protocol):
    """Writes without a producer: only the session's send limit can stop it."""

    written = 0
    gone = False

    def dataReceived(self, data):
        if data == b"flood" and not self.written:
            self._more()

    def _more(self):
        if self.gone or self.written >= FLOOD_CAP:
            return
        for _ in range(4):
            self.transport.write(FLOOD_CHUNK)
            self.written += len(FLOOD_CHUNK)
        reactor.callLater(0, self._more)

    def connectionLost(self, reason):
        self.gone = True
        if self.written:
            print("FLOOD lost after %d bytes" % (self.written,), flush=True)


def build_site(static_dir):
    root = File(static_dir)
    root.putChild(b"echo", SockJSResource(Factory.forProtocol(Echo)))
    root.putChild(b"guarded", SockJSResource(Factory.forProtocol(Who), {
        "authorize": authorize, "allowed_origins": ["https://example.com"]}))
    root.putChild(b"flood", SockJSResource(Factory.forProtocol(Flood),
                                           {"send_buffer_limit": 256 << 10}))
    deeper = Resource()
    deeper.putChild(b"echo", SockJSResource(Factory.forProtocol(Echo)))
    deep = Resource()
    deep.putChild(b"er", deeper)
    root.putChild(b"deep", deep)
    root.putChild(b"hello", Data(b"hello from another resource\n", "text/plain"))
    return SockJSSite(root)


class FreshContexts(ssl.ContextFactory):
    """A new TLS context for every connection: Twisted 22.10 sets ALPN on the
    context of each connection a Site takes, which current pyOpenSSL refuses
    on a context that was used already."""

    def __init__(self, key, certificate):
        self.key = key
        self.certificate = certificate

    def getContext(self):
        from OpenSSL import SSL
        context = SSL.Context(SSL.TLS_SERVER_METHOD)
        context.use_certificate_file(self.certificate)
        context.use_privatekey_file(self.key)
        return context


def main(argv):
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    site = build_site(argv[0])
    reactor.addSystemEventTrigger("before", "shutdown", site.drain, 2.0)
    port = reactor.listenTCP(0, site, interface="127.0.0.1")
    print("listening on http://127.0.0.1:%d/" % port.getHost().port, flush=True)
    if len(argv) == 3:
        context = FreshContexts(argv[2], argv[1])
        tls = reactor.listenSSL(0, site, context, interface="127.0.0.1")
        print("tls on https://127.0.0.1:%d/" % tls.getHost().port, flush=True)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])
