"""Many logical channels over one SockJS session.

::

    channels = MultiplexFactory({"chat": ChatFactory(), "feed": FeedFactory()},
                                max_channels=16, authorize=may_join)
    reactor.listenTCP(8080, SockJSFactory(channels))

Each channel is an ordinary Twisted protocol, built by its channel's factory,
on a transport of its own.

The wire format
---------------
It is the one the SockJS family's multiplexing client (websocket-multiplex)
speaks.  Every SockJS message is one frame: a type, a topic, and for ``msg``
a payload, separated by the first two commas (so a topic has no comma, and a
payload may contain any)::

    client -> server   sub,<topic>             open a channel to <topic>
                       msg,<topic>,<payload>   a message on that channel
                       uns,<topic>             close that channel
    server -> client   msg,<topic>,<payload>   a message on that channel
                       uns,<topic>             the server closed that channel,
                                               or refused to open it

The server answers a ``sub`` with nothing when the channel opens, and with
``uns`` when it will not: no channel by that name, the per-session cap
(``max_channels``) reached, ``authorize`` refused, or the channel's factory
returned None, or ``max_channels`` channels the client closed while ``authorize``
decided are still waiting for their decision (``sub``/``uns`` pairs would otherwise start
any number of ``authorize`` calls at once, each holding what it holds).  A client's
``uns`` closes the channel without an answer.
``msg`` for a topic that is not open, ``sub`` for one already open, and any
frame that is none of these are logged (the first per session) and ignored.
Refused channels are logged the same way, the first per session: a client
asking again and again would otherwise write a log line for every few bytes.

What a channel protocol sees
----------------------------
``dataReceived(payload)`` with the payload's UTF-8 bytes;
``transport.write(data)`` sends ``msg,<topic>,<data>`` (bytes, valid UTF-8, as
on the session transport); ``transport.loseConnection()`` sends ``uns,<topic>``
and calls ``connectionLost``.  ``getPeer``, ``getHost`` and ``handshake`` are
the session's.  When the session ends, every open channel gets
``connectionLost`` once.

``authorize(handshake, channel_name)`` returns a bool or a Deferred of one;
messages for the channel wait until it answers.  ``handshake`` is the
session transport's ``handshake`` (None where the transport has none).

Flow control: a channel transport is an IConsumer (``registerProducer``) and
an IPushProducer.  When the session's socket is full every channel's
producer is paused, and resumed with it.  A channel protocol that calls
``self.transport.pauseProducing()`` holds back only its own incoming
messages (they are kept in order and delivered on ``resumeProducing``).
While a channel holds more than ``MAX_HELD_BYTES`` of them (each counted with
``HELD_MESSAGE_COST`` more for itself; paused, or
waiting for ``authorize``), the whole session stops taking the client's
messages (its transport is paused: a WebSocket is not read, a send waits), so
a client cannot make the server hold more; it resumes once every channel is
back under it.  No message is dropped.
"""

import collections
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Set, Union

from twisted.internet.defer import maybeDeferred
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IAddress, IConsumer, IPushProducer, ITransport
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure
from zope.interface import implementer

from txsockjs.handshake import Handshake
from txsockjs.interfaces import ProtocolFactory
from txsockjs.server.sessiontransport import short_id

DEFAULT_MAX_CHANNELS = 32
#: Bytes of client messages one channel may hold (paused, or waiting for authorize)
#: before the session stops taking more (see the module's doc).
MAX_HELD_BYTES = 64 * 1024
#: What holding one message costs beside its payload (its bytes object, its place in the
#: queue), counted against MAX_HELD_BYTES: empty payloads would otherwise count nothing,
#: and a client could make a paused channel hold any number of them (58 MB of sends,
#: 52 MB held).
HELD_MESSAGE_COST = 48

AUTHORIZING, OPEN, CLOSED = "authorizing", "open", "closed"


