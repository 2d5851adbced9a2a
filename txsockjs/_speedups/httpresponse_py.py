"""One HTTP response on our own channel, and the heads it sends: the pure-Python twin of
``httpresponse_c.pyx``.

A :class:`Response` writes one response for a request on a channel (see
``server/httpchannel/channel.py`` for what it calls there: ``write``,
``write_whole_response``, ``response_finished`` and ``site.http_errors``).
"""

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from txsockjs._speedups.statuses import NOSNIFF, REASONS

Headers = Iterable[Tuple[str, str]]

MAX_CACHED_HEADS = 256
# Only heads this short are remembered: a client chooses some values (an echoed Origin or
# Access-Control-Request-Headers, up to the 64 KiB of a request head), and 256 of those
# would otherwise stay held, 30 MB, long after their clients left.
MAX_CACHED_HEAD_BYTES = 1024

_NO_BODY_STATUSES = (101, 204, 304)
_CLOSE = ("Connection", "close")
_KEEP_ALIVE = ("Connection", "keep-alive")
# Each as the last line of a head, with the empty line that ends it.
_CLOSE_END = b"Connection: close\r\n\r\n"
_KEEP_ALIVE_END = b"Connection: keep-alive\r\n\r\n"

LAST_CHUNK = b"0\r\n\r\n"


def response_head(status: int, headers: Headers) -> bytes:
    """The bytes of a response head; ``headers`` is a list of (name, value)."""
    return _head_lines(status, headers) + b"\r\n"


def _head_lines(status: int, headers: Headers) -> bytes:
    # The status line and the header lines, each ended by CRLF.
    lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Unknown")), NOSNIFF]
    for name, value in headers:
        lines.append("%s: %s" % (name, value))
    lines.append("")
    return "\r\n".join(lines).encode("latin-1")


# (status, headers) -> _head_lines: a server sends the same few heads over and
# over (a poll's, an xhr_send's), and formatting one costs more than its
# lookup.  Bounded: header values can come from clients (an echoed Origin).
_HEAD_LINES: Dict[Tuple[int, Tuple[Tuple[str, str], ...]], bytes] = {}


def head_lines(status: int, headers: Tuple[Tuple[str, str], ...]) -> bytes:
    """The status line and ``headers`` as bytes, each line ended by CRLF (the
    head's end, the empty line, not included); remembered."""
    key = (status, headers)
    lines = _HEAD_LINES.get(key)
    if lines is None:
        lines = _head_lines(status, headers)
        if len(lines) > MAX_CACHED_HEAD_BYTES:
            return lines
        if len(_HEAD_LINES) >= MAX_CACHED_HEADS:
            _HEAD_LINES.clear()
        _HEAD_LINES[key] = lines
    return lines


def chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk."""
    return b"%x\r\n%s\r\n" % (len(data), data)


class Response(object):
    """Writes one response for ``request`` on ``channel``.

    Framing follows the request: on HTTP/1.1 a streaming body is chunked (one
    chunk per write) and the connection may stay open; on HTTP/1.0 a
    streaming body is raw and the connection closes when it ends.
    ``on_lost`` is called if the connection drops before ``finish()``.
    """

    __slots__ = ("channel", "request", "finished", "started", "on_lost", "error_headers", "_chunked",
                 "_close_after", "_head_only")

    def __init__(self, channel: Any, request: Any) -> None:
        self.channel = channel
        self.request = request
        self.finished = False
        self.started = False
        self.on_lost: Optional[Callable[[], None]] = None
        self.error_headers: Headers = ()
        self._chunked = False
        self._close_after = not request.keep_alive
        self._head_only = request.method == "HEAD"

    def send(self, status: int, headers: Headers, body: bytes = b"") -> None:
        """A complete response with a Content-Length."""
        # The head's lines before Content-Length are remembered (see head_lines).
        data = head_lines(status, tuple(headers))
        if status in _NO_BODY_STATUSES:
            body = b""
        else:
            data += b"Content-Length: %d\r\n" % len(body)
        if self._close_after:
            data += _CLOSE_END
        elif self.request.minor == 0:
            data += _KEEP_ALIVE_END
        else:
            data += b"\r\n"
        self.started = True
        if status >= 400:
            self.channel.site.http_errors.count(status)
        if body and not self._head_only:
            data += body
        self.channel.write_whole_response(data)
        self.finish()

    def start_streaming(self, status: int, headers: Headers, first: bytes = b"") -> None:
        """Send the head of a streaming response, and ``first`` as its first piece."""
        head = list(headers)
        if self.request.minor >= 1:
            self._chunked = True
            head.append(("Transfer-Encoding", "chunked"))
        else:
            self._close_after = True
        self._add_connection_header(head)
        data = response_head(status, head)
        self.started = True
        if first:
            data += chunk(first) if self._chunked else first
        self.channel.write(data)

    def write(self, data: bytes) -> None:
        if self.finished or not data:
            return
        self.channel.write(chunk(data) if self._chunked else data)

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.on_lost = None
        if self._chunked:
            self.channel.write(LAST_CHUNK)
        self.channel.response_finished(self, self._close_after)

    def lost(self) -> None:
        """The connection went away under this response."""
        if self.finished:
            return
        self.finished = True
        on_lost = self.on_lost
        self.on_lost = None
        if on_lost is not None:
            on_lost()

    def error(self, status: int, text: str, headers: Headers = (), close: bool = False) -> None:
        """A short plain-text error response."""
        if close:
            self._close_after = True
        body = text.encode("utf-8") + b"\n" if text else b""
        head = list(headers)
        head.extend(self.error_headers)
        head.append(("Cache-Control", "no-store"))
        if body:
            head.append(("Content-Type", "text/plain;charset=UTF-8"))
        self.send(status, head, body)

    def _add_connection_header(self, headers: List[Tuple[str, str]]) -> None:
        # (send() writes the same as bytes: keep the two in step)
        if self._close_after:
            headers.append(_CLOSE)
        elif self.request.minor == 0:
            headers.append(_KEEP_ALIVE)
