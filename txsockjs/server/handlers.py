"""Answers for every SockJS URL of one service."""

import json
import re
import secrets
import time
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Optional, Sequence, Tuple
from email.utils import formatdate
from urllib.parse import unquote_to_bytes

from twisted.logger import Logger

from txsockjs.protocol import routing
from txsockjs.protocol.headers import parse_cookies
from txsockjs.protocol.frames import PayloadError, decode_messages, wrap_jsonp
from txsockjs.protocol.transports import PLAIN, TRANSPORTS, htmlfile_prelude
from txsockjs.server.receivers import HTTPReceiver
from txsockjs.server.sessiontransport import MAX_WAITING_SENDS, SessionTransport, short_id

if TYPE_CHECKING:
    from txsockjs.options import Options
    from txsockjs.protocol.transports import Transport
    from txsockjs.server.contracts import ConnectionLike, RequestLike, ResponseLike
    from txsockjs.server.servicecore import Service

Headers = List[Tuple[str, str]]

log = Logger()

NO_CACHE = ("Cache-Control", "no-store, no-cache, no-transform, must-revalidate, max-age=0")
ONE_YEAR = 31536000
_CALLBACK = re.compile(r"[a-zA-Z0-9\-_.]+\Z")
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")


def cache_for_a_year() -> Headers:
    return [("Cache-Control", "public, max-age=%d" % ONE_YEAR),
            ("Expires", formatdate(time.time() + ONE_YEAR, usegmt=True))]


# Transports whose requests a browser makes without CORS (script tags and
# the iframe page): their origin cannot be checked, so they are not offered
# when origins are restricted (sockjs-client then falls back on the others).
UNCHECKABLE = frozenset(["htmlfile", "jsonp", "jsonp_send"])


def cors(service: "Service", request: "RequestLike") -> Headers:
    """CORS headers: the request's origin echoed (with credentials) when it is
    allowed; nothing for a disallowed one, so the browser keeps the answer
    from the page."""
    origin = request.headers.get("origin")
    origins = service.origins
    if origin:
        if origins.restricted and not origins.allows(origin):
            return [("Vary", "Origin")]
        return [("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"), ("Vary", "Origin")]
    if origins.restricted:
        return [("Vary", "Origin")]
    return [("Access-Control-Allow-Origin", "*")]


def origin_refused(service: "Service", request: "RequestLike") -> bool:
    """True when origins are restricted and the request carries one that is
    not allowed (a request without Origin did not come from a cross-origin page)."""
    origins = service.origins
    if not origins.restricted:
        return False
    origin = request.headers.get("origin")
    return origin is not None and not origins.allows(origin)


def forbidden_origin(service: "Service", response: "ResponseLike", request: "RequestLike") -> None:
    service.refused("origin", "Refused a request from origin {origin!r}",
                    origin=request.headers.get("origin"))
    response.error(403, "Origin not allowed.")


def jsessionid(request: "RequestLike", options: "Options") -> Headers:
    """Set-Cookie for sticky load balancers, when the service asks for it."""
    if not options.cookie_needed:
        return []
    value = parse_cookies(request.headers.get("cookie", "")).get("JSESSIONID")
    if value is None or not _COOKIE_VALUE.match(value):
        value = "dummy"
    return [("Set-Cookie", "JSESSIONID=%s; path=/" % value)]


def preflight(service: "Service", request: "RequestLike", response: "ResponseLike", methods: str,
              extra: Iterable[Tuple[str, str]] = ()) -> None:
    headers = cache_for_a_year() + [
        ("Access-Control-Max-Age", str(ONE_YEAR)),
        ("Access-Control-Allow-Methods", methods),
    ]
    wanted = request.headers.get("access-control-request-headers")
    if wanted:
        headers.append(("Access-Control-Allow-Headers", wanted))
    response.send(204, headers + cors(service, request) + list(extra))


def form_field(body: bytes, name: bytes) -> bytes:
    """The bytes of field ``name`` in a urlencoded form (b"" if absent);
    percent-escapes decode to raw bytes, so the JSON decoder judges them."""
    for pair in body.split(b"&"):
        key, _, value = pair.partition(b"=")
        if unquote_to_bytes(key.replace(b"+", b" ")) == name:
            return unquote_to_bytes(value.replace(b"+", b" "))
    return b""


def method_not_allowed(response: "ResponseLike", methods: Sequence[str]) -> None:
    response.error(405, "", [("Allow", ", ".join(methods))])


def not_found(response: "ResponseLike") -> None:
    response.error(404, "Not found.")


