"""The transport the wrapped application sees: one per SockJS session.

Bytes and text, exactly:

* ``dataReceived`` gets each client message as one ``bytes`` object, UTF-8
  encoded.  A message with a lone surrogate (a browser can send one as a
  ``\\udXXX`` escape) has it replaced by U+FFFD, so the bytes are always valid
  UTF-8.
* ``write(data)`` takes ``bytes`` (or bytearray / memoryview) that must be
  valid UTF-8: each call is one message.  ``str`` raises TypeError (as on any
  Twisted transport) and invalid UTF-8 raises ValueError, sending nothing:
  we never guess at text.
* ``writeSequence(seq)`` is ``write(b"".join(seq))``: one message.
"""

import codecs
import collections
import os
import uuid
from typing import (
    TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union,
)

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IConsumer, IPushProducer, ITransport
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure
from zope.interface import implementer

from txsockjs.errors import APP_ERROR, ApplicationError, SendBufferOverflow, ServerShuttingDown
from txsockjs.protocol import session as states
from txsockjs.protocol.sendbuffer import BinaryMessage
from txsockjs.protocol.session import SessionDelegate
from txsockjs.handshake import Handshake
from txsockjs.server.stats import ServiceStats
from txsockjs.server.gathering import HELD

if TYPE_CHECKING:
    from txsockjs.server.servicecore import Service


def _replace_surrogates(error: UnicodeError) -> Tuple[bytes, int]:
    assert isinstance(error, UnicodeEncodeError)  # (registered for encoding only)
    # bytes: the UTF-8 encoder only takes ASCII str replacements
    return (b"\xef\xbf\xbd" * (error.end - error.start), error.end)


codecs.register_error("txsockjs.replace-surrogates", _replace_surrogates)


def encode_message(message: str) -> bytes:
    """A client message (str) as the UTF-8 bytes given to dataReceived."""
    try:
        return message.encode("utf-8")
    except UnicodeEncodeError:
        return message.encode("utf-8", "txsockjs.replace-surrogates")


# Why the application's producer is paused (bits of one int: a set per
# session would cost more memory than an idle session does).
SOCKET_FULL = 1      # the socket carrying our frames is full
BUFFER_HIGH = 2      # the send buffer is past its high-water mark

# Sends (xhr_send, jsonp_send) that may wait for a paused application at once, per
# session: sockjs-client has one in flight; each holds its messages (up to
# max_message_size) for as long as the application pauses, so more would let one
# client hold any amount of memory in one session.
MAX_WAITING_SENDS = 4

# What connectionLost is told, by why the session closed.
_REASONS: Dict[str, Callable[[], Exception]] = {
    states.CLOSED_BY_APP: lambda: ConnectionDone("SockJS session closed"),
    states.CLOSED_BY_CLIENT: lambda: ConnectionDone("SockJS session closed by the client"),
    states.APP_FAILED: lambda: ApplicationError("The application raised; session closed with 1011"),
    states.OVERFLOW: lambda: SendBufferOverflow(
        "The client read too slowly: send_buffer_limit exceeded"),
    states.SHUTDOWN: lambda: ServerShuttingDown("The server is shutting down"),
    states.TIMED_OUT: lambda: ConnectionLost("SockJS session timed out"),
    states.INTERRUPTED: lambda: ConnectionLost("SockJS session interrupted by the network"),
}


# Session open/close events at debug level cost a log event each even when no
# observer keeps them (several microseconds per session): off unless asked for.
_LOG_SESSIONS = os.environ.get("TXSOCKJS_LOG_SESSIONS", "") not in ("", "0")


def log_sessions(enabled: bool = True) -> None:
    """Log every session's opening and closing (twisted.logger, debug level,
    namespace under ``txsockjs``); ``TXSOCKJS_LOG_SESSIONS=1`` does the same.
    ``python -m txsockjs demo --log-level debug`` turns it on."""
    global _LOG_SESSIONS
    _LOG_SESSIONS = bool(enabled)


def short_id(session_id: Optional[str]) -> str:
    """Enough of a session id to follow it in logs, not enough to hijack it."""
    if session_id is None:
        return "-"
    return session_id[:6] + "..." if len(session_id) > 8 else session_id


