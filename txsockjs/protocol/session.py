"""The one SockJS session state machine, shared by every transport.

A session outlives the HTTP requests that carry it.  At most one *receiver*
(a response that carries frames to the client: a websocket, a streaming or a
polling response) is attached at a time.  The session owns everything that
is the same on every transport, so it is written once:

* the ``o`` frame, message queueing and batching into ``a[...]`` frames;
* heartbeats while a receiver is attached, the disconnect delay while none is;
* ``c[2010,...]`` for a second receiver, ``c[3000,...]`` after close,
  ``c[1002,...]`` after the network dropped a receiver.

Time comes from an injected clock (``seconds`` and ``callLater``), so tests
drive it with ``twisted.internet.testing.MemoryReactorClock``.  A session waits
in at most one of its service's two deadline queues (:class:`SessionTimers`,
one delayed call each, shared by every session): a heartbeat is only due while
a receiver is attached, the disconnect delay only while none is.

A receiver is any object with:

``send_frame(frame: bytes) -> bool``
    write one frame; False means the response is complete (a polling
    response after one frame, a streaming one past its limit) and the
    receiver is detached.
``send_shared(frame: bytes, shared) -> bool``
    ``send_frame`` for a broadcast's frame (see ``send_frame_bytes``).
``finish()``
    end the response (after a close frame).

What the application writes waits in a :class:`SendBuffer` (with a byte
limit and an overflow policy) until a receiver can take it: between polls,
and while the socket carrying the receiver is full (``write_paused``).
Messages written before a close reach the client before the close frame,
whether or not a receiver is attached when the application closes.
"""

from typing import Any, Callable, List, Optional, Protocol, Sequence

from txsockjs.protocol.frames import (
    CLOSE_ANOTHER_CONNECTION, CLOSE_INTERRUPTED, CLOSE_SHUTDOWN, HEARTBEAT, OPEN, encode_close,
    encode_messages,
)
from txsockjs.protocol.deadlinequeue import DeadlineQueue
from txsockjs.protocol.sendbuffer import (
    EMPTY_QUEUE, OVERFLOW_CLOSE, Budget, IdleSendBuffer, SendBuffer, utf8_size,
)

NEW, OPEN_STATE, CLOSED = "new", "open", "closed"

# Why a session closed, as told to the delegate.
CLOSED_BY_APP = "app"            # the application closed it (clean)
CLOSED_BY_CLIENT = "client"      # a websocket close handshake (clean)
INTERRUPTED = "interrupted"      # the network dropped a receiver
TIMED_OUT = "timeout"            # nobody came back within the disconnect delay
APP_FAILED = "app_error"         # the application raised (closed with 1011)
OVERFLOW = "overflow"            # the send buffer overflowed under the "close" policy
SHUTDOWN = "shutdown"            # the server stops
CLEAN = frozenset([CLOSED_BY_APP, CLOSED_BY_CLIENT])

DEFAULT_SEND_LIMIT = 1 << 20


class Receiver(Protocol):
    """What carries a session's frames to the client (see the module docstring)."""

    def send_frame(self, frame: bytes) -> bool: ...

    def send_shared(self, frame: bytes, shared: Any) -> bool:
        """``send_frame`` for a frame broadcast to many sessions; ``shared`` is kept
        across them (see ``Session.send_frame_bytes``)."""

    def finish(self) -> None: ...


class SessionDelegate(object):
    """What a session tells the application side (see SessionTransport)."""

    __slots__ = ()

    def opened(self, session: "Session") -> None:
        pass

    def messages_received(self, messages: Sequence[str]) -> None:
        pass

    def closed(self, why: str) -> None:
        """The session closed; ``why`` is one of the reasons above."""

    def pressure(self, high: bool) -> None:
        """The send buffer went past its high-water mark (True), or was
        handed on below it again (False)."""

    def write_paused(self, paused: bool) -> None:
        """The socket carrying the session is full (True) or drained (False)."""

    def dropped(self, count: int) -> None:
        """The overflow policy dropped ``count`` more messages."""


