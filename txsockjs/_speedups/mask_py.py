"""RFC 6455 payload masking, pure-Python twin of ``_mask.pyx``.

XOR over one big integer: CPython does the loop in C, with no lookup tables.
"""


def websocket_mask(mask, data):
    """Return ``data`` XORed with the repeating 4-byte ``mask``, as bytes."""
    data = bytes(data)
    length = len(data)
    if length == 0:
        return b""
    mask = bytes(mask)
    if len(mask) != 4:
        raise ValueError("mask must be 4 bytes")
    repeated = (mask * ((length + 3) // 4))[:length]
    value = int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")
    return value.to_bytes(length, "little")


def websocket_mask_inplace(mask, buf):
    """XOR the writable buffer ``buf`` (a bytearray) with ``mask`` in place."""
    buf[:] = websocket_mask(mask, buf)
