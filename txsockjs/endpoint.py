"""The ``sockjs:`` server endpoint: any endpoint string gains a SockJS face.

::

    endpoint = serverFromString(reactor, r"sockjs:tcp\\:8080\\:interface\\=127.0.0.1")
    endpoint.listen(factory)   # factory served over SockJS at the root of port 8080

The first argument is the wrapped server endpoint description (tcp, ssl,
unix, ...) with its own ``:`` and ``=`` escaped by a backslash; every
``key=value`` after it is a SockJS option, read by :mod:`txsockjs.cli.optiontext`
and validated like the options dict, so a bad option fails in
``serverFromString``::

    sockjs:tcp\\:8080:heartbeat=10:websocket=false
    sockjs:ssl\\:8443\\:privateKey\\=key.pem\\:certKey\\=cert.pem
    sockjs:unix\\:/run/app.sock

The parser is registered as a Twisted plugin (``twisted/plugins/txsockjs_plugins.py``).
"""

from typing import Any, Optional, cast

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import (
    IListeningPort, IStreamServerEndpoint, IStreamServerEndpointStringParser)
from twisted.plugin import IPlugin
from zope.interface import implementer

from txsockjs.factory import SockJSFactory
from txsockjs.interfaces import ProtocolFactory, SockJSOptions
from txsockjs.cli.optiontext import validated_options


@implementer(IStreamServerEndpoint)
class SockJSServerEndpoint(object):
    """Serves a factory over SockJS on another server endpoint."""

    # ``wrapped`` provides IStreamServerEndpoint (zope interfaces are no types to mypy).
    def __init__(self, wrapped: Any, options: Optional[SockJSOptions] = None,
                 reactor: Any = None) -> None:
        self.wrapped = wrapped
        self.options = options
        self.reactor = reactor

    def listen(self, protocolFactory: ProtocolFactory) -> "Deferred[IListeningPort]":
        """The wrapped endpoint's ``listen`` Deferred (firing with its port)."""
        factory = SockJSFactory(protocolFactory, self.options, self.reactor)
        listening: "Deferred[IListeningPort]" = self.wrapped.listen(factory)
        return listening


@implementer(IPlugin, IStreamServerEndpointStringParser)
class SockJSServerParser(object):
    prefix = "sockjs"

    def parseStreamServer(self, reactor: Any, *args: str, **kwargs: str) -> SockJSServerEndpoint:
        if len(args) != 1:
            raise ValueError(
                "sockjs: takes one endpoint description with its ':' and '=' escaped, "
                r"e.g. sockjs:tcp\:8080\:interface\=127.0.0.1 (got %d parts: %r)"
                % (len(args), list(args)))
        # (validated_options checked every key and value)
        options = cast(SockJSOptions, validated_options(kwargs))
        return SockJSServerEndpoint(serverFromString(reactor, args[0]), options, reactor)
