"""Topics, publish and send for the sessions of one service: the broker.

A broker is what lets code reach sessions by *name* instead of by object:
a session subscribes to topics, anyone publishes to a topic, and
``send(session_id, message)`` reaches one session.  ``MemoryBroker`` does it
in one process (the default); ``txsockjs.redisbroker.RedisBroker`` does it
across processes and machines.

The service side is a thin adapter over five calls::

    broker.attach(session_id, subscriber)  # a session opened
    broker.detach(session_id)              # it closed: every subscription goes
    broker.subscribe(session_id, topic)    # -> Deferred, fires once in effect
    broker.unsubscribe(session_id, topic)  # -> Deferred
    broker.publish(topic, message)         # -> Deferred

and code outside sessions uses ``publish``, ``send(session_id, message)``
(-> Deferred[bool]: False when no session of that id exists) and
``presence(topic)`` (-> Deferred of the set of subscribed session ids).
``start()`` and ``stop()`` follow the factory's life.

A *subscriber* is opaque to the broker: anything with ``write(bytes)``.
Messages to a topic go to its local subscribers through
``txsockjs.utils.broadcast_many``, so the ``a[...]`` frame is encoded once per
node and framed once per wire format, whatever the number of subscribers
(SessionTransports take that shared path; anything else gets ``write``).

Contract: topics are non-empty ``str``; messages are ``bytes`` holding UTF-8,
exactly like ``transport.write`` (``str`` raises TypeError, invalid UTF-8
raises ValueError, both at the call).  Every subscriber gets every message
published to its topic after it subscribed, the publishing session too,
in the order each publisher published them.
"""

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from txsockjs.server.gathering import HELD
from txsockjs.utils import broadcast_many

if TYPE_CHECKING:
    from txsockjs.redisbroker import RedisBroker as RedisBroker

# (RedisBroker is no part of __all__: a star import must not need the extra)
__all__ = ["Broker", "MemoryBroker", "check_message", "check_topic"]

# A subscriber is anything with ``write(bytes)``; delivery takes the messages
# and the subscribers of a topic.
Subscriber = Any
Deliver = Callable[[Sequence[bytes], Sequence[Subscriber]], None]


def check_topic(topic: str) -> None:
    if not isinstance(topic, str) or not topic:
        raise TypeError("a topic is a non-empty str, not %r" % (topic,))


def check_message(message: Union[bytes, bytearray, memoryview]) -> bytes:
    """The message as bytes, or TypeError / ValueError as transport.write."""
    # (unreachable to a type-checked caller; others get a clear error)
    if isinstance(message, str):  # type: ignore[unreachable]
        raise TypeError("messages are bytes (UTF-8), not str: encode it first")
    message = bytes(message)
    try:
        message.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError("messages are text: %s" % (error,))
    return message


