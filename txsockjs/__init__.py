"""txsockjs: a SockJS server for Twisted.

Wrap any Twisted factory so that browsers can reach it over WebSocket and the
SockJS HTTP fallbacks::

    from txsockjs import SockJSFactory      # or txsockjs.factory, the drop-in path since 0.1
    reactor.listenTCP(8080, SockJSFactory(factory_to_wrap), interface="127.0.0.1")

:func:`kernel_implementation` says whether the compiled kernels or their
pure-Python twins are in use, and why (``python -m txsockjs info`` prints it).
"""

from typing import TYPE_CHECKING, NamedTuple

__version__ = "2.0.0.dev0"

KERNEL_IMPLEMENTATIONS = ("compiled", "pure")


class KernelImplementation(NamedTuple):
    """Which kernels txsockjs runs on, and why."""

    #: ``"compiled"`` (the Cython kernels) or ``"pure"`` (their pure-Python twins).
    name: str
    #: Why this path was chosen, in words: e.g. ``"TXSOCKJS_NO_EXTENSIONS is set"``.
    reason: str


def kernel_implementation() -> KernelImplementation:
    """The kernel path in use (chosen once, at the first import of the kernels)."""
    from txsockjs import _speedups
    return KernelImplementation(_speedups.IMPLEMENTATION, _speedups.REASON)


from txsockjs._exports import lazy_names  # noqa: E402
from txsockjs.handshake import Handshake, Rejected  # noqa: E402

# The public names, each imported from its module when first used (``import txsockjs``
# imports neither twisted.web nor an extra).
_PUBLIC = {
    "SockJSFactory": "txsockjs.factory",
    "SockJSMultiFactory": "txsockjs.factory",
    "SockJSResource": "txsockjs.web",
    "SockJSSite": "txsockjs.web",
    "SockJSService": "txsockjs.service",
    "SockJSServerEndpoint": "txsockjs.endpoint",
    "SockJSOptions": "txsockjs.interfaces",
    "SockJSTransport": "txsockjs.interfaces",
    "broadcast": "txsockjs.utils",
    "broadcast_many": "txsockjs.utils",
    "Broker": "txsockjs.broker",
    "MemoryBroker": "txsockjs.broker",
    "ApplicationError": "txsockjs.errors",
    "SendBufferOverflow": "txsockjs.errors",
    "ServerShuttingDown": "txsockjs.errors",
}
__getattr__ = lazy_names(__name__, _PUBLIC)

if TYPE_CHECKING:
    from txsockjs.broker import Broker, MemoryBroker
    from txsockjs.endpoint import SockJSServerEndpoint
    from txsockjs.errors import ApplicationError, SendBufferOverflow, ServerShuttingDown
    from txsockjs.factory import SockJSFactory, SockJSMultiFactory
    from txsockjs.interfaces import SockJSOptions, SockJSTransport
    from txsockjs.service import SockJSService
    from txsockjs.utils import broadcast, broadcast_many
    from txsockjs.web import SockJSResource, SockJSSite

__all__ = [
    "__version__", "KERNEL_IMPLEMENTATIONS", "KernelImplementation", "kernel_implementation",
    "Handshake", "Rejected",
    # (the names of _PUBLIC, written out: type checkers read __all__ as it is written)
    "ApplicationError", "Broker", "MemoryBroker", "SendBufferOverflow", "ServerShuttingDown",
    "SockJSFactory", "SockJSMultiFactory", "SockJSOptions", "SockJSResource", "SockJSServerEndpoint",
    "SockJSService", "SockJSSite", "SockJSTransport", "broadcast", "broadcast_many",
]
