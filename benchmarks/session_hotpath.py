"""The per-message cost of a session, without I/O: ``python benchmarks/session_hotpath.py``.

200k ``SessionTransport.write`` + ``messages_received`` pairs through a real
Session (its receiver takes every frame at once), best of 5, in CPU time
(the machine may be shared: wall time would measure the neighbours).  This
is where the metrics' counters sit (an integer add per message and
direction for messages and for bytes); compare a branch with main by running
this with each on PYTHONPATH, alternately.
"""

import sys
import time

from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock

from txsockjs.factory import SockJSFactory
from txsockjs.handshake import Handshake
from txsockjs.protocol.session import Session
from txsockjs.server.sessiontransport import SessionTransport

PAIRS = 200000


class Sink(Protocol):
    def dataReceived(self, data):
        pass


class Receiver(object):
    def send_frame(self, frame):
        return True

    def finish(self):
        pass


def measure():
    clock = MemoryReactorClock()
    site = SockJSFactory(Factory.forProtocol(Sink), reactor=clock)
    handshake = Handshake(transport="websocket", method="GET", path="/", query={}, headers={},
                          cookies={}, origin=None, peer=None, client_ip="127.0.0.1",
                          secure=False, session_id="abcdefghij")
    transport = SessionTransport(Sink(), handshake, None, site.services[""])
    # No flusher: each write leaves at once, so nothing piles up between rounds.
    session = Session("abcdefghij", clock, 25.0, 5.0, transport)
    session.attach(Receiver())
    write, received = transport.write, transport.messages_received
    payload, batch = b"x" * 20, ["y" * 20]
    best = None
    for _ in range(5):
        start = time.process_time()
        for _ in range(PAIRS):
            write(payload)
            received(batch)
        spent = time.process_time() - start
        best = spent if best is None else min(best, spent)
    return best


if __name__ == "__main__":
    best = measure()
    print("%s: %d write + messages_received pairs, best of 5: %.3f s CPU (%.0f ns a pair)"
          % (sys.argv[1] if len(sys.argv) > 1 else "session", PAIRS, best, best / PAIRS * 1e9))
