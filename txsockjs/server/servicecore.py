"""One SockJS service: a wrapped factory, its options and its sessions."""

import hashlib
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Tuple, Union

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from twisted.logger import Logger, LogLevel

from txsockjs.broker import Broker, MemoryBroker
from txsockjs.protocol.deflate import DeflateSettings, PerMessageDeflateFactory
from txsockjs.protocol.forwarded import ProxyPolicy
from txsockjs.protocol.origins import OriginPolicy
from txsockjs.protocol.rawsession import RawHandler, RawWebSocketSession
from txsockjs.protocol.sendbuffer import IdleSendBuffer
from txsockjs.protocol.session import Session, SessionTimers
from txsockjs.server.budget import MemoryBudget
from txsockjs.server.door import SessionDoor
from txsockjs.server.drain import drain
from txsockjs.server.idlestreams import IdleStreams
from txsockjs.server.quietlog import QuietLog
from txsockjs.server.registry import SessionRegistry
from txsockjs.server.sessiontransport import short_id
from txsockjs.server.stats import ServiceStats

if TYPE_CHECKING:
    from txsockjs.options import Options
    from txsockjs.protocol.wsextensions import ExtensionFactory
    from txsockjs.server.sessiontransport import SessionTransport

Message = Union[bytes, bytearray, memoryview]

# Every refused session (or later request of one) is logged here, at info.
refusals = Logger(namespace="txsockjs.refused")

IFRAME_PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <script src="%s"></script>
  <script>
    document.domain = document.domain;
    SockJS.bootstrap_iframe();
  </script>
</head>
<body>
  <h2>Don't panic!</h2>
  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