def handle(service: "Service", channel: "ConnectionLike", request: "RequestLike",
           response: "ResponseLike", subpath: str) -> None:
    """Route one request below the service prefix and answer it."""
    # Refusals and errors carry the CORS headers a success would: a page on an
    # allowed origin can then read them (a disallowed one gets none).
    response.error_headers = cors(service, request)
    if len(request.body) > service.options.max_message_size:
        return response.error(413, "Request body too large.", close=True)
    route = routing.route(subpath)
    if route is None:
        return not_found(response)
    # A disallowed Origin gets 403 on every path (the WebSocket handshake
    # refuses a missing one too, see server/wsbridge.py).
    if origin_refused(service, request):
        return forbidden_origin(service, response, request)
    kind = route.kind
    method = request.method
    if kind == routing.SESSION:
        return _session_request(service, channel, request, response, route)
    if kind == routing.GREETING:
        if method not in ("GET", "HEAD"):
            return method_not_allowed(response, ("GET", "HEAD"))
        return response.send(200, [("Content-Type", PLAIN)], b"Welcome to SockJS!\n")
    if kind == routing.INFO:
        if method == "OPTIONS":
            return preflight(service, request, response, "OPTIONS, GET")
        if method not in ("GET", "HEAD"):
            return method_not_allowed(response, ("GET", "HEAD", "OPTIONS"))
        return _info(service, request, response)
    if kind == routing.IFRAME:
        if service.origins.restricted:
            return not_found(response)
        if method not in ("GET", "HEAD"):
            return method_not_allowed(response, ("GET", "HEAD"))
        return _iframe(service, request, response)
    # raw websocket
    if not service.options.websocket:
        return not_found(response)
    if method != "GET":
        return method_not_allowed(response, ("GET",))
    return channel.upgrade_websocket(service, request, response, None)


def _info(service: "Service", request: "RequestLike", response: "ResponseLike") -> None:
    options = service.options
    info = {
        "websocket": options.websocket,
        "cookie_needed": options.cookie_needed,
        # (sockjs-client ignores it; people reading it learn what is allowed)
        "origins": ["*:*"] if options.allowed_origins is None else list(options.allowed_origins),
        "entropy": secrets.randbits(32),
    }
    if options.base_url is not None:
        # sockjs-client sends every transport request of this connection there
        info["base_url"] = options.base_url
    body = json.dumps(info).encode("ascii")
    headers = [("Content-Type", "application/json;charset=UTF-8"), NO_CACHE] + cors(service, request)
    response.send(200, headers, body)


def _iframe(service: "Service", request: "RequestLike", response: "ResponseLike") -> None:
    etag = service.iframe_etag
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return response.send(304, [("ETag", etag)] + cache_for_a_year())
    headers = [("Content-Type", "text/html;charset=UTF-8"), ("ETag", etag)] + cache_for_a_year()
    response.send(200, headers, service.iframe_body)


