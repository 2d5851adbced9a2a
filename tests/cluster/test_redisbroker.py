"""RedisBroker against a real redis-server: two brokers in this process are two nodes."""

import os
import subprocess
import sys
import time

import pytest
from twisted.internet import defer
from twisted.logger import globalLogPublisher

from txsockjs.redisbroker import RedisBroker, RedisUnavailable, parse_redis_url

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Inbox(object):
    """A subscriber that can be waited on: ``until(n)`` fires with its first n writes."""

    def __init__(self):
        self.written = []
        self.waiting = []

    def write(self, data):
        self.written.append(data)
        for count, deferred in list(self.waiting):
            if len(self.written) >= count:
                self.waiting.remove((count, deferred))
                deferred.callback(self.written[:count])

    def until(self, count):
        if len(self.written) >= count:
            return defer.succeed(self.written[:count])
        deferred = defer.Deferred()
        self.waiting.append((count, deferred))
        return deferred


@pytest.fixture
def nodes(reactor_thread, redis):
    """Two started brokers on one Redis, each with sessions a1, a2 / b1."""
    brokers = []

    def make(ttl=30.0):
        broker = RedisBroker(redis.url, presence_ttl=ttl, reconnect_max_delay=0.5)
        brokers.append(broker)
        return broker

    a, b = make(), make()
    inboxes = {sid: Inbox() for sid in ("a1", "a2", "b1")}

    def setup():
        for sid in ("a1", "a2"):
            a.attach(sid, inboxes[sid])
        b.attach("b1", inboxes["b1"])
        return defer.gatherResults([a.start(), b.start()])

    reactor_thread.call(setup)
    yield a, b, inboxes
    for broker in brokers:
        reactor_thread.call(broker.stop)


def test_parse_redis_url():
    assert parse_redis_url("redis://:s%40cret@db.example:6380/3") == {
        "host": "db.example", "port": 6380, "db": 3, "username": None, "password": "s@cret"}
    assert parse_redis_url("redis://localhost")["port"] == 6379
    with pytest.raises(ValueError):
        parse_redis_url("http://localhost:6379/0")
    with pytest.raises(ValueError):
        parse_redis_url("redis://localhost:6379/zero")


def test_publish_reaches_both_nodes_in_order_and_the_publisher_once(reactor_thread, nodes):
    a, b, inbox = nodes
    messages = [("m%d \u2713" % n).encode("utf-8") for n in range(200)]

    def scenario():
        yield defer.gatherResults([a.subscribe("a1", "room"), b.subscribe("b1", "room")])
        for message in messages:
            a.publish("room", message)
        yield inbox["b1"].until(len(messages))
        # one more round trip, so an echo of a's own messages would have arrived by now
        yield a.presence("room")
        yield b.presence("room")
    reactor_thread.call(defer.inlineCallbacks(scenario))
    assert inbox["b1"].written == messages
    assert inbox["a1"].written == messages
    assert inbox["a2"].written == []


def test_send_reaches_a_session_on_another_node(reactor_thread, nodes):
    a, b, inbox = nodes

    def scenario():
        sent = yield a.send("b1", b"private")
        missing = yield a.send("nobody", b"lost")
        local = yield a.send("a2", b"here")
        yield inbox["b1"].until(1)
        return sent, missing, local
    assert reactor_thread.call(defer.inlineCallbacks(scenario)) == (True, False, True)
    assert inbox["b1"].written == [b"private"]
    assert inbox["a2"].written == [b"here"]


def test_presence_spans_nodes_and_follows_unsubscribe_detach_and_stop(reactor_thread, nodes):
    a, b, inbox = nodes

    def scenario():
        yield defer.gatherResults([a.subscribe("a1", "room"), a.subscribe("a2", "room"),
                                   b.subscribe("b1", "room")])
        seen = [(yield b.presence("room")), (yield a.presence("other"))]
        yield a.unsubscribe("a1", "room")
        seen.append((yield b.presence("room")))
        a.detach("a2")
        # detach returns nothing: a's own next command runs after its LEAVE (one
        # connection, in order), so once it answers, b sees the change too
        yield a.presence("room")
        seen.append((yield b.presence("room")))
        yield b.stop()
        seen.append((yield a.presence("room")))
        return seen
    assert reactor_thread.call(defer.inlineCallbacks(scenario)) == [
        {"a1", "a2", "b1"}, set(), {"a2", "b1"}, {"b1"}, set()]


