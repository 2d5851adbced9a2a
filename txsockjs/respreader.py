"""An incremental reader of Redis replies (RESP2): bytes in, complete replies out.

The RedisBroker's subscriber connection reads with this instead of txredisapi's
line reader, which hands each bulk string's remainder to the next reactor turn
(``callLater(0)``): a read holding 200 published messages took 200 turns, so
every message left as a frame and a socket write per session.  Here one
``feed`` returns every reply the bytes complete, and the broker delivers them
in one pass.

Replies: ``+`` -> str, ``-`` -> :class:`RespError` (the caller decides what an
error is to it), ``:`` -> int, ``$`` -> bytes (None for ``$-1``), ``*`` ->
list (None for ``*-1``).  Bulk payloads stay bytes: nothing is guessed (no
"looks like a number" conversion).  Anything else is a :class:`ProtocolError`:
the connection cannot be trusted past it.
"""

from typing import Any, List, Tuple

__all__ = ["ProtocolError", "RespError", "RespReader"]

# A line (status, error, integer, length) longer than this is not Redis.
MAX_LINE = 64 * 1024
# Redis's own limit on a string.
MAX_BULK = 512 * 1024 * 1024
MAX_DEPTH = 16


class ProtocolError(Exception):
    """The bytes are not RESP2."""


class RespError(Exception):
    """An error reply (``-ERR ...``) from Redis."""


class _Incomplete(Exception):
    """The buffer ends inside a reply; ``need``: bytes the buffer needs at least."""

    def __init__(self, need: int) -> None:
        self.need = need


class RespReader(object):
    __slots__ = ("_buffer", "_need")

    def __init__(self) -> None:
        self._buffer = b""
        # Do not parse again before the buffer is this long: a big reply
        # arriving in many reads is parsed once, not once per read.
        self._need = 0

    def feed(self, data: bytes) -> List[Any]:
        """Every reply that ``data`` completes, in order."""
        buffer = self._buffer + data if self._buffer else bytes(data)
        if len(buffer) < self._need:
            self._buffer = buffer
            return []
        replies: List[Any] = []
        position = 0
        end = len(buffer)
        try:
            while position < end:
                reply, position = _parse(buffer, position, 0)
                replies.append(reply)
            self._need = 0
        except _Incomplete as incomplete:
            self._need = incomplete.need - position
        self._buffer = buffer[position:]
        return replies


def _line(buffer: bytes, position: int) -> Tuple[bytes, int]:
    """The line starting at ``position`` (without its CRLF) and where the next begins."""
    crlf = buffer.find(b"\r\n", position, position + MAX_LINE + 2)
    if crlf < 0:
        if len(buffer) - position > MAX_LINE:
            raise ProtocolError("a reply line longer than %d bytes" % MAX_LINE)
        raise _Incomplete(len(buffer) + 1)
    return buffer[position:crlf], crlf + 2


def _integer(text: bytes) -> int:
    try:
        return int(text)
    except ValueError:
        raise ProtocolError("not an integer: %r" % (text[:40],))


def _parse(buffer: bytes, position: int, depth: int) -> Tuple[Any, int]:
    if position >= len(buffer):
        raise _Incomplete(position + 1)
    kind = buffer[position]
    line, after = _line(buffer, position + 1)
    if kind == 0x24:  # $ bulk string
        length = _integer(line)
        if length == -1:
            return None, after
        if not 0 <= length <= MAX_BULK:
            raise ProtocolError("bad bulk length %d" % length)
        stop = after + length
        if len(buffer) < stop + 2:
            raise _Incomplete(stop + 2)
        if buffer[stop:stop + 2] != b"\r\n":
            raise ProtocolError("a bulk string not followed by CRLF")
        return buffer[after:stop], stop + 2
    if kind == 0x2a:  # * array
        count = _integer(line)
        if count == -1:
            return None, after
        if count < 0 or depth >= MAX_DEPTH:
            raise ProtocolError("bad array (length %d, depth %d)" % (count, depth))
        items = []
        for _ in range(count):
            item, after = _parse(buffer, after, depth + 1)
            items.append(item)
        return items, after
    if kind == 0x3a:  # : integer
        return _integer(line), after
    if kind == 0x2b:  # + status
        return line.decode("utf-8", "replace"), after
    if kind == 0x2d:  # - error
        return RespError(line.decode("utf-8", "replace")), after
    raise ProtocolError("unknown reply type %r" % (bytes([kind]),))
