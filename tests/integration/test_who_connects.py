"""Know who connects, over real loopback sockets: the handshake, authorize, origins,
trusted proxies, sessions bound to their owner and the session limits, on every
transport, against tests/integration/door_server.py (see its docstring for the services).

A second client address is 127.0.0.2 (a client socket bound there before it connects).
After each test the door server must still be alive and must not have logged a
traceback, except the ones a test provokes on purpose (an authorize that raises), which
must then be there.
"""

import json
import socket
import time

import pytest

from .door_links import (HTTP_TRANSPORTS, OTHER, TRANSPORTS, UNCHECKABLE, DoorServer, Link,
                         send_into)
from .wire import Conn, Stream, WebSocket, build_request, new_session_id, request


@pytest.fixture(scope="module")
def door():
    with DoorServer().running() as srv:
        yield srv


@pytest.fixture(autouse=True)
def door_must_survive(request, door):
    """The server is alive after each test and logged no traceback, but for the
    provoked ones (``door.expect_tracebacks = "DeliberateError"``)."""
    seen = door.mark()
    door.expect_tracebacks = None
    yield
    if not door.alive():
        tail = door.log_tail()
        door.start()
        pytest.fail("the door server died during this test:\n" + tail)
    door.sync()
    for entry in door.log_events(seen):
        if "Traceback" in entry and not (door.expect_tracebacks
                                         and door.expect_tracebacks in entry):
            pytest.fail("the door server logged a traceback during this test:\n" + entry)


@pytest.fixture
def addr(door):
    return door.addr


WS_HEADERS = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
              ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]


def assert_serving(addr):
    resp = request(addr, "GET", "/who")
    assert resp.status == 200 and resp.body == b"Welcome to SockJS!\n", resp


def assert_refused(link, status, text=None):
    assert link.status == status, (link.transport, link.resp)
    assert not link.opened
    assert link.resp.header("X-Content-Type-Options") == "nosniff", link.resp.headers
    if text is not None:
        assert text in link.body, link.body


def assert_no_session(door, since, service, sid=None):
    door.sync()
    made = door.events(since, event="made", service=service)
    if sid is not None:
        made = [e for e in made if e["session_id"] == sid]
    assert not made, made


# -- the handshake ------------------------------------------------------------------

@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("source", ["127.0.0.1", OTHER])
def test_the_application_sees_the_handshake(addr, door, transport, source):
    link = Link(addr, transport, "who", query="token=abc&x=1&x=2",
                headers=[("Cookie", "a=1"), ("Cookie", "b=2")], source=source)
    try:
        assert link.opened, link.resp
        who = link.who()
        assert who["transport"] == transport
        assert who["client_ip"] == source and who["peer"] == source
        assert who["peer_of_getPeer"] == source
        assert who["secure"] is False and who["principal"] is None
        assert who["session_id"] == (None if transport == "raw_websocket" else link.sid)
        assert who["query"]["token"] == ["abc"] and who["query"]["x"] == ["1", "2"]
        assert who["cookies"] == {"a": "1", "b": "2"}
        assert link.send(["after"]) in (None, 200, 204)
        assert link.messages(1) == ["after"]
    finally:
        link.close()


# -- trusted proxies ------------------------------------------------------------------

SPOOFED = [("X-Forwarded-For", "203.0.113.66, 127.0.0.1"), ("X-Forwarded-Proto", "https"),
           ("Forwarded", "for=198.51.100.66;proto=https"), ("X-Real-IP", "203.0.113.67")]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("service", ["who", "proxied"])
def test_forwarding_headers_from_an_untrusted_peer_change_nothing(addr, transport, service):
    link = Link(addr, transport, service, headers=SPOOFED, source=OTHER)
    try:
        who = link.who()
        assert who["client_ip"] == OTHER and who["secure"] is False
    finally:
        link.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_forwarding_headers_count_only_on_a_service_that_trusts_the_peer(addr, transport):
    """127.0.0.1 is a trusted proxy of ``proxied`` only."""
    headers = [("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https")]
    for service, client_ip, secure in (("proxied", "203.0.113.7", True),
                                       ("who", "127.0.0.1", False)):
        link = Link(addr, transport, service, query="token=user-pat", headers=headers)
        try:
            who = link.who()
            assert (who["client_ip"], who["secure"]) == (client_ip, secure), (service, who)
            assert who["peer"] == "127.0.0.1"
            assert who["principal"] == ("user:pat" if service == "proxied" else None)
        finally:
            link.close()