@implementer(ITransport, IConsumer, IPushProducer)
class ChannelTransport(object):
    """One channel's transport, inside a session."""

    log = Logger()

    def __init__(self, session: "MultiplexProtocol", topic: str) -> None:
        self.session = session
        self.topic = topic
        self.prefix = b"msg," + topic.encode("utf-8") + b","
        self.state = AUTHORIZING
        # the channel's IProtocol and the IProducer it registers (zope
        # interfaces: Any to mypy)
        self.protocol: Any = None
        self.producer: Any = None
        self.paused = False
        self.held: "collections.deque[bytes]" = collections.deque()
        self.held_bytes = 0

    # -- from the multiplexer -----------------------------------------------------

    def open(self, protocol: Any) -> None:
        self.state = OPEN
        self.protocol = protocol
        try:
            protocol.makeConnection(self)
        except Exception:
            self._application_failed("connectionMade")
            self.loseConnection()
            return
        self._deliver_held()

    def deliver(self, payload: bytes) -> None:
        if self.state != OPEN or self.paused:
            self.held.append(payload)
            self.held_bytes += len(payload) + HELD_MESSAGE_COST
            if self.held_bytes > MAX_HELD_BYTES:
                self.session.hold_changed(self)
            return
        try:
            self.protocol.dataReceived(payload)
        except Exception:
            self._application_failed("dataReceived; closing the channel")
            self.loseConnection()

    def _deliver_held(self) -> None:
        # One at a time from the front: a protocol that pauses again keeps the rest where
        # it is (moving the rest on every pause made a protocol that pauses after each
        # message cost quadratic time in the messages held).
        held = self.held
        was_over = self.held_bytes > MAX_HELD_BYTES
        while held and self.state == OPEN and not self.paused:
            payload = held.popleft()
            self.held_bytes -= len(payload) + HELD_MESSAGE_COST
            self.deliver(payload)
        if was_over:
            self.session.hold_changed(self)

    def lost(self, reason: Failure) -> None:
        """The channel ends (client ``uns``, server close or session end)."""
        if self.state == CLOSED:
            return
        was_open = self.state == OPEN
        self.state = CLOSED
        self.held = collections.deque()
        was_over = self.held_bytes > MAX_HELD_BYTES
        self.held_bytes = 0
        if was_over:
            self.session.hold_changed(self)
        producer, self.producer = self.producer, None
        if not was_open:
            return
        if producer is not None:
            try:
                producer.stopProducing()
            except Exception:
                self._application_failed("stopProducing")
        try:
            self.protocol.connectionLost(reason)
        except Exception:
            self._application_failed("connectionLost")

    def _application_failed(self, where: str) -> None:
        handshake = getattr(getattr(self.session, "transport", None), "handshake", None)
        self.log.failure("Channel {topic!r} of session {sid}: application error in {where}",
                         level=LogLevel.error, topic=self.topic, where=where,
                         sid=short_id(getattr(handshake, "session_id", None)))

    def session_paused(self, paused: bool) -> None:
        producer = self.producer
        if producer is not None:
            if paused:
                producer.pauseProducing()
            else:
                producer.resumeProducing()

    # -- ITransport ------------------------------------------------------------------

    def write(self, data: Union[bytes, bytearray, memoryview]) -> None:
        # (unreachable to a type-checked caller; others get a clear error)
        if isinstance(data, str):  # type: ignore[unreachable]
            raise TypeError("channel transports take bytes (UTF-8), not str: encode it first")
        if self.state == OPEN:
            self.session.transport.write(self.prefix + bytes(data))

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self.write(b"".join(data))

    def loseConnection(self) -> None:
        if self.state == OPEN:
            self.session.server_closed(self)

    def abortConnection(self) -> None:
        self.loseConnection()

    def getPeer(self) -> Any:
        return self.session.transport.getPeer()

    def getHost(self) -> Any:
        return self.session.transport.getHost()

    @property
    def handshake(self) -> Optional[Handshake]:
        handshake: Optional[Handshake] = getattr(self.session.transport, "handshake", None)
        return handshake

    # -- IConsumer ----------------------------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        if self.producer is not None:
            raise RuntimeError("a producer is already registered")
        self.producer = producer
        if not streaming:
            producer.resumeProducing()
        elif self.session.paused:
            producer.pauseProducing()

    def unregisterProducer(self) -> None:
        self.producer = None

    # -- IPushProducer: the channel protocol pauses its incoming messages ---------------

    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        if self.paused:
            self.paused = False
            self._deliver_held()

    def stopProducing(self) -> None:
        self.loseConnection()


