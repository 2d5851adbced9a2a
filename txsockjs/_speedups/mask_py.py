"""RFC 6455 payload masking, pure-Python twin of ``_mask.pyx``.

XOR over one big integer: CPython does the loop in C, with no lookup tables.
"""

from txsockjs._speedups.buffers import BytesLike

_from_bytes = int.from_bytes


def websocket_mask(mask: BytesLike, data: BytesLike) -> bytes:
    """Return ``data`` XORed with the repeating 4-byte ``mask``, as bytes.

    ``mask`` and ``data`` may be any bytes-like objects; ``mask`` must hold
    exactly 4 bytes (ValueError otherwise, even when ``data`` is empty).
    """
    if len(mask) != 4:
        raise ValueError("mask must be 4 bytes")
    if type(mask) is not bytes:
        mask = bytes(mask)
    length = len(data)
    extra = length & 3
    repeated = mask * (length >> 2) + mask[:extra] if extra else mask * (length >> 2)
    value = _from_bytes(data, "little") ^ _from_bytes(repeated, "little")
    return value.to_bytes(length, "little")


def websocket_mask_inplace(mask: BytesLike, buf: bytearray) -> None:
    """XOR the writable buffer ``buf`` (a bytearray) with ``mask`` in place."""
    buf[:] = websocket_mask(mask, buf)
