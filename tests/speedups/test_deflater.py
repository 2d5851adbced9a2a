"""The outgoing deflate stream (``Deflater``): the pure twin (Python's zlib) and the compiled
kernel (zlib's C API, Z_FIXED for short messages).  Their bytes may differ; what must hold on
both: every message, inflated by one client inflater kept across messages (context
takeover), is the plaintext; ``window()`` is a suffix of the plaintext that holds at least
everything the stream may still refer to (zlib refers back at most window - 262 bytes, and
the compiled kernel reads exactly what zlib holds, so it may be up to 262 bytes shorter than
the pure twin's copy); a stream rebuilt over that window goes on where the old one stopped."""

import os
import zlib

import pytest
from hypothesis import given, settings, strategies as st

from kernel_paths import twins

TAIL = b"\x00\x00\xff\xff"
MIN_LOOKAHEAD = 262   # zlib's deflate.h: matches reach back at most window - 262 bytes


def assert_window(window, sent, bits):
    """``window`` is a suffix of ``sent`` holding all a match may reach."""
    assert sent.endswith(window)
    assert min(len(sent), (1 << bits) - MIN_LOOKAHEAD) <= len(window) <= 1 << bits


PURE, COMPILED, BOTH, needs_compiled = twins("Deflater")

CHAT = [b'{"type": "message", "room": "general", "user": "ann", "id": %d, "text": "hello '
        b'there, the meeting moved to three pm"}' % i for i in range(30)]
LONG = b"".join(b'{"row": %d, "name": "item %d", "tags": ["a", "b", "c"]}, ' % (i, i % 7)
                for i in range(700))          # ~37 KB of JSON, compressible
NOISE = os.urandom(40000)                     # incompressible: more than one output buffer


def inflate_all(deflater, messages, bits=12):
    inflater = zlib.decompressobj(-bits)
    return [inflater.decompress(deflater.compress(m) + TAIL) for m in messages]


@pytest.mark.parametrize("Deflater", BOTH)
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_round_trip_every_size_and_buffer_type(Deflater, kind):
    messages = [b"", b"x", CHAT[0], CHAT[1] * 6, LONG, CHAT[2], NOISE, CHAT[3], b""]
    d = Deflater(1, 12, 5)
    inflater = zlib.decompressobj(-12)
    for m in messages:
        out = d.compress(kind(m))
        assert type(out) is bytes and not out.endswith(TAIL)
        assert inflater.decompress(out + TAIL) == m


@pytest.mark.parametrize("Deflater", BOTH)
@pytest.mark.parametrize("level,bits,mem", [(1, 12, 5), (6, 15, 8), (9, 9, 1)])
def test_settings_and_context_takeover(Deflater, level, bits, mem):
    d = Deflater(level, bits, mem)
    assert inflate_all(d, CHAT, bits) == CHAT
    # context takeover: a repeated message costs a few bytes
    assert len(d.compress(CHAT[5])) < len(CHAT[5]) // 4


@pytest.mark.parametrize("Deflater", BOTH)
def test_window_is_the_last_window_of_plaintext(Deflater):
    d = Deflater(1, 12, 5)
    assert d.window() == b""
    sent = b""
    for m in CHAT + [LONG] + CHAT:
        d.compress(m)
        sent += m
        assert_window(d.window(), sent, 12)


@pytest.mark.parametrize("Deflater", BOTH)
def test_rebuilt_over_the_window_the_client_inflater_goes_on(Deflater):
    """The idle release: a new stream over ``window()`` is valid for the client's old inflater."""
    d = Deflater(1, 12, 5)
    inflater = zlib.decompressobj(-12)
    for m in CHAT[:10]:
        assert inflater.decompress(d.compress(m) + TAIL) == m
    d = Deflater(1, 12, 5, d.window())
    assert_window(d.window(), b"".join(CHAT[:10]), 12)
    for m in CHAT[10:] + [LONG, CHAT[0]]:
        assert inflater.decompress(d.compress(m) + TAIL) == m
    # the dictionary is used: a message seen before the rebuild costs a few bytes
    assert len(d.compress(CHAT[3])) < len(CHAT[3]) // 4


@needs_compiled
def test_compiled_uses_fixed_codes_for_short_messages_only():
    """BTYPE of the first block (bits 1-2 of the first byte): 01 fixed, 10 dynamic."""
    from txsockjs._speedups.deflate_c import FIXED_BELOW
    d = COMPILED(1, 12, 5)
    inflater = zlib.decompressobj(-12)
    for m, btype in [(CHAT[0], 1), (LONG, 2), (CHAT[1], 1), (LONG[:FIXED_BELOW], 2),
                     (LONG[:FIXED_BELOW - 1], 1)]:
        out = d.compress(m)
        assert (out[0] >> 1) & 3 == btype, (len(m), out[:4])
        assert inflater.decompress(out + TAIL) == m


@pytest.mark.parametrize("Deflater", BOTH)
def test_empty_messages_in_a_row_keep_the_stream_valid(Deflater):
    """zlib will not sync-flush twice with no input between: the kernel must still send an
    empty stored block (0x00, RFC 7692 7.2.3.6) or the client's stream breaks."""
    d = Deflater(1, 12, 5)
    assert inflate_all(d, [b"", b"", b"\x00", b"", CHAT[0], b"", b""]) == [
        b"", b"", b"\x00", b"", CHAT[0], b"", b""]


@needs_compiled
def test_compiled_refuses_bad_settings():
    with pytest.raises(ValueError):
        COMPILED(1, 20, 5)


@needs_compiled
@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=300), st.sampled_from(CHAT + [LONG])), max_size=25),
       st.sampled_from([(1, 12, 5), (6, 15, 8)]), st.integers(0, 25))
def test_differential_same_plaintext(messages, params, rebuild_at):
    """Both twins, one inflater each: the same plaintext, with a rebuild over the window
    (the idle release) at a random message; each window a suffix of what was sent."""
    level, bits, mem = params
    streams = []
    for Deflater in (PURE, COMPILED):
        d = Deflater(level, bits, mem)
        inflater = zlib.decompressobj(-bits)
        got = []
        for i, m in enumerate(messages):
            if i == rebuild_at:
                d = Deflater(level, bits, mem, d.window())
            got.append(inflater.decompress(d.compress(m) + TAIL))
        assert_window(d.window(), b"".join(messages), bits)
        streams.append(got)
    assert streams[0] == streams[1] == messages
