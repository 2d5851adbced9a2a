"""A SockJS server for the "who connects" tests (tests/integration/test_who_connects.py
and the e2e tests): one service per option of the session door.

    python tests/integration/door_server.py --host 127.0.0.1 --port 0 [--allowed-origin O ...]
                                            [--front web]

``--front web`` serves the same services as SockJSResources in a twisted.web SockJSSite
(the ``stats?`` message then answers nothing: a resource is not the site).

Prints ``listening on http://HOST:PORT/`` once it listens, then one line per thing the
tests need to see from the inside, ``DOOR {json}``:

* ``{"event": "authorize", "service", "transport", "token", "client_ip"}``: authorize ran;
* ``{"event": "cancelled", "service", "token"}``: an unanswered authorize was cancelled;
* ``{"event": "made" | "lost", "service", "transport", "session_id", "client_ip",
  "serial"}``: the application's connectionMade / connectionLost (``serial`` numbers
  the sessions; "made" also has the ``origin`` and the ``query``).

Every service runs :class:`WhoProtocol`: it echoes each message, except ``who?``, which it
answers with its handshake as JSON (transport, client_ip, secure, principal, ...).

Services (prefix: what is set):

* ``who``: the defaults (sessions bound to the client that opened them);
* ``unbound``: session_binding "none";
* ``auth``: ``authorize`` reads a token (query ``token`` or cookie ``token``) whose
  prefix says what it does: ``user-NAME`` (principal "user:NAME"), ``true`` (True),
  ``slow-NAME`` (principal after 0.3 s), ``slowno`` (False after 0.3 s), ``coro-NAME``
  (a coroutine), ``false``, ``raise`` (DeliberateError), ``slowraise``, ``rejected``
  (Rejected(401)), ``never`` (a Deferred that never fires; authorize_timeout is 1 s);
  no token: False;
* ``origins``: allowed_origins https://example.com, https://*.example.com, http://localhost:*;
* ``origins_null``: allowed_origins ["null"];
* ``proxied``: trusted_proxies ["127.0.0.1"]; authorize gives "user:NAME" for a
  ``user-NAME`` token, else True;
* ``limited``: max_sessions 50; ``per_client``: max_sessions_per_client 3;
  ``limited_slow``: max_sessions 10 and the ``auth`` tokens (all three with a 1 s
  disconnect delay, so that a test's sessions soon free their places);
* ``small``: max_message_size 1000 (below the port's limit: its 413 is the service's);
* ``allowed`` (only with ``--allowed-origin``): allowed_origins as given.
"""

import argparse
import itertools
import json
import os
import sys

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import globalLogBeginner, textFileLogObserver
from twisted.web.resource import Resource

from txsockjs import Rejected
from txsockjs.factory import SockJSMultiFactory
from txsockjs.web import SockJSResource, SockJSSite

AUTHORIZE_TIMEOUT = 1.0
SLOW = 0.3


class DeliberateError(Exception):
    """What the ``raise`` tokens raise: the tests expect its traceback in the log."""


def event(**fields):
    sys.stdout.write("DOOR %s\n" % json.dumps(fields, sort_keys=True))
    sys.stdout.flush()


class WhoProtocol(Protocol):

    serials = itertools.count(1)

    def connectionMade(self):
        handshake = self.transport.handshake
        self.serial = next(self.serials)
        event(event="made", service=self.factory.name, transport=handshake.transport,
              session_id=handshake.session_id, client_ip=handshake.client_ip, serial=self.serial,
              origin=handshake.origin, query={k: list(v) for k, v in handshake.query.items()})

    def dataReceived(self, data):
        if data == b"stats?" and SITE:
            self.transport.write(json.dumps(SITE[0].stats()).encode("utf-8"))
            return
        if data != b"who?":
            self.transport.write(data)
            return
        handshake = self.transport.handshake
        self.transport.write(json.dumps({
            "service": self.factory.name, "transport": handshake.transport,
            "client_ip": handshake.client_ip, "secure": handshake.secure,
            "principal": handshake.principal, "session_id": handshake.session_id,
            "origin": handshake.origin, "query": {k: list(v) for k, v in handshake.query.items()},
            "cookies": dict(handshake.cookies), "peer": handshake.peer.host,
            "peer_of_getPeer": self.transport.getPeer().host,
        }).encode("utf-8"))

    def connectionLost(self, reason):
        handshake = self.transport.handshake
        event(event="lost", service=self.factory.name, transport=handshake.transport,
              session_id=handshake.session_id, client_ip=handshake.client_ip, serial=self.serial)


