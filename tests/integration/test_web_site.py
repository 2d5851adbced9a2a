"""SockJSResource in a twisted.web Site as a user builds it: static files at
the root, other resources beside it, one port for HTTP and one for TLS
(tests/integration/web_site_server.py).  Every transport over both, the
options through the resource, drain through SockJSSite, flow control."""

import json
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest

from .frontdoor import Proc
from .wire import (OP_CLOSE, Closed, SockJSWebSocket, Stream, TLSAddress, WebSocket,
                   new_session_id, open_session, request, xhr, xhr_send)

pytest.importorskip("OpenSSL", reason="twisted[tls] is a test dependency (./run-tests installs it)")
STATIC_PAGE = b"<!doctype html><title>static</title><p>served by File\n"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _server_argv(static, cert=None, key=None):
    argv = [sys.executable, "-m", "tests.integration.web_site_server", str(static)]
    return argv + [cert, key] if cert else argv


def _make_cert(folder):
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def _static_dir(folder):
    static = folder / "static"
    static.mkdir()
    (static / "index.html").write_bytes(STATIC_PAGE)
    (static / "app.js").write_bytes(b"console.log('static');\n")
    return static


class Site:
    def __init__(self, proc, http, tls):
        self.proc = proc
        self.fronts = {"http": http, "tls": tls}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web_site")
    cert, key = _make_cert(folder)
    proc = Proc(_server_argv(_static_dir(folder), cert, key))
    try:
        http = proc.addr()
        tls_port = int(proc.wait_for(r"tls on https://127\.0\.0\.1:(\d+)/").group(1))
        tls = TLSAddress("127.0.0.1", tls_port, ssl.create_default_context(cafile=cert))
        yield Site(proc, http, tls)
    finally:
        proc.stop()
    assert "Traceback" not in proc.output(), proc.output()


def _old_twisted_with_new_pyopenssl():
    """Twisted before 24 sets ALPN on the TLS context of every connection a Site
    takes, which pyOpenSSL 25 and later refuse on a context already used: such a
    Site cannot serve TLS at all (nothing txsockjs can change)."""
    import OpenSSL
    import twisted
    return (int(twisted.__version__.split(".")[0]) < 24
            and int(OpenSSL.__version__.split(".")[0]) >= 25)


@pytest.fixture(params=["http", pytest.param("tls", marks=pytest.mark.skipif(
    _old_twisted_with_new_pyopenssl(),
    reason="this Twisted's Site over TLS does not work with this pyOpenSSL"))])
def addr(request, site):
    return site.fronts[request.param]


def url(prefix="/echo"):
    return "%s/000/%s" % (prefix, new_session_id())


# -- beside the static files and another resource ------------------------------------------

def test_static_files_and_other_resource_on_the_same_port(addr):
    page = request(addr, "GET", "/index.html")
    assert page.status == 200 and page.body == STATIC_PAGE
    assert page.content_type.startswith("text/html")
    assert request(addr, "GET", "/app.js").body == b"console.log('static');\n"
    assert request(addr, "GET", "/hello").body == b"hello from another resource\n"
    assert request(addr, "GET", "/no-such-file").status == 404
    greeting = request(addr, "GET", "/echo")
    assert greeting.status == 200 and greeting.body == b"Welcome to SockJS!\n"
    info = json.loads(request(addr, "GET", "/echo/info").body)
    assert info["websocket"] is True  # (our own WebSocket, on every Twisted, no extra)


def test_nested_resource(addr):
    u = url("/deep/er/echo")
    open_session(addr, u)
    assert xhr_send(addr, u, ["deep"]).status == 204
    assert xhr(addr, u).body == b'a["deep"]\n'
    assert request(addr, "GET", "/deep/er/echo/info").status == 200


# -- every transport ------------------------------------------------------------------------

def test_websocket(addr):
    ws = SockJSWebSocket.connect(addr, url() + "/websocket")
    with ws:
        assert ws.recv_sockjs() == "o"
        ws.send_json(["caf\u00e9", "\U0001f600"])
        assert json.loads(ws.recv_sockjs()[1:]) == ["caf\u00e9", "\U0001f600"]


def test_raw_websocket(addr):
    with WebSocket.connect(addr, "/echo/websocket") as ws:
        ws.send_text("raw \u20ac")
        assert ws.recv_message().text == "raw \u20ac"


def test_xhr(addr):
    u = url()
    open_session(addr, u)
    assert xhr_send(addr, u, ["x", "y"]).status == 204
    assert xhr(addr, u).body == b'a["x","y"]\n'


# transport: (method, suffix, how the open frame and a["m"] look on it)
STREAMING = {
    "xhr_streaming": ("POST", "/xhr_streaming", b"o\n", b'a["m"]\n'),
    "eventsource": ("GET", "/eventsource", b"data: o\r\n\r\n", b'data: a["m"]\r\n\r\n'),
    "htmlfile": ("GET", "/htmlfile?c=cb", b'<script>\np("o");\n</script>\r\n',
                 b'<script>\np("a[\\"m\\"]");\n</script>\r\n'),
}


@pytest.mark.parametrize("transport", sorted(STREAMING))
def test_streaming_transports(addr, transport):
    method, suffix, opened, message = STREAMING[transport]
    u = url()
    with Stream.open(addr, method, u + suffix, body=b"" if method == "POST" else None) as s:
        assert s.resp.status == 200
        s.read_until(opened)
        assert xhr_send(addr, u, ["m"]).status == 204
        s.read_until(message)


