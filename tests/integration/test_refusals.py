"""What a refusal looks like to a page, on whichever front door serves (see
conftest.py: ``TXSOCKJS_TEST_FRONT=web`` runs this module through twisted.web).

* A disallowed ``Origin`` gets 403 "Origin not allowed." and no CORS headers on every
  path of the service: greeting, ``/info`` (GET, HEAD, OPTIONS), every session transport
  and its preflight, both WebSocket endpoints.
* Every other refusal or error answered to an allowed origin (authorize, limits, 404,
  405, 413) carries the CORS headers a success would, so the browser lets the page read
  its status instead of hiding it as a network error.

Against tests/integration/door_server.py (services ``origins``, ``auth``, ``per_client``,
``small``, ``who``).
"""

import pytest

from .conftest import FRONT
from .door_links import DoorServer, Link
from .wire import new_session_id, request

ALLOWED = "https://a.example.com"
DISALLOWED = "https://example.com.evil.com"
WS_HEADERS = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
              ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]


@pytest.fixture(scope="module")
def door():
    with DoorServer(FRONT).running() as srv:
        yield srv


def paths(sid):
    """(method, path, extra headers) of every kind of request below /origins."""
    session = "/origins/000/%s" % sid
    return [
        ("GET", "/origins", []),
        ("GET", "/origins/info", []),
        ("HEAD", "/origins/info", []),
        ("OPTIONS", "/origins/info", [("Access-Control-Request-Method", "GET")]),
        ("OPTIONS", session + "/xhr", [("Access-Control-Request-Method", "POST")]),
        ("POST", session + "/xhr", []),
        ("POST", session + "/xhr_streaming", []),
        ("GET", session + "/eventsource", []),
        ("POST", session + "/xhr_send", []),
        ("GET", session + "/websocket", WS_HEADERS),
        ("GET", "/origins/websocket", WS_HEADERS),
    ]


@pytest.mark.parametrize("index", range(len(paths("x"))))
def test_a_disallowed_origin_gets_403_on_every_path(door, index):
    method, path, extra = paths(new_session_id())[index]
    resp = request(door.addr, method, path, [("Origin", DISALLOWED)] + extra, body=b"")
    assert resp.status == 403, (method, path, resp)
    assert not resp.has("Access-Control-Allow-Origin"), (method, path, resp.headers)
    assert not resp.has("Access-Control-Allow-Credentials"), (method, path, resp.headers)
    if method != "HEAD":
        assert resp.body == b"Origin not allowed.\n", (method, path, resp.body)


# /info, the preflights, a poll and a send (the streaming transports and the
# WebSocket ones are in test_who_connects.py; the greeting is no CORS resource)
CORS_PATHS = [1, 2, 3, 4, 5, 8]


@pytest.mark.parametrize("index", CORS_PATHS)
def test_an_allowed_origin_is_answered_with_cors(door, index):
    method, path, extra = paths(new_session_id())[index]
    body = b'["x"]' if path.endswith("xhr_send") else b""
    resp = request(door.addr, method, path, [("Origin", ALLOWED)] + extra, body=body)
    # xhr_send into a session that does not exist: 404, itself with CORS
    assert resp.status in ((404,) if path.endswith("xhr_send") else (200, 204)), (path, resp)
    assert resp.header("Access-Control-Allow-Origin") == ALLOWED, (method, path, resp.headers)
    assert resp.header("Access-Control-Allow-Credentials") == "true", (method, path, resp)


def assert_cors(resp, origin=ALLOWED):
    assert resp.header("Access-Control-Allow-Origin") == origin, resp.headers
    assert resp.header("Access-Control-Allow-Credentials") == "true", resp.headers


@pytest.mark.parametrize("transport", ["xhr", "xhr_streaming", "eventsource"])
@pytest.mark.parametrize("token, status", [("rejected", 401), ("false", 403), ("never", 503)])
def test_an_authorize_refusal_carries_cors(door, transport, token, status):
    link = Link(door.addr, transport, "auth", query="token=" + token,
                headers=[("Origin", ALLOWED)])
    link.close()
    assert link.status == status and not link.opened, link.resp
    assert_cors(link.resp)


def test_a_session_limit_carries_cors(door):
    links = [Link(door.addr, "xhr_streaming", "per_client", headers=[("Origin", ALLOWED)])
             for _ in range(3)]
    try:
        assert all(link.opened for link in links)
        refused = Link(door.addr, "xhr", "per_client", headers=[("Origin", ALLOWED)])
        assert refused.status == 503, refused.resp
        assert refused.resp.has("Retry-After")
        assert_cors(refused.resp)
    finally:
        for link in links:
            link.close()


def test_other_errors_carry_cors(door):
    origin = [("Origin", ALLOWED)]
    base = "/origins/000/%s" % new_session_id()
    wrong_method = request(door.addr, "GET", base + "/xhr", origin)
    assert wrong_method.status == 405, wrong_method
    assert_cors(wrong_method)
    # (a body over every service's limit is refused by the HTTP reader before any
    # service is known: that 413 is the connection's, without CORS)
    too_large = request(door.addr, "POST", "/small/000/%s/xhr_send" % new_session_id(), origin,
                        body=b"x" * 1001)
    assert too_large.status == 413, too_large
    assert_cors(too_large)
    # without an Origin, on a service open to any: "*", as its successes
    unknown = request(door.addr, "POST", "/who/000/%s/xhr_send" % new_session_id(), body=b'["x"]')
    assert unknown.status == 404 and unknown.header("Access-Control-Allow-Origin") == "*", unknown
