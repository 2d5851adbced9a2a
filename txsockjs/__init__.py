"""txsockjs: a SockJS server for Twisted.

Wrap any Twisted factory so that browsers can reach it over WebSocket and the
SockJS HTTP fallbacks::

    from txsockjs.factory import SockJSFactory
    reactor.listenTCP(8080, SockJSFactory(factory_to_wrap))
"""

__version__ = "2.0.0.dev0"

from txsockjs.handshake import Handshake, Rejected  # noqa: E402

__all__ = ["Handshake", "Rejected", "__version__"]
