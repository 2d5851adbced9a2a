"""Why a connection stopped reading its socket, shared by every wire.

Several reasons can hold reading at once ("write": the peer does not read what we send;
"pipeline": requests wait behind a long response; "app": the application paused the
client's messages).  The socket pauses at the first reason and resumes when none is left.
"""

from typing import Any, Set


class ReadPauses(object):
    __slots__ = ("transport", "reasons")

    def __init__(self, transport: Any) -> None:
        self.transport = transport  # an IPushProducer (the connection's transport)
        self.reasons: Set[str] = set()

    def pause(self, reason: str) -> None:
        if not self.reasons:
            self.transport.pauseProducing()
        self.reasons.add(reason)

    def resume(self, reason: str, closing: bool = False) -> None:
        """Drop ``reason``; read again when it was the last one (never while closing)."""
        reasons = self.reasons
        if reason in reasons:
            reasons.discard(reason)
            if not reasons and not closing:
                self.transport.resumeProducing()
