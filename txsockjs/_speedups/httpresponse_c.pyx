# cython: language_level=3, binding=False, boundscheck=False, wraparound=False, cdivision=True
"""One HTTP response on our own channel, and the heads it sends: compiled twin of
``httpresponse_py.py`` (the same names, the same bytes on the wire).

What it saves is the interpreter's work around a complete response (every poll's and
every xhr_send's): the head's cached lines, its Content-Length line, its end and the body
are joined in one allocation, and ``finish`` is a C call.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize
from cpython.bytes cimport PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem
from cpython.ref cimport PyObject
from libc.string cimport memcpy

# (imported under private names: the module's public names are its twin's)
from txsockjs._speedups.statuses import NOSNIFF as _NOSNIFF_LINE, REASONS as _REASON_PHRASES

MAX_CACHED_HEADS = 256
MAX_CACHED_HEAD_BYTES = 1024  # (see the twin: a client's long header values are not kept)
LAST_CHUNK = b"0\r\n\r\n"

cdef bytes _LAST_CHUNK = LAST_CHUNK
# Each as the last line of a head, with the empty line that ends it.
cdef bytes _CLOSE_END = b"Connection: close\r\n\r\n"
cdef bytes _KEEP_ALIVE_END = b"Connection: keep-alive\r\n\r\n"
cdef bytes _END = b"\r\n"
cdef bytes _EMPTY = b""
cdef tuple _CLOSE = ("Connection", "close")
cdef tuple _KEEP_ALIVE = ("Connection", "keep-alive")
cdef dict _REASONS = _REASON_PHRASES
cdef str _NOSNIFF = _NOSNIFF_LINE
cdef Py_ssize_t _MAX_CACHED = MAX_CACHED_HEADS
cdef Py_ssize_t _MAX_CACHED_BYTES = MAX_CACHED_HEAD_BYTES

# (status, headers) -> _head_lines, bounded (see the twin).
cdef dict _HEAD_LINES = {}


cdef bytes _head_lines(status, headers):
    # The status line and the header lines, each ended by CRLF.
    lines = ["HTTP/1.1 %d %s" % (status, _REASONS.get(status, "Unknown")), _NOSNIFF]
    for name, value in headers:
        lines.append("%s: %s" % (name, value))
    lines.append("")
    return "\r\n".join(lines).encode("latin-1")


cdef bytes _cached_head_lines(status, tuple headers):
    key = (status, headers)
    cdef PyObject *found = PyDict_GetItem(_HEAD_LINES, key)
    if found != NULL:
        return <bytes>found
    lines = _head_lines(status, headers)
    if PyBytes_GET_SIZE(lines) > _MAX_CACHED_BYTES:
        return lines
    if len(_HEAD_LINES) >= _MAX_CACHED:
        _HEAD_LINES.clear()
    _HEAD_LINES[key] = lines
    return lines


def response_head(status, headers):
    """The bytes of a response head; ``headers`` is a list of (name, value)."""
    return _head_lines(status, headers) + _END


def head_lines(status, tuple headers):
    """The status line and ``headers`` as bytes, each line ended by CRLF (the
    head's end, the empty line, not included); remembered."""
    return _cached_head_lines(status, headers)


def chunk(data):
    """One HTTP/1.1 chunk."""
    return b"%x\r\n%s\r\n" % (len(data), data)


cdef bytes _whole(bytes lines, Py_ssize_t length, bint with_length, bytes end, bytes body):
    # lines + "Content-Length: <length>\r\n" (if with_length) + end + body, in one allocation.
    cdef char digits[24]
    cdef Py_ssize_t ndigits = 0, n = length, size, at
    cdef char *out
    cdef bytes data
    if with_length:
        while True:
            digits[ndigits] = <char>(48 + n % 10)
            ndigits += 1
            n //= 10
            if n == 0:
                break
    size = PyBytes_GET_SIZE(lines) + PyBytes_GET_SIZE(end) + PyBytes_GET_SIZE(body)
    if with_length:
        size += 18 + ndigits  # "Content-Length: " and CRLF
    data = PyBytes_FromStringAndSize(NULL, size)
    out = PyBytes_AS_STRING(data)
    at = PyBytes_GET_SIZE(lines)
    memcpy(out, PyBytes_AS_STRING(lines), at)
    if with_length:
        memcpy(out + at, b"Content-Length: ", 16)
        at += 16
        while ndigits:
            ndigits -= 1
            out[at] = digits[ndigits]
            at += 1
        out[at] = b'\r'
        out[at + 1] = b'\n'
        at += 2
    memcpy(out + at, PyBytes_AS_STRING(end), PyBytes_GET_SIZE(end))
    at += PyBytes_GET_SIZE(end)
    memcpy(out + at, PyBytes_AS_STRING(body), PyBytes_GET_SIZE(body))
    return data


cdef class Response:
    """Writes one response for ``request`` on ``channel``.

    Framing follows the request: on HTTP/1.1 a streaming body is chunked (one
    chunk per write) and the connection may stay open; on HTTP/1.0 a
    streaming body is raw and the connection closes when it ends.
    ``on_lost`` is called if the connection drops before ``finish()``.
    """

    cdef public object channel
    cdef public object request
    cdef public bint finished
    cdef public bint started
    cdef public object on_lost
    cdef public object error_headers
    cdef bint _chunked
    cdef bint _close_after
    cdef bint _head_only

    def __init__(self, channel, request):
        self.channel = channel
        self.request = request
        self.finished = False
        self.started = False
        self.on_lost = None
        self.error_headers = ()
        self._chunked = False
        self._close_after = not request.keep_alive
        self._head_only = request.method == "HEAD"

    def send(self, status, headers, body=b""):
        """A complete response with a Content-Length."""
        self._send(status, headers, body)

    cdef _send(self, status, headers, body):
        # The head's lines before Content-Length are remembered (see head_lines).
        cdef bytes lines = _cached_head_lines(status, tuple(headers))
        cdef bytes end
        cdef int code = status
        cdef bint with_length = not (code == 101 or code == 204 or code == 304)
        cdef bytes data
        if not PyBytes_CheckExact(body):
            body = bytes(body)
        if not with_length:
            body = _EMPTY
        if self._close_after:
            end = _CLOSE_END
        elif self.request.minor == 0:
            end = _KEEP_ALIVE_END
        else:
            end = _END
        self.started = True
        if code >= 400:
            self.channel.site.http_errors.count(status)
        data = _whole(lines, PyBytes_GET_SIZE(body), with_length, end,
                      _EMPTY if self._head_only else <bytes>body)
        self.channel.write_whole_response(data)
        self._finish()

    def start_streaming(self, status, headers, first=b""):
        """Send the head of a streaming response, and ``first`` as its first piece."""
        head = list(headers)
        if self.request.minor >= 1:
            self._chunked = True
            head.append(("Transfer-Encoding", "chunked"))
        else:
            self._close_after = True
        self._add_connection_header(head)
        data = _head_lines(status, head) + _END
        self.started = True
        if first:
            data += chunk(first) if self._chunked else first
        self.channel.write(data)

    def write(self, data):
        if self.finished or not data:
            return
        self.channel.write(chunk(data) if self._chunked else data)

    def finish(self):
        self._finish()

    cdef _finish(self):
        if self.finished:
            return
        self.finished = True
        self.on_lost = None
        if self._chunked:
            self.channel.write(_LAST_CHUNK)
        self.channel.response_finished(self, self._close_after)

    def lost(self):
        """The connection went away under this response."""
        if self.finished:
            return
        self.finished = True
        on_lost = self.on_lost
        self.on_lost = None
        if on_lost is not None:
            on_lost()

    def error(self, status, text, headers=(), close=False):
        """A short plain-text error response."""
        if close:
            self._close_after = True
        body = text.encode("utf-8") + b"\n" if text else b""
        head = list(headers)
        head.extend(self.error_headers)
        head.append(("Cache-Control", "no-store"))
        if body:
            head.append(("Content-Type", "text/plain;charset=UTF-8"))
        self._send(status, head, body)

    cdef _add_connection_header(self, list headers):
        # (_send writes the same as bytes: keep the two in step)
        if self._close_after:
            headers.append(_CLOSE)
        elif self.request.minor == 0:
            headers.append(_KEEP_ALIVE)
