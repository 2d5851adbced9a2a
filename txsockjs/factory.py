"""The public API: wrap Twisted factories so SockJS clients can reach them.

::

    reactor.listenTCP(8080, SockJSFactory(EchoFactory()))

    multi = SockJSMultiFactory()
    multi.addFactory(EchoFactory(), "echo")
    multi.addFactory(ChatFactory(), "rooms/chat", {"heartbeat": 10})
    reactor.listenTCP(8080, multi)
"""

import re
from typing import Any, Dict, Optional, Tuple

from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.interfaces import IAddress
from twisted.internet.protocol import ServerFactory
from twisted.logger import Logger

from txsockjs.interfaces import ProtocolFactory, SockJSOptions
from txsockjs.options import Options
from txsockjs.protocol.http import Request
from txsockjs.server import handlers
from txsockjs.server.budget import DEFAULT_MAX_BUFFERED_BYTES, MemoryBudget
from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT, HTTPChannel
from txsockjs.server.httpchannel.deadlines import RequestDeadlines
from txsockjs.server.httpchannel.turnwrites import TurnWrites
from txsockjs.server.httpchannel.response import Response
from txsockjs.server.quietlog import QuietLog
from txsockjs.server.servicecore import Flusher, Service, ServiceTopics, log_kernels_once
from txsockjs.server.stats import HTTPErrorStats

__all__ = ["SockJSFactory", "SockJSMultiFactory"]

_SEGMENT = re.compile(r"[A-Za-z0-9_~\-][A-Za-z0-9_~.\-]*\Z")


def validate_prefix(prefix: str) -> str:
    """``prefix`` without its outer slashes; ValueError if a part is not a plain name."""
    # (unreachable to a type-checked caller; others get a clear error)
    if not isinstance(prefix, str):
        raise ValueError("prefix must be a str, not %r" % (prefix,))
    stripped = prefix.strip("/")
    if stripped == "":
        return ""
    for segment in stripped.split("/"):
        if not _SEGMENT.match(segment):
            raise ValueError(
                "invalid prefix %r: each '/'-separated part must be letters, digits, "
                "'_', '~', '-' or '.', and not start with '.'" % (prefix,))
    return stripped


