# cython: language_level=3, binding=False, boundscheck=False, wraparound=False, auto_pickle=False
"""The incremental HTTP/1.x request reader, compiled twin of ``httpreader_py.py``.

The same steps in the same order as the twin (so that a stream with several faults fails
on the same one, with the same status), with typed state and a Request made without
argument parsing: every HTTP request and WebSocket handshake passes here.  The head
itself is parsed by ``httphead_c``.
"""

import re
from urllib.parse import parse_qs

cimport cython
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_FromStringAndSize

from txsockjs._speedups.constants import MAX_HEAD, MAX_REQUEST_LINE
from txsockjs._speedups.constants import MAX_CHUNK_LINE as _MAX_CHUNK_LINE
from txsockjs._speedups.httphead_c cimport _find_head_end, _parse
from txsockjs._speedups.httphead_c import MAX_HEADERS as _HEAD_MAX_HEADERS
from txsockjs._speedups.kernelerrors import HTTPError

cdef Py_ssize_t MAX_CHUNK_LINE = _MAX_CHUNK_LINE
cdef Py_ssize_t _MAX_HEADERS = _HEAD_MAX_HEADERS

_HEX_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})(?:;[^\r\n]*)?\Z")
_TRAILER = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*\Z")

cdef enum:
    _HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS


cdef inline bytes _take(bytearray buf, Py_ssize_t n):
    # The first n bytes of buf as bytes (one copy: bytes(buf[:n]) makes two).
    return PyBytes_FromStringAndSize(PyByteArray_AS_STRING(buf), n)


# Neither a Request nor a reader refers to anything that could refer back to it (strings,
# bytes, the headers' dict of strings, a bytearray): they are in no cycle, so the cyclic
# GC need not track them (two objects less per request for each collection to visit).
@cython.no_gc
cdef class Request:
    """One parsed request.  ``headers`` maps lower-case names to str values."""

    cdef public str method, target, path, query
    cdef public int minor
    cdef public dict headers
    cdef public bytes body, head
    cdef public bint keep_alive

    def __init__(self, str method, str target, int minor, dict headers, bytes body=b"",
                 bytes head=b""):
        _fill(self, method, target, minor, headers, body, head)

    def query_param(self, name):
        """The first value of query parameter ``name``, or None."""
        if not self.query:
            return None
        values = parse_qs(self.query, keep_blank_values=True).get(name)
        return values[0] if values else None

    def __repr__(self):
        return "<Request %s %s HTTP/1.%d>" % (self.method, self.target, self.minor)


cdef inline void _fill(Request request, str method, str target, int minor, dict headers,
                       bytes body, bytes head) except *:
    # (Request.__init__, shared with the reader, which makes its requests without it)
    request.head = head
    request.method = method
    request.target = target
    path, _, query = target.partition("?")
    if path[:1] != "/" and (path.startswith("http://") or path.startswith("https://")):
        # absolute-form: keep only the path
        rest = path.split("//", 1)[1]
        slash = rest.find("/")
        path = rest[slash:] if slash >= 0 else "/"
    request.path = path
    request.query = query
    request.minor = minor
    request.headers = headers
    request.body = body
    if "connection" not in headers:
        request.keep_alive = minor >= 1
    elif minor >= 1:
        request.keep_alive = "close" not in connection_tokens(headers)
    else:
        request.keep_alive = "keep-alive" in connection_tokens(headers)


def connection_tokens(dict headers):
    value = headers.get("connection")
    if not value:
        return ()
    if "," not in value:  # (one token: nearly every request; no list comprehension)
        return (value.strip().lower(),)
    return [token.strip().lower() for token in value.split(",")]


cdef Py_ssize_t _content_length(str length, Py_ssize_t max_body) except -1:
    # The value of a Content-Length: ASCII digits only (str.isdigit takes "\u00b2"), at
    # most max_body.
    cdef Py_ssize_t n = len(length), i, digit, value = 0
    cdef Py_UCS4 c
    if n == 0:
        raise HTTPError(400, "Malformed Content-Length")
    for i in range(n):
        c = length[i]
        if c < u'0' or c > u'9':
            raise HTTPError(400, "Malformed Content-Length")
    for i in range(n):
        digit = <Py_ssize_t>length[i] - 48
        # (value * 10 + digit > max_body, asked without overflowing)
        if max_body < digit or value > (max_body - digit) // 10:
            raise HTTPError(413, "Request body too large")
        value = value * 10 + digit
    return value


