"""permessage-deflate (RFC 7692): negotiation, the extension alone, and the extension in a
WebSocket connection (on both kernel paths): bombs, the exact size limit, fragments, context
takeover on and off, and idle streams released and rebuilt from the last window."""

import functools
import os
import struct
import zlib

import pytest

from txsockjs import _speedups
from txsockjs._speedups import WebSocketError
from txsockjs.protocol import websocket as ws
from txsockjs.protocol.deflate import (
    DEFAULTS, DeflateSettings, PerMessageDeflate, PerMessageDeflateFactory,
)
from txsockjs.protocol.wsextensions import negotiate
from tests.unit.kernels import on_both_kernels

import importlib.util
import pathlib

_spec = importlib.util.spec_from_file_location(
    "kernel_paths", pathlib.Path(__file__).resolve().parent.parent / "speedups" / "kernel_paths.py")
_paths = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_paths)
PURE, COMPILED = _paths.PURE, _paths.COMPILED

# Every test here on both deflate kernels (our messages' compressor, the client's inflater).
deflater = on_both_kernels(_speedups, "Deflater Inflater", ["deflate_py", "deflate_c"])
pytestmark = pytest.mark.usefixtures("deflater")

PATHS = [pytest.param(PURE, id="pure")] + (
    [pytest.param(COMPILED, id="compiled")] if COMPILED is not None else [])


@pytest.fixture(params=PATHS)
def kernels(request, monkeypatch):
    """Run the connection on one kernel path's frame parser and builder."""
    monkeypatch.setattr(ws, "FrameParser", request.param.FrameParser)
    monkeypatch.setattr(ws, "build_frame", request.param.build_frame)
    return request.param


def factory(**settings):
    return PerMessageDeflateFactory(DeflateSettings(**{**DEFAULTS, **settings}))


def answer_of(header, **settings):
    chosen, answer = negotiate(header, [factory(**settings)])
    return (chosen[0] if chosen else None), answer


# -- negotiation (RFC 7692 section 7) ---------------------------------------------------------

def test_chrome_offer_gets_our_client_window():
    ext, answer = answer_of("permessage-deflate; client_max_window_bits")
    assert answer == "permessage-deflate; client_max_window_bits=12"
    assert (ext.in_bits, ext.out_bits, ext.in_reset, ext.out_reset) == (12, 12, False, False)


def test_firefox_bare_offer_leaves_the_client_window_at_15():
    ext, answer = answer_of("permessage-deflate")
    # (no client_max_window_bits offered: the response must not have it, RFC 7692 7.1.2.2;
    # our smaller server window needs no announcement)
    assert answer == "permessage-deflate"
    assert (ext.in_bits, ext.out_bits) == (15, 12)


def test_server_window_offered_is_answered_with_the_smaller():
    assert answer_of("permessage-deflate; server_max_window_bits=10")[1] == \
        "permessage-deflate; server_max_window_bits=10"
    ext, answer = answer_of("permessage-deflate; server_max_window_bits=15")
    assert answer == "permessage-deflate; server_max_window_bits=12" and ext.out_bits == 12


def test_client_window_offered_with_a_value():
    ext, answer = answer_of('permessage-deflate; client_max_window_bits="9"')
    assert answer == "permessage-deflate; client_max_window_bits=9" and ext.in_bits == 9


def test_no_context_takeover_both_ways():
    ext, answer = answer_of("permessage-deflate; server_no_context_takeover; "
                            "client_no_context_takeover")
    assert answer == ("permessage-deflate; server_no_context_takeover; "
                      "client_no_context_takeover")
    assert ext.out_reset and ext.in_reset


def test_configured_no_context_takeover_is_announced_unasked():
    ext, answer = answer_of("permessage-deflate", server_no_context_takeover=True,
                            client_no_context_takeover=True)
    assert answer == ("permessage-deflate; server_no_context_takeover; "
                      "client_no_context_takeover")


def test_autobahn_offer():
    ext, answer = answer_of("permessage-deflate; client_no_context_takeover; "
                            "client_max_window_bits; server_max_window_bits=8")
    assert answer == ("permessage-deflate; client_no_context_takeover; "
                      "server_max_window_bits=8; client_max_window_bits=12")
    # zlib cannot deflate with an 8-bit window: that connection sends uncompressed
    assert ext.out_bits == 8 and not ext.enabled
    assert ext.encode(ws.OP_TEXT, b"x" * 100) == (0, b"x" * 100)


