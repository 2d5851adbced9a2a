"""``SockJSService``: a Twisted ``IService`` that serves a SockJS factory on
an endpoint and stops gracefully, for ``.tac`` files and twistd plugins::

    from twisted.application.service import Application
    from txsockjs.factory import SockJSFactory
    from txsockjs.service import SockJSService

    application = Application("chat")
    SockJSService("tcp:8080:interface=127.0.0.1", SockJSFactory(ChatFactory()),
                  grace=10.0).setServiceParent(application)

``startService`` listens; ``stopService`` stops listening, then drains the
factory (``factory.drain(grace)``: new sessions refused, every open session
closed with ``c[1001,"Server shutting down"]`` after what it had queued,
what is left aborted after ``grace`` seconds) and fires when that is done,
so twistd waits for it before the process exits.  The factory may also be a
``txsockjs.web.SockJSSite``.
"""

from typing import Any, Generator, Optional, Union

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.defer import inlineCallbacks, maybeDeferred
from twisted.internet.endpoints import serverFromString
from twisted.logger import Logger
from twisted.python.failure import Failure

__all__ = ["SockJSService"]


class SockJSService(Service):

    log = Logger()

    # ``endpoint`` provides IStreamServerEndpoint, ``factory`` is an IProtocolFactory
    # (zope interfaces are no types to mypy without a plugin).
    def __init__(self, endpoint: Union[str, Any], factory: Any, grace: float = 10.0,
                 reactor: Any = None) -> None:
        """``endpoint``: a server endpoint description (``"tcp:8080"``,
        ``"ssl:443:privateKey=key.pem"``, ...) or an ``IStreamServerEndpoint``."""
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or not grace >= 0:
            raise ValueError("grace must be a number of seconds >= 0, not %r" % (grace,))
        self.description = endpoint if isinstance(endpoint, str) else repr(endpoint)
        if isinstance(endpoint, str):
            if reactor is None:
                from twisted.internet import reactor
            endpoint = serverFromString(reactor, endpoint)
        self.endpoint = endpoint
        self.factory = factory
        self.grace = grace
        # (an IListeningPort: its zope-declared methods have no self for mypy)
        self.port: Optional[Any] = None
        self.listening: "Optional[Deferred[Any]]" = None

    def privilegedStartService(self) -> None:
        # Listen before twistd drops privileges (a port below 1024).
        Service.privilegedStartService(self)
        self.listening = self.endpoint.listen(self.factory)
        self.listening.addCallbacks(self._listening, self._failed)

    def _listening(self, port: Any) -> Any:
        self.port = port
        self.log.info("txsockjs listening on {endpoint}", endpoint=self.description)
        return port

    def _failed(self, failure: Failure) -> None:
        self.log.failure("txsockjs cannot listen on {endpoint}", failure,
                         endpoint=self.description)

    @inlineCallbacks
    def stopService(self) -> Generator[Any, Any, None]:
        Service.stopService(self)
        port, self.port = self.port, None
        if port is not None:
            yield port.stopListening()
        drain = getattr(self.factory, "drain", None)
        if drain is not None:
            yield maybeDeferred(drain, self.grace)
