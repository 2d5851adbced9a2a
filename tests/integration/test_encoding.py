"""Text encoding between client and server: the escape set, astral characters,
lone surrogates, and client-side escapes decoding to the exact string."""

import json
import re

import pytest

from .wire import (SockJSWebSocket, Stream, new_session_id, open_session, request, xhr,
                   xhr_send)

ESCAPED_RANGES = [(0x0000, 0x001F), (0x200C, 0x200F), (0x2028, 0x202F), (0x2060, 0x206F),
                  (0xFFF0, 0xFFFF)]
ESCAPE_SET = "".join(chr(c) for lo, hi in ESCAPED_RANGES for c in range(lo, hi + 1))
MUST_ESCAPE = re.compile("[%s]" % "".join("\\u%04x-\\u%04x" % r for r in ESCAPED_RANGES))
OTHER_TEXT = "plain ASCII \"quoted\" back\\slash /slash \u00e9\u00fc \u4e2d\u6587 \u0627 \ufeff \ufffd"
ASTRAL = "\U0001F600\U00010000\U0010FFFF"


def url():
    return "/echo/000/%s" % new_session_id()


def echo_xhr(addr, body):
    """Send ``body`` (exact bytes) through xhr_send and return the xhr frame text."""
    u = url()
    open_session(addr, u)
    resp = xhr_send(addr, u, body if isinstance(body, bytes) else body.encode("utf-8"))
    assert resp.status == 204, resp
    frame = xhr(addr, u).body
    assert frame.endswith(b"\n")
    return frame[:-1].decode("utf-8")


def assert_escapes_ok(frame):
    assert not MUST_ESCAPE.search(frame), "raw escape-set character in %r" % frame
    for m in re.finditer(r"\\u([0-9a-fA-F]{4})", frame):
        assert m.group(1) == m.group(1).lower(), "uppercase escape %s" % m.group(0)


def test_escape_set_exact_bytes(addr):
    # the client escapes everything (ASCII JSON); the server answers with each
    # character of the set as a lowercase \uXXXX escape (or JSON's short escape)
    payload = json.dumps([ESCAPE_SET])
    frame = echo_xhr(addr, payload)
    short = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    pattern = "".join("(?:%s%s)" % (re.escape("\\u%04x" % ord(ch)),
                                    "|" + re.escape(short[ch]) if ch in short else "")
                      for ch in ESCAPE_SET)
    assert re.fullmatch(r'a\["' + pattern + r'"\]', frame), frame


@pytest.mark.parametrize("lo,hi", ESCAPED_RANGES)
def test_escape_set_each_range(addr, lo, hi):
    text = "".join(chr(c) for c in range(lo, hi + 1))
    frame = echo_xhr(addr, json.dumps([text]))
    assert_escapes_ok(frame)
    assert json.loads(frame[1:]) == [text]


def test_escape_set_sent_raw_utf8(addr):
    # raw UTF-8 (not escaped by the client) for the characters JSON allows raw
    text = ESCAPE_SET[0x20:]  # skip control characters, which JSON forbids raw
    frame = echo_xhr(addr, json.dumps([text], ensure_ascii=False))
    assert_escapes_ok(frame)
    assert json.loads(frame[1:]) == [text]
    for ch in "\u2028\u2029\u200c\u2060\ufff0\uffff":
        assert "\\u%04x" % ord(ch) in frame


def test_other_text_round_trip(addr):
    for ensure_ascii in (True, False):
        frame = echo_xhr(addr, json.dumps([OTHER_TEXT], ensure_ascii=ensure_ascii))
        assert_escapes_ok(frame)
        assert json.loads(frame[1:]) == [OTHER_TEXT]


def test_astral_round_trip(addr):
    for ensure_ascii in (True, False):
        frame = echo_xhr(addr, json.dumps([ASTRAL], ensure_ascii=ensure_ascii))
        assert json.loads(frame[1:]) == [ASTRAL]
        for ch in ASTRAL:
            if ch not in frame:  # escaped: then as a lowercase surrogate pair
                hi = 0xD800 + ((ord(ch) - 0x10000) >> 10)
                lo = 0xDC00 + ((ord(ch) - 0x10000) & 0x3FF)
                assert "\\u%04x\\u%04x" % (hi, lo) in frame, frame