@pytest.mark.parametrize("header", [
    "permessage-deflate; server_max_window_bits",            # value required
    "permessage-deflate; server_max_window_bits=7",
    "permessage-deflate; server_max_window_bits=16",
    "permessage-deflate; server_max_window_bits=010",
    "permessage-deflate; client_max_window_bits=abc",
    "permessage-deflate; client_max_window_bits=1" + "0" * 400,
    "permessage-deflate; server_no_context_takeover=1",
    "permessage-deflate; client_no_context_takeover=yes",
    "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
    "permessage-deflate; unknown_param",
    "permessage-deflate; ; ",                                  # breaks the grammar
    'permessage-deflate; server_max_window_bits=""',
    "permessage-deflate; server_max_window_bits=+9",
])
def test_bad_offers_are_declined(header):
    assert negotiate(header, [factory()]) == ([], None)


def test_first_acceptable_of_several_offers_wins():
    header = ("permessage-deflate; server_max_window_bits=7, "
              "permessage-deflate; client_max_window_bits=10, permessage-deflate")
    chosen, answer = negotiate(header, [factory()])
    assert len(chosen) == 1
    assert answer == "permessage-deflate; client_max_window_bits=10"


def test_other_extensions_are_ignored():
    chosen, answer = negotiate("x-webkit-deflate-frame, permessage-deflate", [factory()])
    assert answer == "permessage-deflate"


# -- the extension alone ------------------------------------------------------------------------

def client_compressor(bits=15, level=6):
    return zlib.compressobj(level, zlib.DEFLATED, -bits)


def client_deflate(compressor, data):
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def client_inflate(decompressor, data):
    return decompressor.decompress(data + b"\x00\x00\xff\xff")


MESSAGES = [b'["message %d: {\\"user\\": \\"ann\\", \\"text\\": \\"hello there\\"}"]' % i
            for i in range(20)]


@pytest.mark.parametrize("reset", [False, True])
def test_round_trip_with_and_without_context_takeover(reset):
    ext = PerMessageDeflate(out_bits=12, in_bits=15, out_reset=reset, in_reset=reset)
    client_out = client_compressor()
    client_in = zlib.decompressobj(-15)
    sizes = []
    for message in MESSAGES:
        if reset:
            client_out = client_compressor()
            client_in = zlib.decompressobj(-15)
        assert ext.decode(0x41, client_deflate(client_out, message), True, 1 << 20) == message
        rsv, wire = ext.encode(ws.OP_TEXT, message)
        assert rsv == 0x40
        sizes.append(len(wire))
        assert client_inflate(client_in, wire) == message
    if reset:
        assert ext.released  # nothing kept between messages
        assert len(set(sizes)) <= 2  # every message compressed alone
    else:
        assert sizes[-1] < sizes[0] / 2  # the context pays


def test_threshold_and_disabled_send_uncompressed():
    ext = PerMessageDeflate(threshold=32)
    assert ext.encode(ws.OP_TEXT, b"h") == (0, b"h")
    assert ext.encode(ws.OP_TEXT, b"x" * 31) == (0, b"x" * 31)
    assert ext.encode(ws.OP_TEXT, b"x" * 32)[0] == 0x40
    ext.set_enabled(False)
    assert ext.encode(ws.OP_TEXT, b"x" * 500) == (0, b"x" * 500)
    assert ext.released


def test_empty_message_compresses_to_one_byte():
    ext = PerMessageDeflate(threshold=0)
    assert ext.encode(ws.OP_TEXT, b"") == (0x40, b"\x00")
    assert ext.decode(0x41, b"\x00", True, 10) == b""


@pytest.mark.parametrize("reset", [False, True])
def test_idle_release_and_rebuild_round_trip(reset):
    """Released streams are rebuilt from the last window (zdict); the peer kept its own
    context and never notices."""
    ext = PerMessageDeflate(out_bits=12, in_bits=12, out_reset=reset, in_reset=reset)
    client_out = client_compressor(bits=12)
    client_in = zlib.decompressobj(-12)
    blob = os.urandom(3000).hex().encode()  # 6000 bytes: more than a 4 KiB window
    rounds = [MESSAGES[0], blob, MESSAGES[1], MESSAGES[2], blob[:900], MESSAGES[3]]
    for index, message in enumerate(rounds):
        if reset:
            client_out = client_compressor(bits=12)
            client_in = zlib.decompressobj(-12)
        assert ext.decode(0x41, client_deflate(client_out, message), True, 1 << 20) == message
        rsv, wire = ext.encode(ws.OP_TEXT, message)
        assert client_inflate(client_in, wire) == message
        # idle twice: the first sweep sees activity, the second releases
        assert ext.idle() is False
        assert ext.idle() is True and ext.released
        kept = len(ext._out_window) + len(ext._in_window)
        assert kept <= 2 * 4096
        if not reset:
            assert kept > 0
    # a repeated message compresses to a back-reference into the dictionary
    if not reset:
        rsv, wire = ext.encode(ws.OP_TEXT, MESSAGES[3])
        assert len(wire) < 16
        assert client_inflate(client_in, wire) == MESSAGES[3]