</body>
</html>"""


class Flusher(object):
    """Batches the sessions' outgoing messages: every session written to in
    one batch is flushed once, so messages written together leave in one
    frame and one socket write.

    A batch is what one network read caused (the connection calls
    :meth:`hold` before it handles the bytes and :meth:`release` after:
    sessions are flushed when the read is handled, in the same reactor
    callback), or else what one reactor turn caused (timers, other nodes'
    messages: one delayed call flushes them).

    Tasks (:meth:`before_flush`: the broker's gathered broadcasts) run first
    at the end of a batch.  While a batch is flushed, ``flushing`` is True:
    each connection is written once per batch then, so it may write straight
    to its socket (see httpchannel/eagerwrite.py)."""

    __slots__ = ("_clock", "_pending", "_tasks", "_call", "_held", "flushing")

    log = Logger(namespace="txsockjs.flush")

    def __init__(self, clock: Any) -> None:
        self._clock = clock  # IReactorTime
        self._pending: List[Session] = []
        self._tasks: List[Callable[[], None]] = []
        self._call: Any = None  # IDelayedCall
        self._held = 0
        self.flushing = False

    def schedule(self, session: Session) -> None:
        self._pending.append(session)
        if self._call is None and not self._held:
            self._call = self._clock.callLater(0, self._run)

    def before_flush(self, task: Callable[[], None]) -> None:
        """Call ``task`` at the end of this batch, before the sessions flush."""
        self._tasks.append(task)
        if self._call is None and not self._held:
            self._call = self._clock.callLater(0, self._run)

    @property
    def batch_open(self) -> bool:
        """True while a read (or the end of a batch) is being handled: what it
        writes waits for the end of the batch."""
        return self._held > 0

    def at_end_of_turn(self, task: Callable[[], None]) -> None:
        """Call ``task`` at the end of this reactor turn (after every read the
        turn handles), as the task of a batch of its own: what it writes
        then goes out eagerly, once per connection."""
        self._clock.callLater(0, self.run_as_batch, task)

    def run_as_batch(self, task: Callable[[], None]) -> None:
        """Call ``task`` now, as the task of a batch of its own (what it writes goes
        out eagerly, once per connection; an error in it is logged)."""
        self.hold()
        self.before_flush(task)
        self.release()

    def hold(self) -> None:
        """A read is being handled: what it writes waits for release()."""
        self._held += 1

    def release(self) -> None:
        """The read is handled: flush what it wrote (unless a delayed call
        already will, or an outer read is still being handled)."""
        self._held -= 1
        if self._held or self._call is not None or not (self._pending or self._tasks):
            return
        # A flush that causes writes to other sessions (an echo to a
        # broadcast, say) schedules them on a delayed call: this one is done.
        flushing, self.flushing = self.flushing, True
        try:
            # What the tasks queue (sessions, more tasks) belongs to this batch.
            self._held += 1
            while self._tasks:
                tasks = self._tasks
                self._tasks = []
                for task in tasks:
                    try:
                        task()
                    except Exception:
                        self.log.failure("Error in a task before flushing", level=LogLevel.error)
            self._held -= 1
            pending = self._pending
            self._pending = []
            for session in pending:
                try:
                    session.flush()
                except Exception:
                    self._flush_failed(session)
        finally:
            self.flushing = flushing

    def _run(self) -> None:
        # The delayed call: flush as a read's end does (release's loop).
        self._call = None
        self._held += 1
        self.release()

    def _flush_failed(self, session: Session) -> None:
        # One session's failure must not stop the others' output.
        self.log.failure("Error while flushing session {sid}", level=LogLevel.error,
                         sid=short_id(session.session_id))


class Service(object):
    """Holds what is shared by every session of one prefix."""

    log = Logger()

    def __init__(self, factory: Any, options: "Options", prefix: str, clock: Any,
                 flusher: Flusher, budget: MemoryBudget) -> None:
        self.factory = factory
        self.options = options
        self.prefix = prefix
        self.clock = clock
        self.flusher = flusher
        self.registry = SessionRegistry(options.max_sessions_per_client is not None)
        # Given to every session: made once here, not a bound method (and a timer) each.
        # (Fired as a flusher batch: heartbeats go straight to their sockets, no
        # Twisted write buffer, no epoll_ctl pair, for each idle session.)
        self.timers = SessionTimers(clock, options.heartbeat, options.timeout,
                                    batch=flusher.run_as_batch)
        self._schedule_flush = flusher.schedule
        self._forget = self.registry.forget
        self.origins = OriginPolicy(options.allowed_origins)
        self.proxies = ProxyPolicy(options.trusted_proxies)
        self.door = SessionDoor(self)
        # The WebSocket extensions offered in handshakes: permessage-deflate with the
        # ``compression`` option, and the sweep that frees idle connections' streams.
        self.websocket_extensions: Tuple["ExtensionFactory", ...] = ()
        self.idle_streams: Optional[IdleStreams] = None
        deflate = DeflateSettings.from_option(options.compression)
        if deflate is not None:
            self.websocket_extensions = (PerMessageDeflateFactory(deflate),)
            if deflate.release_after is not None:
                self.idle_streams = IdleStreams(clock, deflate.release_after)
        # Set by drain(): the door refuses new sessions.
        self.draining = False
        self.stats = ServiceStats()
        # Bad requests and refusals are logged through this (rate-limited).
        self.quiet = QuietLog(clock)
        self.broker: Broker = options.broker if options.broker is not None else MemoryBroker()
        self.broker.batch_with(flusher)
        self.iframe_body = (IFRAME_PAGE % options.sockjs_url).encode("utf-8")
        self.iframe_etag = '"%s"' % hashlib.md5(self.iframe_body).hexdigest()
        # What the sessions queue counts in the server's memory budget.
        self.budget = budget
        budget.services.append(self)
        self.idle_buffer: IdleSendBuffer[str] = self._idle_buffer()

    def use_budget(self, budget: MemoryBudget) -> None:
        """Count in ``budget`` instead (a site's, shared by its resources);
        before any session opens."""
        self.budget.services.remove(self)
        self.budget = budget
        budget.services.append(self)
        self.idle_buffer = self._idle_buffer()

    def _idle_buffer(self) -> IdleSendBuffer[str]:
        """The empty send buffer this service's idle sessions share (see IdleSendBuffer):
        the sessions' limit and policy, counted in the service's budget."""
        return IdleSendBuffer(self.options.send_buffer_limit, self.options.send_overflow,
                              self.budget)

    @property
    def sessions(self) -> Dict[str, Any]:
        """The sessions reachable by id (every HTTP transport)."""
        return self.registry.by_id

    def new_session(self, delegate: "SessionTransport", addressable: bool = True) -> Session:
        """A registered, not yet started session for ``delegate`` (a
        SessionTransport the door made)."""
        options = self.options
        handshake = delegate.handshake
        # (positional: matching eleven keywords costs a microsecond of every opening)
        session = Session(
            handshake.session_id, self.clock, options.heartbeat, options.timeout, delegate,
            self._schedule_flush,                       # schedule_flush
            self._forget if addressable else None,      # on_gone
            options.send_buffer_limit, options.send_overflow, self.budget, self.timers,
            self.idle_buffer)
        self.register(session, delegate, addressable)
        return session

    def new_raw_session(self, handler: RawHandler, delegate: "SessionTransport"
                        ) -> RawWebSocketSession:
        """A registered raw ``/websocket`` session writing to ``handler``."""
        options = self.options
        session = RawWebSocketSession(handler, delegate, options.send_buffer_limit,
                                      options.send_overflow, self.budget)
        self.register(session, delegate)
        return session

    def register(self, session: Any, delegate: "SessionTransport",
                 addressable: bool = False) -> None:
        self.registry.add(session, delegate.handshake.client_ip, addressable)
        # The delegate tells the registry when the session closes.
        delegate.session = session
        delegate.registry = self.registry

    def refused(self, reason: str, format: str, /, level: LogLevel = LogLevel.info,
                failure: Optional[Failure] = None, **kwargs: Any) -> None:
        """A session, or a later request of one, was refused for ``reason``
        (a ``rejected_total`` label): counted, and logged (at info unless
        told otherwise), rate-limited."""
        self.stats.rejected[reason] += 1
        self.quiet.emit(refusals, reason, format, level, failure, **kwargs)

    def drain(self, grace: float) -> "Deferred[None]":
        """Close every session gracefully; a Deferred that fires when none
        is left (see server/drain.py)."""
        return drain(self, grace)

    # -- topics, for code outside sessions (txsockjs.broker) ----------------------

    def publish(self, topic: str, message: Message) -> "Deferred[None]":
        """Send ``message`` (UTF-8 bytes) to every session subscribed to
        ``topic``, on every node; a Deferred (errbacks if Redis is away)."""
        return self.broker.publish(topic, message)

    def send(self, session_id: str, message: Message) -> "Deferred[bool]":
        """Send ``message`` to one session, on whichever node holds it; a
        Deferred of True, or False when no session has that id."""
        return self.broker.send(session_id, message)

    def presence(self, topic: str) -> "Deferred[Set[str]]":
        """A Deferred of the set of session ids subscribed to ``topic``."""
        return self.broker.presence(topic)

    def shutdown(self) -> None:
        for session in list(self.registry.live):
            session.shutdown()
        for session in list(self.registry.by_id.values()):
            session.shutdown()
        self.registry.by_id.clear()


class ServiceTopics(object):
    """``publish``, ``send`` and ``presence`` for an object that serves one
    ``service`` (SockJSFactory, SockJSResource): for code outside sessions."""

    service: Service

    def publish(self, topic: str, message: Message) -> "Deferred[None]":
        """Send ``message`` (UTF-8 bytes) to every subscriber of ``topic``, on
        every node; a Deferred (errbacks if Redis is away)."""
        return self.service.publish(topic, message)

    def send(self, session_id: str, message: Message) -> "Deferred[bool]":
        """Send ``message`` to the session ``session_id``, on whichever node
        holds it; a Deferred of True, or False when no session has that id."""
        return self.service.send(session_id, message)

    def presence(self, topic: str) -> "Deferred[Set[str]]":
        """A Deferred of the set of session ids subscribed to ``topic``, on
        every node."""
        return self.service.presence(topic)


_kernels_logged: List[bool] = []


def log_kernels_once() -> None:
    """Say which kernels run, once per process, when the first server starts (a factory
    or a SockJSResource): users on the slow path should hear of it."""
    if not _kernels_logged:
        _kernels_logged.append(True)
        from txsockjs import _speedups
        Logger(namespace="txsockjs").info(
            "txsockjs kernels: {implementation}{why}", implementation=_speedups.IMPLEMENTATION,
            why=" (%s)" % _speedups.FALLBACK_REASON if _speedups.FALLBACK_REASON else "")