def test_lone_surrogates(addr):
    # the wrapped protocol receives UTF-8 bytes, which cannot hold a lone surrogate:
    # the server may deliver U+FFFD instead; whatever goes out must be escaped
    text = "a\ud800b\udfffc\udc00\ud83d"
    frame = echo_xhr(addr, json.dumps([text]))
    assert_escapes_ok(frame)
    got = json.loads(frame[1:])[0]
    assert len(got) == len(text)
    for sent, echoed in zip(text, got):
        if "\ud800" <= sent <= "\udfff":
            assert echoed in (sent, "\ufffd"), frame
            assert "\\u%04x" % ord(echoed) in frame, frame
        else:
            assert echoed == sent


def test_client_escapes_decode_exactly(addr):
    body = r'["\u0041\u00e9\u00E9\/\"\\\b\f\n\r\t\uFFFE\uffff\ud83d\ude00\u2028"]'
    frame = echo_xhr(addr, body)
    assert json.loads(frame[1:]) == ["A\u00e9\u00e9/\"\\\b\f\n\r\t\ufffe\uffff\U0001F600\u2028"]


def test_many_messages_one_frame_keep_order(addr):
    msgs = [ESCAPE_SET[i:i + 7] for i in range(0, len(ESCAPE_SET), 7)] + [ASTRAL, OTHER_TEXT, ""]
    frame = echo_xhr(addr, json.dumps(msgs))
    assert json.loads(frame[1:]) == msgs


def test_websocket_round_trip(addr):
    text = ESCAPE_SET + ASTRAL + OTHER_TEXT
    with SockJSWebSocket.connect(addr, url() + "/websocket") as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_text(json.dumps([text]))
        frame = ws.recv_sockjs()
        assert_escapes_ok(frame)
        assert json.loads(frame[1:]) == [text]
        ws.send_text(json.dumps([ESCAPE_SET]))
        assert ws.recv_sockjs() == "a" + json.dumps([ESCAPE_SET])


def test_jsonp_round_trip(addr):
    text = ESCAPE_SET + ASTRAL + OTHER_TEXT
    u = url()
    assert request(addr, "GET", u + "/jsonp?c=cb").status == 200
    assert request(addr, "POST", u + "/jsonp_send", {"Content-Type": "text/plain"},
                   json.dumps([text], ensure_ascii=False)).body == b"ok"
    body = request(addr, "GET", u + "/jsonp?c=cb").text
    assert not MUST_ESCAPE.search(body[:-2]), body
    m = re.fullmatch(r'/\*\*/cb\((".*")\);\r\n', body, re.S)
    assert m, body
    frame = json.loads(m.group(1))
    assert json.loads(frame[1:]) == [text]


def test_eventsource_round_trip(addr):
    import urllib.parse
    text = ESCAPE_SET + ASTRAL + OTHER_TEXT + "100%"
    u = url()
    with Stream.open(addr, "GET", u + "/eventsource") as s:
        assert s.read_until(b"data: o\r\n\r\n").endswith(b"data: o\r\n\r\n")
        assert xhr_send(addr, u, [text]).status == 204
        event = s.read_until(b"\r\n\r\n").decode("utf-8")
        line = event[len("data: "):-4]
        assert not MUST_ESCAPE.search(line), line
        frame = urllib.parse.unquote(line)
        assert json.loads(frame[1:]) == [text]


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "utf8"])
def test_jsonp_send_form_round_trip(addr, ensure_ascii):
    import urllib.parse
    text = ESCAPE_SET + ASTRAL + OTHER_TEXT + " + & = %"
    u = url()
    assert request(addr, "GET", u + "/jsonp?c=cb").status == 200
    form = "d=" + urllib.parse.quote(json.dumps([text], ensure_ascii=ensure_ascii).encode("utf-8"))
    resp = request(addr, "POST", u + "/jsonp_send",
                   {"Content-Type": "application/x-www-form-urlencoded"}, form)
    assert resp.status == 200 and resp.body == b"ok", resp
    body = request(addr, "GET", u + "/jsonp?c=cb").text
    m = re.fullmatch(r'/\*\*/cb\((".*")\);\r\n', body, re.S)
    assert m, body
    assert json.loads(json.loads(m.group(1))[1:]) == [text]
