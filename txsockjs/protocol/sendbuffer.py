"""What one session holds for its client, in bytes, with a limit.

Messages wait here between polls, and while the socket carrying the session
is full (the session stops handing frames to a full socket, so what the
kernel and Twisted hold stays small and what we hold stays countable and
droppable message by message).

* ``limit`` bytes (UTF-8 payload) at most.  A message that would go past it
  meets the overflow policy: ``"close"`` (the session ends, see
  :data:`OVERFLOW_CLOSE`), ``"drop_newest"`` (that message is dropped) or
  ``"drop_oldest"`` (whole messages are dropped from the front until it
  fits).  Drops are counted.
* Half the limit is the high-water mark: ``pressure(True)`` is reported (the
  application's producer is paused) once it is reached, ``pressure(False)``
  once the buffer has been handed on.
* Every byte held is also counted in a :class:`Budget` shared by the buffers
  of one server (a port, a site): past its limit, the server makes the
  session holding the most apply its own overflow policy (see
  ``txsockjs.server.budget``).
"""

import math
from typing import Any, Dict, Generic, List, Optional, Tuple, TypeVar, Union, cast

POLICIES = ("close", "drop_oldest", "drop_newest")

# (code, reason) of the close frame when a session's buffer overflows under
# the "close" policy: 1013 is WebSocket's "try again later".
OVERFLOW_CLOSE: Tuple[int, str] = (1013, "Send buffer limit exceeded")


class BinaryMessage(bytes):
    """A binary message (the raw ``/websocket`` only), as a send buffer or a held list
    holds it beside the text messages (str, or UTF-8 bytes)."""

    __slots__ = ()


def utf8_size(message: "Union[str, bytes]") -> int:
    """The bytes a message takes on the wire (a binary message: its length)."""
    if isinstance(message, bytes):
        return len(message)
    return len(message.encode("utf-8"))


