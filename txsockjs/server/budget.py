"""The memory budget of one server (a port's factory, or a twisted.web site):
the bytes queued across all its sessions, with a limit.

Each session's send buffer is bounded (``send_buffer_limit``), but their sum
is not: many never-polled sessions, each sent up to its limit, would hold
that many times the limit.  Every send buffer of the server counts its bytes
in one :class:`MemoryBudget`; a send that takes the sum past
``max_buffered_bytes`` makes the session holding the most apply its own
``send_overflow`` policy (``"close"``: it closes with 1013, freeing all it
held; ``"drop_oldest"`` / ``"drop_newest"``: it drops messages), then the
next holding the most, until the sum is within the budget again.  A session
that keeps up holds next to nothing, so it is the last to be touched.

Finding the session holding the most scans the sessions; that happens only
past the limit, never on a send within it.  A session that drops (not one that
closes) drops at least a sixteenth of what it holds, not just the excess:
clients that do not read keep the budget full, and each send past it would
otherwise scan every session again (64 stalled WebSockets made each message of
a broadcast to 10k sessions cost a scan of all of them per stalled member).
"""

import collections
import itertools
from typing import TYPE_CHECKING, Any, Counter, Dict, Iterator, List, Optional, Union

from twisted.logger import Logger

from txsockjs.options import OptionError
from txsockjs.protocol.sendbuffer import Budget

if TYPE_CHECKING:
    from txsockjs.server.servicecore import Service

# 64 sessions at their default send_buffer_limit (1 MiB).
DEFAULT_MAX_BUFFERED_BYTES = 64 << 20

log = Logger(namespace="txsockjs.budget")


def check_max_buffered_bytes(value: Optional[int]) -> Optional[int]:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise OptionError("max_buffered_bytes",
                          "must be None (no budget) or a whole number of bytes >= 1, not %r"
                          % (value,))
    return value


class MemoryBudget(Budget):

    __slots__ = ("services", "overflows", "_shedding")

    def __init__(self, limit: Optional[int] = DEFAULT_MAX_BUFFERED_BYTES) -> None:
        Budget.__init__(self, check_max_buffered_bytes(limit))
        self.services: List["Service"] = []
        self.overflows: Counter[str] = collections.Counter()  # policy applied -> sessions
        self._shedding = False

    def shed(self) -> None:
        if self._shedding:
            # (a session closing, or its application, wrote to another one)
            return
        self._shedding = True
        try:
            while self.used > self.limit:
                holder = self._holding_the_most()
                if holder is None:
                    return
                excess = int(self.used - self.limit)
                policy = holder.buffer.policy
                if not self.overflows[policy]:
                    log.warn("More than max_buffered_bytes={limit} queued for the clients of this "
                             "server: the session holding the most ({size} bytes) applies its "
                             "send_overflow={policy} (logged once; see stats())",
                             limit=self.limit, size=holder.buffer.size, policy=policy)
                self.overflows[policy] += 1
                # (see the module's doc: a few scans per sixteenth of a buffer, at most)
                holder.over_budget(max(excess, holder.buffer.size >> 4))
        finally:
            self._shedding = False

    def _holding_the_most(self) -> Any:
        most: Any = None
        size = 0
        for session in self._sessions():
            held = session.buffer.size
            if held > size:
                most, size = session, held
        return most

    def _sessions(self) -> Iterator[Any]:
        # Open sessions, and closed ones still keeping messages for a last poll.
        for service in self.services:
            registry = service.registry
            yield from itertools.chain(registry.live, registry.by_id.values())

    def as_dict(self) -> Dict[str, Union[int, None, Dict[str, int]]]:
        return {
            "buffered_bytes": self.used,
            "max_buffered_bytes": None if self.limit == float("inf") else int(self.limit),
            "budget_overflows_total": {policy: n for policy, n in sorted(dict(self.overflows).items())
                                       if n},
        }
