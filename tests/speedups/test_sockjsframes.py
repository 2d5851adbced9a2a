"""SockJS frame encoding and client-body decoding, on both paths."""

import json

import pytest

from txsockjs._speedups.kernelerrors import PayloadError

# (text, its quoting byte for byte as the reference server sends it)
QUOTED = [
    ("", '""'),
    ("hello", '"hello"'),
    ('"\\/', '"\\"\\\\/"'),
    ("\b\t\n\f\r", '"\\b\\t\\n\\f\\r"'),
    ("\x00\x01\x1f\x7f", '"\\u0000\\u0001\\u001f\x7f"'),
    ("caf\xe9 \xff", '"caf\xe9 \xff"'),
    ("\u0100\u07ff\u0800\u4e2d", '"\u0100\u07ff\u0800\u4e2d"'),
    ("\u200b\u200c\u200f\u2010", '"\u200b\\u200c\\u200f\u2010"'),
    ("\u2027\u2028\u2029\u202f\u2030", '"\u2027\\u2028\\u2029\\u202f\u2030"'),
    ("\u205f\u2060\u206f\u2070", '"\u205f\\u2060\\u206f\u2070"'),
    ("\ud7ff\ud800\udbff\udc00\udfff\ue000", '"\ud7ff\\ud800\\udbff\\udc00\\udfff\ue000"'),
    ("\uffef\ufff0\ufffd\uffff", '"\uffef\\ufff0\\ufffd\\uffff"'),
    ("\U0001f600", '"\\ud83d\\ude00"'),
    ("\U00010000\U0010ffff", '"\\ud800\\udc00\\udbff\\udfff"'),
    ("a\U0001f600\ud800\u2028\xe9\n", '"a\\ud83d\\ude00\\ud800\\u2028\xe9\\n"'),
    ("<script>&", '"<script>&"'),
]


@pytest.mark.parametrize("text, expected", QUOTED)
def test_quote(kernels, text, expected):
    out = kernels.quote(text)
    assert type(out) is str
    assert out == expected


@pytest.mark.parametrize("text, expected", QUOTED)
def test_encode_one_message(kernels, text, expected):
    out = kernels.encode_messages([text])
    assert type(out) is bytes
    assert out == ("a[" + expected + "]").encode("utf-8")


def test_encode_batches(kernels):
    texts = [t for t, _ in QUOTED]
    expected = "a[" + ",".join(q for _, q in QUOTED) + "]"
    assert kernels.encode_messages(texts) == expected.encode("utf-8")
    assert kernels.encode_messages(tuple(texts)) == expected.encode("utf-8")
    assert kernels.encode_messages(iter(texts)) == expected.encode("utf-8")
    assert kernels.encode_messages([]) == b"a[]"
    many = ["m%d" % i for i in range(1000)]
    assert kernels.encode_messages(many) == b"a" + json.dumps(many, separators=(",", ":")).encode()


def test_output_decodes_back(kernels):
    # (Adjacent lone surrogates would decode as one pair: leave them out.)
    texts = [t for t, _ in QUOTED if "\udbff\udc00" not in t]
    frame = kernels.encode_messages(texts)
    assert frame.isascii() or frame.decode("utf-8")
    assert json.loads(frame[1:].decode("utf-8")) == texts


def test_str_subclass_and_non_str(kernels):
    class Text(str):
        pass
    assert kernels.encode_messages([Text("a\u2028")]) == b'a["a\\u2028"]'
    # Not str: whatever the JSON encoder makes of it, escaped the same way.
    assert kernels.encode_messages(["a", 1, None, ["\u2028"]]) == b'a["a",1,null,["\\u2028"]]'
    assert kernels.quote(5) == "5"


def test_open_heartbeat_close(kernels, monkeypatch):
    from txsockjs.protocol import frames
    assert frames.OPEN == b"o"
    assert frames.HEARTBEAT == b"h"
    monkeypatch.setattr(frames, "quote", kernels.quote)  # the close frame on this path
    assert frames.encode_close(3000, "Go away!") == b'c[3000,"Go away!"]'
    assert frames.encode_close(1002, 'a"\u2028\xe9') == 'c[1002,"a\\"\\u2028\xe9"]'.encode()


def test_wrap_eventsource(kernels):
    assert kernels.wrap_eventsource(b'a["x"]') == b'data: a["x"]\r\n\r\n'
    assert kernels.wrap_eventsource(b"o") == b"data: o\r\n\r\n"
    assert kernels.wrap_eventsource(bytearray(b'a["%\r\n\x00\xc3\xa9"]')) == (
        b'data: a["%25%0D%0A%00\xc3\xa9"]\r\n\r\n')
    assert kernels.wrap_eventsource(memoryview(b"%%")) == b"data: %25%25\r\n\r\n"


def test_wrap_htmlfile(kernels):
    assert kernels.wrap_htmlfile(b"o") == b'<script>\np("o");\n</script>\r\n'
    assert kernels.wrap_htmlfile(b'a["</script>&"]') == (
        b'<script>\np("a[\\"\\u003c/script\\u003e\\u0026\\"]");\n</script>\r\n')
    assert kernels.wrap_htmlfile(b'a["\\u2028\xc3\xa9"]') == (
        b'<script>\np("a[\\"\\\\u2028\xc3\xa9\\"]");\n</script>\r\n')


def test_wrap_jsonp(kernels):
    assert kernels.wrap_jsonp(b"cb", b'a["x"]') == b'/**/cb("a[\\"x\\"]");\r\n'
    assert kernels.wrap_jsonp(b"f.g", bytearray(b"<h>")) == b'/**/f.g("\\u003ch\\u003e");\r\n'


def test_wrappers_reject_invalid_utf8(kernels):
    for wrap in (kernels.wrap_htmlfile, lambda frame: kernels.wrap_jsonp(b"c", frame)):
        with pytest.raises(UnicodeDecodeError):
            wrap(b"a[\xff]")


@pytest.mark.parametrize("body, expected", [
    (b'["a"]', ["a"]),
    (b'["a","b c"]', ["a", "b c"]),
    (b"[]", []),
    (b'[""]', [""]),
    (b' [ "a" , "b" ] ', ["a", "b"]),
    (b'["\\u2028\\ud83d\\ude00\\n\\"\\\\\\/"]', ["\u2028\U0001f600\n\"\\/"]),
    ('["caf\xe9 \u4e2d \U0001f600"]'.encode("utf-8"), ["caf\xe9 \u4e2d \U0001f600"]),
    (bytearray(b'["x"]'), ["x"]),
    (memoryview(b'["x"]'), ["x"]),
])
def test_decode(kernels, body, expected):
    got = kernels.decode_messages(body)
    assert type(got) is list
    assert got == expected
    assert all(type(item) is str for item in got)


@pytest.mark.parametrize("body", [b"", bytearray(), memoryview(b"")])
def test_decode_empty(kernels, body):
    with pytest.raises(PayloadError) as info:
        kernels.decode_messages(body)
    assert str(info.value) == "Payload expected."


@pytest.mark.parametrize("body", [
    b"x", b"[", b'["a"', b'["a",]', b'["a"]]', b'"a"', b"{}", b'{"a":"b"}', b"[1]",
    b'["a",1]', b'[["a"]]', b'["a",null]', b"\xff", b'["\xff"]', b'["\xed\xa0\x80"]',
    b'["a"] x', b"null", b"1", b'["a" "b"]',
])
def test_decode_broken(kernels, body):
    with pytest.raises(PayloadError) as info:
        kernels.decode_messages(body)
    assert str(info.value) == "Broken JSON encoding."
    assert isinstance(info.value, ValueError)
