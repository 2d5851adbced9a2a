"""Know who connects: the handshake, authorize, origins, proxies, binding and
limits, on every transport, in memory (StringTransport and a fake clock)."""

import pytest
from twisted.internet.defer import Deferred

from txsockjs import Handshake, Rejected
from tests.unit.helpers import Client, make_site, request, session_timers, split_response

WS_HEADERS = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
              ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]

# transport name -> (method, path template, extra query, extra headers)
TRANSPORTS = {
    "websocket": ("GET", "/000/{sid}/websocket", "", WS_HEADERS),
    "raw_websocket": ("GET", "/websocket", "", WS_HEADERS),
    "xhr": ("POST", "/000/{sid}/xhr", "", []),
    "xhr_streaming": ("POST", "/000/{sid}/xhr_streaming", "", []),
    "eventsource": ("GET", "/000/{sid}/eventsource", "", []),
    "htmlfile": ("GET", "/000/{sid}/htmlfile", "c=cb", []),
    "jsonp": ("GET", "/000/{sid}/jsonp", "c=cb", []),
}
HTTP_TRANSPORTS = [name for name in TRANSPORTS if "websocket" not in name]


def open_session(site, transport, sid="s1", query="", headers=(), host="127.0.0.1", port=40000):
    """A client that sent the request opening a session on ``transport``."""
    method, path, extra, base_headers = TRANSPORTS[transport]
    path = path.format(sid=sid)
    query = "&".join(part for part in (query, extra) if part)
    if query:
        path += "?" + query
    client = Client(site, port=port, host=host)
    body = b"" if method == "POST" else None
    client.send(request(method, path, body=body, headers=list(base_headers) + list(headers)))
    return client


def status_of(client):
    data = client.take()
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None


def opened(client):
    """True if the response says the session opened (101, or 200 with o)."""
    data = client.take()
    if data.startswith(b"HTTP/1.1 101 "):
        return True
    return data.startswith(b"HTTP/1.1 200 ") and b"o" in data.partition(b"\r\n\r\n")[2]


# -- the handshake --------------------------------------------------------------

@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_handshake_describes_the_request_on_every_transport(transport):
    seen = []
    site, app, clock = make_site(on_made=lambda protocol: seen.append(protocol.transport.handshake))
    client = open_session(site, transport, sid="abc", query="token=t1&x=1&x=2&e=",
                          headers=[("Cookie", "a=1; JSESSIONID=j"), ("Cookie", "b=2"),
                                   ("Origin", "https://app.example"), ("X-Custom", "Yes")])
    assert opened(client)
    assert len(seen) == 1
    handshake = seen[0]
    assert isinstance(handshake, Handshake)
    assert handshake.transport == transport
    assert handshake.method == TRANSPORTS[transport][0]
    assert handshake.path == TRANSPORTS[transport][1].format(sid="abc")
    assert handshake.query["token"] == ("t1",)
    assert handshake.query["x"] == ("1", "2")
    assert handshake.query["e"] == ("",)
    assert handshake.headers["x-custom"] == "Yes" and handshake.headers["X-CUSTOM"] == "Yes"
    assert handshake.cookies == {"a": "1", "JSESSIONID": "j", "b": "2"}
    assert handshake.origin == "https://app.example"
    assert handshake.peer.host == "127.0.0.1" and handshake.peer.port == 40000
    assert handshake.client_ip == "127.0.0.1"
    assert handshake.secure is False
    assert handshake.session_id == (None if transport == "raw_websocket" else "abc")
    assert handshake.principal is None
    with pytest.raises(Exception):
        handshake.client_ip = "1.2.3.4"
    with pytest.raises(TypeError):
        handshake.headers["x-custom"] = "no"
    # getPeer keeps giving the TCP address
    assert app.instances[0].transport.getPeer() is handshake.peer


def test_forwarding_headers_count_only_from_a_trusted_proxy():
    seen = []
    site, app, clock = make_site({"trusted_proxies": ["127.0.0.1"]},
                                 on_made=lambda p: seen.append(p.transport.handshake))
    spoof = [("X-Forwarded-For", "198.51.100.7, 203.0.113.5"), ("X-Forwarded-Proto", "https")]
    assert opened(open_session(site, "xhr", sid="a", headers=spoof))
    assert opened(open_session(site, "websocket", sid="b", headers=spoof, host="127.0.0.2"))
    assert (seen[0].client_ip, seen[0].secure) == ("203.0.113.5", True)
    # 127.0.0.2 is not trusted: its headers change nothing
    assert (seen[1].client_ip, seen[1].secure) == ("127.0.0.2", False)


