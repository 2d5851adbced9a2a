"""Every SockJS transport, driven by the real client (sockjs-client 1.6.1) in headless Chromium.

One run of ``node browser.mjs`` (Debian's chromium through playwright-core) executes every
scenario against ``python -m txsockjs conformance``; the tests below each judge one scenario.

For each transport the client offers in Chromium, from a page on another origin (the static
server's port) and from a page on the server's own origin:

* echo: connect with only that transport allowed, check it is the one used, send the hard
  messages of messages.py (empty, U+2028/9, NUL, emoji, ``</script>``, JSON- and frame-looking
  text, ``%`` sequences, lone surrogates, ~100 KB crossing many 4096-byte streaming-limit
  cycles, ...); every echo must arrive intact, once, and in order; then close (1000).
* close: the ``close`` service ends each session at once: ``3000 "Go away!"``.
* cookie: ``cookie_needed_echo`` works over the transport, and (all but websocket) leaves the
  ``JSESSIONID`` cookie.
Plus: without a transport list, ``echo`` uses websocket; with websocket disabled the client
falls back to xhr-streaming; ``websocket`` alone on that service fails (2000).

``htmlfile`` needs a same-origin page (the client itself disables it cross-origin and uses
``iframe-htmlfile`` instead): cross-origin, it must be refused by the client (close 2000).
Lone surrogates come back as U+FFFD (README: the application always gets valid UTF-8).
"""

import json

import pytest

from e2e_checks import (LONE_SURROGATES, NOT_OFFERED, ORIGINS, TRANSPORTS,
                        assert_closed_by_server, assert_echo, assert_not_offered,
                        close_scenario, echo_scenario, kernels, offered_result, result_of,
                        run_browser)
from e2e_support import ARTIFACTS, SUMMARIES, e2e_skipped
from e2e_messages import HARD_MESSAGES, SHORT_MESSAGES

NODE_TIMEOUT = 600

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(NODE_TIMEOUT + 120),  # the first test pays for the whole browser run
    pytest.mark.skipif(e2e_skipped(), reason="TXSOCKJS_SKIP_E2E is set"),
]



def scenarios():
    out = []
    for origin in ORIGINS:
        for t in TRANSPORTS:
            out.append(echo_scenario(origin, t))
            out.append(close_scenario(origin, t))
            out.append({"id": "cookie-%s-%s" % (origin, t), "origin": origin,
                        "service": "cookie_needed_echo", "transports": [t], "messages": "short",
                        "mode": "echo", "cookies": True, "timeoutMs": 20000})
        out.append({"id": "auto-%s" % origin, "origin": origin, "service": "echo",
                    "transports": None, "messages": "short", "mode": "echo", "timeoutMs": 20000})
        out.append({"id": "fallback-%s" % origin, "origin": origin,
                    "service": "disabled_websocket_echo", "transports": None,
                    "messages": "hard", "mode": "echo", "timeoutMs": 60000})
        out.append({"id": "wsonly-disabled-%s" % origin, "origin": origin,
                    "service": "disabled_websocket_echo", "transports": ["websocket"],
                    "messages": None, "mode": "wait-close", "timeoutMs": 20000})
    return out


@pytest.fixture(scope="module")
def browser_run(conformance_server, static_server, chromium):
    out = run_browser(chromium, static_server, conformance_server, scenarios(), NODE_TIMEOUT,
                      "browser-%s.log" % kernels())
    _record_table(out)
    return out


def _cell(out, origin, t):
    echo = out["results"].get("echo-%s-%s" % (origin, t), {})
    close = out["results"].get("close-%s-%s" % (origin, t), {})
    cookie = out["results"].get("cookie-%s-%s" % (origin, t), {})
    if (origin, t) in NOT_OFFERED:
        return "not offered" if "open" not in echo.get("events", []) else "OFFERED?"
    if echo.get("transport") != t:
        return "FAIL (used %s)" % echo.get("transport")
    ok = (not echo.get("mismatches") and echo.get("received") == echo.get("sent")
          and (echo.get("close") or {}).get("code") == 1000)
    jar = any(c["name"] == "JSESSIONID" for c in cookie.get("cookies") or [])
    return "%s %d/%d msgs %.1fs, close %s, cookie %s" % (
        "ok" if ok else "FAIL", echo.get("received", 0), echo.get("sent", 0),
        echo.get("elapsedMs", 0) / 1000.0, (close.get("close") or {}).get("code"),
        "set" if jar else "-")


