"""Broadcasts through the broker are gathered per batch (the read or reactor turn that
caused them): one frame per member, encoded once, one write, eagerly; order kept."""

from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock

from tests.unit.helpers import make_site
from tests.unit.test_broadcast import open_websocket
from tests.unit.test_site import _client_frame
from tests.unit.test_topics import frame
from txsockjs.broker import Gathered, MemoryBroker
from txsockjs.server.servicecore import Flusher


class Member(Protocol):
    """Subscribes to "room"; what it gets is written, published and written: x, y, z."""

    def connectionMade(self):
        self.transport.subscribe("room")

    def dataReceived(self, data):
        if data.startswith(b"w"):
            self.transport.write(data + b"-before")
            self.transport.publish("room", data)
            self.transport.write(data + b"-after")
        else:
            self.transport.publish("room", data)


def room(count=3):
    site, _, clock = make_site(echo=False)
    factory = Factory.forProtocol(Member)
    site = type(site)(factory, reactor=clock)
    sockets = [open_websocket(site, "s%d" % n) for n in range(count)]
    return site, clock, sockets


def record_eager(client):
    writes = []
    # (a test transport writes with transport.write: record what would go eagerly)
    client.protocol._eager = lambda transport, data: (writes.append(data), transport.write(data))
    return writes


def test_the_publishes_of_one_read_leave_as_one_frame_and_one_eager_write_per_member():
    site, clock, (one, two, three) = room()
    writes = record_eager(two)
    one.send(_client_frame(1, b'["a","b"]') + _client_frame(1, b'["c"]'))
    # delivered before the read returned: no reactor turn
    assert writes == [frame("a", "b", "c")]
    assert two.take() == frame("a", "b", "c") == three.take() == one.take()


def test_a_session_that_writes_publishes_and_writes_gets_the_three_in_order():
    site, clock, (one, two, three) = room()
    one.send(_client_frame(1, b'["w"]'))
    assert one.take() == frame("w-before", "w", "w-after")
    assert two.take() == frame("w")


def test_publishes_outside_a_read_leave_together_on_the_next_turn_eagerly():
    site, clock, (one, two, three) = room()
    writes = record_eager(two)
    site.publish("room", b"p1")
    site.publish("room", b"p2")
    assert two.take() == b""
    clock.advance(0)
    assert writes == [frame("p1", "p2")]
    assert two.take() == frame("p1", "p2")


def test_a_broker_without_a_batcher_delivers_at_once_and_gathering_batches():
    delivered = []
    broker = MemoryBroker(deliver=lambda messages, subscribers: delivered.append(list(messages)))
    broker.attach("s", object())
    broker.subscribe("s", "t")
    broker.publish("t", b"1")
    broker.publish("t", b"2")
    assert delivered == [[b"1"], [b"2"]]
    with broker.gathering():
        broker.publish("t", b"3")
        broker.publish("t", b"4")
        assert delivered == [[b"1"], [b"2"]]
    assert delivered == [[b"1"], [b"2"], [b"3", b"4"]]


def test_gathered_keeps_the_order_for_a_subscriber_of_interleaved_topics():
    gathered = Gathered()
    assert gathered.add("t1", [b"1"])
    assert not gathered.add("t1", [b"2"])
    gathered.add("t2", [b"3"])
    gathered.add("t1", [b"4"])      # t1 again after t2: a new batch
    gathered.add("t1", [b"5"])
    assert gathered.take() == [{"t1": [b"1", b"2"], "t2": [b"3"]}, {"t1": [b"4", b"5"]}]
    assert not gathered and gathered.take() == []


class Flushed(object):
    def __init__(self, log):
        self.log = log
        self.session_id = "x"

    def flush(self):
        self.log.append("flush")


def test_flusher_runs_tasks_first_and_flushes_what_they_queue_in_the_same_batch():
    clock = Clock()
    flusher = Flusher(clock)
    log = []
    session = Flushed(log)

    def task():
        log.append(("task", flusher.flushing))
        flusher.schedule(session)
    flusher.hold()
    flusher.before_flush(task)
    assert log == []
    flusher.release()
    assert log == [("task", True), "flush"]
    assert not flusher.flushing and clock.getDelayedCalls() == []
    flusher.before_flush(task)        # outside a read: on the next turn
    assert log == [("task", True), "flush"]
    clock.advance(0)
    assert log[2:] == [("task", True), "flush"]
