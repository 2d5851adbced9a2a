"""The floor under any Twisted SockJS server: websocket echo, and xhr polling,
with nothing but the reactor and txsockjs's compiled kernels.

No HTTP parsing (the handshake is answered once the head is complete), no
sessions, no heartbeats, no flow control, no error handling: it is not a
server anyone should run, only a measure of what Twisted itself costs per
message, so that the e2e benchmark can show how much of txsockjs's time is
txsockjs's own.  It writes as txsockjs does: straight to the socket when
Twisted holds nothing for it (txsockjs.server.httpchannel.eagerwrite), unless
TXSOCKJS_NO_EAGER_WRITE=1.  It answers /echo/<server>/<session>/websocket and
/broadcast/... with the SockJS framing the load generator checks.

xhr polling (POST .../xhr and .../xhr_send on keep-alive connections): each
request's head is found with bytes.find, its Content-Length read, its path
split once; xhr_send queues the echo (or answers the session's held poll at
once) and gets a bare 204; xhr answers the open frame, the queued messages, or
is held.  No CORS, no cookies, no timeouts, no session expiry: the least any
server answering the load generator's xhr scenarios must do, per request.

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


# xhr sessions: id -> [queued messages, held poll's writer or None]
XHR_SESSIONS = {}
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"
XHR_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/javascript; charset=UTF-8\r\n"


def xhr_response(body):
    return XHR_HEAD + b"Content-Length: %d\r\n\r\n%s\n" % (len(body) + 1, body)


class FloorEcho(Protocol):
    def connectionMade(self):
        self.head = b""
        self.parser = None
        self.broadcast = False
        self.http = False
        self.write = writer_for(self.transport)

    def http_received(self, data):
        buf = self.head + data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            at = buf.find(b"Content-Length: ", 0, end)
            length = int(buf[at + 16:buf.index(b"\r\n", at)]) if at >= 0 else 0
            if len(buf) < end + 4 + length:
                break
            line = buf[:buf.index(b"\r\n")]
            body = buf[end + 4:end + 4 + length]
            buf = buf[end + 4 + length:]
            # POST /echo/000/<session>/<transport> HTTP/1.1
            _, sid, transport = line.split(b" ", 2)[1].rsplit(b"/", 2)
            session = XHR_SESSIONS.get(sid)
            if transport == b"xhr_send":
                messages = decode_messages(body)
                if session is None or not messages:
                    self.transport.loseConnection()
                    return
                held = session[1]
                if held is not None:
                    session[1] = None
                    held(xhr_response(encode_messages(messages)))
                else:
                    session[0].extend(messages)
                self.write(NO_CONTENT)
            elif session is None:
                XHR_SESSIONS[sid] = [[], None]
                self.write(xhr_response(b"o"))
            elif session[0]:
                queued, session[0] = session[0], []
                self.write(xhr_response(encode_messages(queued)))
            else:
                session[1] = self.write
        self.head = buf

    def dataReceived(self, data):
        if self.http or data.startswith(b"POST "):
            self.http = True
            self.http_received(data)
            return
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
        for session in XHR_SESSIONS.values():
            if session[1] == self.write:
                session[1] = None


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
