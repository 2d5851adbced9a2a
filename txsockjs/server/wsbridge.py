"""The WebSocket of every front door: the handshake's checks, the session it opens, and
the bridge between one upgraded connection and that session.

A front door only answers "may I take this connection over?": it gives :func:`upgrade` a
way to take the connection (a *wire*, :class:`~txsockjs.server.contracts.WireLike`: write
bytes, stop reading, close) and feeds the wire's bytes to the bridge.  The RFC 6455 (and
hixie-76) state lives in the sans-I/O connection object
(:mod:`txsockjs.protocol.websocket`); this module arms its deadline, writes what it
answers, and speaks to the session: a SockJS :class:`~txsockjs.protocol.session.Session`
(``/<server>/<session>/websocket``) or the raw endpoint's ``RawWebSocketSession``
(``/websocket``).
"""

from typing import TYPE_CHECKING, Any, Callable, List, Optional, Tuple, Union

from twisted.internet.interfaces import ITCPTransport
from twisted.logger import Logger

from txsockjs._speedups import rfc6455_accept, upgrade_refusal
from txsockjs.protocol import websocket as ws
from txsockjs.protocol.frames import OPEN, PayloadError, decode_messages
from txsockjs.protocol.http import response_head
from txsockjs.protocol.rawsession import RawWebSocketSession
from txsockjs.protocol.sendbuffer import BinaryMessage
from txsockjs.protocol.session import Session
from txsockjs.protocol.wsextensions import negotiate
from txsockjs.server.contracts import ConnectionLike, RequestLike, ResponseLike, WireLike

if TYPE_CHECKING:
    from twisted.python.failure import Failure

    from txsockjs.server.fanout import SharedFrame
    from txsockjs.server.servicecore import Service
    from txsockjs.server.sessiontransport import SessionTransport

log = Logger(namespace="txsockjs.websocket")

#: A broken JSON message on a SockJS websocket fails the connection with this (every door).
BROKEN_JSON = (1002, "Broken JSON")


# -- the handshake ---------------------------------------------------------------------------

def acceptable(service: "Service", request: RequestLike, response: ResponseLike) -> bool:
    """Check what every front door checks of a WebSocket handshake before the session
    door: True, or False after answering the request."""
    headers = request.headers
    refusal = upgrade_refusal(headers, request.minor, request.body)
    if refusal is not None:
        response.error(*refusal)
        return False
    origins = service.origins
    if origins.restricted and not origins.allows(headers.get("origin")):
        # Browsers always send Origin on a WebSocket handshake: none means a
        # client we cannot check, so it is refused like a disallowed one.
        service.refused("origin", "Refused a WebSocket handshake from origin {origin!r}",
                        origin=headers.get("origin"))
        response.error(403, "Origin not allowed.")
        return False
    return True


# An RFC 6455 101 head up to its accept key: made once (response_head on every
# handshake cost a microsecond).
_SWITCHING = response_head(101, [("Upgrade", "websocket"), ("Connection", "Upgrade")])[:-2] \
    + b"Sec-WebSocket-Accept: "


def handshake(service: "Service", request: RequestLike, response: ResponseLike, tls: bool
              ) -> Optional[Tuple[ws.AnyConnection, bytes]]:
    """The connection object and the 101 response's head for a WebSocket handshake,
    or None after refusing it."""
    if not acceptable(service, request, response):
        return None
    headers = request.headers
    max_message = service.options.max_message_size
    if "sec-websocket-key1" in headers and "sec-websocket-key2" in headers:  # hixie-76
        location = "%s://%s%s" % ("wss" if tls else "ws", headers.get("host", ""), request.target)
        head = [("Upgrade", "WebSocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Location", location)]
        if "origin" in headers:
            head.append(("Sec-WebSocket-Origin", headers["origin"]))
        return ws.Hixie76Connection(headers["sec-websocket-key1"], headers["sec-websocket-key2"],
                                    max_message), response_head(101, head)
    accept = rfc6455_accept(headers)
    if not isinstance(accept, bytes):  # (a refusal: a wrong version, a bad key)
        response.error(*accept)
        return None
    switching = _SWITCHING + accept
    offered = service.websocket_extensions
    if not offered:  # (no extension to negotiate: most services)
        return ws.WebSocketConnection(max_message), switching + b"\r\n\r\n"
    extensions, accepted = negotiate(headers.get("sec-websocket-extensions"), offered)
    switching += b"\r\n"
    if accepted is not None:
        switching += b"Sec-WebSocket-Extensions: " + accepted.encode("latin-1") + b"\r\n"
    return ws.WebSocketConnection(max_message, extensions=extensions), switching + b"\r\n"


