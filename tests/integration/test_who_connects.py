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
    srv = DoorServer()
    srv.start()
    try:
        yield srv
        assert srv.alive(), "door server died:\n" + srv.log_tail()
    finally:
        srv.stop()


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