def test_several_cookie_fields_reach_jsessionid_intact():
    site, app, clock = make_site({"cookie_needed": True})
    client = open_session(site, "xhr", headers=[("Cookie", "x=1"), ("Cookie", "JSESSIONID=abc")])
    status, headers, body = split_response(client.take())
    assert status == 200 and headers["set-cookie"] == "JSESSIONID=abc; path=/"


# -- authorize --------------------------------------------------------------------

def by_token(handshake):
    token = handshake.query.get("token", ("",))[0]
    if token == "raise":
        raise RuntimeError("boom")
    if token.startswith("user-"):
        return token[5:]
    if token == "anyone":
        return True
    if token == "nothing":
        return None
    if token == "teapot":
        raise Rejected(418, "No coffee here")
    return False


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_authorize_accepts_and_names_the_principal(transport):
    seen = []
    site, app, clock = make_site({"authorize": by_token},
                                 on_made=lambda p: seen.append(p.transport.handshake))
    assert opened(open_session(site, transport, query="token=user-ann"))
    assert seen[0].principal == "ann"


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
@pytest.mark.parametrize("token, status", [("bad", 403), ("nothing", 403), ("teapot", 418),
                                           ("raise", 500)])
def test_authorize_refusal_never_builds_the_protocol(transport, token, status, logged):
    site, app, clock = make_site({"authorize": by_token})
    client = open_session(site, transport, query="token=" + token)
    data = client.take()
    assert data.startswith(b"HTTP/1.1 %d " % status)
    if token == "teapot":
        assert data.endswith(b"No coffee here\n")
    assert app.instances == []
    assert len(site.services[""].registry) == 0
    assert site.services[""].registry.count() == 0
    if token == "raise":
        assert any(event.get("log_failure") is not None for event in logged)


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_a_slow_authorize_holds_the_request_until_it_answers(transport):
    pending = []

    def slow(handshake):
        d = Deferred()
        pending.append(d)
        return d

    site, app, clock = make_site({"authorize": slow})
    client = open_session(site, transport)
    assert client.take() == b""
    clock.advance(5)
    assert client.take() == b"" and app.instances == []
    pending[0].callback("bob")
    assert opened(client)
    assert app.instances[0].transport.handshake.principal == "bob"


def test_a_coroutine_authorize_works():
    async def check(handshake):
        return "carol" if handshake.cookies.get("sid") == "ok" else False

    site, app, clock = make_site({"authorize": check})
    assert opened(open_session(site, "xhr", sid="a", headers=[("Cookie", "sid=ok")]))
    assert status_of(open_session(site, "xhr", sid="b")) == 403
    assert app.instances[0].transport.handshake.principal == "carol"


@pytest.mark.parametrize("transport", ["websocket", "xhr", "eventsource"])
def test_an_authorize_that_never_answers_gets_503_and_is_cancelled(transport):
    cancelled = []

    def never(handshake):
        return Deferred(lambda d: cancelled.append(True))

    site, app, clock = make_site({"authorize": never, "authorize_timeout": 3})
    client = open_session(site, transport)
    clock.advance(2.9)
    assert client.take() == b""
    clock.advance(0.2)
    status, headers, body = split_response(client.take())
    assert status == 503 and "retry-after" in headers
    assert cancelled == [True]
    assert app.instances == [] and site.services[""].registry.count() == 0


def test_a_client_that_leaves_while_authorize_runs_gets_no_session():
    pending = []
    site, app, clock = make_site({"authorize": lambda h: pending.append(Deferred()) or pending[-1]})
    client = open_session(site, "xhr_streaming")
    client.drop()
    pending[0].callback("late")
    assert app.instances == []
    assert site.services[""].registry.count() == 0 and not site.services[""].sessions
    assert not session_timers(site, clock)


