"""HTTP/1.x requests in, response heads out.

Both are kernels (``txsockjs._speedups``: compiled, or their pure-Python twins
``httpreader_py`` and ``httpresponse_py``): :class:`RequestReader` is fed bytes as
they arrive and hands out one complete :class:`Request` at a time, strictly (a
violation raises :class:`HTTPError` with the status to answer); the response
kernel makes heads and chunks.  What is here is the error head of a refused
request.
"""

from txsockjs._speedups import (HTTPError, LAST_CHUNK, MAX_HEAD, MAX_REQUEST_LINE, Request,
                                RequestReader, chunk, connection_tokens, head_lines,
                                response_head)
from txsockjs._speedups.httpresponse_py import MAX_CACHED_HEADS
from txsockjs._speedups.statuses import NOSNIFF, REASONS

__all__ = ["HTTPError", "MAX_HEAD", "MAX_REQUEST_LINE", "Request", "RequestReader",
           "connection_tokens", "REASONS", "NOSNIFF", "response_head", "head_lines",
           "error_head", "chunk", "LAST_CHUNK", "MAX_CACHED_HEADS"]


def error_head(status: int, length: int) -> bytes:
    """The head of a plain-text error response that closes the connection."""
    return response_head(status, [
        ("Content-Type", "text/plain;charset=UTF-8"), ("Cache-Control", "no-store"),
        ("Content-Length", str(length)), ("Connection", "close")])
