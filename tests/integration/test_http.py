"""HTTP/1.0 and HTTP/1.1: keep-alive, pipelining, streaming on 1.0, chunked request bodies."""

import json
import time

import pytest

from .wire import (Conn, Stream, build_request, chunked_body, new_session_id, open_session,
                   request, xhr, xhr_send)

GREETING = b"Welcome to SockJS!\n"
PRELUDE = b"h" * 2048 + b"\n"


def url(service="echo"):
    return "/%s/000/%s" % (service, new_session_id())


def test_http10_without_keepalive_closes(addr):
    with Conn(addr) as conn:
        conn.send(build_request("GET", "/echo", version="HTTP/1.0", host=addr))
        resp = conn.read_response()
        assert resp.version in ("HTTP/1.0", "HTTP/1.1")
        assert resp.status == 200 and resp.body == GREETING
        assert not resp.has("Transfer-Encoding")
        assert conn.wait_closed(1.0), "HTTP/1.0 without keep-alive must close"


def test_http10_without_host(addr):
    with Conn(addr) as conn:
        conn.send(b"GET /echo HTTP/1.0\r\n\r\n")
        resp = conn.read_response()
        assert resp.status == 200 and resp.body == GREETING


@pytest.mark.parametrize("path,method,body", [("/echo", "GET", None), ("/echo/info", "GET", None),
                                              ("/echo/iframe.html", "GET", None),
                                              (None, "POST", b"")])
def test_http10_keepalive(addr, path, method, body):
    path = path or url() + "/xhr"
    with Conn(addr) as conn:
        conn.send(build_request(method, path, {"Connection": "Keep-Alive"}, body,
                                version="HTTP/1.0", host=addr))
        resp = conn.read_response(method)
        assert resp.status == 200, resp
        assert not resp.has("Transfer-Encoding"), resp.headers
        if "keep-alive" in resp.connection_tokens():
            assert resp.has("Content-Length")
            conn.send(build_request("GET", "/echo", {"Connection": "Keep-Alive"},
                                    version="HTTP/1.0", host=addr))
            again = conn.read_response()
            assert again.status == 200 and again.body == GREETING
        else:
            assert conn.wait_closed(1.0), "neither keep-alive nor closed"


def test_http11_keepalive(addr):
    with Conn(addr) as conn:
        for path in ["/echo", "/echo/info", "/echo/iframe.html", "/echo"]:
            resp = conn.request("GET", path)
            assert resp.status == 200, resp
            assert "close" not in resp.connection_tokens()
        u = url()
        assert conn.request("POST", u + "/xhr", body=b"").body == b"o\n"
        assert conn.request("POST", u + "/xhr_send", body=b'["k"]').status == 204
        assert conn.request("POST", u + "/xhr", body=b"").body == b'a["k"]\n'
        assert conn.request("GET", "/echo/nope").status == 404
        assert conn.request("GET", "/echo").status == 200  # 404 keeps the connection


def test_http11_connection_close_honoured(addr):
    with Conn(addr) as conn:
        resp = conn.request("GET", "/echo", {"Connection": "close"})
        assert resp.status == 200
        assert conn.wait_closed(1.0)


def test_pipelining(addr):
    u = url()
    requests = [
        build_request("GET", "/echo", host=addr),
        build_request("GET", "/echo/info", host=addr),
        build_request("POST", u + "/xhr", body=b"", host=addr),
        build_request("POST", u + "/xhr_send", body=b'["p1","p2"]', host=addr),
        build_request("GET", "/echo/nope", host=addr),
        build_request("POST", u + "/xhr_send", body=b'["p3"]', host=addr),
        build_request("POST", u + "/xhr", body=b"", host=addr),
        build_request("OPTIONS", u + "/xhr", {"Origin": "test"}, host=addr),
        build_request("GET", "/echo/iframe.html", host=addr),
    ]
    with Conn(addr, 3.0) as conn:
        conn.send(b"".join(requests))
        got = [conn.read_response(m) for m in
               ["GET", "GET", "POST", "POST", "GET", "POST", "POST", "OPTIONS", "GET"]]
    assert [r.status for r in got][:4] == [200, 200, 200, 204]
    assert got[0].body == GREETING
    assert json.loads(got[1].body)["websocket"] is True
    assert got[2].body == b"o\n"
    assert got[4].status == 404
    assert got[5].status == 204
    assert got[6].body == b'a["p1","p2","p3"]\n'
    assert got[7].status in (200, 204)
    assert got[8].status == 200 and b"Don't panic!" in got[8].body


