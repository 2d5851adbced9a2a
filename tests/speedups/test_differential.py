"""Hypothesis: the compiled kernels and their pure twins agree on everything.

Each test runs one input through both paths and compares results, or the
exception type and its payload (close code, HTTP status, message).
"""

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from txsockjs._speedups.kernelerrors import HTTPError, PayloadError, WebSocketError

settings.register_profile("kernels", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.load_profile("kernels")

BUFFER_TYPES = st.sampled_from([bytes, bytearray, memoryview])


def outcome(function, *args, **kwargs):
    try:
        return ("ok", function(*args, **kwargs))
    except WebSocketError as error:
        return ("error", WebSocketError, error.code, error.reason)
    except HTTPError as error:
        return ("error", HTTPError, error.status, error.reason)
    except PayloadError as error:
        return ("error", PayloadError, str(error))
    except (TypeError, ValueError, UnicodeDecodeError) as error:
        return ("error", type(error))


# --- masking -------------------------------------------------------------

@given(mask=st.binary(min_size=4, max_size=4),
       data=st.one_of(st.binary(max_size=300),
                      st.integers(0, 70000).map(lambda n: bytes([0x80 | (n & 0x7F)]) * n)),
       kind=BUFFER_TYPES, offset=st.integers(0, 7))
def test_mask(twins, mask, data, kind, offset):
    pure, compiled = twins
    view = kind(data)[offset:] if kind is memoryview else kind(data[offset:])
    expected = pure.websocket_mask(mask, view)
    assert compiled.websocket_mask(kind(mask), view) == expected
    buf_p, buf_c = bytearray(view), bytearray(view)
    pure.websocket_mask_inplace(mask, buf_p)
    compiled.websocket_mask_inplace(mask, memoryview(buf_c) if kind is memoryview else buf_c)
    assert buf_p == buf_c == bytearray(expected)


@given(mask=st.binary(max_size=6), data=st.binary(max_size=20))
def test_mask_errors(twins, mask, data):
    pure, compiled = twins
    assert outcome(pure.websocket_mask, mask, data) == outcome(compiled.websocket_mask, mask, data)


# --- WebSocket frames ----------------------------------------------------

LENGTH_FORMS = st.sampled_from([0, 1, 2, 124, 125, 126, 127, 128, 255, 256, 1000,
                                65535, 65536, 65537])


@st.composite
def raw_frame(draw):
    """A frame, usually valid, sometimes breaking a rule."""
    opcode = draw(st.sampled_from([0, 1, 2, 8, 9, 10] * 4 + list(range(16))))
    fin = draw(st.booleans()) if opcode < 8 else draw(st.sampled_from([True] * 9 + [False]))
    rsv = draw(st.sampled_from([0] * 20 + [0x10, 0x20, 0x40]))
    masked = draw(st.sampled_from([True] * 15 + [False]))
    if opcode >= 8:
        length = draw(st.sampled_from([0, 1, 2, 125] * 5 + [126]))
    else:
        length = draw(st.one_of(LENGTH_FORMS, st.integers(0, 300)))
    form = 7 if length < 126 else 16 if length < 65536 else 64
    form = draw(st.sampled_from([form] * 6 + [16, 64]))
    if form == 16 and length > 65535:
        form = 64
    payload = draw(st.binary(min_size=min(length, 64), max_size=min(length, 64)))
    payload = (payload * (length // max(len(payload), 1) + 1))[:length]
    first = (0x80 if fin else 0) | rsv | opcode
    bit = 0x80 if masked else 0
    if form == 7:
        head = bytes((first, bit | length))
    elif form == 16:
        head = bytes((first, bit | 126)) + length.to_bytes(2, "big")
    else:
        big = draw(st.sampled_from([length] * 12 + [length | (1 << 63), 1 << 40]))
        head = bytes((first, bit | 127)) + big.to_bytes(8, "big")
    mask = draw(st.binary(min_size=4, max_size=4)) if masked else b""
    return head + mask + payload


def chunks(data, cuts):
    points = sorted({min(c, len(data)) for c in cuts})
    out, last = [], 0
    for p in points:
        out.append(data[last:p])
        last = p
    out.append(data[last:])
    return out


def run_parser(parser, pieces, starts=(0,)):
    frames = []
    try:
        for piece in pieces:
            frames.extend(parser.feed(piece))
            frames.append(("buffered", parser.buffered))
            for start in starts:
                frames.append(("partial", start, parser.partial_payload(start)))
    except WebSocketError as error:
        frames.append(("error", error.code, error.reason, error.frames))
    return frames


@given(frames=st.lists(raw_frame(), min_size=1, max_size=6),
       garbage=st.binary(max_size=12),
       cuts=st.lists(st.integers(0, 140000), max_size=8),
       kind=BUFFER_TYPES,
       max_payload=st.sampled_from([1 << 20, 1 << 20, 125, 65535, 65536, 0, 1 << 64]),
       require_mask=st.sampled_from([True, True, True, False]),
       allow_binary=st.sampled_from([True, True, False]),
       allowed_rsv=st.sampled_from([0, 0, 0x40, 0x70, 0x20]),
       starts=st.lists(st.integers(-1, 300), max_size=3))
def test_parser(twins, frames, garbage, cuts, kind, max_payload, require_mask, allow_binary,
                allowed_rsv, starts):
    pure, compiled = twins
    data = b"".join(frames) + garbage
    pieces = [kind(piece) for piece in chunks(data, cuts)]
    expected = run_parser(pure.FrameParser(max_payload, require_mask, allow_binary, allowed_rsv),
                          pieces, starts)
    assert run_parser(compiled.FrameParser(max_payload, require_mask, allow_binary, allowed_rsv),
                      pieces, starts) == expected


@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_parser_on_noise(twins, data, cuts):
    pure, compiled = twins
    pieces = chunks(data, cuts)
    for require_mask in (True, False):
        assert (run_parser(compiled.FrameParser(require_mask=require_mask), pieces)
                == run_parser(pure.FrameParser(require_mask=require_mask), pieces))


@given(opcode=st.one_of(st.integers(-2, 20), st.integers(0x3E, 0x82)), payload=st.one_of(st.binary(max_size=300), LENGTH_FORMS.map(bytes)),
       fin=st.booleans(), kind=BUFFER_TYPES)
def test_build_frame(twins, opcode, payload, fin, kind):
    pure, compiled = twins
    assert (outcome(compiled.build_frame, opcode, kind(payload), fin)
            == outcome(pure.build_frame, opcode, kind(payload), fin))


# --- SockJS frames -------------------------------------------------------

SPECIAL = ("\x00\x01\x08\t\n\x0b\x0c\r\x1f\x20\"\\/<>&\x7f\x80\xe9\xff\u0100\u07ff\u0800"
           "\u200b\u200c\u200d\u200f\u2010\u2027\u2028\u2029\u202f\u2030\u205f\u2060"
           "\u206f\u2070\ud7ff\ud800\udbff\udc00\udfff\ue000\uffef\ufff0\ufffd\ufffe\uffff"
           "\U00010000\U0001f600\U0010ffff")

TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec=None), max_size=60),
    st.text(alphabet=st.sampled_from(SPECIAL), max_size=60),
    st.text(alphabet=st.sampled_from(SPECIAL) | st.characters(max_codepoint=127), max_size=200),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=3000),
)


