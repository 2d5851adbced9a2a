"""The incoming deflate stream (``Inflater``): the pure twin (Python's zlib) and the compiled
kernel (zlib's C API into a stack buffer).  Both must give the same plaintext and refuse the
same things with the same close codes: more than ``budget`` bytes (1009, before producing
more), what is not deflate data (1007), anything after a final block but the tail (1002);
after a final block the next frame starts a new stream over the same history; ``window()``
is a suffix of the plaintext holding at least the last window."""

import os
import zlib

import pytest
from hypothesis import given, settings, strategies as st

from kernel_paths import twins
from txsockjs._speedups import WebSocketError

PURE, COMPILED, BOTH, needs_compiled = twins("Inflater")

CHAT = [b'{"type": "message", "user": "ann", "id": %d, "text": "the meeting moved to three '
        b'pm"}' % i for i in range(20)]
BIG = b"".join(b'{"row": %d, "tags": ["a", "b"]}, ' % i for i in range(6000))  # ~170 KB
NOISE = os.urandom(40000)


def client(bits=12):
    return zlib.compressobj(6, zlib.DEFLATED, -bits)


def wire(compressor, message):
    """A client's message as RFC 7692 sends it: sync-flushed, the tail removed."""
    data = compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert data.endswith(b"\x00\x00\xff\xff")
    return data[:-4]


def code_of(call):
    with pytest.raises(WebSocketError) as raised:
        call()
    return raised.value.code


@pytest.mark.parametrize("Inflater", BOTH)
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_context_takeover_every_size_and_buffer_type(Inflater, kind):
    messages = [b"x", CHAT[0], CHAT[1], BIG, NOISE, CHAT[0], b"", CHAT[2] * 50, CHAT[0]]
    inflater, compressor = Inflater(12), client()
    for m in messages:
        out = inflater.inflate(kind(wire(compressor, m)), True, 1 << 20)
        assert type(out) is bytes and out == m


@pytest.mark.parametrize("Inflater", BOTH)
def test_fragments_and_empty_frames(Inflater):
    """A message over several frames: the tail goes back only after the last."""
    inflater, compressor = Inflater(15), client(15)
    data = wire(compressor, BIG)
    pieces = [data[:1], b"", data[1:5000], data[5000:-3], data[-3:]]
    got = b"".join(inflater.inflate(p, False, (1 << 20)) for p in pieces)
    got += inflater.inflate(b"", True, 1 << 20)
    assert got == BIG
    assert inflater.inflate(wire(compressor, CHAT[0]), True, 100) == CHAT[0]


@pytest.mark.parametrize("Inflater", BOTH)
@pytest.mark.parametrize("size", [1, 16383, 16384, 16385, 65536, 65537, 100000])
def test_exact_budget_passes_one_more_byte_is_refused(Inflater, size):
    message = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    data = wire(client(), message)
    assert Inflater(12).inflate(data, True, size) == message
    assert code_of(lambda: Inflater(12).inflate(data, True, size - 1)) == 1009


@pytest.mark.parametrize("Inflater", BOTH)
def test_bomb_is_refused_before_it_inflates(Inflater):
    """About 1 MiB of zeros from 1 KiB of deflate data: refused at a 64 KiB budget."""
    compressor = client()
    data = wire(compressor, bytes(1 << 20))
    assert len(data) < 2048
    assert code_of(lambda: Inflater(12).inflate(data, True, 1 << 16)) == 1009
    # in the middle of a fragmented message too (the budget is what is left)
    inflater = Inflater(12)
    assert code_of(lambda: inflater.inflate(data, False, 1 << 16)) == 1009


@pytest.mark.parametrize("Inflater", BOTH)
@pytest.mark.parametrize("garbage", [b"\xff\xff\xff\xff", b"\x07" * 10, b"\x00\x05\x00\x00\x00"])
def test_not_deflate_data_is_1007(Inflater, garbage):
    assert code_of(lambda: Inflater(12).inflate(garbage, True, 1 << 20)) == 1007


