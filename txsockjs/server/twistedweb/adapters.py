"""twisted.web as a front door: one twisted.web ``Request`` seen through the
small interface the handlers use (a request, a response, a connection), so
that every SockJS URL is answered by the very same code as on our own HTTP
channel.

Only public twisted.web API is used here.  A WebSocket handshake is answered by
our own WebSocket (``server/wsbridge.py``, the same as on our own HTTP channel),
which takes the request's connection over (``takeover.py``, the one place that
reaches under twisted.web: probed at run time, tested on the oldest and newest
Twisted).
"""

import functools
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional
from urllib.parse import parse_qs

from twisted.internet.interfaces import IPushProducer
from twisted.python.failure import Failure
from twisted.logger import Logger
from zope.interface import implementer

from txsockjs.protocol.http import NOSNIFF, REASONS
from txsockjs.server.httpchannel.channel import _normalise_ip
from txsockjs.server.contracts import Headers, PauseCallback, RequestLike, ResponseLike
from txsockjs.server import wsbridge
from txsockjs.server.stats import HTTPErrorStats
from txsockjs.server.twistedweb import takeover

if TYPE_CHECKING:
    from twisted.web.server import Request

    from txsockjs.server.servicecore import Service

log = Logger(namespace="txsockjs.web")

# (kept for 1.x code that checked it: our own WebSocket runs on every Twisted)
WEBSOCKET_AVAILABLE = True
_NOSNIFF_NAME, _, _NOSNIFF_VALUE = NOSNIFF.partition(": ")


class WebRequest(object):
    """The request interface of the handlers, read from a twisted.web Request."""

    __slots__ = ("method", "target", "path", "query", "minor", "headers", "body", "keep_alive",
                 "head")

    def __init__(self, request: "Request", path: str, max_body: int) -> None:
        # No raw head here: a handshake keeps the headers dict itself.
        self.head = b""
        self.method = request.method.decode("latin-1")
        self.target = request.uri.decode("latin-1")
        self.path = path
        self.query = self.target.partition("?")[2]
        self.minor = 0 if request.clientproto == b"HTTP/1.0" else 1
        headers: Dict[str, str] = {}
        for name, values in request.requestHeaders.getAllRawHeaders():
            key = name.decode("latin-1").lower()
            separator = "; " if key == "cookie" else ", "
            headers[key] = separator.join(value.decode("latin-1") for value in values)
        self.headers = headers
        content = request.content
        if content is None:
            self.body: bytes = b""
        else:
            content.seek(0)
            # Past max_body the handlers answer 413 whatever follows: a byte more tells
            # them, and a huge body is not read into memory (twisted.web spools it to disk).
            self.body = content.read(max_body + 1)
        # twisted.web decides about keeping the connection alive itself.
        self.keep_alive = True

    def query_param(self, name: str) -> Optional[str]:
        if not self.query:
            return None
        values = parse_qs(self.query, keep_blank_values=True).get(name)
        return values[0] if values else None


