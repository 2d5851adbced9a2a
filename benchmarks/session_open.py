"""What a WebSocket session costs to open, and to keep while idle, without I/O:
``python benchmarks/session_open.py``.

A SockJSFactory wrapping an application that does nothing; N connections on
in-memory transports (writes counted, not kept) each get the SockJS websocket
handshake in one read, which opens a session (handshake object, registry,
broker attachment, counters, the WebSocket connection and its bridge, the
Session and the application's SessionTransport, its heartbeat timer on the
real reactor, which is never run: its timer heap is what production pays;
MemoryReactorClock sorts its list on every callLater).
Reported: CPU microseconds an open (best of 5 rounds, CPU time: the machine
may be shared), and bytes each idle session keeps (tracemalloc, after a
collection, less what the bare in-memory transports hold).  Neither the
reactor nor the socket is in it: the e2e benchmark's idle-10k scenario
measures a whole process.  Compare a branch with main by running this with
each on PYTHONPATH, alternately.
"""

import gc
import os
import sys
import time
import tracemalloc

from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Factory, Protocol
from twisted.internet import reactor
from twisted.internet.testing import StringTransport

from txsockjs.factory import SockJSFactory

SESSIONS = int(os.environ.get("SESSION_OPEN_COUNT", "5000"))
HANDSHAKE = (b"GET /000/%08d/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             b"Sec-WebSocket-Version: 13\r\n\r\n")
HOST = IPv4Address("TCP", "127.0.0.1", 80)
PEER = IPv4Address("TCP", "127.0.0.1", 5555)


class Idle(Protocol):
    pass


class CountingTransport(StringTransport):
    """Counts writes instead of keeping them."""

    writes = 0

    def write(self, data):
        self.writes += 1

    def writeSequence(self, data):
        self.writes += 1


def transports(n):
    return [CountingTransport(hostAddress=HOST, peerAddress=PEER) for _ in range(n)]


def open_sessions(factory, ts, offset=0):
    protocols = []
    for i, t in enumerate(ts):
        p = factory.buildProtocol(PEER)
        p.makeConnection(t)
        p.dataReceived(HANDSHAKE % (offset + i))
        protocols.append(p)
    return protocols


def check(ts, factory):
    # Every connection got its 101 and the open frame; the registry holds them all.
    assert all(t.writes >= 1 and not t.disconnecting for t in ts)
    live = factory.services[""].registry.live
    assert len(live) >= len(ts), len(live)


def open_cost(n):
    best = None
    for rnd in range(5):
        factory = SockJSFactory(Factory.forProtocol(Idle), reactor=reactor)
        ts = transports(n)
        gc.collect()
        started = time.process_time()
        open_sessions(factory, ts, rnd * n)
        spent = time.process_time() - started
        check(ts, factory)
        best = spent if best is None else min(best, spent)
    return best / n


def idle_bytes(n):
    factory = SockJSFactory(Factory.forProtocol(Idle), reactor=reactor)
    open_sessions(factory, transports(10))  # lazy module-level state, first-use caches
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    ts = transports(n)
    gc.collect()
    bare = tracemalloc.get_traced_memory()[0] - base
    keep = open_sessions(factory, ts, 10)
    gc.collect()
    total = tracemalloc.get_traced_memory()[0] - base - bare
    tracemalloc.stop()
    check(ts, factory)
    del keep
    return total / n


if __name__ == "__main__":
    cost = open_cost(SESSIONS)
    size = idle_bytes(SESSIONS)
    print("%s: websocket session open %.1f us CPU (best of 5 x %d); idle session %.0f B (%.2f KiB)"
          % (sys.argv[1] if len(sys.argv) > 1 else "session", cost * 1e6, SESSIONS, size,
             size / 1024.0))
