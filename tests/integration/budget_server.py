"""A server for tests/integration/test_memory_budget.py.

``python -m tests.integration.budget_server own|web MAX_BUFFERED_BYTES`` serves,
at ``/app``, an application that answers ``flood`` with 1 MiB (16 messages of
64 KiB) and echoes anything else: through our own HTTP door (a
SockJSMultiFactory) or twisted.web (a SockJSResource in a SockJSSite), with
the given memory budget (``none``: no budget) and sessions that live 10
minutes without a poll.  Prints ``listening on http://127.0.0.1:PORT/``.
"""

import sys

from twisted.internet.protocol import Factory, Protocol

CHUNK = b"x" * (64 << 10)
OPTIONS = {"timeout": 600.0, "heartbeat": 600.0}


class Flooder(Protocol):
    def dataReceived(self, data):
        if data == b"flood":
            for _ in range(16):
                self.transport.write(CHUNK)
        else:
            self.transport.write(data)


def main(front, budget):
    from twisted.internet import reactor
    max_buffered_bytes = None if budget == "none" else int(budget)
    app = Factory.forProtocol(Flooder)
    if front == "web":
        from twisted.web.resource import Resource
        from txsockjs.web import SockJSResource, SockJSSite
        root = Resource()
        root.putChild(b"app", SockJSResource(app, OPTIONS))
        site = SockJSSite(root, max_buffered_bytes=max_buffered_bytes)
    else:
        from txsockjs.factory import SockJSMultiFactory
        site = SockJSMultiFactory(max_buffered_bytes=max_buffered_bytes)
        site.addFactory(app, "app", OPTIONS)
    port = reactor.listenTCP(0, site, interface="127.0.0.1")
    sys.stdout.write("listening on http://127.0.0.1:%d/\n" % port.getHost().port)
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main(*sys.argv[1:])
