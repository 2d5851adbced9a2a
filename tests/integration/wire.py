"""A tiny standard-library client for the integration tests.

Raw sockets so that every byte on the wire is under the test's control:

* :class:`Conn` - a socket plus a receive buffer with deadline-bounded reads;
* :func:`build_request`, :func:`request` - one HTTP/1.x request, one response
  (Content-Length, chunked or close-delimited bodies);
* :class:`Stream` - a streaming response read chunk by chunk or up to a
  delimiter, each read bounded by a timeout;
* :class:`WebSocket` - a minimal RFC 6455 client (masking, fragments, control
  frames, close codes) and :class:`Hixie76` for the old draft-76 handshake.

Nothing here knows SockJS beyond small conveniences at the bottom.
"""

import base64
import hashlib
import json
import os
import random
import re
import socket
import ssl
import struct
import time

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CHECK_FRAMING = True  # every response read through Response.read_body is checked


class Closed(Exception):
    """The peer closed the connection before the expected bytes arrived."""


class TLSAddress(tuple):
    """A (host, port) that every helper here reaches over TLS with ``context``
    (an ``ssl.SSLContext``): ``request(TLSAddress("127.0.0.1", port, ctx), ...)``."""

    def __new__(cls, host, port, context):
        address = tuple.__new__(cls, (host, port))
        address.tls = context
        return address


