"""Edge cases beyond the protocol checklist: odd paths, odd bodies, request framing
details that matter for smuggling, websocket close details, backpressure."""

import json
import os
import socket
import time

import pytest

from .wire import (OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, Closed, Conn, Stream, WebSocket,
                   assert_serving, build_request, chunked_body, encode_frame, new_session_id,
                   open_session, request, start_request, xhr, xhr_send)

GREETING = b"Welcome to SockJS!\n"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def url():
    return "/echo/000/%s" % new_session_id()


# -- odd paths ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/echo/000/%zz/xhr", "/echo/%/info", "/echo/000/a%2Fb/xhr",
                                  "/echo/../echo/info", "/echo/000/" + "s" * 5000 + "/xhr",
                                  "/echo/000/%00/xhr", "/echo/%C0%AF/x/xhr", "/%65cho/info",
                                  "/echo/info%00", "/echo/iframe.html%2F", "/echo/000/%FF/xhr",
                                  "/echo/000/%ED%A0%80/xhr"])
def test_odd_paths_do_not_break(addr, path):
    resp = request(addr, "POST", path, body=b"")
    assert resp.status in (200, 400, 404, 405), resp
    assert_serving(addr)


def test_greeting_with_query(addr):
    assert request(addr, "GET", "/echo?x=1").body == GREETING
    assert request(addr, "GET", "/echo/?x=1").body == GREETING


def test_long_callback(addr):
    resp = request(addr, "GET", url() + "/jsonp?c=" + "a" * 20000)
    assert resp.status in (200, 414, 431, 500), resp
    assert_serving(addr)


def test_options_star(addr):
    resp = request(addr, "OPTIONS", "*")
    assert resp.status in (200, 204, 400, 404, 405), resp
    assert_serving(addr)


# -- odd bodies ----------------------------------------------------------------------------

def test_many_messages_in_one_send(addr):
    u = url()
    open_session(addr, u)
    msgs = ["%d" % i for i in range(10000)]
    assert xhr_send(addr, u, msgs).status == 204
    assert json.loads(xhr(addr, u).body[1:]) == msgs


@pytest.mark.parametrize("body,expected", [
    ("d=%ZZ", (b"Broken JSON encoding.", b"Payload expected.")),
    ("d=%5B%22%FF%22%5D", (b"Broken JSON encoding.",)),
    ("d=%5B%22x%22%5D&d=%5B", (b"Broken JSON encoding.", None)),
])
def test_jsonp_send_bad_form_encoding(addr, body, expected):
    u = url()
    request(addr, "GET", u + "/jsonp?c=cb")
    resp = request(addr, "POST", u + "/jsonp_send", FORM, body)
    if None in expected and resp.status == 200:
        return  # taking the first d= is fine
    assert resp.status == 500, resp
    assert resp.body.rstrip(b"\r\n") in expected, resp
    assert_serving(addr)


