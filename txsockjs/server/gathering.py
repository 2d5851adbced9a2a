"""Deliveries held back to the end of a batch, and the one check that keeps order.

A broadcast made while a batch is open (the read or reactor turn that caused it, see
servicecore.Flusher) is not written at once: the broker gathers its topics' messages and
``txsockjs.utils.broadcast`` its calls, and both deliver at the batch's end, one frame
per member, eagerly (see httpchannel/eagerwrite.py).  A session's own write in the same
batch, after such a broadcast, must not overtake it: ``SessionTransport.write`` (and
``Broker.send``) deliver what is held first.  The store is one per process: a broadcast
may reach the sessions of several sites, whatever batch holds it.
"""

from typing import Callable, List


class HeldDeliveries(object):
    """The deliveries waiting for the end of the batch, in the order they were held."""

    __slots__ = ("pending", "delivering")

    def __init__(self) -> None:
        # (a plain list: ``if HELD.pending`` is the whole check on the hot path, no call)
        self.pending: List[Callable[[], None]] = []
        # True while the held deliveries run (what they broadcast goes out at once).
        self.delivering = False

    def __bool__(self) -> bool:
        return bool(self.pending)

    def hold(self, deliver: Callable[[], None]) -> None:
        """``deliver()`` at the end of the batch, or before a session's own write."""
        self.pending.append(deliver)

    def deliver(self) -> None:
        """Run every held delivery now, in order (a Flusher task, or a write's check)."""
        if self.delivering:
            return
        self.delivering = True
        try:
            while self.pending:
                pending = self.pending
                self.pending = []
                for deliver in pending:
                    deliver()
        finally:
            self.delivering = False


HELD = HeldDeliveries()
