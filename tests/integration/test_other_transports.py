"""eventsource, htmlfile, jsonp and jsonp_send."""

import json
import re
import urllib.parse

import pytest

from .wire import (Stream, assert_nocache, new_session_id, open_session, request, xhr,
                   xhr_send)


def url(service="echo"):
    return "/%s/000/%s" % (service, new_session_id())


# -- eventsource -----------------------------------------------------------------

def test_eventsource(addr):
    u = url()
    with Stream.open(addr, "GET", u + "/eventsource") as s:
        r = s.resp
        assert r.status == 200
        assert r.header("Content-Type") == "text/event-stream"
        assert_nocache(r)
        assert r.chunked
        assert s.next_chunk() == b"\r\n"
        assert s.next_chunk() == b"data: o\r\n\r\n"
        assert xhr_send(addr, u, ["x"]).status == 204
        assert s.next_chunk() == b'data: a["x"]\r\n\r\n'


def test_eventsource_percent_escaping(addr):
    u = url()
    with Stream.open(addr, "GET", u + "/eventsource") as s:
        assert s.read_until(b"data: o\r\n\r\n") == b"\r\ndata: o\r\n\r\n"
        message = "50% done %zz %25 \r\n\x00 end"
        assert xhr_send(addr, u, [message]).status == 204
        event = s.read_until(b"\r\n\r\n").decode("utf-8")
        assert event.startswith("data: ") and event.endswith("\r\n\r\n")
        line = event[len("data: "):-4]
        assert "\r" not in line and "\n" not in line and "\x00" not in line
        # every % in the line starts an escape the browser's decodeURI understands
        assert re.fullmatch(r"(?:[^%]|%[0-9A-Fa-f]{2})*", line), line
        assert "%zz" not in line and "% d" not in line
        frame = urllib.parse.unquote(line)
        assert frame.startswith("a")
        assert json.loads(frame[1:]) == [message]


def test_eventsource_close_service(addr):
    with Stream.open(addr, "GET", url("close") + "/eventsource") as s:
        assert s.next_chunk() == b"\r\n"
        assert s.next_chunk() == b"data: o\r\n\r\n"
        assert s.next_chunk() == b'data: c[3000,"Go away!"]\r\n\r\n'
        assert s.next_chunk(1.0) is None


def test_eventsource_heartbeat(addr):
    with Stream.open(addr, "GET", url() + "/eventsource") as s:
        s.read_until(b"data: o\r\n\r\n")
        assert s.next_chunk(2.5) == b"data: h\r\n\r\n"


def test_eventsource_post_405(addr):
    resp = request(addr, "POST", url() + "/eventsource", body=b"")
    assert resp.status == 405 and "GET" in (resp.header("Allow") or "")


# -- htmlfile ------------------------------------------------------------------------

def _script_frame(chunk):
    text = chunk.decode("utf-8")
    m = re.fullmatch(r'<script>\np\((".*")\);\n</script>\r\n', text, re.S)
    assert m, "not an htmlfile frame: %r" % text
    assert "</script" not in m.group(1).lower()
    return json.loads(m.group(1))


def test_htmlfile(addr):
    u = url()
    with Stream.open(addr, "GET", u + "/htmlfile?c=%63allback") as s:
        r = s.resp
        assert r.status == 200
        assert r.content_type == "text/html;charset=UTF-8"
        assert_nocache(r)
        assert r.chunked
        head = s.next_chunk()
        assert len(head) > 1024
        page = head.decode("utf-8")
        assert "var c = parent.callback;" in page
        assert "c.start();" in page
        assert "function p(d) {c.message(d);};" in page
        assert "window.onload = function() {c.stop();};" in page
        assert _script_frame(s.next_chunk()) == "o"
        assert xhr_send(addr, u, ["x"]).status == 204
        assert _script_frame(s.next_chunk()) == 'a["x"]'


@pytest.mark.parametrize("message", ["</script>", "</SCRIPT >", "a</script><script>alert(1)</script>",
                                     "<!--", "<script>", "]]></script>"])
def test_htmlfile_script_breakout(addr, message):
    u = url()
    with Stream.open(addr, "GET", u + "/htmlfile?c=cb") as s:
        s.next_chunk()
        assert _script_frame(s.next_chunk()) == "o"
        assert xhr_send(addr, u, [message]).status == 204
        chunk = s.next_chunk()
        assert b"</script" not in chunk[:-len(b"</script>\r\n")].lower(), chunk
        frame = _script_frame(chunk)
        assert json.loads(frame[1:]) == [message]


def test_htmlfile_close_service(addr):
    with Stream.open(addr, "GET", url("close") + "/htmlfile?c=cb") as s:
        s.next_chunk()
        assert _script_frame(s.next_chunk()) == "o"
        assert _script_frame(s.next_chunk()) == 'c[3000,"Go away!"]'
        assert s.next_chunk(1.0) is None


def test_htmlfile_heartbeat(addr):
    with Stream.open(addr, "GET", url() + "/htmlfile?c=cb") as s:
        s.next_chunk()
        assert _script_frame(s.next_chunk()) == "o"
        assert _script_frame(s.next_chunk(2.5)) == "h"


# -- callbacks ---------------------------------------------------------------------------

@pytest.mark.parametrize("transport", ["htmlfile", "jsonp"])
@pytest.mark.parametrize("query", ["", "?", "?c=", "?d=x", "?callback=x"])
def test_callback_required(addr, transport, query):
    resp = request(addr, "GET", url() + "/" + transport + query)
    assert resp.status == 500, resp
    assert resp.body.rstrip(b"\r\n") == b'"callback" parameter required'


