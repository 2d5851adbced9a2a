"""One TCP connection speaking HTTP/1.x, until it may become a WebSocket."""

import ipaddress
from typing import TYPE_CHECKING, Any, Callable, Optional

from twisted.internet.interfaces import (
    ILoggingContext, IProtocol, IPushProducer, ISSLTransport, ITCPTransport,
)
from twisted.internet.protocol import connectionDone
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure
from zope.interface import implementer

from txsockjs._speedups import HTTPError
from txsockjs.protocol.http import Request, RequestReader, error_head
from txsockjs.server import wsbridge
from txsockjs.server.contracts import PauseCallback, RequestLike, ResponseLike
from txsockjs.server import readpauses
from txsockjs.server.httpchannel.eagerwrite import (channel_write_now, eager_safe,
                                                   write_eagerly)
from txsockjs.server.httpchannel import turnwrites
from txsockjs.server.httpchannel.response import Response

if TYPE_CHECKING:
    from txsockjs.factory import SockJSMultiFactory
    from txsockjs.server.servicecore import Service
    from txsockjs.server.wsbridge import WebSocketBridge

# Pipelined bytes we hold while a response is in progress before we stop
# reading from the socket.
MAX_PIPELINED = 256 * 1024
# How long a connection may take to send a whole request (head and body),
# counted from the end of the previous response: slow-loris clients and idle
# keep-alive connections are closed after it.
REQUEST_TIMEOUT = 30.0


