"""``SockJSResource``: one SockJS service as a twisted.web resource, beside
static files and anything else in a Site, over HTTP and HTTPS::

    root = File("static/")
    root.putChild(b"echo", SockJSResource(EchoFactory(), {"heartbeat": 10}))
    reactor.listenTCP(8080, Site(root), interface="127.0.0.1")

It takes the same options as ``SockJSFactory`` and serves every transport
through the same session door (handshake, authorize, origins, limits, send
limits, drain), and the same WebSocket as ``SockJSFactory``: after the
handshake our own WebSocket takes the request's connection over (every
Twisted that pyproject.toml allows, over TLS too, hixie-76 included, no
extra needed).  A WebSocket handshake that came over HTTP/2 (twisted.web's
h2) is answered 400; browsers open their WebSockets over HTTP/1.1 anyway.
"""

from typing import Any, Dict, List, Optional, Set, Tuple

from twisted.internet.defer import Deferred, gatherResults
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request, Site

from txsockjs.interfaces import ProtocolFactory, SockJSOptions
from txsockjs.options import Options
from txsockjs.server import handlers
from txsockjs.server.budget import DEFAULT_MAX_BUFFERED_BYTES, MemoryBudget
from txsockjs.server.servicecore import Flusher, Service, ServiceTopics, log_kernels_once
from txsockjs.server.stats import HTTPErrorStats
from txsockjs.server.twistedweb.adapters import WEBSOCKET_AVAILABLE, WebConnection, WebRequest, WebResponse

__all__ = ["SockJSResource", "SockJSSite", "WEBSOCKET_AVAILABLE"]


class SockJSResource(Resource, ServiceTopics):
    """A SockJS service for ``factory`` at wherever this resource is put."""

    isLeaf = True

    # ``reactor`` provides IReactorTime (a zope interface: Any to mypy).
    def __init__(self, factory: ProtocolFactory, options: Optional[SockJSOptions] = None,
                 reactor: Any = None) -> None:
        Resource.__init__(self)
        if reactor is None:
            from twisted.internet import reactor
        checked = Options.from_dict(options)
        # Its own memory budget (the default); a SockJSSite gives it the site's.
        self.service = Service(factory, checked, "", reactor, Flusher(reactor), MemoryBudget())
        self.http_errors = HTTPErrorStats()
        self.service.broker.start()
        factory.doStart()
        log_kernels_once()

    def render(self, request: Request) -> int:
        # twisted.web would add "Content-Type: text/html" to every answer.
        # (older Twisted, 22.10, types it bytes, though None is what turns it off)
        request.defaultContentType = None  # type: ignore[assignment, unused-ignore]
        assert request.postpath is not None  # (the Site set it to find this resource)
        subpath = "".join("/" + part.decode("latin-1") for part in request.postpath)
        web_request = WebRequest(request, subpath, self.service.options.max_message_size)
        response = WebResponse(request, self.http_errors, self.service.clock)
        handlers.handle(self.service, WebConnection(request, response), web_request, response,
                        subpath)
        return NOT_DONE_YET

    def stats(self) -> Dict[str, Any]:
        """The service's figures, shaped as ``SockJSFactory.stats()`` (the
        service's prefix is ``""``)."""
        return {"services": {"": self.service.stats.as_dict()},
                "http_errors_total": self.http_errors.as_dict(),
                **self.service.budget.as_dict()}

    # -- lifecycle: a resource has no start or stop of its own ----------------

    def drain(self, grace: float = 10.0) -> "Deferred[None]":
        """Close every session gracefully (see ``SockJSFactory.drain``)."""
        drained: "Deferred[None]" = self.service.drain(grace)
        return drained

    def stop(self) -> None:
        """Close what is left now and stop the wrapped factory."""
        self.service.shutdown()
        self.service.factory.doStop()
        self.service.broker.stop()

    # publish, send, presence (txsockjs.broker): ServiceTopics


class SockJSSite(Site):
    """A twisted.web Site that can drain every SockJSResource in its tree
    (``drain(grace)``, as ``SockJSFactory.drain``): what ``twistd`` and
    ``SockJSService`` call when they stop.

    The SockJSResources in its tree when it is made share one memory budget,
    ``max_buffered_bytes`` (as ``SockJSFactory``'s; default 64 MiB, None: no
    budget).  A SockJSResource in a plain Site has a budget of its own, of
    the default size."""

    # (typed here: twisted.web's Site.__init__ carries no annotations)
    def __init__(self, resource: Any, *args: Any,
                 max_buffered_bytes: Optional[int] = DEFAULT_MAX_BUFFERED_BYTES,
                 **kwargs: Any) -> None:
        """``resource``: the root resource (an IResource), as for Site."""
        self.budget = MemoryBudget(max_buffered_bytes)
        Site.__init__(self, resource, *args, **kwargs)
        for _, sockjs in _sockjs_resources(resource):
            sockjs.service.use_budget(self.budget)

    def drain(self, grace: float = 10.0) -> "Deferred[None]":
        drains = []
        for path, resource in _sockjs_resources(self.resource):
            # A resource does not know where it was put: its logs say it from now on.
            resource.service.prefix = path
            drains.append(resource.drain(grace))
        return gatherResults(drains).addCallback(lambda _: None)


def _sockjs_resources(resource: Any, path: str = "",
                      seen: Optional[Set[int]] = None) -> List[Tuple[str, SockJSResource]]:
    """(path below the root, resource) of every SockJSResource in the tree."""
    seen = set() if seen is None else seen
    if id(resource) in seen:
        return []
    seen.add(id(resource))
    if isinstance(resource, SockJSResource):
        return [(path, resource)]
    found: List[Tuple[str, SockJSResource]] = []
    for name, child in getattr(resource, "children", {}).items():
        below = name.decode("utf-8", "replace")
        found.extend(_sockjs_resources(child, path + "/" + below if path else below, seen))
    return found
