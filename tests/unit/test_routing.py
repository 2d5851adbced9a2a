"""Paths below a service prefix, to what answers them."""

import pytest
from hypothesis import given, settings, strategies as st

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


# -- the regular expression's shortcut -------------------------------------------------------

def route_by_expression(path):
    """What routing gave before its shortcut: every session path through the expression."""
    from txsockjs.protocol import routing
    found = routing._SESSION.match(path)
    return None if found is None else (SESSION,) + found.groups()


def route_tuple(path):
    from txsockjs.protocol import routing
    found = routing._route(path)
    return None if found is None else (found.kind, found.server_id, found.session_id,
                                       found.transport)


_PIECES = ["", "a", "0 0", "a.b", ".", "é", "\x00", "\x1f", "\x7f", "\x85", "\u2028", "~-_",
           "xhr", "websocket", "XHR", "x hr", "\t", "/"]


_PIECE = st.one_of(st.sampled_from(_PIECES), st.text(max_size=6),
                   st.builds(lambda a, b: a + b, st.sampled_from(_PIECES), st.sampled_from(_PIECES)))
_SESSION_PATH = st.tuples(_PIECE, _PIECE, st.one_of(
    st.sampled_from(["xhr", "xhr_send", "websocket", "eventsource", "jsonp", "XHR", "x_y", "_"]),
    _PIECE)).map(list)


@given(st.one_of(_SESSION_PATH, st.lists(_PIECE, min_size=1, max_size=5)))
@settings(max_examples=1000, deadline=None)
def test_shortcut_agrees_with_the_expression(pieces):
    path = "/" + "/".join(pieces)
    if path in ("/", "/info", "/websocket") or path.startswith("/iframe"):
        return  # (the fixed paths, which come before either)
    assert route_tuple(path) == route_by_expression(path), path


@pytest.mark.parametrize("path", ["/000/abc/xhr", "/srv/a-b_c~/websocket", "/a b/c d/eventsource",
                                  "/000/é/xhr", "/000/abc/anything", "/000/a\x85b/xhr"])
def test_shortcut_and_expression_on_known_paths(path):
    assert route_tuple(path) == route_by_expression(path)


def test_a_long_path_is_not_remembered(monkeypatch):
    # Paths are the client's, up to a request line: long ones would stay held.
    from txsockjs.protocol import routing
    monkeypatch.setattr(routing, "_ROUTES", {})
    long_id = "s" * 8000
    found = route("/000/%s/xhr" % long_id)
    assert found.session_id == long_id
    assert route("/" + long_id) is None
    assert routing._ROUTES == {}
