"""txsockjs.server.twistedweb.takeover: the twisted.web door hands the request's connection to
our WebSocket.  It reaches under twisted.web (``request.channel`` and that LineReceiver's
hooks), so these tests drive a real twisted.web Site in memory; ./run-tests runs them at both
ends of the Twisted range (the default run and the py3.10-twisted-oldest leg).  Over TLS:
tests/integration/test_web_site.py."""

import pytest
from twisted.internet.defer import Deferred
from twisted.protocols.basic import LineReceiver
from twisted.web.resource import Resource

from txsockjs._speedups import build_frame, websocket_mask
from txsockjs.server.twistedweb import takeover
from txsockjs.web import SockJSResource, SockJSSite

from .helpers import Client, RecorderFactory, request, split_response

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
UPGRADE = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
           ("Sec-WebSocket-Key", KEY), ("Sec-WebSocket-Version", "13")]


def web_site(options=None):
    from twisted.internet.testing import MemoryReactorClock
    clock = MemoryReactorClock()
    app = RecorderFactory(echo=True)
    root = Resource()
    root.putChild(b"echo", SockJSResource(app, options, reactor=clock))
    return SockJSSite(root, reactor=clock), app, clock


def answered_later(pending):
    """An authorize that answers with a Deferred, appended to ``pending`` for the test."""
    return lambda handshake: pending.append(Deferred()) or pending[-1]


def client_frame(payload, opcode=1, mask=b"\x37\xfa\x21\x3d"):
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + websocket_mask(mask, payload)


def opened(client):
    data = client.take()
    assert data.startswith(b"HTTP/1.1 101 "), data
    head, _, rest = data.partition(b"\r\n\r\n")
    return rest


# A frame sent in the same read as the handshake: twisted.web still holds those bytes in the
# channel's line buffer when the resource renders (Twisted 22.10 stays in line mode, where a
# CRLF in them would even be read as the next request line); the takeover must claim them.
@pytest.mark.parametrize("mask", [b"\x37\xfa\x21\x3d", b"\x00\x00\x00\x00"], ids=["masked", "crlf"])
def test_a_frame_in_the_handshake_packet_reaches_the_raw_websocket(mask):
    site, app, clock = web_site()
    client = Client(site)
    text = b"one\r\ntwo\r\n\r\n"  # (with a zero mask these bytes go on the wire as they are)
    client.send(request("GET", "/echo/websocket", headers=UPGRADE) + client_frame(text, mask=mask))
    clock.advance(0)
    assert opened(client) == build_frame(1, text)
    assert app.instances[0].received == [text]
    assert not client.closed


def test_a_frame_in_the_handshake_packet_reaches_the_sockjs_session():
    site, app, clock = web_site()
    client = Client(site)
    client.send(request("GET", "/echo/000/s1/websocket", headers=UPGRADE)
                + client_frame(b'["a\\r\\nb"]', mask=b"\x00\x00\x00\x00"))
    clock.advance(0)
    assert opened(client) == build_frame(1, b"o") + build_frame(1, b'a["a\\r\\nb"]')
    assert app.instances[0].received == [b"a\r\nb"]


def test_hixie76_key_in_the_handshake_packet():
    site, app, clock = web_site()
    client = Client(site)
    client.send(request("GET", "/echo/000/s1/websocket", headers=[
        ("Upgrade", "WebSocket"), ("Connection", "Upgrade"), ("Origin", "http://example.com"),
        ("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5"),
        ("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00")]) + b"^n:ds[4U")
    clock.advance(0)
    data = client.take()
    assert data.startswith(b"HTTP/1.1 101 "), data
    # the answer to the draft's own example keys, then the "o" frame
    assert data.endswith(b"8jKS'y:G*Co,Wxa-" + b"\x00o\xff"), data