@implementer(ITransport, IConsumer, IPushProducer)
class SessionTransport(SessionDelegate):
    """Carries one application protocol over one SockJS session."""

    log = Logger(namespace="txsockjs.session")

    __slots__ = ("session", "protocol", "handshake", "host", "service", "stats", "registry",
                 "producer", "broker_id", "_lost", "_paused", "_held", "_producer_paused_for",
                 "_dropped", "_waiting", "websocket")

    # ``protocol`` is the application's IProtocol and ``host`` an IAddress
    # (zope interfaces: Any to mypy).
    def __init__(self, protocol: Any, handshake: Handshake, host: Any,
                 service: Optional["Service"] = None) -> None:
        # A Session, or a RawWebSocketSession on the raw endpoint.
        self.session: Any = None
        self.protocol = protocol
        # The request that created the session (txsockjs.Handshake).
        self.handshake = handshake
        self.host = host
        self.service = service
        # The service's counters (txsockjs.server.stats), kept here so that a
        # message costs one attribute add, not a lookup through the service.
        self.stats = service.stats if service is not None else ServiceStats()
        # The service's registry, told once when the session closes (set when
        # the service registers the session).
        self.registry: Any = None
        self.producer: Any = None  # the application's IProducer
        # The id the broker knows this session by (None: not attached).
        self.broker_id: Optional[str] = None
        self._lost = False
        self._paused = False
        # (a deque: delivered from its front without copying what stays, see resumeProducing)
        self._held: "Optional[collections.deque[Union[str, bytes]]]" = None
        self._producer_paused_for = 0
        self._dropped = 0
        # Requests holding client messages until the application resumes.
        self._waiting: Optional[List[Callable[[], Any]]] = None
        # The WebSocket connection carrying the session (a WebSocketBridge), if one does.
        self.websocket: Any = None

    # -- session delegate ----------------------------------------------------

    def opened(self, session: Any) -> None:
        self.session = session
        handshake = self.handshake
        self.stats.session_opened(handshake.transport)
        self._attach_to_broker()
        if _LOG_SESSIONS:
            self.log.debug("Session {sid} opened ({transport}) for {client}",
                           sid=short_id(handshake.session_id), transport=handshake.transport,
                           client=handshake.client_ip)
        try:
            self.protocol.makeConnection(self)
        except Exception:
            self._application_failed("connectionMade")

    def messages_received(self, messages: Sequence[str]) -> None:
        """The client's SockJS messages (str, from a frame)."""
        protocol = self.protocol
        stats = self.stats
        for index, message in enumerate(messages):
            if self._lost:
                return
            if self._paused:
                assert self._held is not None  # (a list while paused)
                self._held.extend(messages[index:])
                return
            try:
                data = message.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate (from a \ud800 escape)
                data = encode_message(message)
            stats.messages_in += 1
            stats.bytes_in += len(data)
            try:
                protocol.dataReceived(data)
            except Exception:
                self._application_failed("dataReceived")
                return

    def payloads_received(self, payloads: Sequence[bytes]) -> None:
        """A raw websocket's messages as they came: text (valid UTF-8 already, so it reaches
        ``dataReceived`` with no conversion) or a BinaryMessage (``binaryMessageReceived``)."""
        protocol = self.protocol
        stats = self.stats
        for index, data in enumerate(payloads):
            if self._lost:
                return
            if self._paused:
                assert self._held is not None  # (a list while paused)
                self._held.extend(payloads[index:])
                return
            stats.messages_in += 1
            stats.bytes_in += len(data)
            binary = data.__class__ is BinaryMessage
            try:
                if binary:
                    protocol.binaryMessageReceived(data)
                else:
                    protocol.dataReceived(data)
            except Exception:
                self._application_failed("binaryMessageReceived" if binary else "dataReceived")
                return

    def _application_failed(self, where: str) -> None:
        self.log.failure("Application error in {where} of session {sid}; closing it with 1011",
                         level=LogLevel.error, where=where,
                         sid=short_id(self.handshake.session_id))
        if self.session is not None and not self._lost:
            code, reason = APP_ERROR
            self.session.close(code, reason, why=states.APP_FAILED)

    def closed(self, why: str) -> None:
        if self._lost:
            return
        self._release()
        self._answer_waiting()
        if self.session is not None:
            # (a hixie-76 websocket drained before its handshake completed never opened)
            self.stats.session_closed(self.handshake.transport, why)
        if why == states.OVERFLOW:
            self.stats.overflows["close"] += 1
        if _LOG_SESSIONS:
            self.log.debug("Session {sid} closed ({why})",
                           sid=short_id(self.handshake.session_id), why=why)
        producer = self.producer
        self.producer = None
        if producer is not None:
            try:
                producer.stopProducing()
            except Exception:
                self.log.failure("Application error in stopProducing of session {sid}",
                                 level=LogLevel.error, sid=short_id(self.handshake.session_id))
        try:
            self.protocol.connectionLost(Failure(_REASONS[why]()))
        except Exception:
            self.log.failure("Application error in connectionLost of session {sid}",
                             level=LogLevel.error, sid=short_id(self.handshake.session_id))

    def _answer_waiting(self) -> None:
        # Sends held for a paused application (when_reading): the session is gone, so
        # their messages go nowhere, but their requests must be answered, not hang.
        waiting, self._waiting = self._waiting, None
        for deliver in waiting or ():
            deliver()

    def abandoned(self) -> None:
        """The session never opened (its handshake did not complete): give
        its place back; the application was never connected."""
        self._release()

    def _release(self) -> None:
        self._lost = True
        broker_id, self.broker_id = self.broker_id, None
        if broker_id is not None:
            assert self.service is not None  # (only a service's sessions attach)
            self.service.broker.detach(broker_id, self)
        registry, self.registry = self.registry, None
        if registry is not None:
            registry.closed(self.session, self.handshake.client_ip)

    def write_paused(self, paused: bool) -> None:
        self._pause_producer(SOCKET_FULL, paused)

    def pressure(self, high: bool) -> None:
        self._pause_producer(BUFFER_HIGH, high)

    def dropped(self, count: int) -> None:
        policy = self.session.buffer.policy if self.session else "?"
        if not self._dropped:
            self.log.warn("Session {sid}: the client reads too slowly; send_overflow={policy} "
                          "dropped a message (logged once per session)",
                          sid=short_id(self.handshake.session_id), policy=policy)
        self._dropped += count
        self.stats.overflows[policy] += count

    def _pause_producer(self, reason: int, paused: bool) -> None:
        was_paused = self._producer_paused_for
        if paused:
            now = was_paused | reason
        else:
            now = was_paused & ~reason
        self._producer_paused_for = now
        producer = self.producer
        if producer is None or bool(was_paused) == bool(now):
            return
        try:
            if now:
                producer.pauseProducing()
            else:
                producer.resumeProducing()
        except Exception:
            # Never let it escape into a flush that serves other sessions.
            self.log.failure("Application error in the producer of session {sid}",
                             level=LogLevel.error, sid=short_id(self.handshake.session_id))

    # -- topics (txsockjs.broker) -------------------------------------------------

    def _attach_to_broker(self) -> None:
        if self.service is None:
            return
        # Raw /websocket sessions have no id in their URL: they get one here.
        broker_id = self.handshake.session_id or "raw-" + uuid.uuid4().hex
        if self.service.broker.attach(broker_id, self):
            self.broker_id = broker_id
        else:
            self.log.warn("Session {sid}: another live session has this id; this one cannot "
                          "subscribe or be reached by send()", sid=short_id(broker_id))

    def _broker_id(self) -> str:
        if self.broker_id is None:
            raise RuntimeError("this session has no topics: it is closed, or another session "
                               "of the same id holds them")
        return self.broker_id

    def subscribe(self, topic: str) -> "Deferred[Any]":
        """Receive every message published to ``topic`` (a str) until
        unsubscribed or closed; a Deferred that fires once it is in effect
        on every node."""
        service: Any = self.service  # (every session's transport has one)
        result: "Deferred[Any]" = service.broker.subscribe(self._broker_id(), topic)
        return result

    def unsubscribe(self, topic: str) -> "Deferred[Any]":
        service: Any = self.service
        result: "Deferred[Any]" = service.broker.unsubscribe(self._broker_id(), topic)
        return result

    def publish(self, topic: str, message: bytes) -> "Deferred[Any]":
        """Send ``message`` (UTF-8 bytes) to every subscriber of ``topic``, this
        session too if it is one; a Deferred (errbacks if Redis is away)."""
        service: Any = self.service
        result: "Deferred[Any]" = service.broker.publish(topic, message)
        return result

    # -- ITransport ------------------------------------------------------------

    def write(self, data: Union[bytes, bytearray, memoryview]) -> None:
        # (unreachable to a type-checked caller; others get a clear error)
        if isinstance(data, str):  # type: ignore[unreachable]
            raise TypeError("SockJS transports take bytes (UTF-8), not str: encode it first")
        data = bytes(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError("SockJS messages are text: %s" % (error,))
        session = self.session
        if session is not None and not self._lost:
            if HELD.pending:
                HELD.deliver()  # broadcasts held before this write go first (order)
            size = len(data)
            stats = self.stats
            stats.messages_out += 1
            stats.bytes_out += size
            session.send(text, size)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self.write(b"".join(data))

    def writeBinary(self, data: Union[bytes, bytearray, memoryview]) -> None:
        """Send one binary message: on the raw ``/websocket`` endpoint only (SockJS
        carries text: elsewhere TypeError)."""
        if self.handshake.transport != "raw_websocket":
            raise TypeError("SockJS sessions carry text only: writeBinary works on the raw "
                            "/websocket endpoint; write UTF-8 bytes with write() here")
        if isinstance(data, str):  # type: ignore[unreachable]
            raise TypeError("writeBinary takes bytes, not str")
        session = self.session
        if session is not None and not self._lost:
            service = self.service
            if service is not None and service.broker._gathered:
                service.broker.deliver_gathered()  # (order, as in write)
            data = bytes(data)
            self.stats.messages_out += 1
            self.stats.bytes_out += len(data)
            session.send_binary(data)

    def setCompression(self, enabled: bool) -> None:
        """Compress this session's messages to the client, or not (with the service's
        ``compression`` option, on a WebSocket that negotiated it; otherwise nothing
        changes).  Turn it off for a session that sends secrets next to text an attacker
        can influence: compressed lengths leak how much the two share (CRIME, BREACH),
        TLS or not.  What the client compresses is the client's choice."""
        if not isinstance(enabled, bool):
            raise TypeError("setCompression takes True or False, not %r" % (enabled,))
        if self.websocket is not None:
            self.websocket.set_compression(enabled)

    def loseConnection(self) -> None:
        """Close the session with ``c[3000,"Go away!"]``, after every message
        written before."""
        if self.session is not None and not self._lost:
            if HELD.pending:
                HELD.deliver()
            self.session.close()

    def close(self, code: int = 3000, reason: str = "Go away!") -> None:
        """Close the session with the application's own code (3000-4999) and
        reason (at most 123 bytes of UTF-8), after every message written before."""
        if isinstance(code, bool) or not isinstance(code, int) or not 3000 <= code <= 4999:
            raise ValueError("close codes for applications are 3000-4999, not %r" % (code,))
        if not isinstance(reason, str) or len(reason.encode("utf-8")) > 123:
            raise ValueError("the close reason must be a str of at most 123 bytes of UTF-8")
        if self.session is not None and not self._lost:
            if HELD.pending:
                HELD.deliver()
            self.session.close(code, reason)

    def abortConnection(self) -> None:
        self.loseConnection()

    def getPeer(self) -> Any:
        """The TCP peer (for HTTP transports, of the request that opened the
        session); behind a proxy, ``handshake.client_ip`` is the client."""
        return self.handshake.peer

    def getHost(self) -> Any:
        return self.host

    # -- IConsumer -------------------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        if self.producer is not None:
            raise RuntimeError("a producer is already registered")
        self.producer = producer
        if not streaming:
            producer.resumeProducing()
        elif self._producer_paused_for:
            producer.pauseProducing()

    def unregisterProducer(self) -> None:
        self.producer = None

    # -- IPushProducer: the application pauses delivery of client messages ------

    def pauseProducing(self) -> None:
        """Hold client messages; the client is stopped too (a websocket is no
        longer read, an xhr_send is not answered), so what is held stays small."""
        if not self._paused:
            self._paused = True
            if self._held is None:  # (else paused again while handing on what was held)
                self._held = collections.deque()
            if self.session is not None:
                self.session.pause_reading(True)

    def resumeProducing(self) -> None:
        if self._paused:
            self._paused = False
            # What was held stays in self._held until it is all handed on: paused again
            # meanwhile, the application keeps the rest there, and resumed again inside
            # (a dataReceived that pauses and resumes), it goes on with the rest before
            # any send waiting behind it (a later send's messages went first otherwise).
            held = self._held
            if held:
                self._deliver_held(held)
            if self._paused:
                return
            self._held = None
            if self.session is None:
                return
            self.session.pause_reading(False)
            waiting, self._waiting = self._waiting, None
            for deliver in waiting or ():
                deliver()

    def _deliver_held(self, held: "collections.deque[Union[str, bytes]]") -> None:
        """Deliver what was held, one at a time from its front, until the application
        pauses again (a copy of the rest on every pause made an application pausing after
        each message cost quadratic time in a send's messages)."""
        # (a session holds one kind: SockJS messages, or a raw websocket's payloads)
        deliver: Callable[[Any], None] = self.payloads_received if isinstance(held[0], bytes) \
            else self.messages_received
        while held and not self._paused and not self._lost:
            deliver((held.popleft(),))

    @property
    def reading(self) -> bool:
        """False while the application holds client messages (pauseProducing)."""
        return not self._paused or self._lost

    @property
    def sends_waiting(self) -> int:
        """How many sends wait in :meth:`when_reading` (see MAX_WAITING_SENDS)."""
        return len(self._waiting) if self._waiting is not None else 0

    def when_reading(self, deliver: Callable[[], Any]) -> Any:
        """Call ``deliver()`` now, or once the application resumes reading (or the
        session closes: then its messages go nowhere, but its request is answered)."""
        if not self._paused or self._lost:
            return deliver()
        if self._waiting is None:
            self._waiting = []
        self._waiting.append(deliver)

    def stopProducing(self) -> None:
        self.loseConnection()
