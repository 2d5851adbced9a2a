"""xhr polling, xhr_send and xhr_streaming."""

import json
import time

import pytest

from .wire import (Conn, Stream, assert_cors, assert_nocache, assert_preflight, build_request,
                   new_session_id, open_session, request, start_request, xhr, xhr_send)


def url(service="echo"):
    return "/%s/000/%s" % (service, new_session_id())


# -- xhr --------------------------------------------------------------------------

def test_xhr_open_frame(addr):
    resp = xhr(addr, url())
    assert resp.status == 200
    assert resp.content_type == "application/javascript;charset=UTF-8"
    assert resp.body == b"o\n"
    assert_nocache(resp)
    assert_cors(resp, None)
    assert not resp.has("Set-Cookie")


@pytest.mark.parametrize("origin", ["test", "null", "http://example.com:8080"])
def test_xhr_cors_origin(addr, origin):
    resp = xhr(addr, url(), {"Origin": origin})
    assert resp.body == b"o\n"
    assert_cors(resp, origin)


def test_xhr_message_round_trip(addr):
    u = url()
    open_session(addr, u)
    assert xhr_send(addr, u, ["a", "b"]).status == 204
    assert xhr_send(addr, u, ["c"]).status == 204
    resp = xhr(addr, u)
    assert resp.body == b'a["a","b","c"]\n'


def test_xhr_poll_waits_for_message(addr):
    u = url()
    open_session(addr, u)
    with start_request(addr, "POST", u + "/xhr", body=b"") as poll:
        time.sleep(0.2)
        assert xhr_send(addr, u, ["late"]).status == 204
        resp = poll.read_response("POST", 1.5)
        assert resp.status == 200 and resp.body == b'a["late"]\n'


def test_xhr_poll_gets_heartbeat(addr):
    u = url()
    open_session(addr, u)
    resp = xhr(addr, u, timeout=3.0)
    assert resp.body == b"h\n"


@pytest.mark.parametrize("path,methods", [("/xhr", ["OPTIONS", "POST"]),
                                          ("/xhr_send", ["OPTIONS", "POST"]),
                                          ("/xhr_streaming", ["OPTIONS", "POST"])])
