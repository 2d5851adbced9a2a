"""MemoryBroker: topics, publish, send and presence inside one process."""

import pytest

import txsockjs.server.fanout as fanout

from tests.unit.helpers import make_site
from tests.unit.test_broadcast import open_websocket
from txsockjs._speedups import build_frame
from txsockjs.broker import MemoryBroker


class Subscriber(object):
    """A plain transport: what the broker writes to it."""

    def __init__(self, on_write=None):
        self.written = []
        self.on_write = on_write

    def write(self, data):
        self.written.append(data)
        if self.on_write is not None:
            self.on_write(data)


def result_of(deferred):
    results = []
    deferred.addBoth(results.append)
    assert results, "the Deferred did not fire"
    return results[0]


def test_publish_reaches_every_subscriber_of_the_topic_in_order_publisher_too():
    broker = MemoryBroker()
    subs = {name: Subscriber() for name in ("a", "b", "c")}
    for name, sub in subs.items():
        broker.attach(name, sub)
    broker.subscribe("a", "room")
    broker.subscribe("b", "room")
    broker.subscribe("c", "other")
    for n in range(3):
        assert result_of(broker.publish("room", b"m%d" % n)) is None
    assert subs["a"].written == [b"m0", b"m1", b"m2"]
    assert subs["b"].written == [b"m0", b"m1", b"m2"]
    assert subs["c"].written == []


def test_unsubscribe_and_detach_stop_delivery_and_presence():
    broker = MemoryBroker()
    a, b = Subscriber(), Subscriber()
    broker.attach("a", a)
    broker.attach("b", b)
    broker.subscribe("a", "room")
    broker.subscribe("b", "room")
    broker.subscribe("b", "other")
    assert result_of(broker.presence("room")) == {"a", "b"}
    broker.unsubscribe("a", "room")
    broker.publish("room", b"x")
    assert a.written == [] and b.written == [b"x"]
    broker.detach("b")
    assert result_of(broker.presence("room")) == set()
    assert result_of(broker.presence("other")) == set()
    assert broker.local_topics() == []
    broker.publish("room", b"y")
    assert b.written == [b"x"]


def test_send_reaches_one_session_and_says_when_there_is_none():
    broker = MemoryBroker()
    a = Subscriber()
    broker.attach("a", a)
    assert result_of(broker.send("a", b"hi")) is True
    assert result_of(broker.send("nobody", b"hi")) is False
    assert a.written == [b"hi"]


def test_a_session_closing_during_delivery_does_not_disturb_the_others():
    broker = MemoryBroker()
    late = Subscriber()
    first = Subscriber(on_write=lambda data: broker.detach("first"))
    broker.attach("first", first)
    broker.attach("late", late)
    broker.subscribe("first", "t")
    broker.subscribe("late", "t")
    broker.publish("t", b"one")
    broker.publish("t", b"two")
    assert first.written == [b"one"]
    assert late.written == [b"one", b"two"]


def test_bad_topics_and_messages_are_refused_at_the_call():
    broker = MemoryBroker()
    broker.attach("a", Subscriber())
    with pytest.raises(TypeError):
        broker.publish("t", "text")
    with pytest.raises(ValueError):
        broker.publish("t", b"\xff")
    with pytest.raises(TypeError):
        broker.publish(b"t", b"x")
    with pytest.raises(TypeError):
        broker.subscribe("a", "")
    with pytest.raises(KeyError):
        broker.subscribe("nobody", "t")
    with pytest.raises(ValueError):
        broker.send("a", b"\xc3")


def test_subscribing_twice_is_one_subscription():
    broker = MemoryBroker()
    a = Subscriber()
    broker.attach("a", a)
    broker.subscribe("a", "t")
    broker.subscribe("a", "t")
    broker.publish("t", b"x")
    assert a.written == [b"x"]


def test_published_frame_is_encoded_once_and_shared_by_websocket_sessions(monkeypatch):
    site, app, clock = make_site(echo=False)
    sockets = [open_websocket(site, "w%d" % n) for n in range(3)]
    broker = MemoryBroker()
    for n, protocol in enumerate(app.instances):
        broker.attach("w%d" % n, protocol.transport)
        broker.subscribe("w%d" % n, "room")
    encoded = []
    real = fanout.encode_messages

    def counting(messages):
        encoded.append(messages)
        return real(messages)

    monkeypatch.setattr(fanout, "encode_messages", counting)
    broker.publish("room", "caf\u00e9".encode("utf-8"))
    clock.advance(0)
    wire = build_frame(1, 'a["caf\u00e9"]'.encode("utf-8"))
    assert [socket.take() for socket in sockets] == [wire] * 3
    assert len(encoded) == 1


def test_messages_delivered_together_leave_as_one_frame_in_order():
    site, app, clock = make_site(echo=False)
    sockets = [open_websocket(site, "w%d" % n) for n in range(2)]
    broker = MemoryBroker()
    for n, protocol in enumerate(app.instances):
        broker.attach("w%d" % n, protocol.transport)
        broker.subscribe("w%d" % n, "room")
    app.instances[1].transport.write(b"queued first")
    broker.deliver_local_many("room", [b"one", b"two"])
    clock.advance(0)
    assert sockets[0].take() == build_frame(1, b'a["one","two"]')
    assert sockets[1].take() == build_frame(1, b'a["queued first","one","two"]')


def test_redis_broker_is_reachable_from_txsockjs_broker():
    from txsockjs import broker, redisbroker
    from txsockjs.broker import RedisBroker
    assert RedisBroker is redisbroker.RedisBroker
    with pytest.raises(AttributeError):
        broker.NoSuchBroker


def test_redis_broker_without_the_extra_names_the_extra(monkeypatch):
    import sys
    from txsockjs import broker
    monkeypatch.setitem(sys.modules, "txredisapi", None)   # not installed
    monkeypatch.delitem(sys.modules, "txsockjs.redisbroker", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'txsockjs\[redis\]'"):
        broker.RedisBroker
