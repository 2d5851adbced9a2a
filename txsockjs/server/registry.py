"""Every session of one service, on every transport, and the counts the
session limits are checked against.

* ``by_id``: the sessions an HTTP request can reach by id (every HTTP
  transport).  A closed one stays here for one disconnect delay, so that late
  requests are answered with its close frame.
* ``live``: every session not yet closed, WebSocket and raw WebSocket ones
  too (those are never reachable by id: two websockets may use one id, each
  its own session).  The limits count these, plus the sessions being opened
  while ``authorize`` runs (``reserve``), so a burst cannot overshoot them.
* ``unfinished_websockets``: the WebSocket connections a drain waits for
  beyond their sessions: those whose close handshake has begun, and those
  whose (hixie-76) handshake is not complete.  An open one is reached through
  its session, so an idle WebSocket costs no entry here.
"""

import collections
from typing import Any, Callable, Dict, List, Set

# A session, SockJS or raw (txsockjs.protocol.session / rawsession).
AnySession = Any


class SessionRegistry(object):

    __slots__ = ("by_id", "live", "unfinished_websockets", "_per_client", "_reserved", "_reserved_per_client",
                 "_opening", "_counting_clients")

    def __init__(self, count_per_client: bool = True) -> None:
        # Counting per client costs a Counter update per session: only when
        # max_sessions_per_client asks for it.
        self._counting_clients = count_per_client
        self.by_id: Dict[str, AnySession] = {}
        self.live: Set[AnySession] = set()
        # (a WebSocketBridge's, see the module's doc)
        self.unfinished_websockets: Set[Any] = set()
        self._per_client: "collections.Counter[str]" = collections.Counter()
        self._reserved = 0
        self._reserved_per_client: "collections.Counter[str]" = collections.Counter()
        # session id -> callables waiting for that id's opening to settle
        self._opening: Dict[str, List[Callable[[], None]]] = {}

    # -- counting -----------------------------------------------------------

    def count(self) -> int:
        return len(self.live) + self._reserved

    def count_for(self, client_ip: str) -> int:
        return self._per_client[client_ip] + self._reserved_per_client[client_ip]

    def reserve(self, client_ip: str) -> None:
        """Hold a place for a session being opened; give it back with ``release``."""
        self._reserved += 1
        if self._counting_clients:
            self._reserved_per_client[client_ip] += 1

    def release(self, client_ip: str) -> None:
        self._reserved -= 1
        if self._counting_clients:
            _decrement(self._reserved_per_client, client_ip)

    # -- sessions -------------------------------------------------------------

    def add(self, session: AnySession, client_ip: str, addressable: bool) -> None:
        self.live.add(session)
        if self._counting_clients:
            self._per_client[client_ip] += 1
        if addressable:
            self.by_id[session.session_id] = session

    def closed(self, session: AnySession, client_ip: str) -> None:
        """The session closed: it no longer counts against the limits."""
        if session in self.live:
            self.live.discard(session)
            if self._counting_clients:
                _decrement(self._per_client, client_ip)

    def forget(self, session: AnySession) -> None:
        """The session is gone for good (its disconnect delay ran out)."""
        session_id = session.session_id
        known = self.by_id.get(session_id)
        if known is not None and known is session:
            del self.by_id[session_id]

    # -- sessions being opened ----------------------------------------------

    def opening(self, session_id: str) -> bool:
        return session_id in self._opening

    def start_opening(self, session_id: str) -> None:
        self._opening[session_id] = []

    def wait_for_opening(self, session_id: str, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once the opening of ``session_id`` has settled."""
        self._opening[session_id].append(callback)

    def finish_opening(self, session_id: str) -> None:
        for callback in self._opening.pop(session_id, ()):
            callback()

    def __len__(self) -> int:
        return len(self.live)


def _decrement(counter: "collections.Counter[str]", key: str) -> None:
    left = counter[key] - 1
    if left > 0:
        counter[key] = left
    else:
        del counter[key]