@implementer(IPushProducer)
class MultiplexProtocol(Protocol):
    """One SockJS session carrying many channels.  It is the producer
    registered with the session transport, so a full socket pauses every
    channel's producer."""

    log = Logger()
    # The session's transport (SockJSTransport): an ITransport, a zope
    # interface whose methods mypy cannot call without a plugin; and the
    # MultiplexFactory (Factory.buildProtocol's type wants ``factory`` as wide
    # as Twisted declares it).
    transport: Any
    factory: Any

    def __init__(self, factory: "MultiplexFactory") -> None:
        self.factory = factory
        self.channels: Dict[str, ChannelTransport] = {}
        self.paused = False
        self.ended = False
        self.malformed = 0
        self.refused = 0
        # Channels the client closed while authorize decided, until their decision
        # comes: max_channels of them refuse more (see the module's doc).
        self.abandoned = 0
        # Channels holding more than MAX_HELD_BYTES: while there is one, the session's
        # transport is paused (see the module's doc).
        self.over_hold: Set[ChannelTransport] = set()

    def connectionMade(self) -> None:
        self.transport.registerProducer(self, True)

    def dataReceived(self, message: bytes) -> None:
        kind, _, rest = message.partition(b",")
        topic_bytes, comma, payload = rest.partition(b",")
        topic = topic_bytes.decode("utf-8", "replace")
        if not topic:
            return self._malformed(message)
        if kind == b"msg" and comma:
            channel = self.channels.get(topic)
            if channel is None:
                return self._malformed(message)
            return channel.deliver(payload)
        if kind == b"sub":
            return self._subscribe(topic)
        if kind == b"uns":
            channel = self.channels.pop(topic, None)
            if channel is None:
                return self._malformed(message)
            if channel.state == AUTHORIZING:
                self.abandoned += 1
            return channel.lost(Failure(ConnectionDone("the client closed the channel")))
        self._malformed(message)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.ended = True
        channels = list(self.channels.values())
        self.channels.clear()
        for channel in channels:
            channel.lost(Failure(ConnectionLost("the SockJS session ended")))

    # -- channels --------------------------------------------------------------------------

    def _subscribe(self, topic: str) -> None:
        if topic in self.channels:
            return self._malformed(b"sub," + topic.encode("utf-8"))
        factory = self.factory
        if topic not in factory.channels:
            self._log_refusal("no such channel", topic)
            return self._refuse(topic)
        if len(self.channels) >= factory.max_channels:
            self._log_refusal("%d channels open already" % len(self.channels), topic)
            return self._refuse(topic)
        if self.abandoned >= factory.max_channels:
            self._log_refusal("%d channels closed while authorize decides" % self.abandoned,
                              topic)
            return self._refuse(topic)
        channel = ChannelTransport(self, topic)
        self.channels[topic] = channel
        if factory.authorize is None:
            return self._authorized(True, channel)
        handshake = getattr(self.transport, "handshake", None)
        decision = maybeDeferred(factory.authorize, handshake, topic)
        decision.addErrback(self._authorize_failed, topic)
        decision.addCallback(self._authorized, channel)

    def _authorize_failed(self, failure: Failure, topic: str) -> bool:
        self.log.failure("authorize failed for channel {topic!r}; refusing it", failure,
                         level=LogLevel.error, topic=topic)
        return False

    def _authorized(self, allowed: object, channel: ChannelTransport) -> None:
        topic = channel.topic
        if self.ended or self.channels.get(topic) is not channel:
            # The session or the channel ended meanwhile (a channel of a live session
            # can only have been closed by the client: counted in ``abandoned``).
            if not self.ended:
                self.abandoned -= 1
            return
        if not allowed:
            self._log_refusal("not authorized", topic)
            return self._refuse_waiting(channel)
        protocol = self.factory.channels[topic].buildProtocol(self.transport.getPeer())
        if protocol is None:
            return self._refuse_waiting(channel)
        channel.open(protocol)

    def _refuse_waiting(self, channel: ChannelTransport) -> None:
        # (what the client sent it meanwhile goes: the channel never opened)
        del self.channels[channel.topic]
        channel.lost(Failure(ConnectionDone("the channel was refused")))
        self._refuse(channel.topic)

    def _refuse(self, topic: str) -> None:
        self.transport.write(b"uns," + topic.encode("utf-8"))

    def server_closed(self, channel: ChannelTransport) -> None:
        if self.channels.get(channel.topic) is channel:
            del self.channels[channel.topic]
        if not self.ended:
            self._refuse(channel.topic)
        channel.lost(Failure(ConnectionDone("the server closed the channel")))

    def hold_changed(self, channel: ChannelTransport) -> None:
        """``channel`` crossed MAX_HELD_BYTES (either way): pause or resume the client."""
        was_holding = bool(self.over_hold)
        if channel.held_bytes > MAX_HELD_BYTES:
            self.over_hold.add(channel)
        else:
            self.over_hold.discard(channel)
        if self.ended or bool(self.over_hold) == was_holding:
            return
        if self.over_hold:
            self.transport.pauseProducing()
        else:
            self.transport.resumeProducing()

    def _log_refusal(self, why: str, topic: str) -> None:
        self.refused += 1
        if self.refused == 1:
            self.log.info("Refused channel {topic!r}: {why} (logged once per session)",
                          topic=topic, why=why)

    def _malformed(self, message: bytes) -> None:
        self.malformed += 1
        if self.malformed == 1:
            self.log.info("Ignored a multiplex frame that fits no open channel or type: {frame!r} "
                          "(logged once per session)", frame=message[:80])

    # -- IPushProducer: the session's socket is full, or drained -------------------------------

    def pauseProducing(self) -> None:
        if not self.paused:
            self.paused = True
            for channel in list(self.channels.values()):
                channel.session_paused(True)

    def resumeProducing(self) -> None:
        if self.paused:
            self.paused = False
            for channel in list(self.channels.values()):
                channel.session_paused(False)

    def stopProducing(self) -> None:
        pass  # the session is ending: connectionLost follows


