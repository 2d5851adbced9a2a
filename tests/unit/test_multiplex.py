"""Multiplexed channels, driven in memory."""

import pytest
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.protocol import Factory, Protocol
from twisted.python.failure import Failure

from tests.unit.helpers import CountingProducer, FakeSessionTransport, allocation_peaks
from txsockjs.multiplex import MultiplexFactory


class Recorder(Protocol):
    def __init__(self):
        self.received = []
        self.lost = []

    def connectionMade(self):
        self.factory.built.append(self)

    def dataReceived(self, data):
        if data == b"boom":
            raise RuntimeError("application bug")
        self.received.append(data)

    def connectionLost(self, reason):
        self.lost.append(reason)


class RecorderFactory(Factory):
    protocol = Recorder

    def __init__(self):
        self.built = []


def session(**kw):
    channels = {"a": RecorderFactory(), "b": RecorderFactory()}
    factory = MultiplexFactory(channels, **kw)
    transport = FakeSessionTransport(peer="peer", host="host")
    transport.handshake = "the handshake"
    protocol = factory.buildProtocol("peer")
    protocol.makeConnection(transport)
    return protocol, transport, channels


def test_frames_reach_their_channel_and_writes_are_framed():
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(b"msg,a,x,y")
    [a] = channels["a"].built
    assert a.received == [b"x,y"]
    a.transport.write("\u20ac".encode("utf-8"))
    assert transport.messages == ["msg,a,\u20ac"]
    assert a.transport.getPeer() == "peer" and a.transport.getHost() == "host"
    assert a.transport.handshake == "the handshake"
    with pytest.raises(TypeError):
        a.transport.write("text")


def test_authorize_sees_the_handshake_and_can_answer_later():
    asked, answers = [], {}

    def authorize(handshake, name):
        asked.append((handshake, name))
        answers[name] = Deferred()
        return answers[name]

    protocol, transport, channels = session(authorize=authorize)
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(b"sub,b")
    protocol.dataReceived(b"msg,a,early")
    assert asked == [("the handshake", "a"), ("the handshake", "b")]
    assert channels["a"].built == []
    answers["a"].callback(True)
    assert channels["a"].built[0].received == [b"early"]
    answers["b"].callback(False)
    assert channels["b"].built == [] and transport.messages == ["uns,b"]


def test_authorize_that_raises_refuses():
    def authorize(handshake, name):
        raise KeyError(name)

    protocol, transport, channels = session(authorize=authorize)
    protocol.dataReceived(b"sub,a")
    assert transport.messages == ["uns,a"] and channels["a"].built == []


def test_unknown_channel_and_cap_answer_uns():
    protocol, transport, channels = session(max_channels=1)
    protocol.dataReceived(b"sub,nosuch")
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(b"sub,b")
    assert transport.messages == ["uns,nosuch", "uns,b"]


def test_channels_closed_while_authorize_decides_are_capped_too():
    """sub/uns pairs do not start any number of authorize calls at once: while
    max_channels channels the client closed wait for their decision, a sub is refused
    (each pair started one more call: 40,000 pairs held 77 MB of pending decisions in a
    real server).  A channel closed once (a normal client) leaves room at once."""
    protocol, transport, channels, answers = session_authorizing_later_each(max_channels=2)
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(b"uns,a")
    protocol.dataReceived(b"sub,b")           # (room: one channel closed, none open)
    assert len(answers) == 2 and transport.messages == []
    for _ in range(100):
        protocol.dataReceived(b"sub,a")
        protocol.dataReceived(b"uns,a")
    assert len(answers) == 3                  # (one more, then two closed ones wait)
    assert transport.messages == ["uns,a"] * 99
    answers[0].callback(True)                 # (a decision for a channel that is gone)
    answers[1].callback(True)
    assert len(channels["b"].built) == 1 and channels["a"].built == []
    protocol.dataReceived(b"sub,a")
    assert len(answers) == 4
    answers[2].callback(False)
    answers[3].callback(True)
    assert len(channels["a"].built) == 1 and protocol.abandoned == 0


def session_authorizing_later_each(**kw):
    """session() whose authorize calls each get a Deferred in ``answers``, in order."""
    answers = []

    def authorize(handshake, name):
        answers.append(Deferred())
        return answers[-1]

    return session(authorize=authorize, **kw) + (answers,)


def test_server_close_sends_uns_and_loses_once():
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    [a] = channels["a"].built
    a.transport.loseConnection()
    a.transport.loseConnection()
    assert transport.messages == ["uns,a"]
    assert len(a.lost) == 1 and a.lost[0].check(ConnectionDone)
    protocol.connectionLost(Failure(ConnectionDone()))
    assert len(a.lost) == 1


def test_client_uns_closes_without_an_answer():
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(b"uns,a")
    [a] = channels["a"].built
    assert len(a.lost) == 1 and transport.messages == []
    protocol.dataReceived(b"sub,a")
    assert len(channels["a"].built) == 2