def upgrade(service: "Service", connection: ConnectionLike, request: RequestLike,
            response: ResponseLike, session_id: Optional[str],
            take_over: Callable[[], WireLike]) -> None:
    """Answer a WebSocket handshake on any front door: a SockJS ``websocket`` session, or
    the raw endpoint when ``session_id`` is None.  ``take_over()`` gives the connection's
    wire as soon as the handshake is valid (what the client sends from then on waits for
    the session's admission, which may take a while: see ``authorize``); the bridge owns
    the wire once the session is admitted."""
    shaken = handshake(service, request, response, connection.tls)
    if shaken is None:
        return
    conn, head = shaken
    raw = session_id is None
    wire = take_over()

    def opened(delegate: "SessionTransport") -> None:
        if raw and isinstance(conn, ws.WebSocketConnection):
            # Binary messages go to an application that takes them; others get 1003.
            conn.allow_binary = callable(getattr(delegate.protocol, "binaryMessageReceived", None))
        bridge = WebSocketBridge(service, wire, conn, raw, delegate)
        response.finished = True
        response.started = True
        if raw or conn.expects_handshake:
            wire.write(head)
            bridge.start()
        else:
            bridge.open_after(head)
        wire.attach_websocket(bridge, handshake_complete=not conn.expects_handshake)

    service.door.open(connection, request, response, "raw_websocket" if raw else "websocket",
                      session_id, opened)


# -- the bridge ------------------------------------------------------------------------------

def client_messages(service: "Service", payload: bytes) -> Optional[List[str]]:
    """The SockJS messages in one WebSocket text message (UTF-8 bytes, checked already;
    none for an empty one), or None for broken JSON (logged, rate-limited)."""
    if not payload:
        return []
    try:
        return decode_messages(payload)
    except PayloadError:
        service.quiet.emit(log, "bad_body", "Broken JSON on a SockJS websocket; closing it")
        return None