class WebResponse(object):
    """The response interface of the handlers, written to a twisted.web Request.

    twisted.web frames the body (Content-Length, or chunked when streaming
    on HTTP/1.1) and keeps the connection alive as it sees fit.

    From its head on, a response keeps a :class:`_PauseForwarder` registered on the
    request, and it finishes the twisted.web request only on a later turn, once the
    socket is not full: twisted.web handles the next pipelined request inside
    ``request.finish()``, and only the producer registered when the socket fills is
    told so.  Our own channel waits the same way (HTTPChannel.response_finished, and
    no request is handled while the socket is full)."""

    __slots__ = ("request", "finished", "started", "on_lost", "error_headers", "_producer", "_errors",
                 "_clock", "_gone")

    # ``clock`` provides IReactorTime (a zope interface: Any to mypy).
    def __init__(self, request: "Request", http_errors: HTTPErrorStats, clock: Any) -> None:
        self.request = request
        self._errors = http_errors
        self._clock = clock
        self._gone = False  # the connection went away before twisted.web's finish
        self.finished = False
        self.started = False
        self.on_lost: Optional[Callable[[], None]] = None
        self.error_headers: Headers = ()
        self._producer: Optional[_PauseForwarder] = None
        request.notifyFinish().addErrback(self._request_lost)

    def _head(self, status: int, headers: Headers) -> None:
        self._errors.count(status)
        request = self.request
        # our phrase: twisted.web knows none for some codes (426 "Unknown Status")
        request.setResponseCode(status, REASONS.get(status, "Unknown").encode("ascii"))
        request.responseHeaders.setRawHeaders(_NOSNIFF_NAME, [_NOSNIFF_VALUE])
        for name, value in headers:
            request.responseHeaders.addRawHeader(name, value)
        self.started = True
        if self._producer is None:
            # (before anything is written: a full socket is then always seen)
            self._producer = _register(request)

    def send(self, status: int, headers: Headers, body: bytes = b"") -> None:
        if self.finished:
            return
        head = list(headers)
        if status not in (204, 304):
            head.append(("Content-Length", str(len(body))))
        self._head(status, head)
        # (the head goes out now, while the forwarder is registered, even without a body)
        self.request.write(body)  # (twisted.web drops the body of a HEAD)
        self.finish()

    def start_streaming(self, status: int, headers: Headers, first: bytes = b"") -> None:
        self._head(status, headers)
        if first:
            self.request.write(first)

    def write(self, data: bytes) -> None:
        if not self.finished and data:
            self.request.write(data)

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.on_lost = None
        producer = self._producer
        if producer is not None:
            producer.callback = None  # (the session is done with this response)
        # Not now (see the class's doc): we may be deep in a session still sending the
        # frame that ends this response (a pipelined poll found it attached and got
        # c[2010]), and the socket may be full (the next response would never be paused).
        self._finish_later()

    def _finish_later(self) -> None:
        producer = self._producer
        if producer is not None and producer.paused:
            producer.on_resume = self._finish_later
        else:
            self._clock.callLater(0, self._finish_request)

    def _finish_request(self) -> None:
        if self._gone:
            return
        producer = self._producer
        if producer is not None:
            if producer.paused:  # (full again since)
                return self._finish_later()
            self._producer = None
            self.request.unregisterProducer()
        self.request.finish()

    def error(self, status: int, text: str, headers: Headers = (), close: bool = False) -> None:
        body = text.encode("utf-8") + b"\n" if text else b""
        head = list(headers) + list(self.error_headers) + [("Cache-Control", "no-store")]
        if body:
            head.append(("Content-Type", "text/plain;charset=UTF-8"))
        self.send(status, head, body)

    def lost(self) -> None:
        if self.finished:
            return
        self.finished = True
        self._producer = None
        on_lost = self.on_lost
        self.on_lost = None
        if on_lost is not None:
            on_lost()

    def _request_lost(self, failure: Failure) -> None:
        self._gone = True
        self.lost()

    def pause_with(self, callback: Optional[PauseCallback]) -> None:
        """Call ``callback(True)`` while the socket under this response is
        full and ``callback(False)`` when it drains (None: stop)."""
        producer = self._producer
        if self.finished:
            return
        if producer is None:
            if callback is None:
                return
            producer = self._producer = _register(self.request)
            if producer is None:
                return
        producer.callback = callback
        if callback is not None and producer.paused:
            callback(True)


def _register(request: "Request") -> "Optional[_PauseForwarder]":
    """A forwarder registered on ``request``, or None where it cannot be: Twisted 22.10
    handles the next pipelined request while the previous response's producer is still
    registered on the channel (ours finish a turn later), and refuses a second one.  That
    response then goes without pause forwarding, as every response did before."""
    producer = _PauseForwarder()
    try:
        request.registerProducer(producer, True)
    except RuntimeError:
        return None
    return producer


@implementer(IPushProducer)
class _PauseForwarder(object):
    """Registered on a twisted.web Request: the channel pauses it when the
    socket is full, and we pass that on (to the session, or to a finish that
    waits for the socket to drain)."""

    __slots__ = ("callback", "paused", "on_resume")

    def __init__(self) -> None:
        self.callback: Optional[PauseCallback] = None
        self.paused = False
        self.on_resume: Optional[Callable[[], None]] = None

    def pauseProducing(self) -> None:
        self.paused = True
        if self.callback is not None:
            self.callback(True)

    def resumeProducing(self) -> None:
        self.paused = False
        if self.callback is not None:
            self.callback(False)
        on_resume, self.on_resume = self.on_resume, None
        if on_resume is not None:
            on_resume()

    def stopProducing(self) -> None:
        pass


class WebConnection(object):
    """What the session door and the handlers need of the connection one
    twisted.web request came on."""

    __slots__ = ("request", "response", "peer", "host", "tls", "peer_host", "client_host")

    def __init__(self, request: "Request", response: WebResponse) -> None:
        self.request = request
        self.response = response
        self.peer: Any = request.getClientAddress()
        self.host: Any = request.getHost()
        self.tls: bool = request.isSecure()
        self.peer_host: Optional[str] = getattr(self.peer, "host", None)
        self.client_host = _normalise_ip(self.peer_host) if self.peer_host is not None else "unix"

    @property
    def on_pause(self) -> Optional[PauseCallback]:
        return None

    @on_pause.setter
    def on_pause(self, callback: Optional[PauseCallback]) -> None:
        self.response.pause_with(callback)

    def upgrade_websocket(self, service: "Service", request: RequestLike, response: ResponseLike,
                          session_id: Optional[str]) -> None:
        why = takeover.unavailable(self.request)
        if why is not None:
            return response.error(400, why)
        wsbridge.upgrade(service, self, request, response, session_id,
                         functools.partial(takeover.take_over, service, self.request))
