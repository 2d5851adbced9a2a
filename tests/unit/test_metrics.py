"""Metrics and logs: factory.stats() and the Prometheus exposition after a
scripted sequence of sessions, rate-limited refusal lines, quiet client aborts."""

import subprocess
import sys
import textwrap

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from twisted.internet.defer import Deferred
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import LogLevel

from txsockjs import Rejected
from txsockjs.factory import SockJSMultiFactory
from txsockjs.metrics import SockJSCollector, register
from txsockjs.utils import broadcast
from tests.unit.helpers import Client, RecorderFactory, make_site, request
from tests.unit.test_door import TRANSPORTS
from tests.unit.test_site import _client_frame


def open_on(site, prefix, transport, sid="s1", query="", headers=(), host="127.0.0.1"):
    """A client that sent the request opening a session of service ``prefix``."""
    method, path, extra, base_headers = TRANSPORTS[transport]
    path = ("/" + prefix if prefix else "") + path.format(sid=sid)
    query = "&".join(part for part in (query, extra) if part)
    if query:
        path += "?" + query
    client = Client(site, host=host)
    client.send(request(method, path, body=b"" if method == "POST" else None,
                        headers=list(base_headers) + list(headers)))
    return client


def status_of(client):
    return int(client.take().split(b" ", 2)[1])


def xhr_send(site, path, body, host="127.0.0.1"):
    client = Client(site, host=host)
    client.send(request("POST", path, body=body))
    return status_of(client)


def text_frame(payload):
    return _client_frame(1, payload)


def authorize(handshake):
    token = handshake.query.get("token", ("",))[0]
    if token == "boom":
        raise RuntimeError("authorize crashed")
    if token == "teapot":
        raise Rejected(418, "No coffee here")
    if token == "wait":
        return Deferred()
    return token == "ok"


