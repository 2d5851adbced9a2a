"""The one SockJS session state machine, shared by every transport.

A session outlives the HTTP requests that carry it.  At most one *receiver*
(a response that carries frames to the client: a websocket, a streaming or a
polling response) is attached at a time.  The session owns everything that
is the same on every transport, so it is written once:

* the ``o`` frame, message queueing and batching into ``a[...]`` frames;
* heartbeats while a receiver is attached, the disconnect delay while none is;
* ``c[2010,...]`` for a second receiver, ``c[3000,...]`` after close,
  ``c[1002,...]`` after the network dropped a receiver.

Time comes from an injected clock (anything with ``callLater``), so tests
drive it with ``twisted.internet.testing.MemoryReactorClock``.  One delayed
call per session serves both timers: a heartbeat is only due while a receiver
is attached, the disconnect delay only while none is.

A receiver is any object with:

``send_frame(frame: bytes) -> bool``
    write one frame; False means the response is complete (a polling
    response after one frame, a streaming one past its limit) and the
    receiver is detached.
``finish()``
    end the response (after a close frame).
"""

from txsockjs.protocol.frames import (
    CLOSE_ANOTHER_CONNECTION, CLOSE_INTERRUPTED, CLOSE_SHUTDOWN, HEARTBEAT, OPEN, encode_close,
    encode_messages,
)

NEW, OPEN_STATE, CLOSED = "new", "open", "closed"


class SessionDelegate(object):
    """What a session tells the application side (see SessionTransport)."""

    def opened(self, session):
        pass

    def messages_received(self, messages):
        pass

    def closed(self, clean):
        pass

    def drained(self):
        """The queue was just emptied into a receiver."""


