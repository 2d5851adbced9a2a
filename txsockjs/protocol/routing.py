"""Paths inside one service, to what should answer them."""

import re
from typing import Dict, Optional

from txsockjs.protocol.transports import TRANSPORTS

GREETING = "greeting"
INFO = "info"
IFRAME = "iframe"
RAW_WEBSOCKET = "raw_websocket"
SESSION = "session"

_IFRAME = re.compile(r"/iframe[^/]*\.html\Z")
# Server and session ids: anything but "/", "." (the protocol's rule) and control characters
# (twisted.web decodes %0A in a path: an id must not carry a line break into logs; a space,
# from %20, is allowed, as the protocol suite's session URLs require).
_SESSION = re.compile(r"/([^/.\x00-\x1f\x7f]+)/([^/.\x00-\x1f\x7f]+)/([a-z_]+)\Z")


class Route(object):
    __slots__ = ("kind", "server_id", "session_id", "transport")

    def __init__(self, kind: str, server_id: Optional[str] = None, session_id: Optional[str] = None,
                 transport: Optional[str] = None) -> None:
        self.kind = kind
        self.server_id = server_id
        self.session_id = session_id
        self.transport = transport

    def __repr__(self) -> str:
        return "Route(%r, %r, %r, %r)" % (self.kind, self.server_id, self.session_id, self.transport)


# path -> its Route (or None): a session's requests come back to the same
# paths, poll after poll.  Bounded, as the paths come from clients.
_ROUTES: Dict[str, Optional[Route]] = {}
_UNKNOWN = object()
MAX_CACHED_ROUTES = 4096
# Longer paths are routed each time, not kept: a client may send paths up to a whole
# request line (8 KiB), and 4096 of those would stay held, 30 MB, after it left.
MAX_CACHED_PATH = 256


def route(path: str) -> Optional[Route]:
    """Route the part of a path below the service prefix; None means 404.

    ``path`` is ``""`` or starts with ``/``; the query string is not part of it.
    The Route may be shared with other requests of that path: read it only.
    """
    # (get, not a KeyError: a websocket's path is never known, and raising costs more)
    found = _ROUTES.get(path, _UNKNOWN)
    if found is not _UNKNOWN:
        return found  # type: ignore[return-value]  # (a Route or None)
    found = _route(path)
    if found is not None and found.transport == "websocket":
        # A websocket's path is asked for once (its session id is new): remembering it
        # would only keep it, and push the polls' paths out.
        return found
    if len(path) > MAX_CACHED_PATH:
        return found
    if len(_ROUTES) >= MAX_CACHED_ROUTES:
        _ROUTES.clear()
    _ROUTES[path] = found
    return found


def _route(path: str) -> Optional[Route]:
    if path == "" or path == "/":
        return Route(GREETING)
    if path == "/info":
        return Route(INFO)
    if path == "/websocket":
        return Route(RAW_WEBSOCKET)
    # (Sessions first: nearly every request.  No path matches both: an iframe's has a ".")
    # Without the regular expression when the answer is plain (every WebSocket's path is
    # new, so it is routed on each opening): a known transport, and ids of printable ASCII
    # without "." (exactly what the expression allows of ASCII); the rest is its to judge.
    parts = path.split("/")
    if len(parts) == 4 and parts[3] in TRANSPORTS:
        server_id, session_id = parts[1], parts[2]
        ids = server_id + session_id
        if server_id and session_id and "." not in ids and ids.isascii() and ids.isprintable():
            return Route(SESSION, server_id, session_id, parts[3])
    found = _SESSION.match(path)
    if found is not None:
        return Route(SESSION, *found.groups())
    if _IFRAME.match(path):
        return Route(IFRAME)
    return None
