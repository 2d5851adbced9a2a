"""Eager writes: bytes go to the socket at once when Twisted holds none for it.

Twisted's ``transport.write()`` always buffers and sends on the next reactor
turn (Twisted issue 5303): per small message that is a ``startWriting`` /
``stopWriting`` pair (two ``epoll_ctl`` calls) and one more reactor turn.
When Twisted's own buffers for the connection are empty, nothing can be
reordered by sending now, so :func:`write_eagerly` calls ``send()`` on the
socket (``send_now``: one ``send()`` on the socket's descriptor, see
_speedups/sendnow_py.py) and hands Twisted only what the kernel did not take.
Twisted then does the rest as before: it buffers the remainder, sends it when
the socket is writable, and pauses the registered producer when its buffer is
full.

This is the one place txsockjs reads private attributes of a Twisted object
(``_tempDataBuffer``, ``_writeDisconnecting``, ``_writeDisconnected``; it also sets
Twisted's class-level flags on the connection, to the values they have), so it is
used only where it is known to be right:

* the transport's class is exactly :class:`twisted.internet.tcp.Server` (a
  TLS transport, a wrapper, a UNIX socket or a test double is another class);
* :func:`probe` finds every attribute read here, of the expected type, on the first such
  transport (every connection of the class is made by the same ``__init__``, so the answer
  holds for the process: probing each connection cost two microseconds of each);
* the connection is not under TLS (``startTLS``), closing or half-closed at the
  moment of the write, and Twisted holds no bytes for it;
* ``TXSOCKJS_NO_EAGER_WRITE=1`` was not set when this module was imported (as every
  ``TXSOCKJS_`` variable, it is read once).

Otherwise the connection writes with ``transport.write``.
"""

import functools
import os
import socket
from typing import Any, Callable, List, Optional, Tuple, Type, Union

from twisted.internet import tcp
from twisted.logger import Logger

from txsockjs._speedups import send_now

DISABLE_VARIABLE = "TXSOCKJS_NO_EAGER_WRITE"

log = Logger()

# Attribute -> the type probe() requires of it on the transport.
_EXPECTED: Tuple[Tuple[str, Union[Type[Any], Tuple[Type[Any], ...]]], ...] = (
    ("socket", socket.socket),
    ("dataBuffer", bytes),
    ("_tempDataBuffer", list),
    ("connected", (bool, int)),
    ("disconnecting", (bool, int)),
    ("_writeDisconnecting", (bool, int)),
    ("_writeDisconnected", (bool, int)),
    ("TLS", (bool, int)),
)

_logged: List[bool] = []

# How a connection writes its bytes.
Writer = Callable[[bytes], None]


def disabled() -> bool:
    """True when ``TXSOCKJS_NO_EAGER_WRITE`` turns eager writes off."""
    return os.environ.get(DISABLE_VARIABLE, "") not in ("", "0")


#: ``TXSOCKJS_NO_EAGER_WRITE`` as it was when this module was imported.
DISABLED = disabled()

# What :func:`probe_class` found on the first tcp.Server it saw (None: eager writes are
# possible on this Twisted), once it has seen one.
_class_verdict: List[Optional[str]] = []


# ``transport`` is any ITransport (a zope interface: Any to mypy).
def probe(transport: Any) -> Optional[str]:
    """None if eager writes are safe on ``transport``, else why not."""
    if type(transport) is not tcp.Server:
        return "the transport is a %s, not a plain twisted.internet.tcp.Server" % (
            type(transport).__name__,)
    if DISABLED:
        return "%s is set" % DISABLE_VARIABLE
    if not _class_verdict:
        _class_verdict.append(probe_class(transport))
    why_not = _class_verdict[0]
    if why_not is not None:
        return why_not
    if transport.TLS:  # (startTLS on this connection)
        return "the connection is under TLS"
    return None


