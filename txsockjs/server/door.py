"""The session door: the one place where sessions of a service are opened,
on every transport, and where later requests of a session are let in.

Opening a session (:meth:`SessionDoor.open`):

1. limits: ``max_sessions`` and ``max_sessions_per_client`` (503 + Retry-After);
2. the :class:`~txsockjs.handshake.Handshake` is built (client_ip through
   ``trusted_proxies``);
3. ``authorize`` is awaited (refusal: its status; a crash: 500; no answer
   within ``authorize_timeout``: 503); the request waits meanwhile, and a
   client that goes away cancels it;
4. the wrapped factory's ``buildProtocol`` (None: 503);
5. the caller's ``proceed(delegate)`` makes the session, which the service
   registers before it starts.

Origins are checked by the handlers before they come here (they differ per
transport: a WebSocket without Origin is refused when origins are
restricted, an HTTP request without one is not).

Later requests of a session (:meth:`SessionDoor.verdict`, :meth:`SessionDoor.reauthorize`), with
``session_binding="client"``: a session whose ``authorize`` returned a
principal (not just True) admits a request when ``authorize`` gives an equal
principal for it, from any address; any other session admits requests from
the client_ip that opened it.  Anyone else gets 403 and the owner's session
is not touched.
"""

import inspect
import sys
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Optional

from twisted.internet.defer import CancelledError, Deferred, ensureDeferred
from twisted.python.failure import Failure
from twisted.logger import LogLevel

from txsockjs.handshake import Handshake, Rejected, build as build_handshake
from txsockjs.protocol.headers import HeaderView, parse_cookies, parse_query
from txsockjs.server.sessiontransport import SessionTransport, short_id

if TYPE_CHECKING:
    from txsockjs.server.contracts import ConnectionLike, RequestLike, ResponseLike
    from txsockjs.server.servicecore import Service

Admitted = Callable[[Handshake], Any]
Settle = Callable[[], None]

# What a handshake without a query string or cookies has (read-only, shared).
_EMPTY: "MappingProxyType[str, Any]" = MappingProxyType({})