def test_session_end_loses_every_channel_once():
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(b"sub,b")
    producer = CountingProducer()
    channels["a"].built[0].transport.registerProducer(producer, True)
    protocol.connectionLost(Failure(ConnectionLost()))
    for name in "ab":
        [channel] = channels[name].built
        assert len(channel.lost) == 1 and channel.lost[0].check(ConnectionLost)
    assert producer.calls == ["stop"]
    channels["a"].built[0].transport.write(b"after the end")
    assert transport.messages == []


def test_session_pause_reaches_every_channel_producer():
    protocol, transport, channels = session()
    assert transport.producer is protocol
    protocol.dataReceived(b"sub,a")
    first = CountingProducer()
    channels["a"].built[0].transport.registerProducer(first, True)
    transport.producer.pauseProducing()
    protocol.dataReceived(b"sub,b")
    second = CountingProducer()
    channels["b"].built[0].transport.registerProducer(second, True)
    assert first.calls == ["pause"] and second.calls == ["pause"]
    transport.producer.resumeProducing()
    assert first.calls == ["pause", "resume"] and second.calls == ["pause", "resume"]


def test_a_paused_channel_holds_only_its_messages():
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(b"sub,b")
    a, b = channels["a"].built[0], channels["b"].built[0]
    a.transport.pauseProducing()
    protocol.dataReceived(b"msg,a,1")
    protocol.dataReceived(b"msg,b,2")
    protocol.dataReceived(b"msg,a,3")
    assert a.received == [] and b.received == [b"2"]
    a.transport.resumeProducing()
    assert a.received == [b"1", b"3"]


def test_a_channel_pausing_after_each_message_costs_linear_time(monkeypatch):
    """A channel protocol that handles each message asynchronously pauses after each one and
    resumes when done: what it holds is handed on from the front, not moved again on every
    resume (that cost quadratic time: 10000 held messages, 4 s of server CPU)."""
    from txsockjs.multiplex import ChannelTransport
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    a = channels["a"].built[0]
    a.transport.pauseProducing()
    count = 200
    for n in range(count):
        protocol.dataReceived(b"msg,a,%d" % n)
    calls = []
    deliver = ChannelTransport.deliver

    def counted(self, payload):
        calls.append(payload)
        deliver(self, payload)
    monkeypatch.setattr(ChannelTransport, "deliver", counted)
    a.dataReceived = lambda data: (a.received.append(data), a.transport.pauseProducing())
    while len(a.received) < count:
        a.transport.resumeProducing()
    assert a.received == [b"%d" % n for n in range(count)]
    assert len(calls) <= 2 * count             # (each resume moved what was left: 20100)


def session_authorizing_later():
    """session() whose authorize answers when the test fires ``answers[name]``."""
    answers = {}

    def authorize(handshake, name):
        answers[name] = Deferred()
        return answers[name]

    return session(authorize=authorize) + (answers,)


def test_a_channel_holding_too_much_pauses_the_session_until_it_drains():
    """A paused channel holds the client's messages for it; past MAX_HELD_BYTES the whole
    session stops taking messages (its transport pauses), so a client cannot fill the
    server; once the channel takes them, the session reads again.  Nothing is dropped."""
    from txsockjs.multiplex import HELD_MESSAGE_COST, MAX_HELD_BYTES
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(b"sub,b")
    a, b = channels["a"].built[0], channels["b"].built[0]
    a.transport.pauseProducing()
    payload = b"x" * 1000
    cost = len(payload) + HELD_MESSAGE_COST
    sent = 0
    while not transport.paused:
        protocol.dataReceived(b"msg,a," + payload)
        sent += 1
        assert sent * cost <= MAX_HELD_BYTES + cost
    assert sent * cost > MAX_HELD_BYTES
    protocol.dataReceived(b"msg,b,other")      # (what the paused session had already)
    assert b.received == [b"other"]
    a.transport.resumeProducing()
    assert a.received == [payload] * sent and not transport.paused


def test_empty_payloads_count_against_the_hold_limit():
    # Each held message costs memory of its own, payload or not: a client sending empty
    # ones to a paused channel must be paused too, not held without end.
    from txsockjs.multiplex import MAX_HELD_BYTES
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    a = channels["a"].built[0]
    a.transport.pauseProducing()
    sent = 0
    while not transport.paused and sent <= MAX_HELD_BYTES:
        protocol.dataReceived(b"msg,a,")
        sent += 1
    assert transport.paused and sent <= MAX_HELD_BYTES // 16
    a.transport.resumeProducing()
    assert a.received == [b""] * sent and not transport.paused


class OneAtATime(Recorder):
    """Takes one message, then pauses (until the test resumes it)."""

    def dataReceived(self, data):
        Recorder.dataReceived(self, data)
        self.transport.pauseProducing()


def one_channel(protocol_class):
    """A session with channel "a" open, served by ``protocol_class``: (session, transport,
    the channel's factory)."""
    channels = {"a": RecorderFactory()}
    channels["a"].protocol = protocol_class
    transport = FakeSessionTransport()
    protocol = MultiplexFactory(channels).buildProtocol("peer")
    protocol.makeConnection(transport)
    protocol.dataReceived(b"sub,a")
    return protocol, transport, channels["a"]


