"""A graceful stop for one service: ``drain(service, grace)``.

New sessions are refused (503 + Retry-After, by the door); every open
session, on every transport, is closed with ``c[1001,"Server shutting
down"]`` (a raw websocket with a 1001 close frame) after what it had queued;
a polling session gets that at its next poll.  The returned Deferred fires
when every session's close has been delivered and every WebSocket has done
its close handshake, or when ``grace`` seconds have passed; whatever is left
then is aborted.
"""

from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred
from twisted.logger import Logger

if TYPE_CHECKING:
    from txsockjs.server.registry import SessionRegistry
    from txsockjs.server.servicecore import Service

log = Logger(namespace="txsockjs.drain")

# How often a drain looks whether it is done: cheap, and bounded by grace.
CHECK_EVERY = 0.05


def drain(service: "Service", grace: float) -> "Deferred[None]":
    service.draining = True
    registry = service.registry
    for session in list(registry.live):
        session.drain()
    done: "Deferred[None]" = Deferred()
    deadline = service.clock.seconds() + grace

    def check() -> None:
        if not _left(registry):
            log.info("Service at /{prefix} drained", prefix=service.prefix)
            return done.callback(None)
        if service.clock.seconds() >= deadline:
            left = _abort(registry)
            log.info("Service at /{prefix}: grace period over, aborted {count} session(s)",
                     prefix=service.prefix, count=left)
            return done.callback(None)
        service.clock.callLater(CHECK_EVERY, check)

    # First look after a tick, never at once: the close frames just written
    # must reach the socket before a stopping reactor closes it.
    service.clock.callLater(CHECK_EVERY, check)
    return done


def _left(registry: "SessionRegistry") -> bool:
    if registry.live or registry.unfinished_websockets:
        return True
    return any(not session.close_delivered for session in registry.by_id.values())


def _abort(registry: "SessionRegistry") -> int:
    count = 0
    for session in list(registry.live):
        session.shutdown()
        count += 1
    for handler in list(registry.unfinished_websockets):
        handler.abort()
        count += 1
    for session in list(registry.by_id.values()):
        if not session.close_delivered:
            session.discard()
            count += 1
    return count
