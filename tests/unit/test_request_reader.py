"""The incremental HTTP/1.x request reader, fed in memory: whole, byte by byte, in random
splits; its limits; the request-smuggling cases it must refuse; pipelining.  On every
kernel: the pure reader with either head parser, and the compiled reader (which uses the
compiled head parser); tests/unit/test_request_reader_twins.py compares the two readers
on random input."""

import importlib
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from txsockjs._speedups import HTTPError, httphead_py, httpreader_py

RequestReader = httpreader_py.RequestReader


@pytest.fixture(params=["pure reader, pure head", "pure reader, compiled head",
                        "compiled reader"])
def kernel(request, monkeypatch):
    """Point this module's RequestReader at one reader (and the pure reader at one head
    parser); the compiled legs are skipped when the kernels are not built."""
    module = sys.modules[__name__]
    head = httphead_py
    try:
        if request.param != "pure reader, pure head":
            head = importlib.import_module("txsockjs._speedups.httphead_c")
        if request.param == "compiled reader":
            compiled = importlib.import_module("txsockjs._speedups.httpreader_c")
            monkeypatch.setattr(module, "RequestReader", compiled.RequestReader)
    except ImportError:
        pytest.skip("compiled kernels are not built")
    for name in ("parse_request_head", "find_head_end"):
        monkeypatch.setattr(httpreader_py, name, getattr(head, name))
    return request.param


pytestmark = pytest.mark.usefixtures("kernel")