def test_jsonp_send_form_with_charset(addr):
    u = url()
    request(addr, "GET", u + "/jsonp?c=cb")
    resp = request(addr, "POST", u + "/jsonp_send",
                   {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
                   "d=%5B%22%C3%A9%22%5D")
    assert resp.status == 200 and resp.body == b"ok", resp
    body = request(addr, "GET", u + "/jsonp?c=cb").text
    assert json.loads(json.loads(body[len('/**/cb('):-len(');\r\n')])[1:]) == ["\u00e9"]


def test_xhr_send_invalid_utf8_in_json_string(addr):
    u = url()
    open_session(addr, u)
    resp = xhr_send(addr, u, b'["\xc3\x28"]')
    assert resp.status in (204, 500), resp
    assert_serving(addr)
    assert xhr_send(addr, u, ["ok"]).status == 204


def test_xhr_send_bom_and_whitespace(addr):
    u = url()
    open_session(addr, u)
    resp = xhr_send(addr, u, b' \r\n\t["ws"] \n')
    assert resp.status == 204, resp
    assert xhr(addr, u).body == b'a["ws"]\n'


@pytest.mark.parametrize("cookie,value", [("foo=bar", "dummy"), ("JSESSIONID=", "dummy"),
                                          ("a=1; JSESSIONID=zz; b=2", "zz")])
def test_jsessionid_cookie_forms(addr, cookie, value):
    with Stream.open(addr, "POST", "/cookie_needed_echo/000/%s/xhr" % new_session_id(),
                     {"Cookie": cookie}, b"") as s:
        cookies = [c.replace(" ", "") for c in s.resp.headers_all("Set-Cookie")]
    if cookie == "JSESSIONID=":
        assert cookies and cookies[0].lower().startswith("jsessionid="), cookies
    else:
        assert ("JSESSIONID=%s;path=/" % value) in cookies, cookies


# -- request framing ----------------------------------------------------------------------------

def test_get_with_body_is_skipped(addr):
    with Conn(addr) as conn:
        conn.send(build_request("GET", "/echo", body=b"GET /echo/nope HTTP/1.1\r\n\r\n", host=addr)
                  + build_request("GET", "/echo/info", host=addr))
        first = conn.read_response()
        second = conn.read_response()
        assert first.status == 200 and first.body == GREETING
        assert second.status == 200 and b"entropy" in second.body


def test_get_with_chunked_body_is_skipped(addr):
    with Conn(addr) as conn:
        conn.send(build_request("GET", "/echo", {"Transfer-Encoding": "chunked"},
                                chunked_body("GET /echo/nope HTTP/1.1\r\n\r\n"), host=addr)
                  + build_request("GET", "/echo/info", host=addr))
        assert conn.read_response().body == GREETING
        assert b"entropy" in conn.read_response().body


def test_nothing_after_connection_close(addr):
    with Conn(addr) as conn:
        conn.send(build_request("GET", "/echo", {"Connection": "close"}, host=addr)
                  + build_request("GET", "/echo/info", host=addr))
        assert conn.read_response().body == GREETING
        rest = conn.read_to_eof(1.0)
        assert rest == b"", "a request after Connection: close was answered: %r" % rest[:100]


def test_header_names_case_insensitive(addr):
    u = url()
    open_session(addr, u)
    resp = request(addr, "POST", u + "/xhr_send", [("TRANSFER-ENCODING", "CHUNKED")],
                   chunked_body('["ci"]'))
    assert resp.status == 204, resp
    resp = request(addr, "POST", u + "/xhr_send", [("content-LENGTH", "6")], b'["cl"]')
    assert resp.status == 204, resp
    assert xhr(addr, u).body == b'a["ci","cl"]\n'


def test_duplicate_identical_content_length(addr):
    u = url()
    open_session(addr, u)
    resp = request(addr, "POST", u + "/xhr_send", [("Content-Length", "5"), ("Content-Length", "5")],
                   b'["d"]')
    assert resp.status in (204, 400), resp
    assert_serving(addr)


def test_double_chunked(addr):
    u = url()
    open_session(addr, u)
    resp = request(addr, "POST", u + "/xhr_send", [("Transfer-Encoding", "chunked"),
                                                   ("Transfer-Encoding", "chunked")],
                   chunked_body(chunked_body('["x"]')))
    assert resp.status in (400, 501), resp
    assert_serving(addr)


def test_large_pipelined_body_behind_held_poll(addr):
    u = url()
    open_session(addr, u)
    big = json.dumps(["B" * 600000])
    with Conn(addr, 4.0) as conn:
        conn.send(build_request("POST", u + "/xhr", body=b"", host=addr))
        time.sleep(0.1)
        sock = conn.sock
        sock.setblocking(False)
        data = build_request("POST", u + "/xhr_send", body=big, host=addr) + \
            build_request("GET", "/echo", host=addr)
        sent = 0
        deadline = time.monotonic() + 0.5
        while sent < len(data) and time.monotonic() < deadline:
            try:
                sent += sock.send(data[sent:sent + 65536])
            except BlockingIOError:
                time.sleep(0.01)
        assert_serving(addr)  # others are served while this connection is paused
        assert xhr_send(addr, u, ["release"]).status == 204
        sock.setblocking(True)
        conn.send(data[sent:])
        assert conn.read_response("POST").body == b'a["release"]\n'
        assert conn.read_response("POST").status == 204
        assert conn.read_response().body == GREETING
    assert json.loads(xhr(addr, u).body[1:]) == ["B" * 600000]


# -- websocket details -------------------------------------------------------------------------------

def test_ping_max_payload(addr):
    with WebSocket.connect(addr, "/echo/websocket") as ws:
        ws.send_frame(OP_PING, b"x" * 125)
        f = ws.recv_frame(1.0)
        assert f.opcode == OP_PONG and f.payload == b"x" * 125


@pytest.mark.parametrize("payload,codes", [
    (b"\x03\xed", {1002}),                       # 1005 must not be sent
    (b"\x03\xee", {1002}),                       # 1006 must not be sent
    (b"\x0b\xb8" + b"\xff\xfe", {1007, 1002}),   # 3000 with invalid UTF-8 reason
    (b"\x13\x88", {1002}),                       # 5000 out of range
    (b"\x0f\xa0", {4000}),                       # 4000: private use, valid
    (b"", {None, 1000, 1005}),                   # empty close
])
def test_client_close_codes(addr, payload, codes):
    with WebSocket.connect(addr, "/echo/websocket") as ws:
        ws.send_frame(OP_CLOSE, payload)
        f = ws.expect_close(1.5)
        assert f is not None, "no close frame"
        code = f.close_code()[0]
        assert code in codes, f
        assert ws.conn.wait_closed(1.5)


def test_data_after_close_ignored(addr):
    with WebSocket.connect(addr, "/echo/websocket") as ws:
        ws.send_close(1000)
        ws.conn.try_send(encode_frame(OP_TEXT, "late"))
        f = ws.recv_frame(1.0)
        assert f is not None and f.opcode == OP_CLOSE, f
        assert ws.conn.wait_closed(1.0)
    assert_serving(addr)


def test_websocket_on_http10_refused(door_addr):
    addr = door_addr  # (through every front door)
    conn, resp, _ = WebSocket.handshake(addr, "/echo/websocket", version="HTTP/1.0")
    conn.close()
    assert resp.status in (400, 426), resp


def test_websocket_backpressure(door_addr):
    """A client that floods but never reads: the server must stop reading (TCP
    backpressure) instead of buffering echoes without bound."""
    addr = door_addr  # (through every front door)
    ws = WebSocket.connect(addr, "/echo/websocket")
    try:
        sock = ws.conn.sock
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        frame = encode_frame(OP_TEXT, b"f" * 65000)
        sent = _flood(sock, frame, limit=400 * 1024 * 1024)
        assert sent < 400 * 1024 * 1024, "server kept reading %d MB without us reading" % (sent >> 20)
        assert_serving(addr)
    finally:
        ws.conn.abort()
    time.sleep(0.1)
    assert_serving(addr)


def test_streaming_backpressure_unread_client(addr):
    """xhr_streaming receiver that does not read while many messages are sent."""
    u = url()
    conn = start_request(addr, "POST", u + "/xhr_streaming", body=b"")
    try:
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        time.sleep(0.1)
        for _ in range(20):
            assert xhr_send(addr, u, ["p" * 50000] * 4, timeout=3.0).status == 204
        assert_serving(addr)
    finally:
        conn.abort()


def test_iframe_if_none_match_list(addr):
    etag = request(addr, "GET", "/echo/iframe.html").header("ETag")
    resp = request(addr, "GET", "/echo/iframe.html", {"If-None-Match": '"other", ' + etag})
    assert resp.status == 304, resp
    resp = request(addr, "GET", "/echo/iframe.html", {"If-None-Match": "*"})
    assert resp.status in (200, 304), resp


def test_websocket_subprotocol_not_invented(door_addr):
    addr = door_addr  # (through every front door)
    ws = WebSocket.connect(addr, "/echo/websocket", {"Sec-WebSocket-Protocol": "chat, superchat"})
    with ws:
        chosen = ws.resp.header("Sec-WebSocket-Protocol")
        assert chosen is None or chosen in ("chat", "superchat"), chosen


def test_websocket_permessage_deflate_offer(addr):
    import zlib
    ws = WebSocket.connect(addr, "/echo/websocket",
                           {"Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"})
    with ws:
        ext = ws.resp.header("Sec-WebSocket-Extensions")
        if not ext:
            ws.send_text("plain")
            assert ws.recv_message(1.0).payload == b"plain"
            return
        assert "permessage-deflate" in ext
        comp = zlib.compressobj(wbits=-15)
        data = comp.compress(b"hello deflate") + comp.flush(zlib.Z_SYNC_FLUSH)
        ws.send_frame(OP_TEXT, data[:-4], rsv=4)
        f = ws.recv_message(1.0)
        payload = f.payload
        if f.rsv & 4:
            payload = zlib.decompressobj(wbits=-15).decompress(payload + b"\x00\x00\xff\xff")
        assert payload == b"hello deflate"


def test_server_initiated_close_handshake(addr):
    with WebSocket.connect(addr, "/close/websocket") as ws:
        f = ws.recv_message(1.0)
        assert f.opcode == OP_CLOSE and f.close_code() == (3000, "Go away!")
        ws.send_close(3000)
        assert ws.conn.wait_closed(1.0), "server kept TCP open after the close handshake"


def test_half_closed_client_still_answered(addr):
    # a client may shut down its sending side once the request is out (nc -q, some proxies)
    with Conn(addr) as conn:
        conn.send(build_request("GET", "/echo", {"Connection": "close"}, host=addr))
        conn.sock.shutdown(socket.SHUT_WR)
        resp = conn.read_response()
        assert resp.status == 200 and resp.body == GREETING


def test_half_closed_client_xhr_send(addr):
    u = url()
    open_session(addr, u)
    with Conn(addr) as conn:
        conn.send(build_request("POST", u + "/xhr_send", {"Connection": "close"}, b'["half"]', host=addr))
        conn.sock.shutdown(socket.SHUT_WR)
        assert conn.read_response("POST").status == 204
    assert xhr(addr, u).body == b'a["half"]\n'


def _flood(sock, data, seconds=2.0, limit=200 * 1024 * 1024):
    """Send ``data`` again and again without reading; the bytes sent."""
    sock.setblocking(False)
    sent = 0
    # What a partial send left goes first: sending all of ``data`` again
    # would corrupt the stream (a server then fails the connection and may
    # read and drop the rest, which is not the backpressure under test).
    rest = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and sent < limit:
        try:
            count = sock.send(rest or data)
        except BlockingIOError:
            time.sleep(0.02)
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += count
        rest = (rest or data)[count:]
    return sent


def test_pipelined_flood_without_reading(server):
    """Requests pipelined by a client that never reads the responses: the server must
    stop reading (backpressure) rather than queue responses without bound."""
    addr = server.addr
    before = server.rss()
    conn = Conn(addr)
    try:
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        batch = build_request("GET", "/echo/iframe.html", host=addr) * 200
        sent = _flood(conn.sock, batch)
        grown = server.rss() - before
        assert sent < 200 * 1024 * 1024, "server read %d MB of requests we never read" % (sent >> 20)
        assert grown < 150 * 1024 * 1024, "server grew by %d MB" % (grown >> 20)
        assert_serving(addr)
    finally:
        conn.abort()
    time.sleep(0.1)
    assert_serving(addr)


def test_websocket_flood_memory_bounded(door_server):
    server = door_server  # (through every front door)
    addr = server.addr
    before = server.rss()
    ws = WebSocket.connect(addr, "/echo/websocket")
    try:
        ws.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sent = _flood(ws.conn.sock, encode_frame(OP_TEXT, b"m" * 60000) * 4)
        grown = server.rss() - before
        assert grown < 150 * 1024 * 1024, "server grew by %d MB after %d MB sent" % (grown >> 20, sent >> 20)
    finally:
        ws.conn.abort()
    time.sleep(0.1)
    assert_serving(addr)