class Broker(object):
    """The local half every broker shares: who is here, who listens to what.

    Subclasses carry messages to other nodes by overriding the ``_remote_*``
    hooks; each is called after the local state changed."""

    log = Logger()

    def __init__(self, deliver: Deliver = broadcast_many) -> None:
        self._deliver = deliver
        self._sessions: Dict[str, Subscriber] = {}  # session id -> subscriber
        self._topics_of: Dict[str, Set[str]] = {}   # session id -> topics (only once it subscribed)
        # topic -> {session id: subscriber}, in subscription order
        self._subscribers: Dict[str, Dict[str, Subscriber]] = {}
        # topic -> tuple of subscribers (cached for delivery)
        self._fanout: Dict[str, Tuple[Subscriber, ...]] = {}
        # Broadcasts waiting for the end of the batch (see deliver_local_many).
        self._gathered = Gathered()
        self._batcher: Any = None
        self._gathering = 0

    def batch_with(self, batcher: Any) -> None:
        """Gather broadcasts until the end of ``batcher``'s batch (the
        service's Flusher: the read or reactor turn that caused them), then
        deliver them, before the sessions flush.  Without one, a broadcast is
        delivered at once."""
        if self._batcher is None:
            self._batcher = batcher

    # -- the service side ------------------------------------------------------

    def attach(self, session_id: str, subscriber: Subscriber) -> bool:
        """Register a session; False (and nothing changes) if another session
        of that id is attached (two websockets may share an id: the first
        keeps it)."""
        known = self._sessions.get(session_id)
        if known is not None:
            return known is subscriber
        self._sessions[session_id] = subscriber
        self._remote_attached(session_id)
        return True

    def detach(self, session_id: str, subscriber: Subscriber = None) -> None:
        """Forget a session and its subscriptions (only if it is ``subscriber``,
        when given)."""
        known = self._sessions.get(session_id)
        if known is None or (subscriber is not None and known is not subscriber):
            return
        del self._sessions[session_id]
        for topic in self._topics_of.pop(session_id, ()):
            self._drop(session_id, topic)
        self._remote_detached(session_id)

    def subscribe(self, session_id: str, topic: str) -> "Deferred[None]":
        check_topic(topic)
        subscriber = self._sessions.get(session_id)
        if subscriber is None:
            raise KeyError("no session %r is attached to this broker" % (session_id,))
        topics = self._topics_of.get(session_id)
        if topics is None:
            # most sessions never subscribe: their set is made on demand
            topics = self._topics_of[session_id] = set()
        if topic in topics:
            return defer.succeed(None)
        topics.add(topic)
        members = self._subscribers.get(topic)
        first = members is None
        if first:
            members = self._subscribers[topic] = {}
        assert members is not None  # (made just above when it was not there)
        members[session_id] = subscriber
        self._fanout.pop(topic, None)
        return self._remote_subscribed(session_id, topic, first)

    def unsubscribe(self, session_id: str, topic: str) -> "Deferred[None]":
        check_topic(topic)
        topics = self._topics_of.get(session_id)
        if not topics or topic not in topics:
            return defer.succeed(None)
        topics.discard(topic)
        return self._drop(session_id, topic)

    def _drop(self, session_id: str, topic: str) -> "Deferred[None]":
        members = self._subscribers[topic]
        del members[session_id]
        self._fanout.pop(topic, None)
        last = not members
        if last:
            del self._subscribers[topic]
        return self._remote_unsubscribed(session_id, topic, last)

    # -- messages -------------------------------------------------------------

    def publish(self, topic: str, message: Union[bytes, bytearray, memoryview]) -> "Deferred[None]":
        check_topic(topic)
        message = check_message(message)
        self.deliver_local(topic, message)
        return self._remote_publish(topic, message)

    def send(self, session_id: str, message: Union[bytes, bytearray, memoryview]) -> "Deferred[bool]":
        message = check_message(message)
        if self.deliver_to_session(session_id, message):
            return defer.succeed(True)
        return self._remote_send(session_id, message)

    def presence(self, topic: str) -> "Deferred[Set[str]]":
        check_topic(topic)
        return self._remote_presence(topic, set(self._subscribers.get(topic, ())))

    def deliver_local(self, topic: str, message: bytes) -> None:
        """Write ``message`` to this node's subscribers of ``topic``."""
        self.deliver_local_many(topic, [message])

    def deliver_local_many(self, topic: str, messages: Sequence[bytes]) -> None:
        """Write ``messages``, in order, to this node's subscribers of
        ``topic``: one ``a[...]`` frame for them all, encoded once.  While a
        batch is open the messages are gathered, and every topic's messages
        of the batch leave as one frame per subscriber at its end."""
        if self._batcher is None and not self._gathering:
            self._deliver_now(topic, messages)
            return
        if self._gathered.add(topic, messages):
            HELD.hold(self.deliver_gathered)  # before any session's own write (order)
            if not self._gathering:
                self._batcher.before_flush(HELD.deliver)

    def deliver_gathered(self) -> None:
        """Deliver what was gathered, now (see Gathered for the order)."""
        for batch in self._gathered.take():
            for topic, messages in batch.items():
                try:
                    self._deliver_now(topic, messages)
                except Exception:
                    self.log.failure("Could not deliver messages of topic {topic!r}", topic=topic)

    def gathering(self) -> "Gathering":
        """``with broker.gathering():`` what is delivered inside leaves as one
        batch when the block ends (a read from another node, say)."""
        return Gathering(self)

    def _deliver_now(self, topic: str, messages: Sequence[bytes]) -> None:
        fanout = self._fanout.get(topic)
        if fanout is None:
            members = self._subscribers.get(topic)
            if not members:
                return
            # A tuple: a write may close a session, which unsubscribes it
            # while we are still going through the list.
            fanout = self._fanout[topic] = tuple(members.values())
        self._deliver(messages, fanout)

    def deliver_to_session(self, session_id: str, message: bytes) -> bool:
        """Write ``message`` to a local session; False if it is not here.
        Broadcasts gathered before it are delivered first (order)."""
        subscriber = self._sessions.get(session_id)
        if subscriber is None:
            return False
        if HELD:
            HELD.deliver()
        subscriber.write(message)
        return True

    def local_topics(self) -> List[str]:
        return list(self._subscribers)

    def local_sessions(self) -> List[str]:
        return list(self._sessions)

    def local_members(self, topic: str) -> List[str]:
        return list(self._subscribers.get(topic, ()))

    # -- life -----------------------------------------------------------------

    def start(self) -> "Deferred[None]":
        return defer.succeed(None)

    def stop(self) -> "Deferred[None]":
        return defer.succeed(None)

    # -- hooks for brokers that reach other nodes ------------------------------

    def _remote_attached(self, session_id: str) -> None:
        pass

    def _remote_detached(self, session_id: str) -> None:
        pass

    def _remote_subscribed(self, session_id: str, topic: str, first: bool) -> "Deferred[None]":
        return defer.succeed(None)

    def _remote_unsubscribed(self, session_id: str, topic: str, last: bool) -> "Deferred[None]":
        return defer.succeed(None)

    def _remote_publish(self, topic: str, message: bytes) -> "Deferred[None]":
        return defer.succeed(None)

    def _remote_send(self, session_id: str, message: bytes) -> "Deferred[bool]":
        return defer.succeed(False)

    def _remote_presence(self, topic: str, local: Set[str]) -> "Deferred[Set[str]]":
        return defer.succeed(local)