@pytest.mark.parametrize("origin", ["test", "null"])
def test_preflight(addr, path, methods, origin):
    resp = request(addr, "OPTIONS", url() + path,
                   {"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert_preflight(resp, methods, origin)


def test_preflight_echoes_request_headers(addr):
    resp = request(addr, "OPTIONS", url() + "/xhr",
                   {"Origin": "test", "Access-Control-Request-Method": "OPTIONS, POST",
                    "Access-Control-Request-Headers": "a, b, c"})
    assert_preflight(resp, ["OPTIONS", "POST"], "test", "a, b, c")


@pytest.mark.parametrize("path", ["/xhr", "/xhr_send", "/xhr_streaming"])
def test_wrong_method_405(addr, path):
    resp = request(addr, "GET", url() + path)
    assert resp.status == 405, resp
    assert "POST" in (resp.header("Allow") or ""), resp.headers


# -- xhr_send -----------------------------------------------------------------------

def test_xhr_send_response(addr):
    u = url()
    open_session(addr, u)
    resp = xhr_send(addr, u, ["x"], {"Origin": "test"})
    assert resp.status == 204
    assert resp.body == b""
    assert resp.content_type == "text/plain;charset=UTF-8"
    assert_nocache(resp)
    assert_cors(resp, "test")


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/json", "application/xml",
                                   "T", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"])
def test_xhr_send_any_content_type(addr, ctype):
    u = url()
    open_session(addr, u)
    headers = {} if ctype is None else {"Content-Type": ctype}
    assert xhr_send(addr, u, ["x"], headers).status == 204
    assert xhr(addr, u).body == b'a["x"]\n'


def test_xhr_send_empty_array(addr):
    u = url()
    open_session(addr, u)
    assert xhr_send(addr, u, "[]").status == 204


@pytest.mark.parametrize("body", ['["x', "[\"x\"", "x", "[1", "\xff\xfe", '{"a":'])
def test_xhr_send_broken_json(addr, body):
    u = url()
    open_session(addr, u)
    resp = xhr_send(addr, u, body.encode("latin-1"))
    assert resp.status == 500, resp
    assert resp.body.rstrip(b"\r\n") == b"Broken JSON encoding."
    # the session survives
    assert xhr_send(addr, u, ["ok"]).status == 204
    assert xhr(addr, u).body == b'a["ok"]\n'


def test_xhr_send_empty_payload(addr):
    u = url()
    open_session(addr, u)
    resp = xhr_send(addr, u, b"")
    assert resp.status == 500, resp
    assert resp.body.rstrip(b"\r\n") == b"Payload expected."
    assert xhr_send(addr, u, ["ok"]).status == 204
    assert xhr(addr, u).body == b'a["ok"]\n'


def test_xhr_send_no_content_length_no_body(addr):
    u = url()
    open_session(addr, u)
    with Conn(addr) as conn:
        conn.send(build_request("POST", u + "/xhr_send", host=addr))  # no body, no length
        resp = conn.read_response("POST", 1.0)  # must not wait for a body
        assert resp.status == 500 and resp.body.rstrip(b"\r\n") == b"Payload expected.", resp


def test_xhr_send_unknown_session_404(addr):
    resp = xhr_send(addr, url(), ["x"])
    assert resp.status == 404, resp


def test_xhr_send_non_string_items_do_not_break_session(addr):
    u = url()
    open_session(addr, u)
    for body in ['{"a": 1}', '"str"', "1", "null", "[1, 2]", '[{"a": 1}]', "[null]"]:
        resp = xhr_send(addr, u, body)
        assert resp.status in (204, 400, 500), (body, resp)
    assert xhr_send(addr, u, ["ok"]).status == 204
    body = xhr(addr, u).body
    assert body.startswith(b"a[") and body.endswith(b'"ok"]\n'), body


# -- xhr_streaming --------------------------------------------------------------------

PRELUDE = b"h" * 2048 + b"\n"


def test_xhr_streaming(addr):
    u = url()
    with Stream.open(addr, "POST", u + "/xhr_streaming", {"Origin": "test"}, b"") as s:
        r = s.resp
        assert r.status == 200
        assert r.content_type == "application/javascript;charset=UTF-8"
        assert_nocache(r)
        assert_cors(r, "test")
        assert r.chunked, r.headers
        assert s.next_chunk() == PRELUDE
        assert s.next_chunk() == b"o\n"
        assert xhr_send(addr, u, ["x"]).status == 204
        assert s.next_chunk() == b'a["x"]\n'
        assert xhr_send(addr, u, ["y", "z"]).status == 204
        assert s.next_chunk() == b'a["y","z"]\n'


def test_xhr_streaming_close_service(addr):
    with Stream.open(addr, "POST", url("close") + "/xhr_streaming", body=b"") as s:
        assert s.next_chunk() == PRELUDE
        assert s.next_chunk() == b"o\n"
        assert s.next_chunk() == b'c[3000,"Go away!"]\n'
        assert s.next_chunk(1.0) is None  # zero-length chunk ends it


def test_xhr_streaming_heartbeat(addr):
    with Stream.open(addr, "POST", url() + "/xhr_streaming", body=b"") as s:
        assert s.read_until(b"o\n") == PRELUDE + b"o\n"
        assert s.next_chunk(2.5) == b"h\n"
        assert s.next_chunk(2.5) == b"h\n"


def test_xhr_close_service_polling(addr):
    u = url("close")
    assert xhr(addr, u).body == b"o\n"
    assert xhr(addr, u).body == b'c[3000,"Go away!"]\n'
    assert xhr(addr, u).body == b'c[3000,"Go away!"]\n'