def _etag_matches(if_none_match: Optional[str], etag: str) -> bool:
    """RFC 9110 13.1.2: a list of tags, weak comparison, or ``*``."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or (tag[2:] if tag.startswith("W/") else tag) == etag:
            return True
    return False


def _session_request(service: "Service", channel: "ConnectionLike", request: "RequestLike",
                     response: "ResponseLike", route: routing.Route) -> None:
    session_id = route.session_id
    assert session_id is not None and route.transport is not None  # a session URL has both
    transport = TRANSPORTS.get(route.transport)
    if transport is None:
        return not_found(response)
    name = transport.name
    if name == "websocket" and not service.options.websocket:
        return not_found(response)
    if name in UNCHECKABLE and service.origins.restricted:
        return not_found(response)
    method = request.method
    if method not in transport.methods:
        return method_not_allowed(response, transport.methods)
    if method == "OPTIONS":
        return preflight(service, request, response, ", ".join(transport.methods),
                         jsessionid(request, service.options))
    if name == "websocket":
        return channel.upgrade_websocket(service, request, response, session_id)
    registry = service.registry
    if registry.opening(session_id):
        # Another request is opening this very session (authorize is still
        # running): take this one up again once that has settled.
        def again() -> None:
            if not response.finished:
                _session_request(service, channel, request, response, route)
        return registry.wait_for_opening(session_id, again)
    if transport.receiving:
        return _receive(service, channel, request, response, session_id, transport)
    return _send(service, channel, request, response, session_id, transport)


def _callback(request: "RequestLike", response: "ResponseLike") -> Optional[bytes]:
    """The validated ``c`` parameter as bytes, or None after a 500."""
    callback = request.query_param("c")
    if not callback:
        response.error(500, '"callback" parameter required')
        return None
    if _CALLBACK.match(callback) is None:
        response.error(500, 'invalid "callback" parameter')
        return None
    return callback.encode("ascii")


def _receive(service: "Service", channel: "ConnectionLike", request: "RequestLike",
             response: "ResponseLike", session_id: str, transport: "Transport") -> None:
    """A receiving request: attach it to the session (opening it if new)."""
    wrap = transport.wrap
    prelude = transport.prelude
    if transport.needs_callback:
        callback = _callback(request, response)
        if callback is None:
            return
        if transport.name == "htmlfile":
            prelude = htmlfile_prelude(callback.decode("ascii"))
        else:
            wrap = partial(wrap_jsonp, callback)
    assert wrap is not None  # every receiving transport wraps its frames
    session = service.registry.by_id.get(session_id)
    door = service.door
    if session is None:
        def opened(delegate: SessionTransport) -> None:
            _attach(service, channel, request, response, transport, wrap, prelude,
                    service.new_session(delegate))
        return door.open(channel, request, response, transport.name, session_id, opened)
    # The common case goes without a closure: this runs for every poll.
    verdict = door.verdict(session, channel, request, response)
    if verdict:
        _attach(service, channel, request, response, transport, wrap, prelude, session)
    elif verdict is None:
        door.reauthorize(session, channel, request, response, transport.name,
                         partial(_attach, service, channel, request, response, transport, wrap,
                                 prelude, session))


def _attach(service: "Service", channel: "ConnectionLike", request: "RequestLike",
            response: "ResponseLike", transport: "Transport", wrap: Callable[[bytes], bytes],
            prelude: Optional[bytes], session: Any) -> None:
    options = service.options
    content_type = transport.content_type
    assert content_type is not None  # every receiving transport has one
    headers = [("Content-Type", content_type), NO_CACHE]
    if transport.cors:
        # (handle() put this request's CORS headers there)
        headers += response.error_headers
    headers += jsessionid(request, options)
    if transport.streaming:
        receiver = HTTPReceiver(response, session, wrap, options.streaming_limit)
        response.start_streaming(200, headers, prelude or b"")
    else:
        # A polling response is complete, with a Content-Length, once its
        # one frame is known.
        receiver = HTTPReceiver(response, session, wrap, 0, headers)
    channel.on_pause = session.write_paused
    session.attach(receiver)


def _send(service: "Service", channel: "ConnectionLike", request: "RequestLike",
          response: "ResponseLike", session_id: str, transport: "Transport") -> None:
    """xhr_send / jsonp_send: deliver the client's messages to the session."""
    session = service.registry.by_id.get(session_id)
    if session is None:
        return not_found(response)
    door = service.door
    verdict = door.verdict(session, channel, request, response)
    if verdict:
        _deliver(service, request, response, session, transport)
    elif verdict is None:
        # Re-authorized as the transport that opened the session.
        door.reauthorize(session, channel, request, response, session.delegate.handshake.transport,
                         partial(_deliver, service, request, response, session, transport))


def _deliver(service: "Service", request: "RequestLike", response: "ResponseLike", session: Any,
             transport: "Transport") -> None:
    body = request.body
    if transport.name == "jsonp_send":
        content_type = request.headers.get("content-type", "").lower()
        if content_type.startswith("application/x-www-form-urlencoded"):
            body = form_field(body, b"d")
    try:
        messages = decode_messages(body)
    except PayloadError as error:
        service.quiet.emit(log, "bad_body", "Bad {transport} body for session {sid}: {error}",
                           transport=transport.name, sid=short_id(session.session_id),
                           error=str(error))
        return response.error(500, str(error))
    # (handle() put this request's CORS headers in error_headers)
    headers = [("Content-Type", PLAIN), NO_CACHE]
    headers += response.error_headers
    headers += jsessionid(request, service.options)
    delegate = session.delegate
    if delegate.reading:
        _answer(response, session, transport, messages, headers)
    elif delegate.sends_waiting >= MAX_WAITING_SENDS:
        # (not accepted: the client learns it and may send them again)
        service.refused("sends_waiting", "Refused a {transport} for session {sid}: {count} "
                        "sends already wait for the application to read",
                        transport=transport.name, sid=short_id(session.session_id),
                        count=MAX_WAITING_SENDS)
        response.error(429, "Too many sends waiting for the application.")
    else:
        # The application holds client messages: the send waits, so the
        # client sends no more meanwhile.
        delegate.when_reading(partial(_answer, response, session, transport, messages, headers))


def _answer(response: "ResponseLike", session: Any, transport: "Transport", messages: List[str],
            headers: Headers) -> None:
    session.messages_received(messages)
    if transport.name == "xhr_send":
        response.send(204, headers)
    else:
        response.send(200, headers, b"ok")