def test_a_killed_node_leaves_presence_within_its_ttl(reactor_thread, redis, nodes):
    a, b, inbox = nodes
    ttl = 1.5
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.cluster.broker_node", redis.url, str(ttl), "room", "k1", "k2"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("ready"), line + proc.stdout.read().decode()
        reactor_thread.call(a.subscribe, "a1", "room")
        assert reactor_thread.call(a.presence, "room") == {"a1", "k1", "k2"}
        # the node refreshes its entries: still there after more than one TTL
        time.sleep(ttl * 1.5)
        assert reactor_thread.call(a.presence, "room") == {"a1", "k1", "k2"}
        proc.kill()
        killed = time.monotonic()
        while reactor_thread.call(a.presence, "room") != {"a1"}:
            assert time.monotonic() - killed < ttl + 1.0, "the killed node's entries outlived the TTL"
            time.sleep(0.1)
        assert time.monotonic() - killed >= ttl / 3 - 0.1  # they went by expiry, not at once
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_redis_restart_publish_fails_while_down_then_nothing_after_is_lost(reactor_thread, redis, nodes):
    a, b, inbox = nodes
    events = []

    def observe(event):
        if event.get("log_namespace", "").startswith("txsockjs.redisbroker"):
            events.append(event.get("log_format", ""))
    globalLogPublisher.addObserver(observe)
    try:
        reactor_thread.call(lambda: defer.gatherResults(
            [a.subscribe("a1", "room"), b.subscribe("b1", "room")]))
        reactor_thread.call(a.publish, "room", b"before")
        reactor_thread.call(inbox["b1"].until, 1)

        redis.stop()
        deadline = time.monotonic() + 5
        while reactor_thread.call(lambda: a.up or b.up):
            assert time.monotonic() < deadline, "the brokers did not notice Redis went away"
            time.sleep(0.05)
        failures = []
        for call in (lambda: a.publish("room", b"while down"), lambda: a.send("b1", b"x"),
                     lambda: b.presence("room")):
            with pytest.raises(RedisUnavailable):
                reactor_thread.call(call)
            failures.append(True)
        # local delivery goes on: a's own subscriber got the failed publish
        assert inbox["a1"].written == [b"before", b"while down"]

        redis.start()           # same port, empty: it lost every subscription and key
        reactor_thread.call(lambda: defer.gatherResults([a.when_connected(), b.when_connected()]))
        for n in range(50):
            reactor_thread.call(a.publish, "room", b"after %d" % n)
        got = reactor_thread.call(inbox["b1"].until, 51)
        assert got == [b"before"] + [b"after %d" % n for n in range(50)]
        assert reactor_thread.call(b.presence, "room") == {"a1", "b1"}
        assert reactor_thread.call(b.send, "a2", b"dm") is True
    finally:
        globalLogPublisher.removeObserver(observe)
    assert any("Redis connection lost" in text for text in events)
    assert any("Redis back after a gap" in text for text in events)


def test_the_presence_heartbeat_is_one_round_trip_for_every_topic(reactor_thread, nodes):
    a, b, inbox = nodes
    topics = ["t%d" % n for n in range(20)] + ["42", "1.50"]
    calls = []

    def scenario():
        a.attach("12345678", Inbox())       # ids and topics that look like numbers
        yield defer.gatherResults([a.subscribe("a1", topic) for topic in topics]
                                  + [a.subscribe("12345678", "1.50")])
        # Redis loses one topic's member set (an eviction, say)
        yield a._command.execute_command(b"DEL", a._members_key("t3"))
        original = a._command.eval
        a._command.eval = lambda *args: (calls.append(args[0]), original(*args))[1]
        try:
            a._heartbeat.cancel()
            yield a._beat()
        finally:
            del a._command.eval
        ttls = yield defer.gatherResults(
            [a._command.execute_command(b"PTTL", key) for topic in ("t0", "t3", "1.50")
             for key in a._presence_keys(topic)])
        seen = yield defer.gatherResults([b.presence(topic) for topic in ("t3", "42", "1.50")])
        return seen, ttls
    seen, ttls = reactor_thread.call(defer.inlineCallbacks(scenario))
    from txsockjs.redisbroker import BEAT_SCRIPT, JOIN_SCRIPT
    # one script for every topic, then the rewrite of the lost one
    assert calls == [BEAT_SCRIPT, JOIN_SCRIPT]
    assert seen == [{"a1"}, {"a1"}, {"a1", "12345678"}]
    assert all(25000 < ttl <= 30000 for ttl in ttls)