@pytest.mark.parametrize("headers, client_ip, secure", [
    ([("X-Forwarded-For", "198.51.100.1, 203.0.113.7")], "203.0.113.7", False),
    ([("X-Forwarded-For", "203.0.113.7, 127.0.0.1, 127.0.0.1")], "203.0.113.7", False),
    ([("X-Forwarded-For", "198.51.100.1"), ("X-Forwarded-For", "203.0.113.7")], "203.0.113.7",
     False),
    ([("Forwarded", 'for=203.0.113.9;proto=https')], "203.0.113.9", True),
    ([("Forwarded", 'for="[2001:db8::1]:4711";proto=https')], "2001:db8::1", True),
    ([("X-Forwarded-Proto", "https")], "127.0.0.1", True),
    ([], "127.0.0.1", False),
])
def test_client_ip_is_the_nearest_untrusted_hop(addr, headers, client_ip, secure):
    link = Link(addr, "xhr_streaming", "proxied", headers=headers)
    try:
        who = link.who()
        assert (who["client_ip"], who["secure"]) == (client_ip, secure), who
    finally:
        link.close()


def test_a_session_behind_a_proxy_belongs_to_its_forwarded_client(addr, door):
    mine = [("X-Forwarded-For", "203.0.113.7")]
    owner = Link(addr, "xhr_streaming", "proxied", headers=mine)
    try:
        assert owner.opened
        # through the proxy, for another client: refused
        other = [("X-Forwarded-For", "203.0.113.8")]
        assert send_into(owner, ["stolen"], headers=other).status == 403
        # from an untrusted peer claiming to be the owner: refused
        assert send_into(owner, ["spoofed"], headers=mine, source=OTHER).status == 403
        # the owner through the proxy, on a new connection: served
        assert send_into(owner, ["mine"]).status == 204
        assert owner.messages(1) == ["mine"]
    finally:
        owner.close()


# -- authorize ------------------------------------------------------------------------

@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("token, principal", [
    ("user-alice", "user:alice"), ("true", True), ("slow-bob", "user:bob"),
    ("coro-carol", "user:carol")])
def test_authorize_admits_and_names_the_principal(addr, door, transport, token, principal):
    since = door.mark()
    link = Link(addr, transport, "auth", query="token=" + token)
    try:
        assert link.opened, link.resp
        assert link.who()["principal"] == principal
        link.send(["one", "two"])
        assert link.messages(2) == ["one", "two"]
        door.sync()
        seen = door.events(since, event="authorize", service="auth")
        assert seen and seen[0]["transport"] == transport and seen[0]["token"] == token
        assert all(e["token"] == token for e in seen)
    finally:
        link.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_token_cookie_reaches_authorize(addr, door, transport):
    link = Link(addr, transport, "auth", headers=[("Cookie", "x=1; token=user-dave")])
    try:
        assert link.opened, link.resp
        assert link.who()["principal"] == "user:dave"
    finally:
        link.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("token, status, text", [
    (None, 403, "Forbidden"), ("false", 403, "Forbidden"), ("slowno", 403, "Forbidden"),
    ("rejected", 401, "Bad token."), ("raise", 500, "Internal server error"),
    ("slowraise", 500, "Internal server error"), ("never", 503, "timed out")])
