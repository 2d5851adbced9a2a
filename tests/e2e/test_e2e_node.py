"""The real SockJS client (sockjs-client 1.6.1) inside Node, against the conformance server:
through our own HTTP channel, and through a twisted.web Site (``--front web``) over HTTP and
over TLS (``--tls``; Node trusts the self-signed certificate by NODE_EXTRA_CA_CERTS).

In Node the client offers websocket (faye-websocket), xhr-streaming and xhr-polling (Node's
http module) and eventsource (the eventsource package); the iframe, htmlfile and jsonp
transports need a DOM, and the client must refuse them (close 2000).  Each offered transport
must echo the hard messages intact and in order, end close-service sessions with 3000, and
work with cookie_needed; websocket must be preferred, and with websocket disabled the client
must fall back to xhr-streaming.
"""

import pytest

from e2e_checks import assert_closed_by_server, assert_echo, assert_not_offered, kernels, result_of
from e2e_messages import HARD_MESSAGES, SHORT_MESSAGES
from e2e_support import SUMMARIES, ServerProcess, e2e_skipped, run_node_script

NODE_TIMEOUT = 300

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(NODE_TIMEOUT + 60),
    pytest.mark.skipif(e2e_skipped(), reason="TXSOCKJS_SKIP_E2E is set"),
]

OFFERED = ["websocket", "xhr-streaming", "eventsource", "xhr-polling"]
NOT_OFFERED = ["iframe-eventsource", "htmlfile", "iframe-htmlfile", "iframe-xhr-polling", "jsonp-polling"]
LONE_SURROGATES = 3


def scenarios():
    out = []
    for t in OFFERED:
        out.append({"id": "echo-%s" % t, "service": "echo", "transports": [t], "messages": "hard",
                    "loneSurrogates": True, "mode": "echo", "timeoutMs": 60000})
        out.append({"id": "close-%s" % t, "service": "close", "transports": [t],
                    "messages": None, "mode": "wait-close", "timeoutMs": 20000})
        out.append({"id": "cookie-%s" % t, "service": "cookie_needed_echo", "transports": [t],
                    "messages": "short", "mode": "echo", "timeoutMs": 20000})
    for t in NOT_OFFERED:
        out.append({"id": "echo-%s" % t, "service": "echo", "transports": [t], "messages": "short",
                    "mode": "echo", "timeoutMs": 20000})
    out.append({"id": "auto", "service": "echo", "transports": None, "messages": "short",
                "mode": "echo", "timeoutMs": 20000})
    out.append({"id": "fallback", "service": "disabled_websocket_echo", "transports": None,
                "messages": "hard", "mode": "echo", "timeoutMs": 60000})
    return out


# door: (conformance --front, over TLS)
DOORS = {"own": ("own", False), "web": ("web", False), "web-tls": ("web", True)}


@pytest.fixture(scope="module", params=sorted(DOORS))
def node_server(request, tmp_path_factory):
    front, tls = DOORS[request.param]
    args = ["--front", front, "--streaming-limit", "4096"]
    if tls:
        certificate = request.getfixturevalue("tls_certificate")
        args += ["--tls", certificate.cert, certificate.key]
    server = ServerProcess("conformance", *args,
                           log_dir=tmp_path_factory.mktemp("node-" + request.param)).start()
    server.door = request.param
    server.node_env = {"NODE_EXTRA_CA_CERTS": certificate.cert} if tls else {}
    assert server.scheme == ("https" if tls else "http")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def node_run(node_server, node):
    config = {
        "serverBase": node_server.base_url,
        "messageSets": {"hard": HARD_MESSAGES, "short": SHORT_MESSAGES},
        "scenarios": scenarios(),
    }
    out = run_node_script("node_client.mjs", config, timeout=NODE_TIMEOUT, env=node_server.node_env,
                          log_name="node-client-%s-%s.log" % (node_server.door, kernels()))
    lines = []
    for t in OFFERED + NOT_OFFERED + ["auto", "fallback"]:
        r = out["results"].get("echo-%s" % t) or out["results"].get(t) or {}
        lines.append("%-20s used %-14s %s/%s msgs, close %s" % (
            t, r.get("transport"), r.get("received"), r.get("sent"), (r.get("close") or {}).get("code")))
    SUMMARIES.append(("sockjs-client in Node %s, %s door (%s kernels)" % (
        out.get("node"), node_server.door, kernels()), "\n".join(lines)))
    out["server_alive"] = node_server.alive()
    return out


@pytest.mark.parametrize("transport", OFFERED)
def test_node_echo_hard_messages(node_run, transport):
    assert_echo(result_of(node_run, "echo-%s" % transport), transport,
                len(HARD_MESSAGES) + LONE_SURROGATES)


@pytest.mark.parametrize("transport", OFFERED)
def test_node_close_service_3000(node_run, transport):
    assert_closed_by_server(result_of(node_run, "close-%s" % transport), transport)


@pytest.mark.parametrize("transport", OFFERED)
def test_node_cookie_needed(node_run, transport):
    assert_echo(result_of(node_run, "cookie-%s" % transport), transport, len(SHORT_MESSAGES))


@pytest.mark.parametrize("transport", NOT_OFFERED)
def test_node_refuses_dom_transports(node_run, transport):
    assert_not_offered(result_of(node_run, "echo-%s" % transport))


def test_node_prefers_websocket(node_run):
    assert_echo(result_of(node_run, "auto"), "websocket", len(SHORT_MESSAGES))


def test_node_falls_back_to_xhr_streaming(node_run):
    assert_echo(result_of(node_run, "fallback"), "xhr-streaming", len(HARD_MESSAGES))


def test_node_server_survived(node_run):
    assert node_run["server_alive"]