def _record_table(out):
    lines = ["%-20s | %-44s | %-44s" % ("transport", "cross-origin page", "same-origin page")]
    lines.append("-" * len(lines[0]))
    for t in TRANSPORTS:
        lines.append("%-20s | %-44s | %-44s" % (t, _cell(out, "cross", t), _cell(out, "same", t)))
    for name in ("auto", "fallback", "wsonly-disabled"):
        cells = []
        for origin in ORIGINS:
            r = out["results"].get("%s-%s" % (name, origin), {})
            cells.append("used %s, close %s" % (r.get("transport"), (r.get("close") or {}).get("code")))
        lines.append("%-20s | %-44s | %-44s" % (name, cells[0], cells[1]))
    table = "\n".join(lines)
    title = "SockJS transports in %s (%s kernels)" % (out.get("browser") or "chromium", kernels())
    SUMMARIES.append((title, table))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / ("transport-table-%s.txt" % kernels())).write_text(title + "\n" + table + "\n")
    (ARTIFACTS / ("browser-results-%s.json" % kernels())).write_text(
        json.dumps({k: v for k, v in out.items() if k != "server_output"}, indent=1))


def test_pages_are_on_the_intended_origins(browser_run, conformance_server, static_server):
    for t in TRANSPORTS:
        cross = browser_run["results"]["close-cross-%s" % t]
        same = browser_run["results"]["close-same-%s" % t]
        assert cross.get("pageOrigin") == static_server.base_url, cross
        assert same.get("pageOrigin") == conformance_server.base_url, same


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("origin", ORIGINS)
def test_echo_hard_messages(browser_run, origin, transport):
    r = offered_result(browser_run, "echo-%s-%s" % (origin, transport), origin, transport)
    if r is None:
        return
    assert_echo(r, transport, len(HARD_MESSAGES) + LONE_SURROGATES)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("origin", ORIGINS)
def test_close_service_3000(browser_run, origin, transport):
    r = offered_result(browser_run, "close-%s-%s" % (origin, transport), origin, transport)
    if r is None:
        return
    assert_closed_by_server(r, transport)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("origin", ORIGINS)
def test_cookie_needed(browser_run, origin, transport):
    r = offered_result(browser_run, "cookie-%s-%s" % (origin, transport), origin, transport)
    if r is None:
        return
    assert_echo(r, transport, len(SHORT_MESSAGES))
    if transport != "websocket":
        jar = [c for c in r["cookies"] if c["name"] == "JSESSIONID"]
        assert jar and jar[0]["path"] == "/", "no JSESSIONID cookie after %s: %s" % (transport, r["cookies"])


@pytest.mark.parametrize("origin", ORIGINS)
def test_websocket_is_preferred(browser_run, origin):
    r = result_of(browser_run, "auto-%s" % origin)
    assert_echo(r, "websocket", len(SHORT_MESSAGES))


@pytest.mark.parametrize("origin", ORIGINS)
def test_websocket_disabled_falls_back_to_streaming(browser_run, origin):
    r = result_of(browser_run, "fallback-%s" % origin)
    assert_echo(r, "xhr-streaming", len(HARD_MESSAGES))


@pytest.mark.parametrize("origin", ORIGINS)
def test_websocket_disabled_refuses_websocket_only(browser_run, origin):
    r = result_of(browser_run, "wsonly-disabled-%s" % origin)
    assert_not_offered(r)


def test_server_survived(browser_run):
    assert browser_run["server_alive"], browser_run["server_output"]()[-3000:]
