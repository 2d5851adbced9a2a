"""Taking over a twisted.web request's connection after a WebSocket handshake, so that our
own WebSocket (``server/wsbridge.py``) runs on it, as on our own HTTP channel.

This is one of the two places where txsockjs reaches under Twisted's public API (the other
is the eager-write module), so it is small, probed at run time (:func:`unavailable`), and
tested at both ends of the Twisted range.  What it relies on:

* ``request.channel``: the ``twisted.web.http.HTTPChannel`` the request came on (the one
  twisted.web attribute), a ``LineReceiver`` with a ``transport``;
* the documented hooks of that protocol: ``dataReceived``, ``rawDataReceived`` and
  ``connectionLost``.  We replace them on that one channel instance; the channel stays the
  transport's protocol, so TLS, which wraps it, keeps working.  Twisted's own WebSocket
  support does the same (``HTTPChannel._protocolUpgradeForWebsockets``, private);
* ``LineReceiver.clearLineBuffer()``: what the client sent in the same read after its
  handshake (a first frame, hixie-76's key) is still in the channel's line buffer while
  the resource renders.  Newer Twisted would hand it to ``rawDataReceived`` afterwards;
  Twisted 22.10 stays in line mode and would read it as the next request (a CRLF in a frame
  got a "400 Bad Request" written into the WebSocket).  We claim it at once on both.

The request is never finished: twisted.web then reads no more requests from the
connection and never restarts its idle timeout.
"""

from typing import TYPE_CHECKING, Any, Optional

from twisted.internet.interfaces import IPushProducer
from twisted.protocols.basic import LineReceiver
from twisted.python.failure import Failure
from zope.interface import implementer

from txsockjs.server.contracts import PauseCallback
from txsockjs.server import readpauses

if TYPE_CHECKING:
    from twisted.web.server import Request

    from txsockjs.server.servicecore import Service
    from txsockjs.server.wsbridge import WebSocketBridge

# As on our own channel: a hixie-76 key that never comes is cut after this long.
HANDSHAKE_TIMEOUT = 30.0
# What the client may send while its session is being admitted (authorize may take
# seconds) before we stop reading its socket, as our own channel stops at its
# MAX_PIPELINED: without it a client could fill the server's memory meanwhile.
MAX_PENDING = 256 * 1024


def unavailable(request: "Request") -> Optional[str]:
    """Why this request's connection cannot be taken over, or None when it can."""
    if request.clientproto not in (b"HTTP/1.1", b"HTTP/1.0"):
        # HTTP/2 (twisted.web's h2) has no Upgrade.  (HTTP/1.0 is refused by the handshake's
        # checks, with the same answer as on our own channel.)
        return "WebSocket needs HTTP/1.1 (this request came over %s)." % (
            request.clientproto.decode("latin-1", "replace"),)
    channel = getattr(request, "channel", None)
    if not isinstance(channel, LineReceiver) or getattr(channel, "transport", None) is None:
        return "WebSocket is not available through this twisted.web version."
    return None


@implementer(IPushProducer)
class TakenOverConnection(object):
    """The wire of a WebSocket on a twisted.web connection (see contracts.WireLike).

    From :func:`take_over` on, what the client sends waits here until the bridge is
    attached; from then on it goes straight to the bridge."""

    __slots__ = ("service", "channel", "transport", "tls", "on_pause", "_bridge", "_pending",
                 "_reads", "_handshake_timer")

    def __init__(self, service: "Service", request: "Request") -> None:
        channel: Any = request.channel
        self.service = service
        self.channel = channel
        self.transport: Any = channel.transport
        self.tls: bool = request.isSecure()
        self.on_pause: Optional[PauseCallback] = None
        self._bridge: Optional["WebSocketBridge"] = None
        # (a bytearray: a client trickling bytes while authorize runs costs no copies)
        self._pending = bytearray(channel.clearLineBuffer())  # (see the module's doc)
        self._reads = 0  # (bits: see readpauses)
        self._handshake_timer: Any = None
        # From now on the channel's bytes and its end come here (see the module's doc).
        channel.dataReceived = self._data_received
        channel.rawDataReceived = self._data_received
        channel.connectionLost = self._connection_lost
        # Finished only when the session door refused the handshake (an upgraded request
        # is never finished): the refusal goes out, then the connection closes.
        request.notifyFinish().addCallbacks(self._refused, lambda failure: None)

    def _refused(self, ignored: object) -> None:
        if self._bridge is None:
            self.transport.loseConnection()

    def write(self, data: bytes) -> None:
        self.transport.write(data)

    # (twisted.web's connections write through Twisted's buffer, now too)
    write_now = write

    def attach_websocket(self, bridge: "WebSocketBridge", handshake_complete: bool) -> None:
        self._bridge = bridge
        # The socket's fullness now reaches the session through us, not twisted.web.
        transport = self.transport
        transport.unregisterProducer()
        transport.registerProducer(self, True)
        if not handshake_complete:
            self._handshake_timer = self.service.clock.callLater(
                HANDSHAKE_TIMEOUT, transport.abortConnection)
        pending, self._pending = bytes(self._pending), bytearray()
        self.resume_reading("pipeline")
        if pending:
            self._data_received(pending)

    def handshake_completed(self) -> None:
        timer, self._handshake_timer = self._handshake_timer, None
        if timer is not None and timer.active():
            timer.cancel()

    # -- the channel's hooks ---------------------------------------------------------------

    def _data_received(self, data: bytes) -> None:
        bridge = self._bridge
        if bridge is None:
            self._pending += data  # (the session is still being admitted)
            if len(self._pending) > MAX_PENDING:
                self.pause_reading("pipeline")
            return
        # What handling these bytes writes to sessions is flushed when it is done.
        flusher = self.service.flusher
        flusher.hold()
        try:
            bridge.data_received(data)
        finally:
            flusher.release()

    def _connection_lost(self, reason: Failure) -> None:
        self.handshake_completed()
        bridge = self._bridge
        if bridge is None:
            # Lost while the session was being admitted: twisted.web tells the request,
            # and the door gives the admission up.
            type(self.channel).connectionLost(self.channel, reason)
            return
        self._bridge = None
        self.on_pause = None
        bridge.connection_lost(reason)

    # -- flow control ----------------------------------------------------------------------

    def pause_reading(self, reason: str) -> None:
        self._reads = readpauses.pause(self.transport, self._reads, reason)

    def resume_reading(self, reason: str) -> None:
        self._reads = readpauses.resume(self.transport, self._reads, reason)

    def pauseProducing(self) -> None:
        """The socket's send buffer is full: stop reading this peer's frames and pause the
        session until it drains."""
        self.pause_reading("write")
        if self.on_pause is not None:
            self.on_pause(True)
        elif self._bridge is not None:
            self._bridge.write_paused(True)

    def resumeProducing(self) -> None:
        self.resume_reading("write")
        if self.on_pause is not None:
            self.on_pause(False)
        elif self._bridge is not None:
            self._bridge.write_paused(False)

    def stopProducing(self) -> None:
        pass


def take_over(service: "Service", request: "Request") -> TakenOverConnection:
    """Take ``request``'s connection over (check :func:`unavailable` first)."""
    return TakenOverConnection(service, request)