@cython.no_gc
cdef class RequestReader:
    """Incremental request parser: ``feed()`` bytes, ``next_request()`` out."""

    cdef public Py_ssize_t max_body, max_head, max_request_line
    # Set when a request's head asked for "Expect: 100-continue" and its body is still to
    # come; the owner sends the interim response.
    cdef public bint continue_expected
    cdef bytearray _buf
    cdef Py_ssize_t _searched, _remaining
    cdef int _state
    # The head of the request whose body is being read (_method None between requests)
    cdef str _method, _target
    cdef int _minor
    cdef dict _headers
    cdef bytes _head
    # (bytes, or a bytearray while chunks arrive; empty between requests)
    cdef object _body

    def __init__(self, Py_ssize_t max_body=1 << 20, Py_ssize_t max_head=MAX_HEAD,
                 Py_ssize_t max_request_line=MAX_REQUEST_LINE):
        self.max_body = max_body
        self.max_head = max_head
        self.max_request_line = max_request_line
        self._buf = bytearray()
        self._searched = 0
        self._state = _HEAD
        self._method = None
        self._remaining = 0
        self._body = b""
        self.continue_expected = False

    def feed(self, data):
        self._buf += data

    @property
    def buffered(self):
        return PyByteArray_GET_SIZE(self._buf)

    @property
    def mid_request(self):
        """A request's head was read and its body is still to come."""
        return self._state != _HEAD

    def take_buffered(self):
        """Everything not yet parsed (what follows a WebSocket upgrade)."""
        if not self._buf:
            return b""
        data = bytes(self._buf)
        del self._buf[:]
        self._searched = 0
        return data

    def next_request(self):
        """A complete Request, or None when more bytes are needed."""
        cdef Py_ssize_t remaining
        cdef bytearray buf
        if self._state == _HEAD:
            if not self._buf or not self._read_head():
                return None
        if self._state == _BODY:
            remaining = self._remaining
            if remaining:
                buf = self._buf
                if PyByteArray_GET_SIZE(buf) < remaining:
                    return None
                self._body = _take(buf, remaining)
                del buf[:remaining]
            return self._finish()
        while _CHUNK_SIZE <= self._state <= _TRAILERS:
            if not self._read_chunked_step():
                return None
            if self._state == _HEAD:
                return self._finish()
        return None

    cdef bint _read_head(self) except -1:
        cdef bytearray buf = self._buf
        cdef Py_ssize_t searched, head_end, end, line_end, size, skip, n
        cdef const char *p
        cdef bytes head, line
        # Tolerate the empty lines some clients send between requests.
        n = PyByteArray_GET_SIZE(buf)
        p = PyByteArray_AS_STRING(buf)
        skip = 0
        while skip < n:
            if p[skip] == b'\n':
                skip += 1
            elif p[skip] == b'\r' and skip + 1 < n and p[skip + 1] == b'\n':
                skip += 2
            else:
                break
        if skip:
            del buf[:skip]
        searched = self._searched
        head_end = -1
        end = _find_head_end(<const unsigned char *>PyByteArray_AS_STRING(buf),
                             PyByteArray_GET_SIZE(buf), searched - 3 if searched > 3 else 0,
                             &head_end)
        if end < 0:
            line_end = buf.find(b"\n")
            if line_end < 0 and PyByteArray_GET_SIZE(buf) > self.max_request_line:
                raise HTTPError(414, "Request line too long")
            if line_end >= 0 and self._searched <= line_end:
                # The request line is complete: refuse garbage now rather
                # than wait for a blank line that may never come.
                if line_end > self.max_request_line:
                    raise HTTPError(414, "Request line too long")
                line = _take(buf, line_end + 1)
                _parse(<const unsigned char *>line, line_end + 1, _MAX_HEADERS)
            self._searched = PyByteArray_GET_SIZE(buf)
            if PyByteArray_GET_SIZE(buf) > self.max_head:
                raise HTTPError(431, "Request head too large")
            return False
        if end > self.max_head:
            raise HTTPError(431, "Request head too large")
        # (the request line ends before the head does: only a long head can
        # hold a long one)
        if head_end >= self.max_request_line and buf.find(b"\n") > self.max_request_line:
            raise HTTPError(414, "Request line too long")
        head = _take(buf, head_end)
        del buf[:end]
        self._searched = 0
        method, target, minor, headers = _parse(<const unsigned char *>head, head_end,
                                                _MAX_HEADERS)
        if minor >= 1 and "host" not in headers:
            raise HTTPError(400, "Host header required")
        self._method = method
        self._target = target
        self._minor = minor
        self._headers = headers
        self._head = head
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
            self._remaining = _content_length(length, self.max_body)
            self._state = _BODY
        else:
            self._state = _BODY
            self._remaining = 0
        return True

    cdef bint _read_chunked_step(self) except -1:
        cdef bytearray buf = self._buf
        cdef Py_ssize_t line_end, size, take
        cdef bytes line
        if self._state == _CHUNK_SIZE or self._state == _TRAILERS:
            line_end = buf.find(b"\n")
            if line_end < 0:
                if PyByteArray_GET_SIZE(buf) > MAX_CHUNK_LINE:
                    raise HTTPError(400, "Chunk line too long")
                return False
            if line_end == 0 or buf[line_end - 1] != 0x0D:
                raise HTTPError(400, "Chunk line not ended by CRLF")
            line = _take(buf, line_end - 1)
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
            big = int(found.group(1), 16)
            if big == 0:
                self._state = _TRAILERS
            else:
                if len(self._body) + big > self.max_body:
                    raise HTTPError(413, "Request body too large")
                self._remaining = big
                self._state = _CHUNK_DATA
            return True
        if self._state == _CHUNK_DATA:
            if not buf:
                return False
            take = min(PyByteArray_GET_SIZE(buf), self._remaining)
            self._body += buf[:take]
            del buf[:take]
            self._remaining -= take
            if self._remaining == 0:
                self._state = _CHUNK_END
            return True
        # _CHUNK_END: the CRLF after a chunk's data
        if PyByteArray_GET_SIZE(buf) < 2:
            return False
        if buf[:2] != b"\r\n":
            raise HTTPError(400, "Malformed chunk terminator")
        del buf[:2]
        self._state = _CHUNK_SIZE
        return True

    cdef Request _finish(self):
        cdef Request request = Request.__new__(Request)
        self.continue_expected = False
        body = self._body
        _fill(request, self._method, self._target, self._minor, self._headers,
              body if type(body) is bytes else bytes(body), self._head)
        self._method = self._target = None
        self._headers = None
        self._head = None
        self._body = b""
        self._state = _HEAD
        return request