def test_authorize_refusals(addr, door, transport, token, status, text):
    since = door.mark()
    if "raise" in (token or ""):
        door.expect_tracebacks = "DeliberateError"
    started = time.monotonic()
    link = Link(addr, transport, "auth", query="token=%s" % token if token else "")
    elapsed = time.monotonic() - started
    assert_refused(link, status, text)
    assert_no_session(door, since, "auth")
    if token == "never":
        # cut off at authorize_timeout (1 s), and the Deferred cancelled
        assert 0.9 < elapsed < 2.5, elapsed
        assert link.resp.header("Retry-After"), link.resp.headers
        assert door.wait_events(1, since, event="cancelled", service="auth")
    if "raise" in (token or ""):
        door.sync()
        logged = [e for e in door.log_events(since) if "DeliberateError" in e]
        assert logged and "Traceback" in logged[0], door.log_events(since)
    assert_serving(addr)


@pytest.mark.parametrize("transport", ["websocket", "xhr_streaming", "eventsource", "xhr"])
@pytest.mark.parametrize("token", ["slow-erin", "never"])
def test_a_client_that_leaves_while_authorize_runs_gets_no_session(addr, door, transport, token):
    since = door.mark()
    sid = new_session_id()
    method = "POST" if transport.startswith("xhr") else "GET"
    conn = Conn(addr)
    conn.send(build_request(method, "/auth/000/%s/%s?token=%s" % (sid, transport, token),
                            WS_HEADERS if transport == "websocket" else (),
                            body=b"" if method == "POST" else None, host=addr))
    assert door.wait_events(1, since, event="authorize", service="auth")
    conn.abort()
    if token == "never":
        assert door.wait_events(1, since, event="cancelled", service="auth")
    else:
        time.sleep(0.6)  # the slow authorize has answered by now
    assert_no_session(door, since, "auth")
    # the id is free: a client may open it now
    link = Link(addr, "xhr", "auth", sid=sid, query="token=user-erin")
    assert link.opened


def test_requests_for_a_session_being_opened_wait_for_it(addr, door):
    """The first poll is still being authorized when the send arrives: the send
    waits for the session instead of getting 404."""
    sid = new_session_id()
    since = door.mark()
    poll = Conn(addr, 5.0)
    try:
        poll.send(build_request("POST", "/auth/000/%s/xhr?token=slow-fay" % sid, body=b"",
                                host=addr))
        assert door.wait_events(1, since, event="authorize", service="auth")
        sent = request(addr, "POST", "/auth/000/%s/xhr_send?token=slow-fay" % sid, body='["early"]',
                       timeout=5.0)
        assert sent.status == 204, sent
        first = poll.read_response("POST", 5.0)
        assert first.status == 200 and first.body == b"o\n", first
    finally:
        poll.close()
    again = request(addr, "POST", "/auth/000/%s/xhr?token=slow-fay" % sid, body=b"", timeout=5.0)
    assert again.body == b'a["early"]\n', again


def test_a_principal_session_admits_its_principal_from_anywhere_and_no_one_else(addr, door):
    owner = Link(addr, "xhr_streaming", "auth", query="token=user-alice")
    try:
        assert owner.opened
        # the same principal from another address (a second device): admitted
        assert send_into(owner, ["from the phone"], source=OTHER).status == 204
        for query in ("token=user-mallory", "token=true", ""):
            other = Link(addr, "xhr", "auth", sid=owner.sid, query=query, source=OTHER)
            assert_refused(other, 403)
            other = Link(addr, "xhr", "auth", sid=owner.sid, query=query)
            assert_refused(other, 403)
        owner.query = "token=user-mallory"
        assert send_into(owner, ["stolen"]).status == 403
        owner.query = "token=user-alice"
        assert send_into(owner, ["mine"]).status == 204
        assert owner.messages(2) == ["from the phone", "mine"]
    finally:
        owner.close()


def test_an_authorize_returning_true_binds_to_the_address(addr, door):
    owner = Link(addr, "xhr_streaming", "auth", query="token=true")
    try:
        assert owner.opened
        assert send_into(owner, ["stolen"], source=OTHER).status == 403
        assert send_into(owner, ["mine"]).status == 204
        assert owner.messages(1) == ["mine"]
    finally:
        owner.close()


# -- allowed origins ------------------------------------------------------------------