def scripted_site():
    """Three services, sessions on every transport, and one of everything
    the counters count; returns the factory."""
    clock = MemoryReactorClock()
    site = SockJSMultiFactory(reactor=clock)
    main, guarded, drops = RecorderFactory(echo=False), RecorderFactory(echo=False), \
        RecorderFactory(echo=False)
    site.addFactory(main, "main", {"send_buffer_limit": 100})
    site.addFactory(guarded, "guarded", {
        "allowed_origins": ["https://good.example"], "authorize": authorize, "max_sessions": 1,
        "authorize_timeout": 1.0, "send_overflow": "drop_oldest", "send_buffer_limit": 10})
    site.addFactory(drops, "drops", {"send_overflow": "drop_newest", "send_buffer_limit": 10})

    # -- main: a session on every transport, messages both ways ----------------------
    ws = open_on(site, "main", "websocket", sid="w1")
    ws.send(text_frame('["héllo","ab"]'.encode("utf-8")))          # in: 2 messages, 6 + 2 bytes
    open_on(site, "main", "xhr", sid="x1")
    assert xhr_send(site, "/main/000/x1/xhr_send", b'["xyz"]') == 204  # in: 1, 3 bytes
    raw = open_on(site, "main", "raw_websocket")
    raw.send(text_frame(b"raw!"))                                    # in: 1, 4 bytes
    open_on(site, "main", "xhr_streaming", sid="xs1")
    eventsource = open_on(site, "main", "eventsource", sid="e1")
    open_on(site, "main", "htmlfile", sid="h1")
    open_on(site, "main", "jsonp", sid="j1")
    slow = open_on(site, "main", "websocket", sid="w2")
    apps = [protocol.transport for protocol in main.instances]
    assert len(apps) == 8
    apps[0].write("€".encode("utf-8"))                              # out: 1, 3 bytes
    apps[1].write(b"12345")                                          # out: 1, 5 bytes
    apps[2].write(b"r")                                              # out: 1, 1 byte
    broadcast(b"bc", apps[:3])                                       # out: 3, 6 bytes
    # an overflow under "close": the slow reader's socket is full
    slow.protocol.pauseProducing()
    apps[7].write(b"x" * 60)
    apps[7].write(b"y" * 60)                                         # out: 2, 120 bytes
    assert main.instances[7].lost
    # closes of every other reason
    apps[0].loseConnection()                                         # app
    raw.send(_client_frame(8, (1000).to_bytes(2, "big")))            # client
    raw.drop()   # the TCP close after the close handshake
    eventsource.drop()                                               # interrupted

    def explode(data):
        raise ValueError("the application is broken")
    main.instances[3].dataReceived = explode
    assert xhr_send(site, "/main/000/xs1/xhr_send", b'["boom"]') == 204  # in: 1, 4 bytes; app_error
    site.clock.advance(5.5)                                          # timeout: x1 and j1
    # binding: another client asks for h1
    assert xhr_send(site, "/main/000/h1/xhr_send", b'["hi"]', host="10.0.0.9") == 403

    # -- guarded: refusals of every kind --------------------------------------------------
    good = [("Origin", "https://good.example")]
    assert status_of(open_on(site, "guarded", "xhr", sid="g0", query="token=no",
                             headers=good)) == 403
    assert status_of(open_on(site, "guarded", "xhr", sid="g0", query="token=teapot",
                             headers=good)) == 418
    assert status_of(open_on(site, "guarded", "xhr", sid="g0", query="token=boom",
                             headers=good)) == 500
    waiting = open_on(site, "guarded", "xhr", sid="g0", query="token=wait", headers=good)
    site.clock.advance(1.0)
    assert status_of(waiting) == 503                                 # authorize_timeout
    guarded.buildProtocol = lambda addr: None
    assert status_of(open_on(site, "guarded", "xhr", sid="g0", query="token=ok",
                             headers=good)) == 503                   # app_refused
    del guarded.buildProtocol
    assert b"o" in open_on(site, "guarded", "xhr", sid="g1", query="token=ok", headers=good).take()
    assert status_of(open_on(site, "guarded", "xhr", sid="g2", query="token=ok",
                             headers=good)) == 503                   # limit
    evil = [("Origin", "https://evil.example")]
    assert status_of(open_on(site, "guarded", "xhr", sid="g3", headers=evil)) == 403
    assert status_of(open_on(site, "guarded", "websocket", sid="g4", headers=evil)) == 403
    # drop_oldest: between polls, 12 bytes into 10
    for data in (b"aaaa", b"bbbb", b"cccc"):                         # out: 3, 12 bytes
        guarded.instances[0].transport.write(data)

    # -- drops: drop_newest, then a drain -------------------------------------------------
    reader = open_on(site, "drops", "eventsource", sid="d1")
    reader.protocol.pauseProducing()
    for data in (b"12345678", b"abc", b"zz"):                        # out: 3, 13 bytes
        drops.instances[0].transport.write(data)
    site.services["drops"].drain(1.0)                                # shutdown
    assert status_of(open_on(site, "drops", "xhr", sid="d2")) == 503  # draining

    # -- HTTP errors outside sessions ------------------------------------------------------
    for path in ("/main/nothing/here", "/nowhere"):
        client = Client(site)
        client.send(request("GET", path))
        assert status_of(client) == 404
    bad = Client(site)
    bad.send(b"NOT HTTP AT ALL\r\n\r\n")
    assert status_of(bad) == 400
    return site


EXPECTED = {
    "services": {
        "main": {
            "sessions": {"htmlfile": 1},
            "sessions_opened_total": {"websocket": 2, "raw_websocket": 1, "xhr": 1,
                                      "xhr_streaming": 1, "eventsource": 1, "htmlfile": 1,
                                      "jsonp": 1},
            "sessions_closed_total": {"app": 1, "client": 1, "interrupted": 1, "app_error": 1,
                                      "timeout": 2, "overflow": 1},
            "messages_total": {"in": 5, "out": 8},
            "bytes_total": {"in": 19, "out": 135},
            "send_overflows_total": {"close": 1},
            "rejected_total": {"binding": 1},
        },
        "guarded": {
            "sessions": {"xhr": 1},
            "sessions_opened_total": {"xhr": 1},
            "sessions_closed_total": {},
            "messages_total": {"in": 0, "out": 3},
            "bytes_total": {"in": 0, "out": 12},
            "send_overflows_total": {"drop_oldest": 1},
            "rejected_total": {"authorize": 2, "authorize_error": 1, "authorize_timeout": 1,
                               "app_refused": 1, "limit": 1, "origin": 2},
        },
        "drops": {
            "sessions": {},
            "sessions_opened_total": {"eventsource": 1},
            "sessions_closed_total": {"shutdown": 1},
            "messages_total": {"in": 0, "out": 3},
            "bytes_total": {"in": 0, "out": 13},
            "send_overflows_total": {"drop_newest": 1},
            "rejected_total": {"draining": 1},
        },
    },
    "http_errors_total": {"400": 1, "403": 4, "404": 2, "418": 1, "500": 1, "503": 4},
    "buffered_bytes": 8,                  # guarded's g1 keeps "bbbb" and "cccc"
    "max_buffered_bytes": 64 << 20,       # the documented default
    "budget_overflows_total": {},
}