@implementer(IProtocol, ILoggingContext, IPushProducer)
class HTTPChannel(object):
    """Reads requests one at a time and hands each to the site.

    Pipelined requests wait until the response before them is finished, so
    responses go out in order.  After a WebSocket upgrade every byte goes to
    the ``upgraded`` handler instead.  The channel registers itself as the
    transport's producer so that a full socket buffer pauses whatever feeds
    the current response (the session's application, for one).

    What the session door needs to know of the connection is read once:
    ``peer`` and ``host`` (IAddress), ``tls``, ``peer_host`` (the peer's IP as
    str, None on a UNIX socket) and ``client_host`` (``peer_host``
    normalised: what ``client_ip`` is when no proxy is trusted).

    (An IProtocol written out, not a twisted Protocol subclass: with slots, an
    idle WebSocket's connection keeps no instance dict.)
    """

    log = Logger()

    __slots__ = ("site", "transport", "connected", "reader", "response", "upgraded", "on_pause",
                 "_closing", "_processing", "_reads", "_handshake_pending", "_eager", "_fd",
                 "_reading", "_held", "peer", "host", "peer_host", "client_host", "tls")

    def __init__(self, site: "SockJSMultiFactory") -> None:
        self.site = site
        # An ITransport once connected (a zope interface, whose methods mypy
        # cannot call without a plugin).
        self.transport: Any = None
        self.connected = False
        # (None once the connection is a WebSocket: no more requests come)
        self.reader: Optional[RequestReader] = RequestReader(site.max_body)  # (max_body)
        self.response: Optional[Response] = None
        self.upgraded: Optional["WebSocketBridge"] = None
        self.on_pause: Optional[PauseCallback] = None
        self._closing = False
        self._processing = False
        # Why we stopped reading from the socket (bits, see readpauses): "pipeline"
        # (requests wait behind a long response), "write" (the peer does not read
        # what we send), "app", "inflate".  Reading resumes when no reason is left.
        self._reads = 0
        self._handshake_pending = False
        # How this connection writes eagerly: write_eagerly when that is safe on
        # its transport (see eagerwrite.py), else None; and is a read of ours
        # being handled?
        self._eager: Optional[Callable[[Any, bytes], None]] = None
        self._fd = -1
        self._reading = False
        # Whole responses waiting for the end of the reactor turn (see turnwrites.py),
        # or None.
        self._held: Optional[bytes] = None
        # IAddress providers
        self.peer: Any = None
        self.host: Any = None
        self.peer_host: Optional[str] = None
        self.client_host = "unix"
        self.tls = False

    # -- IProtocol ---------------------------------------------------------

    def makeConnection(self, transport: Any) -> None:
        self.connected = True
        self.transport = transport
        self.connectionMade()

    def logPrefix(self) -> str:
        return self.__class__.__name__

    def connectionMade(self) -> None:
        transport = self.transport
        self.peer = transport.getPeer()
        # Every connection of a port has the same host address: they share one object
        # (the session keeps it for getHost()).
        host = transport.getHost()
        last = self.site.last_host
        if host is not last:
            if host == last:
                host = last
            else:
                self.site.last_host = host
        self.host = host
        self.tls = ISSLTransport.providedBy(transport)
        self.peer_host = peer_host = getattr(self.peer, "host", None)
        if peer_host is not None:
            # (only an IPv6 address can be an IPv4-mapped one: no call for the others)
            self.client_host = _normalise_ip(peer_host) if ":" in peer_host else peer_host
        if ITCPTransport.providedBy(transport):
            # SockJS frames are small and latency-bound: without this, Nagle's
            # algorithm and the client's delayed ACK stall streaming responses
            # (xhr_streaming delivered 4x fewer messages a second without it).
            transport.setTcpNoDelay(True)
        transport.registerProducer(self, True)
        if eager_safe(transport):
            self._eager = write_eagerly
            self._fd = transport.fileno()  # (write_now's send; read after each connected check)
        self.site.request_deadlines.add(self)  # (_wait_for_request)

    # The request timeout: the site's RequestDeadlines (one timer for every
    # connection) calls request_timed_out when we waited too long.

    def _wait_for_request(self) -> None:
        self.site.request_deadlines.add(self)

    def _stop_waiting(self) -> None:
        self.site.request_deadlines.discard(self)

    def request_timed_out(self) -> None:
        if self._handshake_pending:
            # An upgrade whose handshake never completed (a hixie-76 key
            # that never came) is a held connection like any other.
            self._closing = True
            self.transport.abortConnection()
            return
        if self.response is not None or self.upgraded is not None or self._closing:
            return
        reader = self.reader
        assert reader is not None  # (not upgraded)
        # (a head whose body never came is a request not received in time too)
        if reader.buffered or reader.mid_request:
            self._refuse(HTTPError(408, "Request not received in time"))
        else:
            self._closing = True
            self.send_held()
            self.transport.loseConnection()

    # -- input -------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        # What handling these bytes writes to sessions (here or on other
        # connections) is flushed when it is done, in this reactor callback.
        site = self.site
        flusher = site.flusher
        flusher.hold()
        self._reading = True
        try:
            if self.upgraded is not None:
                self.upgraded.data_received(data)
            elif not self._closing:
                # (only requests count: see TurnWrites.reads)
                site.turn_writes.reads += 1
                assert self.reader is not None  # (not upgraded)
                self.reader.feed(data)
                self._process()
        finally:
            flusher.release()
            self._reading = False

    def _process(self) -> None:
        reader = self.reader
        if self._processing or reader is None:
            return
        self._processing = True
        try:
            while self.response is None and self.upgraded is None and not self._closing \
                    and not self._reads & readpauses.WRITE:
                try:
                    request = reader.next_request()
                except HTTPError as error:
                    self._refuse(error)
                    return
                if request is None:
                    if reader.continue_expected:
                        reader.continue_expected = False
                        self.write_now(b"HTTP/1.1 100 Continue\r\n\r\n")
                    break
                self._dispatch(request)
            if self.response is not None and reader.buffered > MAX_PIPELINED:
                self._pause_reading("pipeline")
            elif self.response is None and self._reads:
                self._resume_reading("pipeline")
        finally:
            self._processing = False

    def _dispatch(self, request: Request) -> None:
        self.site.request_deadlines.discard(self)  # (_stop_waiting)
        response = Response(self, request)
        self.response = response
        try:
            self.site.handle(self, request, response)
        except Exception:
            self.log.failure("Error while handling {request!r}", level=LogLevel.error,
                             request=request)
            if not response.finished:
                if response.started:
                    self.response = None
                    self._closing = True
                    self.send_held()
                    self.transport.abortConnection()
                else:
                    response.error(500, "Internal server error.", close=True)

    def _refuse(self, error: HTTPError) -> None:
        self.site.quiet.emit(self.log, "bad_request", "Bad request from {peer}: {status} {reason}",
                             peer=self.peer_host or self.peer, status=error.status,
                             reason=error.reason)
        body = (error.reason + "\n").encode("utf-8")
        self._closing = True
        self.send_held()
        if self.response is None:
            self.site.http_errors.count(error.status)
            self.transport.write(error_head(error.status, len(body)) + body)
        self.transport.loseConnection()

    # -- output ------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Every response and frame leaves here: straight to the socket when that
        is safe (see eagerwrite.py), while this connection's own read is handled (an
        echo, a response) and while the flusher ends a batch (broadcasts, other
        sessions' output: each connection is written once then): that saves a
        reactor turn and two epoll_ctl calls.  Other writes (a heartbeat, a stream)
        go through Twisted's buffer, which gathers several into one send."""
        if self._held is not None:
            self.send_held()
        eager = self._eager
        if eager is not None and (self._reading or self.site.flusher.flushing):
            eager(self.transport, data)
        else:
            self.transport.write(data)

    # Write at once: an eager write when that is safe, whoever's read caused it (a
    # broadcast's member at the end of a batch): Twisted's buffer would only add a
    # reactor turn and two epoll_ctl calls.  What the channel holds goes first.
    # (write_now(data))
    write_now = channel_write_now

    def write_whole_response(self, data: bytes) -> None:
        """Write a complete response (a held poll answered by an xhr_send
        included): where writes are eager, it leaves with the other responses of
        this reactor turn, at its end (see turnwrites.py); elsewhere at once."""
        if self._eager is None:
            self.write_now(data)
            return
        held = self._held
        if held is not None:
            # Pipelined requests answered in one read: past the limit, what is held
            # leaves now (the copies stay short, and a peer that does not read is
            # paused by Twisted's buffer as it fills, as without holding).
            held += data
            if len(held) > turnwrites.HOLD_AT_MOST:
                self._held = None
                self.write_now(held)
            else:
                self._held = held
        elif self.site.turn_writes.hold(self):
            self._held = data
        else:
            self.write_now(data)

    def send_held(self) -> None:
        """Send the responses held for the end of the turn, now."""
        held = self._held
        if held is not None:
            self._held = None
            if self.connected:
                self.write_now(held)

    def response_finished(self, response: Response, close: bool) -> None:
        if response is not self.response:
            return
        self.response = None
        self.on_pause = None
        if close:
            self._closing = True
            self.send_held()
            self.transport.loseConnection()
            return
        self._resume_reading("pipeline")
        self._wait_for_request()
        assert self.reader is not None  # (a response: not upgraded)
        if self.reader.buffered and not self._processing:
            # A pipelined request waits for the next turn: we may be deep
            # inside a session that is still sending the frame that
            # finished this response.
            self.site.clock.callLater(0, self._process)

    def upgrade_websocket(self, service: "Service", request: RequestLike, response: ResponseLike,
                          session_id: Optional[str]) -> None:
        """Answer a WebSocket handshake on this connection (a SockJS session,
        or the raw endpoint when ``session_id`` is None)."""
        wsbridge.upgrade(service, self, request, response, session_id, self._as_wire)

    def _as_wire(self) -> "HTTPChannel":
        return self  # (this channel is its own wire: see contracts.WireLike)

    def attach_websocket(self, handler: "WebSocketBridge", handshake_complete: bool = True) -> None:
        """Hand the connection to a WebSocket bridge (after the 101 head).
        With ``handshake_complete=False`` the request timeout keeps running
        until :meth:`handshake_completed`."""
        # No more requests on this connection: its timer went when the
        # handshake's request came (_dispatch); an idle websocket holds nothing
        # it does not need.
        if not handshake_complete:
            self._handshake_pending = True
            self._wait_for_request()
        self.response = None
        self.upgraded = handler
        if self._reads:
            self._resume_reading("pipeline")
        assert self.reader is not None  # (upgraded once)
        leftover = self.reader.take_buffered()
        # No request follows a WebSocket handshake: the parser and its buffer go.
        self.reader = None
        if leftover:
            handler.data_received(leftover)

    def handshake_completed(self) -> None:
        self._handshake_pending = False
        self._stop_waiting()

    # -- flow control ------------------------------------------------------

    def pause_reading(self, reason: str) -> None:
        """Stop reading from the socket for ``reason`` (until resume_reading)."""
        self._pause_reading(reason)

    def resume_reading(self, reason: str) -> None:
        self._resume_reading(reason)

    def _pause_reading(self, reason: str) -> None:
        self._reads = readpauses.pause(self.transport, self._reads, reason)

    def _resume_reading(self, reason: str) -> None:
        if self._reads:  # (nearly always nothing to resume: no call then)
            self._reads = readpauses.resume(self.transport, self._reads, reason, self._closing)

    def pauseProducing(self) -> None:
        """The socket's send buffer is full: stop taking new work from this
        peer (requests, websocket frames) and pause what feeds the current
        response, until it drains."""
        self._pause_reading("write")
        if self.on_pause is not None:
            self.on_pause(True)
        elif self.upgraded is not None:
            self.upgraded.write_paused(True)

    def resumeProducing(self) -> None:
        self._resume_reading("write")
        if self.on_pause is not None:
            self.on_pause(False)
        elif self.upgraded is not None:
            self.upgraded.write_paused(False)
        if self.reader is not None and self.reader.buffered and self.upgraded is None \
                and not self._processing:
            self.site.clock.callLater(0, self._process)

    def stopProducing(self) -> None:
        pass

    # -- end ---------------------------------------------------------------

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.connected = False
        self._held = None
        self._stop_waiting()
        self._closing = True
        response = self.response
        self.response = None
        if response is not None:
            response.lost()
        upgraded = self.upgraded
        self.upgraded = None
        if upgraded is not None:
            upgraded.connection_lost(reason)
        self.on_pause = None


def _normalise_ip(host: str) -> str:
    """An IPv4-mapped IPv6 peer is its IPv4 address (dual-stack sockets)."""
    if ":" in host:
        try:
            mapped = ipaddress.IPv6Address(host.split("%", 1)[0]).ipv4_mapped
        except ValueError:
            return host
        if mapped is not None:
            return str(mapped)
    return host