def who_factory(name):
    factory = Factory.forProtocol(WhoProtocol)
    factory.name = name
    return factory


def token_of(handshake):
    tokens = handshake.query.get("token")
    return tokens[0] if tokens else handshake.cookies.get("token")


def later(reactor, seconds, outcome):
    """A Deferred that fires with ``outcome`` (an exception: fails) after ``seconds``."""
    d = Deferred()
    if isinstance(outcome, Exception):
        reactor.callLater(seconds, d.errback, outcome)
    else:
        reactor.callLater(seconds, d.callback, outcome)
    return d


def token_authorize(reactor, service):
    def authorize(handshake):
        token = token_of(handshake)
        event(event="authorize", service=service, transport=handshake.transport, token=token,
              client_ip=handshake.client_ip)
        kind, _, name = (token or "").partition("-")
        if kind == "user":
            return "user:" + name
        if kind == "true":
            return True
        if kind == "slow":
            return later(reactor, SLOW, "user:" + name)
        if kind == "slowno":
            return later(reactor, SLOW, False)
        if kind == "slowraise":
            return later(reactor, SLOW, DeliberateError("authorize failed on purpose, later"))
        if kind == "coro":
            async def principal():
                return "user:" + name
            return principal()
        if kind == "raise":
            raise DeliberateError("authorize raised on purpose")
        if kind == "rejected":
            raise Rejected(401, "Bad token.")
        if kind == "never":
            return Deferred(lambda d: event(event="cancelled", service=service, token=token))
        return False
    return authorize


def proxied_authorize(handshake):
    kind, _, name = (token_of(handshake) or "").partition("-")
    return "user:" + name if kind == "user" else True


# The site, for the "stats?" message.
SITE = []


def door_site(reactor, allowed_origins=(), front="own"):
    services = [
        ("who", {}),
        ("unbound", {"session_binding": "none"}),
        ("auth", {"authorize": token_authorize(reactor, "auth"),
                  "authorize_timeout": AUTHORIZE_TIMEOUT}),
        ("origins", {"allowed_origins": ["https://example.com", "https://*.example.com",
                                         "http://localhost:*"]}),
        ("origins_null", {"allowed_origins": ["null"]}),
        ("proxied", {"trusted_proxies": ["127.0.0.1"], "authorize": proxied_authorize}),
        ("limited", {"max_sessions": 50, "timeout": 1.0}),
        ("per_client", {"max_sessions_per_client": 3, "timeout": 1.0}),
        ("limited_slow", {"max_sessions": 10, "timeout": 1.0,
                          "authorize": token_authorize(reactor, "limited_slow")}),
        ("small", {"max_message_size": 1000}),
    ]
    if allowed_origins:
        services.append(("allowed", {"allowed_origins": list(allowed_origins)}))
    if front == "web":
        root = Resource()
        for name, options in services:
            root.putChild(name.encode("ascii"), SockJSResource(
                who_factory(name), dict(options, heartbeat=1.0), reactor))
        return SockJSSite(root)
    site = SockJSMultiFactory()
    SITE[:] = [site]
    for name, options in services:
        site.addFactory(who_factory(name), name, dict(options, heartbeat=1.0))
    return site


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--allowed-origin", action="append", default=[],
                        help="an origin the 'allowed' service accepts (repeatable)")
    parser.add_argument("--front", choices=("own", "web"), default="own",
                        help="own: our HTTP channel; web: SockJSResources in a twisted.web Site")
    args = parser.parse_args(argv)
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    from twisted.internet import reactor
    # A backlog above the default 50: the burst test opens 200 connections at once.
    port = reactor.listenTCP(args.port, door_site(reactor, args.allowed_origin, args.front),
                             backlog=512, interface=args.host)
    address = port.getHost()
    sys.stdout.write("door server (pid %d) listening on http://%s:%d/\n"
                     % (os.getpid(), address.host, address.port))
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main()
