"""One connection's outgoing raw-deflate stream for permessage-deflate: the pure twin.

:class:`Deflater` compresses one message at a time, each ending with a sync flush whose
empty stored block (``00 00 ff ff``, RFC 7692 7.2.1) is removed, over one LZ77 window kept
from message to message (context takeover).  ``window()`` is the plaintext the next
message may refer back to: what a rebuilt stream needs as its preset dictionary after
the idle release.  The compiled twin (``deflate_c.pyx``) calls zlib's C API itself; its
output may differ (it picks zlib's fixed-Huffman strategy for short messages), but both
are valid deflate that inflate to the same plaintext.
"""

import zlib

__all__ = ["Deflater", "remember"]

_SYNC = zlib.Z_SYNC_FLUSH


class Deflater(object):
    """A raw-deflate stream (``level``, a ``bits`` window, ``mem_level``), optionally
    started over ``zdict`` (the window of an earlier stream)."""

    __slots__ = ("_stream", "_history", "_bits")

    def __init__(self, level: int, bits: int, mem_level: int, zdict: bytes = b"") -> None:
        self._bits = bits
        self._history = bytearray(zdict)
        if zdict:
            self._stream = zlib.compressobj(level, zlib.DEFLATED, -bits, mem_level, zdict=zdict)
        else:
            self._stream = zlib.compressobj(level, zlib.DEFLATED, -bits, mem_level)

    def compress(self, data: bytes) -> bytes:
        """One message, compressed and sync-flushed, without the final ``00 00 ff ff``."""
        stream = self._stream
        out = stream.compress(data) + stream.flush(_SYNC)
        remember(self._history, data, self._bits)
        return out[:-4]

    def window(self) -> bytes:
        """The last window of plaintext (at most ``1 << bits`` bytes)."""
        return bytes(self._history[-(1 << self._bits):])


def remember(history: bytearray, data: bytes, bits: int) -> None:
    """Keep the last window of plaintext, in amortised O(len(data)): trimmed only when
    twice the window has gathered."""
    history += data
    window = 1 << bits
    if len(history) > 2 * window:
        del history[:-window]