@pytest.mark.parametrize("Inflater", BOTH)
def test_final_block_then_a_new_stream_over_the_history(Inflater):
    inflater = Inflater(15)
    first = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = first.compress(CHAT[0]) + first.flush(zlib.Z_FINISH)
    assert inflater.inflate(data, True, 1 << 20) == CHAT[0]
    # the next message may refer back to the first one's plaintext
    again = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=CHAT[0])
    data = wire(again, CHAT[0])
    assert len(data) < 20
    assert inflater.inflate(data, True, 1 << 20) == CHAT[0]
    assert inflater.window().endswith(CHAT[0] + CHAT[0])


@pytest.mark.parametrize("Inflater", BOTH)
@pytest.mark.parametrize("fin", [True, False])
def test_data_after_the_final_block_is_1002(Inflater, fin):
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = compressor.compress(b"hello") + compressor.flush(zlib.Z_FINISH) + b"junk"
    assert code_of(lambda: Inflater(15).inflate(data, fin, 1 << 20)) == 1002


@pytest.mark.parametrize("Inflater", BOTH)
def test_window_and_a_rebuilt_stream_go_on(Inflater):
    """The idle release: a new Inflater over ``window()`` reads the client's stream on."""
    inflater, compressor = Inflater(12), client()
    assert inflater.window() == b""
    sent = b""
    for m in CHAT + [NOISE[:5000]] + CHAT:
        assert inflater.inflate(wire(compressor, m), True, 1 << 20) == m
        sent += m
        window = inflater.window()
        assert sent.endswith(window) and min(len(sent), 4096) <= len(window) <= 4096
    inflater = Inflater(12, inflater.window())
    for m in CHAT:
        assert inflater.inflate(wire(compressor, m), True, 1 << 20) == m


@needs_compiled
@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=400), st.sampled_from(CHAT + [BIG[:30000]])),
                max_size=20),
       st.integers(1, 40000), st.sampled_from([9, 12, 15]), st.integers(0, 7))
def test_differential_same_answer(messages, budget, bits, split):
    """Both twins, the same client stream split the same way: the same plaintext or the
    same close code, frame by frame."""
    answers = []
    for Inflater in (PURE, COMPILED):
        inflater, compressor = Inflater(bits), client(bits)
        got = []
        for m in messages:
            data = wire(compressor, m)
            cut = len(data) * split // 8
            try:
                got.append(inflater.inflate(data[:cut], False, budget)
                           + inflater.inflate(data[cut:], True, budget))
            except WebSocketError as error:
                got.append(error.code)
                break
        answers.append(got)
    assert answers[0] == answers[1]


# RFC 7692 7.2.3.4: "Hello" in a final block, as a sender without an empty-stored-block flush
# sends it: 7.2.1 appended that block (its header needed a byte of its own here) and removed
# its last four bytes, so one byte follows the final block.
RFC_HELLO_FINAL = bytes.fromhex("f348cdc9c9070000")


@pytest.mark.parametrize("Inflater", BOTH)
@pytest.mark.parametrize("frames", [
    [RFC_HELLO_FINAL],
    [RFC_HELLO_FINAL[:6], RFC_HELLO_FINAL[6:]],
    [RFC_HELLO_FINAL[:7], RFC_HELLO_FINAL[7:]],
], ids=["one frame", "split in the final block", "split after it"])
def test_the_rfc_example_of_a_final_block(Inflater, frames):
    inflater = Inflater(15)
    for _ in range(2):  # (and the next message, over the same history)
        out = b"".join(inflater.inflate(data, data is frames[-1], 1 << 20) for data in frames)
        assert out == b"Hello"


@pytest.mark.parametrize("Inflater", BOTH)
@pytest.mark.parametrize("after", [b"\x06", b"\x00\x00", b"\xff"])
def test_more_than_the_empty_blocks_header_after_a_final_block_is_1002(Inflater, after):
    data = RFC_HELLO_FINAL[:7] + after
    assert code_of(lambda: Inflater(15).inflate(data, True, 1 << 20)) == 1002