def test_async_authorize_with_frames_right_after_the_handshake():
    """The client writes frames before the 101 (authorize has not answered yet): they wait,
    then reach the session in order, once it is admitted."""
    pending = []
    site, app, clock = web_site({"authorize": answered_later(pending)})
    client = Client(site)
    client.send(request("GET", "/echo/000/s1/websocket", headers=UPGRADE)
                + client_frame(b'["one"]'))
    client.send(client_frame(b'["two"]'))
    clock.advance(0)
    assert client.take() == b"" and not app.instances and len(pending) == 1
    client.send(client_frame(b'["three"]'))
    pending[0].callback("user:ada")
    clock.advance(0)
    assert opened(client) == build_frame(1, b"o") + build_frame(1, b'a["one","two","three"]')
    assert app.instances[0].received == [b"one", b"two", b"three"]
    client.send(client_frame(b'["four"]'))
    clock.advance(0)
    assert client.take() == build_frame(1, b'a["four"]')


def test_async_authorize_refusal_closes_the_connection_and_drops_the_frames():
    pending = []
    site, app, clock = web_site({"authorize": answered_later(pending)})
    client = Client(site)
    client.send(request("GET", "/echo/websocket", headers=UPGRADE) + client_frame(b"early"))
    pending[0].callback(False)
    clock.advance(0)
    status, headers, body = split_response(client.take())
    assert status == 403
    assert client.closed and not app.instances


def test_a_request_that_came_over_http2_is_refused_with_400():
    """twisted.web's h2 support gives its requests ``clientproto`` b"HTTP/2" and a channel
    (an H2Stream) that cannot be taken over: the handshake gets a 400 saying why, and the
    client falls back (/info still says websocket: true, as the same service on HTTP/1.1
    has it)."""
    from twisted.web.server import Request

    class OverHTTP2(Request):
        def requestReceived(self, command, path, version):
            Request.requestReceived(self, command, path, b"HTTP/2")

    site, app, clock = web_site()
    site.requestFactory = OverHTTP2
    client = Client(site)
    client.send(request("GET", "/echo/websocket", headers=UPGRADE))
    clock.advance(0)
    data = client.take()
    assert b" 400 " in data.split(b"\r\n", 1)[0], data
    assert data.endswith(b"\r\n\r\nWebSocket needs HTTP/1.1 (this request came over HTTP/2).\n"), data
    assert not app.instances


class _Request(object):
    """What :func:`takeover.unavailable` reads of a twisted.web request."""

    def __init__(self, clientproto, channel):
        self.clientproto = clientproto
        self.channel = channel


class _H2Stream(object):
    """Like twisted.web's H2Stream: a request's channel that is no LineReceiver."""

    transport = object()


def test_unavailable_says_why():
    line_channel = LineReceiver()
    line_channel.transport = object()
    assert takeover.unavailable(_Request(b"HTTP/1.1", line_channel)) is None
    assert takeover.unavailable(_Request(b"HTTP/1.0", line_channel)) is None
    assert takeover.unavailable(_Request(b"HTTP/2", _H2Stream())) == (
        "WebSocket needs HTTP/1.1 (this request came over HTTP/2).")
    assert takeover.unavailable(_Request(b"HTTP/1.1", _H2Stream())) == (
        "WebSocket is not available through this twisted.web version.")
    gone = LineReceiver()  # a channel whose connection is already gone
    assert takeover.unavailable(_Request(b"HTTP/1.1", gone)) == (
        "WebSocket is not available through this twisted.web version.")


def test_a_client_sending_while_authorize_runs_stops_being_read():
    """What comes before the session is admitted waits in memory: past MAX_PENDING the
    socket is no longer read (as our own channel's MAX_PIPELINED), and once admitted every
    frame still arrives, in order, and reading resumes."""
    pending = []
    site, app, clock = web_site({"authorize": answered_later(pending),
                                 "max_message_size": 1 << 20})
    client = Client(site)
    client.send(request("GET", "/echo/websocket", headers=UPGRADE))
    clock.advance(0)
    chunk = b"x" * 60000
    frame = bytes([0x81, 0xFE]) + len(chunk).to_bytes(2, "big") + b"\x00" * 4 + chunk
    sent = 0
    while client.transport.producerState == "producing":
        client.send(frame)
        sent += 1
        assert sent * len(frame) <= takeover.MAX_PENDING + len(frame), "still reading"
    assert sent == takeover.MAX_PENDING // len(frame) + 1
    pending[0].callback(True)
    clock.advance(0)
    assert opened(client) == build_frame(1, chunk) * sent
    assert app.instances[0].received == [chunk] * sent
    assert client.transport.producerState == "producing"
