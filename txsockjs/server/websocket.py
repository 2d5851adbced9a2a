"""WebSocket connections: the SockJS ``websocket`` transport and the raw
``/websocket`` endpoint, over RFC 6455 or the old hixie-76 framing."""

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union

from twisted.internet.interfaces import ITCPTransport
from twisted.logger import Logger

from txsockjs._speedups import WebSocketError, build_frame
from txsockjs.protocol import websocket as ws
from txsockjs.protocol.frames import PayloadError, decode_messages
from txsockjs.protocol.http import response_head
from txsockjs.server.contracts import RequestLike, ResponseLike

if TYPE_CHECKING:
    from twisted.python.failure import Failure

    from txsockjs.server.channel import HTTPChannel
    from txsockjs.server.service import Service
    from txsockjs.server.sessiontransport import SessionTransport

log = Logger()

# How long we wait for the client's close frame after sending ours.
CLOSE_TIMEOUT = 5.0


def acceptable(service: "Service", request: RequestLike, response: ResponseLike) -> bool:
    """Check what every front door checks of a WebSocket handshake before
    the session door: True, or False after answering the request."""
    headers = request.headers
    if request.minor < 1:
        response.error(400, "WebSocket needs HTTP/1.1.")
        return False
    if headers.get("upgrade", "").strip().lower() != "websocket":
        response.error(400, 'Can "Upgrade" only to "WebSocket".')
        return False
    if not ws.is_upgrade(request):
        response.error(400, '"Connection" must be "Upgrade".')
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


def client_messages(service: "Service", text: str) -> Optional[List[str]]:
    """The SockJS messages in one WebSocket text message (none for an empty
    one), or None for broken JSON (logged, rate-limited): every front door's
    websocket reads its client's messages here."""
    if not text:
        return []
    try:
        return decode_messages(text.encode("utf-8", "surrogatepass"))
    except PayloadError:
        service.quiet.emit(log, "bad_body", "Broken JSON on a SockJS websocket; closing it")
        return None


def is_hixie76(request: RequestLike) -> bool:
    headers = request.headers
    return "sec-websocket-key1" in headers and "sec-websocket-key2" in headers


def rfc6455_key(request: RequestLike, response: ResponseLike) -> Optional[str]:
    """The client's Sec-WebSocket-Key of an RFC 6455 handshake, or None
    after answering a wrong version (426) or a bad key (400)."""
    headers = request.headers
    if headers.get("sec-websocket-version", "").strip() != "13":
        response.error(426, "Only WebSocket version 13 is supported.", [("Sec-WebSocket-Version", "13")])
        return None
    key = headers.get("sec-websocket-key", "").strip()
    if not ws.valid_key(key):
        response.error(400, "Invalid Sec-WebSocket-Key.")
        return None
    return key


def upgrade(service: "Service", channel: "HTTPChannel", request: RequestLike,
            response: ResponseLike, session_id: Optional[str]) -> None:
    """Answer a WebSocket handshake and switch the channel over: a SockJS
    ``websocket`` session, or the raw endpoint when ``session_id`` is None."""
    if not acceptable(service, request, response):
        return
    headers = request.headers
    options = service.options
    stream: Union[ws.Hixie76Stream, ws.WebSocketStream]
    if is_hixie76(request):
        stream = ws.Hixie76Stream(options.max_message_size)
        handler = WebSocketHandler(service, channel, stream, ws.Hixie76Stream.text_frame,
                                   ws.Hixie76Stream.close_frame, hixie76=True)
        location = "%s://%s%s" % ("wss" if channel.tls else "ws", headers.get("host", ""),
                                  request.target)
        head = [("Upgrade", "WebSocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Location", location)]
        if "origin" in headers:
            head.append(("Sec-WebSocket-Origin", headers["origin"]))
        handler.hixie76_keys = (headers["sec-websocket-key1"], headers["sec-websocket-key2"])
    else:
        key = rfc6455_key(request, response)
        if key is None:
            return
        stream = ws.WebSocketStream(options.max_message_size)
        handler = WebSocketHandler(service, channel, stream, ws.text_frame, ws.close_frame)
        head = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Accept", ws.accept_key(key))]
    raw = session_id is None

    def opened(delegate: "SessionTransport") -> None:
        target: Any
        if raw:
            target = service.new_raw_session(handler, delegate)
        else:
            # Not reachable by id: two websockets may use the same session
            # id at once, each its own session.
            target = service.new_session(delegate, addressable=False)
        response.finished = True
        response.started = True
        channel.write(response_head(101, head))
        service.registry.upgraded.add(handler)
        # Start before the channel hands over bytes that came with the handshake.
        handler.start(target, raw)
        channel.upgrade(handler, handshake_complete=handler.hixie76_keys is None)

    service.door.open(channel, request, response, "raw_websocket" if raw else "websocket",
                      session_id, opened)