@given(text=TEXT)
def test_quote(twins, text):
    pure, compiled = twins
    assert compiled.quote(text) == pure.quote(text)


@given(messages=st.lists(TEXT, max_size=40), container=st.sampled_from([list, tuple, iter]))
def test_encode_messages(twins, messages, container):
    pure, compiled = twins
    expected = pure.encode_messages(container(messages))
    assert compiled.encode_messages(container(messages)) == expected


FRAME_BYTES = st.one_of(
    st.binary(max_size=200),
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(TEXT, max_size=5).map(lambda m: b"a" + repr(m).encode("utf-8", "surrogatepass")),
)


@given(frame=FRAME_BYTES, kind=BUFFER_TYPES, callback=st.sampled_from([b"cb", b"a.b_c", b"x"]))
def test_wrappers(twins, frame, kind, callback):
    pure, compiled = twins
    assert compiled.wrap_eventsource(kind(frame)) == pure.wrap_eventsource(kind(frame))
    assert outcome(compiled.wrap_htmlfile, kind(frame)) == outcome(pure.wrap_htmlfile, kind(frame))
    assert (outcome(compiled.wrap_jsonp, callback, kind(frame))
            == outcome(pure.wrap_jsonp, callback, kind(frame)))


JSONISH = st.sampled_from(list(b'[]",\\ u0123456789abcdefABCDEF{}:nulltrue \t\r\n') + [0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xa9, 0xed, 0xa0, 0xff])


