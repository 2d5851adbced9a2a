"""Deadlines that all share one delay, on one delayed call.

Items added with the same delay are due in the order they were added, so the queue keeps
them in that order and arms one delayed call for the earliest.  Re-arming an item moves it
to the end; dropping one just takes it out.  When the last one leaves, the delayed call
is cancelled, or, with ``cancel_when_empty=False`` (a queue that items enter and leave all
the time: the connections waiting for a request), left to run and find nothing: a
cancelled DelayedCall stays in the reactor's heap for a while, and arming one costs more
than an idle one that fires.  What this saves per item is a DelayedCall, its bound
method and its heap entry (about 450 bytes, and a heap push, on every session).

Time comes from an injected clock (``seconds`` and ``callLater``), as in the session.
"""

import collections
from typing import Any, Callable, Optional

# While the queue fires, ``_timer`` holds this: an item re-armed by its own callback
# must not arm a delayed call of its own (it would be later than the head's).
_FIRING = object()


class DeadlineQueue(object):
    """Calls ``due(item)`` once ``delay`` seconds have passed since ``add(item)``."""

    __slots__ = ("_clock", "delay", "_due", "_items", "_timer", "_cancel_when_empty", "_batch")

    # ``clock`` provides IReactorTime (seconds, callLater).  ``batch(fire)``, if given,
    # runs each firing (the server's flusher: what the items write leaves eagerly).
    def __init__(self, clock: Any, delay: float, due: Callable[[Any], None],
                 cancel_when_empty: bool = True,
                 batch: Optional[Callable[[Callable[[], None]], None]] = None) -> None:
        self._clock = clock
        self._batch = batch
        self._cancel_when_empty = cancel_when_empty
        self.delay = delay
        self._due = due
        # item -> its deadline, earliest first (OrderedDict: O(1) at both ends)
        self._items: "collections.OrderedDict[Any, float]" = collections.OrderedDict()
        self._timer: Any = None  # IDelayedCall, _FIRING or None

    def add(self, item: Any) -> None:
        """``item`` is due ``delay`` seconds from now (again, if it already was in)."""
        items = self._items
        if item in items:
            del items[item]
        items[item] = self._clock.seconds() + self.delay
        if self._timer is None:
            self._timer = self._clock.callLater(self.delay, self._expired)

    def discard(self, item: Any) -> None:
        """``item`` is no longer due (the last one out may take the delayed call with it)."""
        items = self._items
        if items.pop(item, None) is not None and not items and self._cancel_when_empty:
            timer = self._timer
            if timer is not None and timer is not _FIRING:
                self._timer = None
                timer.cancel()

    def __contains__(self, item: Any) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)

    def _expired(self) -> None:
        # From now until _fire has run (at once, or when the batch runs it) nothing
        # arms or cancels a delayed call: _fire arms the next one.
        self._timer = _FIRING
        if self._batch is None:
            self._fire()
        else:
            self._batch(self._fire)

    def _fire(self) -> None:
        items = self._items
        due = self._due
        try:
            now = self._clock.seconds()
            while items:
                item = next(iter(items))
                if items[item] > now:
                    break
                del items[item]
                due(item)
        finally:
            # An item that raised leaves the rest for the next turn (the reactor logs it).
            self._timer = None
            if items:
                head = items[next(iter(items))]
                self._timer = self._clock.callLater(max(0.0, head - self._clock.seconds()),
                                                    self._expired)
