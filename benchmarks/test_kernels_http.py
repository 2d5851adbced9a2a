"""HTTP request heads: txsockjs compiled and pure vs httptools (llhttp) and h11.

Every implementation gets the full request bytes and must hand back the
method, the target, the version and every header (name and value); txsockjs
includes finding the end of the head.  The xhr_send request carries its
9-byte body so that keep-alive parsers see complete messages.
"""

import importlib

import pytest

from conftest import load_compiled, record
from txsockjs._speedups import httphead_py

COMPILED = load_compiled()

REQUESTS = {
    "websocket upgrade (11 headers)": (
        b"GET /echo/123/abcdefgh/websocket HTTP/1.1\r\n"
        b"Host: localhost:8081\r\n"
        b"Connection: Upgrade\r\n"
        b"Pragma: no-cache\r\n"
        b"Cache-Control: no-cache\r\n"
        b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        b"Chrome/120.0.0.0 Safari/537.36\r\n"
        b"Upgrade: websocket\r\n"
        b"Origin: http://localhost:8080\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"Accept-Encoding: gzip, deflate, br\r\n"
        b"Accept-Language: en-US,en;q=0.9\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"\r\n"),
    "xhr_send (4 headers)": (
        b"POST /echo/123/abcdefgh/xhr_send HTTP/1.1\r\n"
        b"Host: localhost:8081\r\n"
        b"Content-Length: 9\r\n"
        b"Content-Type: text/plain;charset=UTF-8\r\n"
        b"Origin: http://localhost:8080\r\n"
        b"\r\n"
        b'["hello"]'),
}


def txsockjs(parse):
    def run(data):
        end = data.find(b"\r\n\r\n")
        return parse(data[:end + 2])
    return run


def httptools_factory():
    import httptools

    class Protocol:
        def __init__(self):
            self.headers = []
            self.url = None

        def on_url(self, url):
            self.url = url

        def on_header(self, name, value):
            self.headers.append((name, value))

    protocol = Protocol()
    state = [httptools.HttpRequestParser(protocol)]
    upgrade = httptools.HttpParserUpgrade

    def run(data):
        """A keep-alive parser fed request after request; one that has seen
        an upgrade is spent and replaced, as a server must."""
        protocol.headers = []
        parser = state[0]
        try:
            parser.feed_data(data)
        except upgrade:
            state[0] = httptools.HttpRequestParser(protocol)
        return (parser.get_method(), protocol.url, parser.get_http_version(), protocol.headers)
    return run


def h11_factory():
    import h11

    def run(data):
        connection = h11.Connection(h11.SERVER)
        connection.receive_data(data)
        return connection.next_event()
    return run


def impls():
    out = {}
    if COMPILED:
        out["txsockjs-compiled"] = txsockjs(COMPILED[3].parse_request_head)
    out["txsockjs-pure"] = txsockjs(httphead_py.parse_request_head)
    for name, factory in (("httptools", httptools_factory), ("h11", h11_factory)):
        try:
            out[name] = factory()
        except ImportError:
            pass
    return out


IMPLS = impls()
GOALS = {
    "txsockjs-compiled": [("httptools", 1.0)],
    "txsockjs-pure": [("h11", 1.0)],
}


@pytest.mark.parametrize("request_name", list(REQUESTS))
@pytest.mark.parametrize("impl", list(IMPLS))
def test_parse_head(benchmark, impl, request_name):
    data = REQUESTS[request_name]
    run = IMPLS[impl]
    run(data)
    record(benchmark, "http head: %s" % request_name, impl, 1, "req", GOALS.get(impl, ()))
    benchmark(run, data)


# The whole request reader (``RequestReader``: feed, find the head's end, parse it, check
# the framing, take the body, make the Request) against httptools fed the same bytes and
# keeping what a server keeps (method, target, version, headers, body).
def reader(module):
    reader = module.RequestReader()

    def run(data):
        reader.feed(data)
        return reader.next_request()
    return run


def httptools_reader_factory():
    import httptools

    class Protocol:
        def __init__(self):
            self.headers = []
            self.url = None
            self.body = []

        def on_url(self, url):
            self.url = url

        def on_header(self, name, value):
            self.headers.append((name, value))

        def on_body(self, body):
            self.body.append(body)

    protocol = Protocol()
    parser = httptools.HttpRequestParser(protocol)

    def run(data):
        protocol.headers = []
        protocol.body = []
        parser.feed_data(data)
        return (parser.get_method(), protocol.url, parser.get_http_version(), protocol.headers,
                b"".join(protocol.body))
    return run


def reader_impls():
    from txsockjs._speedups import httpreader_py
    out = {}
    if COMPILED:
        out["txsockjs-compiled"] = reader(importlib.import_module(
            "txsockjs._speedups.httpreader_c"))
    out["txsockjs-pure"] = reader(httpreader_py)
    try:
        out["httptools"] = httptools_reader_factory()
    except ImportError:
        pass
    return out


READERS = reader_impls()


@pytest.mark.parametrize("impl", list(READERS))
def test_read_xhr_send_request(benchmark, impl):
    data = REQUESTS["xhr_send (4 headers)"]
    run = READERS[impl]
    assert run(data) is not None
    record(benchmark, "http request read: xhr_send (4 headers)", impl, 1, "req",
           {"txsockjs-compiled": [("httptools", 1.0)]}.get(impl, ()))
    benchmark(run, data)


# What every RFC 6455 handshake is checked for, and its accept value (the handshake kernel:
# ``upgrade_refusal`` then ``rfc6455_accept``), on a browser's headers as the reader gives
# them.  The pure twin is the code the open path ran before the kernel (str methods,
# binascii's strict base64 and hashlib's OpenSSL SHA-1).
def handshake_check(module):
    def run(headers):
        return module.upgrade_refusal(headers, 1, b"") or module.rfc6455_accept(headers)
    return run


def handshake_impls():
    from txsockjs._speedups import wshandshake_py
    out = {}
    if COMPILED:
        out["txsockjs-compiled"] = handshake_check(importlib.import_module(
            "txsockjs._speedups.wshandshake_c"))
    out["txsockjs-pure"] = handshake_check(wshandshake_py)
    return out


HANDSHAKES = handshake_impls()


@pytest.mark.parametrize("impl", list(HANDSHAKES))
def test_websocket_handshake_check(benchmark, impl):
    headers = httphead_py.parse_request_head(
        REQUESTS["websocket upgrade (11 headers)"].split(b"\r\n\r\n")[0] + b"\r\n")[3]
    run = HANDSHAKES[impl]
    assert run(headers) == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    record(benchmark, "websocket handshake: checks and accept value", impl, 1, "handshake",
           {"txsockjs-compiled": [("txsockjs-pure", 2.5)]}.get(impl, ()))
    benchmark(run, headers)


# A complete response as a poll's is answered (the response kernel: made for the request,
# its head from the remembered lines, its Content-Length, its body, and finished), on a
# channel that only takes the bytes.  The pure twin is the code every response ran before.
class _Request(object):
    minor, keep_alive, method = 1, True, "POST"


class _Channel(object):
    def write_whole_response(self, data):
        self.data = data

    def response_finished(self, response, close):
        pass


def complete_response(module):
    channel, request = _Channel(), _Request()
    headers = [("Content-Type", "application/javascript;charset=UTF-8"),
               ("Cache-Control", "no-store, no-cache, no-transform, must-revalidate, max-age=0"),
               ("Access-Control-Allow-Origin", "http://localhost:8080"),
               ("Access-Control-Allow-Credentials", "true")]

    def run(body):
        module.Response(channel, request).send(200, headers, body)
        return channel.data
    return run


def response_impls():
    from txsockjs._speedups import httpresponse_py
    out = {}
    if COMPILED:
        out["txsockjs-compiled"] = complete_response(importlib.import_module(
            "txsockjs._speedups.httpresponse_c"))
    out["txsockjs-pure"] = complete_response(httpresponse_py)
    return out


RESPONSES = response_impls()


@pytest.mark.parametrize("impl", list(RESPONSES))
def test_complete_response(benchmark, impl):
    run = RESPONSES[impl]
    assert run(b'a["hello"]\n').endswith(b'Content-Length: 11\r\n\r\na["hello"]\n')
    record(benchmark, "http response: a poll's, complete", impl, 1, "response",
           {"txsockjs-compiled": [("txsockjs-pure", 1.8)]}.get(impl, ()))
    benchmark(run, b'a["hello"]\n')
