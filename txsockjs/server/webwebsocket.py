"""WebSocket sessions through twisted.web: the SockJS ``websocket`` transport
and the raw endpoint on top of ``twisted.web.websocket.WebSocketResource``
(wsproto does the RFC 6455 framing there).  The checks, the session door
and the session are the same as on our own HTTP channel."""

import inspect
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Type

from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.web.server import NOT_DONE_YET

from txsockjs.server import websocket
from txsockjs.server.contracts import RequestLike, ResponseLike
from txsockjs.server.web import (
    WebConnection, WebResponse, WebSocketClosedError, WebSocketResource,
)

if TYPE_CHECKING:
    from twisted.web.server import Request

    from txsockjs.server.service import Service
    from txsockjs.server.sessiontransport import SessionTransport



def upgrade(service: "Service", conn: WebConnection, request: RequestLike,
            response: ResponseLike, session_id: Optional[str]) -> None:
    # (a WebConnection's requests are answered by a WebResponse)
    assert isinstance(response, WebResponse)
    if WebSocketResource is None:
        return response.error(404, "WebSocket needs Twisted 25.5 or later with "
                                   "twisted[websocket] here.")
    if not websocket.acceptable(service, request, response):
        return
    if websocket.is_hixie76(request):
        return response.error(400, "The hixie-76 WebSocket handshake is not supported "
                                   "through twisted.web.")
    if websocket.rfc6455_key(request, response) is None:
        return
    raw = session_id is None

    def opened(delegate: "SessionTransport") -> None:
        protocol = SockJSWebSocketProtocol(service, raw, conn.request)
        target: Any
        if raw:
            target = service.new_raw_session(protocol, delegate)
        else:
            target = service.new_session(delegate, addressable=False)
        protocol.target = target
        # The socket's fullness reaches the session through the request, whose
        # channel stays the transport's producer after the upgrade.
        response.pause_with(target.write_paused)
        response.started = True
        service.registry.upgraded.add(protocol)
        refused = WebSocketResource(_Once(protocol)).render(conn.request)
        if refused != NOT_DONE_YET:
            # wsproto refused a handshake our checks let through: its answer
            # goes out, and the session made for it is given up.
            conn.request.write(refused)
            conn.request.finish()
            protocol.connectionLost(Failure(ConnectionDone()))

    service.door.open(conn, request, response, "raw_websocket" if raw else "websocket",
                      session_id, opened)


def _takes_reason(method: Callable[..., Any], known: Dict[Type[Any], bool] = {}) -> bool:
    kind = type(getattr(method, "__self__", None))
    if kind not in known:
        try:
            known[kind] = "reason" in inspect.signature(method).parameters
        except (TypeError, ValueError):
            known[kind] = False
    return known[kind]


class _Once(object):
    """The WebSocketServerFactory for one upgrade: the protocol is made already."""

    def __init__(self, protocol: "SockJSWebSocketProtocol") -> None:
        self.protocol = protocol

    def buildProtocol(self, request: "Request") -> "SockJSWebSocketProtocol":
        return self.protocol


class SockJSWebSocketProtocol(object):
    """A ``twisted.web.websocket.WebSocketProtocol``, and the session's
    receiver (``send_frame``/``finish``) or the raw session's handler
    (``send_payload``/``close``)."""

    def __init__(self, service: "Service", raw: bool, request: "Request") -> None:
        self.service = service
        self.raw = raw
        self.request = request
        # A Session, or a RawWebSocketSession when ``raw``.
        self.target: Any = None
        # twisted.web's WebSocketTransport (once negotiation started)
        self.transport: Any = None
        self.closing = False
        self.open = False

    # -- twisted.web.websocket.WebSocketProtocol ----------------------------------

    def negotiationStarted(self, transport: Any) -> None:
        self.transport = transport

    def negotiationFinished(self) -> None:
        self.open = True
        if self.raw:
            self.target.delegate.opened(self.target)
        else:
            self.target.attach(self)

    def textMessageReceived(self, text: str) -> None:
        if self.closing:
            return
        if len(text) > self.service.options.max_message_size:
            return self.close(1009, "Message too big")
        if self.raw:
            self.target.delegate.messages_received([text])
            return
        messages = websocket.client_messages(self.service, text)
        if messages is None:
            return self.close(1002, "Broken JSON")
        if messages:
            self.target.messages_received(messages)

    def bytesMessageReceived(self, data: bytes) -> None:
        # SockJS carries text, as on our own channel.
        self.close(1003, "Binary messages are not supported")

    def pongReceived(self, payload: bytes) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:
        self.service.registry.upgraded.discard(self)
        target = self.target
        if target is None or not self.open:
            if target is not None:
                target.delegate.abandoned()
            return
        clean = reason.check(ConnectionDone) is not None
        if self.raw:
            target.ended(clean)
        else:
            target.receiver_lost(self, clean)

    # -- to the client -----------------------------------------------------------

    def send_frame(self, frame: bytes) -> bool:
        return self._send_text(frame.decode("utf-8"))

    def send_payload(self, payload: bytes) -> None:
        self._send_text(payload.decode("utf-8"))

    def _send_text(self, text: str) -> bool:
        """False once the WebSocket is closing: ours, or the client's close
        frame, which twisted.web answers (and then drops the connection)
        before our connectionLost is called."""
        if self.closing:
            return False
        try:
            self.transport.sendTextMessage(text)
        except WebSocketClosedError:
            self.closing = True
            return False
        return True

    def finish(self) -> None:
        self.close(1000, "Normal closure")

    def close(self, code: int, reason: str = "") -> None:
        if not self.closing:
            self.closing = True
            lose = self.transport.loseConnection
            # twisted.web's WebSocketTransport promises the code; releases
            # whose loseConnection takes a reason get it too.
            try:
                if _takes_reason(lose):
                    lose(code, reason=reason)
                else:
                    lose(code)
            except WebSocketClosedError:
                pass  # the client closed first; twisted.web is dropping the connection

    def pause_reading(self, paused: bool) -> None:
        transport: Any = self.request.channel.transport
        if paused:
            transport.pauseProducing()
        else:
            transport.resumeProducing()

    def abort(self) -> None:
        transport: Any = self.request.channel.transport
        transport.abortConnection()