class Session(object):
    __slots__ = (
        "session_id", "state", "receiver", "delegate", "queue", "close_frame",
        "_clock", "_heartbeat", "_timeout", "_timer", "_timer_is_heartbeat",
        "_schedule_flush", "_flush_pending", "_on_gone",
    )

    def __init__(self, session_id, clock, heartbeat, timeout, delegate=None,
                 schedule_flush=None, on_gone=None):
        self.session_id = session_id
        self.state = NEW
        self.receiver = None
        self.delegate = delegate if delegate is not None else SessionDelegate()
        self.queue = []
        self.close_frame = None
        self._clock = clock
        self._heartbeat = heartbeat
        self._timeout = timeout
        self._timer = None
        self._timer_is_heartbeat = False
        self._schedule_flush = schedule_flush
        self._flush_pending = False
        self._on_gone = on_gone

    # -- receivers ---------------------------------------------------------

    def attach(self, receiver):
        """A receiving request arrived: attach it, or answer it and end it."""
        if self.state == CLOSED:
            receiver.send_frame(self.close_frame)
            receiver.finish()
            return
        if self.receiver is not None:
            receiver.send_frame(CLOSE_ANOTHER_CONNECTION)
            receiver.finish()
            return
        self.receiver = receiver
        self._cancel_timer()
        if self.state == NEW:
            self.state = OPEN_STATE
            if not receiver.send_frame(OPEN):
                self.receiver = None
            self.delegate.opened(self)
            if self.state == CLOSED:
                return
            if self.receiver is None:
                self._start_timer(heartbeat=False)
                return
        if self.queue:
            self.flush()
        elif self.receiver is receiver:
            self._start_timer(heartbeat=True)

    def detach(self, receiver):
        """The receiver ended by itself (client went away cleanly)."""
        if receiver is self.receiver:
            self.receiver = None
            if self.state == OPEN_STATE:
                self._start_timer(heartbeat=False)

    def receiver_lost(self, receiver, clean=False):
        """The receiver's connection went away while attached.

        On HTTP transports that means the client aborted: the session closes
        with 1002, and later requests are told so.  A websocket that closed
        with a close handshake passes ``clean=True``.
        """
        if receiver is not self.receiver:
            return
        self.receiver = None
        if self.state == CLOSED:
            return
        self._close(CLOSE_INTERRUPTED, clean)

    # -- from the client ---------------------------------------------------

    def messages_received(self, messages):
        if self.state == OPEN_STATE and messages:
            self.delegate.messages_received(messages)

    # -- from the application ----------------------------------------------

    def send(self, message):
        """Queue one message (str); it leaves in the next flush."""
        if self.state == CLOSED:
            return False
        self.queue.append(message)
        if self.receiver is not None and not self._flush_pending:
            if self._schedule_flush is None:
                self.flush()
            else:
                self._flush_pending = True
                self._schedule_flush(self)
        return True

    def flush(self):
        """Send every queued message in one frame, if a receiver is attached."""
        self._flush_pending = False
        receiver = self.receiver
        if receiver is None or not self.queue:
            return
        frame = encode_messages(self.queue)
        self.queue = []
        self.delegate.drained()
        if not receiver.send_frame(frame):
            self.receiver = None
            if self.state == OPEN_STATE:
                self._start_timer(heartbeat=False)
        elif self.state == OPEN_STATE and self._timer is None:
            self._start_timer(heartbeat=True)

    def send_frame_bytes(self, frame, shared=None):
        """Send an already-encoded ``a[...]`` frame (broadcast); False if it
        cannot go out right now as it is (queue not empty or no receiver).

        ``shared`` is a dict the caller keeps across sessions: a receiver
        with ``send_shared(frame, shared)`` stores its wire encoding there,
        so a frame is framed once per wire format, not once per session."""
        receiver = self.receiver
        if self.state != OPEN_STATE or receiver is None or self.queue:
            return False
        if shared is not None and hasattr(receiver, "send_shared"):
            receiver.send_shared(frame, shared)
            return True
        if not receiver.send_frame(frame):
            self.receiver = None
            self._start_timer(heartbeat=False)
        return True

    def close(self, code=3000, reason="Go away!"):
        """The application closes the session (flushing what it queued)."""
        if self.state == CLOSED:
            return
        if self.state == NEW:
            self.state = OPEN_STATE
        self.flush()
        self._close(encode_close(code, reason), True)

    # -- internals ---------------------------------------------------------

    def _close(self, close_frame, clean):
        self.state = CLOSED
        self.close_frame = close_frame
        self.queue = []
        receiver = self.receiver
        self.receiver = None
        if receiver is not None:
            receiver.send_frame(close_frame)
            receiver.finish()
        # Keep answering with the close frame for one disconnect delay.
        self._start_timer(heartbeat=False)
        self.delegate.closed(clean)

    def _start_timer(self, heartbeat):
        self._cancel_timer()
        self._timer_is_heartbeat = heartbeat
        delay = self._heartbeat if heartbeat else self._timeout
        self._timer = self._clock.callLater(delay, self._on_timer)

    def _cancel_timer(self):
        timer = self._timer
        if timer is not None:
            self._timer = None
            if timer.active():
                timer.cancel()

    def _on_timer(self):
        self._timer = None
        if self.state == CLOSED:
            self._gone()
        elif self._timer_is_heartbeat:
            receiver = self.receiver
            if receiver is None:
                self._start_timer(heartbeat=False)
            elif receiver.send_frame(HEARTBEAT):
                self._start_timer(heartbeat=True)
            else:
                self.receiver = None
                self._start_timer(heartbeat=False)
        else:
            # Nobody came back within the disconnect delay.
            self.state = CLOSED
            self.close_frame = CLOSE_INTERRUPTED
            self.queue = []
            self._gone()
            self.delegate.closed(False)

    def _gone(self):
        on_gone = self._on_gone
        self._on_gone = None
        if on_gone is not None:
            on_gone(self)

    def shutdown(self):
        """The server is stopping: the attached receiver gets
        ``c[1001,"Server shutting down"]`` and ends; the application hears of
        it as a lost connection."""
        self._cancel_timer()
        self._on_gone = None
        if self.state != CLOSED:
            self.state = CLOSED
            self.close_frame = CLOSE_SHUTDOWN
            receiver = self.receiver
            self.receiver = None
            self.queue = []
            if receiver is not None:
                receiver.send_frame(CLOSE_SHUTDOWN)
                receiver.finish()
            self.delegate.closed(False)
