"""The SockJS websocket transport (RFC 6455 and hixie-76) and the raw websocket."""

import json
import os
import struct
import time

import pytest

from .wire import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, Closed, Conn,
                   Hixie76, SockJSWebSocket, WebSocket, assert_serving, encode_frame, mask_bytes,
                   new_session_id, request, ws_accept)




@pytest.fixture
def addr(door_addr):
    """Every test here runs through both front doors (conftest.door_addr)."""
    return door_addr


def ws_url(service="echo", sid=None):
    return "/%s/000/%s/websocket" % (service, sid or new_session_id())


def _closed_soon(ws, timeout=1.0):
    """Socket ends (a close frame first is fine) without echoing anything."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            f = ws.recv_frame(max(0.001, deadline - time.monotonic()))
        except Closed:
            return True
        except TimeoutError:
            return False
        if f is None:
            return True
        if f.opcode == OP_CLOSE:
            ws.send_close(f.close_code()[0] or 1000)  # answer like a client does
            return ws.conn.wait_closed(max(0.05, deadline - time.monotonic()))
        if f.opcode == OP_TEXT and f.payload == b"h":
            continue
        raise AssertionError("unexpected frame before close: %r" % f)
    return False


# -- RFC 6455 handshake ---------------------------------------------------------

def test_handshake(addr):
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        r = ws.resp
        assert r.status == 101
        assert (r.header("Upgrade") or "").lower() == "websocket"
        assert "upgrade" in r.connection_tokens()
        assert r.header("Sec-WebSocket-Accept") == ws_accept(ws.key)
        assert not r.has("Content-Length")
        assert ws.recv_sockjs() == "o"


@pytest.mark.parametrize("upgrade,connection", [("WebSocket", "Upgrade"),
                                                ("websocket", "keep-alive, Upgrade"),
                                                ("websocket", "upgrade")])
def test_handshake_header_variants(addr, upgrade, connection):
    with SockJSWebSocket.connect(addr, ws_url(), {"Upgrade": upgrade,
                                                  "Connection": connection}) as ws:
        assert ws.recv_sockjs() == "o"


def test_echo(addr):
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_json(["a"])
        assert ws.recv_sockjs() == 'a["a"]'
        ws.send_json(["b", "c"])
        msgs = []
        while len(msgs) < 2:  # one frame or two: both are fine
            msgs += json.loads(ws.recv_sockjs()[1:])
        assert msgs == ["b", "c"]


def test_empty_frames_ignored(addr):
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_text("")
        ws.send_text("[]")
        ws.send_json(["a"])
        assert ws.recv_sockjs() == 'a["a"]'


@pytest.mark.parametrize("payload", ['["a', "[\"a\"", "{", "x", '["a"]]', "[1,"])
def test_broken_json_closes(addr, payload):
    # One policy on every door: the connection fails with 1002 "Broken JSON" (a close
    # frame, then the socket ends), and the server keeps serving.
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_text(payload)
        frame = ws.expect_close()
        assert frame is not None and frame.close_code() == (1002, "Broken JSON"), frame
        assert _closed_soon(ws), "websocket stayed open after %r" % payload
    assert_serving(addr)


def test_close_service(addr):
    with SockJSWebSocket.connect(addr, ws_url("close")) as ws:
        assert ws.recv_sockjs() == "o"
        assert ws.recv_sockjs() == 'c[3000,"Go away!"]'
        assert _closed_soon(ws)


def test_two_websockets_same_session_independent(addr):
    sid = new_session_id()
    with SockJSWebSocket.connect(addr, ws_url(sid=sid)) as ws1, \
            SockJSWebSocket.connect(addr, ws_url(sid=sid)) as ws2:
        assert ws1.recv_sockjs() == "o"
        assert ws2.recv_sockjs() == "o"
        ws1.send_json(["one"])
        ws2.send_json(["two"])
        assert ws1.recv_sockjs() == 'a["one"]'
        assert ws2.recv_sockjs() == 'a["two"]'
        ws1.send_close(1000, "")
        ws1.expect_close(1.0)
        ws2.send_json(["still"])
        assert ws2.recv_sockjs() == 'a["still"]'


def test_session_id_reused_after_close(addr):
    sid = new_session_id()
    with SockJSWebSocket.connect(addr, ws_url(sid=sid)) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_close(1000)
        ws.expect_close(1.0)
    with SockJSWebSocket.connect(addr, ws_url(sid=sid)) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_json(["again"])
        assert ws.recv_sockjs() == 'a["again"]'


def test_heartbeat_on_websocket(addr):
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        assert ws.recv_sockjs(timeout=2.5, skip_heartbeats=False) == "h"


def test_client_close_frame_answered(addr):
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_close(1000, "bye")
        f = ws.expect_close(1.0)
        assert f is not None and f.opcode == OP_CLOSE
        assert ws.conn.wait_closed(1.0)


def test_get_without_upgrade_400(addr):
    resp = request(addr, "GET", ws_url())
    assert resp.status == 400, resp


def test_connection_close_with_upgrade_400(addr):
    conn, resp, _ = WebSocket.handshake(addr, ws_url(), {"Connection": "close"})
    conn.close()
    assert resp.status == 400, resp


def test_upgrade_not_websocket_400(addr):
    conn, resp, _ = WebSocket.handshake(addr, ws_url(), {"Upgrade": "h2c"})
    conn.close()
    assert resp.status == 400, resp


def test_missing_key_400(addr):
    conn, resp, _ = WebSocket.handshake(addr, ws_url(), {"Sec-WebSocket-Key": None})
    conn.close()
    assert resp.status == 400, resp


def test_bad_key_400(addr):
    conn, resp, _ = WebSocket.handshake(addr, ws_url(), {"Sec-WebSocket-Key": "short"})
    conn.close()
    assert resp.status == 400, resp


def test_unsupported_version(addr):
    conn, resp, _ = WebSocket.handshake(addr, ws_url(), {"Sec-WebSocket-Version": "7"})
    conn.close()
    assert resp.status in (400, 426), resp
    if resp.status == 426:
        assert resp.reason == "Upgrade Required", resp
        assert "13" in (resp.header("Sec-WebSocket-Version") or "")


@pytest.mark.parametrize("headers,status", [
    # (latin-1 on the wire: the values reach the handshake kernel as non-ASCII str)
    ({"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=\xe9"}, 400),
    ({"Sec-WebSocket-Key": "\xffGhlIHNhbXBsZSBub25jZQ=="}, 400),
    ({"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ=="}, 400),
    ({"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ"}, 400),
    ({"Sec-WebSocket-Version": "13\xe9"}, 426),
    ({"Sec-WebSocket-Version": "13, 8"}, 426),
    ({"Upgrade": "websocket\xe9"}, 400),
    ({"Connection": "Upgrade\xe9"}, 400),
])
def test_hostile_handshake_values_are_refused(addr, headers, status):
    # Every refusal answers with its status; the server goes on serving.
    conn, resp, _ = WebSocket.handshake(addr, ws_url(), headers)
    conn.close()
    assert resp.status == status, resp
    assert_serving(addr)


def test_key_with_blanks_around_it_is_accepted(addr):
    # Blanks around a header value are not part of it: the accept value is the key's.
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    conn, resp, _ = WebSocket.handshake(addr, ws_url(), {"Sec-WebSocket-Key": " %s\t" % key})
    conn.close()
    assert resp.status == 101, resp
    assert resp.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_post_405(addr):
    resp = request(addr, "POST", ws_url(), body=b"")
    assert resp.status == 405, resp
    assert resp.header("Allow") == "GET"
    assert not resp.has("Content-Type")
    assert resp.body == b""


def test_disabled_websocket_404(addr):
    resp = request(addr, "GET", ws_url("disabled_websocket_echo"),
                   {"Upgrade": "websocket", "Connection": "Upgrade",
                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"})
    assert resp.status == 404, resp
    resp = request(addr, "GET", "/disabled_websocket_echo/websocket",
                   {"Upgrade": "websocket", "Connection": "Upgrade",
                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"})
    assert resp.status == 404, resp


# -- hixie-76 -------------------------------------------------------------------

def test_hixie76_handshake_before_key3(addr):
    path = ws_url()
    head, key3, answer = Hixie76.request(addr, path)
    with Conn(addr) as conn:
        conn.send(head)  # no key3 yet: the 101 must come first
        resp = conn.read_head(1.5)
        assert resp.status == 101, resp
        assert (resp.header("Upgrade") or "").lower() == "websocket"
        assert "upgrade" in resp.connection_tokens()
        assert resp.header("Sec-WebSocket-Location") == "ws://%s:%d%s" % (addr[0], addr[1], path)
        assert resp.header("Sec-WebSocket-Origin") == "http://example.com"
        conn.send(key3)
        assert conn.read_exact(16, 1.5) == answer
        ws = Hixie76(conn, resp)
        assert ws.recv_text() == "o"
        ws.send_text('["hixie"]')
        got = ws.recv_text()
        while got == "h":
            got = ws.recv_text()
        assert got == 'a["hixie"]'


def test_hixie76_key3_in_same_packet(addr):
    head, key3, answer = Hixie76.request(addr, ws_url())
    with Conn(addr) as conn:
        conn.send(head + key3)
        resp = conn.read_head(1.5)
        assert resp.status == 101, resp
        assert conn.read_exact(16, 1.5) == answer
        ws = Hixie76(conn, resp)
        assert ws.recv_text() == "o"


def _hixie76_open(addr, conn, url):
    """The hixie-76 handshake on ``conn``, up to the ``o`` frame."""
    head, key3, answer = Hixie76.request(addr, url)
    conn.send(head + key3)
    assert conn.read_head(1.5).status == 101
    assert conn.read_exact(16, 1.5) == answer
    ws = Hixie76(conn, None)
    assert ws.recv_text() == "o"
    return ws


def test_hixie76_close_service(addr):
    with Conn(addr) as conn:
        ws = _hixie76_open(addr, conn, ws_url("close"))
        assert ws.recv_text() == 'c[3000,"Go away!"]'
        assert conn.wait_closed(1.5)


# -- raw websocket ----------------------------------------------------------------

def raw(addr, service="echo"):
    return WebSocket.connect(addr, "/%s/websocket" % service)


def test_raw_handshake(addr):
    with raw(addr) as ws:
        assert ws.resp.header("Sec-WebSocket-Accept") == ws_accept(ws.key)
        assert not ws.resp.has("Content-Length")


@pytest.mark.parametrize("text", ["Hello world!\uffff", "", "[\"not sockjs\"]", "\x00\u2028\U0001f600",
                                  "x" * 70000], ids=["uffff", "empty", "json", "escapes", "x70000"])
def test_raw_echo(addr, text):
    with raw(addr) as ws:
        ws.send_text(text)
        f = ws.recv_message(2.0)
        assert f.opcode == OP_TEXT and f.text == text


def test_raw_close_service(addr):
    with raw(addr, "close") as ws:
        f = ws.recv_message(1.5)
        assert f is not None and f.opcode == OP_CLOSE, f
        assert f.close_code() == (3000, "Go away!")


def test_raw_ping_pong(addr):
    with raw(addr) as ws:
        ws.send_frame(OP_PING, b"are you there")
        f = ws.recv_frame(1.0)
        assert f.opcode == OP_PONG and f.payload == b"are you there"


def test_raw_fragmented_message(addr):
    with raw(addr) as ws:
        ws.send_frame(OP_TEXT, "Hel", fin=False)
        ws.send_frame(OP_CONT, "lo ", fin=False)
        ws.send_frame(OP_PING, b"mid")  # control frames may come between fragments
        ws.send_frame(OP_CONT, "w\u00f6rld", fin=True)
        frames = [ws.recv_frame(1.0), ws.recv_message(1.0)]
        pong = [f for f in frames if f.opcode == OP_PONG]
        text = [f for f in frames if f.opcode == OP_TEXT]
        assert pong and pong[0].payload == b"mid"
        assert text and text[0].text == "Hello w\u00f6rld"


def test_raw_fragment_splits_utf8_char(addr):
    data = "\u20ac\U0001f600".encode("utf-8")
    with raw(addr) as ws:
        ws.send_frame(OP_TEXT, data[:2], fin=False)
        ws.send_frame(OP_CONT, data[2:5], fin=False)
        ws.send_frame(OP_CONT, data[5:], fin=True)
        assert ws.recv_message(1.0).payload == data


def _expect_close_code(ws, codes):
    f = ws.expect_close(1.5)
    assert f is not None, "no close frame (socket just closed)"
    code, _ = f.close_code()
    assert code in codes, f
    ws.send_close(1000)  # a client answers the close frame; then the server closes TCP
    assert ws.conn.wait_closed(1.5)


@pytest.mark.parametrize("payload", [b"\xff\xfe", b"abc\xc3", b"\xed\xa0\x80", b"\xc0\xaf"])
def test_raw_invalid_utf8_1007(addr, payload):
    with raw(addr) as ws:
        ws.send_frame(OP_TEXT, payload)
        _expect_close_code(ws, {1007})
    assert_serving(addr)


def test_raw_invalid_utf8_in_fragments_1007(addr):
    with raw(addr) as ws:
        ws.send_frame(OP_TEXT, b"ok", fin=False)
        ws.send_frame(OP_CONT, b"\xff", fin=True)
        _expect_close_code(ws, {1007})


def test_raw_unmasked_1002(addr):
    with raw(addr) as ws:
        ws.send_frame(OP_TEXT, b"hello", mask=False)
        _expect_close_code(ws, {1002})


def test_raw_binary_1003(addr):
    with raw(addr) as ws:
        ws.send_frame(OP_BINARY, b"\x00\x01\x02")
        _expect_close_code(ws, {1003})


@pytest.mark.parametrize("kind", ["rsv", "opcode3", "opcode11", "big_control", "fragmented_ping",
                                  "lonely_continuation", "new_text_inside_fragments",
                                  "close_1byte", "close_bad_code"])
def test_raw_protocol_errors_1002(addr, kind):
    with raw(addr) as ws:
        if kind == "rsv":
            ws.send_frame(OP_TEXT, b"x", rsv=4)
        elif kind == "opcode3":
            ws.send_frame(3, b"x")
        elif kind == "opcode11":
            ws.send_frame(11, b"x")
        elif kind == "big_control":
            ws.send_frame(OP_PING, b"p" * 126)
        elif kind == "fragmented_ping":
            ws.send_frame(OP_PING, b"p", fin=False)
        elif kind == "lonely_continuation":
            ws.send_frame(OP_CONT, b"x", fin=True)
        elif kind == "new_text_inside_fragments":
            ws.send_frame(OP_TEXT, b"a", fin=False)
            ws.send_frame(OP_TEXT, b"b", fin=True)
        elif kind == "close_1byte":
            ws.send_frame(OP_CLOSE, b"\x03")
        elif kind == "close_bad_code":
            ws.send_frame(OP_CLOSE, struct.pack("!H", 999))
        _expect_close_code(ws, {1002})
    assert_serving(addr)


def test_raw_oversize_1009(addr):
    size = 1024 * 1024 + 1
    with raw(addr) as ws:
        key = os.urandom(4)
        header = encode_frame(OP_TEXT, b"", length=size, mask_key=key)
        # encode_frame masked an empty payload; the header with the key is all of it
        ws.conn.send(header)
        f = None
        try:
            f = ws.expect_close(1.0)
        except TimeoutError:
            pass
        if f is None and not ws.conn.eof:
            # the server wants the payload before judging its size: give it
            chunk = mask_bytes(key, b"a" * 65536)  # 65536 % 4 == 0: the mask phase holds
            sent = 0
            while sent < size and ws.conn.try_send(chunk[: size - sent]):
                sent += min(len(chunk), size - sent)
            f = ws.expect_close(2.0)
        assert f is not None, "no close frame for an oversize message"
        assert f.close_code()[0] == 1009, f
    assert_serving(addr)


def test_raw_client_close_echoed(addr):
    with raw(addr) as ws:
        ws.send_close(1000, "done")
        f = ws.expect_close(1.0)
        assert f is not None and f.close_code()[0] == 1000
        assert ws.conn.wait_closed(1.0)


def test_raw_flood_of_small_frames(addr):
    n = 5000
    with raw(addr) as ws:
        ws.conn.send(b"".join(encode_frame(OP_TEXT, b"%d" % i) for i in range(n)))
        for i in range(n):
            f = ws.recv_message(3.0)
            assert f is not None and f.payload == b"%d" % i, (i, f)
    assert_serving(addr)


def test_raw_websocket_disabled_404(addr):
    conn, resp, _ = WebSocket.handshake(addr, "/disabled_websocket_echo/websocket")
    conn.close()
    assert resp.status == 404


def test_raw_handshake_and_frame_in_one_packet(addr):
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    from .wire import build_request
    with Conn(addr) as conn:
        conn.send(build_request("GET", "/echo/websocket", {
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13"}, host=addr) + encode_frame(OP_TEXT, "early"))
        resp = conn.read_head()
        assert resp.status == 101
        assert resp.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        ws = WebSocket(conn, resp, key)
        f = ws.recv_message(1.0)
        assert f.opcode == OP_TEXT and f.payload == b"early"


def test_sockjs_handshake_and_frame_in_one_packet(addr):
    from .wire import build_request
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    with Conn(addr) as conn:
        conn.send(build_request("GET", ws_url(), {
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13"}, host=addr) + encode_frame(OP_TEXT, '["early"]'))
        assert conn.read_head().status == 101
        ws = SockJSWebSocket(conn, None, key)
        assert ws.recv_sockjs() == "o"
        assert ws.recv_sockjs() == 'a["early"]'


def test_raw_frame_trickled_byte_by_byte(addr):
    with raw(addr) as ws:
        data = encode_frame(OP_TEXT, "trickle \u00e9" * 20)  # 126-style extended length
        for i in range(len(data)):
            ws.conn.send(data[i:i + 1])
            if i % 16 == 0:
                time.sleep(0.002)
        f = ws.recv_message(1.5)
        assert f.text == "trickle \u00e9" * 20


@pytest.mark.parametrize("size", [125, 126, 127, 65535, 65536, 200000])
def test_raw_length_boundaries(addr, size):
    with raw(addr) as ws:
        ws.send_text("L" * size)
        f = ws.recv_message(2.0)
        assert f.opcode == OP_TEXT and len(f.payload) == size


@pytest.mark.parametrize("size", [100, 70000, 500000])
def test_sockjs_large_message(addr, size):
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_json(["b" * size])
        assert ws.recv_sockjs(3.0) == 'a["%s"]' % ("b" * size)


def test_many_concurrent_websockets(addr):
    socks = []
    try:
        for i in range(40):
            socks.append(SockJSWebSocket.connect(addr, ws_url()))
        for ws in socks:
            assert ws.recv_sockjs() == "o"
        for i, ws in enumerate(socks):
            ws.send_json(["w%d" % i])
        for i, ws in enumerate(socks):
            assert ws.recv_sockjs() == 'a["w%d"]' % i
    finally:
        for ws in socks:
            ws.close()


def test_ping_on_sockjs_websocket(addr):
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_frame(OP_PING, b"p")
        f = ws.recv_frame(1.0)
        while f.opcode == OP_TEXT and f.payload == b"h":
            f = ws.recv_frame(1.0)
        assert f.opcode == OP_PONG and f.payload == b"p"


@pytest.mark.parametrize("opcode, payload, codes", [
    (OP_BINARY, b'["bin"]', (1003, 1002)),   # SockJS carries text
    (OP_TEXT, b'["\xff"]', (1007, 1002)),    # invalid UTF-8
], ids=["binary", "invalid_utf8"])
def test_sockjs_websocket_bad_frame_closes(addr, opcode, payload, codes):
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_frame(opcode, payload)
        f = ws.expect_close(1.5)
        assert f is None or f.close_code()[0] in codes, f


def _pattern(n):
    return "".join(chr(0x61 + (i * 7) % 26) for i in range(n))


def test_raw_echo_every_length(any_addr):
    addr = any_addr
    # every payload length 0..300 and the 16/64-bit length boundaries; content checked
    lengths = list(range(301)) + [4095, 4096, 4097, 65535, 65536, 65537, 100003]
    bad = []
    with raw(addr) as ws:
        for n in lengths:
            text = _pattern(n)
            ws.send_text(text)
            f = ws.recv_message(2.0)
            if f is None or f.opcode != OP_TEXT:
                bad.append((n, f))
                break
            if f.payload != text.encode():
                bad.append((n, f.payload[-8:]))
    assert not bad, "echo corrupted for lengths %s" % bad[:12]


def test_raw_pong_every_length(any_addr):
    addr = any_addr
    bad = []
    with raw(addr) as ws:
        for n in range(126):
            ws.send_frame(OP_PING, b"y" * n)
            f = ws.recv_frame(1.0)
            if f is None or f.opcode != OP_PONG or f.payload != b"y" * n:
                bad.append((n, f))
                if f is None:
                    break
    assert not bad, "pong payload corrupted for lengths %s" % [b[0] for b in bad][:20]


def test_sockjs_echo_every_length(any_addr):
    addr = any_addr
    bad = []
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        for n in range(0, 80):
            text = _pattern(n)
            ws.send_json([text])
            got = ws.recv_sockjs()
            if got != 'a["%s"]' % text:
                bad.append((n, got))
                break  # a corrupted frame usually closes the session
    assert not bad, bad


# -- more hixie-76 and fragmentation -------------------------------------------------------

def _hixie_head(addr, path, key1, key2):
    from .wire import build_request
    return build_request("GET", path, [("Upgrade", "WebSocket"), ("Connection", "Upgrade"),
                                       ("Origin", "http://example.com"),
                                       ("Sec-WebSocket-Key1", key1), ("Sec-WebSocket-Key2", key2)],
                         host=addr)


@pytest.mark.parametrize("key1", ["12345", "1 2 3x", "abc def", " ", "4294967296 0 ", "7 7"],
                         ids=["no_spaces", "not_divisible", "no_digits", "only_space", "too_big",
                              "not_multiple"])
def test_hixie76_bad_keys(addr, key1):
    with Conn(addr) as conn:
        conn.send(_hixie_head(addr, ws_url(), key1, "1 2") + b"12345678")
        try:
            resp = conn.read_head(1.5)
        except (Closed, TimeoutError):
            resp = None
        assert resp is None or resp.status in (400, 101), resp
        if resp is not None and resp.status == 101:
            # draft-76 says a server aborts on a bad key: a 101 (sent before key3 is
            # read) then a prompt close is fine; a hang is not
            if key1 == "7 7":
                assert len(conn.read_exact(16, 1.0)) == 16  # valid: 77 / 1
            else:
                assert conn.wait_closed(1.0), "connection left hanging after a bad key"
                assert conn.buf == b"", "a challenge answer for a bad key: %r" % bytes(conn.buf)
    assert_serving(addr)


def test_hixie76_close_and_bad_frames(addr):
    for bad in [b"\xff\x00", b"\x00[\"a\xff", b"\x00\xc3\x28\xff", b"\x80\x05hello"]:
        with Conn(addr) as conn:
            _hixie76_open(addr, conn, ws_url())
            conn.send(bad)
            assert conn.wait_closed(1.5), "hixie connection still open after %r" % bad
    assert_serving(addr)


def test_sockjs_fragmented_json(addr):
    with SockJSWebSocket.connect(addr, ws_url()) as ws:
        assert ws.recv_sockjs() == "o"
        ws.send_frame(OP_TEXT, '["fr', fin=False)
        ws.send_frame(OP_CONT, 'ag"', fin=False)
        ws.send_frame(OP_CONT, "]", fin=True)
        assert ws.recv_sockjs() == 'a["frag"]'


def test_raw_fragments_over_limit_1009(addr):
    with raw(addr) as ws:
        ws.send_frame(OP_TEXT, b"a" * 600000, fin=False)
        ws.send_frame(OP_CONT, b"b" * 600000, fin=True)
        _expect_close_code(ws, {1009})
    assert_serving(addr)


def test_raw_message_at_limit_accepted(addr):
    with raw(addr) as ws:
        ws.send_frame(OP_TEXT, b"a" * 500000, fin=False)
        ws.send_frame(OP_CONT, b"b" * (1024 * 1024 - 500000), fin=True)
        f = ws.recv_message(3.0)
        assert f.opcode == OP_TEXT and len(f.payload) == 1024 * 1024