def test_stats_after_a_scripted_sequence():
    site = scripted_site()
    assert site.stats() == EXPECTED
    import json
    assert json.loads(json.dumps(site.stats())) == EXPECTED


def exposition(site):
    registry = CollectorRegistry()
    register(site, registry)
    text = generate_latest(registry).decode("utf-8")
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return text, samples


def test_prometheus_exposition_after_the_same_sequence():
    site = scripted_site()
    text, samples = exposition(site)
    assert {name for name, labels in samples} == {
        "txsockjs_sessions", "txsockjs_sessions_opened_total", "txsockjs_sessions_closed_total",
        "txsockjs_messages_total", "txsockjs_bytes_total", "txsockjs_send_overflows_total",
        "txsockjs_rejected_total", "txsockjs_http_errors_total", "txsockjs_buffered_bytes",
        "txsockjs_max_buffered_bytes", "txsockjs_budget_overflows_total"}
    assert "# TYPE txsockjs_sessions gauge" in text
    assert "# TYPE txsockjs_messages_total counter" in text
    for line in ('txsockjs_sessions{service="main",transport="htmlfile"} 1.0',
                 'txsockjs_sessions{service="drops",transport="eventsource"} 0.0',
                 'txsockjs_bytes_total{direction="out",service="main"} 135.0',
                 'txsockjs_rejected_total{reason="origin",service="guarded"} 2.0',
                 'txsockjs_rejected_total{reason="sends_waiting",service="main"} 0.0',
                 'txsockjs_http_errors_total{status="503"} 4.0'):
        assert line in text.splitlines()
    # every number of stats() is exposed, under its own labels
    labels_of = {"sessions": "transport", "sessions_opened_total": "transport",
                 "sessions_closed_total": "reason", "messages_total": "direction",
                 "bytes_total": "direction", "send_overflows_total": "policy",
                 "rejected_total": "reason"}
    expected = {}
    for prefix, families in EXPECTED["services"].items():
        for key, counts in families.items():
            name = "txsockjs_" + key
            for value, count in counts.items():
                expected[(name, tuple(sorted({"service": prefix, labels_of[key]: value}.items())))] \
                    = count
    for status, count in EXPECTED["http_errors_total"].items():
        expected[("txsockjs_http_errors_total", (("status", status),))] = count
    expected[("txsockjs_buffered_bytes", ())] = EXPECTED["buffered_bytes"]
    expected[("txsockjs_max_buffered_bytes", ())] = EXPECTED["max_buffered_bytes"]
    exposed = {key: value for key, value in samples.items() if value}
    assert exposed == {key: value for key, value in expected.items() if value}


def test_the_collector_reads_the_counters_at_scrape_time():
    site, app, clock = make_site()
    registry = CollectorRegistry()
    collector = SockJSCollector(site)
    registry.register(collector)
    assert registry.get_sample_value("txsockjs_messages_total",
                                     {"service": "", "direction": "in"}) == 0
    client = open_on(site, "", "websocket")
    client.send(text_frame(b'["four"]'))
    assert registry.get_sample_value("txsockjs_messages_total",
                                     {"service": "", "direction": "in"}) == 1
    assert registry.get_sample_value("txsockjs_bytes_total",
                                     {"service": "", "direction": "out"}) == 4   # the echo
    assert registry.get_sample_value("txsockjs_sessions",
                                     {"service": "", "transport": "websocket"}) == 1
    registry.unregister(collector)


