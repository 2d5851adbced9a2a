"""What a server counts, as plain ints, always (no extra needed).

One :class:`ServiceStats` per service, updated where things happen; one
:class:`HTTPErrorStats` per factory.  ``factory.stats()`` reads them as a
plain dict, and ``txsockjs.metrics`` (prometheus-client) reads the same
numbers at scrape time, so the hot path never touches Prometheus objects.

The per-message counters are plain attributes (``messages_in`` ...), so a
message costs an integer add, not a dict lookup or a call; everything else
is counted per session or per refusal and uses small dicts.
"""

import collections
from typing import Any, Counter, Dict

from txsockjs.handshake import TRANSPORT_NAMES
from txsockjs.protocol import session as states
from txsockjs.protocol.sendbuffer import POLICIES

# The label values each counter knows in advance (txsockjs.metrics exposes
# them at 0 from the start).
CLOSE_REASONS = (states.CLOSED_BY_APP, states.CLOSED_BY_CLIENT, states.APP_FAILED,
                 states.INTERRUPTED, states.TIMED_OUT, states.OVERFLOW, states.SHUTDOWN)
# Why a session, or a later request of one, is refused (Service.refused).
REJECT_REASONS = ("origin", "authorize", "limit", "draining", "binding", "app_refused",
                  "authorize_timeout", "authorize_error", "sends_waiting")

__all__ = ["ServiceStats", "HTTPErrorStats", "CLOSE_REASONS", "POLICIES", "REJECT_REASONS",
           "TRANSPORT_NAMES"]


class ServiceStats(object):
    """The counters of one service (one prefix)."""

    __slots__ = ("sessions", "opened", "closed", "messages_in", "messages_out", "bytes_in",
                 "bytes_out", "overflows", "rejected")

    def __init__(self) -> None:
        # Counted on every opening and closing: plain dicts of every label, not Counters
        # (a Counter's item costs three times a dict's).
        self.sessions: Dict[str, int] = dict.fromkeys(TRANSPORT_NAMES, 0)  # transport -> open now
        self.opened: Dict[str, int] = dict.fromkeys(TRANSPORT_NAMES, 0)    # transport -> opened
        self.closed: Dict[str, int] = dict.fromkeys(CLOSE_REASONS, 0)      # why -> closed
        # client -> application (in) and application -> client (out)
        self.messages_in = 0
        self.messages_out = 0
        self.bytes_in = 0                       # UTF-8 payload bytes
        self.bytes_out = 0
        self.overflows: Counter[str] = collections.Counter()  # send_overflow policy -> count
        self.rejected: Counter[str] = collections.Counter()   # why a session was refused -> count

    def session_opened(self, transport: str) -> None:
        self.sessions[transport] += 1
        self.opened[transport] += 1

    def session_closed(self, transport: str, why: str) -> None:
        self.sessions[transport] -= 1
        closed = self.closed
        closed[why] = closed.get(why, 0) + 1  # (a reason of the application's own, too)

    def as_dict(self) -> Dict[str, Dict[str, int]]:
        return {
            "sessions": _nonzero(self.sessions),
            "sessions_opened_total": _nonzero(self.opened),
            "sessions_closed_total": _nonzero(self.closed),
            "messages_total": {"in": self.messages_in, "out": self.messages_out},
            "bytes_total": {"in": self.bytes_in, "out": self.bytes_out},
            "send_overflows_total": _nonzero(self.overflows),
            "rejected_total": _nonzero(self.rejected),
        }


class HTTPErrorStats(object):
    """Every response with a status >= 400 the server sent, by status."""

    __slots__ = ("by_status",)

    def __init__(self) -> None:
        self.by_status: Counter[int] = collections.Counter()

    def count(self, status: int) -> None:
        if status >= 400:
            self.by_status[status] += 1

    def as_dict(self) -> Dict[str, int]:
        return {str(status): n for status, n in sorted(self.by_status.items()) if n}


def _nonzero(counter: Dict[Any, int]) -> Dict[Any, int]:
    # dict() copies in one step: prometheus-client's Twisted resource reads
    # these from a thread of the reactor's pool while the reactor counts.
    return {key: n for key, n in sorted(dict(counter).items()) if n}