class Gathered(object):
    """Broadcasts waiting for the end of a batch: messages per topic, topics
    in the order they first came, which is the order they were published in
    for every subscriber as long as no topic comes back after another one
    (t1, t2, t1): then the batch so far is closed and a new one begun, so a
    subscriber of both gets t1's, t2's, then t1's again."""

    __slots__ = ("_batches", "_current", "_last")

    def __init__(self) -> None:
        self._batches: List[Dict[str, List[bytes]]] = []
        self._current: Dict[str, List[bytes]] = {}
        self._last: Optional[str] = None

    def __bool__(self) -> bool:
        return bool(self._current)

    def add(self, topic: str, messages: Sequence[bytes]) -> bool:
        """Gather ``messages``; True if nothing was gathered before."""
        current = self._current
        first = not current
        if topic != self._last:
            if topic in current:
                self._batches.append(current)
                current = self._current = {}
            self._last = topic
        gathered = current.get(topic)
        if gathered is None:
            current[topic] = list(messages)
        else:
            gathered.extend(messages)
        return first and not self._batches

    def take(self) -> List[Dict[str, List[bytes]]]:
        """Every batch gathered, oldest first; nothing is left."""
        batches = self._batches
        if self._current:
            batches.append(self._current)
        self._batches = []
        self._current = {}
        self._last = None
        return batches


class Gathering(object):
    """The context manager of ``Broker.gathering()``: uses the broker's
    batcher when it has one (the delivery then joins the end of its batch)."""

    __slots__ = ("_broker",)

    def __init__(self, broker: Broker) -> None:
        self._broker = broker

    def __enter__(self) -> None:
        broker = self._broker
        if broker._batcher is not None:
            broker._batcher.hold()
        broker._gathering += 1

    def __exit__(self, *exc_info: Any) -> None:
        broker = self._broker
        broker._gathering -= 1
        if broker._gathering:
            return
        if broker._batcher is not None:
            if broker._gathered:
                broker._batcher.before_flush(HELD.deliver)
            broker._batcher.release()
        else:
            HELD.deliver()


class MemoryBroker(Broker):
    """Every session of the service lives in this process: nothing to carry."""


def __getattr__(name: str) -> Any:
    # ``from txsockjs.broker import RedisBroker``: imported on first use, so
    # this module needs no Redis client; without one the error says what to install
    # (txsockjs.redisbroker does).
    if name != "RedisBroker":
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    from txsockjs.redisbroker import RedisBroker
    return RedisBroker