CHECKABLE = [t for t in TRANSPORTS if t not in UNCHECKABLE]
# service "origins": https://example.com, https://*.example.com, http://localhost:*
ORIGIN_CASES = [
    ("https://example.com", True),
    ("HTTPS://EXAMPLE.COM", True),
    ("https://Example.Com:443", True),
    ("https://a.example.com", True),
    ("https://a.b.example.com", True),
    ("http://localhost:1234", True),
    ("http://localhost", True),
    ("http://example.com", False),
    ("https://example.com:8443", False),
    ("https://example.com.evil.com", False),
    ("https://evilexample.com", False),
    ("https://a.example.com.evil.com", False),
    ("https://example.com.", False),
    ("https://example.com/", False),
    ("https://example.com, https://evil.com", False),
    ("https://localhost:1234", False),
    ("null", False),
    ("", False),
]


@pytest.mark.parametrize("transport", CHECKABLE)
@pytest.mark.parametrize("origin, allowed", ORIGIN_CASES)
def test_allowed_origins_on_every_transport(addr, door, transport, origin, allowed):
    since = door.mark()
    link = Link(addr, transport, "origins", headers=[("Origin", origin)])
    try:
        if not allowed:
            assert_refused(link, 403, "Origin not allowed")
            assert not link.resp.has("Access-Control-Allow-Origin")
            assert_no_session(door, since, "origins")
            return
        assert link.opened, link.resp
        if transport not in ("websocket", "raw_websocket"):
            assert link.resp.header("Access-Control-Allow-Origin") == origin
            assert link.resp.header("Access-Control-Allow-Credentials") == "true"
        assert link.who()["origin"] == origin
    finally:
        link.close()


@pytest.mark.parametrize("transport", CHECKABLE)
def test_null_origin_only_where_listed(addr, transport):
    for service, status in (("origins", 403), ("origins_null", 101 if "websocket" in transport
                                                          else 200)):
        link = Link(addr, transport, service, headers=[("Origin", "null")])
        link.close()
        assert link.status == status, (service, link.resp)


@pytest.mark.parametrize("transport", CHECKABLE)
def test_missing_origin_when_restricted(addr, transport):
    """A browser always sends Origin on a WebSocket handshake: none is refused. An HTTP
    request without Origin is not a cross-origin page's: served, without CORS."""
    link = Link(addr, transport, "origins")
    try:
        if "websocket" in transport:
            assert_refused(link, 403)
        else:
            assert link.opened, link.resp
            assert not link.resp.has("Access-Control-Allow-Origin"), link.resp.headers
    finally:
        link.close()


@pytest.mark.parametrize("transport", UNCHECKABLE)
@pytest.mark.parametrize("origin", ["https://example.com", None])
def test_uncheckable_transports_are_off_when_restricted(addr, door, transport, origin):
    since = door.mark()
    headers = [("Origin", origin)] if origin else []
    assert_refused(Link(addr, transport, "origins", headers=headers), 404)
    link = Link(addr, "xhr_streaming", "origins", headers=headers)
    try:
        assert link.opened
        resp = send_into(link, ["x"], jsonp=True)
        assert resp.status == 404, resp
        assert request(addr, "GET", "/origins/iframe.html").status == 404
        # unrestricted services still offer them
        assert Link(addr, transport, "who", headers=headers).opened
    finally:
        link.close()
    door.sync()
    assert len(door.events(since, event="made", service="origins")) == 1


@pytest.mark.parametrize("origin, allowed", [("https://a.example.com", True),
                                             ("https://example.com.evil.com", False)])
def test_info_and_preflight_follow_the_origin_policy(addr, origin, allowed):
    info = request(addr, "GET", "/origins/info", [("Origin", origin)])
    assert info.status == (200 if allowed else 403), info
    if allowed:
        json.loads(info.body)
    assert info.header("Access-Control-Allow-Origin") == (origin if allowed else None)
    pre = request(addr, "OPTIONS", "/origins/000/%s/xhr" % new_session_id(),
                  [("Origin", origin), ("Access-Control-Request-Method", "POST")])
    if allowed:
        assert pre.status == 204 and pre.header("Access-Control-Allow-Origin") == origin, pre
    else:
        assert pre.status == 403 and not pre.has("Access-Control-Allow-Origin"), pre


