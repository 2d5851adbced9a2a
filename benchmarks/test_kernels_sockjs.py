"""SockJS frames: txsockjs compiled and pure vs JSON libraries (orjson,
ujson, json) each followed by the SockJS escaping done with a regex, the way
a Python server without a dedicated kernel would do it.

Every anchor produces the same bytes as txsockjs (checked before timing).
"""

import json
import re

import pytest

from conftest import load_compiled, record
from txsockjs._speedups import sockjsframes_py

COMPILED = load_compiled()

ESCAPABLE = re.compile(
    "[\u200c-\u200f\u2028-\u202f\u2060-\u206f\ufff0-\uffff"
    "\ud800-\udfff\U00010000-\U0010ffff]")


def escape_char(match):
    code = ord(match.group())
    if code > 0xFFFF:
        code -= 0x10000
        return "\\u%04x\\u%04x" % (0xD800 | (code >> 10), 0xDC00 | (code & 0x3FF))
    return "\\u%04x" % code


_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_regex(messages):
    """The standard json module (a prebuilt encoder) plus the regex."""
    return ("a" + ESCAPABLE.sub(escape_char, _json_encode(messages))).encode("utf-8")


def json_regex_ascii(messages):
    """The same, skipping the regex when the output is ASCII."""
    out = _json_encode(messages)
    if out.isascii():
        return b"a" + out.encode("ascii")
    return ("a" + ESCAPABLE.sub(escape_char, out)).encode("utf-8")


def anchors():
    out = {"json+regex": json_regex, "json+regex+ascii-fast-path": json_regex_ascii}
    try:
        import orjson
        dumps = orjson.dumps

        def orjson_ascii(messages):
            """orjson with an ASCII fast path, the regex otherwise."""
            raw = dumps(messages)
            if raw.isascii():
                return b"a" + raw
            return ("a" + ESCAPABLE.sub(escape_char, raw.decode("utf-8"))).encode("utf-8")
        out["orjson+ascii-fast-path"] = orjson_ascii
    except ImportError:
        pass
    try:
        import ujson
        udumps = ujson.dumps

        def ujson_regex(messages):
            raw = udumps(messages, ensure_ascii=False, escape_forward_slashes=False)
            if raw.isascii():
                return b"a" + raw.encode("ascii")
            return ("a" + ESCAPABLE.sub(escape_char, raw)).encode("utf-8")
        out["ujson+regex+ascii-fast-path"] = ujson_regex
    except ImportError:
        pass
    return out


def impls():
    out = {}
    if COMPILED:
        out["txsockjs-compiled"] = COMPILED[2].encode_messages
    out["txsockjs-pure"] = sockjsframes_py.encode_messages
    out.update(anchors())
    return out


IMPLS = impls()

WORDS = "the quick brown fox jumps over the lazy dog 0123456789 {} [] : , . ! ?".split()


def ascii_text(size, seed=0):
    out, i = [], seed
    while sum(map(len, out)) + len(out) < size:
        out.append(WORDS[i % len(WORDS)])
        i += 7
    return " ".join(out)[:size]


SEGMENTS = [
    "Hello, world! ", "caf\xe9 ", "na\xefve ", "\u4e2d\u6587\u5b57\u7b26 ", "\u65e5\u672c\u8a9e ",
    "\U0001f600\U0001f389 ", "\u2028", "\U0001f469\u200d\U0001f4bb ", "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac ",
    "\u0440\u0443\u0441\u0441\u043a\u0438\u0439 ", "\"quoted\"\n", "\ufff9 ",
]


def mixed_text(size):
    """Mixed unicode: ASCII, Latin-1, Greek, Cyrillic, CJK, emoji (astral),
    ZWJ sequences, U+2028, U+FFF9, quotes and a newline."""
    out, i = "", 0
    while len(out) < size:
        out += SEGMENTS[i % len(SEGMENTS)]
        i += 1
    return out[:size]


CASES = {
    "1 ASCII msg of 20B": [ascii_text(20)],
    "1 ASCII msg of 125B": [ascii_text(125)],
    "1 ASCII msg of 1KiB": [ascii_text(1024)],
    "10 ASCII msgs of 100B": [ascii_text(100, seed) for seed in range(10)],
    "1 ASCII msg of 64KiB": [ascii_text(65536)],
    "1 mixed-unicode msg of 1KiB": [mixed_text(1024)],
    "10 mixed-unicode msgs of 100B": [mixed_text(100 + i)[i:] for i in range(10)],
    "1 Latin-1 msg of 1KiB": [("caf\xe9 cr\xe8me br\xfbl\xe9e " * 60)[:1024]],
}
GOALS = {
    "txsockjs-compiled": [("orjson+ascii-fast-path", 1.0)],
    "txsockjs-pure": [("json+regex", 1.0)],
}
MIXED_GOALS = {
    "txsockjs-compiled": [("json+regex", 10.0), ("orjson+ascii-fast-path", 10.0),
                          ("ujson+regex+ascii-fast-path", 10.0)],
    "txsockjs-pure": [("json+regex", 1.0)],
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", list(IMPLS))
def test_encode(benchmark, impl, case):
    messages = CASES[case]
    encode = IMPLS[impl]
    assert encode(messages) == sockjsframes_py.encode_messages(messages)
    goals = (MIXED_GOALS if "unicode" in case else GOALS).get(impl, ())
    record(benchmark, "encode %s" % case, impl, len(messages), "msgs", goals)
    benchmark(encode, messages)


# Client bodies: decode_messages vs the JSON libraries with the same checks.

def checked(loads):
    def decode(body):
        value = loads(body)
        if type(value) is not list or any(type(item) is not str for item in value):
            raise ValueError("Broken JSON encoding.")
        return value
    return decode


def decoders():
    out = {}
    if COMPILED:
        out["txsockjs-compiled"] = COMPILED[2].decode_messages
    out["txsockjs-pure"] = sockjsframes_py.decode_messages
    out["json.loads+checks"] = checked(json.loads)
    try:
        import orjson
        out["orjson.loads+checks"] = checked(orjson.loads)
    except ImportError:
        pass
    try:
        import ujson
        out["ujson.loads+checks"] = checked(ujson.loads)
    except ImportError:
        pass
    return out


DECODERS = decoders()
BODIES = {
    "1 ASCII msg of 20B": json.dumps([ascii_text(20)]).encode(),
    "10 ASCII msgs of 100B": json.dumps([ascii_text(100, s) for s in range(10)]).encode(),
    "1 mixed-unicode msg of 1KiB": json.dumps([mixed_text(1024)], ensure_ascii=False).encode(),
}


@pytest.mark.parametrize("case", list(BODIES))
@pytest.mark.parametrize("impl", list(DECODERS))
def test_decode(benchmark, impl, case):
    body = BODIES[case]
    decode = DECODERS[impl]
    assert decode(body) == json.loads(body)
    record(benchmark, "decode %s" % case, impl, len(json.loads(body)), "msgs")
    benchmark(decode, body)


# The HTML-safe wrapping of the htmlfile transport.

WRAPPERS = {}
if COMPILED:
    WRAPPERS["txsockjs-compiled"] = COMPILED[2].wrap_htmlfile
WRAPPERS["txsockjs-pure"] = sockjsframes_py.wrap_htmlfile


@pytest.mark.parametrize("impl", list(WRAPPERS))
def test_wrap_htmlfile(benchmark, impl):
    frame = sockjsframes_py.encode_messages([ascii_text(100, s) + "<>&" for s in range(5)])
    record(benchmark, "wrap htmlfile 5 msgs", impl, 1, "frames")
    benchmark(WRAPPERS[impl], frame)