def test_a_channel_that_pauses_after_each_message_costs_no_copy_per_message():
    """Each resume of a protocol that takes one message at a time delivers the next
    without copying the rest (it did: 20,000 one-byte messages, 220 KB sent, cost 15 s of
    CPU).  Counted as memory: a resume allocates nothing in proportion to what is held."""
    protocol, transport, factory = one_channel(OneAtATime)
    count = 20_000
    for number in range(count):
        protocol.dataReceived(b"msg,a,%d" % number)
    [a] = factory.built
    assert a.received == [b"0"]
    peaks = allocation_peaks(a.transport.resumeProducing, 100)
    # (a copy of what is held would be 8 bytes a message: 160 KB)
    assert max(peaks) < 16 * 1024, peaks[:5]
    while len(a.received) < count:
        a.transport.resumeProducing()
    assert a.received == [b"%d" % number for number in range(count)]
    assert not a.transport.held and a.transport.held_bytes == 0


def test_what_a_channel_delivered_is_let_go_while_the_client_keeps_sending():
    """A client sending as fast as the protocol takes them one at a time: the held list
    keeps only what is still held (not everything since the channel first paused)."""
    protocol, transport, factory = one_channel(OneAtATime)
    for number in range(10):
        protocol.dataReceived(b"msg,a,%d" % number)
    [a] = factory.built
    longest = 0
    for number in range(10, 10_000):
        a.transport.resumeProducing()
        protocol.dataReceived(b"msg,a,%d" % number)
        longest = max(longest, len(a.transport.held))
    assert longest <= 20
    while len(a.received) < 10_000:
        a.transport.resumeProducing()
    assert a.received == [b"%d" % number for number in range(10_000)]


def test_a_protocol_resuming_inside_data_received_keeps_the_order():
    class PauseResume(Recorder):
        def dataReceived(self, data):
            Recorder.dataReceived(self, data)
            self.transport.pauseProducing()
            if data == b"1":
                self.transport.resumeProducing()   # (delivers the rest from inside)

    protocol, transport, factory = one_channel(PauseResume)
    for number in range(5):
        protocol.dataReceived(b"msg,a,%d" % number)
    [a] = factory.built
    for _ in range(5):
        a.transport.resumeProducing()
    assert a.received == [b"0", b"1", b"2", b"3", b"4"]


def test_a_channel_waiting_for_authorize_pauses_the_session_past_the_limit():
    from txsockjs.multiplex import MAX_HELD_BYTES
    protocol, transport, channels, answers = session_authorizing_later()
    protocol.dataReceived(b"sub,a")
    payload = b"y" * 4096
    count = MAX_HELD_BYTES // len(payload) + 1
    for _ in range(count):
        protocol.dataReceived(b"msg,a," + payload)
    assert transport.paused
    answers["a"].callback(True)
    assert channels["a"].built[0].received == [payload] * count and not transport.paused


@pytest.mark.parametrize("end", ["refused", "client_uns", "session_ends"])
def test_what_a_channel_held_is_let_go_when_it_ends(end):
    """A channel that ends while over the limit (refused by authorize, closed by the
    client) no longer holds the session."""
    from txsockjs.multiplex import MAX_HELD_BYTES
    protocol, transport, channels, answers = session_authorizing_later()
    protocol.dataReceived(b"sub,a")
    for _ in range(MAX_HELD_BYTES // 1000 + 1):
        protocol.dataReceived(b"msg,a," + b"z" * 1000)
    assert transport.paused
    if end == "refused":
        answers["a"].callback(False)
        assert transport.messages == ["uns,a"]
        assert not transport.paused and protocol.over_hold == set()
    elif end == "client_uns":
        protocol.dataReceived(b"uns,a")
        assert not transport.paused and protocol.over_hold == set()
    else:
        protocol.connectionLost(Failure(ConnectionLost()))
        assert protocol.over_hold == set()  # (the session is gone: nothing to resume)
    assert channels["a"].built == []


def test_application_error_closes_only_that_channel():
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(b"sub,b")
    protocol.dataReceived(b"msg,a,boom")
    assert transport.messages == ["uns,a"]
    protocol.dataReceived(b"msg,b,fine")
    assert channels["b"].built[0].received == [b"fine"]


@pytest.mark.parametrize("frame", [
    b"", b"garbage", b"msg", b"msg,a", b"sub,", b",,", b"msg,nosuch,x", b"uns,b", b"xyz,a,1",
    b"sub,a",  # already open
])
def test_malformed_frames_are_ignored(frame):
    protocol, transport, channels = session()
    protocol.dataReceived(b"sub,a")
    protocol.dataReceived(frame)
    protocol.dataReceived(b"msg,a,ok")
    assert channels["a"].built[0].received == [b"ok"]
    assert len(channels["a"].built) == 1 and transport.messages == []


@pytest.mark.parametrize("channels, kw", [
    ({"a,b": Factory()}, {}), ({"": Factory()}, {}), ({"a": object()}, {}),
    ({"a": Factory()}, {"max_channels": 0}), ({"a": Factory()}, {"authorize": 3}),
])
def test_bad_construction(channels, kw):
    with pytest.raises(ValueError):
        MultiplexFactory(channels, **kw)
