"""The small request / response / connection interface every front door gives
the handlers and the session door, as ``typing.Protocol`` classes (types only:
nothing here runs).

Two front doors provide it: our own HTTP channel (``protocol.http.Request``,
``server.response.Response``, ``server.channel.HTTPChannel``) and twisted.web
(``server.web.WebRequest``, ``WebResponse``, ``WebConnection``).
"""

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Optional, Protocol, Tuple

if TYPE_CHECKING:
    from txsockjs.server.servicecore import Service
    from txsockjs.server.wsbridge import WebSocketBridge

Headers = Iterable[Tuple[str, str]]
# Called with True while the socket under a response is full, False when it drains.
PauseCallback = Callable[[bool], None]


class RequestLike(Protocol):
    """One HTTP request, its body read whole."""

    method: str
    target: str
    path: str
    query: str
    minor: int
    headers: Dict[str, str]
    body: bytes
    keep_alive: bool
    # The raw request head, or b"" where there is none (twisted.web).
    head: bytes

    def query_param(self, name: str) -> Optional[str]: ...


class ResponseLike(Protocol):
    """The one response to a request: complete, or streaming."""

    finished: bool
    started: bool
    on_lost: Optional[Callable[[], None]]
    # Headers every error() adds (the service's CORS headers for the request, set by
    # the handlers), so a page on an allowed origin can read why it was refused.
    error_headers: Headers

    def send(self, status: int, headers: Headers, body: bytes = b"") -> None: ...

    def start_streaming(self, status: int, headers: Headers, first: bytes = b"") -> None: ...

    def write(self, data: bytes) -> None: ...

    def finish(self) -> None: ...

    def lost(self) -> None: ...

    def error(self, status: int, text: str, headers: Headers = (), close: bool = False) -> None: ...


class ConnectionLike(Protocol):
    """What the door and the handlers need of the connection a request came on.

    ``peer`` and ``host`` are IAddress providers (zope interfaces: Any to mypy)."""

    peer: Any
    host: Any
    tls: bool
    peer_host: Optional[str]
    client_host: str

    @property
    def on_pause(self) -> Optional[PauseCallback]: ...

    @on_pause.setter
    def on_pause(self, callback: Optional[PauseCallback]) -> None: ...

    def upgrade_websocket(self, service: "Service", request: RequestLike, response: ResponseLike,
                          session_id: Optional[str]) -> None: ...


class WireLike(Protocol):
    """A connection taken over for a WebSocket, as the bridge (``server/wsbridge.py``) uses
    it: our own HTTP channel is one; on twisted.web, ``server/twistedweb/takeover.py``.

    ``transport`` is the ITransport (Any: a zope interface) the bridge closes, half-closes
    (TCP only, not under TLS) and aborts."""

    tls: bool
    transport: Any

    def write(self, data: bytes) -> None: ...

    def write_now(self, data: bytes) -> None:
        """Write at once, straight to the socket when that is safe: for a caller that
        writes this connection once in the batch (a broadcast at its end)."""

    def pause_reading(self, reason: str) -> None: ...

    def resume_reading(self, reason: str) -> None: ...

    @property
    def on_pause(self) -> Optional[PauseCallback]: ...

    @on_pause.setter
    def on_pause(self, callback: Optional[PauseCallback]) -> None: ...

    def handshake_completed(self) -> None:
        """The WebSocket handshake is complete (hixie-76 waits for its key after the head):
        the request timeout stops."""

    def attach_websocket(self, bridge: "WebSocketBridge", handshake_complete: bool) -> None:
        """From now on every byte read goes to ``bridge.data_received`` (those already read
        first), and the connection's end to ``bridge.connection_lost``."""
