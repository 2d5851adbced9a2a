"""The compiled request reader against its pure twin, on random streams: the same requests
(every field), the same refusal (status and reason) at the same point, the same bytes left
over, whatever the split of the stream into reads.  A difference is a bug in one of them."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from txsockjs._speedups import HTTPError, httpreader_py

compiled = pytest.importorskip("txsockjs._speedups.httpreader_c",
                               reason="compiled kernels are not built")

PIECES = [
    b"GET /echo/info?t=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"POST /echo/1/2/xhr_send HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n[\"hi\"]\n",
    b"POST /echo/1/2/xhr HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nT: 1\r\n\r\n",
    b"GET http://h/x?y HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
    b"GET / HTTP/1.0\nConnection: keep-alive\n\n",
    b"GET /websocket HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n12345",
    b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\n123456",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n0\r\n\r\n",
    b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n",
    b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n",
    b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0009\r\n\r\n123456789",
    b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
    b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n",
    b"\r\n", b"\n",
    # faults
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: \xc2\xb2\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"GARBAGE\r\n", b"GET /" + b"a" * 300 + b" HTTP/1.1\r\n",
]


def run(reader_class, pieces, limits):
    """What the reader makes of ``pieces``: (requests, refusal, left over)."""
    reader = reader_class(**limits)
    requests = []
    try:
        for piece in pieces:
            reader.feed(piece)
            while True:
                request = reader.next_request()
                if request is None:
                    break
                requests.append((request.method, request.target, request.path, request.query,
                                 request.minor, request.headers, request.body, request.keep_alive,
                                 request.head, repr(request), reader.continue_expected))
            requests.append(("after read", reader.buffered, reader.continue_expected,
                             reader.mid_request))
    except HTTPError as error:
        return requests, (error.status, error.reason), None
    return requests, None, reader.take_buffered()


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES) | st.binary(max_size=40), max_size=6),
       st.lists(st.integers(0, 2000), max_size=8),
       st.sampled_from([{}, {"max_body": 5}, {"max_head": 60, "max_request_line": 40},
                        {"max_body": (1 << 63) - 1}, {"max_body": 0}]))
def test_the_readers_agree(parts, cuts, limits):
    stream = b"".join(parts)
    cuts = sorted(cut for cut in cuts if cut <= len(stream))
    pieces = [stream[a:b] for a, b in zip([0] + cuts, cuts + [len(stream)])]
    assert run(compiled.RequestReader, pieces, limits) == \
        run(httpreader_py.RequestReader, pieces, limits)


def test_a_request_made_directly_is_the_same():
    made = [cls.Request("GET", "http://h/p?q=1&q=2", 0, {"connection": "Keep-Alive, x"},
                        b"body", b"head") for cls in (compiled, httpreader_py)]
    assert [(r.method, r.target, r.path, r.query, r.minor, r.headers, r.body, r.head,
             r.keep_alive, r.query_param("q"), r.query_param("z"), repr(r)) for r in made] == \
        [("GET", "http://h/p?q=1&q=2", "/p", "q=1&q=2", 0, {"connection": "Keep-Alive, x"},
          b"body", b"head", True, "1", None, "<Request GET http://h/p?q=1&q=2 HTTP/1.0>")] * 2
