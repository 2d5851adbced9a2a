"""RFC 6455 frame parsing and writing, on both paths."""

import os
import sys

import pytest

from txsockjs._speedups.kernelerrors import WebSocketError

MASK = b"\x11\x22\x33\x44"


def xor(mask, data):
    return bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def frame(payload, opcode=0x1, fin=True, mask=MASK, rsv=0, length_form=None):
    """A client frame built by hand (independently of the kernels)."""
    first = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    form = length_form or (7 if n < 126 else 16 if n < 65536 else 64)
    bit = 0x80 if mask is not None else 0
    if form == 7:
        head = bytes((first, bit | n))
    elif form == 16:
        head = bytes((first, bit | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, bit | 127)) + n.to_bytes(8, "big")
    if mask is None:
        return head + payload
    return head + mask + xor(mask, payload)


LENGTHS = [0, 1, 4, 125, 126, 127, 1000, 65535, 65536, 70000]


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_every_length_form_in_one_buffer(kernels, length, kind):
    payload = os.urandom(length)
    parser = kernels.FrameParser()
    frames = parser.feed(kind(frame(payload, opcode=2)))
    assert frames == [(True, 2, payload)]
    assert type(frames[0][2]) is bytes
    assert parser.buffered == 0


@pytest.mark.parametrize("length", [0, 5, 126, 65536])
@pytest.mark.parametrize("form", [7, 16, 64])
def test_non_minimal_length_forms_are_accepted(kernels, length, form):
    if form == 7 and length > 125 or form == 16 and length > 65535:
        return
    payload = b"\x80" * length
    assert kernels.FrameParser().feed(frame(payload, length_form=form)) == [(True, 1, payload)]


@pytest.mark.parametrize("length", [0, 3, 125, 126, 300, 65536])
def test_byte_by_byte(kernels, length):
    payload = bytes((i + 0x7F) & 0xFF for i in range(length))
    data = frame(payload) + frame(b"ping!", opcode=9)
    parser = kernels.FrameParser()
    got = []
    step = 1 if length < 1000 else 997
    for i in range(0, len(data), step):
        got.extend(parser.feed(data[i:i + step]))
        if len(got) < 2:
            assert parser.buffered == i + len(data[i:i + step]) - (
                len(frame(payload)) if got else 0)
    assert got == [(True, 1, payload), (True, 9, b"ping!")]
    assert parser.buffered == 0


def test_many_frames_and_a_partial_tail(kernels):
    frames = [frame(bytes([i]) * i, opcode=2, fin=i % 2 == 0) for i in range(50)]
    data = b"".join(frames)
    parser = kernels.FrameParser()
    got = parser.feed(data + frames[7][:3])
    assert got == [(i % 2 == 0, 2, bytes([i]) * i) for i in range(50)]
    assert parser.buffered == 3
    assert parser.feed(frames[7][3:]) == [(False, 2, bytes([7]) * 7)]


def test_fragments_and_opcodes(kernels):
    data = (frame(b"he", opcode=1, fin=False) + frame(b"", opcode=0, fin=False)
            + frame(b"llo", opcode=0) + frame(b"", opcode=9) + frame(b"x", opcode=10)
            + frame(b"\x03\xe8", opcode=8))
    assert kernels.FrameParser().feed(data) == [
        (False, 1, b"he"), (False, 0, b""), (True, 0, b"llo"), (True, 9, b""),
        (True, 10, b"x"), (True, 8, b"\x03\xe8")]


def test_unmasked_allowed_when_not_required(kernels):
    parser = kernels.FrameParser(require_mask=False)
    assert parser.feed(frame(b"abc", mask=None) + frame(b"de")) == [
        (True, 1, b"abc"), (True, 1, b"de")]


def error(kernels, data, **options):
    with pytest.raises(WebSocketError) as info:
        kernels.FrameParser(**options).feed(data)
    return info.value.code, info.value.reason


@pytest.mark.parametrize("rsv", [0x40, 0x20, 0x10, 0x70])
def test_reserved_bits(kernels, rsv):
    assert error(kernels, frame(b"x", rsv=rsv)) == (1002, "reserved bits set")


