"""A SockJS server whose applications use flow control, for tests/integration/test_flow.py:

    python -m tests.integration.flow_server [--front own|web]

Prints ``listening on http://127.0.0.1:PORT/``.  Services (heartbeat 5 s, disconnect
delay 3 s):

* ``/holder``: echoes; ``pause-then-close`` makes the application hold client messages
  (``transport.pauseProducing()``) and close the session 0.3 s later, still holding;
* ``/producer``: registers itself as a push producer; ``go N`` writes N numbered
  messages of 16 KiB (``"<n>:xxxx..."``), only while it is not paused; prints
  ``PRODUCER paused`` when it is paused.  Its streaming limit is 64 MiB: one streaming
  response carries everything, so only the socket can pause it;
* ``/cycling``: the same application with a 128 KiB streaming limit: each streaming
  response soon ends and the client opens the next.
"""

import argparse
import sys

from twisted.internet import reactor
from twisted.internet.interfaces import IPushProducer
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import globalLogBeginner, textFileLogObserver
from zope.interface import implementer

PAD = b"x" * 16384
OPTIONS = {"heartbeat": 5.0, "timeout": 3.0}


class Holder(Protocol):
    def dataReceived(self, data):
        if data == b"pause-then-close":
            self.transport.pauseProducing()
            reactor.callLater(0.3, self.transport.loseConnection)
        else:
            self.transport.write(data)


@implementer(IPushProducer)
class Producer(Protocol):
    """Writes only while not paused: what the server buffers is its own doing."""

    def connectionMade(self):
        self.paused = self.gone = False
        self.left = self.written = 0
        self.transport.registerProducer(self, True)

    def dataReceived(self, data):
        if data.startswith(b"go "):
            self.left = int(data[3:])
            self._more()

    def _more(self):
        while self.left and not self.paused and not self.gone:
            self.left -= 1
            self.written += 1
            self.transport.write(b"%d:%s" % (self.written, PAD))

    def pauseProducing(self):
        if not self.paused:
            print("PRODUCER paused", flush=True)
        self.paused = True

    def resumeProducing(self):
        self.paused = False
        reactor.callLater(0, self._more)

    def stopProducing(self):
        self.gone = True


SERVICES = [("holder", Holder, {}), ("producer", Producer, {"streaming_limit": 64 << 20}),
            ("cycling", Producer, {"streaming_limit": 128 << 10})]


def site(front):
    if front == "web":
        from twisted.web.resource import Resource
        from txsockjs.web import SockJSResource, SockJSSite
        root = Resource()
        for name, protocol, options in SERVICES:
            root.putChild(name.encode("ascii"),
                          SockJSResource(Factory.forProtocol(protocol), {**OPTIONS, **options}))
        return SockJSSite(root)
    from txsockjs.factory import SockJSMultiFactory
    multi = SockJSMultiFactory()
    for name, protocol, options in SERVICES:
        multi.addFactory(Factory.forProtocol(protocol), name, {**OPTIONS, **options})
    return multi


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--front", choices=("own", "web"), default="own")
    args = parser.parse_args(argv)
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    port = reactor.listenTCP(0, site(args.front), interface="127.0.0.1")
    print("listening on http://127.0.0.1:%d/" % port.getHost().port, flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
