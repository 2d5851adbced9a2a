"""Greeting, 404s, the iframe page, /info, session URL validation."""

import json
import re

import pytest

from .wire import (assert_cors, assert_nocache, assert_preflight, max_age, new_session_id,
                   request, xhr, xhr_send)


# -- greeting -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/echo", "/echo/"])
def test_greeting(addr, path):
    resp = request(addr, "GET", path)
    assert resp.status == 200
    assert resp.content_type == "text/plain;charset=UTF-8"
    assert resp.body == b"Welcome to SockJS!\n"
    assert not resp.has("Set-Cookie")


@pytest.mark.parametrize("service", ["close", "disabled_websocket_echo", "cookie_needed_echo"])
def test_greeting_every_service(addr, service):
    resp = request(addr, "GET", "/" + service)
    assert resp.status == 200 and resp.body == b"Welcome to SockJS!\n"


@pytest.mark.parametrize("suffix", ["/a", "/a.html", "//", "///", "/a/a", "/a/a/", "/a/"])
def test_not_found(addr, suffix):
    resp = request(addr, "GET", "/echo" + suffix)
    assert resp.status == 404, resp


def test_unknown_service_not_found(addr):
    assert request(addr, "GET", "/nosuchservice").status == 404
    assert request(addr, "GET", "/nosuchservice/info").status == 404


# -- iframe ---------------------------------------------------------------------

IFRAME_PATHS = ["/iframe.html", "/iframe-a.html", "/iframe-.html", "/iframe-0.1.2.html",
                "/iframe-0.1.2abc-dirty.2144.html", "/iframe.html?t=1234",
                "/iframe-a.html?x=y&z=1"]


@pytest.mark.parametrize("path", IFRAME_PATHS)
def test_iframe(addr, path):
    resp = request(addr, "GET", "/echo" + path)
    assert resp.status == 200, resp
    assert resp.content_type == "text/html;charset=UTF-8"
    cc = resp.header("Cache-Control") or ""
    assert "public" in cc and (max_age(cc) or 0) >= 1000000, cc
    assert resp.has("Expires")
    assert resp.header("ETag")
    assert not resp.has("Last-Modified")
    assert not resp.has("Set-Cookie")
    page = resp.text
    assert "document.domain = document.domain;" in page
    assert "SockJS.bootstrap_iframe();" in page
    assert "Don't panic!" in page
    m = re.search(r'<script[^>]*src="([^"]+)"', page)
    assert m, page
    assert m.group(1).startswith("/") or m.group(1).startswith("http"), m.group(1)


def test_iframe_etag_stable_and_304(addr):
    first = request(addr, "GET", "/echo/iframe.html")
    second = request(addr, "GET", "/echo/iframe.html")
    etag = first.header("ETag")
    assert etag and etag == second.header("ETag")
    assert first.body == second.body
    cached = request(addr, "GET", "/echo/iframe.html", {"If-None-Match": etag})
    assert cached.status == 304, cached
    assert not cached.has("Content-Type")
    assert cached.body == b""
    # a different etag gets the page again
    fresh = request(addr, "GET", "/echo/iframe.html", {"If-None-Match": '"nope"'})
    assert fresh.status == 200 and fresh.body == first.body


@pytest.mark.parametrize("path", ["/iframe.htm", "/iframe", "/IFRAME.HTML", "/IFRAME",
                                  "/iframe.HTML", "/iframe.xml", "/iframe-/.html"])
def test_iframe_not_found(addr, path):
    assert request(addr, "GET", "/echo" + path).status == 404


# -- info -----------------------------------------------------------------------

def _info(addr, service="echo", headers=()):
    resp = request(addr, "GET", "/%s/info" % service, headers)
    assert resp.status == 200, resp
    return resp, json.loads(resp.body)


