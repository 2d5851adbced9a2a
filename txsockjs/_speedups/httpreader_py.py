"""The incremental HTTP/1.x request reader, pure-Python twin of ``httpreader_c``.

:class:`RequestReader` is incremental and strict: it is fed bytes as they
arrive and hands out one complete :class:`Request` at a time, so pipelined
requests wait their turn.  Limits are enforced while reading; a violation
raises :class:`HTTPError` carrying the status to answer with.  The head itself
is parsed by the head kernel (``httphead_py``; the compiled reader uses
``httphead_c``).
"""

import re
from typing import Dict, Optional, Sequence, Tuple, Union
from urllib.parse import parse_qs

from txsockjs._speedups.buffers import BytesLike
from txsockjs._speedups.constants import MAX_CHUNK_LINE, MAX_HEAD, MAX_REQUEST_LINE
from txsockjs._speedups.httphead_py import find_head_end, parse_request_head
from txsockjs._speedups.kernelerrors import HTTPError

__all__ = ["MAX_HEAD", "MAX_REQUEST_LINE", "Request", "RequestReader", "connection_tokens"]

_HEX_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})(?:;[^\r\n]*)?\Z")
_TRAILER = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*\Z")


class Request(object):
    """One parsed request.  ``headers`` maps lower-case names to str values."""

    __slots__ = ("method", "target", "path", "query", "minor", "headers", "body", "keep_alive",
                 "head")

    def __init__(self, method: str, target: str, minor: int, headers: Dict[str, str],
                 body: bytes = b"", head: bytes = b"") -> None:
        # The raw head: a handshake keeps it (smaller than the parsed headers)
        # and parses it again only if the application reads its headers.
        self.head = head
        self.method = method
        self.target = target
        path, _, query = target.partition("?")
        if path[:1] != "/" and (path.startswith("http://") or path.startswith("https://")):
            # absolute-form: keep only the path
            rest = path.split("//", 1)[1]
            slash = rest.find("/")
            path = rest[slash:] if slash >= 0 else "/"
        self.path = path
        self.query = query
        self.minor = minor
        self.headers = headers
        self.body = body
        if "connection" not in headers:
            self.keep_alive = minor >= 1
        elif minor >= 1:
            self.keep_alive = "close" not in connection_tokens(headers)
        else:
            self.keep_alive = "keep-alive" in connection_tokens(headers)

    def query_param(self, name: str) -> Optional[str]:
        """The first value of query parameter ``name``, or None."""
        if not self.query:
            return None
        values = parse_qs(self.query, keep_blank_values=True).get(name)
        return values[0] if values else None

    def __repr__(self) -> str:
        return "<Request %s %s HTTP/1.%d>" % (self.method, self.target, self.minor)


def connection_tokens(headers: Dict[str, str]) -> Sequence[str]:
    value = headers.get("connection")
    if not value:
        return ()
    if "," not in value:  # (one token: nearly every request; no list comprehension)
        return (value.strip().lower(),)
    return [token.strip().lower() for token in value.split(",")]


_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS = range(6)


