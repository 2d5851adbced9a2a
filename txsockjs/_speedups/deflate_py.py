"""One connection's two raw-deflate streams for permessage-deflate: the pure twin.

:class:`Deflater` compresses one message at a time, each ending with a sync flush whose
empty stored block (``00 00 ff ff``, RFC 7692 7.2.1) is removed, over one LZ77 window kept
from message to message (context takeover).  ``window()`` is the plaintext the next
message may refer back to: what a rebuilt stream needs as its preset dictionary after
the idle release.  The compiled twin (``deflate_c.pyx``) calls zlib's C API itself; its
output may differ (it picks zlib's fixed-Huffman strategy for short messages), but both
are valid deflate that inflate to the same plaintext.

:class:`Inflater` inflates the peer's messages: each bounded by the message's remaining
budget (a deflate bomb stops one byte past it and is refused with 1009 while it arrives),
the ``00 00 ff ff`` tail put back at the end of a message, a final block (7.2.3.4) followed
by a new stream over the same history, and ``window()`` as for the Deflater.
"""

import zlib

from typing import Optional, Tuple

from txsockjs._speedups.constants import (CLOSE_INVALID_DATA, CLOSE_PROTOCOL_ERROR,
                                          CLOSE_TOO_BIG, RSV1)
from txsockjs._speedups.kernelerrors import WebSocketError

__all__ = ["Deflater", "EncoderBase", "Inflater", "only_the_empty_block", "remember"]

_SYNC = zlib.Z_SYNC_FLUSH
# RFC 7692 7.2.1: the empty stored block a sync flush ends with, removed from every
# compressed message and put back before inflating it.
TAIL = b"\x00\x00\xff\xff"
# The most one zlib call inflates at a time: a bomb never gets one allocation the size of
# the budget (that would be served by mmap, then raise glibc's mmap threshold and stay in
# the heap).
CHUNK = 64 * 1024


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


class Inflater(object):
    """A raw-inflate stream with a ``bits`` window, optionally started over ``zdict``."""

    __slots__ = ("_stream", "_history", "_bits")

    def __init__(self, bits: int, zdict: bytes = b"") -> None:
        self._bits = bits
        self._history = bytearray(zdict)
        self._stream = _decompressobj(bits, zdict)

    def inflate(self, data: bytes, fin: bool, budget: int) -> bytes:
        """One frame of a message, inflated (``fin``: the message's last, so the tail goes
        back on); at most ``budget`` bytes (0 <= budget < 2**62: the compiled twin takes a
        C integer), or WebSocketError(1009) before producing more; WebSocketError(1007)
        for what is not deflate data."""
        stream = self._stream
        if fin:
            try:
                data = data + TAIL
            except TypeError:   # (a memoryview)
                data = bytes(data) + TAIL
        try:
            # max_length is at least 1 (0 would mean "no limit")
            out = stream.decompress(data, min(budget + 1, CHUNK))
            if len(out) == CHUNK:
                out = _inflate_rest(stream, out, budget)
            elif len(out) > budget:
                raise WebSocketError(CLOSE_TOO_BIG, "message over the size limit (inflated)")
        except zlib.error as error:
            # Not deflate data: a bad client, failed like bad UTF-8 (RFC 6455 7.4.1).
            raise WebSocketError(CLOSE_INVALID_DATA, "invalid compressed data (%s)" % (error,))
        remember(self._history, out, self._bits)
        if stream.eof:
            # A final deflate block (7.2.3.4 allows it): the next frame starts a new
            # stream over the same history.
            if not only_the_empty_block(stream.unused_data, fin):
                raise WebSocketError(CLOSE_PROTOCOL_ERROR, "data after the final deflate block")
            self._stream = _decompressobj(self._bits, self.window())
        return out

    def window(self) -> bytes:
        """The last window of plaintext (at most ``1 << bits`` bytes)."""
        return bytes(self._history[-(1 << self._bits):])


def only_the_empty_block(after: bytes, fin: bool) -> bool:
    """Is ``after`` (what follows a final block: in a message's last frame, with the tail
    put back) only what RFC 7692 7.2.1 leaves there?  The sender appends an empty stored
    block and removes its last four bytes, so a message's last frame may end with that
    block's header byte (BTYPE 00: when the final block filled its last byte, as in the
    RFC's own "Hello" example of 7.2.3.4, ``f3 48 cd c9 c9 07 00 00``); anything else is
    garbage."""
    if not fin:
        return not after
    return len(after) <= len(TAIL) or (len(after) == len(TAIL) + 1 and not after[0] & 0x06)


def _decompressobj(bits: int, zdict: bytes) -> "zlib._Decompress":
    return zlib.decompressobj(-bits, zdict=zdict) if zdict else zlib.decompressobj(-bits)


def _inflate_rest(stream: "zlib._Decompress", first: bytes, budget: int) -> bytes:
    pieces = [first]
    size = len(first)
    if size > budget:
        raise WebSocketError(CLOSE_TOO_BIG, "message over the size limit (inflated)")
    while True:
        piece = stream.decompress(stream.unconsumed_tail, min(budget + 1 - size, CHUNK))
        size += len(piece)
        if size > budget:
            raise WebSocketError(CLOSE_TOO_BIG, "message over the size limit (inflated)")
        if not piece:
            return b"".join(pieces)
        pieces.append(piece)


class EncoderBase(object):
    """The message path of PerMessageDeflate.encode (txsockjs.protocol.deflate subclasses
    this): a message of ``threshold`` bytes or more, with a live compressor, is compressed
    here (in the compiled twin without passing through a Python frame); anything else goes
    to the subclass's ``_encode_first``."""

    __slots__ = ("_compressor", "threshold", "active")

    _compressor: Optional[Deflater]
    threshold: int
    #: Set by every message; the idle sweep clears it.
    active: bool

    def encode(self, opcode: int, payload: bytes) -> Tuple[int, bytes]:
        """(RSV1, the compressed payload), or (0, payload) for a message sent as it is."""
        compressor = self._compressor
        if compressor is not None and len(payload) >= self.threshold:
            self.active = True
            return RSV1, compressor.compress(payload)
        return self._encode_first(payload)

    def _encode_first(self, payload: bytes) -> Tuple[int, bytes]:
        raise NotImplementedError


def remember(history: bytearray, data: bytes, bits: int) -> None:
    """Keep the last window of plaintext, in amortised O(len(data)): trimmed only when
    twice the window has gathered."""
    history += data
    window = 1 << bits
    if len(history) > 2 * window:
        del history[:-window]