@given(body=st.one_of(
    st.binary(max_size=60),
    st.lists(JSONISH, max_size=40).map(bytes),
    st.lists(TEXT, max_size=6).map(lambda m: __import__("json").dumps(m).encode("utf-8", "surrogatepass")),
    st.lists(TEXT, max_size=6).map(lambda m: __import__("json").dumps(m, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.lists(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=20),
             max_size=6).map(lambda m: __import__("json").dumps(m, separators=(",", ":")).encode()),
), kind=BUFFER_TYPES)
def test_decode(twins, body, kind):
    pure, compiled = twins
    assert outcome(compiled.decode_messages, kind(body)) == outcome(pure.decode_messages, kind(body))


@given(messages=st.lists(TEXT, max_size=8))
def test_roundtrip_through_the_client_encoding(twins, messages):
    """What a browser sends (JSON.stringify) decodes to the exact strings."""
    import json
    assume(all("\ud800" > c or c > "\udfff" for m in messages for c in m))
    body = json.dumps(messages, ensure_ascii=False).encode("utf-8")
    for kernels in twins:
        assert kernels.decode_messages(body) == messages


# --- HTTP heads ----------------------------------------------------------

HEAD_BYTES = st.sampled_from(list(b"GETPOSHTP/1.0 \r\n:\t-aZ") + [0, 0x7f, 0x80, 0xff, 0x0b, ord("("), 0xc3])


@st.composite
def head(draw):
    method = draw(st.sampled_from([b"GET", b"POST", b"OPTIONS", b"G(T", b""]))
    target = draw(st.sampled_from([b"/", b"/a?b=c", b"*", b"/\xe9", b""]))
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.x", b"http/1.1"]))
    lines = [method + b" " + target + b" " + version]
    names = st.sampled_from([b"Host", b"host", b"Content-Length", b"Transfer-Encoding", b"X-A",
                             b"x-a", b"Bad Name", b"", b"\xe9"])
    values = st.one_of(st.sampled_from([b"a", b"b", b" a ", b"\ta\t", b"", b"a\x00", b"\xe9\xff"]),
                       st.lists(HEAD_BYTES, max_size=10).map(bytes))
    for _ in range(draw(st.integers(0, 8))):
        lines.append(draw(names) + draw(st.sampled_from([b":", b": ", b" :", b""])) + draw(values))
    ending = draw(st.sampled_from([b"\r\n", b"\n", b"\r\n", b"\r"]))
    data = ending.join(lines) + draw(st.sampled_from([b"", ending]))
    if draw(st.booleans()):
        data += draw(st.lists(HEAD_BYTES, max_size=10).map(bytes))
    return data


@given(data=st.one_of(head(), st.lists(HEAD_BYTES, max_size=60).map(bytes), st.binary(max_size=80)),
       kind=BUFFER_TYPES, max_headers=st.sampled_from([100, 100, 0, 1, 3]))
def test_http_head(twins, data, kind, max_headers):
    pure, compiled = twins
    assert (outcome(compiled.parse_request_head, kind(data), max_headers)
            == outcome(pure.parse_request_head, kind(data), max_headers))


@given(pieces=st.lists(st.sampled_from([b"\r", b"\n", b"a", b"\r\n", b"\n\r"]), max_size=14),
       start=st.integers(-2, 16), kind=BUFFER_TYPES)
def test_head_end(twins, pieces, start, kind):
    # Both paths find what the reader once searched for with a regular
    # expression: the first \r?\n\r?\n starting at ``start`` or after.
    import re
    pure, compiled = twins
    data = b"".join(pieces)
    found = re.compile(rb"\r?\n\r?\n").search(data, max(start, 0))
    expected = (found.start(), found.end()) if found else (-1, -1)
    assert pure.find_head_end(kind(data), start) == expected
    assert compiled.find_head_end(kind(data), start) == expected