def probe_class(transport: Any) -> Optional[str]:
    """None if this Twisted's tcp.Server, of which ``transport`` is one, has every attribute
    an eager write reads, of the type it expects; else what is missing or changed."""
    for name, kind in _EXPECTED:
        value = getattr(transport, name, _EXPECTED)
        if value is _EXPECTED:
            return "this Twisted's tcp.Server has no %s" % name
        if not isinstance(value, kind):
            return "this Twisted's tcp.Server.%s is a %s" % (name, type(value).__name__)
    if not callable(getattr(transport, "fileno", None)):
        return "this Twisted's tcp.Server has no fileno()"
    if transport.socket.type != socket.SOCK_STREAM:  # (every tcp.Server's is: a check)
        return "the socket is not a stream socket"
    return None


# The flags Twisted keeps as class attributes until a connection changes them.
_CLASS_FLAGS = ("disconnecting", "_writeDisconnecting", "_writeDisconnected", "TLS")


def eager_safe(transport: Any) -> bool:
    """May the connection on ``transport`` write with :func:`write_eagerly`?  (Checked
    once per connection; the first answer is logged.)  When it may, Twisted's
    class-level flags are set on the connection at the values they have: the check
    before each send then reads instance attributes, which the interpreter
    specialises (read through the class they took a quarter of a broadcast
    delivery); Twisted sets them on the instance itself when they change."""
    if _logged and type(transport) is not tcp.Server:
        # (TLS, UNIX sockets, test transports: no verdict to format once it is logged)
        return False
    why_not = probe(transport)
    if not _logged:
        _logged.append(True)
        if why_not is None:
            log.info("txsockjs eager writes: on")
        else:
            log.info("txsockjs eager writes: off ({why})", why=why_not)
    if why_not is not None:
        return False
    for name in _CLASS_FLAGS:
        setattr(transport, name, getattr(transport, name))
    return True


def writer_for(transport: Any) -> Writer:
    """The function the connection on ``transport`` writes its bytes with."""
    if not eager_safe(transport):
        write: Writer = transport.write
        return write
    return functools.partial(write_eagerly, transport)


def write_eagerly(transport: Any, data: bytes) -> None:
    """Write ``data`` on ``transport`` (one :func:`eager_safe` approved): to the socket at
    once when Twisted holds nothing for it, else through Twisted's buffer.  (A function of
    the transport, not a closure per connection: an idle connection keeps nothing.)"""
    t = transport
    if (t.dataBuffer or t._tempDataBuffer or not t.connected or t.disconnecting
            or t._writeDisconnecting or t._writeDisconnected or t.TLS):
        t.write(data)
        return
    # 0 on EAGAIN, or on a broken connection: Twisted's own write path
    # meets the error when it tries, and reports it as it should.  (The
    # descriptor is read after the ``connected`` check: it is still ours.)
    sent = send_now(t.fileno(), data)
    if sent < len(data):
        t.write(data[sent:])


def channel_write_now(channel: Any, data: bytes) -> None:
    """``HTTPChannel.write_now``: :func:`write_eagerly` when the channel writes eagerly,
    else ``transport.write``.  It lives here, the eager write inlined, because a
    broadcast calls it once per member: one Python call per delivery, not two, and
    no closure per connection (an idle connection keeps nothing for it).  Responses
    the channel holds for the end of the turn (see turnwrites.py) go first."""
    held = channel._held
    if held is not None:
        channel._held = None
        data = held + data
    eager = channel._eager
    t = channel.transport
    if eager is not write_eagerly:
        if eager is None:
            t.write(data)
        else:
            eager(t, data)  # (a stand-in: the tests record eager writes so)
        return
    if (t.dataBuffer or t._tempDataBuffer or not t.connected or t.disconnecting
            or t._writeDisconnecting or t._writeDisconnected or t.TLS):
        t.write(data)
        return
    sent = send_now(channel._fd, data)  # (as in write_eagerly)
    if sent < len(data):
        t.write(data[sent:])