def test_pipelining_many_small(addr):
    n = 50
    with Conn(addr, 3.0) as conn:
        conn.send(build_request("GET", "/echo", host=addr) * n)
        for _ in range(n):
            resp = conn.read_response()
            assert resp.status == 200 and resp.body == GREETING


def test_pipelined_request_after_streaming_response(addr):
    u = url("close")
    with Conn(addr, 3.0) as conn:
        conn.send(build_request("POST", u + "/xhr_streaming", body=b"", host=addr)
                  + build_request("GET", "/echo", host=addr))
        first = conn.read_response("POST")
        assert first.chunks == [PRELUDE, b"o\n", b'c[3000,"Go away!"]\n']
        second = conn.read_response()
        assert second.status == 200 and second.body == GREETING


@pytest.mark.parametrize("keepalive", [False, True])
def test_http10_streaming_raw_and_closed(addr, keepalive):
    headers = {"Connection": "Keep-Alive"} if keepalive else {}
    with Conn(addr) as conn:
        conn.send(build_request("POST", url("close") + "/xhr_streaming", headers, b"",
                                version="HTTP/1.0", host=addr))
        resp = conn.read_head()
        assert resp.status == 200
        assert not resp.has("Transfer-Encoding") and not resp.has("Content-Length"), resp.headers
        body = b""
        deadline = time.monotonic() + 1.5
        while not body.endswith(b'c[3000,"Go away!"]\n') and time.monotonic() < deadline:
            body += conn.read_some(1.5)
        assert body == PRELUDE + b'o\nc[3000,"Go away!"]\n'
        start = time.monotonic()
        assert conn.wait_closed(0.5), "socket not closed after the session closed"
        assert time.monotonic() - start < 0.3


def test_http10_eventsource_raw(addr):
    u = url()
    with Stream.open(addr, "GET", u + "/eventsource", version="HTTP/1.0") as s:
        assert not s.chunked
        assert s.read_until(b"data: o\r\n\r\n") == b"\r\ndata: o\r\n\r\n"
        assert xhr_send(addr, u, ["x"]).status == 204
        assert s.read_until(b"\r\n\r\n") == b'data: a["x"]\r\n\r\n'


def test_http11_streaming_chunks_end_with_zero_chunk(addr):
    with Conn(addr) as conn:
        conn.send(build_request("GET", url("close") + "/eventsource", host=addr))
        resp = conn.read_response()
        assert resp.chunked
        assert resp.chunks == [b"\r\n", b"data: o\r\n\r\n", b'data: c[3000,"Go away!"]\r\n\r\n']


@pytest.mark.parametrize("ext", [False, True])
def test_chunked_request_body(addr, ext):
    u = url()
    open_session(addr, u)
    body = chunked_body('["chu', 'nked', '", "b', '"]', ext=ext)
    resp = request(addr, "POST", u + "/xhr_send", {"Transfer-Encoding": "chunked"}, body)
    assert resp.status == 204, resp
    assert xhr(addr, u).body == b'a["chunked","b"]\n'


def test_chunked_request_body_with_trailer_and_keepalive(addr):
    u = url()
    open_session(addr, u)
    body = b'5\r\n["tra\r\n4\r\niler\r\n2\r\n"]\r\n0\r\nX-Trailer: yes\r\n\r\n'
    with Conn(addr) as conn:
        conn.send(build_request("POST", u + "/xhr_send", {"Transfer-Encoding": "chunked"}, body,
                                host=addr))
        assert conn.read_response("POST").status == 204
        assert conn.request("POST", u + "/xhr", body=b"").body == b'a["trailer"]\n'


