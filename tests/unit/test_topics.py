"""Topics wired into the service: transport.subscribe / unsubscribe / publish, and the
factory's publish, send and presence (MemoryBroker, in memory)."""

import pytest

from tests.unit.helpers import Client, make_site, request, split_response
from tests.unit.test_broadcast import open_websocket
from txsockjs._speedups import build_frame
from txsockjs.broker import MemoryBroker


def fired(deferred):
    results = []
    deferred.addBoth(results.append)
    assert results, "the Deferred did not fire"
    return results[0]


def frame(*messages):
    import json
    return build_frame(1, ("a" + json.dumps(list(messages), ensure_ascii=False, separators=(",", ":"))).encode("utf-8"))


def test_transports_subscribe_and_publish_the_publisher_included():
    site, app, clock = make_site(echo=False)
    sockets = {sid: open_websocket(site, sid) for sid in ("s1", "s2", "s3")}
    one, two, three = (protocol.transport for protocol in app.instances)
    assert fired(one.subscribe("room")) is None
    fired(two.subscribe("room"))
    fired(three.subscribe("elsewhere"))
    fired(one.publish("room", b"hi \xe2\x9c\x93"))
    fired(site.publish("room", b"from outside"))
    assert sockets["s1"].take() == b""     # gathered until the end of the turn
    clock.advance(0)
    # the turn's two publishes leave as one frame
    expected = frame("hi \u2713", "from outside")
    assert sockets["s1"].take() == expected
    assert sockets["s2"].take() == expected
    assert sockets["s3"].take() == b""
    assert fired(site.presence("room")) == {"s1", "s2"}
    fired(one.unsubscribe("room"))
    site.publish("room", b"later")
    clock.advance(0)
    assert sockets["s1"].take() == b"" and sockets["s2"].take() == frame("later")


def test_a_closed_session_leaves_every_topic():
    site, app, clock = make_site(echo=False)
    socket = open_websocket(site, "s1")
    transport = app.instances[0].transport
    fired(transport.subscribe("a"))
    fired(transport.subscribe("b"))
    transport.loseConnection()
    socket.take()
    assert fired(site.presence("a")) == set() and fired(site.presence("b")) == set()
    with pytest.raises(RuntimeError):
        transport.subscribe("a")


def test_send_reaches_a_polling_session_by_id():
    site, app, clock = make_site(echo=False)
    opener = Client(site)
    opener.send(request("POST", "/000/p1/xhr", b""))
    opener.take()
    assert fired(site.send("p1", b"just you")) is True
    assert fired(site.send("nobody", b"x")) is False
    poll = Client(site)
    poll.send(request("POST", "/000/p1/xhr", b""))
    clock.advance(0)
    assert split_response(poll.take())[2] == b'a["just you"]\n'


def test_raw_websocket_sessions_can_subscribe():
    site, app, clock = make_site(echo=False)
    client = Client(site)
    client.send(request("GET", "/websocket", headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]))
    client.take()
    fired(app.instances[0].transport.subscribe("room"))
    site.publish("room", b"raw")
    clock.advance(0)
    assert client.take() == build_frame(1, b"raw")
    assert len(fired(site.presence("room"))) == 1


def test_each_service_of_a_multi_factory_has_its_topics_and_a_given_broker_is_used():
    broker = MemoryBroker()
    site, app, clock = make_site({"broker": broker}, echo=False, multi=True)
    service = site.services["echo"]
    assert service.broker is broker
    client = Client(site)
    client.send(request("GET", "/echo/000/w1/websocket", headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]))
    client.take()
    fired(app.instances[0].transport.subscribe("t"))
    fired(service.publish("t", b"x"))
    clock.advance(0)
    assert client.take() == frame("x")
    assert fired(service.presence("t")) == {"w1"}


def test_the_broker_option_must_be_a_broker():
    with pytest.raises(ValueError, match="broker"):
        make_site({"broker": object()})


def test_a_second_live_session_with_the_same_id_does_not_take_the_first_ones_topics():
    site, app, clock = make_site(echo=False)
    first = open_websocket(site, "same")
    open_websocket(site, "same")
    one, two = (protocol.transport for protocol in app.instances)
    fired(one.subscribe("room"))
    with pytest.raises(RuntimeError):
        two.subscribe("room")
    site.publish("room", b"x")
    clock.advance(0)
    assert first.take() == frame("x")