@pytest.mark.parametrize("allowed, rsv", [(0x40, 0x40), (0x70, 0x30), (0x40 | 0x20, 0x20)])
def test_negotiated_reserved_bits_are_kept(kernels, allowed, rsv):
    # An extension owns some RSV bits: the frame keeps them, in op's high bits.
    frames = kernels.FrameParser(allowed_rsv=allowed).feed(frame(b"x", rsv=rsv))
    assert frames == [(True, rsv | 0x1, b"x")]
    parser = kernels.FrameParser(allowed_rsv=allowed)
    parser.feed(frame(b"xyz", rsv=rsv)[:-1])
    assert parser.partial_payload(0) == (rsv | 0x1, b"xy")


@pytest.mark.parametrize("allowed, rsv", [(0x40, 0x20), (0x40, 0x10), (0x20, 0x40)])
def test_reserved_bits_an_extension_does_not_own(kernels, allowed, rsv):
    assert error(kernels, frame(b"x", rsv=rsv), allowed_rsv=allowed) == (1002, "reserved bits set")


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 11, 12, 13, 14, 15])
def test_reserved_opcodes(kernels, opcode):
    assert error(kernels, frame(b"x", opcode=opcode)) == (1002, "reserved opcode %d" % opcode)


@pytest.mark.parametrize("opcode", [8, 9, 10])
def test_control_frame_rules(kernels, opcode):
    assert error(kernels, frame(b"x", opcode=opcode, fin=False)) == (
        1002, "fragmented control frame")
    assert error(kernels, frame(b"x" * 126, opcode=opcode)) == (1002, "control frame too long")
    # Refused from the first two bytes, before the payload arrives.
    assert error(kernels, frame(b"x" * 126, opcode=opcode)[:2]) == (
        1002, "control frame too long")
    assert kernels.FrameParser().feed(frame(b"x" * 125, opcode=opcode)) == [
        (True, opcode, b"x" * 125)]


def test_unmasked_client_frame(kernels):
    assert error(kernels, frame(b"x", mask=None)[:2]) == (1002, "client frame not masked")


def test_64_bit_length_with_top_bit(kernels):
    data = b"\x82\xff" + b"\x80" + b"\0" * 7 + MASK
    assert error(kernels, data) == (1002, "invalid frame length")
    data = b"\x82\xff" + b"\xff" * 8 + MASK
    assert error(kernels, data) == (1002, "invalid frame length")


@pytest.mark.parametrize("length", [2 ** 32, 2 ** 62, 2 ** 63 - 1])
def test_huge_lengths_are_too_big_not_negative(kernels, length):
    data = b"\x82\xff" + length.to_bytes(8, "big") + MASK
    assert error(kernels, data) == (1009, "frame of %d bytes is over the limit" % length)


def test_max_payload(kernels):
    assert error(kernels, frame(b"x" * 11), max_payload=10) == (
        1009, "frame of 11 bytes is over the limit")
    # Checked from the header alone.
    assert error(kernels, frame(b"x" * 70000)[:10], max_payload=65536) == (
        1009, "frame of 70000 bytes is over the limit")
    assert kernels.FrameParser(max_payload=10).feed(frame(b"x" * 10)) == [(True, 1, b"x" * 10)]
    assert kernels.FrameParser(max_payload=2 ** 70).feed(frame(b"x")) == [(True, 1, b"x")]
    assert error(kernels, frame(b""), max_payload=-1) == (
        1009, "frame of 0 bytes is over the limit")


def test_attributes_are_writable(kernels):
    parser = kernels.FrameParser()
    assert parser.max_payload == 1 << 20 and parser.require_mask is True
    parser.max_payload = 3
    parser.require_mask = False
    assert parser.feed(frame(b"abc", mask=None)) == [(True, 1, b"abc")]
    with pytest.raises(WebSocketError):
        parser.feed(frame(b"abcd", mask=None))


def test_frames_before_the_error_ride_on_the_exception(kernels):
    with pytest.raises(WebSocketError) as info:
        kernels.FrameParser().feed(frame(b"ok") + frame(b"x", rsv=0x40))
    assert info.value.frames == [(True, 1, b"ok")]
    parser = kernels.FrameParser()
    assert parser.feed(frame(b"ok")[:3]) == []
    with pytest.raises(WebSocketError) as info:
        parser.feed(frame(b"ok")[3:] + frame(b"x", opcode=3))
    assert info.value.frames == [(True, 1, b"ok")]


def test_binary_refused_from_its_header(kernels):
    parser = kernels.FrameParser(allow_binary=False)
    assert parser.allow_binary is False
    assert parser.feed(frame(b"t")) == [(True, 1, b"t")]
    with pytest.raises(WebSocketError) as info:
        parser.feed(frame(b"b" * 1000, opcode=2)[:2])
    assert (info.value.code, info.value.reason) == (1003, "binary messages are not supported")
    assert kernels.FrameParser().feed(frame(b"b", opcode=2)) == [(True, 2, b"b")]


