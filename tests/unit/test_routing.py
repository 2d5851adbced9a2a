"""Paths below a service prefix, to what answers them."""

import pytest

from txsockjs.protocol.routing import (
    GREETING, IFRAME, INFO, RAW_WEBSOCKET, SESSION, route,
)


@pytest.mark.parametrize("path, kind", [
    ("", GREETING),
    ("/", GREETING),
    ("/info", INFO),
    ("/websocket", RAW_WEBSOCKET),
    ("/iframe.html", IFRAME),
    ("/iframe-1.6.1.html", IFRAME),
    ("/iframeABC.html", IFRAME),
])
def test_fixed_paths(path, kind):
    found = route(path)
    assert (found.kind, found.server_id, found.session_id, found.transport) == (kind, None, None, None)


@pytest.mark.parametrize("path, ids", [
    ("/000/abc/xhr", ("000", "abc", "xhr")),
    ("/srv/a-b_c~/websocket", ("srv", "a-b_c~", "websocket")),
    ("/1/2/anything", ("1", "2", "anything")),  # (the session handler refuses unknown transports)
    ("/info/2/xhr", ("info", "2", "xhr")),
])
def test_session_paths(path, ids):
    found = route(path)
    assert (found.kind, found.server_id, found.session_id, found.transport) == (SESSION,) + ids
    assert repr(found) == "Route(%r, %r, %r, %r)" % ((SESSION,) + ids)


@pytest.mark.parametrize("path", [
    "//", "/info/", "/websocket/", "/info.json", "/iframe.htm", "/iframe.html/", "/x/iframe.html",
    "/iframe.html\n", "/info\n",
    "/a/b", "/a/b/", "/a//xhr", "//b/xhr", "/a/b/c/d", "/a/b/xhr/",
    "/a.1/b/xhr", "/a/b.1/xhr",  # (server and session ids may not hold dots)
])
def test_everything_else_is_not_found(path):
    assert route(path) is None


@pytest.mark.parametrize("path", ["/a/b/xhr\n", "/a\n/b/xhr", "/a/b\x00/xhr", "/a/b/xhr\x7f",
                                  "/a/b\t/xhr", "/a/b/XHR", "/a/b/x hr"])
def test_no_control_characters_in_a_session_route(path):
    assert route(path) is None


def test_a_space_in_an_id_is_allowed():
    # (twisted.web decodes the protocol suite's "/abcdefgh_i-j%20/abcdefg_i-j%20")
    found = route("/abcdefgh_i-j /abcdefg_i-j /xhr")
    assert (found.server_id, found.session_id, found.transport) == (
        "abcdefgh_i-j ", "abcdefg_i-j ", "xhr")


def test_routes_are_remembered_within_a_bound(monkeypatch):
    from txsockjs.protocol import routing
    monkeypatch.setattr(routing, "_ROUTES", {})
    monkeypatch.setattr(routing, "MAX_CACHED_ROUTES", 3)
    first = route("/000/abc/xhr")
    assert route("/000/abc/xhr") is first          # a poll's path, again
    assert route("/nope/x") is None and route("/nope/x") is None
    for i in range(10):                              # client-chosen paths cannot grow it
        assert route("/000/s%d/xhr" % i).session_id == "s%d" % i
        assert len(routing._ROUTES) <= 3
