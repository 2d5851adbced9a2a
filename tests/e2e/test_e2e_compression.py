"""sockjs-client against a server with ``compression: True`` (permessage-deflate on every
service): headless Chromium and Node.

Chromium offers ``permessage-deflate; client_max_window_bits`` on every SockJS WebSocket; the
server must accept it (the 101's ``Sec-WebSocket-Extensions``, read from Chromium's own network
log, is ``permessage-deflate; client_max_window_bits=12``) and every transport must still pass:
the hard messages (the ~100 KB one is compressed both ways) echo intact and in order, and the
``close`` service ends sessions with 3000.

In Node, sockjs-client's websocket driver is faye-websocket, which offers an extension only when
one is registered with it.  Two runs: as sockjs-client comes, faye sends no
``Sec-WebSocket-Extensions`` and the server must answer with none (the websocket runs
uncompressed against a compressing server); with the ``permessage-deflate`` npm package handed
to faye through sockjs-client's public ``transportOptions.websocket.extensions``, faye offers
``permessage-deflate; client_max_window_bits`` and the server must accept it as it does
Chromium's.  Every transport passes in both.
"""

import pytest

from e2e_checks import (ORIGINS, TRANSPORTS, LONE_SURROGATES, assert_closed_by_server,
                        assert_echo, close_scenario, echo_scenario, kernels, offered_result,
                        result_of, run_browser)
from e2e_messages import HARD_MESSAGES
from e2e_support import SUMMARIES, e2e_skipped, run_node_script

TIMEOUT = 600
NODE_TRANSPORTS = ["websocket", "xhr-streaming", "eventsource", "xhr-polling"]
ACCEPTED = "permessage-deflate; client_max_window_bits=12"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(2 * TIMEOUT + 120),
    pytest.mark.skipif(e2e_skipped(), reason="TXSOCKJS_SKIP_E2E is set"),
]


def browser_scenarios():
    return [make(origin, t) for origin in ORIGINS for t in TRANSPORTS
            for make in (echo_scenario, close_scenario)]


@pytest.fixture(scope="module")
def browser_run(compressed_server, static_server, chromium):
    out = run_browser(chromium, static_server, compressed_server, browser_scenarios(), TIMEOUT,
                      "browser-compressed-%s.log" % kernels())
    handshakes = [result_of(out, "echo-%s-websocket" % o)["wsHandshakes"] for o in ORIGINS]
    SUMMARIES.append(("Chromium %s with compression: True (%s kernels)" % (out.get("browser"), kernels()),
                      "\n".join("%s page: %r" % (o, h) for o, h in zip(ORIGINS, handshakes))))
    return out


@pytest.fixture(scope="module")
def node_run(compressed_server, node):
    scenarios = []
    for t in NODE_TRANSPORTS:
        for prefix, deflate in (("", False), ("deflate-", True)):
            scenarios.append(dict(echo_scenario("node", t), id="%secho-%s" % (prefix, t),
                                  deflate=deflate))
            scenarios.append(dict(close_scenario("node", t), id="%sclose-%s" % (prefix, t),
                                  deflate=deflate))
    config = {"serverBase": compressed_server.base_url, "messageSets": {"hard": HARD_MESSAGES},
              "scenarios": scenarios}
    out = run_node_script("node_client.mjs", config, timeout=TIMEOUT,
                          log_name="node-compressed-%s.log" % kernels())
    out["server_alive"] = compressed_server.alive()
    return out


@pytest.mark.parametrize("origin", ORIGINS)
def test_chromium_negotiates_permessage_deflate(browser_run, origin):
    for scenario in ("echo-%s-websocket", "close-%s-websocket"):
        r = result_of(browser_run, scenario % origin)
        assert len(r["wsHandshakes"]) == 1, r["wsHandshakes"]
        shake = r["wsHandshakes"][0]
        assert shake["status"] == 101, shake
        assert "permessage-deflate" in (shake["offer"] or ""), shake
        assert shake["extensions"] == ACCEPTED, shake


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("origin", ORIGINS)
def test_chromium_every_transport_echoes(browser_run, origin, transport):
    r = offered_result(browser_run, "echo-%s-%s" % (origin, transport), origin, transport)
    if r is not None:
        assert_echo(r, transport, len(HARD_MESSAGES) + LONE_SURROGATES)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("origin", ORIGINS)
def test_chromium_every_transport_closes(browser_run, origin, transport):
    r = offered_result(browser_run, "close-%s-%s" % (origin, transport), origin, transport)
    if r is not None:
        assert_closed_by_server(r, transport)


def test_chromium_run_left_server_alive(browser_run):
    assert browser_run["server_alive"], browser_run["server_output"]()[-3000:]


def test_node_faye_offers_no_extension(node_run):
    for scenario in ("echo-websocket", "close-websocket"):
        shakes = result_of(node_run, scenario)["wsHandshakes"]
        assert len(shakes) == 1, shakes
        assert shakes[0]["status"] == 101, shakes
        assert shakes[0]["offer"] is None and shakes[0]["extensions"] is None, shakes


def test_node_faye_with_permessage_deflate_negotiates_it(node_run):
    for scenario in ("deflate-echo-websocket", "deflate-close-websocket"):
        shakes = result_of(node_run, scenario)["wsHandshakes"]
        assert len(shakes) == 1, shakes
        assert shakes[0]["status"] == 101, shakes
        assert "permessage-deflate" in (shakes[0]["offer"] or ""), shakes
        assert shakes[0]["extensions"] == ACCEPTED, shakes


@pytest.mark.parametrize("prefix", ["", "deflate-"])
@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
def test_node_every_transport_passes(node_run, transport, prefix):
    assert_echo(result_of(node_run, "%secho-%s" % (prefix, transport)), transport,
                len(HARD_MESSAGES) + LONE_SURROGATES)
    assert_closed_by_server(result_of(node_run, "%sclose-%s" % (prefix, transport)), transport)
    assert node_run["server_alive"]