def test_authorize_timeout_is_bounded():
    with pytest.raises(ValueError):
        make_site({"authorize_timeout": 31})
    with pytest.raises(ValueError):
        make_site({"authorize": "not callable"})


def test_requests_for_a_session_being_opened_wait_for_it():
    pending = []
    site, app, clock = make_site({"authorize": lambda h: pending.append(Deferred()) or pending[-1]},
                                 echo=False)
    first = open_session(site, "xhr")
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", b'["early"]'))
    assert sender.take() == b""
    pending[0].callback("dan")
    assert opened(first)
    # the send was re-authorized as the same principal, then delivered
    pending[1].callback("dan")
    assert split_response(sender.take())[0] == 204
    assert app.instances[0].received == [b"early"]


# -- origins ---------------------------------------------------------------------

RESTRICTED = {"allowed_origins": ["https://good.example", "https://*.good.example"]}


@pytest.mark.parametrize("transport", ["websocket", "raw_websocket", "xhr", "xhr_streaming",
                                       "eventsource"])
@pytest.mark.parametrize("origin, allowed", [
    ("https://good.example", True), ("https://GOOD.example:443", True),
    ("https://a.b.good.example", True), ("https://good.example.evil.com", False),
    ("https://evilgood.example", False), ("http://good.example", False), ("null", False),
])
def test_allowed_origins_on_every_transport(transport, origin, allowed):
    site, app, clock = make_site(RESTRICTED)
    client = open_session(site, transport, headers=[("Origin", origin)])
    data = client.take()
    if allowed:
        assert data.startswith(b"HTTP/1.1 101 ") or data.startswith(b"HTTP/1.1 200 ")
        if "websocket" not in transport:
            assert b"Access-Control-Allow-Origin: %s" % origin.encode() in data
    else:
        assert data.startswith(b"HTTP/1.1 403 ")
        assert app.instances == []


@pytest.mark.parametrize("transport", ["websocket", "raw_websocket"])
def test_a_websocket_without_origin_is_refused_when_restricted(transport):
    site, app, clock = make_site(RESTRICTED)
    assert status_of(open_session(site, transport)) == 403
    site, app, clock = make_site()
    assert opened(open_session(site, transport))


def test_an_http_request_without_origin_is_served_without_cors_when_restricted():
    site, app, clock = make_site(RESTRICTED)
    status, headers, body = split_response(open_session(site, "xhr").take())
    assert status == 200 and "access-control-allow-origin" not in headers


def test_uncheckable_transports_are_off_when_restricted():
    site, app, clock = make_site(RESTRICTED)
    for path in ("/iframe.html", "/000/s1/htmlfile?c=cb", "/000/s1/jsonp?c=cb"):
        client = Client(site)
        client.send(request("GET", path, headers=[("Origin", "https://good.example")]))
        assert status_of(client) == 404, path
    client = Client(site)
    client.send(request("POST", "/000/s1/jsonp_send", b"d=%5B%22x%22%5D"))
    assert status_of(client) == 404
    # by default they are on
    site, app, clock = make_site()
    assert opened(open_session(site, "jsonp"))


def test_info_and_preflight_cors_follow_the_origin_policy():
    site, app, clock = make_site(RESTRICTED)
    for origin, expected in [("https://good.example", "https://good.example"),
                             ("https://evil.example", None)]:
        client = Client(site)
        client.send(request("GET", "/info", headers=[("Origin", origin)]))
        status, headers, body = split_response(client.take())
        assert status == (200 if expected else 403)
        assert headers.get("access-control-allow-origin") == expected
        client = Client(site)
        client.send(request("OPTIONS", "/000/s1/xhr", headers=[("Origin", origin)]))
        status, headers, body = split_response(client.take())
        if expected:
            assert status == 204 and headers["access-control-allow-origin"] == expected
        else:
            assert status == 403 and "access-control-allow-origin" not in headers
    # the default: any origin, echoed
    site, app, clock = make_site()
    client = Client(site)
    client.send(request("GET", "/info", headers=[("Origin", "http://evil.example")]))
    assert split_response(client.take())[1]["access-control-allow-origin"] == "http://evil.example"