GET = b"GET /echo/info?t=1 HTTP/1.1\r\nHost: example.com\r\nX-Two: a\r\nx-two: b\r\n\r\n"
POST = b"POST /echo/1/2/xhr_send HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n[\"hi\"]\n"
CHUNKED = (b"POST /echo/1/2/xhr_send HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"3;ext=1\r\n[\"h\r\n4\r\ni\"]\n\r\n0\r\nX-Trailer: yes\r\n\r\n")
OLD = b"GET / HTTP/1.0\n\n"  # (bare LF line ends, as RFC 9112 lets a server accept)
STREAM = GET + POST + b"\r\n" + CHUNKED + OLD  # (an empty line between requests is tolerated)


def facts(request):
    return (request.method, request.target, request.path, request.query, request.minor,
            request.headers, request.body, request.keep_alive)


EXPECTED = [
    ("GET", "/echo/info?t=1", "/echo/info", "t=1", 1, {"host": "example.com", "x-two": "a, b"},
     b"", True),
    ("POST", "/echo/1/2/xhr_send", "/echo/1/2/xhr_send", "", 1,
     {"host": "h", "content-length": "7"}, b'["hi"]\n', True),
    ("POST", "/echo/1/2/xhr_send", "/echo/1/2/xhr_send", "", 1,
     {"host": "h", "transfer-encoding": "chunked"}, b'["hi"]\n', True),
    ("GET", "/", "/", "", 0, {}, b"", False),
]


def read(reader, pieces):
    """Feed ``pieces`` one at a time, taking every request that is complete after each."""
    requests = []
    for piece in pieces:
        reader.feed(piece)
        while True:
            request = reader.next_request()
            if request is None:
                break
            requests.append(facts(request))
    return requests


def refused(data, status, **limits):
    """Feeding ``data`` (whole, then byte by byte) is refused with ``status``."""
    for pieces in ([data], [data[i:i + 1] for i in range(len(data))]):
        with pytest.raises(HTTPError) as raised:
            read(RequestReader(**limits), pieces)
        assert raised.value.status == status, raised.value
    return raised.value


def test_pipelined_requests_in_one_read():
    reader = RequestReader()
    assert read(reader, [STREAM]) == EXPECTED
    assert reader.buffered == 0 and reader.next_request() is None


def test_byte_by_byte():
    assert read(RequestReader(), [STREAM[i:i + 1] for i in range(len(STREAM))]) == EXPECTED


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, len(STREAM)), max_size=12))
def test_any_split(cuts):
    cuts = sorted(cuts)
    pieces = [bytearray(STREAM[a:b]) for a, b in zip([0] + cuts, cuts + [len(STREAM)])]
    assert read(RequestReader(), pieces) == EXPECTED


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200) | st.builds(lambda a, b: a + b, st.sampled_from(
    [GET, POST, CHUNKED, OLD, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"]),
    st.binary(max_size=60)))
def test_any_input_is_requests_or_an_http_error(data):
    try:
        read(RequestReader(), [data])
    except HTTPError as error:
        assert 400 <= error.status < 600


@pytest.mark.parametrize("head, keep_alive", [
    (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", True),
    (b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, close\r\n\r\n", False),
    (b"GET / HTTP/1.0\r\n\r\n", False),
    (b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", True),
])
def test_keep_alive(head, keep_alive):
    [request] = read(RequestReader(), [head])
    assert request[-1] is keep_alive


@pytest.mark.parametrize("target, path, query", [
    (b"http://example.com/echo/info?x", "/echo/info", "x"),
    (b"https://example.com", "/", ""),
])
def test_absolute_form_target(target, path, query):
    [request] = read(RequestReader(), [b"GET " + target + b" HTTP/1.1\r\nHost: h\r\n\r\n"])
    assert request[2:4] == (path, query)


def test_what_follows_an_upgrade_is_left_for_the_websocket():
    reader = RequestReader()
    reader.feed(b"GET /echo/websocket HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\n\r\n\x81\x85frame")
    assert reader.next_request().path == "/echo/websocket"
    assert reader.take_buffered() == b"\x81\x85frame"
    assert reader.buffered == 0


def test_expect_100_continue_is_told_until_the_body_is_read():
    reader = RequestReader()
    reader.feed(b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n")
    assert reader.next_request() is None
    assert reader.continue_expected
    reader.feed(b"ok")
    assert reader.next_request().body == b"ok"
    assert not reader.continue_expected
    reader.feed(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    assert reader.next_request() is None and not reader.continue_expected


def test_a_bad_request_line_is_refused_before_the_head_ends():
    reader = RequestReader()
    reader.feed(b"GET /\r\n")  # (no blank line yet: it might never come)
    with pytest.raises(HTTPError) as raised:
        reader.next_request()
    assert raised.value.status == 400


# -- limits -------------------------------------------------------------------------------

@pytest.mark.parametrize("data, status, limits", [
    (b"GET /" + b"a" * 100, 414, {"max_request_line": 64}),  # no line end yet
    (b"GET /" + b"a" * 100 + b" HTTP/1.1\r\n", 414, {"max_request_line": 64}),
    (b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"a" * 300, 431, {"max_head": 256}),
    (b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"a" * 300 + b"\r\n\r\n", 431, {"max_head": 256}),
    (b"GET / HTTP/1.1\r\nHost: h\r\n" + b"X: a\r\n" * 100 + b"\r\n", 431, {}),
    (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", 413, {"max_body": 10}),
    (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\naaaaaa\r\n5\r\n",
     413, {"max_body": 10}),
    (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 2000,
     400, {}),  # a chunk line that never ends
])
def test_limits(data, status, limits):
    refused(data, status, **limits)


def test_a_content_length_of_thousands_of_digits():
    # Found by the red team: the pure reader's int() refused more than 4300 digits
    # (ValueError: an unhandled error, the connection dropped without an answer).
    head = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %s\r\n\r\n"
    [request] = read(RequestReader(), [head % (b"0" * 5000 + b"5") + b"12345"])
    assert request[6] == b"12345"
    refused(head % (b"1" + b"0" * 5000), 413)
    refused(head % (b"9" * 5000), 413)


def test_exactly_the_limits_pass():
    def head(path_length):  # (a request line of path_length + 15 bytes with its CRLF)
        return (b"GET /" + b"a" * path_length + b" HTTP/1.1\r\n"
                b"Host: h\r\nContent-Length: 10\r\n\r\n")
    limits = {"max_request_line": 63, "max_head": len(head(48)), "max_body": 10}
    [request] = read(RequestReader(**limits), [head(48) + b"a" * 10])
    assert request[6] == b"a" * 10
    refused(head(49) + b"a" * 10, 414, **dict(limits, max_head=999))
    refused(head(48)[:-2] + b"X: 1\r\n\r\n" + b"a" * 10, 431, **dict(limits, max_request_line=99))
    chunked = (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"6\r\naaaaaa\r\n4\r\naaaa\r\n0\r\n\r\n")
    assert read(RequestReader(max_body=10), [chunked])[0][6] == b"a" * 10


# -- request smuggling and other ambiguity: refused, never guessed ------------------------

SMUGGLING = {
    "two Content-Lengths": (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400),
    "a Content-Length list": (b"Content-Length: 5, 5\r\n", 400),
    "Content-Length with a sign": (b"Content-Length: +5\r\n", 400),
    "Content-Length in hex": (b"Content-Length: 0x5\r\n", 400),
    "negative Content-Length": (b"Content-Length: -1\r\n", 400),
    "Content-Length in Latin-1 digits": (b"Content-Length: \xb2\r\n", 400),
    "Content-Length with a digit separator": (b"Content-Length: 1_0\r\n", 400),
    "empty Content-Length": (b"Content-Length: \r\n", 400),
    "Content-Length and Transfer-Encoding": (
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400),
    "an encoding before chunked": (b"Transfer-Encoding: gzip, chunked\r\n", 501),
    "chunked twice": (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 501),
    "chunked, misspelt": (b"Transfer-Encoding: xchunked\r\n", 501),
    "two Hosts": (b"Host: other\r\n", 400),
    "space before the colon": (b"Content-Length : 5\r\n", 400),
    "obsolete line folding": (b"X-A: 1\r\n Transfer-Encoding: chunked\r\n", 400),
    "a bare CR": (b"X-A: 1\rTransfer-Encoding: chunked\r\n", 400),
}


@pytest.mark.parametrize("fields, status", SMUGGLING.values(), ids=list(SMUGGLING))
def test_ambiguous_heads_are_refused(fields, status):
    refused(b"POST / HTTP/1.1\r\nHost: h\r\n" + fields + b"\r\nhello", status)


def test_transfer_encoding_in_http_1_0_is_refused():
    refused(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)


def test_a_repeated_equal_content_length_is_one():
    [request] = read(RequestReader(), [
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"])
    assert request[6] == b"ok"


BAD_CHUNKS = {
    "hex prefix": b"0x5\r\nhello\r\n0\r\n\r\n",
    "sign": b"+5\r\nhello\r\n0\r\n\r\n",
    "negative": b"-5\r\nhello\r\n0\r\n\r\n",
    "space before": b" 5\r\nhello\r\n0\r\n\r\n",
    "space after": b"5 \r\nhello\r\n0\r\n\r\n",
    "empty size": b"\r\nhello\r\n0\r\n\r\n",
    "not hex": b"g\r\nhello\r\n0\r\n\r\n",
    "17 digits": b"00000000000000005\r\nhello\r\n0\r\n\r\n",
    "bare LF after the size": b"5\nhello\r\n0\r\n\r\n",
    "CR inside an extension": b"5;a\rb\r\nhello\r\n0\r\n\r\n",
    "data longer than its size": b"5\r\nhello!\r\n0\r\n\r\n",
    "data shorter than its size": b"6\r\nhello\r\n0\r\n\r\n",
    "bare LF after the data": b"5\r\nhello\n0\r\n\r\n",
    "a malformed trailer": b"5\r\nhello\r\n0\r\nno colon\r\n\r\n",
}


@pytest.mark.parametrize("body", BAD_CHUNKS.values(), ids=list(BAD_CHUNKS))
def test_bad_chunks_are_refused(body):
    refused(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + body
            + b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400)


def test_a_huge_chunk_size_is_refused_by_the_body_limit():
    refused(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"ffffffffffffffff\r\n", 413)


@pytest.mark.parametrize("head", [
    b"GET / HTTP/1.1\r\n\r\n",  # no Host in HTTP/1.1
    b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
    b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
])
def test_malformed_heads_are_refused(head):
    refused(head, 400)


def test_other_http_versions_are_refused():
    refused(b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505)
