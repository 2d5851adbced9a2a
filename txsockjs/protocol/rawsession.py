"""The raw ``/websocket`` endpoint's session: each message is one WebSocket
text frame (or binary: ``send_binary``), no SockJS framing, no heartbeats; the
same send limits as a SockJS session (see :mod:`txsockjs.protocol.sendbuffer`).

Its ``handler`` (the WebSocket connection) has ``send_payload(bytes)``,
``send_binary(bytes)`` and ``close(code, reason)``.  Messages go straight to it while its socket takes
them, and wait in the send buffer while it is full (``write_paused``).
"""

from typing import Optional, Protocol, Tuple, Union

from txsockjs.protocol import session as states
from txsockjs.protocol.sendbuffer import (
    OVERFLOW_CLOSE, BinaryMessage, Budget, SendBuffer, utf8_size,
)

SHUTDOWN_CLOSE = (1001, "Server shutting down")


class RawHandler(Protocol):
    """The WebSocket connection a raw session writes to."""

    def send_payload(self, payload: bytes) -> None: ...

    def send_binary(self, payload: bytes) -> None: ...

    def close(self, code: int, reason: str) -> None: ...

    def pause_reading(self, paused: bool) -> None: ...


class RawWebSocketSession(object):

    __slots__ = ("handler", "delegate", "closed", "buffer", "_write_paused")

    session_id: Optional[str] = None

    def __init__(self, handler: RawHandler, delegate: states.SessionDelegate,
                 send_limit: int = states.DEFAULT_SEND_LIMIT, overflow: str = "close",
                 budget: Optional[Budget] = None) -> None:
        self.handler = handler
        self.delegate = delegate
        self.closed = False
        self.buffer: SendBuffer[Union[str, BinaryMessage]] = SendBuffer(send_limit, overflow, budget)
        self._write_paused = False

    def send_binary(self, data: bytes) -> bool:
        """Send one binary message, after those sent before."""
        if not self._write_paused and not self.buffer.messages and not self.closed:
            self.handler.send_binary(data)
            return True
        return self.send(BinaryMessage(data), len(data))

    def send(self, message: Union[str, BinaryMessage], size: Optional[int] = None) -> bool:
        if self.closed:
            return False
        buffer = self.buffer
        if not self._write_paused and not buffer.messages:
            if isinstance(message, bytes):
                self.handler.send_binary(message)
            else:
                self.handler.send_payload(message.encode("utf-8"))
            return True
        if size is None:
            size = utf8_size(message)
        dropped = buffer.dropped
        queued = buffer.add(message, size)
        if buffer.dropped != dropped:
            self.delegate.dropped(buffer.dropped - dropped)
        if not queued:
            if buffer.policy == "close":
                buffer.clear()
                self._end(OVERFLOW_CLOSE, states.OVERFLOW)
            return False
        budget = buffer.budget
        if budget.used > budget.limit and not buffer.kept_after_shedding(message):
            return False
        if not buffer.pressured and buffer.above_high_water():
            buffer.pressured = True
            self.delegate.pressure(True)
        return True

    def over_budget(self, excess: int) -> None:
        """As Session.over_budget: this session's own overflow policy applies."""
        buffer = self.buffer
        if buffer.policy == "close" or self.closed:
            buffer.clear()
            if not self.closed:
                self._end(OVERFLOW_CLOSE, states.OVERFLOW)
        else:
            self.delegate.dropped(buffer.shed(excess))

    def pause_reading(self, paused: bool) -> None:
        self.handler.pause_reading(paused)

    def write_paused(self, paused: bool) -> None:
        if paused == self._write_paused:
            return
        self._write_paused = paused
        self.delegate.write_paused(paused)
        if not paused:
            self._flush()

    def _flush(self) -> None:
        buffer = self.buffer
        if not buffer.messages:
            return
        send_payload = self.handler.send_payload
        for message in buffer.take():
            if isinstance(message, bytes):
                self.handler.send_binary(message)
            else:
                send_payload(message.encode("utf-8"))
        if buffer.pressured:
            buffer.pressured = False
            self.delegate.pressure(False)

    def close(self, code: int = 3000, reason: str = "Go away!", why: str = states.CLOSED_BY_APP) -> None:
        """Close after every message written before (the close handshake
        waits behind them in the socket)."""
        if not self.closed:
            self._flush()
            self._end((code, reason), why)

    def shutdown(self) -> None:
        self.close(*SHUTDOWN_CLOSE, why=states.SHUTDOWN)

    drain = shutdown

    def _end(self, close: Tuple[int, str], why: str) -> None:
        self.closed = True
        self.handler.close(*close)
        self.delegate.closed(why)

    def ended(self, clean: bool) -> None:
        """The connection ended (the client closed, or the network dropped it)."""
        if not self.closed:
            self.closed = True
            self.buffer.clear()
            self.delegate.closed(states.CLOSED_BY_CLIENT if clean else states.INTERRUPTED)
