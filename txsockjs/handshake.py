"""What the application knows about who connected: :class:`Handshake`, and
:class:`Rejected`, the refusal an ``authorize`` callable may raise.

A Handshake describes the HTTP request that created a session (the WebSocket
upgrade, or the first receiving request of an HTTP transport).  It is
immutable: the application reads it as ``self.transport.handshake`` from
``connectionMade`` on, on every transport.
"""

import dataclasses
from typing import Any, Mapping, Optional, Tuple

__all__ = ["Handshake", "Rejected", "TRANSPORT_NAMES"]

# The names ``Handshake.transport`` takes (also the metrics' ``transport`` label).
TRANSPORT_NAMES = ("websocket", "raw_websocket", "xhr", "xhr_streaming", "eventsource",
                   "htmlfile", "jsonp")


@dataclasses.dataclass(frozen=True, slots=True)
class Handshake:
    """The request that created a session.

    ``transport``
        one of ``websocket``, ``raw_websocket``, ``xhr``, ``xhr_streaming``,
        ``eventsource``, ``htmlfile``, ``jsonp``
    ``method``
        the request method (``GET``, ``POST``)
    ``path``
        the path as requested (without the query string)
    ``query``
        query parameters: str -> tuple of str, in request order
    ``headers``
        read-only, case-insensitive mapping of str -> str (repeated fields
        joined with ``", "``; ``Cookie`` fields with ``"; "``)
    ``cookies``
        str -> str (the first of repeated names)
    ``origin``
        the ``Origin`` header, or None
    ``peer``
        the TCP peer (an ``IAddress``), as ``transport.getPeer()`` gives
    ``client_ip``
        the client's address: the peer's host, or, when the peer is one of
        ``trusted_proxies``, the nearest untrusted hop of ``X-Forwarded-For``
        / ``Forwarded``.  Log this one.
    ``secure``
        TLS, or ``https`` reported by a trusted proxy
    ``session_id``
        the SockJS session id (None on the raw websocket)
    ``principal``
        what ``authorize`` returned, else None
    """


    transport: str
    method: str
    path: str
    query: Mapping[str, Tuple[str, ...]]
    headers: Mapping[str, str]
    cookies: Mapping[str, str]
    origin: Optional[str]
    peer: Any
    client_ip: str
    secure: bool
    session_id: Optional[str]
    principal: Any = None

    def with_principal(self, principal: Any) -> "Handshake":
        """A copy naming the principal ``authorize`` returned."""
        return dataclasses.replace(self, principal=principal)


class _Unfrozen(object):
    """A Handshake's layout without its frozen guard (see :func:`build`)."""

    __slots__ = Handshake.__slots__


def build(transport: str, method: str, path: str, query: Mapping[str, Tuple[str, ...]],
          headers: Mapping[str, str], cookies: Mapping[str, str], origin: Optional[str],
          peer: Any, client_ip: str, secure: bool, session_id: Optional[str]) -> Handshake:
    """``Handshake(...)`` (principal None) for the session door, at a quarter of the cost:
    the frozen dataclass's ``__init__`` makes one ``object.__setattr__`` call per field
    (about 2 us of every session's opening); this fills the same slots, then makes the
    object the frozen Handshake it is (same layout, so ``__class__`` may change)."""
    made: Any = _Unfrozen()
    made.transport = transport
    made.method = method
    made.path = path
    made.query = query
    made.headers = headers
    made.cookies = cookies
    made.origin = origin
    made.peer = peer
    made.client_ip = client_ip
    made.secure = secure
    made.session_id = session_id
    made.principal = None
    made.__class__ = Handshake
    result: Handshake = made
    return result


class Rejected(Exception):
    """Raise from ``authorize`` to refuse a session: the request gets
    ``status`` (403 by default; any 4xx or 5xx) with ``reason`` as a short
    text body, and the application's ``buildProtocol`` is never called."""

    def __init__(self, status: int = 403, reason: str = "Forbidden") -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("Rejected status must be an int from 400 to 599, not %r" % (status,))
        text = str(reason)
        Exception.__init__(self, status, text)
        self.status = status
        self.reason = text

    def __repr__(self) -> str:
        return "Rejected(status=%d, reason=%r)" % (self.status, self.reason)
