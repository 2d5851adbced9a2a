"""Drive a txsockjs site in memory: StringTransport sockets, a fake clock."""

from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import ITCPTransport
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock, StringTransport
from zope.interface import implementer

from txsockjs.factory import SockJSFactory, SockJSMultiFactory


class Recorder(Protocol):
    """An application protocol that records everything that happens to it."""

    def __init__(self):
        self.received = []
        self.lost = []
        self.made = 0

    def connectionMade(self):
        self.made += 1
        self.factory.instances.append(self)
        if self.factory.on_made:
            self.factory.on_made(self)

    def dataReceived(self, data):
        self.received.append(data)
        if self.factory.echo:
            self.transport.write(data)

    def connectionLost(self, reason):
        self.lost.append(reason)


class RecorderFactory(Factory):
    protocol = Recorder

    def __init__(self, echo=True, on_made=None):
        self.instances = []
        self.echo = echo
        self.on_made = on_made


@implementer(ITCPTransport)
class TCPStringTransport(StringTransport):
    """A StringTransport that is a TCP connection: Nagle and half-close."""

    nodelay = None
    write_closed = False

    def setTcpNoDelay(self, enabled):
        self.nodelay = enabled

    def getTcpNoDelay(self):
        return self.nodelay

    def setTcpKeepAlive(self, enabled):
        pass

    def getTcpKeepAlive(self):
        return False

    def loseWriteConnection(self):
        self.write_closed = True


class Client(object):
    """One fake TCP connection to the site."""

    def __init__(self, site, port=40000, host="127.0.0.1"):
        self.transport = TCPStringTransport(
            hostAddress=IPv4Address("TCP", "127.0.0.1", 8080),
            peerAddress=IPv4Address("TCP", host, port))
        self.protocol = site.buildProtocol(self.transport.getPeer())
        self.protocol.makeConnection(self.transport)

    def send(self, data):
        self.protocol.dataReceived(data)

    def take(self):
        data = self.transport.value()
        self.transport.clear()
        return data

    def drop(self):
        from twisted.internet.error import ConnectionLost
        from twisted.python.failure import Failure
        self.protocol.connectionLost(Failure(ConnectionLost()))

    @property
    def closed(self):
        """We closed the connection, or at least our side of it."""
        return self.transport.disconnecting or self.transport.write_closed


def request(method, path, body=None, headers=(), version="1.1"):
    lines = ["%s %s HTTP/%s" % (method, path, version), "Host: test"]
    lines += ["%s: %s" % header for header in headers]
    if body is not None:
        lines.append("Content-Length: %d" % len(body))
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return data + (body or b"")


def split_response(data):
    """(status, headers dict, body bytes) of one complete response."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def make_site(options=None, echo=True, on_made=None, multi=False):
    clock = MemoryReactorClock()
    app = RecorderFactory(echo=echo, on_made=on_made)
    if multi:
        site = SockJSMultiFactory(reactor=clock)
        site.addFactory(app, "echo", options)
    else:
        site = SockJSFactory(app, options, reactor=clock)
    return site, app, clock


class FakeSessionTransport(object):
    """What a SessionTransport offers an application, recorded; ``messages``
    are the written messages as text."""

    def __init__(self, peer=None, host=None):
        self.peer, self.host = peer, host
        self.messages = []
        self.closed = None
        self.producer = None
        self.paused = False

    def write(self, data):
        assert isinstance(data, bytes)
        self.messages.append(data.decode("utf-8"))

    def close(self, code, reason):
        self.closed = (code, reason)

    def loseConnection(self):
        self.closed = (3000, "Go away!")

    def registerProducer(self, producer, streaming):
        assert streaming and self.producer is None
        self.producer = producer

    def unregisterProducer(self):
        self.producer = None

    def pauseProducing(self):
        self.paused = True

    def resumeProducing(self):
        self.paused = False

    def getPeer(self):
        return self.peer

    def getHost(self):
        return self.host


class CountingProducer(object):
    def __init__(self):
        self.calls = []

    def pauseProducing(self):
        self.calls.append("pause")

    def resumeProducing(self):
        self.calls.append("resume")

    def stopProducing(self):
        self.calls.append("stop")


def session_timers(site, clock):
    """The delayed calls still pending, but for the site's one request-deadline timer
    (which, when no connection waits any more, fires once and is not re-armed): a
    check that everything a connection or session armed is gone.  The site's
    deadline queue must be empty too."""
    assert len(site.request_deadlines) == 0
    return [call for call in clock.getDelayedCalls() if call.active()
            and getattr(call.func, "__self__", None) is not site.request_deadlines]


def allocation_peaks(call, times):
    """The peak of what each of ``times`` calls of ``call()`` allocated beyond what was
    allocated before it (tracemalloc), in bytes: a count, not a time."""
    import tracemalloc
    tracemalloc.start()
    try:
        peaks = []
        for _ in range(times):
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            call()
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
    finally:
        tracemalloc.stop()
    return peaks