def test_info(addr):
    resp, data = _info(addr)
    assert resp.content_type == "application/json;charset=UTF-8"
    assert_nocache(resp)
    assert_cors(resp, None)
    assert not resp.has("Set-Cookie")
    assert set(data) >= {"websocket", "cookie_needed", "origins", "entropy"}
    assert data["websocket"] is True
    assert data["cookie_needed"] is False
    assert data["origins"] == ["*:*"]
    assert isinstance(data["entropy"], int) and 0 <= data["entropy"] <= 2 ** 32 - 1


def test_info_entropy_varies(addr):
    values = {_info(addr)[1]["entropy"] for _ in range(5)}
    assert len(values) >= 4, values


@pytest.mark.parametrize("origin", ["http://example.com", "test", "null"])
def test_info_cors(addr, origin):
    resp, _ = _info(addr, headers={"Origin": origin})
    assert_cors(resp, origin)
    assert not resp.has("Set-Cookie")


@pytest.mark.parametrize("origin", ["test", "null"])
def test_info_preflight(addr, origin):
    resp = request(addr, "OPTIONS", "/echo/info",
                   {"Origin": origin, "Access-Control-Request-Method": "GET"})
    assert_preflight(resp, ["OPTIONS", "GET"], origin)
    assert not resp.has("Set-Cookie")


def test_info_preflight_method_list_and_headers(addr):
    resp = request(addr, "OPTIONS", "/echo/info",
                   {"Origin": "test", "Access-Control-Request-Method": "OPTIONS, GET",
                    "Access-Control-Request-Headers": "a, b, c"})
    assert_preflight(resp, ["OPTIONS", "GET"], "test", "a, b, c")


def test_info_disabled_websocket(addr):
    _, data = _info(addr, "disabled_websocket_echo")
    assert data["websocket"] is False


def test_info_cookie_needed(addr):
    resp, data = _info(addr, "cookie_needed_echo")
    assert data["cookie_needed"] is True
    assert not resp.has("Set-Cookie")


# -- session URLs -----------------------------------------------------------------

@pytest.mark.parametrize("ids", ["/a/a123", "/_/_1", "/abcdefgh_i-j%20/abcdefg_i-j%20"])
def test_session_url_valid(addr, ids):
    url = "/echo" + ids + new_session_id()
    resp = xhr(addr, url)
    assert resp.status == 200 and resp.body == b"o\n", resp


@pytest.mark.parametrize("ids", ["//", "/a./a", "/a/a.", "/./.", "/", "///"])
def test_session_url_invalid(addr, ids):
    resp = request(addr, "POST", "/echo" + ids + "/xhr", body=b"")
    assert resp.status == 404, resp
    resp = request(addr, "POST", "/echo" + ids + "/xhr_send", body=b'["x"]')
    assert resp.status == 404, resp


def test_server_id_ignored(addr):
    sid = new_session_id()
    assert xhr(addr, "/echo/000/" + sid).body == b"o\n"
    assert xhr_send(addr, "/echo/999/" + sid, ["x"]).status == 204
    assert xhr(addr, "/echo/abc/" + sid).body == b'a["x"]\n'


def test_unknown_transport_not_found(addr):
    url = "/echo/000/" + new_session_id()
    assert request(addr, "POST", url + "/nope", body=b"").status == 404
    assert request(addr, "GET", url + "/XHR").status == 404


@pytest.mark.parametrize("query", ["?t=1234567890", "?cb=x&t=1"])
def test_info_with_query_string(addr, query):
    resp = request(addr, "GET", "/echo/info" + query)
    assert resp.status == 200 and json.loads(resp.body)["websocket"] is True


def test_upgrade_headers_on_plain_url_ignored(addr):
    resp = request(addr, "GET", "/echo/info", {"Upgrade": "websocket", "Connection": "Upgrade",
                                               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                               "Sec-WebSocket-Version": "13"})
    assert resp.status == 200, resp


def test_info_preflight_without_origin(addr):
    resp = request(addr, "OPTIONS", "/echo/info", {"Access-Control-Request-Method": "GET"})
    assert resp.status in (200, 204)
    assert resp.header("Access-Control-Allow-Origin") == "*"