def test_a_disallowed_origin_cannot_post_into_a_session(addr):
    owner = Link(addr, "xhr_streaming", "origins", headers=[("Origin", "https://example.com")])
    try:
        evil = [("Origin", "https://example.com.evil.com")]
        assert send_into(owner, ["evil"], headers=evil).status == 403
        other = Link(addr, "xhr", "origins", sid=owner.sid, headers=evil)
        assert_refused(other, 403)
        assert owner.send(["good"]) == 204
        assert owner.messages(1) == ["good"]
    finally:
        owner.close()


# -- sessions bound to their owner ----------------------------------------------------

def attacks(owner):
    """Requests from 127.0.0.2 for the owner's session; each returns its status."""
    sid, service = owner.sid, owner.service

    def poll(transport):
        return Link(owner.addr, transport, service, sid=sid, source=OTHER).status

    def spoofed_poll():
        return Link(owner.addr, "xhr", service, sid=sid, source=OTHER,
                    headers=[("X-Forwarded-For", "127.0.0.1")]).status

    def attach_and_abort():
        # a receiver that attaches and resets at once (on an unbound session this
        # would end the owner's with c[1002])
        conn = Conn(owner.addr, source=OTHER)
        conn.send(build_request("POST", "/%s/000/%s/xhr_streaming" % (service, sid), body=b"",
                                host=owner.addr))
        conn.abort()
        return 403

    def stream_and_wait():
        # a second streaming receiver: it must not divert the owner's messages
        link = Link(owner.addr, "xhr_streaming", service, sid=sid, source=OTHER)
        link.close()
        return link.status

    return [
        ("xhr poll", lambda: poll("xhr")),
        ("jsonp poll", lambda: poll("jsonp")),
        ("xhr_streaming", stream_and_wait),
        ("eventsource", lambda: poll("eventsource")),
        ("htmlfile", lambda: poll("htmlfile")),
        ("xhr_send", lambda: send_into(owner, ["stolen"], source=OTHER, jsonp=False).status),
        ("jsonp_send", lambda: send_into(owner, ["stolen"], source=OTHER, jsonp=True).status),
        ("spoofed X-Forwarded-For", spoofed_poll),
        ("attach and abort", attach_and_abort),
    ]


def binding_refusals(addr):
    """How many requests the "who" service refused as hijacks so far (the site's stats,
    asked of another service so that "who" sees no extra session)."""
    link = Link(addr, "xhr", "unbound")
    try:
        link.send(["stats?"])
        stats = json.loads(link.messages(1)[0])
    finally:
        link.close()
    return stats["services"]["who"]["rejected_total"].get("binding", 0)


@pytest.mark.parametrize("transport", HTTP_TRANSPORTS)
def test_another_address_cannot_touch_a_session(addr, door, transport):
    since = door.mark()
    refused_before = binding_refusals(addr)
    owner = Link(addr, transport, "who")
    try:
        assert owner.opened
        sent = []
        for i, (name, attack) in enumerate(attacks(owner)):
            assert attack() == 403, name
            message = "m%d after %s" % (i, name)
            assert owner.send([message]) in (200, 204)
            sent.append(message)
            if transport in ("xhr_streaming", "eventsource", "htmlfile"):
                assert owner.messages(1) == [message], name
        if transport in ("xhr", "jsonp"):
            assert owner.messages(len(sent)) == sent
        assert owner.send(["last"]) in (200, 204)
        assert owner.messages(1) == ["last"]
        assert owner.who()["client_ip"] == "127.0.0.1"
    finally:
        owner.close()
    door.sync()
    # Every attempt was refused and counted; the log lines are rate-limited (a flood must
    # not flood the log), so they are not one per attempt.
    assert binding_refusals(addr) - refused_before == len(attacks(owner))
    assert len(door.events(since, event="made", service="who")) == 1