def test_the_library_works_without_prometheus_client():
    script = textwrap.dedent("""
        import sys
        sys.modules["prometheus_client"] = None     # not importable
        from twisted.internet.protocol import Factory, Protocol
        from twisted.internet.testing import MemoryReactorClock
        import txsockjs
        from txsockjs.factory import SockJSFactory
        site = SockJSFactory(Factory.forProtocol(Protocol), reactor=MemoryReactorClock())
        print(site.stats()["services"][""]["messages_total"])
        try:
            import txsockjs.metrics
        except ImportError:
            print("no metrics")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["{'in': 0, 'out': 0}", "no metrics"]


# -- logs -------------------------------------------------------------------------------

def test_a_thousand_refusals_in_one_second_log_a_bounded_number_of_lines(logged):
    site, app, clock = make_site({"allowed_origins": ["https://good.example"]})
    for n in range(1000):
        client = Client(site, port=10000 + n)
        client.send(request("POST", "/000/s%d/xhr" % n, body=b"",
                            headers=[("Origin", "https://evil.example")]))
        assert status_of(client) == 403
        clock.advance(0.0009)
    clock.advance(1.0)
    lines = [event for event in logged if event.get("log_namespace") == "txsockjs.refused"]
    # a burst of 10, 10 more a second as the bucket refills, one summary a second
    summaries = [event for event in lines if "suppressed" in event]
    told = [event for event in lines if "suppressed" not in event]
    assert len(told) <= 20 and 1 <= len(summaries) <= 2
    assert all(event["log_level"] == LogLevel.info for event in lines)
    assert len(told) + sum(event["suppressed"] for event in summaries) == 1000
    assert site.stats()["services"][""]["rejected_total"] == {"origin": 1000}


def test_a_flood_of_bad_requests_logs_a_bounded_number_of_lines(logged):
    site, app, clock = make_site()
    for n in range(1000):
        client = Client(site, port=10000 + n)
        client.send(b"GARBAGE\r\n\r\n")
        assert status_of(client) == 400
    clock.advance(1.0)
    told = [event for event in logged if event["log_format"].startswith("Bad request")]
    summaries = [event for event in logged if event.get("kind") == "bad_request"]
    assert len(told) == 10 and len(summaries) == 1
    assert summaries[0]["suppressed"] == 990
    assert site.stats()["http_errors_total"] == {"400": 1000}


def test_refusals_log_again_once_the_flood_is_over(logged):
    site, app, clock = make_site({"max_sessions": 1})
    open_on(site, "", "xhr", sid="holder")
    for second in range(3):
        for n in range(50):
            assert status_of(open_on(site, "", "xhr", sid="x%d" % n)) == 503
        clock.advance(1.0)
    told = [event for event in logged if event.get("log_namespace") == "txsockjs.refused"]
    # each second: 10 lines, then one line saying 40 more were suppressed
    assert len(told) == 33
    assert [event["suppressed"] for event in told if "suppressed" in event] == [40, 40, 40]


@pytest.mark.parametrize("transport", ["websocket", "raw_websocket", "xhr_streaming",
                                       "eventsource", "htmlfile"])
def test_a_client_abort_is_never_logged_as_a_problem(logged, transport):
    site, app, clock = make_site()
    client = open_on(site, "", transport)
    app.instances[0].transport.write(b"in flight")
    clock.advance(0)
    client.drop()
    clock.advance(10)
    assert app.instances[0].lost
    assert [event for event in logged if event["log_level"] >= LogLevel.warn] == []
    assert site.stats()["services"][""]["sessions_closed_total"] == {"interrupted": 1}


def test_sessions_open_and_close_at_debug_and_every_namespace_is_ours(logged):
    from txsockjs.server import sessiontransport
    sessiontransport.log_sessions(True)      # what --log-level debug turns on
    try:
        scripted_site()
    finally:
        sessiontransport.log_sessions(False)
    namespaces = {event["log_namespace"] for event in logged}
    assert all(ns.startswith("txsockjs.") or ns.startswith("twisted.") for ns in namespaces), \
        namespaces
    debug = [event["log_format"] for event in logged if event["log_level"] == LogLevel.debug]
    assert any("opened" in line for line in debug) and any("closed" in line for line in debug)
    # off by default: a log event per session costs microseconds even when nobody keeps it
    del logged[:]
    scripted_site()
    assert not [e for e in logged if e["log_level"] == LogLevel.debug and "Session" in e["log_format"]]
    errors = [event for event in logged if event["log_level"] >= LogLevel.error]
    # the crashing application and the crashing authorize, each with a short session id
    assert len(errors) == 2
    assert {event.get("sid") for event in errors} == {"xs1", None}