class SessionDoor(object):

    def __init__(self, service: "Service") -> None:
        self.service = service
        self.options = service.options
        # None when no proxy is trusted: client_ip is then the peer's host,
        # read once per connection.
        self.proxies = service.proxies if service.options.trusted_proxies else None

    # -- who is asking ----------------------------------------------------------

    def client_ip(self, conn: "ConnectionLike", request: "RequestLike") -> str:
        if self.proxies is None:
            return conn.client_host
        return self.proxies.client(conn.peer_host, request.headers, conn.tls)[0]

    def handshake(self, conn: "ConnectionLike", request: "RequestLike", transport: str,
                  session_id: Optional[str]) -> Handshake:
        headers = request.headers
        if self.proxies is not None:
            client_ip, secure = self.proxies.client(conn.peer_host, headers, conn.tls)
        else:
            client_ip, secure = conn.client_host, conn.tls
        query = request.query
        cookie = headers.get("cookie")
        # (positional, in build's order: matching eleven keywords costs more than the rest)
        return build_handshake(
            transport, sys.intern(request.method), request.path,
            MappingProxyType(parse_query(query)) if query else _EMPTY,                # query
            HeaderView.of_head(request.head) if request.head else HeaderView.adopt(headers),
            MappingProxyType(parse_cookies(cookie)) if cookie else _EMPTY,            # cookies
            headers.get("origin"), conn.peer, client_ip, secure, session_id)

    # -- opening ------------------------------------------------------------------

    def open(self, conn: "ConnectionLike", request: "RequestLike", response: "ResponseLike",
             transport: str, session_id: Optional[str],
             proceed: Callable[[SessionTransport], Any]) -> None:
        """Open a session for this request; ``proceed(delegate)`` makes it
        once it is admitted (at once when nothing needs waiting for)."""
        service = self.service
        handshake = self.handshake(conn, request, transport, session_id)
        client_ip = handshake.client_ip
        refusal: Optional[str] = None
        options = self.options
        if service.draining:
            reason, refusal = "draining", "the server is shutting down"
        elif options.max_sessions is not None or options.max_sessions_per_client is not None:
            reason, refusal = "limit", self._over_limit(client_ip)
        if refusal is not None:
            service.refused(reason, "Refused a {transport} session for {client}: {why}",
                            transport=transport, client=client_ip, why=refusal)
            return self.unavailable(response, refusal)
        registry = service.registry
        # The id of an HTTP session being opened: its other requests wait.
        opening = session_id if transport != "websocket" else None
        if opening is None and self.options.authorize is None:
            # Nothing waits, so nothing can come between this and the session's
            # registration: no place to hold in the limits, no closures to make.
            return self._admitted(conn, response, transport, proceed, None, handshake,
                                  reserved=False)
        registry.reserve(client_ip)
        if opening is not None:
            registry.start_opening(opening)

        if self.options.authorize is None:
            # (No closures to make: nothing waits.)
            return self._admitted(conn, response, transport, proceed, opening, handshake)
        self._authorize(
            handshake, response,
            lambda handshake: self._admitted(conn, response, transport, proceed, opening,
                                             handshake),
            lambda: self._settle(client_ip, opening))

    def _settle(self, client_ip: str, opening: Optional[str]) -> None:
        """The opening is decided: its place in the limits is given back, and requests
        waiting for its id go on."""
        registry = self.service.registry
        registry.release(client_ip)
        if opening is not None:
            registry.finish_opening(opening)

    def _admitted(self, conn: "ConnectionLike", response: "ResponseLike", transport: str,
                  proceed: Callable[[SessionTransport], Any], opening: Optional[str],
                  handshake: Handshake, reserved: bool = True) -> None:
        """Make the session; ``reserved``: ``open`` held a place for it in the limits
        (given back here)."""
        service = self.service
        protocol = service.factory.buildProtocol(handshake.peer)
        if protocol is None:
            if reserved:
                self._settle(handshake.client_ip, opening)
            service.refused("app_refused", "The application refused a {transport} session "
                            "(buildProtocol returned None)", transport=transport)
            return response.error(503, "Service refused the connection.")
        try:
            proceed(SessionTransport(protocol, handshake, conn.host, service))
        finally:
            if reserved:
                # Only now: requests waiting for this id must find the session.
                self._settle(handshake.client_ip, opening)

    def _over_limit(self, client_ip: str) -> Optional[str]:
        options = self.options
        registry = self.service.registry
        if options.max_sessions is not None and registry.count() >= options.max_sessions:
            return "max_sessions (%d) reached" % options.max_sessions
        if options.max_sessions_per_client is not None and \
                registry.count_for(client_ip) >= options.max_sessions_per_client:
            return "max_sessions_per_client (%d) reached" % options.max_sessions_per_client
        return None

    def unavailable(self, response: "ResponseLike", text: str) -> None:
        response.error(503, "Service unavailable: %s." % text,
                       [("Retry-After", str(self.options.retry_after))])

    # -- later requests of a session ------------------------------------------

    def verdict(self, session: Any, conn: "ConnectionLike", request: "RequestLike",
                response: "ResponseLike") -> Optional[bool]:
        """May a later request of ``session`` in?  True: yes, now; False: no
        (the request is answered); None: the session belongs to a principal,
        so ``reauthorize`` decides."""
        if self.options.session_binding == "none":
            return True
        owner = session.delegate.handshake
        principal = owner.principal
        if principal is None or principal is True:
            client_ip = self.client_ip(conn, request)
            if client_ip == owner.client_ip:
                return True
            self._hijack(response, session, "request from %s" % client_ip)
            return False
        return None

    def reauthorize(self, session: Any, conn: "ConnectionLike", request: "RequestLike",
                    response: "ResponseLike", transport: str, proceed: Callable[[], Any]) -> None:
        """``proceed()`` if ``authorize`` gives this request the principal
        that owns ``session``; otherwise refuse it."""
        principal = session.delegate.handshake.principal
        handshake = self.handshake(conn, request, transport, session.session_id)

        def admitted(handshake: Handshake) -> None:
            if handshake.principal == principal:
                proceed()
            else:
                self._hijack(response, session, "another principal, from %s" % handshake.client_ip)

        self._authorize(handshake, response, admitted, _nothing)

    def _hijack(self, response: "ResponseLike", session: Any, who: str) -> None:
        self.service.refused("binding", "Refused a request for session {sid}: it belongs to "
                             "another client ({who})", sid=short_id(session.session_id), who=who)
        response.error(403, "This session belongs to another client.")

    # -- authorize --------------------------------------------------------------

    def _authorize(self, handshake: Handshake, response: "ResponseLike", admitted: Admitted,
                   settle: Settle) -> None:
        """Run ``authorize``; ``admitted(handshake with principal)`` if it
        accepts, otherwise answer the request after ``settle()``."""
        authorize = self.options.authorize
        if authorize is None:
            admitted(handshake)
            return
        try:
            result = authorize(handshake)
        except Exception as error:
            settle()
            return self._refused(response, handshake, error)
        if inspect.isawaitable(result) and not isinstance(result, Deferred):
            result = ensureDeferred(result)  # type: ignore[arg-type]  # any awaitable works
        if not isinstance(result, Deferred):
            return self._decided(handshake, response, admitted, settle, result)

        state = {"done": False}
        clock = self.service.clock

        def finish() -> bool:
            if state["done"]:
                return False
            state["done"] = True
            if timer.active():
                timer.cancel()
            response.on_lost = None
            return True

        def on_result(principal: Any) -> None:
            if finish():
                self._decided(handshake, response, admitted, settle, principal)

        def on_error(failure: Failure) -> None:
            if finish():
                settle()
                error = failure.value
                assert error is not None  # a Failure always carries its exception
                self._refused(response, handshake, error, failure)

        def timed_out() -> None:
            if finish():
                settle()
                self.service.refused(
                    "authorize_timeout", "authorize did not answer within {seconds} s for a "
                    "{transport} request from {client}", level=LogLevel.warn,
                    seconds=self.options.authorize_timeout, transport=handshake.transport,
                    client=handshake.client_ip)
                self.unavailable(response, "authorization timed out")
                result.cancel()

        def client_left() -> None:
            # The request is gone: nothing to answer, nothing to open.
            if finish():
                settle()
                result.cancel()

        timer = clock.callLater(self.options.authorize_timeout, timed_out)
        response.on_lost = client_left
        result.addCallbacks(on_result, on_error)
        # A cancelled or late authorize must not log "Unhandled error in Deferred".
        result.addErrback(lambda failure: None)

    def _decided(self, handshake: Handshake, response: "ResponseLike", admitted: Admitted,
                 settle: Settle, principal: Any) -> None:
        if principal is False or principal is None:
            settle()
            self.service.refused("authorize", "authorize refused a {transport} request from "
                                 "{client}", transport=handshake.transport,
                                 client=handshake.client_ip)
            return response.error(403, "Forbidden.")
        admitted(handshake.with_principal(principal))

    def _refused(self, response: "ResponseLike", handshake: Handshake, error: BaseException,
                 failure: Optional[Failure] = None) -> None:
        if isinstance(error, Rejected):
            self.service.refused("authorize", "authorize refused a {transport} request from "
                                 "{client}: {status} {reason}", transport=handshake.transport,
                                 client=handshake.client_ip, status=error.status,
                                 reason=error.reason)
            return response.error(error.status, error.reason)
        if isinstance(error, CancelledError):
            return None
        # An application error (logged at error), but one a flood repeats:
        # rate-limited like the refusals.
        self.service.refused("authorize_error", "authorize failed for a {transport} request "
                             "from {client}", level=LogLevel.error,
                             failure=failure if failure is not None else Failure(error),
                             transport=handshake.transport, client=handshake.client_ip)
        response.error(500, "Internal server error.")


def _nothing() -> None:
    pass
