"""RFC 6455 masking: websocket_mask and websocket_mask_inplace.

Input: 1 control byte (mask length, buffer type, offset), the mask, then the data.
Checked: both paths give the same bytes or the same error (ValueError for a mask that is
not 4 bytes, TypeError for a read-only buffer in place); masking twice gives the data
back; in place equals the copy; unaligned views (an offset into a larger buffer) too.
"""

import harness
from harness import BUFFER_TYPES, PATHS, allowed, outcome, same


def test_one_input(data):
    if not data:
        return
    control = data[0]
    mask_size = 4 if control & 0x80 else control & 7
    mask, rest = data[1:1 + mask_size], data[1 + mask_size:]
    offset = (control >> 3) & 7
    kind = BUFFER_TYPES[(control >> 6) % 3] if control & 0x80 else BUFFER_TYPES[control % 3]
    view = memoryview(rest)[offset:] if kind is memoryview else kind(rest[offset:])
    masked = same("mask", *(allowed(outcome(path.websocket_mask, kind(mask), view), ValueError)
                            for path in PATHS))
    if masked[0] == "error":
        assert len(mask) != 4
        return
    assert len(masked[1]) == len(view) and type(masked[1]) is bytes
    for path in PATHS:
        assert path.websocket_mask(mask, masked[1]) == bytes(view)
        buf = bytearray(view)
        path.websocket_mask_inplace(mask, memoryview(buf) if kind is memoryview else buf)
        assert buf == masked[1]
    if kind is bytes:  # read-only: refused in place, by both
        same("inplace read-only", *(outcome(path.websocket_mask_inplace, mask, view)
                                    for path in PATHS))


if __name__ == "__main__":
    harness.main(test_one_input)
