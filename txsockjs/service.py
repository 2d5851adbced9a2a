"""``SockJSService``: a Twisted ``IService`` that serves a SockJS factory on
an endpoint and stops gracefully, for ``.tac`` files and twistd plugins::

    from twisted.application.service import Application
    from txsockjs.factory import SockJSFactory
    from txsockjs.service import SockJSService

    application = Application("chat")
    SockJSService("tcp:8080:interface=127.0.0.1", SockJSFactory(ChatFactory()),
                  grace=10.0).setServiceParent(application)

It is Twisted's ``StreamServerEndpointService``: ``startService`` listens
(unless ``privilegedStartService`` did already, as twistd calls it, before
dropping privileges), a failure to listen is logged, or raised at start when
``_raiseSynchronously`` is set (as ``twisted.application.strports`` does);
``stopService`` stops listening, then drains the factory
(``factory.drain(grace)``: new sessions refused, every open session closed
with ``c[1001,"Server shutting down"]`` after what it had queued, what is
left aborted after ``grace`` seconds) and fires when that is done, so twistd
waits for it before the process exits.  The factory may also be a
``txsockjs.web.SockJSSite``.
"""

from typing import Any, Generator, Optional, Union

from twisted.application.internet import StreamServerEndpointService
from twisted.internet.defer import Deferred
from twisted.internet.defer import inlineCallbacks, maybeDeferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IStreamServerEndpoint
from twisted.logger import Logger
from zope.interface import implementer

__all__ = ["SockJSService"]


class SockJSService(StreamServerEndpointService):

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
        StreamServerEndpointService.__init__(self, _Announcing(endpoint, self._listening), factory)
        self.grace = grace
        # (an IListeningPort: its zope-declared methods have no self for mypy)
        self.port: Optional[Any] = None

    def _listening(self, port: Any) -> None:
        self.port = port
        self.log.info("txsockjs listening on {endpoint}", endpoint=self.description)

    @inlineCallbacks
    def stopService(self) -> Generator[Any, Any, None]:
        # Twisted's: stop listening (or give up trying); then the drain.
        self.port = None
        yield StreamServerEndpointService.stopService(self)
        drain = getattr(self.factory, "drain", None)
        if drain is not None:
            yield maybeDeferred(drain, self.grace)


@implementer(IStreamServerEndpoint)
class _Announcing(object):
    """``endpoint``, telling ``listening`` the port once it listens (before
    the service's own callbacks: a failure still reaches Twisted's handling)."""

    def __init__(self, endpoint: Any, listening: Any) -> None:
        self.endpoint = endpoint
        self.listening = listening

    def listen(self, factory: Any) -> "Deferred[Any]":
        listening: "Deferred[Any]" = self.endpoint.listen(factory)
        return listening.addCallback(self._announce)

    def _announce(self, port: Any) -> Any:
        self.listening(port)
        return port

    def __repr__(self) -> str:
        return repr(self.endpoint)
