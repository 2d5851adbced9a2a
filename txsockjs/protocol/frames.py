"""SockJS frames: the fixed ones, and the kernels that build the others."""

from txsockjs._speedups import (  # noqa: F401  (re-exported)
    PayloadError, decode_messages, encode_messages, quote,
    wrap_eventsource, wrap_htmlfile, wrap_jsonp,
)
from txsockjs._speedups.constants import HEARTBEAT_FRAME as HEARTBEAT, OPEN_FRAME as OPEN

__all__ = [
    "PayloadError", "decode_messages", "encode_close", "encode_messages", "quote",
    "wrap_eventsource", "wrap_htmlfile", "wrap_jsonp", "OPEN", "HEARTBEAT", "CLOSE_GO_AWAY",
    "CLOSE_ANOTHER_CONNECTION", "CLOSE_INTERRUPTED", "CLOSE_SHUTDOWN",
]



def encode_close(code: int, reason: str) -> bytes:
    """The ``c[code,"reason"]`` frame, as bytes."""
    return ("c[%d,%s]" % (code, quote(reason))).encode("utf-8")


CLOSE_GO_AWAY = encode_close(3000, "Go away!")
CLOSE_ANOTHER_CONNECTION = encode_close(2010, "Another connection still open")
CLOSE_INTERRUPTED = encode_close(1002, "Connection interrupted")
CLOSE_SHUTDOWN = encode_close(1001, "Server shutting down")
