"""The floor under any Twisted SockJS server: websocket echo with nothing but
the reactor and txsockjs's compiled kernels.

No HTTP parsing (the handshake is answered once the head is complete), no
sessions, no heartbeats, no flow control, no error handling: it is not a
server anyone should run, only a measure of what Twisted itself costs per
message, so that the e2e benchmark can show how much of txsockjs's time is
txsockjs's own.  It writes as txsockjs does: straight to the socket when
Twisted holds nothing for it (txsockjs.server.httpchannel.eagerwrite), unless
TXSOCKJS_NO_EAGER_WRITE=1.  It answers /echo/<server>/<session>/websocket and
/broadcast/... with the SockJS framing the load generator checks.

    python benchmarks/e2e/servers/twisted_floor.py --port 8081
"""

import argparse
import base64
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))

from twisted.internet import reactor  # noqa: E402
from twisted.internet.protocol import Factory, Protocol  # noqa: E402

from txsockjs._speedups import (  # noqa: E402
    FrameParser, build_frame, decode_messages, encode_messages,
)
from txsockjs.server.httpchannel.eagerwrite import writer_for  # noqa: E402

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPEN = build_frame(1, b"o")
MEMBERS = set()


class FloorEcho(Protocol):
    def connectionMade(self):
        self.head = b""
        self.parser = None
        self.broadcast = False
        self.write = writer_for(self.transport)

    def dataReceived(self, data):
        if self.parser is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            head, rest = self.head[:end], self.head[end + 4:]
            key = b""
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"sec-websocket-key":
                    key = value.strip()
            accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
            self.broadcast = head.startswith(b"GET /broadcast/")
            if self.broadcast:
                MEMBERS.add(self)
            self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept
                                 + b"\r\n\r\n" + OPEN)
            self.parser = FrameParser(max_payload=1 << 20)
            data = rest
            if not data:
                return
        for fin, opcode, payload in self.parser.feed(data):
            if opcode != 1:
                self.transport.loseConnection()
                return
            frame = build_frame(1, encode_messages(decode_messages(payload)))
            if self.broadcast:
                for member in MEMBERS:
                    member.write(frame)
            else:
                self.write(frame)

    def connectionLost(self, reason):
        MEMBERS.discard(self)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    port = reactor.listenTCP(args.port, Factory.forProtocol(FloorEcho), backlog=1024,
                             interface="127.0.0.1")
    print("twisted-floor listening on http://127.0.0.1:%d" % port.getHost().port, flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