class MultiplexFactory(Factory):
    """A protocol factory to give to SockJSFactory or addFactory.

    ``channels`` maps each channel name to an ordinary protocol factory.
    """

    def __init__(self, channels: Mapping[str, ProtocolFactory], max_channels: int = DEFAULT_MAX_CHANNELS,
                 authorize: Optional[Callable[[Optional[Handshake], str], Any]] = None) -> None:
        for name, factory in channels.items():
            if not isinstance(name, str) or not name or "," in name:
                raise ValueError("channel names are non-empty str without ',': %r" % (name,))
            if not hasattr(factory, "buildProtocol"):
                raise ValueError("channel %r: %r is not a protocol factory" % (name, factory))
        if isinstance(max_channels, bool) or not isinstance(max_channels, int) or max_channels < 1:
            raise ValueError("max_channels must be a whole number >= 1, not %r" % (max_channels,))
        if authorize is not None and not callable(authorize):
            raise ValueError("authorize must be callable, not %r" % (authorize,))
        self.channels = dict(channels)
        self.max_channels = max_channels
        self.authorize = authorize

    def buildProtocol(self, addr: Optional[IAddress]) -> MultiplexProtocol:
        return MultiplexProtocol(self)

    def startFactory(self) -> None:
        for factory in self.channels.values():
            factory.doStart()

    def stopFactory(self) -> None:
        for factory in self.channels.values():
            factory.doStop()