class Conn:
    """A client TCP connection with a receive buffer and bounded reads.

    ``source``: the local address to connect from (e.g. ``"127.0.0.2"``, a
    second loopback client), any free port.  A :class:`TLSAddress` connects
    over TLS."""

    def __init__(self, addr, timeout=2.0, source=None):
        self.addr = addr
        self.timeout = timeout
        self.sock = socket.create_connection(
            addr, timeout=timeout, source_address=None if source is None else (source, 0))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        context = getattr(addr, "tls", None)
        if context is not None:
            self.sock = context.wrap_socket(self.sock, server_hostname=addr[0])
        self.buf = bytearray()
        self.eof = False
        self.reset = False

    # -- sending -----------------------------------------------------------
    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def try_send(self, data):
        """Send, but report a peer that already went away instead of raising."""
        try:
            self.send(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            return False

    # -- receiving ---------------------------------------------------------
    def _deadline(self, timeout):
        return time.monotonic() + (self.timeout if timeout is None else timeout)

    def _fill(self, deadline):
        """Receive once into the buffer. False on EOF; TimeoutError on deadline."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for data (have %r)" % bytes(self.buf[-200:]))
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            raise TimeoutError("timed out waiting for data (have %r)" % bytes(self.buf[-200:]))
        except (ConnectionResetError, ConnectionAbortedError):
            self.reset = True
            data = b""
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            data = b""  # the TLS peer went away: an end like any other
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_until(self, delim, timeout=None, limit=10 * 1024 * 1024):
        deadline = self._deadline(timeout)
        start = 0
        while True:
            at = self.buf.find(delim, start)
            if at >= 0:
                end = at + len(delim)
                out = bytes(self.buf[:end])
                del self.buf[:end]
                return out
            start = max(0, len(self.buf) - len(delim) + 1)
            if len(self.buf) > limit:
                raise AssertionError("no %r within %d bytes" % (delim, limit))
            if not self._fill(deadline):
                raise Closed("closed before %r; got %r" % (delim, bytes(self.buf[:300])))

    def read_exact(self, n, timeout=None):
        deadline = self._deadline(timeout)
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise Closed("closed after %d of %d bytes: %r" % (len(self.buf), n, bytes(self.buf[:300])))
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_some(self, timeout=None):
        """Whatever is buffered or arrives next; b'' on EOF."""
        if not self.buf:
            if not self._fill(self._deadline(timeout)):
                return b""
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def read_to_eof(self, timeout=None):
        deadline = self._deadline(timeout)
        while self._fill(deadline):
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def wait_closed(self, timeout=1.0):
        """True when the peer closes within ``timeout`` (data read meanwhile is kept)."""
        deadline = time.monotonic() + timeout
        try:
            while self._fill(deadline):
                pass
            return True
        except TimeoutError:
            return False

    def idle(self, timeout=0.3):
        """True when nothing at all arrives (and no EOF) within ``timeout``."""
        if self.buf:
            return False
        try:
            got = self._fill(time.monotonic() + timeout)
        except TimeoutError:
            return True
        return False if got or self.eof else True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Close with an RST (SO_LINGER 0), like a client that vanishes."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- HTTP --------------------------------------------------------------
    def read_head(self, timeout=None):
        raw = self.read_until(b"\r\n\r\n", timeout, limit=256 * 1024)
        return Response.parse_head(raw)

    def read_response(self, method="GET", timeout=None):
        resp = self.read_head(timeout)
        resp.read_body(self, method, timeout)
        return resp

    def request(self, method, path, headers=(), body=None, version="HTTP/1.1", timeout=None):
        self.send(build_request(method, path, headers, body, version, host=self.addr))
        return self.read_response(method, timeout)


class Response:
    def __init__(self, version, status, reason, headers, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value), original case
        self.raw_head = raw_head
        self.body = b""
        self.chunks = None  # list of chunk payloads when chunked

    @classmethod
    def parse_head(cls, raw):
        text = raw.decode("latin-1")
        assert text.endswith("\r\n\r\n"), text
        lines = text[:-4].split("\r\n")
        m = re.match(r"(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
        assert m, "bad status line %r" % lines[0]
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            assert sep and name == name.strip() and name, "bad response header line %r" % line
            headers.append((name, value.strip(" \t")))
        return cls(m.group(1), int(m.group(2)), m.group(3) or "", headers, raw)

    # header access (case-insensitive)
    def header(self, name, default=None):
        name = name.lower()
        found = [v for n, v in self.headers if n.lower() == name]
        if not found:
            return default
        assert len(found) == 1 or name == "set-cookie", "repeated header %s: %r" % (name, found)
        return found[0]

    def headers_all(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    def has(self, name):
        return self.header(name) is not None

    @property
    def content_type(self):
        value = self.header("Content-Type")
        return None if value is None else value.replace(" ", "")

    @property
    def text(self):
        return self.body.decode("utf-8")

    @property
    def chunked(self):
        te = self.header("Transfer-Encoding")
        return te is not None and te.lower() == "chunked"

    def connection_tokens(self):
        value = self.header("Connection") or ""
        return {t.strip().lower() for t in value.split(",") if t.strip()}

    def check_framing(self):
        """Spec: every response but 101/204/304 has Content-Length, chunked encoding
        or Connection: close; and RFC 9110 forbids a length on 1xx/204 responses."""
        if self.status in (204, 304) or 100 <= self.status < 200:
            assert not self.chunked, self
            if self.status != 304:
                assert not self.has("Content-Length"), "Content-Length on %d" % self.status
            return
        assert not (self.chunked and self.has("Content-Length")), self
        assert (self.chunked or self.has("Content-Length")
                or "close" in self.connection_tokens()), \
            "response %d has no Content-Length, chunking or Connection: close" % self.status

    def read_body(self, conn, method="GET", timeout=None):
        if CHECK_FRAMING:
            self.check_framing()
        if method == "HEAD" or self.status in (204, 304) or 100 <= self.status < 200:
            return self
        if self.chunked:
            self.chunks = []
            while True:
                data = read_chunk(conn, timeout)
                if data is None:
                    break
                self.chunks.append(data)
            self.body = b"".join(self.chunks)
        elif self.header("Content-Length") is not None:
            self.body = conn.read_exact(int(self.header("Content-Length")), timeout)
        else:
            self.body = conn.read_to_eof(timeout)
        return self

    def __repr__(self):
        return "<Response %d %r %r>" % (self.status, self.headers, self.body[:200])


def read_chunk(conn, timeout=None):
    """One chunk of a chunked body: its payload, or None for the last chunk."""
    line = conn.read_until(b"\r\n", timeout, limit=1024)
    size_text = line[:-2].split(b";", 1)[0].strip()
    assert re.fullmatch(rb"[0-9a-fA-F]+", size_text), "bad chunk size line %r" % line
    size = int(size_text, 16)
    if size == 0:
        while conn.read_until(b"\r\n", timeout, limit=64 * 1024) != b"\r\n":
            pass  # trailers
        return None
    data = conn.read_exact(size + 2, timeout)
    assert data.endswith(b"\r\n"), "chunk not followed by CRLF: %r" % data[-20:]
    return data[:-2]


def build_request(method, path, headers=(), body=None, version="HTTP/1.1", host=None):
    """Bytes of a request. Adds Host (when ``host`` is given and no Host header is)
    and Content-Length (when there is a body and no framing header)."""
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = list(headers)
    names = {n.lower() for n, _ in headers}
    if host is not None and "host" not in names:
        if isinstance(host, tuple):
            host = "%s:%d" % host
        headers.insert(0, ("Host", host))
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is not None and "content-length" not in names and "transfer-encoding" not in names:
        headers.append(("Content-Length", str(len(body))))
    head = "%s %s %s\r\n" % (method, path, version)
    head += "".join("%s: %s\r\n" % (n, v) for n, v in headers)
    head += "\r\n"
    return head.encode("latin-1") + (body or b"")


def request(addr, method, path, headers=(), body=None, version="HTTP/1.1", timeout=2.0,
            source=None):
    """One request on a fresh connection; returns the :class:`Response`."""
    with Conn(addr, timeout, source) as conn:
        return conn.request(method, path, headers, body, version, timeout)


def chunked_body(*pieces, ext=False):
    out = b""
    for piece in pieces:
        if isinstance(piece, str):
            piece = piece.encode("utf-8")
        out += b"%x%s\r\n%s\r\n" % (len(piece), b";foo=bar" if ext else b"", piece)
    return out + b"0\r\n\r\n"


class Stream:
    """A streaming response: read it chunk by chunk or up to a delimiter."""

    def __init__(self, conn, resp):
        self.conn = conn
        self.resp = resp
        self.chunked = resp.chunked
        self.pending = bytearray()
        self.ended = False
        self.received = 0  # body bytes seen so far

    @classmethod
    def open(cls, addr, method, path, headers=(), body=None, version="HTTP/1.1", timeout=2.0,
             source=None):
        conn = Conn(addr, timeout, source)
        conn.send(build_request(method, path, headers, body, version, host=addr))
        resp = conn.read_head(timeout)
        if CHECK_FRAMING:
            resp.check_framing()
        return cls(conn, resp)

    def _piece(self, timeout):
        if self.ended:
            return None
        if self.chunked:
            data = read_chunk(self.conn, timeout)
        else:
            data = self.conn.read_some(timeout) or None
        if data is None:
            self.ended = True
        else:
            self.received += len(data)
        return data

    def next_chunk(self, timeout=None):
        """The next chunk as the server framed it (None at the end)."""
        if self.pending:
            out = bytes(self.pending)
            self.pending.clear()
            return out
        return self._piece(timeout)

    def read_until(self, delim, timeout=None):
        deadline = time.monotonic() + (self.conn.timeout if timeout is None else timeout)
        while True:
            at = self.pending.find(delim)
            if at >= 0:
                out = bytes(self.pending[:at + len(delim)])
                del self.pending[:at + len(delim)]
                return out
            piece = self._piece(max(0.001, deadline - time.monotonic()))
            if piece is None:
                raise Closed("stream ended before %r; pending %r" % (delim, bytes(self.pending[:300])))
            self.pending += piece

    def read_exact(self, n, timeout=None):
        deadline = time.monotonic() + (self.conn.timeout if timeout is None else timeout)
        while len(self.pending) < n:
            piece = self._piece(max(0.001, deadline - time.monotonic()))
            if piece is None:
                raise Closed("stream ended after %d of %d bytes" % (len(self.pending), n))
            self.pending += piece
        out = bytes(self.pending[:n])
        del self.pending[:n]
        return out

    def wait_end(self, timeout=1.0):
        """True when the response body ends within ``timeout``; data meanwhile is kept."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                piece = self._piece(max(0.001, deadline - time.monotonic()))
                if piece is None:
                    return True
                self.pending += piece
        except TimeoutError:
            return False

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- WebSocket (RFC 6455) ----------------------------------------------------

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def ws_accept(key):
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + WS_GUID).digest()).decode("ascii")


