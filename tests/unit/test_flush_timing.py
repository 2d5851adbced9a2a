"""When the sessions' output leaves: at the end of the read that caused it
(one frame and one write per read), else on the next reactor turn."""

from txsockjs._speedups import build_frame

from tests.unit.helpers import Client, make_site, request, split_response
from tests.unit.test_site import _client_frame, poll


def websocket(site):
    client = Client(site)
    client.send(request("GET", "/000/s1/websocket", headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]))
    assert client.take().endswith(b"\x81\x01o")
    return client


def test_an_echo_leaves_before_the_read_returns_with_no_reactor_turn():
    site, app, clock = make_site()
    client = websocket(site)
    client.send(_client_frame(1, b'["hi"]'))
    assert client.take() == build_frame(1, b'a["hi"]')
    assert not clock.getDelayedCalls() or all(
        call.getTime() > clock.seconds() for call in clock.getDelayedCalls())


def test_what_one_read_produced_leaves_as_one_frame_in_one_write():
    site, app, clock = make_site()
    client = websocket(site)
    writes = []
    # what the connection writes with while its own read is handled
    original = client.protocol._eager_write
    client.protocol._eager_write = lambda data: (writes.append(data), original(data))
    client.send(_client_frame(1, b'["a","b"]') + _client_frame(1, b'["c"]'))
    assert writes == [build_frame(1, b'a["a","b","c"]')]


def test_a_held_poll_is_answered_before_the_xhr_send_read_returns():
    site, app, clock = make_site()
    poll(site, "s1").take()
    held = poll(site, "s1")
    assert held.take() == b""
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", b'["ping"]'))
    assert split_response(sender.take())[0] == 204
    assert split_response(held.take())[2] == b'a["ping"]\n'


def test_writes_outside_a_read_leave_on_the_next_turn_together():
    site, app, clock = make_site(echo=False)
    client = websocket(site)
    transport = app.instances[0].transport
    transport.write(b"one")
    transport.write(b"two")
    assert client.take() == b""
    clock.advance(0)
    assert client.take() == build_frame(1, b'a["one","two"]')
