"""RFC 6455 frame parsing and writing, pure-Python twin of ``wsframes_c``.

The parser is incremental: feed it bytes as they come, in any split, and it
returns the complete frames.  Every header rule that can be checked before the
payload arrives is checked at once, so a hostile peer is refused early and the
buffer never holds more than one frame of at most ``max_payload`` bytes.
"""

from typing import List, Optional, Tuple

from txsockjs._speedups.buffers import BytesLike, Frame
from txsockjs._speedups.kernelerrors import WebSocketError
from txsockjs._speedups.mask_py import websocket_mask

from txsockjs._speedups.constants import (
    CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG, CLOSE_UNSUPPORTED, OP_BINARY,
)


class FrameParser(object):
    """Turns a byte stream into ``(fin, op, payload)`` tuples.

    ``op`` is the frame header's first byte without FIN: the opcode
    (``op & 0x0F``) and the reserved bits (``op & 0x70``).  Only the RSV bits
    in ``allowed_rsv`` (those of the negotiated extensions; none by default)
    are accepted, so without an extension ``op`` is the opcode.

    Raises :class:`WebSocketError` (with the close code to send) on a frame
    that breaks the framing rules: reserved bits or opcodes, a fragmented or
    oversized control frame, an unmasked client frame, a 64-bit length with
    the top bit set, a payload over ``max_payload``, or (with
    ``allow_binary=False``) a binary frame, refused with 1003 from its header
    so that no binary payload is ever buffered.  The exception's ``frames``
    attribute holds the frames completed before the bad one in the same
    ``feed()``.  After an error the parser must not be fed again.
    """

    def __init__(self, max_payload: int = 1 << 20, require_mask: bool = True,
                 allow_binary: bool = True, allowed_rsv: int = 0) -> None:
        # What arrived of an unfinished frame; None when nothing is pending (most of
        # the time: an idle connection keeps no buffer).
        self._buf: Optional[bytearray] = None
        self.max_payload = max_payload
        self.require_mask = require_mask
        self.allow_binary = allow_binary
        self.allowed_rsv = allowed_rsv

    def feed(self, data: BytesLike) -> List[Frame]:
        frames: List[Frame] = []
        try:
            self._feed(data, frames)
        except WebSocketError as error:
            error.frames = frames
            raise
        return frames

    def _feed(self, data: BytesLike, frames: List[Frame]) -> None:
        buf = self._buf
        if buf is None:
            buf = self._buf = bytearray(memoryview(data))
        else:
            buf += data
        append = frames.append
        from_bytes = int.from_bytes
        require_mask = self.require_mask
        max_payload = self.max_payload
        refused_rsv = 0x70 & ~self.allowed_rsv
        pos = 0
        size = len(buf)
        # Pinned while parsing: a feed from inside this one (a max_payload object's
        # comparison) cannot resize the buffer under the loop; it gets BufferError.
        pin = memoryview(buf)
        try:
            while size - pos >= 2:
                first = buf[pos]
                second = buf[pos + 1]
                opcode = first & 0x0F
                if first & refused_rsv:
                    raise WebSocketError(CLOSE_PROTOCOL_ERROR, "reserved bits set")
                if (2 < opcode < 8) or opcode > 10:
                    raise WebSocketError(CLOSE_PROTOCOL_ERROR, "reserved opcode %d" % opcode)
                if opcode == OP_BINARY and not self.allow_binary:
                    raise WebSocketError(CLOSE_UNSUPPORTED, "binary messages are not supported")
                length = second & 0x7F
                if opcode >= 8:
                    if not first & 0x80:
                        raise WebSocketError(CLOSE_PROTOCOL_ERROR, "fragmented control frame")
                    if length > 125:
                        raise WebSocketError(CLOSE_PROTOCOL_ERROR, "control frame too long")
                if require_mask and not second & 0x80:
                    raise WebSocketError(CLOSE_PROTOCOL_ERROR, "client frame not masked")
                start = pos + 2
                if length == 126:
                    if size - pos < 4:
                        break
                    length = (buf[pos + 2] << 8) | buf[pos + 3]
                    start = pos + 4
                elif length == 127:
                    if size - pos < 10:
                        break
                    length = from_bytes(buf[pos + 2:pos + 10], "big")
                    if length >> 63:
                        raise WebSocketError(CLOSE_PROTOCOL_ERROR, "invalid frame length")
                    start = pos + 10
                if length > max_payload:
                    raise WebSocketError(CLOSE_TOO_BIG, "frame of %d bytes is over the limit" % length)
                if second & 0x80:
                    start += 4
                    end = start + length
                    if end > size:
                        break
                    if length:
                        # Unmask inline (see mask_py): one big-integer XOR.
                        key = bytes(buf[start - 4:start])
                        count, extra = divmod(length, 4)
                        if length < 2048:
                            value = from_bytes(buf[start:end], "little")
                        else:  # read big payloads in place, without a slice copy
                            with memoryview(buf) as view, view[start:end] as part:
                                value = from_bytes(part, "little")
                        repeated = key * count + key[:extra] if extra else key * count
                        payload = (value ^ from_bytes(repeated, "little")).to_bytes(length, "little")
                    else:
                        payload = b""
                else:
                    end = start + length
                    if end > size:
                        break
                    payload = bytes(buf[start:end])
                append((first > 127, first & 0x7F, payload))
                pos = end
        finally:
            pin.release()
        if pos == size:
            if self._buf is buf:
                self._buf = None
        elif pos:
            del buf[:pos]

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return 0 if self._buf is None else len(self._buf)

    def partial_payload(self, start: int = 0) -> Optional[Tuple[int, bytes]]:
        """``(opcode, payload[start:available])`` of the data frame still
        arriving (unmasked), or None when no data frame's header is complete.
        Lets a caller check a large text frame as it arrives."""
        buf = self._buf
        if buf is None:
            return None
        size = len(buf)
        if size < 2 or start < 0:
            return None
        if buf[0] & 0x0F > 2:
            return None
        length = buf[1] & 0x7F
        header = 2 if length < 126 else (4 if length == 126 else 10)
        masked = (buf[1] & 0x80) != 0
        if masked:
            header += 4
        if size < header:
            return None
        begin = header + start
        if begin >= size:
            return (buf[0] & 0x7F, b"")
        chunk = bytes(buf[begin:])
        if masked:
            mask = bytes(buf[header - 4:header])
            shift = start % 4
            chunk = websocket_mask(mask[shift:] + mask[:shift], chunk)
        return (buf[0] & 0x7F, chunk)


def build_frame(opcode: int, payload: BytesLike, fin: bool = True) -> bytes:
    """One unmasked (server-to-client) frame."""
    length = len(payload)
    if not 0 <= opcode <= 0x7F:
        raise ValueError("opcode must be in range(128) (RSV bits | opcode)")
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        head = bytes((first, length))
    elif length < 65536:
        head = bytes((first, 126, length >> 8, length & 0xFF))
    else:
        head = bytes((first, 127)) + length.to_bytes(8, "big")
    return head + bytes(payload)