def test_jsonp(addr):
    u = url()
    assert request(addr, "GET", u + "/jsonp?c=cb").body == b'/**/cb("o");\r\n'
    sent = request(addr, "POST", u + "/jsonp_send", FORM, "d=%5B%22jp%22%5D")
    assert sent.status == 200 and sent.body == b"ok"
    assert request(addr, "GET", u + "/jsonp?c=cb").body == b'/**/cb("a[\\"jp\\"]");\r\n'


# -- options through the resource -------------------------------------------------------------

def _poll(addr, u, token=None, headers=()):
    query = "" if token is None else "?token=" + token
    return request(addr, "POST", u + "/xhr" + query, headers, b"")


def test_authorize_refuses_and_admits(addr):
    assert _poll(addr, url("/guarded"), "nobody").status == 403
    assert _poll(addr, url("/guarded")).status == 403
    u = url("/guarded")
    assert _poll(addr, u, "user-ada").body == b"o\n"
    # the session is bound to its principal: a request of another is refused
    assert xhr_send(addr, u, ["who?"]).status == 403
    sent = request(addr, "POST", u + "/xhr_send?token=user-ada", body=b'["who?"]')
    assert sent.status == 204, sent
    who = json.loads(json.loads(_poll(addr, u, "user-ada").body[1:])[0])
    secure = isinstance(addr, TLSAddress)
    assert who == {"principal": "user:ada", "origin": None, "transport": "xhr", "secure": secure}


def test_allowed_origins_on_websocket(addr):
    path = url("/guarded") + "/websocket?token=user-bob"
    conn, resp, _ = WebSocket.handshake(addr, path, {"Origin": "https://evil.example"})
    conn.close()
    assert resp.status == 403, resp
    ws = SockJSWebSocket.connect(addr, path, {"Origin": "https://example.com"})
    with ws:
        assert ws.recv_sockjs() == "o"
        ws.send_json(["who?"])
        who = json.loads(json.loads(ws.recv_sockjs()[1:])[0])
        assert who["principal"] == "user:bob" and who["origin"] == "https://example.com"
        assert who["transport"] == "websocket"


def test_allowed_origins_on_xhr(addr):
    refused = _poll(addr, url("/guarded"), "user-eve", {"Origin": "https://evil.example"})
    assert refused.status == 403, refused
    admitted = _poll(addr, url("/guarded"), "user-eve", {"Origin": "https://example.com"})
    assert admitted.status == 200 and admitted.body == b"o\n"


# -- flow control ---------------------------------------------------------------------------

def _rss(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def test_slow_websocket_reader_is_closed_by_the_send_limit(addr, site):
    """The application writes with no producer; the client reads nothing.  The
    socket fills, the session's queue reaches send_buffer_limit (256 KiB) and
    the session is closed with 1013: the application stops long before its
    512 MiB, and the server's memory stays bounded."""
    pid = site.proc.proc.pid
    before = _rss(pid)
    start = len(site.proc.lines)
    ws = SockJSWebSocket.connect(addr, url("/flood") + "/websocket")
    ws.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    try:
        assert ws.recv_sockjs() == "o"
        ws.send_json(["flood"])
        lost = site.proc.wait_for(r"FLOOD lost after (\d+) bytes", timeout=15, start=start)
        written = int(lost.group(1))
        grown = _rss(pid) - before
        assert written < 64 << 20, "the application wrote %d MB before it was stopped" % (written >> 20)
        assert grown < 64 << 20, "the server grew by %d MB" % (grown >> 20)
        # what was on its way, then the session's close frame
        deadline = time.monotonic() + 10
        frame = ws.recv_sockjs(10)
        while isinstance(frame, str) and frame.startswith("a") and time.monotonic() < deadline:
            frame = ws.recv_sockjs(10)
        assert frame == 'c[1013,"Send buffer limit exceeded"]', frame
    finally:
        ws.conn.abort()
    assert request(addr, "GET", "/echo").status == 200


# -- drain ----------------------------------------------------------------------------------

def _stream_until_close(stream):
    try:
        return stream.read_until(b"c[1001,", 5)
    except Closed as closed:
        raise AssertionError("no close frame before the stream ended: %s" % (closed,))


def test_sigterm_drains_every_session(tmp_path):
    """SockJSSite.drain on SIGTERM: each open session gets c[1001,...] on its
    own transport, then the process exits cleanly."""
    proc = Proc(_server_argv(_static_dir(tmp_path)))
    try:
        addr = proc.addr()
        streaming = Stream.open(addr, "POST", url() + "/xhr_streaming", body=b"")
        streaming.read_until(b"o\n")
        nested = Stream.open(addr, "GET", url("/deep/er/echo") + "/eventsource")
        nested.read_until(b"data: o\r\n\r\n")
        ws = SockJSWebSocket.connect(addr, url() + "/websocket")
        assert ws.recv_sockjs() == "o"
        proc.proc.send_signal(signal.SIGTERM)
        assert _stream_until_close(streaming).endswith(b'c[1001,')
        streaming.read_until(b'"Server shutting down"]\n')
        assert _stream_until_close(nested).endswith(b"c[1001,")
        assert ws.recv_sockjs(5) == 'c[1001,"Server shutting down"]'
        closing = ws.expect_close(5)
        assert closing is None or closing.opcode == OP_CLOSE
        assert proc.proc.wait(10) == 0
    finally:
        status = proc.stop()
    output = proc.output()
    assert status == 0 and "Traceback" not in output, output
    assert re.search(r"Main loop terminated", output), output