class WebSocketBridge(object):
    """One upgraded connection and its session, on any front door.  It is the SockJS
    session's receiver (``send_frame``, ``finish``) or the raw session's handler
    (``send_payload``, ``close``)."""

    __slots__ = ("service", "wire", "conn", "raw", "target", "delegate", "_close_timer",
                 "_app_paused", "_more_call")

    def __init__(self, service: "Service", wire: WireLike, conn: ws.AnyConnection, raw: bool,
                 delegate: "SessionTransport") -> None:
        self.service = service
        self.wire = wire
        self.conn = conn
        self.raw = raw
        self.delegate = delegate
        self._close_timer: Any = None  # an IDelayedCall
        # The application holds the client's messages (see pause_reading).
        self._app_paused = False
        # The delayed call that delivers the next part of a read (see _more_later), or None.
        self._more_call: Any = None
        self.target: Union[Session, RawWebSocketSession]
        # (SessionTransport.setCompression reaches the connection's extensions here)
        delegate.websocket = self
        if conn.extensions and service.idle_streams is not None:
            service.idle_streams.watch(conn.extensions)
        if raw:
            self.target = service.new_raw_session(self, delegate)
        else:
            # Not reachable by id: two websockets may use the same session
            # id at once, each its own session.
            self.target = service.new_session(delegate, addressable=False)

    def start(self) -> None:
        if self.conn.expects_handshake:
            # A drain waits for it (its session cannot close it before it opens).
            self.service.registry.unfinished_websockets.add(self)
        else:
            self._begin()

    def open_after(self, head: bytes) -> None:
        """Open the SockJS session of an RFC 6455 connection whose 101 ``head`` is not
        written yet: the head and the session's open frame leave in one write (one
        send on the socket, not two)."""
        self.wire.write(head + self.conn.text_frame(OPEN))
        self.target.attach(self, open_sent=True)  # type: ignore[union-attr]  # (a Session)

    def _open(self) -> None:
        """The (hixie-76) handshake completed: the session opens."""
        self.service.registry.unfinished_websockets.discard(self)
        self.wire.handshake_completed()
        self._begin()

    def _begin(self) -> None:
        target = self.target
        if isinstance(target, RawWebSocketSession):
            self.delegate.opened(target)
        else:
            target.attach(self)

    # -- from the network ------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        for event in conn.receive(data):
            kind = event[0]
            if kind is ws.TEXT:
                # After our close frame only the peer's close matters.
                if conn.close_sent:
                    continue
                if self.raw:
                    self.delegate.payloads_received([event[1]])
                    continue
                messages = client_messages(self.service, event[1])
                if messages:
                    self.target.messages_received(messages)  # type: ignore[union-attr]
                elif messages is None:
                    self._act(conn.fail(*BROKEN_JSON))
                    return
                continue
            if kind is ws.BINARY:  # (the raw endpoint, to an application that takes them)
                if not conn.close_sent:
                    self.delegate.payloads_received([BinaryMessage(event[1])])
                continue
            if kind is ws.ERROR:
                self.service.quiet.emit(log, "websocket_error", "WebSocket protocol error: {error}",
                                        error=str(event[1]))
            self._act(conn.answer(event))
            if kind is ws.OPENED:
                self._open()
        if conn.has_more:
            # A read of compressed messages is inflated a part at a time (see
            # INFLATE_PER_RECEIVE): the next part on the next reactor turn (other
            # connections' reads come between), none while the application holds them.
            # Nothing more is read meanwhile: a client sending faster than the parts go
            # would grow the compressed backlog without bound.
            self.wire.pause_reading("inflate")
            self._more_later()

    def _act(self, out: bytes) -> None:
        """Write what the connection answered, then do what it says to the transport."""
        wire = self.wire
        if out:
            wire.write(out)
        after = self.conn.after
        if after is None:
            return
        # Nothing more is inflated: what the peer still sends is read and dropped.
        wire.resume_reading("inflate")
        # Closing: a drain waits for the end of the close handshake.
        self.service.registry.unfinished_websockets.add(self)
        if after is ws.CLOSE_TRANSPORT:
            wire.transport.loseConnection()
            return
        if after is ws.EXPECT_EOF:
            # The peer may still be sending (a long message in flight): closing now with
            # unread input would make the kernel reset the connection and the peer could
            # lose our close frame.  So our write side closes (after what we wrote), input
            # is read and dropped, and the socket goes after the deadline if the peer
            # never ends.  (Not under TLS: a half-close there would bypass the TLS layer.)
            transport = wire.transport
            if not wire.tls and ITCPTransport.providedBy(transport):
                transport.loseWriteConnection()
        if self._close_timer is None:  # AWAIT_CLOSE and EXPECT_EOF
            self._close_timer = self.service.clock.callLater(
                self.conn.close_timeout, wire.transport.abortConnection)

    def connection_lost(self, reason: "Failure") -> None:
        self.service.registry.unfinished_websockets.discard(self)
        if self.conn.extensions and self.service.idle_streams is not None:
            self.service.idle_streams.forget(self.conn.extensions)
        for timer in (self._close_timer, self._more_call):
            if timer is not None and timer.active():
                timer.cancel()
        self._close_timer = self._more_call = None
        target = self.target
        if self.conn.expects_handshake:
            # (hixie-76) The handshake never completed: the session never opened.
            self.delegate.abandoned()
            return
        clean = self.conn.close_received
        if isinstance(target, RawWebSocketSession):
            target.ended(clean)
        else:
            target.receiver_lost(self, clean)

    # -- to the network (the session's receiver, the raw session's handler) ----------------

    def send_payload(self, payload: bytes) -> None:
        if not self.conn.close_sent:
            self.wire.write(self.conn.text_frame(payload))

    def send_binary(self, payload: bytes) -> None:
        data = self.conn.send_binary(payload)
        if data is not None:
            self.wire.write(data)

    def set_compression(self, enabled: bool) -> None:
        """Compress this connection's messages or not (the application's choice)."""
        for extension in self.conn.extensions:
            set_enabled = getattr(extension, "set_enabled", None)
            if set_enabled is not None:
                set_enabled(enabled)

    def send_frame(self, frame: bytes) -> bool:
        if self.conn.close_sent:
            return False
        self.wire.write(self.conn.text_frame(frame))
        return True

    def send_shared(self, frame: bytes, shared: "SharedFrame") -> bool:
        """send_frame for a broadcast: the wire bytes are built once for every websocket of
        the same framing (a connection with extensions has a framing of its own), and go
        straight to the socket when the broadcast says every member is written once."""
        conn = self.conn
        if conn.close_sent:
            return True  # (as before: the close handshake is under way, the frame is dropped)
        text_frame = conn.text_frame
        if text_frame is shared.framing:  # (the common case: the last member's framing)
            wire = shared.wire
        else:
            known = shared.wires.get(text_frame)
            wire = shared.wires[text_frame] = text_frame(frame) if known is None else known
            shared.framing = text_frame
            shared.wire = wire
        if shared.eager:
            self.wire.write_now(wire)
        else:
            self.wire.write(wire)
        return True

    def finish(self) -> None:
        self.close(1000, "Normal closure")

    def close(self, code: int, reason: str) -> None:
        """Start the close handshake; the socket closes when the client answers, or after
        the connection's close timeout."""
        self._act(self.conn.close(code, reason))

    def abort(self) -> None:
        self.wire.transport.abortConnection()

    def write_paused(self, paused: bool) -> None:
        """The wire's socket is full (True) or drained: the session holds its frames.  (The
        wire calls this itself: a bound method in its ``on_pause`` would cost every idle
        WebSocket one more object.)"""
        if not self.conn.expects_handshake:
            self.target.write_paused(paused)

    def pause_reading(self, paused: bool) -> None:
        """The application holds the client's messages: stop reading the socket."""
        self._app_paused = paused
        if paused:
            self.wire.pause_reading("app")
        else:
            self.wire.resume_reading("app")
            if self.conn.has_more:
                self._more_later()

    def _more_later(self) -> None:
        # (on the next turn: the application may resume while its messages are being
        # delivered, and those come first; and one call a turn however often it resumes)
        if not self._app_paused and self._more_call is None:
            self._more_call = self.service.clock.callLater(0, self._receive_more)

    def _receive_more(self) -> None:
        """The next part of a read's messages (see data_received)."""
        self._more_call = None
        if self._app_paused:
            return  # (pause_reading(False) calls us again)
        if self.conn.has_more:
            flusher = self.service.flusher
            flusher.hold()
            try:
                self.data_received(b"")
            finally:
                flusher.release()
        conn = self.conn
        if not conn.has_more or not conn.reading:
            self.wire.resume_reading("inflate")  # (every part delivered, or the end came)

