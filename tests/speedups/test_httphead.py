"""Strict HTTP/1.x request-head parsing, on both paths."""

import pytest

from txsockjs._speedups.kernelerrors import HTTPError

HEAD = (b"GET /echo/000/abc/websocket?x=1 HTTP/1.1\r\n"
        b"Host: localhost:8081\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"Origin: http://example.com\r\n")


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_typical(kernels, kind):
    method, target, minor, headers = kernels.parse_request_head(kind(HEAD))
    assert (method, target, minor) == ("GET", "/echo/000/abc/websocket?x=1", 1)
    assert headers == {
        "host": "localhost:8081", "upgrade": "websocket", "connection": "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13",
        "origin": "http://example.com"}
    assert all(type(k) is str and type(v) is str for k, v in headers.items())


@pytest.mark.parametrize("head, expected", [
    (b"GET / HTTP/1.0", ("GET", "/", 0, {})),
    (b"GET / HTTP/1.0\r\n", ("GET", "/", 0, {})),
    (b"GET / HTTP/1.1\n", ("GET", "/", 1, {})),
    (b"GET / HTTP/1.1\r", ("GET", "/", 1, {})),
    (b"OPTIONS * HTTP/1.1\nA:b\nB:\n", ("OPTIONS", "*", 1, {"a": "b", "b": ""})),
    (b"POST /x HTTP/1.1\r\nX-Y: \t a  b \t\r\n", ("POST", "/x", 1, {"x-y": "a  b"})),
    (b"GET / HTTP/1.1\r\nX: \xe9\xff\x80\r\n", ("GET", "/", 1, {"x": "\xe9\xff\x80"})),
    (b"GET / HTTP/1.1\r\nA: 1\r\na: 2\r\nA: 3\r\n", ("GET", "/", 1, {"a": "1, 2, 3"})),
    # several Cookie fields are one cookie-string (RFC 6265 5.4), ';'-separated
    (b"GET / HTTP/1.1\r\nCookie: a=1, b\r\ncookie: c=2\r\n", ("GET", "/", 1, {"cookie": "a=1, b; c=2"})),
    (b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n", ("GET", "/", 1, {"host": "a"})),
    (b"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n",
     ("GET", "/", 1, {"content-length": "5"})),
    (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
     ("GET", "/", 1, {"transfer-encoding": "chunked, chunked"})),
    (b"M-._~!#$%&'*+^`|1 /%7e~ HTTP/1.1\r\nX: a:b\r\n", ("M-._~!#$%&'*+^`|1", "/%7e~", 1, {"x": "a:b"})),
])
def test_valid(kernels, head, expected):
    assert kernels.parse_request_head(head) == expected


@pytest.mark.parametrize("head, status, reason", [
    (b"", 400, "Malformed request line"),
    (b"GET /", 400, "Malformed request line"),
    (b"GET  / HTTP/1.1", 400, "Malformed request line"),
    (b"GET / HTTP/1.1 ", 400, "Malformed request line"),
    (b"GET\t/ HTTP/1.1", 400, "Malformed request line"),
    (b" / HTTP/1.1", 400, "Malformed method"),
    (b"G(T / HTTP/1.1", 400, "Malformed method"),
    (b"G\xe9T / HTTP/1.1", 400, "Malformed method"),
    (b"GET  HTTP/1.1", 400, "Malformed request target"),
    (b"GET /\x7f HTTP/1.1", 400, "Malformed request target"),
    (b"GET /\xe9 HTTP/1.1", 400, "Malformed request target"),
    (b"GET /\r HTTP/1.1", 400, "Malformed request target"),
    (b"GET / HTTP/1.1\r\r\n", 400, "Malformed HTTP version"),
    (b"GET / http/1.1", 400, "Malformed HTTP version"),
    (b"GET / HTTP/11", 400, "Malformed HTTP version"),
    (b"GET / HTTP/1.10", 400, "Malformed HTTP version"),
    (b"GET / HTTP/1.x", 400, "Malformed HTTP version"),
    (b"GET / HTTP/2.0", 505, "HTTP version not supported"),
    (b"GET / HTTP/0.9", 505, "HTTP version not supported"),
    (b"GET / HTTP/1.2", 505, "HTTP version not supported"),
    (b"GET / HTTP/1.1\r\n\r\nA: b\r\n", 400, "Empty header line"),
    # The head is passed without its final empty line.
    (b"GET / HTTP/1.1\r\nX:\r\n\r\n", 400, "Empty header line"),
    (b"GET / HTTP/1.1\r\nA: b\n\nB: c", 400, "Empty header line"),
    (b"GET / HTTP/1.1\r\nA b\r\n", 400, "Malformed header line"),
    (b"GET / HTTP/1.1\r\n: b\r\n", 400, "Malformed header line"),
    (b"GET / HTTP/1.1\r\nA : b\r\n", 400, "Malformed header name"),
    (b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n", 400, "Malformed header line"),
    (b"GET / HTTP/1.1\r\nA: b\r\n\tfolded: x\r\n", 400, "Malformed header name"),
    (b"GET / HTTP/1.1\r\nA\xe9: b\r\n", 400, "Malformed header name"),
    (b"GET / HTTP/1.1\r\nA: b\rc\r\n", 400, "Invalid character in header value"),
    (b"GET / HTTP/1.1\r\nA: b\x00\r\n", 400, "Invalid character in header value"),
    (b"GET / HTTP/1.1\r\nA: b\x7f\r\n", 400, "Invalid character in header value"),
    (b"GET / HTTP/1.1\r\nA: b\r\r\n", 400, "Invalid character in header value"),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n", 400, "Conflicting host headers"),
    (b"GET / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 2\r\n", 400,
     "Conflicting content-length headers"),
    (b"GET / HTTP/1.1\r\nTransfer-Encoding: a\r\nTransfer-Encoding: b\r\n", 400,
     "Conflicting transfer-encoding headers"),
    # The first fault in the head wins.
    (b"GET / HTTP/1.1\r\nA b\r\nC\x00: d\r\n", 400, "Malformed header line"),
])
def test_invalid(kernels, head, status, reason):
    with pytest.raises(HTTPError) as info:
        kernels.parse_request_head(head)
    assert (info.value.status, info.value.reason) == (status, reason)


def test_header_limit(kernels):
    head = b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(100))
    assert len(kernels.parse_request_head(head)[3]) == 100
    with pytest.raises(HTTPError) as info:
        kernels.parse_request_head(head + b"X: y\r\n")
    assert info.value.status == 431
    assert len(kernels.parse_request_head(head[:40], max_headers=4)[3]) == 4
    with pytest.raises(HTTPError):
        kernels.parse_request_head(head[:40], max_headers=3)
    with pytest.raises(HTTPError):
        kernels.parse_request_head(head, max_headers=99)
    with pytest.raises(HTTPError):
        kernels.parse_request_head(b"GET / HTTP/1.1\r\nA: b", max_headers=0)


def test_rejects_str(kernels):
    with pytest.raises(TypeError):
        kernels.parse_request_head("GET / HTTP/1.1")