def test_binding_none_lets_another_address_in(addr):
    """What session_binding="none" gives up: anyone with the id reads and writes."""
    owner = Link(addr, "xhr", "unbound")
    assert send_into(owner, ["from elsewhere"], source=OTHER).status == 204
    other = Link(addr, "xhr", "unbound", sid=owner.sid, source=OTHER)
    assert other.status == 200 and other.polled == ['a["from elsewhere"]'], other.resp


def test_a_held_poll_is_not_stolen_by_another_address(addr):
    owner = Link(addr, "xhr", "who")
    held = Conn(addr, 4.0)
    try:
        held.send(build_request("POST", owner.url("/xhr"), body=b"", host=addr))
        time.sleep(0.2)  # the poll is attached and waiting
        thief = Link(addr, "xhr", "who", sid=owner.sid, source=OTHER)
        assert_refused(thief, 403)
        assert owner.send(["for the held poll"]) == 204
        resp = held.read_response("POST", 4.0)
        assert resp.status == 200 and resp.body == b'a["for the held poll"]\n', resp
    finally:
        held.close()


@pytest.mark.parametrize("transport", ["websocket", "raw_websocket"])
def test_a_websocket_session_cannot_be_reached_by_its_id(addr, door, transport):
    """WebSocket sessions are not addressable: the same id over HTTP is another session."""
    owner = Link(addr, transport, "who")
    try:
        thief = Link(addr, "xhr", "who", sid=owner.sid, source=OTHER)
        assert thief.opened
        thief.send(["thief"])
        owner.send(["owner"])
        assert owner.messages(1) == ["owner"]
        assert thief.messages(1) == ["thief"]
    finally:
        owner.close()


def test_binding_does_not_depend_on_the_source_port(addr):
    """The owner's later requests come from other ports: still the owner."""
    owner = Link(addr, "eventsource", "who")
    try:
        for i in range(5):
            assert send_into(owner, ["n%d" % i], jsonp=bool(i % 2)).status in (200, 204)
        assert owner.messages(5) == ["n%d" % i for i in range(5)]
    finally:
        owner.close()


# -- session limits -------------------------------------------------------------------

HELD = ["websocket", "raw_websocket", "xhr_streaming", "eventsource", "htmlfile"]


def open_request(addr, transport, service, source=None, query=""):
    """Send the request that opens a session on ``transport``, read nothing yet."""
    sid = new_session_id()
    if transport == "raw_websocket":
        path = "/%s/websocket" % service
    else:
        path = "/%s/000/%s/%s" % (service, sid, transport)
    params = [p for p in (query, "c=cb" if transport in ("htmlfile", "jsonp") else "") if p]
    if params:
        path += "?" + "&".join(params)
    method = "POST" if transport.startswith("xhr") else "GET"
    conn = Conn(addr, 10.0, source)
    conn.send(build_request(method, path, WS_HEADERS if "websocket" in transport else (),
                            b"" if method == "POST" else None, host=addr))
    return conn


def burst(addr, service, count, sources=(None,), query=""):
    """``count`` session requests, every one sent before any answer is read, over the
    held transports in turn; returns [(conn, status, Retry-After)]."""
    conns = [open_request(addr, HELD[i % len(HELD)], service, sources[i % len(sources)], query)
             for i in range(count)]
    out = []
    for conn in conns:
        head = conn.read_head(10.0)
        out.append((conn, head.status, head.header("Retry-After")))
    return out


def open_again(addr, service, source=None, timeout=6.0, query=""):
    """Once the service has room again, a new session opens."""
    deadline = time.monotonic() + timeout
    while True:
        link = Link(addr, "xhr", service, source=source, query=query)
        if link.status == 200:
            return link
        assert link.status == 503 and time.monotonic() < deadline, link.resp
        time.sleep(0.2)


