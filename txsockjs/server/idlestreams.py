"""Releasing the zlib streams of compressed WebSockets that have gone quiet.

A deflate stream pair costs tens of KiB per connection (see
:mod:`txsockjs.protocol.deflate`); most connections of a chat or a feed are idle most of
the time.  One timer per service, not one per connection: every ``interval`` seconds the
sweep asks each watched extension whether a message passed since the last sweep, and
those that saw none free their streams (keeping the last window of plaintext).  A
connection is thus released after between one and two intervals of silence, and a
message costs one attribute store (``active = True``), never a timer reset.
"""

from typing import Any, Iterable, Optional, Set

from txsockjs.server import heaptrim


class IdleStreams(object):
    """The compressed connections of one service, swept on ``clock``."""

    def __init__(self, clock: Any, interval: float) -> None:
        self.clock = clock
        self.interval = interval
        # The extensions (anything with ``idle()``) of the connections that are open.
        self.watched: Set[Any] = set()
        self._call: Optional[Any] = None  # an IDelayedCall while anything is watched

    def watch(self, extensions: Iterable[Any]) -> None:
        for extension in extensions:
            if callable(getattr(extension, "idle", None)):
                self.watched.add(extension)
        if self.watched and self._call is None:
            self._call = self.clock.callLater(self.interval, self.sweep)

    def forget(self, extensions: Iterable[Any]) -> None:
        for extension in extensions:
            self.watched.discard(extension)
        if not self.watched and self._call is not None:
            if self._call.active():
                self._call.cancel()
            self._call = None

    def sweep(self) -> None:
        self._call = None
        freed = 0
        for extension in self.watched:
            held = not getattr(extension, "released", True)
            extension.idle()
            if held and getattr(extension, "released", False):
                freed += 1
        if freed:
            heaptrim.trim_heap()  # (so that RSS goes down too: see heaptrim.py)
        if self.watched:
            self._call = self.clock.callLater(self.interval, self.sweep)
