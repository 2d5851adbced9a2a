"""One SockJS service: a wrapped factory, its options and its sessions."""

import hashlib

from twisted.logger import Logger

from txsockjs.protocol.session import Session
from txsockjs.server.sessiontransport import SessionTransport

IFRAME_PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <script src="%s"></script>
  <script>
    document.domain = document.domain;
    SockJS.bootstrap_iframe();
  </script>
</head>
<body>
  <h2>Don't panic!</h2>
  <p>This is a SockJS hidden iframe. It's used for cross domain magic.</p>
</body>
</html>"""


class Flusher(object):
    """Batches the sessions' outgoing messages: every session written to in
    one reactor turn is flushed once, by one delayed call, so messages
    written together leave in one frame and one socket write."""

    __slots__ = ("_clock", "_pending", "_call")

    def __init__(self, clock):
        self._clock = clock
        self._pending = []
        self._call = None

    def schedule(self, session):
        self._pending.append(session)
        if self._call is None:
            self._call = self._clock.callLater(0, self._run)

    def _run(self):
        self._call = None
        pending = self._pending
        self._pending = []
        for session in pending:
            session.flush()


class Service(object):
    """Holds what is shared by every session of one prefix."""

    log = Logger()

    def __init__(self, factory, options, prefix, clock, flusher):
        self.factory = factory
        self.options = options
        self.prefix = prefix
        self.clock = clock
        self.flusher = flusher
        self.sessions = {}
        self.iframe_body = (IFRAME_PAGE % options.sockjs_url).encode("utf-8")
        self.iframe_etag = '"%s"' % hashlib.md5(self.iframe_body).hexdigest()

    def new_session(self, session_id, channel, register=True):
        """A session with a fresh application protocol, or None if the
        wrapped factory refuses the connection (buildProtocol gave None)."""
        delegate = self.new_delegate(channel)
        if delegate is None:
            return None
        options = self.options
        session = Session(
            session_id, self.clock, options.heartbeat, options.timeout, delegate,
            schedule_flush=self.flusher.schedule,
            on_gone=self._forget if register else None)
        if register:
            self.sessions[session_id] = session
        return session

    def new_delegate(self, channel):
        """A new application protocol on its SessionTransport, or None."""
        transport = channel.transport
        peer, host = transport.getPeer(), transport.getHost()
        protocol = self.factory.buildProtocol(peer)
        if protocol is None:
            return None
        return SessionTransport(protocol, peer, host)

    def _forget(self, session):
        if self.sessions.get(session.session_id) is session:
            del self.sessions[session.session_id]

    def shutdown(self):
        for session in list(self.sessions.values()):
            session.shutdown()
        self.sessions.clear()