@pytest.mark.timeout(60)
def test_max_sessions_under_a_burst(addr, door):
    since = door.mark()
    answers = burst(addr, "limited", 200, sources=(None, OTHER))
    try:
        statuses = [status for _, status, _ in answers]
        admitted = [s for s in statuses if s in (101, 200)]
        assert len(admitted) == 50, sorted(set(statuses))
        assert statuses.count(503) == 150, sorted(set(statuses))
        assert all(retry == "1" for _, status, retry in answers if status == 503)
        assert len(door.wait_events(50, since, event="made", service="limited")) == 50
        assert_serving(addr)
        assert Link(addr, "xhr", "who").opened
        assert_refused(Link(addr, "xhr", "limited"), 503)
    finally:
        for conn, _, _ in answers:
            conn.close()
    open_again(addr, "limited")
    assert len(door.wait_events(51, since, event="made", service="limited")) == 51
    door.wait_all_closed("limited", since)


@pytest.mark.timeout(60)
def test_max_sessions_per_client_under_a_burst(addr, door):
    since = door.mark()
    answers = burst(addr, "per_client", 120, sources=(None, OTHER))
    try:
        by_source = {}
        for conn, status, retry in answers:
            source = conn.sock.getsockname()[0]
            by_source.setdefault(source, []).append(status)
            if status == 503:
                assert retry == "1"
        for source in ("127.0.0.1", OTHER):
            statuses = by_source[source]
            assert len([s for s in statuses if s in (101, 200)]) == 3, (source, statuses)
            assert statuses.count(503) == 57, (source, statuses)
        assert_serving(addr)
    finally:
        for conn, _, _ in answers:
            conn.close()
    open_again(addr, "per_client")
    door.wait_all_closed("per_client", since)


@pytest.mark.parametrize("service, fill", [("per_client", 3)])
def test_a_full_service_refuses_every_transport(addr, door, service, fill):
    since = door.mark()
    held = [Link(addr, "websocket", service) for _ in range(fill)]
    try:
        assert all(link.opened for link in held)
        for transport in TRANSPORTS:
            link = Link(addr, transport, service)
            assert_refused(link, 503, "max_sessions_per_client")
            assert link.resp.header("Retry-After") == "1", link.resp.headers
        # another client still gets in
        other = Link(addr, "xhr", service, source=OTHER)
        assert other.opened
        # a session's later requests are not new sessions: they pass
        assert held[0].send(["still mine"]) is None and held[0].messages(1) == ["still mine"]
    finally:
        for link in held:
            link.close()
    open_again(addr, service)
    door.wait_all_closed(service, since)


@pytest.mark.timeout(60)
def test_a_burst_while_authorize_runs_cannot_overshoot_max_sessions(addr, door):
    """40 opens while a 0.3 s authorize holds each: places are reserved as they
    arrive, so exactly 10 get a session."""
    since = door.mark()
    answers = burst(addr, "limited_slow", 40, query="token=slow-burst")
    try:
        statuses = [status for _, status, _ in answers]
        assert len([s for s in statuses if s in (101, 200)]) == 10, statuses
        assert statuses.count(503) == 30, statuses
        # the refused ones were refused before authorize ran
        door.sync()
        assert len(door.events(since, event="authorize", service="limited_slow")) == 10
        assert len(door.wait_events(10, since, event="made", service="limited_slow")) == 10
    finally:
        for conn, _, _ in answers:
            conn.close()
    open_again(addr, "limited_slow", query="token=user-z")
    door.wait_all_closed("limited_slow", since)


def test_a_refused_authorize_gives_its_place_back(addr, door):
    """Refusals, crashes and timeouts of authorize leave no reservation behind."""
    since = door.mark()
    door.expect_tracebacks = "DeliberateError"
    for token in ["false", "rejected", "raise", "slowno", "slowraise"] * 3:
        assert Link(addr, "xhr", "limited_slow", query="token=" + token).status != 200
    held = [Link(addr, "websocket", "limited_slow", query="token=user-h%d" % i)
            for i in range(10)]
    try:
        assert all(link.opened for link in held)
        assert_refused(Link(addr, "xhr", "limited_slow", query="token=user-late"), 503)
    finally:
        for link in held:
            link.close()
    door.wait_all_closed("limited_slow", since)
