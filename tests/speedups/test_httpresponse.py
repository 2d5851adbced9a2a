"""The response kernel on both paths: the exact bytes of complete, streaming and error
responses for every kind of request (HTTP/1.1 and 1.0, keep-alive or not, HEAD), what it
tells its channel and when, and the remembered head lines.  Then the two twins against
each other on random responses."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st


class Request(object):
    def __init__(self, minor=1, keep_alive=True, method="GET"):
        self.minor = minor
        self.keep_alive = keep_alive
        self.method = method


class Errors(object):
    def __init__(self, calls):
        self.calls = calls

    def count(self, status):
        self.calls.append(("error", status))


class Site(object):
    def __init__(self, calls):
        self.http_errors = Errors(calls)


class Channel(object):
    """Records what a response asks of its channel, in order."""

    def __init__(self):
        self.calls = []
        self.site = Site(self.calls)

    def write(self, data):
        self.calls.append(("write", data))

    def write_whole_response(self, data):
        self.calls.append(("whole", data))

    def response_finished(self, response, close):
        self.calls.append(("finished", response, close))


def respond(kernels, **request):
    channel = Channel()
    return channel, kernels.Response(channel, Request(**request))


HEAD = b"HTTP/1.1 200 OK\r\nX-Content-Type-Options: nosniff\r\nContent-Type: text/plain\r\n"


def test_complete_response_on_http11_keeps_the_connection(kernels):
    channel, response = respond(kernels)
    response.send(200, [("Content-Type", "text/plain")], b"hello")
    assert channel.calls == [("whole", HEAD + b"Content-Length: 5\r\n\r\nhello"),
                             ("finished", response, False)]
    assert response.started and response.finished


@pytest.mark.parametrize("minor,keep_alive,end,close", [
    (1, False, b"Connection: close\r\n\r\n", True),
    (0, True, b"Connection: keep-alive\r\n\r\n", False),
    (0, False, b"Connection: close\r\n\r\n", True),
])
def test_connection_line_follows_the_request(kernels, minor, keep_alive, end, close):
    channel, response = respond(kernels, minor=minor, keep_alive=keep_alive)
    response.send(200, (("Content-Type", "text/plain"),), b"")
    assert channel.calls == [("whole", HEAD + b"Content-Length: 0\r\n" + end),
                             ("finished", response, close)]


@pytest.mark.parametrize("status", [101, 204, 304])
def test_statuses_without_a_body_have_no_length_and_no_body(kernels, status):
    channel, response = respond(kernels)
    response.send(status, [], b"ignored")
    data = channel.calls[0][1]
    assert data.endswith(b"nosniff\r\n\r\n") and b"Content-Length" not in data


def test_head_request_gets_the_length_without_the_body(kernels):
    channel, response = respond(kernels, method="HEAD")
    response.send(200, [("Content-Type", "text/plain")], b"hello")
    assert channel.calls[0] == ("whole", HEAD + b"Content-Length: 5\r\n\r\n")


@pytest.mark.parametrize("length", [0, 1, 9, 10, 99, 100, 12345, 1 << 20])
def test_content_length_is_the_body_length(kernels, length):
    channel, response = respond(kernels)
    response.send(200, [], bytearray(b"x" * length))  # any bytes-like body
    assert channel.calls[0][1].endswith(b"Content-Length: %d\r\n\r\n%s" % (length, b"x" * length))


def test_errors_are_counted_before_they_are_written(kernels):
    channel, response = respond(kernels)
    response.error_headers = [("Access-Control-Allow-Origin", "*")]
    response.error(404, "Not found.", [("Allow", "GET")])
    assert channel.calls == [
        ("error", 404),
        ("whole", b"HTTP/1.1 404 Not Found\r\nX-Content-Type-Options: nosniff\r\nAllow: GET\r\n"
                  b"Access-Control-Allow-Origin: *\r\nCache-Control: no-store\r\n"
                  b"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 11\r\n\r\n"
                  b"Not found.\n"),
        ("finished", response, False)]


def test_error_that_closes_and_error_without_text(kernels):
    channel, response = respond(kernels)
    response.error(405, "", close=True)
    assert channel.calls[1] == (
        "whole", b"HTTP/1.1 405 Method Not Allowed\r\nX-Content-Type-Options: nosniff\r\n"
                 b"Cache-Control: no-store\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert channel.calls[2] == ("finished", response, True)


def test_streaming_on_http11_is_chunked(kernels):
    channel, response = respond(kernels)
    response.start_streaming(200, [("Content-Type", "text/plain")], b"first")
    response.write(b"abc")
    response.write(b"")  # nothing: an empty chunk would end the body
    response.finish()
    response.write(b"late")  # after the end: dropped
    response.finish()  # once only
    assert channel.calls == [
        ("write", HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"),
        ("write", b"3\r\nabc\r\n"),
        ("write", b"0\r\n\r\n"),
        ("finished", response, False)]


def test_streaming_on_http10_is_raw_and_closes(kernels):
    channel, response = respond(kernels, minor=0)
    response.start_streaming(200, [("Content-Type", "text/plain")])
    response.write(b"abc")
    response.finish()
    assert channel.calls == [("write", HEAD + b"Connection: close\r\n\r\n"),
                             ("write", b"abc"), ("finished", response, True)]


def test_lost_calls_on_lost_once_and_never_after_finish(kernels):
    lost = []
    channel, response = respond(kernels)
    response.on_lost = lambda: lost.append(1)
    response.lost()
    response.lost()
    assert lost == [1] and response.finished and response.on_lost is None
    channel, response = respond(kernels)
    response.on_lost = lambda: lost.append(2)
    response.send(200, [])
    response.lost()
    assert lost == [1] and response.on_lost is None


def test_no_other_attributes(kernels):
    # (slots on the twin, a C struct compiled: an idle response keeps no dict)
    channel, response = respond(kernels)
    with pytest.raises(AttributeError):
        response.anything = 1


def test_head_lines_are_remembered_and_stay_bounded(kernels):
    headers = (("Content-Type", "text/plain"), ("Vary", "Origin"))
    first = kernels.head_lines(204, headers)
    assert first + b"\r\n" == kernels.response_head(204, list(headers))
    assert kernels.head_lines(204, headers) is first
    # Header values can be the client's to choose (an echoed Origin): once there are too
    # many, what was remembered is forgotten.
    from txsockjs._speedups.httpresponse_py import MAX_CACHED_HEADS
    for i in range(MAX_CACHED_HEADS + 1):
        origin = (("Access-Control-Allow-Origin", "http://h%d" % i),)
        assert kernels.head_lines(200, origin).endswith(b"http://h%d\r\n" % i)
    again = kernels.head_lines(204, headers)
    assert again == first and again is not first


def test_pure_cache_never_holds_more_than_its_bound(monkeypatch):
    from txsockjs._speedups import httpresponse_py
    monkeypatch.setattr(httpresponse_py, "MAX_CACHED_HEADS", 4)
    monkeypatch.setattr(httpresponse_py, "_HEAD_LINES", {})
    for i in range(20):
        httpresponse_py.head_lines(200, (("Access-Control-Allow-Origin", "http://h%d" % i),))
        assert len(httpresponse_py._HEAD_LINES) <= 4


def test_chunk(kernels):
    assert kernels.chunk(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
    assert kernels.LAST_CHUNK == b"0\r\n\r\n"


_headers = st.lists(st.tuples(st.sampled_from(["Content-Type", "Vary", "Set-Cookie", "X-A"]),
                              st.text(st.characters(min_codepoint=32, max_codepoint=255),
                                      max_size=12)), max_size=4)
_request = st.builds(Request, minor=st.sampled_from([0, 1]), keep_alive=st.booleans(),
                     method=st.sampled_from(["GET", "POST", "HEAD", "OPTIONS"]))


def _calls(channel, response):
    return [call if call[0] != "finished" else (call[0], call[2]) for call in channel.calls]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=_request, status=st.sampled_from([101, 200, 204, 304, 400, 404, 413, 500, 599]),
       headers=_headers, body=st.binary(max_size=40), how=st.sampled_from(["send", "error",
                                                                         "stream"]),
       pieces=st.lists(st.binary(max_size=8), max_size=3), close=st.booleans())
def test_twins_send_the_same_bytes(twins, request, status, headers, body, how, pieces, close):
    seen = []
    for kernels in twins:
        channel = Channel()
        response = kernels.Response(channel, request)
        if how == "send":
            response.send(status, headers, body)
        elif how == "error":
            response.error(status, body.decode("latin-1"), headers, close=close)
        else:
            response.start_streaming(status, headers, body)
            for piece in pieces:
                response.write(piece)
            response.finish()
        seen.append((_calls(channel, response), response.started, response.finished))
    assert seen[0] == seen[1]


def test_a_head_with_a_long_client_value_is_not_remembered(kernels):
    # An echoed Origin (or Access-Control-Request-Headers) is the client's to choose, up
    # to a whole request head: 256 remembered would stay held long after their clients.
    from txsockjs._speedups.httpresponse_py import MAX_CACHED_HEAD_BYTES
    long = (("Access-Control-Allow-Origin", "http://" + "a" * MAX_CACHED_HEAD_BYTES),)
    first = kernels.head_lines(200, long)
    again = kernels.head_lines(200, long)
    assert again == first and again is not first
    # (a usual head still is)
    short = (("Access-Control-Allow-Origin", "http://short.example"),)
    assert kernels.head_lines(200, short) is kernels.head_lines(200, short)
