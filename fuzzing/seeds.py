"""Write the seed corpora, one directory per harness, from the test suites' own inputs.

    python fuzzing/seeds.py OUTDIR

Every bytes and str literal in tests/ (read with ast, nothing imported) goes where it
fits: request heads to the head parser and the request reader, JSON arrays to the body
decoder, all text to the encoder, all bytes, framed as a client would, to the frame
parser and the masker.  Added to them: a request of each URL form the SockJS protocol
suite sends (every transport, info, iframe, raw WebSocket, a chunked xhr_send).
"""

import ast
import hashlib
import json
import zlib
import os
import re
import sys

from txsockjs._speedups.mask_py import websocket_mask
from txsockjs._speedups.wsframes_py import build_frame

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MASK = b"\x37\xfa\x21\x3d"
HEAD = re.compile(rb"[A-Z]{3,7} \S+ HTTP/")
PER_HARNESS = 400

PROTOCOL_SUITE = [
    b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /echo/info?t=1 HTTP/1.1\r\nHost: x\r\nOrigin: http://a.b\r\n\r\n",
    b"OPTIONS /echo/info HTTP/1.1\r\nHost: x\r\nAccess-Control-Request-Headers: a\r\n\r\n",
    b"GET /echo/iframe-abc.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"e\"\r\n\r\n",
    b"POST /echo/000/s1/xhr HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"POST /echo/000/s1/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n[\"a\"]",
    b"POST /echo/000/s1/xhr_send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\n[\"a\"]\r\n0\r\n\r\n",
    b"POST /echo/000/s1/xhr_streaming HTTP/1.1\r\nHost: x\r\nCookie: JSESSIONID=a\r\n\r\n",
    b"GET /echo/000/s1/eventsource HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /echo/000/s1/htmlfile?c=%63allback HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /echo/000/s1/jsonp?c=cb HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"POST /echo/000/s1/jsonp_send HTTP/1.1\r\nHost: x\r\nContent-Type: "
    b"application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nd=%5B%22x%22%5D",
    b"GET /echo/000/s1/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n",
    b"GET /echo/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n",
]


def literals():
    found = set()
    for folder, _, files in os.walk(os.path.join(ROOT, "tests")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as source:
                    try:
                        tree = ast.parse(source.read())
                    except SyntaxError:
                        continue
                for node in ast.walk(tree):
                    if isinstance(node, ast.Constant) and isinstance(node.value, (bytes, str)):
                        found.add(node.value)
    return sorted(found, key=lambda v: (type(v).__name__, len(v), v))[:5000]


def client_frame(opcode, payload):
    """The masked frame a client sends: the server's frame plus the mask bit and key."""
    plain = build_frame(opcode, payload)
    cut = len(plain) - len(payload)
    return (plain[:1] + bytes((plain[1] | 0x80,)) + plain[2:cut] + MASK
            + websocket_mask(MASK, payload))


def seeds():
    out = {name: [] for name in ("wsframes", "mask", "sockjs_decode", "sockjs_encode",
                                 "httphead", "request_reader", "websocket_stream",
                                 "wsextensions", "wshandshake", "response")}
    texts = [v for v in literals() if isinstance(v, str)]
    blobs = [v for v in literals() if isinstance(v, bytes)]
    for text in texts:
        raw = text.encode("utf-8", "surrogatepass")
        out["sockjs_encode"].append(b"\x01" + raw)
        out["sockjs_encode"].append(b"\x00" + text.encode("utf-16-le", "surrogatepass"))
        if text.lstrip().startswith("["):
            out["sockjs_decode"].append(raw)
        out["sockjs_decode"].append(json.dumps([text]).encode())
        out["wsframes"].append(b"\xc0\x00\x01" + client_frame(1, raw[:4000]))
        # a message whole, the same in two fragments with a ping between, then a close
        cut = len(raw) // 2
        out["websocket_stream"].append(
            b"\x05\x00" + client_frame(1, raw[:4000]) + client_frame(1, raw[:cut])[:1]
            .replace(b"\x81", b"\x01") + client_frame(1, raw[:cut])[1:]
            + client_frame(9, b"p") + client_frame(0, raw[cut:]) + client_frame(8, b"\x03\xe8bye"))
        out["websocket_stream"].append(b"\xc5\x01\x00" + raw + b"\xff\xff\x00")
        if HEAD.match(raw):
            out["request_reader"].append(b"\x0b\x00" + raw.replace(b"\n", b"\r\n"))
    for blob in blobs:
        if HEAD.match(blob):
            out["httphead"].append(b"\x3f" + blob.split(b"\r\n\r\n")[0])
            out["request_reader"].append(b"\x0b\x01" + blob)
        if blob.lstrip().startswith(b"["):
            out["sockjs_decode"].append(blob)
        out["mask"].append(b"\x80" + MASK + blob)
        out["wsframes"].append(b"\xc2\x00\x02" + blob)  # as it is: maybe a frame already
        out["wsframes"].append(b"\xc0\x01\x00" + client_frame(2, blob[:70000])
                               + client_frame(9, blob[:125]))
    # The offers of Chrome, Firefox and Autobahn, each with a compressed message after it.
    for offer in (b"permessage-deflate; client_max_window_bits", b"permessage-deflate",
                  b"permessage-deflate; server_max_window_bits=10; client_no_context_takeover, "
                  b"permessage-deflate; client_max_window_bits=9"):
        for text in texts[:50]:
            packed = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = packed.compress(text.encode("utf-8", "surrogatepass")) + packed.flush(zlib.Z_SYNC_FLUSH)
            out["wsextensions"].append(bytes([0x05, len(offer) - 1]) + offer + body[:-4])
    # Handshakes: a valid one, then each value replaced by a literal of the tests.
    valid = [b"websocket", b"Upgrade", b"13", b"dGhlIHNhbXBsZSBub25jZQ=="]
    for index, blob in enumerate(blobs[:400]):
        fields = list(valid)
        fields[index % 4] = blob[:200].replace(b"\x00", b"")
        out["wshandshake"].append(bytes([index % 16]) + b"\x00".join(fields))
    # Responses: each kind of request and answer, a few headers, a literal of the tests as
    # the header values and body.
    for index, blob in enumerate(blobs[:400]):
        out["response"].append(bytes([index % 256, 0, (index * 37) % 256])
                               + blob[:300].replace(b"\x00", b"") + b"\x00" + blob[:2000])
    for request in PROTOCOL_SUITE:
        out["request_reader"].append(b"\x0b\x02" + request + request)
        out["httphead"].append(b"\x3f" + request.split(b"\r\n\r\n")[0])
    return out


def main(target):
    for name, items in seeds().items():
        folder = os.path.join(target, name)
        os.makedirs(folder, exist_ok=True)
        # Spread over the lengths (the literals come sorted by length), not the shortest.
        chosen = {hashlib.sha1(item).hexdigest(): item
                  for item in items[::max(1, len(items) // PER_HARNESS)][:PER_HARNESS]}
        for digest, item in chosen.items():
            with open(os.path.join(folder, digest), "wb") as out:
                out.write(item)
        print("%s: %d seeds" % (name, len(chosen)), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
