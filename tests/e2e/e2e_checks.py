"""Judging one scenario result of runner.mjs (browser or Node): shared assertions."""

import json

import pytest

from e2e_messages import HARD_MESSAGES, SHORT_MESSAGES
from e2e_support import ARTIFACTS, run_node_script

# Every transport sockjs-client has, in the order it prefers them.
TRANSPORTS = [
    "websocket", "xhr-streaming", "eventsource", "iframe-eventsource", "htmlfile",
    "iframe-htmlfile", "xhr-polling", "iframe-xhr-polling", "jsonp-polling",
]
ORIGINS = ["cross", "same"]
# (origin, transport) pairs the client does not offer in Chromium
NOT_OFFERED = {("cross", "htmlfile")}
LONE_SURROGATES = 3  # runner.mjs adds this many messages with lone surrogates


def kernels():
    try:
        from txsockjs import _speedups
        return _speedups.IMPLEMENTATION
    except ImportError:
        return "unknown"


def result_of(run, scenario_id):
    r = run["results"].get(scenario_id)
    assert r is not None, "scenario %s did not run" % scenario_id
    assert not r.get("error"), "%s: %s (console: %s)" % (scenario_id, r["error"], r.get("consoleErrors"))
    return r


def echo_scenario(origin, transport):
    """The hard messages (and lone surrogates) echoed over ``transport`` alone."""
    return {"id": "echo-%s-%s" % (origin, transport), "origin": origin, "service": "echo",
            "transports": [transport], "messages": "hard", "loneSurrogates": True,
            "mode": "echo", "timeoutMs": 60000}


def close_scenario(origin, transport):
    """The ``close`` service over ``transport`` alone: the server ends the session."""
    return {"id": "close-%s-%s" % (origin, transport), "origin": origin, "service": "close",
            "transports": [transport], "messages": None, "mode": "wait-close",
            "timeoutMs": 20000}


def offered_result(run, scenario_id, origin, transport):
    """The scenario's result, or None once checked that the client did not offer
    ``transport`` from that ``origin`` (NOT_OFFERED)."""
    r = result_of(run, scenario_id)
    if (origin, transport) in NOT_OFFERED:
        assert_not_offered(r)
        return None
    return r


def describe(r):
    return json.dumps({k: r.get(k) for k in (
        "transport", "events", "sent", "received", "mismatchCount", "mismatches", "extra",
        "close", "transportCloses", "timedOut", "elapsedMs", "consoleErrors", "pageOrigin")}, indent=1)


def assert_not_offered(r):
    assert "open" not in r["events"], "the client was not expected to offer this transport:\n" + describe(r)
    assert r["close"] and r["close"]["code"] == 2000, describe(r)


def assert_echo(r, transport, n_messages):
    """Opened with `transport`, every message echoed intact, once, in order; closed with 1000."""
    info = describe(r)
    assert not r["timedOut"], "timed out:\n" + info
    assert r["events"][:1] == ["open"], info
    assert r["transport"] == transport, info
    assert r["sent"] == n_messages, info
    assert not r["mismatches"], "echoes differ from what was sent:\n" + info
    assert not r["extra"], "more echoes than messages:\n" + info
    assert r["received"] == n_messages, info
    assert r["close"] == {"code": 1000, "reason": "Normal closure", "wasClean": True}, info


def assert_closed_by_server(r, transport):
    """The close service: open, then 3000 "Go away!" from the server, no message."""
    info = describe(r)
    assert r["transport"] == transport, info
    assert r["events"] == ["open", "close"], info
    assert r["received"] == 0, info
    assert r["close"] == {"code": 3000, "reason": "Go away!", "wasClean": True}, info


def run_browser(chromium, static_server, server, scenarios, timeout, log_name):
    """One ``node browser.mjs`` run of ``scenarios`` against ``server`` (a conformance
    ServerProcess), pages from ``static_server``; the results, plus whether the server
    survived."""
    config = {
        "chromium": chromium,
        "staticBase": static_server.base_url,
        "serverBase": server.base_url,
        "artifacts": str(ARTIFACTS),
        "concurrency": 3,
        "messageSets": {"hard": HARD_MESSAGES, "short": SHORT_MESSAGES},
        "scenarios": scenarios,
    }
    out = run_node_script("browser.mjs", config, timeout=timeout, log_name=log_name)
    if out.get("fatal"):
        pytest.fail("browser.mjs failed: %s" % out["fatal"], pytrace=False)
    out["server_alive"] = server.alive()
    out["server_output"] = server.output
    return out