def test_release_waits_for_a_fragmented_message():
    ext = PerMessageDeflate(in_bits=15)
    client = client_compressor()
    data = client_deflate(client, b"a" * 1000 + b"b" * 1000)
    first = ext.decode(0x41, data[:5], False, 1 << 20)
    ext.release()
    assert ext._decompressor is not None  # midway through a block: kept
    rest = ext.decode(0x41, data[5:], True, (1 << 20) - len(first))
    assert first + rest == b"a" * 1000 + b"b" * 1000
    ext.release()
    assert ext.released


def test_final_block_then_more_messages():
    """RFC 7692 7.2.3.4: a message may end the deflate stream (BFINAL); the next one
    starts a new stream that may still refer to the history."""
    ext = PerMessageDeflate(in_bits=15)
    compressor = client_compressor()
    first = compressor.compress(MESSAGES[0]) + compressor.flush(zlib.Z_FINISH)
    assert ext.decode(0x41, first, True, 1 << 20) == MESSAGES[0]
    again = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=MESSAGES[0])
    assert ext.decode(0x41, client_deflate(again, MESSAGES[0]), True, 1 << 20) == MESSAGES[0]


def test_garbage_after_the_final_block_is_a_protocol_error():
    ext = PerMessageDeflate()
    compressor = client_compressor()
    data = compressor.compress(b"hello") + compressor.flush(zlib.Z_FINISH) + b"junk"
    with pytest.raises(WebSocketError) as raised:
        ext.decode(0x41, data, True, 1 << 20)
    assert raised.value.code == 1002


def test_corrupt_deflate_data_is_an_error_not_a_crash():
    ext = PerMessageDeflate()
    with pytest.raises((WebSocketError, zlib.error)):
        ext.decode(0x41, b"\xff\xff\xff\xff garbage", True, 1 << 20)


# -- in a connection (both kernel paths) ----------------------------------------------------------

def masked_frame(op, payload, fin=True):
    mask = b"\x01\x02\x03\x04"
    head = bytes([(0x80 if fin else 0) | op])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 4096 else \
        (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")
         ).to_bytes(n, "big")
    return head + mask + body


def compressed_conn(max_message=1 << 20, **kwargs):
    return ws.WebSocketConnection(max_message, allow_binary=True,
                                  extensions=[PerMessageDeflate(in_bits=15, **kwargs)])


def error_code(events):
    assert events and events[-1][0] is ws.ERROR, events
    return events[-1][1].code


def test_connection_inflates_text_and_binary(kernels):
    conn = compressed_conn()
    client = client_compressor()
    events = conn.receive(masked_frame(0x41, client_deflate(client, "héllo".encode()))
                          + masked_frame(0x42, client_deflate(client, b"\x00\xff" * 50)))
    assert events == [(ws.TEXT, "héllo".encode()), (ws.BINARY, b"\x00\xff" * 50)]


def test_connection_invalid_utf8_after_inflating_is_1007(kernels):
    conn = compressed_conn()
    assert error_code(conn.receive(masked_frame(0x41, client_deflate(client_compressor(),
                                                                     b"\xff\xfe")))) == 1007


def test_rsv1_on_a_continuation_frame_is_1002(kernels):
    conn = compressed_conn()
    client = client_compressor()
    data = client_deflate(client, b"abc" * 10)
    events = conn.receive(masked_frame(0x41, data[:3], fin=False)
                          + masked_frame(0x40, data[3:]))
    assert error_code(events) == 1002


def test_rsv1_without_the_extension_is_1002(kernels):
    conn = ws.WebSocketConnection(1 << 20)
    assert error_code(conn.receive(masked_frame(0x41, b"abc"))) == 1002