def test_info_says_which_origins_are_allowed():
    import json
    site, app, clock = make_site(RESTRICTED)
    client = Client(site)
    client.send(request("GET", "/info"))
    assert json.loads(split_response(client.take())[2])["origins"] == RESTRICTED["allowed_origins"]
    site, app, clock = make_site()
    client = Client(site)
    client.send(request("GET", "/info"))
    assert json.loads(split_response(client.take())[2])["origins"] == ["*:*"]


def test_bad_origin_patterns_are_refused_at_configuration():
    for bad in (["https://ex*.com"], ["https://example.com/path"], "https://example.com"):
        with pytest.raises(ValueError):
            make_site({"allowed_origins": bad})


# -- sessions bound to their owner ----------------------------------------------------

def poll_from(site, sid, host, path="xhr", body=b"", query=""):
    client = Client(site, host=host, port=41000)
    method = "GET" if path in ("eventsource", "htmlfile", "jsonp") else "POST"
    url = "/000/%s/%s" % (sid, path)
    if query:
        url += "?" + query
    client.send(request(method, url, body=None if method == "GET" else body))
    return client


@pytest.mark.parametrize("path, query", [("xhr", ""), ("xhr_streaming", ""), ("eventsource", ""),
                                         ("htmlfile", "c=cb"), ("jsonp", "c=cb"),
                                         ("xhr_send", ""), ("jsonp_send", "")])
def test_another_client_cannot_touch_a_session(path, query, logged):
    site, app, clock = make_site(echo=False)
    assert opened(open_session(site, "xhr"))
    protocol = app.instances[0]
    protocol.transport.write(b"secret")
    clock.advance(0)
    body = b'["injected"]' if path == "xhr_send" else b'd=["injected"]'
    thief = poll_from(site, "s1", "127.0.0.2", path, body=body, query=query)
    status, headers, text = split_response(thief.take())
    assert status == 403 and b"secret" not in text
    assert any("belongs to another client" in str(e.get("log_format")) for e in logged)
    # the owner's session is untouched: its message is still there, nothing was injected
    owner = poll_from(site, "s1", "127.0.0.1")
    clock.advance(0)
    assert split_response(owner.take())[2] == b'a["secret"]\n'
    assert protocol.received == [] and protocol.lost == []


def test_binding_none_lets_anyone_in():
    site, app, clock = make_site({"session_binding": "none"}, echo=False)
    assert opened(open_session(site, "xhr"))
    thief = poll_from(site, "s1", "127.0.0.2", "xhr_send", body=b'["x"]')
    assert split_response(thief.take())[0] == 204
    assert app.instances[0].received == [b"x"]


def test_a_principal_binds_the_session_from_any_address():
    site, app, clock = make_site({"authorize": by_token}, echo=False)
    assert opened(open_session(site, "xhr", query="token=user-ann"))
    # the same user from another address: admitted
    moved = poll_from(site, "s1", "127.0.0.2", "xhr_send", body=b'["hi"]', query="token=user-ann")
    assert split_response(moved.take())[0] == 204
    # another user, or nobody, from the owner's own address: refused
    for query, status in [("token=user-eve", 403), ("token=bad", 403), ("", 403)]:
        other = poll_from(site, "s1", "127.0.0.1", "xhr_send", body=b'["evil"]', query=query)
        assert split_response(other.take())[0] == status
    assert app.instances[0].received == [b"hi"]


def test_authorize_returning_true_binds_to_the_address():
    site, app, clock = make_site({"authorize": by_token}, echo=False)
    assert opened(open_session(site, "xhr", query="token=anyone"))
    thief = poll_from(site, "s1", "127.0.0.2", "xhr_send", body=b'["x"]', query="token=anyone")
    assert split_response(thief.take())[0] == 403


# -- limits -------------------------------------------------------------------------

def test_max_sessions_refuses_with_503_and_retry_after():
    site, app, clock = make_site({"max_sessions": 2, "timeout": 5})
    assert opened(open_session(site, "xhr", sid="a"))
    assert opened(open_session(site, "websocket", sid="b"))
    client = open_session(site, "eventsource", sid="c", host="127.0.0.2")
    status, headers, body = split_response(client.take())
    assert status == 503 and headers["retry-after"] == "5"
    assert len(app.instances) == 2
    # a closed session frees its place at once
    app.instances[0].transport.loseConnection()
    assert opened(open_session(site, "eventsource", sid="c"))