class SockJSMultiFactory(ServerFactory):
    """Several SockJS services on one port, each under its own prefix.

    ``max_buffered_bytes``: what all its sessions may hold queued for their
    clients together (default 64 MiB; None: no budget); past it, the session
    holding the most applies its own ``send_overflow`` policy (see
    txsockjs.server.budget)."""

    log = Logger()

    # ``reactor`` provides IReactorTime (a zope interface: Any to mypy).
    def __init__(self, reactor: Any = None,
                 max_buffered_bytes: Optional[int] = DEFAULT_MAX_BUFFERED_BYTES) -> None:
        self.budget = MemoryBudget(max_buffered_bytes)
        if reactor is None:
            from twisted.internet import reactor
        self.clock: Any = reactor
        self.flusher = Flusher(reactor)
        # Every connection's request timeout, on one timer.
        self.request_deadlines = RequestDeadlines(reactor, REQUEST_TIMEOUT)
        # Complete responses leave at the end of the reactor turn (see turnwrites.py).
        self.turn_writes = TurnWrites(reactor)
        self.http_errors = HTTPErrorStats()
        # The channel's bad-request lines go through this (rate-limited).
        self.quiet = QuietLog(reactor)
        self.services: Dict[str, Service] = {}
        # The most path segments a prefix has (find_service looks no deeper).
        self._prefix_depth = 0
        self.max_body = 1
        # The host address of the last connection (see HTTPChannel.connectionMade).
        self.last_host: Any = None

    def addFactory(self, factory: ProtocolFactory, prefix: str,
                   options: Optional[SockJSOptions] = None) -> Service:
        """Serve ``factory`` at ``http://host:port/<prefix>``."""
        prefix = validate_prefix(prefix)
        checked = Options.from_dict(options)
        for existing in self.services:
            if existing == prefix:
                raise ValueError("prefix %r is already used" % (prefix,))
            if existing == "" or prefix == "" or existing.startswith(prefix + "/") \
                    or prefix.startswith(existing + "/"):
                raise ValueError("prefix %r overlaps prefix %r" % (prefix, existing))
        service = Service(factory, checked, prefix, self.clock, self.flusher, self.budget)
        self.services[prefix] = service
        self._prefix_depth = max(self._prefix_depth, prefix.count("/") + 1)
        self.max_body = max(self.max_body, checked.max_message_size)
        return service

    # (An IProtocol, not a Protocol subclass: see HTTPChannel.)
    def buildProtocol(self, addr: Optional[IAddress]) -> Any:
        return HTTPChannel(self)

    def find_service(self, path: str) -> Tuple[Optional[Service], Optional[str]]:
        """(service, path below its prefix), or (None, None)."""
        services = self.services
        if "" in services:
            # (the empty prefix is the only one: prefixes never overlap)
            return services[""], path
        if not path.startswith("/"):
            return None, None
        if self._prefix_depth == 1:
            # (one-segment prefixes: nearly every site, on every request)
            end = path.find("/", 1)
            service = services.get(path[1:] if end < 0 else path[1:end])
            if service is not None:
                return service, "" if end < 0 else path[end:]
            return None, None
        # Prefixes never overlap, so at most one of the path's leading
        # segments is one: dict lookups, whatever the number of services.
        end = 0
        for _ in range(self._prefix_depth):
            end = path.find("/", end + 1)
            service = services.get(path[1:] if end < 0 else path[1:end])
            if service is not None:
                return service, "" if end < 0 else path[end:]
            if end < 0:
                break
        return None, None

    def handle(self, channel: HTTPChannel, request: Request, response: Response) -> None:
        service, subpath = self.find_service(request.path)
        if service is None:
            handlers.not_found(response)
            return
        assert subpath is not None  # (found with its service)
        handlers.handle(service, channel, request, response, subpath)

    def stats(self) -> Dict[str, Any]:
        """Every counter as a plain dict (JSON-serialisable)::

            {"services": {prefix: {"sessions": {transport: open now},
                                   "sessions_opened_total": {transport: n},
                                   "sessions_closed_total": {reason: n},
                                   "messages_total": {"in": n, "out": n},
                                   "bytes_total": {"in": n, "out": n},
                                   "send_overflows_total": {policy: n},
                                   "rejected_total": {reason: n}}},
             "http_errors_total": {"404": n, ...},
             "buffered_bytes": n,               # queued for clients now, all services
             "max_buffered_bytes": n,           # the budget (None: none)
             "budget_overflows_total": {policy: n}}   # sessions the budget made overflow

        Keys whose value is zero are left out, except those of
        ``messages_total`` and ``bytes_total``.  ``txsockjs.metrics`` exposes
        the same numbers to Prometheus."""
        return {
            "services": {prefix: service.stats.as_dict()
                         for prefix, service in self.services.items()},
            "http_errors_total": self.http_errors.as_dict(),
            **self.budget.as_dict(),
        }

    def startFactory(self) -> None:
        log_kernels_once()
        for service in self.services.values():
            service.broker.start()
            service.factory.doStart()

    def drain(self, grace: float = 10.0) -> "Deferred[None]":
        """Stop gracefully: refuse new sessions (503 + Retry-After), close
        every open session on every transport with ``c[1001,"Server
        shutting down"]`` after what it had queued (polling sessions at
        their next poll), and abort what is left after ``grace`` seconds.
        Returns a Deferred that fires when no session is left."""
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or not grace >= 0:
            raise ValueError("grace must be a number of seconds >= 0, not %r" % (grace,))
        drains = [service.drain(grace) for service in self.services.values()]
        return gatherResults(drains).addCallback(lambda _: None)

    def stopFactory(self) -> None:
        # The last port stopped listening.  A draining service finishes its
        # sessions by itself; otherwise they are closed now.
        for service in self.services.values():
            if not service.draining:
                service.shutdown()
            service.factory.doStop()
            service.broker.stop()


class SockJSFactory(SockJSMultiFactory, ServiceTopics):
    """One SockJS service at the root of the port."""

    def __init__(self, factory: ProtocolFactory, options: Optional[SockJSOptions] = None,
                 reactor: Any = None,
                 max_buffered_bytes: Optional[int] = DEFAULT_MAX_BUFFERED_BYTES) -> None:
        SockJSMultiFactory.__init__(self, reactor, max_buffered_bytes)
        self.service = self.addFactory(factory, "", options)

    # publish, send, presence: ServiceTopics (with SockJSMultiFactory, the
    # same calls are on each service that addFactory returns).
