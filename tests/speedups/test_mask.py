"""RFC 6455 masking, on both paths."""

import pytest


def reference(mask, data):
    mask = bytes(mask)
    return bytes(b ^ mask[i % 4] for i, b in enumerate(bytes(data)))


MASK = b"\x37\xfa\x21\x3d"
LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 125, 126,
           127, 1000, 1024, 4099, 65535, 65536, 65537]


def test_rfc6455_example(kernels):
    # RFC 6455 section 5.7: a masked "Hello".
    assert kernels.websocket_mask(MASK, b"Hello") == b"\x7f\x9f\x4d\x51\x58"


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_copying_every_length_and_buffer_type(kernels, length, kind):
    data = bytes((i * 7 + 0x80) & 0xFF for i in range(length))
    out = kernels.websocket_mask(kind(MASK), kind(data))
    assert type(out) is bytes
    assert out == reference(MASK, data)
    assert kernels.websocket_mask(MASK, out) == data


@pytest.mark.parametrize("length", LENGTHS)
def test_inplace_bytearray(kernels, length):
    data = bytes((i * 13 + 0xF0) & 0xFF for i in range(length))
    buf = bytearray(data)
    assert kernels.websocket_mask_inplace(MASK, buf) is None
    assert bytes(buf) == reference(MASK, data)


def test_inplace_writable_memoryview_slice(kernels):
    buf = bytearray(b"x" * 20)
    kernels.websocket_mask_inplace(MASK, memoryview(buf)[4:15])
    assert bytes(buf) == b"x" * 4 + reference(MASK, b"x" * 11) + b"x" * 5


@pytest.mark.parametrize("offset", range(9))
def test_unaligned_input(kernels, offset):
    data = bytes(range(256)) * 3
    view = memoryview(data)[offset:]
    assert kernels.websocket_mask(MASK, view) == reference(MASK, view)


def test_inplace_rejects_immutable(kernels):
    with pytest.raises(TypeError):
        kernels.websocket_mask_inplace(MASK, b"abcdef")
    with pytest.raises(TypeError):
        kernels.websocket_mask_inplace(MASK, memoryview(b"abcdef"))


@pytest.mark.parametrize("mask", [b"", b"abc", b"abcde"])
@pytest.mark.parametrize("data", [b"", b"xy", b"0123456789"])
def test_mask_must_be_four_bytes(kernels, mask, data):
    with pytest.raises(ValueError):
        kernels.websocket_mask(mask, data)
    with pytest.raises(ValueError):
        kernels.websocket_mask_inplace(mask, bytearray(data))


def test_rejects_str(kernels):
    with pytest.raises(TypeError):
        kernels.websocket_mask(MASK, "text")
    with pytest.raises(TypeError):
        kernels.websocket_mask("abcd", b"text")


def test_zero_mask_is_identity(kernels):
    data = bytes(range(256))
    assert kernels.websocket_mask(b"\0\0\0\0", data) == data
