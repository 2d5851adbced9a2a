"""When each connection waiting for a request must have sent it: one timer for a whole
site, not one per connection.

Every connection has the same timeout, so a :class:`DeadlineQueue` holds them: the
connections waiting, in the order they started waiting, are also in the order of their
deadlines.  A connection that stops waiting (a request came, it became a WebSocket, it
closed) just leaves the queue and no timer is cancelled, so an idle WebSocket holds no
timer of the channel's, and a keep-alive connection serving thousands of polls arms none.
"""

from typing import Any

from twisted.logger import Logger, LogLevel

from txsockjs.protocol.deadlinequeue import DeadlineQueue

log = Logger(namespace="txsockjs.http")


def _time_out(connection: Any) -> None:
    try:
        connection.request_timed_out()
    except Exception:
        # One connection's failure must not keep the others open.
        log.failure("Error while timing out a connection", level=LogLevel.error)


class RequestDeadlines(DeadlineQueue):
    """Calls ``request_timed_out()`` of a connection that waited ``timeout`` seconds for a
    request.  A connection waits from ``add(connection)`` (again, if it already did) until
    ``discard(connection)``."""

    __slots__ = ()

    def __init__(self, clock: Any, timeout: float) -> None:
        DeadlineQueue.__init__(self, clock, timeout, _time_out, cancel_when_empty=False)