class Session(object):
    __slots__ = (
        "session_id", "state", "receiver", "delegate", "buffer", "close_frame", "close_delivered",
        "_timers", "_timer", "_schedule_flush", "_flush_pending", "_on_gone", "_write_paused",
    )

    # ``clock`` provides IReactorTime (callLater); zope interfaces are no types
    # to mypy without a plugin, so it is Any, as the reactor is elsewhere.
    def __init__(self, session_id: Optional[str], clock: Any, heartbeat: float, timeout: float,
                 delegate: Optional[SessionDelegate] = None,
                 schedule_flush: Optional[Callable[["Session"], None]] = None,
                 on_gone: Optional[Callable[["Session"], None]] = None,
                 send_limit: int = DEFAULT_SEND_LIMIT, overflow: str = "close",
                 budget: Optional[Budget] = None,
                 timers: Optional["SessionTimers"] = None,
                 idle_buffer: Optional[IdleSendBuffer[str]] = None) -> None:
        self.session_id = session_id
        self.state = NEW
        self.receiver: Optional[Receiver] = None
        self.delegate = delegate if delegate is not None else SessionDelegate()
        # (``idle_buffer``: the service's shared empty buffer of the same settings; the
        # session gets its own with its first message)
        self.buffer: SendBuffer[str] = idle_buffer if idle_buffer is not None else \
            SendBuffer(send_limit, overflow, budget)
        self.close_frame: Optional[bytes] = None
        # True once a receiver was given the close frame (or nobody can be).
        self.close_delivered = False
        # The service's deadline queues (shared: see SessionTimers), and the one this
        # session waits in (None: no timer).
        self._timers = timers if timers is not None else SessionTimers(clock, heartbeat, timeout)
        self._timer: Optional[DeadlineQueue] = None
        self._schedule_flush = schedule_flush
        self._flush_pending = False
        self._on_gone = on_gone
        self._write_paused = False

    @property
    def queue(self) -> List[str]:
        """The messages waiting for a receiver (oldest first)."""
        return self.buffer.queued()

    # -- receivers ---------------------------------------------------------

    def attach(self, receiver: Receiver, open_sent: bool = False) -> None:
        """A receiving request arrived: attach it, or answer it and end it.
        ``open_sent``: the receiver wrote the open frame already (a new session's
        websocket sends it with its 101 head)."""
        if self.state == CLOSED:
            # What was written before the close goes first; a polling
            # receiver takes one frame, so the close frame waits for the next.
            if self.buffer.messages and not self._send_queued(receiver):
                return
            # (a closed session always has its close frame)
            assert self.close_frame is not None
            receiver.send_frame(self.close_frame)
            receiver.finish()
            self.close_delivered = True
            return
        if self.receiver is not None:
            receiver.send_frame(CLOSE_ANOTHER_CONNECTION)
            receiver.finish()
            return
        self.receiver = receiver
        if self._timer is not None:
            self._cancel_timer()
        if self.state == NEW:
            self.state = OPEN_STATE
            if not open_sent:
                self._send(OPEN)
            self.delegate.opened(self)
            if self.state == CLOSED or self.receiver is None:
                return
        if self.buffer.messages:
            self.flush()
        elif self.receiver is receiver:
            self._start_timer(heartbeat=True)

    def receiver_lost(self, receiver: Receiver, clean: bool = False) -> None:
        """The receiver's connection went away while attached.

        On HTTP transports that means the client aborted: the session closes
        with 1002, and later requests are told so.  A websocket that closed
        with a close handshake passes ``clean=True``.
        """
        if receiver is not self.receiver:
            return
        self.receiver = None
        self._unpause()
        if self.state == CLOSED:
            return
        self._close(CLOSE_INTERRUPTED, CLOSED_BY_CLIENT if clean else INTERRUPTED, keep_queue=False)

    def write_paused(self, paused: bool) -> None:
        """The socket carrying the attached receiver is full (True): frames
        wait in the buffer, where the limit holds, until it drains (False)."""
        if paused == self._write_paused:
            return
        self._write_paused = paused
        self.delegate.write_paused(paused)
        if not paused and self.buffer.messages:
            self.flush()

    def pause_reading(self, paused: bool) -> None:
        """The application paused (True) or resumed the client's messages:
        a receiver that can stop reading from its client (a websocket) does."""
        pause = getattr(self.receiver, "pause_reading", None)
        if pause is not None:
            pause(paused)

    # -- from the client ---------------------------------------------------

    def messages_received(self, messages: Sequence[str]) -> None:
        if self.state == OPEN_STATE and messages:
            self.delegate.messages_received(messages)

    # -- from the application ----------------------------------------------

    def send(self, message: str, size: Optional[int] = None) -> bool:
        """Queue one message (str, ``size`` bytes of UTF-8); it leaves in the
        next flush.  False if it was not queued (closed, or dropped by the
        overflow policy)."""
        if self.state == CLOSED:
            return False
        if size is None:
            size = utf8_size(message)
        buffer = self.buffer
        total = buffer.size + size
        budget = buffer.budget
        if total > buffer.limit:
            if isinstance(buffer, IdleSendBuffer):  # (the first message: see IdleSendBuffer)
                self.buffer = buffer.own()
                return self.send(message, size)
            if not self._overflow(message, size):
                return False
        else:
            messages = buffer.messages
            if messages:
                messages.append(message)  # (not empty: a list, see SendBuffer)
            else:
                buffer.messages = [message]
            buffer.size = total
            budget.used += size
        if budget.used > budget.limit and not buffer.kept_after_shedding(message):
            return False
        if not buffer.pressured and buffer.size >= buffer.high_water:
            buffer.pressured = True
            self.delegate.pressure(True)
        if self.receiver is not None and not self._flush_pending and not self._write_paused:
            if self._schedule_flush is None:
                self.flush()
            else:
                self._flush_pending = True
                self._schedule_flush(self)
        return True

    def _overflow(self, message: str, size: int) -> bool:
        buffer = self.buffer
        dropped = buffer.dropped
        if buffer.add(message, size):
            self.delegate.dropped(buffer.dropped - dropped)
            return True
        if buffer.policy == "close":
            self._close(encode_close(*OVERFLOW_CLOSE), OVERFLOW, keep_queue=False)
        else:
            self.delegate.dropped(buffer.dropped - dropped)
        return False

    def over_budget(self, excess: int) -> None:
        """The server holds more than its budget and this session the most:
        its own overflow policy frees (at least) ``excess`` bytes, or all it holds."""
        buffer = self.buffer
        if self.state == CLOSED:
            buffer.clear()      # its client gets the close frame alone
        elif buffer.policy == "close":
            self._close(encode_close(*OVERFLOW_CLOSE), OVERFLOW, keep_queue=False)
        else:
            self.delegate.dropped(buffer.shed(excess))

    def flush(self) -> None:
        """Send every queued message in one frame, if a receiver can take it."""
        self._flush_pending = False
        # (.messages: a list's truth costs no Python call; this runs per flush)
        if self.receiver is None or not self.buffer.messages or self._write_paused:
            return
        self._send_queued(self.receiver)
        if self.state == OPEN_STATE and self.receiver is not None and self._timer is None:
            self._start_timer(heartbeat=True)

    def _send_queued(self, receiver: Receiver) -> bool:
        """Hand every queued message to ``receiver`` as one frame; False if
        that completed the receiver."""
        buffer = self.buffer
        messages = buffer.messages
        if buffer.head:  # ("drop_oldest" dropped some, see SendBuffer.head)
            messages = messages[buffer.head:]
            buffer.head = 0
        buffer.messages = EMPTY_QUEUE
        buffer.budget.used -= buffer.size
        buffer.size = 0
        frame = encode_messages(messages)
        if buffer.pressured:
            buffer.pressured = False
            self.delegate.pressure(False)
        attached = receiver is self.receiver
        # (receiver.send_frame, not self._send: one call less on every flush)
        if receiver.send_frame(frame):
            return True
        if attached:
            self._receiver_done()
        return False

    def send_frame_bytes(self, frame: bytes, shared: Any = None) -> bool:
        """Send an already-encoded ``a[...]`` frame (broadcast); False if it
        cannot go out right now as it is (queue not empty, no receiver, or
        its socket full): the caller then queues the message with ``send``.

        ``shared`` is what the caller keeps across the sessions of one
        broadcast (server/fanout.py's SharedFrame), handed to the receiver's
        ``send_shared``: a websocket keeps its wire encoding there, so a frame
        is framed once per wire format, not once per session."""
        receiver = self.receiver
        if self.state != OPEN_STATE or receiver is None or self.buffer.messages or \
                self._write_paused:
            return False
        if shared is None:
            self._send(frame)
        elif not receiver.send_shared(frame, shared):
            self._receiver_done()
        return True

    def close(self, code: int = 3000, reason: str = "Go away!", why: str = CLOSED_BY_APP) -> None:
        """Close the session (the application, or a draining server); what
        was written before goes first, now or at the next poll."""
        if self.state == CLOSED:
            return
        if self.state == NEW:
            self.state = OPEN_STATE
        self.flush()
        frame = CLOSE_SHUTDOWN if why == SHUTDOWN else encode_close(code, reason)
        self._close(frame, why, keep_queue=True)

    def drain(self) -> None:
        """The server drains: close with ``c[1001,"Server shutting down"]``
        after what was queued, now or at the next poll."""
        self.close(why=SHUTDOWN)

    def discard(self) -> None:
        """Forget a closed session whose client never came back for its
        close frame (a drain's grace period is over)."""
        self._cancel_timer()
        self.buffer.clear()
        self.close_delivered = True
        self._gone()

    def shutdown(self) -> None:
        """The server stops now: the attached receiver gets what is queued
        and ``c[1001,"Server shutting down"]``; nothing waits for a poll."""
        self._cancel_timer()
        self._on_gone = None
        if self.state != CLOSED:
            self.flush()
            self._close(CLOSE_SHUTDOWN, SHUTDOWN, keep_queue=True)

    # -- internals ---------------------------------------------------------

    def _send(self, frame: bytes) -> bool:
        """Send a frame to the attached receiver; when that completes it,
        the session waits for the next one."""
        # (called only while a receiver is attached)
        assert self.receiver is not None
        if self.receiver.send_frame(frame):
            return True
        self._receiver_done()
        return False

    def _receiver_done(self) -> None:
        self.receiver = None
        self._unpause()
        if self.state == OPEN_STATE:
            self._start_timer(heartbeat=False)

    def _unpause(self) -> None:
        # The next receiver comes on a socket of its own.
        if self._write_paused:
            self._write_paused = False
            self.delegate.write_paused(False)

    def _close(self, close_frame: bytes, why: str, keep_queue: bool) -> None:
        self.state = CLOSED
        self.close_frame = close_frame
        if not keep_queue:
            self.buffer.clear()
        receiver = self.receiver
        self.receiver = None
        if receiver is not None and not self.buffer.messages:
            receiver.send_frame(close_frame)
            receiver.finish()
            self.close_delivered = True
        elif receiver is not None:
            # Its socket is full: what is queued still goes first.
            self.attach(receiver)
        if self._on_gone is not None:
            # Keep answering with the close frame for one disconnect delay.
            self._start_timer(heartbeat=False)
        self.delegate.closed(why)

    def _start_timer(self, heartbeat: bool) -> None:
        timers = self._timers
        queue = timers.heartbeat if heartbeat else timers.timeout
        timer = self._timer
        if timer is not None and timer is not queue:
            timer.discard(self)
        self._timer = queue
        queue.add(self)

    def _cancel_timer(self) -> None:
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.discard(self)

    def _on_timer(self) -> None:
        heartbeat = self._timer is self._timers.heartbeat
        self._timer = None
        if self.state == CLOSED:
            self.buffer.clear()
            self.close_delivered = True
            self._gone()
        elif heartbeat:
            if self.receiver is None:
                self._start_timer(heartbeat=False)
            elif self._send(HEARTBEAT):
                self._start_timer(heartbeat=True)
        else:
            # Nobody came back within the disconnect delay.
            self.state = CLOSED
            self.close_frame = CLOSE_INTERRUPTED
            self.close_delivered = True
            self.buffer.clear()
            self._gone()
            self.delegate.closed(TIMED_OUT)

    def _gone(self) -> None:
        on_gone = self._on_gone
        self._on_gone = None
        if on_gone is not None:
            on_gone(self)


class SessionTimers(object):
    """The heartbeat and disconnect-delay deadlines of every session of a service: two
    queues on one clock, one delayed call each, instead of a DelayedCall per session."""

    __slots__ = ("heartbeat", "timeout")

    def __init__(self, clock: Any, heartbeat: float, timeout: float,
                 batch: Optional[Callable[[Callable[[], None]], None]] = None) -> None:
        self.heartbeat = DeadlineQueue(clock, heartbeat, Session._on_timer, batch=batch)
        self.timeout = DeadlineQueue(clock, timeout, Session._on_timer, batch=batch)
