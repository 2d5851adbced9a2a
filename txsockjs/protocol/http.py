"""HTTP/1.x requests in, response heads out.

The request reader is a kernel (``txsockjs._speedups``: compiled, or its
pure-Python twin ``httpreader_py``): :class:`RequestReader` is fed bytes as they
arrive and hands out one complete :class:`Request` at a time, strictly (a
violation raises :class:`HTTPError` with the status to answer).  What is here
makes response heads.
"""

from http import HTTPStatus
from typing import Dict, Iterable, Tuple

from txsockjs._speedups import (HTTPError, MAX_HEAD, MAX_REQUEST_LINE, Request, RequestReader,
                                connection_tokens)

__all__ = ["HTTPError", "MAX_HEAD", "MAX_REQUEST_LINE", "Request", "RequestReader",
           "connection_tokens", "REASONS", "NOSNIFF", "response_head", "head_lines",
           "error_head", "chunk", "LAST_CHUNK"]

# Every status the standard library knows, so a status added anywhere in the
# server goes out with its phrase (a missing one once sent "426 Unknown").
# RFC 9110 renamed four; Python 3.13 uses the new names, older Pythons the old
# ones: we send the RFC 9110 names on every Python.
REASONS = {status.value: status.phrase for status in HTTPStatus}
REASONS.update({413: "Content Too Large", 414: "URI Too Long",
                416: "Range Not Satisfiable", 422: "Unprocessable Content"})


# On every response: no browser may guess a type for our bodies (a jsonp
# callback or an echoed message must never run as a script or page).
NOSNIFF = "X-Content-Type-Options: nosniff"


def response_head(status: int, headers: Iterable[Tuple[str, str]]) -> bytes:
    """The bytes of a response head; ``headers`` is a list of (name, value)."""
    return _head_lines(status, headers) + b"\r\n"


def _head_lines(status: int, headers: Iterable[Tuple[str, str]]) -> bytes:
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
MAX_CACHED_HEADS = 256


def head_lines(status: int, headers: Tuple[Tuple[str, str], ...]) -> bytes:
    """The status line and ``headers`` as bytes, each line ended by CRLF (the
    head's end, the empty line, not included); remembered."""
    key = (status, headers)
    lines = _HEAD_LINES.get(key)
    if lines is None:
        lines = _head_lines(status, headers)
        if len(_HEAD_LINES) >= MAX_CACHED_HEADS:
            _HEAD_LINES.clear()
        _HEAD_LINES[key] = lines
    return lines


def error_head(status: int, length: int) -> bytes:
    """The head of a plain-text error response that closes the connection."""
    return response_head(status, [
        ("Content-Type", "text/plain;charset=UTF-8"), ("Cache-Control", "no-store"),
        ("Content-Length", str(length)), ("Connection", "close")])


def chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk."""
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"
