"""sockjs-client in headless Chromium through the other front doors.

* twisted.web: ``python -m txsockjs conformance --front web`` (the services as
  SockJSResources in a SockJSSite), over HTTP and over TLS (``--tls``, the pages from an
  HTTPS static server): for every transport the client offers, from a page on
  another origin and from one on the server's own origin, the hard messages echo intact,
  once and in order, and the ``close`` service ends the session with 3000; on the server's
  origin ``cookie_needed_echo`` sets JSESSIONID; without a transport list the client picks
  websocket, and with websocket disabled it falls back to xhr-streaming.
* ``python -m txsockjs serve --proxy`` to a TCP echo server this test starts: a byte
  stream, so the echoes may come back split or merged (runner.mjs mode "echo-joined"):
  joined, they must equal the messages joined, on every transport.
"""

import socketserver
import threading

import pytest

from e2e_checks import (LONE_SURROGATES, ORIGINS, TRANSPORTS, assert_closed_by_server,
                        assert_echo, close_scenario, describe, echo_scenario, kernels,
                        offered_result, result_of)
from e2e_messages import HARD_MESSAGES, SHORT_MESSAGES
from e2e_support import ServerProcess, e2e_skipped, run_node_script

NODE_TIMEOUT = 600

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(NODE_TIMEOUT + 120),
    pytest.mark.skipif(e2e_skipped(), reason="TXSOCKJS_SKIP_E2E is set"),
]


def _browser(chromium, static_server, server, scenarios, name):
    """Start ``server``, run the scenarios against it in Chromium, stop it."""
    server.start()
    try:
        return _run_browser(chromium, static_server, server, scenarios, name)
    finally:
        server.stop()


def _run_browser(chromium, static_server, server, scenarios, name):
    config = {
        "chromium": chromium,
        "ignoreHTTPSErrors": server.scheme == "https",
        "staticBase": static_server.base_url,
        "serverBase": server.base_url,
        "concurrency": 3,
        "messageSets": {"hard": HARD_MESSAGES, "short": SHORT_MESSAGES},
        "scenarios": scenarios,
    }
    out = run_node_script("browser.mjs", config, timeout=NODE_TIMEOUT,
                          log_name="browser-%s-%s.log" % (name, kernels()))
    if out.get("fatal"):
        pytest.fail("browser.mjs failed: %s" % out["fatal"], pytrace=False)
    out["server_alive"] = server.alive()
    out["server_output"] = server.output
    return out


def _offered():
    return [(origin, t) for origin in ORIGINS for t in TRANSPORTS]


# -- twisted.web ----------------------------------------------------------------------------

def web_scenarios():
    out = []
    for origin, t in _offered():
        out.append(echo_scenario(origin, t))
        out.append(close_scenario(origin, t))
    for t in TRANSPORTS:
        out.append({"id": "cookie-%s" % t, "origin": "same", "service": "cookie_needed_echo",
                    "transports": [t], "messages": "short", "mode": "echo", "cookies": True,
                    "timeoutMs": 20000})
    out.append({"id": "auto", "origin": "cross", "service": "echo", "transports": None,
                "messages": "short", "mode": "echo", "timeoutMs": 20000})
    out.append({"id": "fallback", "origin": "cross", "service": "disabled_websocket_echo",
                "transports": None, "messages": "short", "mode": "echo", "timeoutMs": 20000})
    return out


@pytest.fixture(scope="module", params=["http", "tls"])
def web_run(request, chromium, tmp_path_factory):
    tls = request.param == "tls"
    static_server = request.getfixturevalue("tls_static_server" if tls else "static_server")
    certificate = request.getfixturevalue("tls_certificate") if tls else None
    server = ServerProcess(
        "conformance", "--front", "web", "--streaming-limit", "4096",
        "--sockjs-url", static_server.sockjs_url,
        *(["--tls", certificate.cert, certificate.key] if tls else []),
        log_dir=tmp_path_factory.mktemp("web"))
    run = _browser(chromium, static_server, server, web_scenarios(), "web-" + request.param)
    assert server.scheme == ("https" if tls else "http")
    return run


# scenario kind -> how its result is judged
WEB_JUDGES = {
    "echo": lambda r, transport: assert_echo(r, transport, len(HARD_MESSAGES) + LONE_SURROGATES),
    "close": assert_closed_by_server,
}


@pytest.mark.parametrize("kind", sorted(WEB_JUDGES))
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("origin", ORIGINS)
def test_web_every_transport(web_run, kind, origin, transport):
    r = offered_result(web_run, "%s-%s-%s" % (kind, origin, transport), origin, transport)
    if r is not None:
        WEB_JUDGES[kind](r, transport)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_web_cookie_needed(web_run, transport):
    r = result_of(web_run, "cookie-%s" % transport)
    assert_echo(r, transport, len(SHORT_MESSAGES))
    if transport != "websocket":
        jar = [c for c in r["cookies"] if c["name"] == "JSESSIONID"]
        assert jar and jar[0]["path"] == "/", "no JSESSIONID cookie after %s: %s" % (transport, r["cookies"])


def test_web_websocket_is_preferred_and_fallback(web_run):
    assert_echo(result_of(web_run, "auto"), "websocket", len(SHORT_MESSAGES))
    assert_echo(result_of(web_run, "fallback"), "xhr-streaming", len(SHORT_MESSAGES))


def test_web_server_survived(web_run):
    assert web_run["server_alive"], web_run["server_output"]()[-3000:]
    assert "Traceback" not in web_run["server_output"](), web_run["server_output"]()[-3000:]


# -- serve --proxy to a TCP echo server -------------------------------------------------------

class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            try:
                data = self.request.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.request.sendall(data)


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def tcp_echo():
    server = _EchoServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def proxy_scenarios():
    return [{"id": "proxy-%s-%s" % (origin, t), "origin": origin, "service": "tcp",
             "transports": [t], "messages": "hard", "loneSurrogates": True,
             "mode": "echo-joined", "timeoutMs": 60000} for origin, t in _offered()]


@pytest.fixture(scope="module")
def proxy_run(static_server, chromium, tcp_echo, tmp_path_factory):
    server = ServerProcess(
        "serve", "--listen", "tcp:0:interface=127.0.0.1", "--prefix", "tcp",
        "--proxy", "tcp:127.0.0.1:%d" % tcp_echo, "--sockjs-url", static_server.sockjs_url,
        own_listen=True, log_dir=tmp_path_factory.mktemp("proxy"))
    return _browser(chromium, static_server, server, proxy_scenarios(), "proxy")


def assert_joined_echo(r, transport):
    """Every message went through the TCP echo and back: joined, the echoes are the
    messages joined; then the client closed (1000)."""
    info = describe(r) + "\njoined: %r of %r chars" % (r.get("joinedLength"), r.get("expectedLength"))
    assert not r["timedOut"], "timed out:\n" + info
    assert r["transport"] == transport, info
    assert r["sent"] == len(HARD_MESSAGES) + LONE_SURROGATES, info
    assert r.get("joinedMatches") is True and not r["mismatches"], info
    assert r["close"] == {"code": 1000, "reason": "Normal closure", "wasClean": True}, info


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("origin", ORIGINS)
def test_proxy_echo_through_tcp(proxy_run, origin, transport):
    r = offered_result(proxy_run, "proxy-%s-%s" % (origin, transport), origin, transport)
    if r is not None:
        assert_joined_echo(r, transport)


def test_proxy_server_survived(proxy_run):
    assert proxy_run["server_alive"], proxy_run["server_output"]()[-3000:]
    assert "Traceback" not in proxy_run["server_output"](), proxy_run["server_output"]()[-3000:]