def test_chunked_request_body_trickled(addr):
    u = url()
    open_session(addr, u)
    with Conn(addr) as conn:
        data = build_request("POST", u + "/xhr_send", {"Transfer-Encoding": "chunked"},
                             chunked_body('["slow"]'), host=addr)
        head, body = data.split(b"\r\n\r\n", 1)
        conn.send(head + b"\r\n\r\n")
        for i in range(0, len(body), 3):
            conn.send(body[i:i + 3])
            time.sleep(0.01)
        assert conn.read_response("POST").status == 204
    assert xhr(addr, u).body == b'a["slow"]\n'


def test_chunked_jsonp_send(addr):
    u = url()
    request(addr, "GET", u + "/jsonp?c=cb")
    resp = request(addr, "POST", u + "/jsonp_send",
                   {"Content-Type": "application/x-www-form-urlencoded",
                    "Transfer-Encoding": "chunked"},
                   chunked_body("d=%5B%22", "j%22%5D"))
    assert resp.status == 200 and resp.body == b"ok", resp
    assert request(addr, "GET", u + "/jsonp?c=cb").body == b'/**/cb("a[\\"j\\"]");\r\n'


def test_expect_100_continue(addr):
    u = url()
    open_session(addr, u)
    with Conn(addr) as conn:
        conn.send(build_request("POST", u + "/xhr_send",
                                {"Expect": "100-continue", "Content-Length": "5"}, host=addr))
        try:
            head = conn.read_head(1.0)
        except TimeoutError:
            head = None  # no interim response: a client sends the body anyway
        assert head is None or head.status == 100, head
        conn.send(b'["e"]')
        head = conn.read_head(1.5)
        assert head.status == 204
    assert xhr(addr, u).body == b'a["e"]\n'


def test_head_request(addr):
    with Conn(addr) as conn:
        resp = conn.request("HEAD", "/echo")
        assert resp.status in (200, 405), resp
        assert resp.body == b""
        assert conn.request("GET", "/echo").body == GREETING  # no stray body on the wire


def test_absolute_form_target(addr):
    resp = request(addr, "GET", "http://127.0.0.1:%d/echo" % addr[1])
    assert resp.status in (200, 400, 404), resp


def test_pipelined_after_held_poll_stays_in_order(addr):
    u = url()
    open_session(addr, u)
    with Conn(addr, 3.0) as conn:
        conn.send(build_request("POST", u + "/xhr", body=b"", host=addr)
                  + build_request("GET", "/echo", host=addr))
        time.sleep(0.2)
        assert xhr_send(addr, u, ["first"]).status == 204
        first = conn.read_response("POST")
        assert first.body == b'a["first"]\n'  # the greeting must not overtake the poll
        second = conn.read_response()
        assert second.status == 200 and second.body == GREETING


def test_http10_polling(addr):
    u = url()
    with Conn(addr) as conn:
        conn.send(build_request("POST", u + "/xhr", body=b"", version="HTTP/1.0", host=addr))
        resp = conn.read_response("POST")
        assert resp.status == 200 and resp.body == b"o\n"
        assert not resp.has("Transfer-Encoding")
        assert conn.wait_closed(1.0)
    with Conn(addr) as conn:
        conn.send(build_request("POST", u + "/xhr", {"Connection": "Keep-Alive"}, b"",
                                version="HTTP/1.0", host=addr))
        time.sleep(0.1)
        assert xhr_send(addr, u, ["ten"]).status == 204
        resp = conn.read_response("POST")
        assert resp.body == b'a["ten"]\n' and not resp.has("Transfer-Encoding")


def test_http11_connection_close_on_streaming(addr):
    with Conn(addr) as conn:
        conn.send(build_request("POST", url("close") + "/xhr_streaming", {"Connection": "close"},
                                b"", host=addr))
        resp = conn.read_response("POST")
        assert resp.body == PRELUDE + b'o\nc[3000,"Go away!"]\n'
        assert conn.wait_closed(1.0)