def test_max_sessions_per_client():
    site, app, clock = make_site({"max_sessions_per_client": 1})
    assert opened(open_session(site, "xhr", sid="a"))
    assert status_of(open_session(site, "raw_websocket")) == 503
    assert opened(open_session(site, "raw_websocket", host="127.0.0.2"))


def test_a_burst_while_authorize_runs_cannot_overshoot_the_limit():
    pending = []
    site, app, clock = make_site({"max_sessions": 3,
                                  "authorize": lambda h: pending.append(Deferred()) or pending[-1]})
    clients = [open_session(site, "xhr", sid="s%d" % i) for i in range(10)]
    statuses = [status_of(client) for client in clients]
    assert statuses == [None] * 3 + [503] * 7
    for d in pending:
        d.callback(True)
    assert len(app.instances) == 3


def test_timed_out_sessions_free_their_place():
    site, app, clock = make_site({"max_sessions": 1, "timeout": 5})
    assert opened(open_session(site, "xhr", sid="a"))
    clock.advance(6)  # nobody polled: the session timed out
    assert opened(open_session(site, "xhr", sid="b"))


# -- websocket sessions are registered ------------------------------------------------

def test_websocket_sessions_are_registered_and_closed_at_shutdown():
    site, app, clock = make_site()
    sockjs = open_session(site, "websocket", sid="w")
    raw = open_session(site, "raw_websocket")
    assert sockjs.take() and raw.take()
    registry = site.services[""].registry
    assert len(registry) == 2
    site.stopFactory()
    assert b'c[1001,"Server shutting down"]' in sockjs.take()
    assert raw.take().startswith(b"\x88")  # a close frame
    assert len(registry) == 0
    assert all(len(p.lost) == 1 for p in app.instances)


def test_closed_websocket_leaves_the_registry():
    site, app, clock = make_site()
    open_session(site, "websocket", sid="w").take()
    app.instances[0].transport.loseConnection()
    assert len(site.services[""].registry) == 0


def test_hixie76_handshake_without_its_key_is_cut_at_the_request_timeout():
    from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT
    site, app, clock = make_site()
    client = Client(site)
    client.send(request("GET", "/000/s1/websocket", headers=[
        ("Upgrade", "WebSocket"), ("Connection", "Upgrade"), ("Origin", "http://x"),
        ("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5"), ("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")]))
    assert client.take().startswith(b"HTTP/1.1 101 ")
    clock.advance(REQUEST_TIMEOUT + 1)
    assert client.transport.disconnecting
    client.drop()
    assert app.instances == [] or app.instances[0].made == 0
    assert site.services[""].registry.count() == 0


# -- every response --------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    request("GET", "/"), request("GET", "/info"), request("GET", "/nope"),
    request("PUT", "/info"), request("POST", "/000/s1/xhr", b""),
    request("GET", "/000/s1/websocket", headers=WS_HEADERS),
    request("OPTIONS", "/000/s1/xhr"), b"BAD\r\n\r\n",
])
def test_every_response_says_nosniff(raw):
    site, app, clock = make_site()
    client = Client(site)
    client.send(raw)
    head = client.take().partition(b"\r\n\r\n")[0]
    assert b"\r\nX-Content-Type-Options: nosniff" in head


def test_session_errors_are_not_cacheable():
    site, app, clock = make_site()
    client = Client(site)
    client.send(request("POST", "/000/nope/xhr_send", b'["x"]'))
    status, headers, body = split_response(client.take())
    assert status == 404 and "no-store" in headers["cache-control"]


def test_the_doors_fast_handshake_is_the_frozen_dataclass_it_would_have_built():
    import dataclasses

    import pytest

    from txsockjs.handshake import Handshake, build
    fields = dict(transport="websocket", method="GET", path="/a/000/s/websocket",
                  query={"q": ("1",)}, headers={"host": "x"}, cookies={}, origin=None,
                  peer=("127.0.0.1", 5), client_ip="127.0.0.1", secure=True, session_id="s")
    fast, slow = build(**fields), Handshake(**fields)
    assert type(fast) is Handshake
    assert fast == slow and repr(fast) == repr(slow)
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.path = "/elsewhere"
    assert fast.with_principal("ann") == slow.with_principal("ann")
