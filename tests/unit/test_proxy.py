"""The TCP proxy's two sides, driven in memory."""

import base64

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.internet.testing import StringTransport
from twisted.logger import Logger
from twisted.python.failure import Failure

from tests.unit.helpers import FakeSessionTransport
from txsockjs.proxy import (
    CLOSE_BAD_BASE64, CLOSE_PENDING_FULL, CLOSE_UNREACHABLE, ProxyFactory,
)


class FakeEndpoint(object):
    def __init__(self):
        self.attempts = []
        self.cancelled = []

    def connect(self, factory):
        attempt = Deferred(lambda d: self.cancelled.append(d))
        self.attempts.append((attempt, factory))
        return attempt

    def succeed(self):
        attempt, factory = self.attempts[-1]
        protocol = factory.buildProtocol(None)
        upstream = StringTransport()
        protocol.makeConnection(upstream)
        attempt.callback(protocol)
        return protocol, upstream


def bridge(encoding="text", pending_limit=1 << 20):
    endpoint = FakeEndpoint()
    factory = ProxyFactory(endpoint, encoding, pending_limit)
    proxy = factory.buildProtocol(None)
    session = FakeSessionTransport()
    proxy.makeConnection(session)
    return proxy, session, endpoint


def test_messages_before_the_connection_are_kept_in_order():
    proxy, session, endpoint = bridge()
    proxy.dataReceived(b"one\n")
    proxy.dataReceived("\u20ac\n".encode("utf-8"))
    _, upstream = endpoint.succeed()
    assert upstream.value() == "one\n\u20ac\n".encode("utf-8")
    proxy.dataReceived(b"three\n")
    assert upstream.value() == "one\n\u20ac\nthree\n".encode("utf-8")


def test_too_much_before_the_connection_closes_the_session():
    proxy, session, endpoint = bridge(pending_limit=10)
    proxy.dataReceived(b"x" * 10)
    assert session.closed is None
    proxy.dataReceived(b"y")
    assert session.closed == CLOSE_PENDING_FULL
    proxy.connectionLost(Failure(ConnectionDone()))
    assert endpoint.cancelled, "the connection attempt is abandoned"


def test_what_waits_for_the_connection_costs_its_bytes_not_an_object_a_message():
    """Many small messages before the connection: held as the bytes they are (a list of
    them cost some 50 bytes of memory a message: 500,000 two-byte messages held 29 MB),
    and written upstream in order, in one write."""
    import tracemalloc
    proxy, session, endpoint = bridge()
    count = 20_000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(count):
            proxy.dataReceived(b"%05d" % number)    # (each a new object, as from a client)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 2 * 5 * count       # (a list of them: over 10 bytes of memory a byte)
    _, upstream = endpoint.succeed()
    assert upstream.value() == b"".join(b"%05d" % number for number in range(count))


def test_unreachable_service_closes_with_a_reason():
    proxy, session, endpoint = bridge()
    endpoint.attempts[-1][0].errback(ConnectionRefusedError())
    assert session.closed == CLOSE_UNREACHABLE


def test_a_session_that_ends_while_connecting_cancels_the_attempt():
    proxy, session, endpoint = bridge()
    proxy.connectionLost(Failure(ConnectionDone()))
    assert len(endpoint.cancelled) == 1
    assert session.closed is None


def test_each_read_is_one_message_and_utf8_split_across_reads_is_whole():
    proxy, session, endpoint = bridge()
    tcp, _ = endpoint.succeed()
    for piece in (b"caf\xc3", b"\xa9 \xe2\x82", b"\xac!", b"\xf0\x9f", b"\x98\x80"):
        tcp.dataReceived(piece)
    assert session.messages == ["caf", "\u00e9 ", "\u20ac!", "\U0001f600"]


def test_invalid_utf8_is_replaced_and_logged_once():
    proxy, session, endpoint = bridge()
    events = []
    proxy.log = Logger(observer=events.append)
    tcp, _ = endpoint.succeed()
    tcp.dataReceived(b"a\xffb")
    tcp.dataReceived(b"\xc3(")
    tcp.dataReceived(b"\xe2\x82")  # incomplete at the end of the stream
    assert session.messages == ["a\ufffdb", "\ufffd("]
    assert ["not UTF-8" in event["log_format"] for event in events] == [True]
    tcp.connectionLost(Failure(ConnectionDone()))
    assert session.messages[-1] == "\ufffd"
    assert session.closed == (3000, "Go away!")


@pytest.mark.parametrize("chunk", [b"\xff" * 65536, b"a\xc3(" * 20000,
                                   b"\xe2\x82" * 30000 + b"ok"])
def test_a_read_of_bad_bytes_is_replaced_as_python_does_in_one_pass(chunk):
    """Found in review: each bad byte was found, sliced off and the rest decoded again,
    0.13 s for one 64 KiB read of them (quadratic).  Now one pass; the text is Python's
    "replace" of the same bytes (an incomplete character at the end waits)."""
    from txsockjs.proxy import Utf8Reader
    seen = []
    reader = Utf8Reader(lambda: seen.append(1))
    text = reader.decode(chunk) + reader.decode(b"", final=True)
    assert text == chunk.decode("utf-8", "replace") and seen


def test_base64_both_ways_and_bad_base64_closes():
    proxy, session, endpoint = bridge("base64")
    tcp, upstream = endpoint.succeed()
    proxy.dataReceived(base64.b64encode(b"\x00\xff\x80"))
    assert upstream.value() == b"\x00\xff\x80"
    tcp.dataReceived(b"\xc3")
    assert session.messages == ["ww=="]
    proxy.dataReceived(b"not base64!")
    assert session.closed == CLOSE_BAD_BASE64
    assert upstream.disconnecting


def test_flow_control_both_ways():
    proxy, session, endpoint = bridge()
    tcp, upstream = endpoint.succeed()
    # the browser side can pause reading from the TCP service ...
    assert session.producer is upstream
    # ... and the TCP connection can pause delivery of client messages
    assert upstream.producer is proxy and upstream.streaming
    proxy.pauseProducing()
    assert session.paused
    proxy.resumeProducing()
    assert not session.paused


def test_either_close_closes_the_other():
    proxy, session, endpoint = bridge()
    tcp, upstream = endpoint.succeed()
    proxy.connectionLost(Failure(ConnectionDone()))
    assert upstream.disconnecting

    proxy, session, endpoint = bridge()
    tcp, upstream = endpoint.succeed()
    tcp.connectionLost(Failure(ConnectionDone()))
    assert session.closed == (3000, "Go away!") and session.producer is None


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError, match="encoding"):
        ProxyFactory(FakeEndpoint(), "rot13")