def mask_bytes(key, data):
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


def encode_frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None, mask_key=None):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    n = len(payload) if length is None else length
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", first, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", first, mbit | 127, n)
    if mask:
        key = mask_key or os.urandom(4)
        return head + key + mask_bytes(key, payload)
    return head + payload


class Frame:
    def __init__(self, fin, rsv, opcode, payload):
        self.fin, self.rsv, self.opcode, self.payload = fin, rsv, opcode, payload

    @property
    def text(self):
        return self.payload.decode("utf-8")

    def close_code(self):
        """(code, reason) of a close frame; (None, '') when it has no body."""
        assert self.opcode == OP_CLOSE, self
        if not self.payload:
            return None, ""
        assert len(self.payload) >= 2, self
        return struct.unpack("!H", self.payload[:2])[0], self.payload[2:].decode("utf-8")

    def __repr__(self):
        return "<Frame fin=%d op=%d %r>" % (self.fin, self.opcode, self.payload[:200])


class WebSocket:
    def __init__(self, conn, resp, key):
        self.conn = conn
        self.resp = resp
        self.key = key

    @classmethod
    def handshake(cls, addr, path, headers=(), timeout=2.0, version="HTTP/1.1", source=None):
        """Send an upgrade request; return (conn, response, key) without checking it."""
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        base = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")]
        if isinstance(headers, dict):
            headers = list(headers.items())
        override = {n.lower() for n, _ in headers}
        merged = [(n, v) for n, v in base if n.lower() not in override]
        merged += [(n, v) for n, v in headers if v is not None]
        conn = Conn(addr, timeout, source)
        conn.send(build_request("GET", path, merged, None, version, host=addr))
        resp = conn.read_head(timeout)
        return conn, resp, key

    @classmethod
    def connect(cls, addr, path, headers=(), timeout=2.0, source=None):
        conn, resp, key = cls.handshake(addr, path, headers, timeout, source=source)
        if resp.status != 101:
            try:
                resp.read_body(conn, "GET", 0.5)
            except Exception:
                pass
            conn.close()
            raise AssertionError("websocket handshake refused: %r" % resp)
        return cls(conn, resp, key)

    def send_frame(self, opcode, payload=b"", **kw):
        self.conn.send(encode_frame(opcode, payload, **kw))

    def send_text(self, text, **kw):
        self.send_frame(OP_TEXT, text.encode("utf-8") if isinstance(text, str) else text, **kw)

    def send_close(self, code=1000, reason=""):
        payload = b"" if code is None else struct.pack("!H", code) + reason.encode("utf-8")
        self.conn.try_send(encode_frame(OP_CLOSE, payload))

    def recv_frame(self, timeout=None):
        """Next frame, or None if the socket closed cleanly at a frame boundary."""
        c = self.conn
        deadline = time.monotonic() + (c.timeout if timeout is None else timeout)
        try:
            head = c.read_exact(2, max(0.001, deadline - time.monotonic()))
        except Closed:
            if c.buf:
                raise
            return None
        fin = bool(head[0] & 0x80)
        rsv = (head[0] >> 4) & 7
        opcode = head[0] & 0x0F
        masked = head[1] & 0x80
        n = head[1] & 0x7F
        assert not masked, "server frames must not be masked"
        if n == 126:
            n = struct.unpack("!H", c.read_exact(2, max(0.001, deadline - time.monotonic())))[0]
        elif n == 127:
            n = struct.unpack("!Q", c.read_exact(8, max(0.001, deadline - time.monotonic())))[0]
        payload = c.read_exact(n, max(0.001, deadline - time.monotonic())) if n else b""
        return Frame(fin, rsv, opcode, payload)

    def recv_message(self, timeout=None):
        """Next data message (reassembled) or control frame, as a Frame; None on EOF."""
        deadline = time.monotonic() + (self.conn.timeout if timeout is None else timeout)
        parts = []
        first = None
        while True:
            f = self.recv_frame(max(0.001, deadline - time.monotonic()))
            if f is None:
                return None
            if f.opcode >= 8:
                if first is None:
                    return f
                continue  # control frame between fragments
            if first is None:
                first = f
            parts.append(f.payload)
            if f.fin:
                return Frame(True, first.rsv, first.opcode, b"".join(parts))

    def expect_close(self, timeout=1.0):
        """Read until a close frame (returned) or EOF (None); data frames are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                f = self.recv_frame(max(0.001, deadline - time.monotonic()))
            except Closed:
                return None
            if f is None or f.opcode == OP_CLOSE:
                return f

    def close(self):
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SockJSWebSocket(WebSocket):
    """SockJS framing over a websocket: text frames hold SockJS frames."""

    def recv_sockjs(self, timeout=None, skip_heartbeats=True):
        deadline = time.monotonic() + (self.conn.timeout if timeout is None else timeout)
        while True:
            f = self.recv_message(max(0.001, deadline - time.monotonic()))
            if f is None:
                return None
            if f.opcode == OP_CLOSE:
                return f
            if f.opcode != OP_TEXT:
                continue
            if skip_heartbeats and f.payload == b"h":
                continue
            return f.text

    def send_json(self, messages):
        self.send_text(json.dumps(messages))


# -- hixie-76 ----------------------------------------------------------------

def hixie76_key():
    """A (Sec-WebSocket-Key value, number) pair as a draft-76 client makes them."""
    spaces = random.randint(1, 12)
    number = random.randint(0, (2 ** 32 - 1) // spaces)
    chars = list(str(number * spaces))
    for _ in range(random.randint(1, 12)):
        chars.insert(random.randint(0, len(chars)), random.choice(
            [chr(c) for c in list(range(0x21, 0x30)) + list(range(0x3A, 0x7F))]))
    for _ in range(spaces):
        chars.insert(random.randint(1, len(chars) - 1), " ")
    return "".join(chars), number


class Hixie76:
    def __init__(self, conn, resp):
        self.conn = conn
        self.resp = resp

    @staticmethod
    def request(addr, path, origin="http://example.com"):
        """Returns (head bytes, key3, expected 16-byte answer)."""
        k1, n1 = hixie76_key()
        k2, n2 = hixie76_key()
        key3 = os.urandom(8)
        head = build_request("GET", path, [
            ("Upgrade", "WebSocket"), ("Connection", "Upgrade"), ("Origin", origin),
            ("Sec-WebSocket-Key1", k1), ("Sec-WebSocket-Key2", k2)], None, host=addr)
        answer = hashlib.md5(struct.pack("!II", n1, n2) + key3).digest()
        return head, key3, answer

    def send_text(self, text):
        self.conn.send(b"\x00" + text.encode("utf-8") + b"\xff")

    def recv_text(self, timeout=None):
        start = self.conn.read_exact(1, timeout)
        assert start == b"\x00", "hixie frame must start with 0x00, got %r" % start
        return self.conn.read_until(b"\xff", timeout)[:-1].decode("utf-8")


# -- SockJS conveniences ------------------------------------------------------

def new_session_id():
    return os.urandom(8).hex()


def frame_messages(frame):
    """Messages of an ``a[...]`` frame (str, without trailing newline)."""
    assert frame.startswith("a"), "not a message frame: %r" % frame
    return json.loads(frame[1:])


def assert_serving(addr):
    """The server still answers a plain request on a fresh connection."""
    resp = request(addr, "GET", "/echo")
    assert resp.status == 200 and resp.body == b"Welcome to SockJS!\n", resp


def xhr(addr, url, headers=(), timeout=2.0, source=None):
    return request(addr, "POST", url + "/xhr", headers, b"", timeout=timeout, source=source)


def xhr_send(addr, url, payload, headers=(), timeout=2.0, source=None):
    """POST to xhr_send; ``payload`` is a list (JSON-encoded) or raw bytes/str."""
    if isinstance(payload, (list, tuple)):
        payload = json.dumps(list(payload))
    return request(addr, "POST", url + "/xhr_send", headers, payload, timeout=timeout,
                   source=source)


def open_session(addr, url):
    """Start a session with an xhr poll and check the open frame."""
    resp = xhr(addr, url)
    assert resp.status == 200 and resp.body == b"o\n", resp
    return resp


NOCACHE = "no-store, no-cache, no-transform, must-revalidate, max-age=0"


def assert_nocache(resp):
    assert resp.header("Cache-Control") == NOCACHE, resp.headers
    assert not resp.has("Expires"), resp.headers
    assert not resp.has("Last-Modified"), resp.headers


def assert_cors(resp, origin=None):
    if origin is None:
        assert resp.header("Access-Control-Allow-Origin") == "*", resp.headers
    else:
        assert resp.header("Access-Control-Allow-Origin") == origin, resp.headers
        assert resp.header("Access-Control-Allow-Credentials") == "true", resp.headers


def max_age(cache_control):
    m = re.search(r"max-age=(\d+)", cache_control or "")
    return int(m.group(1)) if m else None


def assert_preflight(resp, methods, origin, request_headers=None):
    assert resp.status in (200, 204), resp
    assert resp.body == b"", resp
    cc = resp.header("Cache-Control") or ""
    assert "public" in cc, cc
    assert (max_age(cc) or 0) >= 1000000, cc
    assert resp.has("Expires"), resp.headers
    assert int(resp.header("Access-Control-Max-Age", "0")) > 1000000, resp.headers
    allowed = {m.strip() for m in (resp.header("Access-Control-Allow-Methods") or "").split(",")}
    for method in methods:
        assert method in allowed, (method, allowed)
    assert_cors(resp, origin)
    if request_headers is None:
        assert not resp.has("Access-Control-Allow-Headers"), resp.headers
    else:
        assert resp.header("Access-Control-Allow-Headers") == request_headers, resp.headers


def start_request(addr, method, path, headers=(), body=None, version="HTTP/1.1", timeout=2.0,
                  source=None):
    """Send a request on a fresh connection and return the Conn without reading
    anything (a held poll sends no head until it has a frame)."""
    conn = Conn(addr, timeout, source)
    conn.send(build_request(method, path, headers, body, version, host=addr))
    return conn