@pytest.mark.parametrize("extra, fragments", [(0, 1), (1, 1), (2, 1), (0, 3), (1, 3), (2, 7)])
def test_exact_limit_after_inflating(kernels, extra, fragments):
    """max_message_size counts inflated bytes, across fragments: exactly the limit passes,
    one or two bytes more are refused."""
    limit = 10000
    message = os.urandom(limit // 2).hex().encode()[:limit - 7] + b"x" * (7 + extra)
    assert len(message) == limit + extra
    data = client_deflate(client_compressor(), message)
    step = len(data) // fragments + 1
    parts = [data[i:i + step] for i in range(0, len(data), step)]
    wire = b"".join(masked_frame((0x41 if i == 0 else 0) if True else 0, part,
                                 fin=i == len(parts) - 1) for i, part in enumerate(parts))
    conn = compressed_conn(limit)
    events = conn.receive(wire)
    if extra == 0:
        assert events == [(ws.TEXT, message)]
    else:
        assert error_code(events) == 1009


@functools.lru_cache(maxsize=1)
def gigabyte_bomb():
    """Deflate data (about 1 MiB) that inflates to 1 GiB of zeros: 64 sync-flushed 16 MiB
    segments; after the first, the compressor's state repeats and so do its bytes."""
    zeros = bytes(16 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    second = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH) == second
    bomb = first + second * 63
    check = zlib.decompressobj(-15)
    assert len(check.decompress(first + second * 2)) == 48 << 20
    return bomb


@pytest.mark.parametrize("limit", [65535, 65536, 65537, 300_000])
@pytest.mark.parametrize("extra", [0, 1, 2])
def test_exact_limit_for_frames_inflated_in_pieces(limit, extra):
    """Frames that inflate to more than one zlib call's piece (64 KiB): the same limit."""
    half = limit // 2
    message = os.urandom(half).hex().encode()[:half] + b"z" * (limit - half + extra)
    assert len(message) == limit + extra
    ext = PerMessageDeflate(in_bits=15)
    data = client_deflate(client_compressor(), message)
    if extra:
        with pytest.raises(WebSocketError) as raised:
            ext.decode(0x41, data, True, limit)
        assert raised.value.code == 1009
    else:
        assert ext.decode(0x41, data, True, limit) == message


def test_bomb_is_refused_while_it_inflates(kernels):
    """About 1 MiB of deflate data that would inflate to 1 GiB: refused with 1009 after
    inflating no more than the limit (+1 byte), without building the rest."""
    bomb = gigabyte_bomb()
    assert 900_000 < len(bomb) < 1_100_000
    conn = ws.WebSocketConnection(1 << 20, allow_binary=True,
                                  extensions=[PerMessageDeflate(in_bits=15)])
    events = conn.receive(masked_frame(0x42, bomb[:-4]))
    assert error_code(events) == 1009


def test_bomb_in_small_fragments_is_refused_early(kernels):
    chunk = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = chunk.compress(b"A" * (64 << 20)) + chunk.flush(zlib.Z_SYNC_FLUSH)
    conn = compressed_conn(1 << 20)
    wire = masked_frame(0x41, bomb[:1000], fin=False)
    wire += b"".join(masked_frame(0x0, bomb[i:i + 1000], fin=False)
                     for i in range(1000, 20000, 1000))
    events = conn.receive(wire)
    assert error_code(events) == 1009


def test_fragment_cap(kernels):
    conn = ws.WebSocketConnection(1 << 20, max_fragments=ws.MAX_FRAGMENTS)
    one = masked_frame(0x0, b"a", fin=False)
    wire = masked_frame(0x1, b"a", fin=False) + one * (ws.MAX_FRAGMENTS - 2) \
        + masked_frame(0x0, b"a")
    events = conn.receive(wire)
    assert events == [(ws.TEXT, b"a" * ws.MAX_FRAGMENTS)]
    conn = compressed_conn()
    client = client_compressor()
    first = masked_frame(0x41, client_deflate(client, b"a"), fin=False)
    empty = masked_frame(0x0, b"", fin=False)
    events = conn.receive(first + empty * 100_000)
    assert error_code(events) == 1009
    assert "fragments" in events[-1][1].reason


def test_outgoing_messages_are_compressed_and_heartbeats_are_not(kernels):
    conn = ws.WebSocketConnection(1 << 20, extensions=[PerMessageDeflate(threshold=32)])
    assert conn.send_text(b"h") == b"\x81\x01h"
    frame = conn.send_text(b"a" * 200)
    assert frame[0] == 0xC1 and frame[1] < 126
    assert zlib.decompressobj(-15).decompress(frame[2:] + b"\x00\x00\xff\xff") == b"a" * 200
    binary = conn.send_binary(b"\x00" * 200)
    assert binary[0] == 0xC2


@pytest.mark.parametrize("garbage", [b"\xff\xff\xff\xff", b"\x07" * 40, bytes(range(256))])
def test_what_is_not_deflate_data_fails_with_1007(garbage):
    # (zlib.error escaped from decode and out of the server's read; found by
    # fuzzing/fuzz_wsextensions.py)
    from txsockjs._speedups import WebSocketError
    extension = PerMessageDeflate()
    with pytest.raises(WebSocketError) as info:
        extension.decode(0x41, garbage, True, 1 << 20)
    assert info.value.code == 1007


def test_a_budget_beyond_any_c_integer_is_no_limit():
    """max_message_size is any whole number: 10**30 must not overflow the compiled kernel."""
    ext = PerMessageDeflate(in_bits=15)
    data = client_deflate(client_compressor(), MESSAGES[0] * 10)
    assert ext.decode(0x41, data, True, 10 ** 30) == MESSAGES[0] * 10