@pytest.mark.parametrize("length", [10, 200, 70000])
def test_partial_payload(kernels, length):
    payload = bytes((i * 31 + 0x80) & 0xFF for i in range(length))
    data = frame(payload)
    parser = kernels.FrameParser()
    assert parser.partial_payload() is None
    assert parser.feed(data[:1]) == [] and parser.partial_payload() is None
    cut = len(data) - 5
    assert parser.feed(data[1:cut]) == []
    head = len(data) - length
    for start in (0, 1, 2, 3, 5, 7):
        assert parser.partial_payload(start) == (1, payload[start:cut - head])
    assert parser.partial_payload(cut) == (1, b"")
    assert parser.partial_payload(-1) is None
    assert parser.feed(data[cut:]) == [(True, 1, payload)]
    assert parser.partial_payload() is None
    # Control frames are not data frames.
    parser.feed(frame(b"ping", opcode=9)[:4])
    assert parser.partial_payload() is None


@pytest.mark.parametrize("start", [sys.maxsize, sys.maxsize - 5, 1 << 62])
def test_partial_payload_far_start(kernels, start):
    """A start past anything buffered is an empty chunk.  (The compiled kernel added it
    to the header length in a Py_ssize_t: a signed overflow, then a negative length.)"""
    parser = kernels.FrameParser()
    parser.feed(frame(b"hello")[:-2])
    assert parser.partial_payload(start) == (1, b"")


class ReenteringLimit(object):
    """A max_payload whose comparison feeds the same parser a megabyte (re-entrance)."""

    def __init__(self):
        self.parser = None
        self.inner = []

    def __lt__(self, length):  # (length > limit)
        if not self.inner:
            self.inner.append(None)
            try:
                self.inner[0] = self.parser.feed(b"\x81" * (1 << 20))
            except Exception as error:
                self.inner[0] = error
        return False


def test_reentrant_feed_from_the_limit(kernels):
    """A feed from inside a feed cannot move the buffer being parsed.  (The compiled
    kernel parsed its bytearray through a raw pointer: the inner feed reallocated it,
    the outer one read freed memory.)  The inner feed is refused (BufferError, on both
    paths); the outer one gives the frames it was given."""
    limit = ReenteringLimit()
    parser = kernels.FrameParser(max_payload=limit)
    limit.parser = parser
    data = frame(b"hello") + frame(b"world")
    assert parser.feed(data[:1]) == []  # (too short for a header: nothing compared yet)
    assert parser.feed(data[1:]) == [(True, 1, b"hello"), (True, 1, b"world")]
    assert type(limit.inner[0]) is BufferError


def test_rejects_str(kernels):
    with pytest.raises(TypeError):
        kernels.FrameParser().feed("text")


@pytest.mark.parametrize("opcode, error", [(0x80, ValueError), (-1, ValueError),
                                           (1 << 40, ValueError), (-(1 << 70), ValueError),
                                           (1.5, TypeError), ("1", TypeError)])
def test_build_frame_bad_opcode(kernels, opcode, error):
    """The same error on both paths.  (The compiled kernel converted the opcode to a C
    int first: OverflowError for a big one, and 1.5 went out as opcode 1.)"""
    with pytest.raises(error):
        kernels.build_frame(opcode, b"x")


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_build_frame(kernels, length, kind):
    payload = os.urandom(length)
    out = kernels.build_frame(2, kind(payload))
    assert type(out) is bytes
    assert out == frame(payload, opcode=2, mask=None)
    assert kernels.FrameParser(require_mask=False, max_payload=1 << 30).feed(out) == [
        (True, 2, payload)]


def test_build_frame_fin_and_opcode(kernels):
    assert kernels.build_frame(1, b"ab", fin=False) == b"\x01\x02ab"
    assert kernels.build_frame(0, b"") == b"\x80\x00"
    assert kernels.build_frame(8, b"\x03\xe8") == b"\x88\x02\x03\xe8"
    assert kernels.build_frame(0x41, b"z") == b"\xc1\x01z"  # RSV1 | text
    for bad in (-1, 0x80, 0x81):
        with pytest.raises(ValueError):
            kernels.build_frame(bad, b"")
    with pytest.raises(TypeError):
        kernels.build_frame(1, "text")
