"""Every session of one service, on every transport, and the counts the
session limits are checked against.

* ``by_id``: the sessions an HTTP request can reach by id (every HTTP
  transport).  A closed one stays here for one disconnect delay, so that late
  requests are answered with its close frame.
* ``live``: every session not yet closed, WebSocket and raw WebSocket ones
  too (those are never reachable by id: two websockets may use one id, each
  its own session).  The limits count these, plus the sessions being opened
  while ``authorize`` runs (``reserve``), so a burst cannot overshoot them.
"""

import collections


class SessionRegistry(object):

    __slots__ = ("by_id", "live", "upgraded", "_per_client", "_reserved", "_reserved_per_client",
                 "_opening", "_counting_clients")

    def __init__(self, count_per_client=True):
        # Counting per client costs a Counter update per session: only when
        # max_sessions_per_client asks for it.
        self._counting_clients = count_per_client
        self.by_id = {}
        self.live = set()
        # WebSocket connections still open (a drain waits for their close handshakes)
        self.upgraded = set()
        self._per_client = collections.Counter()
        self._reserved = 0
        self._reserved_per_client = collections.Counter()
        # session id -> callables waiting for that id's opening to settle
        self._opening = {}

    # -- counting -----------------------------------------------------------

    def count(self):
        return len(self.live) + self._reserved

    def count_for(self, client_ip):
        return self._per_client[client_ip] + self._reserved_per_client[client_ip]

    def reserve(self, client_ip):
        """Hold a place for a session being opened; give it back with ``release``."""
        self._reserved += 1
        if self._counting_clients:
            self._reserved_per_client[client_ip] += 1

    def release(self, client_ip):
        self._reserved -= 1
        if self._counting_clients:
            _decrement(self._reserved_per_client, client_ip)

    # -- sessions -------------------------------------------------------------

    def add(self, session, client_ip, addressable):
        self.live.add(session)
        if self._counting_clients:
            self._per_client[client_ip] += 1
        if addressable:
            self.by_id[session.session_id] = session

    def closed(self, session, client_ip):
        """The session closed: it no longer counts against the limits."""
        if session in self.live:
            self.live.discard(session)
            if self._counting_clients:
                _decrement(self._per_client, client_ip)

    def forget(self, session):
        """The session is gone for good (its disconnect delay ran out)."""
        if self.by_id.get(session.session_id) is session:
            del self.by_id[session.session_id]

    # -- sessions being opened ----------------------------------------------

    def opening(self, session_id):
        return session_id in self._opening

    def start_opening(self, session_id):
        self._opening[session_id] = []

    def wait_for_opening(self, session_id, callback):
        """Call ``callback()`` once the opening of ``session_id`` has settled."""
        self._opening[session_id].append(callback)

    def finish_opening(self, session_id):
        for callback in self._opening.pop(session_id, ()):
            callback()

    def __len__(self):
        return len(self.live)


def _decrement(counter, key):
    left = counter[key] - 1
    if left > 0:
        counter[key] = left
    else:
        del counter[key]