class Budget(object):
    """Bytes held by a group of send buffers (``used``), against ``limit``
    (``math.inf``: none).  A buffer adds to ``used`` whatever it holds; the
    owner of a send calls :meth:`shed` when ``used > limit``.  This one has
    nothing to shed: a server's budget knows its sessions."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: Optional[int] = None) -> None:
        self.limit: float = math.inf if limit is None else limit
        self.used = 0

    def shed(self) -> None:
        """Bring ``used`` back under ``limit``, if anything can."""


# What a buffer holds: str (SockJS sessions), or str and BinaryMessage (the raw endpoint).
M = TypeVar("M", bound=Union[str, bytes])


# What an empty buffer holds: the empty tuple, a list to the type checker (nothing is
# ever appended to it: the code looks whether the buffer holds something first).
EMPTY_QUEUE: List[Any] = cast(List[Any], ())

_HALVES: Dict[int, int] = {}


def _half(limit: int) -> int:
    """``limit // 2``, one int object per limit (a large int is an object of its own:
    32 bytes more on every session otherwise)."""
    half = _HALVES.get(limit)
    if half is None:
        if len(_HALVES) > 64:
            _HALVES.clear()
        half = _HALVES[limit] = limit // 2
    return half


class SendBuffer(Generic[M]):

    __slots__ = ("messages", "head", "size", "limit", "high_water", "policy", "dropped",
                 "pressured", "budget")

    def __init__(self, limit: int, policy: str = "close", budget: Optional[Budget] = None) -> None:
        # An empty buffer holds the shared empty tuple, not a list of its own (an
        # idle session's buffer is empty nearly all the time).
        self.messages: List[M] = EMPTY_QUEUE
        # Under "drop_oldest", messages[:head] were dropped (None now) and are cut out of
        # the list only once they are half of it: cutting them one message at a time moved
        # the whole list on every message once it was full (7.7 us a message with 52k
        # queued: a client that stops reading made each send 60 times dearer).  While the
        # list is not empty, at least one message in it is live.
        self.head = 0
        self.size = 0
        self.limit = limit
        self.high_water = _half(limit)
        self.policy = policy
        self.dropped = 0
        self.pressured = False
        self.budget = budget if budget is not None else Budget()

    def __len__(self) -> int:
        return len(self.messages) - self.head

    def __bool__(self) -> bool:
        return bool(self.messages)

    def add(self, message: M, size: int) -> bool:
        """Queue ``message`` (``size`` bytes).  True if it was queued; False
        if the policy dropped it or the session must close (``policy ==
        "close"``: the caller closes)."""
        total = self.size + size
        if total > self.limit:
            if self.policy == "close":
                return False
            if self.policy == "drop_newest" or size > self.limit:
                self.dropped += 1
                return False
            messages = self.messages  # (not empty: a list)
            head = self.head
            while total > self.limit:
                total -= utf8_size(messages[head])
                messages[head] = None  # type: ignore[call-overload]  # (dropped)
                head += 1
                self.dropped += 1
            self._cut(head)
        if self.messages:
            self.messages.append(message)  # (not empty: a list)
        else:
            self.messages = [message]
        self.budget.used += total - self.size
        self.size = total
        return True

    def _cut(self, head: int) -> None:
        """``messages[:head]`` are dropped: cut them out once they are half the list."""
        messages = self.messages
        if head > len(messages) >> 1:
            del messages[:head]
            head = 0
        self.head = head

    def queued(self) -> List[M]:
        """The messages held, oldest first (a new list)."""
        return list(self.messages[self.head:])

    def take(self) -> List[M]:
        """Everything queued, oldest first; the buffer is empty after."""
        messages = self.messages
        if self.head:
            messages = messages[self.head:]
            self.head = 0
        self.messages = EMPTY_QUEUE
        self.budget.used -= self.size
        self.size = 0
        return messages

    def clear(self) -> None:
        self.messages = EMPTY_QUEUE
        self.head = 0
        self.budget.used -= self.size
        self.size = 0

    def kept_after_shedding(self, message: M) -> bool:
        """The budget is exceeded just after ``message`` was queued: have it
        shed (this buffer may hold the most); True if ``message`` is still here."""
        self.budget.shed()
        return bool(self.messages) and self.messages[-1] is message

    def shed(self, excess: int) -> int:
        """Drop whole messages until ``excess`` bytes are freed or none is
        left: the oldest first under ``"drop_oldest"``, else the newest.
        Returns how many were dropped."""
        messages = self.messages
        if not messages:
            return 0
        head = self.head
        freed = count = 0
        oldest = self.policy == "drop_oldest"
        while freed < excess and head + count < len(messages):
            count += 1
            freed += utf8_size(messages[head + count - 1 if oldest else -count])
        if oldest:
            messages[head:head + count] = [None] * count  # type: ignore[list-item]  # (dropped)
            self._cut(head + count)
        else:
            del messages[len(messages) - count:]
        self.size -= freed
        self.budget.used -= freed
        self.dropped += count
        return count

    def above_high_water(self) -> bool:
        return self.size >= self.high_water


class IdleSendBuffer(SendBuffer[M]):
    """The empty buffer the sessions of one service share until they queue their first
    message: an idle session then keeps no buffer of its own (an object, and one more for
    every collection of the cyclic GC to visit).  Its ``limit`` is -1, so the first
    message meets the session's overflow check, which gives the session its own buffer
    (:meth:`own`) instead: the path of every later message is unchanged.  Nothing else
    writes to it: the session reads, clears and sheds it only while it is empty."""

    __slots__ = ("own_limit",)

    def __init__(self, limit: int, policy: str = "close", budget: Optional[Budget] = None) -> None:
        SendBuffer.__init__(self, limit, policy, budget)
        self.own_limit = limit
        self.limit = -1

    def own(self) -> SendBuffer[M]:
        """A new, empty buffer of these settings, for one session."""
        return SendBuffer(self.own_limit, self.policy, self.budget)
