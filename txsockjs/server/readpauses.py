"""Why a connection stopped reading its socket, shared by every wire.

Several reasons can hold reading at once ("write": the peer does not read what we send;
"pipeline": requests wait behind a long response; "app": the application paused the
client's messages; "inflate": a read's compressed messages are still being inflated, a
part a turn).  The socket pauses at the first reason and resumes when none is left.
The reasons are bits of one int the wire keeps: a set (and an object to hold it) per
connection would cost more than the rest of an idle WebSocket's wire.
"""

from typing import Any

WRITE, PIPELINE, APP, INFLATE = 1, 2, 4, 8
_BITS = {"write": WRITE, "pipeline": PIPELINE, "app": APP, "inflate": INFLATE}


# ``transport`` is an IPushProducer (the connection's transport).
def pause(transport: Any, reasons: int, reason: str) -> int:
    """The reasons after adding ``reason``; the transport pauses at the first one."""
    if not reasons:
        transport.pauseProducing()
    return reasons | _BITS[reason]


def resume(transport: Any, reasons: int, reason: str, closing: bool = False) -> int:
    """The reasons after dropping ``reason``; the transport reads again when it was the
    last one (never while closing)."""
    bit = _BITS[reason]
    if reasons & bit:
        reasons &= ~bit
        if not reasons and not closing:
            transport.resumeProducing()
    return reasons