@pytest.mark.parametrize("transport", ["htmlfile", "jsonp"])
@pytest.mark.parametrize("cb", ["%20", "a%20b", "a(b)", "x%3Cscript%3E", "%E2%80%A8", "a/b",
                                "alert%281%29", "cb;", "%00", "a+b"])
def test_callback_invalid(addr, transport, cb):
    resp = request(addr, "GET", url() + "/" + transport + "?c=" + cb)
    assert resp.status == 500, resp
    assert resp.body.rstrip(b"\r\n") == b'invalid "callback" parameter'


@pytest.mark.parametrize("cb", ["a", "A.b-c_D9", "jQuery123_456", "x.y.z"])
def test_callback_valid(addr, cb):
    resp = request(addr, "GET", url() + "/jsonp?c=" + cb)
    assert resp.status == 200
    assert resp.body == ('/**/%s("o");\r\n' % cb).encode()


# -- jsonp ---------------------------------------------------------------------------------

def test_jsonp(addr):
    u = url()
    resp = request(addr, "GET", u + "/jsonp?c=%63allback")
    assert resp.status == 200
    assert resp.content_type == "application/javascript;charset=UTF-8"
    assert_nocache(resp)
    assert resp.body == b'/**/callback("o");\r\n'
    send = request(addr, "POST", u + "/jsonp_send", {"Content-Type": "application/x-www-form-urlencoded"},
                   "d=%5B%22x%22%5D")
    assert send.status == 200
    assert send.body == b"ok"
    assert send.content_type == "text/plain;charset=UTF-8"
    assert_nocache(send)
    resp = request(addr, "GET", u + "/jsonp?c=callback")
    assert resp.body == b'/**/callback("a[\\"x\\"]");\r\n'


def test_jsonp_close_service(addr):
    u = url("close")
    assert request(addr, "GET", u + "/jsonp?c=cb").body == b'/**/cb("o");\r\n'
    assert request(addr, "GET", u + "/jsonp?c=cb").body == b'/**/cb("c[3000,\\"Go away!\\"]");\r\n'


def _jsonp_session(addr):
    u = url()
    assert request(addr, "GET", u + "/jsonp?c=cb").body == b'/**/cb("o");\r\n'
    return u


def _jsonp_messages(addr, u):
    body = request(addr, "GET", u + "/jsonp?c=cb").text
    m = re.fullmatch(r'/\*\*/cb\((".*")\);\r\n', body, re.S)
    assert m, body
    frame = json.loads(m.group(1))
    return json.loads(frame[1:])


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("body,expected", [
    ("d=%5B%22x%22%5D", ["x"]),
    ("d=%5B%22a+b%22%5D", ["a b"]),
    ("d=%5B%22a%26b%3Dc%22%5D", ["a&b=c"]),
    ("x=1&d=%5B%22y%22%5D", ["y"]),
])
def test_jsonp_send_form(addr, body, expected):
    u = _jsonp_session(addr)
    resp = request(addr, "POST", u + "/jsonp_send", FORM, body)
    assert resp.status == 200 and resp.body == b"ok", resp
    assert _jsonp_messages(addr, u) == expected


@pytest.mark.parametrize("ctype", ["text/plain", "text/plain;charset=UTF-8"])
def test_jsonp_send_text_plain_not_url_decoded(addr, ctype):
    u = _jsonp_session(addr)
    resp = request(addr, "POST", u + "/jsonp_send", {"Content-Type": ctype}, '["%41+b", "d=x"]')
    assert resp.status == 200 and resp.body == b"ok", resp
    assert _jsonp_messages(addr, u) == ["%41+b", "d=x"]


@pytest.mark.parametrize("headers,body,expected", [
    (FORM, "d=%5B%22x", b"Broken JSON encoding."),
    (FORM, "", b"Payload expected."),
    (FORM, "d=", b"Payload expected."),
    (FORM, "p=p", b"Payload expected."),
    ({"Content-Type": "text/plain"}, '["x', b"Broken JSON encoding."),
    ({"Content-Type": "text/plain"}, "", b"Payload expected."),
])
def test_jsonp_send_errors(addr, headers, body, expected):
    u = _jsonp_session(addr)
    resp = request(addr, "POST", u + "/jsonp_send", headers, body)
    assert resp.status == 500, resp
    assert resp.body.rstrip(b"\r\n") == expected
    # the session survives
    ok = request(addr, "POST", u + "/jsonp_send", FORM, "d=%5B%22ok%22%5D")
    assert ok.status == 200 and ok.body == b"ok"
    assert _jsonp_messages(addr, u) == ["ok"]


def test_jsonp_send_unknown_session(addr):
    resp = request(addr, "POST", url() + "/jsonp_send", FORM, "d=%5B%22x%22%5D")
    assert resp.status == 404, resp


def test_jsonp_send_get_405(addr):
    resp = request(addr, "GET", url() + "/jsonp_send")
    assert resp.status == 405 and "POST" in (resp.header("Allow") or "")


def test_xhr_and_jsonp_share_a_session(addr):
    u = url()
    open_session(addr, u)
    assert request(addr, "POST", u + "/jsonp_send", FORM, "d=%5B%22j%22%5D").body == b"ok"
    assert xhr(addr, u).body == b'a["j"]\n'
