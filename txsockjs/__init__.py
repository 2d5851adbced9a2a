"""txsockjs: a SockJS server for Twisted.

Wrap any Twisted factory so that browsers can reach it over WebSocket and the
SockJS HTTP fallbacks::

    from txsockjs.factory import SockJSFactory
    reactor.listenTCP(8080, SockJSFactory(factory_to_wrap), interface="127.0.0.1")

:func:`kernel_implementation` says whether the compiled kernels or their
pure-Python twins are in use, and why (``python -m txsockjs info`` prints it).
"""

from typing import NamedTuple

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


from txsockjs.handshake import Handshake, Rejected  # noqa: E402

__all__ = ["__version__", "Handshake", "KERNEL_IMPLEMENTATIONS", "KernelImplementation", "Rejected",
           "kernel_implementation"]