class RequestReader(object):
    """Incremental request parser: ``feed()`` bytes, ``next_request()`` out."""

    __slots__ = ("max_body", "max_head", "max_request_line", "_buf", "_searched", "_state",
                 "_request", "_remaining", "_body", "continue_expected")

    def __init__(self, max_body: int = 1 << 20, max_head: int = MAX_HEAD,
                 max_request_line: int = MAX_REQUEST_LINE) -> None:
        self.max_body = max_body
        self.max_head = max_head
        self.max_request_line = max_request_line
        self._buf = bytearray()
        self._searched = 0
        self._state = _HEAD
        self._request: Optional[Tuple[str, str, int, Dict[str, str], bytes]] = None
        self._remaining = 0
        # (bytes, or a bytearray while chunks arrive; empty between requests)
        self._body: Union[bytes, bytearray] = b""
        # Set when a request's head asked for "Expect: 100-continue" and its
        # body is still to come; the owner sends the interim response.
        self.continue_expected = False

    def feed(self, data: BytesLike) -> None:
        self._buf += data

    @property
    def buffered(self) -> int:
        return len(self._buf)

    @property
    def mid_request(self) -> bool:
        """A request's head was read and its body is still to come."""
        return self._state != _HEAD

    def take_buffered(self) -> bytes:
        """Everything not yet parsed (what follows a WebSocket upgrade)."""
        if not self._buf:
            return b""
        data = bytes(self._buf)
        del self._buf[:]
        self._searched = 0
        return data

    def next_request(self) -> Optional[Request]:
        """A complete Request, or None when more bytes are needed."""
        if self._state == _HEAD:
            if not self._buf or not self._read_head():
                return None
        if self._state == _BODY:
            remaining = self._remaining
            if remaining:
                buf = self._buf
                if len(buf) < remaining:
                    return None
                self._body = bytes(buf[:remaining])
                del buf[:remaining]
            return self._finish()
        while self._state in (_CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS):
            if not self._read_chunked_step():
                return None
            if self._state == _HEAD:
                return self._finish()
        return None

    def _read_head(self) -> bool:
        buf = self._buf
        # Tolerate the empty lines some clients send between requests.
        while buf and (buf[0] == 10 or (buf[0] == 13 and buf[:2] == b"\r\n")):
            del buf[:1 if buf[0] == 10 else 2]
        searched = self._searched
        head_end, end = find_head_end(buf, searched - 3 if searched > 3 else 0)
        if end < 0:
            line_end = buf.find(b"\n")
            if line_end < 0 and len(buf) > self.max_request_line:
                raise HTTPError(414, "Request line too long")
            if line_end >= 0 and self._searched <= line_end:
                # The request line is complete: refuse garbage now rather
                # than wait for a blank line that may never come.
                if line_end > self.max_request_line:
                    raise HTTPError(414, "Request line too long")
                parse_request_head(bytes(buf[:line_end + 1]))
            self._searched = len(buf)
            if len(buf) > self.max_head:
                raise HTTPError(431, "Request head too large")
            return False
        if end > self.max_head:
            raise HTTPError(431, "Request head too large")
        # (the request line ends before the head does: only a long head can
        # hold a long one)
        if head_end >= self.max_request_line and buf.find(b"\n") > self.max_request_line:
            raise HTTPError(414, "Request line too long")
        head = bytes(buf[:head_end])
        del buf[:end]
        self._searched = 0
        method, target, minor, headers = parse_request_head(head)
        if minor >= 1 and "host" not in headers:
            raise HTTPError(400, "Host header required")
        self._request = (method, target, minor, headers, head)
        self._body = b""
        self.continue_expected = minor >= 1 and "expect" in headers and \
            headers["expect"].strip().lower() == "100-continue"
        encoding = headers.get("transfer-encoding")
        length = headers.get("content-length")
        if encoding is not None:
            if length is not None:
                raise HTTPError(400, "Both Content-Length and Transfer-Encoding")
            if encoding.strip().lower() != "chunked":
                raise HTTPError(501, "Unsupported Transfer-Encoding")
            if minor == 0:
                raise HTTPError(400, "Transfer-Encoding in an HTTP/1.0 request")
            self._body = bytearray()
            self._state = _CHUNK_SIZE
        elif length is not None:
            # (ASCII digits only: isdigit alone takes "\u00b2")
            if not (length.isascii() and length.isdigit()):
                raise HTTPError(400, "Malformed Content-Length")
            # (digits counted first: int() refuses more than 4300 of them)
            digits = length.lstrip("0") or "0"
            if len(digits) > len(str(self.max_body)) or int(digits) > self.max_body:
                raise HTTPError(413, "Request body too large")
            self._remaining = int(digits)
            self._state = _BODY
        else:
            self._state = _BODY
            self._remaining = 0
        return True

    def _read_chunked_step(self) -> bool:
        buf = self._buf
        if self._state == _CHUNK_SIZE or self._state == _TRAILERS:
            line_end = buf.find(b"\n")
            if line_end < 0:
                if len(buf) > MAX_CHUNK_LINE:
                    raise HTTPError(400, "Chunk line too long")
                return False
            if line_end == 0 or buf[line_end - 1] != 0x0D:
                raise HTTPError(400, "Chunk line not ended by CRLF")
            line = bytes(buf[:line_end - 1])
            del buf[:line_end + 1]
            if self._state == _TRAILERS:
                if not line:
                    self._state = _HEAD
                elif _TRAILER.match(line) is None:
                    raise HTTPError(400, "Malformed trailer field")
                return True
            found = _HEX_SIZE.match(line)
            if found is None:
                raise HTTPError(400, "Malformed chunk size")
            size = int(found.group(1), 16)
            if size == 0:
                self._state = _TRAILERS
            else:
                if len(self._body) + size > self.max_body:
                    raise HTTPError(413, "Request body too large")
                self._remaining = size
                self._state = _CHUNK_DATA
            return True
        if self._state == _CHUNK_DATA:
            if not buf:
                return False
            take = min(len(buf), self._remaining)
            self._body += buf[:take]
            del buf[:take]
            self._remaining -= take
            if self._remaining == 0:
                self._state = _CHUNK_END
            return True
        # _CHUNK_END: the CRLF after a chunk's data
        if len(buf) < 2:
            return False
        if buf[:2] != b"\r\n":
            raise HTTPError(400, "Malformed chunk terminator")
        del buf[:2]
        self._state = _CHUNK_SIZE
        return True

    def _finish(self) -> Request:
        self.continue_expected = False
        assert self._request is not None  # (a head was read)
        method, target, minor, headers, head = self._request
        request = Request(method, target, minor, headers, bytes(self._body), head)
        self._request = None
        self._body = b""
        self._state = _HEAD
        return request
