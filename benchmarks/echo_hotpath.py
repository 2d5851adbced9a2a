"""The per-message cost of a websocket echo through the whole server, without
I/O: ``python benchmarks/echo_hotpath.py``.

A SockJSFactory wrapping an echo protocol, one connection on an in-memory
transport (twisted.internet.testing.StringTransport), upgraded to a SockJS
websocket; then 200k masked text frames of ``["01234567890123456"]`` (20 B)
are fed to it one read each, and every echoed frame is written.  Best of 5,
in CPU time (the machine may be shared).  What is measured is txsockjs's own
code between the read and the write: frame parsing, the session, the
application transport, the flush and the framing; the reactor and the
socket are not in it (the e2e benchmark's bare-Twisted floor measures
those).  Compare a branch with main by running this with each on
PYTHONPATH, alternately.
"""

import os
import time

from twisted.internet.address import IPv4Address
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import MemoryReactorClock, StringTransport

from txsockjs.factory import SockJSFactory

MESSAGES = int(os.environ.get("ECHO_HOTPATH_MESSAGES", "200000"))
HANDSHAKE = (b"GET /000/abc/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             b"Sec-WebSocket-Version: 13\r\n\r\n")


class Echo(Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class CountingTransport(StringTransport):
    """Counts writes instead of keeping them."""

    writes = 0

    def write(self, data):
        self.writes += 1


def client_frame(payload, mask=b"\x01\x02\x03\x04"):
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def echo_connection(transport):
    """A server connection on ``transport``, upgraded to a SockJS websocket."""
    factory = SockJSFactory(Factory.forProtocol(Echo), reactor=MemoryReactorClock())
    protocol = factory.buildProtocol(None)
    protocol.makeConnection(transport)
    protocol.dataReceived(HANDSHAKE)
    return protocol


def measure():
    transport = CountingTransport(hostAddress=IPv4Address("TCP", "127.0.0.1", 80),
                                  peerAddress=IPv4Address("TCP", "127.0.0.1", 5555))
    protocol = echo_connection(transport)
    frame = client_frame(b'["01234567890123456"]')
    best = None
    for _ in range(5):
        before = transport.writes
        started = time.process_time()
        for _ in range(MESSAGES):
            protocol.dataReceived(frame)
        spent = time.process_time() - started
        # Every message was echoed, in its own write.
        assert transport.writes - before == MESSAGES, transport.writes - before
        best = spent if best is None else min(best, spent)
    return best


if __name__ == "__main__":
    best = measure()
    print("websocket echo: %d messages, best of 5: %.3f s CPU (%.0f ns a message)"
          % (MESSAGES, best, best / MESSAGES * 1e9))
