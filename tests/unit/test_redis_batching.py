"""RedisBroker's delivery of what one read from Redis held: one pass, order kept.

No Redis here: the subscriber protocol is fed bytes as Redis would send them, and a
recording ``deliver`` shows the calls (messages, subscribers) the broker makes."""

import pytest
from twisted.internet.task import Clock

pytest.importorskip("txredisapi")

from txsockjs.redisbroker import RedisBroker, _Subscriber  # noqa: E402


def bulk(data):
    return b"$%d\r\n%s\r\n" % (len(data), data)


def message(channel, payload):
    return b"*3\r\n" + bulk(b"message") + bulk(channel) + bulk(payload)


class Inbox(object):
    def __init__(self):
        self.written = []

    def write(self, data):
        self.written.append(data)


@pytest.fixture
def wired():
    calls = []
    broker = RedisBroker("redis://127.0.0.1:1/0", reactor=Clock(),
                         deliver=lambda messages, subscribers: calls.append(
                             (list(messages), [s.name for s in subscribers])))
    inboxes = {}
    for name, topics in (("x", ["t1"]), ("y", ["t1", "t2"]), ("z", ["t2"])):
        inbox = inboxes[name] = Inbox()
        inbox.name = name
        broker.attach(name, inbox)
        for topic in topics:
            broker.subscribe(name, topic)
    protocol = _Subscriber()

    class Factory(object):
        pass
    protocol.factory = Factory()
    protocol.factory.broker = broker
    return broker, protocol, calls, inboxes


def topic(broker, name, payload, node=b"othernode"):
    return message(broker._topic_channel + name, node + b" " + payload)


def test_one_read_of_many_messages_is_one_delivery_per_topic(wired):
    broker, protocol, calls, _ = wired
    protocol.dataReceived(b"".join(topic(broker, b"t1", b"m%d" % n) for n in range(200)))
    assert calls == [([b"m%d" % n for n in range(200)], ["x", "y"])]


def test_a_message_split_across_reads_is_delivered_once_complete(wired):
    broker, protocol, calls, _ = wired
    data = topic(broker, b"t1", b"a") + topic(broker, b"t1", b"b")
    protocol.dataReceived(data[:30])
    assert calls == []
    protocol.dataReceived(data[30:])
    assert calls == [([b"a", b"b"], ["x", "y"])]


def test_interleaved_topics_keep_the_arrival_order_for_a_member_of_both(wired):
    broker, protocol, calls, _ = wired
    protocol.dataReceived(topic(broker, b"t1", b"1") + topic(broker, b"t2", b"2")
                          + topic(broker, b"t2", b"3") + topic(broker, b"t1", b"4"))
    # y (in both) sees 1, 2, 3, 4: t1's 4 waits for a delivery of its own
    assert calls == [([b"1"], ["x", "y"]), ([b"2", b"3"], ["y", "z"]), ([b"4"], ["x", "y"])]


def test_own_messages_are_skipped_and_sends_keep_their_place(wired):
    broker, protocol, calls, inboxes = wired
    session = broker._session_channel + b"y"
    protocol.dataReceived(topic(broker, b"t1", b"1") + topic(broker, b"t1", b"mine", broker._node)
                          + message(session, b"42") + topic(broker, b"t1", b"2"))
    assert calls == [([b"1"], ["x", "y"]), ([b"2"], ["x", "y"])]
    # a send whose text looks like a number is still bytes
    assert inboxes["y"].written == [b"42"]


def test_other_replies_go_to_txredisapi_between_the_messages(wired):
    broker, protocol, calls, _ = wired
    seen = []
    protocol.replyReceived = lambda reply: seen.append((reply, len(calls)))
    protocol.dataReceived(topic(broker, b"t1", b"1") + b"*3\r\n" + bulk(b"subscribe") + bulk(b"c")
                          + b":1\r\n" + topic(broker, b"t1", b"2"))
    assert seen == [([b"subscribe", b"c", 1], 1)]
    assert calls == [([b"1"], ["x", "y"]), ([b"2"], ["x", "y"])]


def test_bytes_that_are_not_resp_drop_the_connection(wired):
    broker, protocol, calls, _ = wired

    class Transport(object):
        aborted = False

        def abortConnection(self):
            self.aborted = True
    protocol.transport = Transport()
    protocol.dataReceived(b"!nonsense\r\n")
    assert protocol.transport.aborted and calls == []
