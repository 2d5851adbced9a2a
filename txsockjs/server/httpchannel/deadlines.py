"""When each connection waiting for a request must have sent it: one timer for a whole
site, not one per connection.

Every connection has the same timeout, so the connections waiting, kept in the order
they started waiting, are also in the order of their deadlines: one delayed call for the
earliest is enough.  A connection that stops waiting (a request came, it became a
WebSocket, it closed) just leaves the queue; no timer is cancelled, so an idle WebSocket
holds no timer of the channel's (a cancelled DelayedCall stays in the reactor's heap),
and a keep-alive connection serving thousands of polls arms none.
"""

import collections
from typing import Any, Callable

from twisted.logger import Logger, LogLevel

log = Logger(namespace="txsockjs.http")


class RequestDeadlines(object):
    """Calls ``timed_out()`` of a connection that waited ``timeout`` seconds for a request."""

    __slots__ = ("_clock", "_timeout", "_waiting", "_timer")

    def __init__(self, clock: Any, timeout: float) -> None:
        self._clock = clock  # IReactorTime
        self._timeout = timeout
        # connection -> its deadline, earliest first (OrderedDict: O(1) at both ends)
        self._waiting: "collections.OrderedDict[Any, float]" = collections.OrderedDict()
        self._timer: Any = None  # IDelayedCall

    def wait(self, connection: Any) -> None:
        """``connection`` waits for a request from now on (again, if it already did)."""
        waiting = self._waiting
        if connection in waiting:
            del waiting[connection]
        waiting[connection] = self._clock.seconds() + self._timeout
        if self._timer is None:
            self._timer = self._clock.callLater(self._timeout, self._fire)

    def stop(self, connection: Any) -> None:
        """``connection`` no longer waits (its timer, if the earliest, is left to run)."""
        self._waiting.pop(connection, None)

    def waiting(self, connection: Any) -> bool:
        return connection in self._waiting

    def __len__(self) -> int:
        return len(self._waiting)

    def _fire(self) -> None:
        self._timer = None
        clock = self._clock
        waiting = self._waiting
        now = clock.seconds()
        while waiting:
            connection = next(iter(waiting))
            deadline = waiting[connection]
            if deadline > now:
                self._timer = clock.callLater(deadline - now, self._fire)
                return
            del waiting[connection]
            timed_out: Callable[[], None] = connection.request_timed_out
            try:
                timed_out()
            except Exception:
                # One connection's failure must not keep the others open.
                log.failure("Error while timing out a connection", level=LogLevel.error)