class WebSocketHandler(object):
    """One upgraded connection; it is also the session's receiver."""

    __slots__ = ("service", "channel", "stream", "text_frame", "close_frame", "hixie76",
                 "hixie76_keys", "target", "raw", "close_sent", "close_received", "failed",
                 "_close_timer", "_pending")

    def __init__(self, service: "Service", channel: "HTTPChannel",
                 stream: Union[ws.Hixie76Stream, ws.WebSocketStream],
                 text_frame: Callable[[bytes], bytes], close_frame: Callable[..., bytes],
                 hixie76: bool = False) -> None:
        self.service = service
        self.channel = channel
        self.stream = stream
        self.text_frame = text_frame
        self.close_frame = close_frame
        self.hixie76 = hixie76
        self.hixie76_keys: Optional[Tuple[str, str]] = None
        # A Session, or a RawWebSocketSession when ``raw`` (set by start()).
        self.target: Any = None
        self.raw = False
        self.close_sent = False
        self.close_received = False
        # We failed the connection: input is read and dropped from then on.
        self.failed = False
        self._close_timer: Any = None  # an IDelayedCall
        self._pending = b""

    def start(self, target: Any, raw: bool) -> None:
        self.target = target
        self.raw = raw
        if self.hixie76_keys is None:
            self._open()
        else:
            self.data_received(b"")  # key3 may have come with the head

    def _open(self) -> None:
        self.channel.handshake_completed()
        self.channel.on_pause = self.target.write_paused
        if self.raw:
            self.target.delegate.opened(self.target)
        else:
            self.target.attach(self)

    # -- from the network ------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.hixie76_keys is not None:
            if self.target is None:
                self._pending += data
                return
            data = self._pending + data
            self._pending = b""
            if len(data) < 8:
                self._pending = data
                return
            key1, key2 = self.hixie76_keys
            self.hixie76_keys = None
            try:
                answer = ws.hixie76_challenge(key1, key2, data[:8])
            except ValueError:
                self.channel.transport.loseConnection()
                return
            self.channel.write(answer)
            data = data[8:]
            self._open()
        if self.close_received or self.failed:
            return  # read and dropped: see _wait_for_peer_close
        events: List[ws.Event]
        try:
            events = self.stream.receive(data)
        except WebSocketError as error:  # hixie-76 framing raises
            events = [(ws.ERROR, error)]
        for event in events:
            kind = event[0]
            if kind == ws.TEXT:
                # After our close frame only the peer's close matters.
                if self.close_sent:
                    continue
                if self.raw:
                    self.target.delegate.messages_received([event[1]])
                    continue
                messages = client_messages(self.service, event[1])
                if messages:
                    self.target.messages_received(messages)
                elif messages is None:
                    self._broken_json()
                    return
            elif kind == ws.PING:
                if not self.close_sent:
                    self.channel.write(build_frame(ws.OP_PONG, event[1]))
            elif kind == ws.ERROR:
                failure: WebSocketError = event[1]
                self.service.quiet.emit(log, "websocket_error", "WebSocket protocol error: {error}",
                                        error=str(failure))
                self._fail(failure.code, failure.reason)
                return
            elif kind == ws.CLOSE:
                self.close_received = True
                if not self.close_sent:
                    self.close_sent = True
                    self.channel.write(self.close_frame(event[1] if event[1] is not None else None))
                self.channel.transport.loseConnection()
                return

    def _broken_json(self) -> None:
        # (client_messages logged it) No close frame: the SockJS websocket
        # transport just drops a client that sends what is not JSON.
        self.close_sent = True
        self.failed = True
        self._wait_for_peer_close()

    def _fail(self, code: int, reason: str) -> None:
        self.failed = True
        if not self.close_sent:
            self.close_sent = True
            self.channel.write(self.close_frame(code, reason))
        self._wait_for_peer_close()

    def _wait_for_peer_close(self) -> None:
        """We are done, but the peer may still be sending (a long message in
        flight): closing now with unread input would make the kernel reset
        the connection and the peer could lose our close frame.  So the
        write side is closed (after what we wrote), input is read and
        dropped until the peer closes, and the connection is aborted after
        CLOSE_TIMEOUT if it never does."""
        transport = self.channel.transport
        # Not under TLS: a half-close there would bypass the TLS layer.
        if not self.channel.tls and ITCPTransport.providedBy(transport):
            transport.loseWriteConnection()
        self._start_close_timer()

    def _start_close_timer(self) -> None:
        if self._close_timer is None:
            self._close_timer = self.service.clock.callLater(
                CLOSE_TIMEOUT, self.channel.transport.abortConnection)

    def connection_lost(self, reason: "Failure") -> None:
        self.service.registry.upgraded.discard(self)
        timer = self._close_timer
        self._close_timer = None
        if timer is not None and timer.active():
            timer.cancel()
        clean = self.close_received
        target = self.target
        if target is None:
            return
        if self.hixie76_keys is not None:
            # The handshake never completed: the session never opened.
            target.delegate.abandoned()
            return
        if self.raw:
            target.ended(clean)
        else:
            target.receiver_lost(self, clean)

    # -- to the network (session receiver interface) -------------------------------

    def send_payload(self, payload: bytes) -> None:
        if not self.close_sent:
            self.channel.write(self.text_frame(payload))

    def send_frame(self, frame: bytes) -> bool:
        if self.close_sent:
            return False
        self.channel.write(self.text_frame(frame))
        return True

    def send_shared(self, frame: bytes, shared: Dict[Any, bytes]) -> None:
        """send_frame for a broadcast: the wire bytes are built once for
        every websocket of the same framing."""
        if self.close_sent:
            return
        text_frame = self.text_frame
        wire = shared.get(text_frame)
        if wire is None:
            wire = shared[text_frame] = text_frame(frame)
        self.channel.write(wire)

    def finish(self) -> None:
        self.close(1000, "Normal closure")

    def abort(self) -> None:
        self.channel.transport.abortConnection()

    def pause_reading(self, paused: bool) -> None:
        """The application holds the client's messages: stop reading the socket."""
        if paused:
            self.channel.pause_reading("app")
        else:
            self.channel.resume_reading("app")

    def close(self, code: int, reason: str) -> None:
        """Start the close handshake; the socket closes when the client
        answers, or after CLOSE_TIMEOUT."""
        if self.close_sent:
            return
        self.close_sent = True
        self.channel.write(self.close_frame(code, reason))
        if self.hixie76 or self.close_received:
            self.channel.transport.loseConnection()
        else:
            self._start_close_timer()
