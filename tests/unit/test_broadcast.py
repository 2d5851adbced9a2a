import pytest

from tests.unit.helpers import Client, make_site, request, split_response
from txsockjs._speedups import build_frame
from txsockjs.utils import broadcast


def open_websocket(site, sid):
    client = Client(site)
    client.send(request("GET", "/000/%s/websocket" % sid, headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]))
    client.take()
    return client


def test_broadcast_reaches_every_transport_in_order():
    site, app, clock = make_site(echo=False)
    sockets = [open_websocket(site, "w%d" % n) for n in range(3)]
    poller = Client(site)
    poller.send(request("POST", "/000/p1/xhr", b""))
    poller.take()
    transports = [protocol.transport for protocol in app.instances]
    # one session already has something queued: the broadcast must not overtake it
    transports[0].write(b"first")
    broadcast(b"to all \xe2\x9c\x93", transports)
    clock.advance(0)
    wire = build_frame(1, 'a["to all \u2713"]'.encode("utf-8"))
    assert sockets[0].take() == build_frame(1, 'a["first","to all \u2713"]'.encode("utf-8"))
    assert sockets[1].take() == wire and sockets[2].take() == wire
    again = Client(site)
    again.send(request("POST", "/000/p1/xhr", b""))
    assert split_response(again.take())[2] == 'a["to all \u2713"]\n'.encode("utf-8")


def test_broadcast_takes_bytes_only():
    with pytest.raises(TypeError):
        broadcast("text", [])
    with pytest.raises(UnicodeDecodeError):
        broadcast(b"\xff", [])


def test_broadcast_skips_closed_sessions_and_writes_to_plain_transports():
    from twisted.internet.testing import StringTransport
    site, app, clock = make_site(echo=False)
    socket = open_websocket(site, "w1")
    app.instances[0].transport.loseConnection()
    socket.take()
    plain = StringTransport()
    broadcast(b"x", [app.instances[0].transport, plain])
    clock.advance(0)
    assert socket.take() == b""
    assert plain.value() == b"x"


def test_broadcast_answers_a_held_poll_and_writes_to_a_stream():
    site, app, clock = make_site(echo=False)
    socket = open_websocket(site, "w1")
    poller = Client(site)
    poller.send(request("POST", "/000/p1/xhr", b""))
    poller.take()  # the "o" frame ends the first poll
    poller.send(request("POST", "/000/p1/xhr", b""))  # held: the session's receiver
    streamer = Client(site)
    streamer.send(request("POST", "/000/s1/xhr_streaming", b""))
    streamer.take()  # the head, the prelude and the "o" frame
    transports = [protocol.transport for protocol in app.instances]
    broadcast(b"one", transports)
    clock.advance(0)
    assert split_response(poller.take())[2] == b'a["one"]\n'
    assert streamer.take() == b'9\r\na["one"]\n\r\n'  # (one chunk)
    assert socket.take() == build_frame(1, b'a["one"]')
    # the poll was done with the frame: the next broadcast waits for the next poll
    broadcast(b"two", transports)
    clock.advance(0)
    assert poller.take() == b""
    assert streamer.take() == b'9\r\na["two"]\n\r\n'
    poller.send(request("POST", "/000/p1/xhr", b""))
    assert split_response(poller.take())[2] == b'a["two"]\n'
