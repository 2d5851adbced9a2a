"""Judging one scenario result of runner.mjs (browser or Node): shared assertions."""

import json


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