def test_http10_streaming_limit_closes_socket(addr):
    u = url()
    open_session(addr, u)
    with Stream.open(addr, "POST", u + "/xhr_streaming", body=b"", version="HTTP/1.0") as s:
        assert s.read_until(b"\n") == PRELUDE
        assert xhr_send(addr, u, ["z" * 5000]).status == 204
        assert s.read_until(b"\n").startswith(b'a["zzz')
        assert s.wait_end(1.0), "HTTP/1.0 stream not closed after the streaming limit"
    assert xhr_send(addr, u, ["next"]).status == 204
    assert xhr(addr, u).body == b'a["next"]\n'


@pytest.mark.parametrize("query", ["?t=1234", "?t=1&x=%20", "?"])
def test_query_strings_ignored_on_session_urls(addr, query):
    u = url()
    assert request(addr, "POST", u + "/xhr" + query, body=b"").body == b"o\n"
    assert request(addr, "POST", u + "/xhr_send" + query, body=b'["q"]').status == 204
    assert request(addr, "POST", u + "/xhr" + query, body=b"").body == b'a["q"]\n'


def test_keepalive_after_error_responses(addr):
    u = url()
    open_session(addr, u)
    with Conn(addr) as conn:
        assert conn.request("POST", u + "/xhr_send", body=b"[").status == 500
        assert conn.request("POST", u + "/xhr_send", body=b"").status == 500
        assert conn.request("POST", url() + "/xhr_send", body=b'["x"]').status == 404
        assert conn.request("GET", u + "/jsonp").status == 500
        assert conn.request("POST", u + "/xhr_send", body=b'["y"]').status == 204
        assert conn.request("POST", u + "/xhr", body=b"").body == b'a["y"]\n'


def test_many_concurrent_sessions(addr):
    conns = []
    urls = [url() for _ in range(40)]
    try:
        for u in urls:
            open_session(addr, u)
        for u in urls:
            conns.append(Stream.open(addr, "POST", u + "/xhr_streaming", body=b""))
        for s in conns:
            assert s.read_until(b"\n") == PRELUDE
        for i, u in enumerate(urls):
            assert xhr_send(addr, u, ["n%d" % i]).status == 204
        for i, s in enumerate(conns):
            line = s.read_until(b"\n")
            while line == b"h\n":
                line = s.read_until(b"\n")
            assert line == b'a["n%d"]\n' % i
    finally:
        for s in conns:
            s.close()


def test_websocket_upgrade_on_a_used_keepalive_connection(addr):
    import base64
    import os as _os
    from .wire import OP_TEXT, WebSocket, encode_frame, ws_accept
    key = base64.b64encode(_os.urandom(16)).decode()
    with Conn(addr) as conn:
        assert conn.request("GET", "/echo").body == GREETING
        conn.send(build_request("GET", "/echo/websocket", {
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13"}, host=addr))
        resp = conn.read_head()
        assert resp.status == 101 and resp.header("Sec-WebSocket-Accept") == ws_accept(key)
        ws = WebSocket(conn, resp, key)
        ws.send_text("after keep-alive")
        assert ws.recv_message(1.0).payload == b"after keep-alive"


def test_realistic_large_header_accepted(addr):
    cookie = "; ".join("c%d=%s" % (i, "v" * 60) for i in range(120))  # about 8 KB
    resp = request(addr, "GET", "/echo", {"Cookie": cookie, "User-Agent": "u" * 500})
    assert resp.status == 200, resp


def test_long_request_line_accepted(addr):
    resp = request(addr, "GET", "/echo/info?pad=" + "p" * 4000)
    assert resp.status == 200, resp
    cb = "c" * 1000
    resp = request(addr, "GET", url() + "/jsonp?c=" + cb)
    assert resp.status == 200 and resp.body.startswith(b"/**/" + cb.encode())


@pytest.mark.parametrize("path", ["/eventsource", "/htmlfile?c=cb"])
def test_http10_other_streams_close_at_limit(addr, path):
    u = url()
    open_session(addr, u)
    with Stream.open(addr, "GET", u + path, version="HTTP/1.0") as s:
        assert not s.chunked
        s.read_exact(1, 1.0)
        assert xhr_send(addr, u, ["z" * 5000]).status == 204
        assert s.wait_end(1.5), "HTTP/1.0 stream not closed after the streaming limit"
        assert b"zzzz" in s.pending
