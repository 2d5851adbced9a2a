"""Log lines a flood of bad clients could repeat without end (refusals, bad
requests, bad bodies), rate-limited so the flood cannot flood the log.

Each *kind* of line has a token bucket: ``per_second`` lines a second (and
a burst of as many).  Lines past that are counted, not logged; one second
after the first of them, one line says how many were suppressed.  So a kind
costs at most ``per_second + 1`` lines a second, whatever comes in.
"""

from typing import Any, Dict, List, Optional

from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure

PER_SECOND = 10


class QuietLog(object):

    __slots__ = ("_clock", "_rate", "_buckets")

    # ``clock`` provides IReactorTime (a zope interface: Any to mypy).
    def __init__(self, clock: Any, per_second: float = PER_SECOND) -> None:
        self._clock = clock
        self._rate = float(per_second)
        # kind -> [tokens, when last refilled, lines suppressed since the last report]
        self._buckets: Dict[str, List[float]] = {}

    def emit(self, logger: Logger, kind: str, format: str, /, level: LogLevel = LogLevel.info,
             failure: Optional[Failure] = None, **kwargs: Any) -> bool:
        """Log ``format`` on ``logger`` (a twisted.logger Logger) unless lines
        of ``kind`` came too fast; with ``failure``, as ``logger.failure``.
        True if it was logged."""
        now = self._clock.seconds()
        rate = self._rate
        bucket = self._buckets.get(kind)
        if bucket is None:
            bucket = self._buckets[kind] = [rate, now, 0]
        tokens = min(rate, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            if failure is not None:
                logger.failure(format, failure, level=level, **kwargs)
            else:
                logger.emit(level, format, **kwargs)
            return True
        bucket[0] = tokens
        if not bucket[2]:
            self._clock.callLater(1.0, self._report, logger, kind, level)
        bucket[2] += 1
        return False

    def _report(self, logger: Logger, kind: str, level: LogLevel) -> None:
        bucket = self._buckets[kind]
        count, bucket[2] = bucket[2], 0
        logger.emit(level, "Suppressed {count} similar messages ({kind}) in the last second",
                    count=count, kind=kind, suppressed=count)
