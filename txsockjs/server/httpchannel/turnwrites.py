"""Complete HTTP responses leave together, at the end of the reactor turn that made them.

A reactor turn handles every connection the poll found readable: with ten xhr clients that
is several requests a turn.  Written one by one as each request is handled, every response
wakes its client on its own (on loopback a cross-CPU wakeup, the largest kernel cost of a
small request: 2-3x what the send itself costs); written back to back at the end of the
turn, a client still waking up finds the rest already there, and the sends run together
while the kernel's paths are warm.  Measured on xhr-cycle-10 (benchmarks/e2e): the server's
kernel share fell from 29% to 20% of its CPU, requests per server CPU-second rose by a
third, and the round trip got shorter, not longer (the turn is short: the requests' own
handling).

Holding costs a delayed call a turn, which only pays when the turn has other reads: after a
turn whose held responses came from its only read (one client at a time), the next
``SKIP_AFTER_A_LONE_READ`` responses go at once, and then holding is tried again.

What the channel holds is always whole responses, in order; anything else it writes (a
WebSocket's 101, a streaming head, a close) sends what it holds first, so nothing on a
connection is reordered (see HTTPChannel.write).  A connection that closes drops what it
held with the rest of its output.
"""

from typing import Any, List

SKIP_AFTER_A_LONE_READ = 64
# The most a connection holds: many pipelined requests answered in one read send their
# responses as this fills (see HTTPChannel.write_whole_response).
HOLD_AT_MOST = 16 * 1024


class TurnWrites(object):
    """The channels holding responses for the end of this turn; one delayed call a turn.

    ``reads`` counts the site's HTTP reads (each channel adds one as it reads request
    bytes; a WebSocket's reads make no whole responses, and their hot path stays as it
    was)."""

    __slots__ = ("_clock", "_channels", "_call", "reads", "_reads_at_hold", "_skip")

    def __init__(self, clock: Any) -> None:
        self._clock = clock  # IReactorTime
        self._channels: List[Any] = []
        self._call: Any = None  # IDelayedCall
        self.reads = 0
        self._reads_at_hold = 0
        self._skip = 0

    def hold(self, channel: Any) -> bool:
        """True: ``channel`` holds its response until the end of the turn (then
        ``channel.send_held()``); False: it sends it now."""
        if self._call is None:
            if self._skip:
                self._skip -= 1
                return False
            self._reads_at_hold = self.reads
            self._call = self._clock.callLater(0, self._send)
        self._channels.append(channel)
        return True

    def _send(self) -> None:
        self._call = None
        if self.reads == self._reads_at_hold:
            self._skip = SKIP_AFTER_A_LONE_READ
        channels, self._channels = self._channels, []
        for channel in channels:
            channel.send_held()
