"""RedisBroker: topics, send and presence across txsockjs processes and machines.

Install with ``pip install 'txsockjs[redis]'``; every node of a service uses
the same URL::

    broker = RedisBroker("redis://127.0.0.1:6379/0")

Client library.  We use txredisapi (``txredisapi>=1.6``): it is the
Twisted-native Redis client, maintained (1.6.0, 2026), and we checked that it
installs and that commands, pub/sub and reconnection work on CPython 3.11 and
3.13 with Twisted 26.10.  We use its protocols directly, not its connection
pool: the pool queues commands while Redis is away and sends them when it is
back, and a publish that waits silently for minutes is what we must not do.
Owning the two protocol objects gives the behaviour below with public calls
only (``execute_command``, ``eval``, ``subscribe``, ``whenConnected``,
``whenDisconnected``, ``startConnecting``).

How it maps onto Redis (``ns`` is the ``namespace``, default ``txsockjs``;
pub/sub channels are global to a Redis server, whatever the database, so two
services sharing one Redis need two namespaces):

``ns:t:<topic>``  one pub/sub channel per topic.  A node subscribes only to
    the topics its own sessions subscribe to, so a node never receives, and
    Redis never copies, messages nobody on it wants (one channel for all
    topics would send every message to every node).  The payload is
    ``<node id> <message>``; the publishing node delivers to its own
    subscribers at once (that keeps working while Redis is away) and skips
    the copy Redis sends back.
``ns:s:<session id>``  one channel per session, for ``send``: Redis tells how
    many nodes got a PUBLISH, so ``send`` answers False when no node holds the
    session, and a node's subscriptions vanish with its connection: no
    session -> node table to keep right.
``ns:pn:<topic>``, ``ns:ps:<node>:<topic>``  presence: the set of nodes with
    subscribers to a topic, and each node's set of subscribed session ids.
    Both expire after ``presence_ttl`` seconds (default 30) unless refreshed;
    each node refreshes its own every ``presence_ttl / 3`` seconds.  So the
    sessions of a node that died leave ``presence()`` within ``presence_ttl``
    seconds, and a stopped node removes its own at once.  Lua scripts keep
    each read and each update atomic.

Order: one node sends its PUBLISHes on one connection and receives on one,
and Redis delivers in the order it executes, so every subscriber gets a
publisher's messages in the order they were published.  There is no total
order between publishers on different nodes.

Failure: while the connection to Redis is down (or back but not yet
resubscribed), ``publish``, ``send`` to a session on another node and
``presence`` errback with ``RedisUnavailable`` at once; local delivery goes
on.  The broker reconnects by itself (backoff up to ``reconnect_max_delay``
seconds), resubscribes every channel, rewrites its presence entries, and logs
how long the gap was and how many calls failed in it.  Once a node is back,
nothing published to it is lost for the sessions that stayed connected.
Pub/sub keeps no history: what other nodes published while this node was
away is not replayed, and a node that reconnects later than another misses
what that other one published in between.
"""

import uuid
from typing import Any, Dict, Generator, Iterable, List, Optional, Sequence, Set, Tuple
from urllib.parse import unquote, urlsplit

from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.interfaces import IAddress
from twisted.python.failure import Failure

from txsockjs.broker import Broker, Deliver
from txsockjs.extras import needs_extra
from txsockjs.respreader import ProtocolError, RespError, RespReader

with needs_extra("redis", "txsockjs.redisbroker"):
    import txredisapi
from txsockjs.utils import broadcast_many

__all__ = ["RedisBroker", "RedisUnavailable", "parse_redis_url"]

# Lua: every script is atomic, so a reader never sees half an update.

# KEYS: nodes-of-topic.  ARGV: "<ns>:ps:", ":<topic>".  The session ids of
# every node whose member set still exists; a node whose set expired (it
# died) is dropped from the nodes set on the way.
PRESENCE_SCRIPT = b"""
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local members = redis.call('SMEMBERS', ARGV[1] .. node .. ARGV[2])
  if #members == 0 then
    redis.call('SREM', KEYS[1], node)
  end
  for _, member in ipairs(members) do
    out[#out + 1] = member
  end
end
return out
"""

# KEYS: this node's member set, nodes-of-topic.  ARGV: ttl ms, node id,
# reset ("1": replace the set), session ids to add...  Refreshes both TTLs;
# returns 0 when the member set is missing (Redis lost it: rewrite it all).
JOIN_SCRIPT = b"""
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[1])
end
for i = 4, #ARGV, 1000 do
  redis.call('SADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
"""

# KEYS: this node's member set, nodes-of-topic.  ARGV: node id, session ids
# to remove...  (none: remove them all).
LEAVE_SCRIPT = b"""
if #ARGV == 1 then
  redis.call('DEL', KEYS[1])
end
for i = 2, #ARGV, 1000 do
  redis.call('SREM', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[2], ARGV[1])
end
return 1
"""


# The presence heartbeat of one node, for every topic it has, in one round
# trip.  ARGV: ttl ms, node id, "<ns>:ps:", "<ns>:pn:", topics...  Refreshes
# the TTLs of each topic's member set and nodes set; returns the topics whose
# member set is missing, by position from 1 (Redis lost it: the node rewrites them).
BEAT_SCRIPT = b"""
local lost = {}
for i = 5, #ARGV do
  local members = ARGV[3] .. ARGV[2] .. ':' .. ARGV[i]
  if redis.call('PEXPIRE', members, ARGV[1]) == 0 then
    lost[#lost + 1] = i - 4
  else
    local nodes = ARGV[4] .. ARGV[i]
    redis.call('SADD', nodes, ARGV[2])
    redis.call('PEXPIRE', nodes, ARGV[1])
  end
end
return lost
"""


class RedisUnavailable(Exception):
    """The broker has no working connection to Redis right now."""


def parse_redis_url(url: str) -> Dict[str, Any]:
    """``redis://[[user]:password@]host[:port][/db]`` -> dict of the parts."""
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise ValueError("a Redis URL starts with redis://, not %r" % (url,))
    path = parts.path.strip("/")
    try:
        db = int(path) if path else 0
        port = parts.port or 6379
    except ValueError:
        raise ValueError("bad port or database number in Redis URL %r" % (url,))
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": port,
        "db": db,
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password is not None else None,
    }


# (txredisapi ships no type information: its classes are Any to mypy, hence
# the ignores on the classes below that subclass them)
class _Subscriber(txredisapi.SubscriberProtocol):  # type: ignore[misc]
    """Reads with RespReader (see respreader.py): the messages of one read go
    to the broker as one batch; other replies (to SUBSCRIBE, AUTH...) go to
    txredisapi, which matches them to its commands, in order."""

    reader: Optional[RespReader] = None

    def dataReceived(self, data: bytes) -> None:
        if self.reader is None:
            self.reader = RespReader()
        try:
            replies = self.reader.feed(data)
        except ProtocolError as error:
            self.factory.broker.log.error("Redis sent what is not RESP ({error}): reconnecting",
                                          error=error)
            self.transport.abortConnection()
            return
        arrived: List[Tuple[bytes, bytes]] = []
        for reply in replies:
            if type(reply) is list and len(reply) == 3 and reply[0] == b"message":
                arrived.append((reply[1], reply[2]))
                continue
            if arrived:
                self.factory.broker._messages(arrived)
                arrived = []
            if isinstance(reply, RespError):
                text = str(reply)
                reply = txredisapi.ResponseError(text[4:] if text.startswith("ERR ") else text)
            self.replyReceived(reply)
        if arrived:
            self.factory.broker._messages(arrived)


class _Watching(object):
    """Tells the broker when a connection is ready and when it is gone."""

    broker: "RedisBroker"
    role: str

    def buildProtocol(self, addr: IAddress) -> Any:
        protocol = super().buildProtocol(addr)  # type: ignore[misc]
        broker = self.broker
        protocol.whenConnected().addCallback(broker._connection_up, self.role)
        protocol.whenDisconnected().addCallback(broker._connection_down, self.role)
        return protocol


class _CommandFactory(_Watching, txredisapi.RedisFactory):  # type: ignore[misc]
    role = "command"


class _SubscriberFactory(_Watching, txredisapi.SubscriberFactory):  # type: ignore[misc]
    role = "subscriber"
    protocol = _Subscriber


class RedisBroker(Broker):
    """A broker whose topics, ``send`` and ``presence`` span every node that
    uses the same Redis URL and namespace (see the module docstring)."""

    # ``reactor`` provides IReactorTime and IReactorTCP (zope interfaces: Any to mypy).
    def __init__(self, url: str = "redis://127.0.0.1:6379/0", namespace: str = "txsockjs",
                 presence_ttl: float = 30.0, reply_timeout: float = 10.0,
                 reconnect_max_delay: float = 5.0, reactor: Any = None,
                 deliver: Deliver = broadcast_many) -> None:
        Broker.__init__(self, deliver)
        if reactor is None:
            from twisted.internet import reactor
        if not presence_ttl > 0.01:
            raise ValueError("presence_ttl must be a number of seconds > 0.01, not %r" % (presence_ttl,))
        self.url = url
        self.address = parse_redis_url(url)
        self.node_id = uuid.uuid4().hex[:16]
        self.presence_ttl = float(presence_ttl)
        self.reply_timeout = reply_timeout
        self.reconnect_max_delay = reconnect_max_delay
        self.up = False
        self._clock: Any = reactor
        ns = namespace.encode("utf-8")
        self._node = self.node_id.encode("ascii")
        self._topic_channel = ns + b":t:"
        self._session_channel = ns + b":s:"
        self._nodes_key = ns + b":pn:"
        self._members_prefix = ns + b":ps:"
        # txredisapi's protocols and factories (Any to mypy), and IDelayedCalls
        self._command: Any = None
        self._subscriber: Any = None
        self._factories: List[Any] = []
        self._waiters: "List[Deferred[None]]" = []
        self._stale_topics: Set[str] = set()
        self._resyncing = False
        self._ever_up = False
        self._down_since: Optional[float] = None
        self._failed_calls = 0
        self._heartbeat: Any = None
        self._started = False
        self._stopped = False

    # -- keys ------------------------------------------------------------------

    def _members_key(self, topic: str) -> bytes:
        return self._members_prefix + self._node + b":" + topic.encode("utf-8")

    def _presence_keys(self, topic: str) -> List[bytes]:
        return [self._members_key(topic), self._nodes_key + topic.encode("utf-8")]

    # -- life ------------------------------------------------------------------

    def start(self) -> "Deferred[None]":
        """Connect (and keep reconnecting); fires once connected."""
        if not self._started:
            self._started = True
            address = self.address
            command = _CommandFactory(
                None, address["db"], 1, isLazy=True, charset=None, password=address["password"],
                replyTimeout=self.reply_timeout, username=address["username"],
                # session ids and topics that look like numbers stay bytes
                convertNumbers=False)
            subscriber = _SubscriberFactory(isLazy=True)
            subscriber.charset = None
            subscriber.password = address["password"]
            subscriber.username = address["username"]
            for factory in (command, subscriber):
                factory.broker = self
                factory.initialDelay = min(0.5, self.reconnect_max_delay)
                factory.maxDelay = self.reconnect_max_delay
                factory.startConnecting(TCP4ClientEndpoint(
                    self._clock, address["host"], address["port"], timeout=5))
                self._factories.append(factory)
            self._heartbeat = self._clock.callLater(self.presence_ttl / 3, self._beat)
        return self.when_connected().addErrback(lambda failure: None)

    def when_connected(self) -> "Deferred[None]":
        """A Deferred that fires once the broker is connected and subscribed
        (at once if it is); it errbacks if the broker is stopped first."""
        if self.up:
            return defer.succeed(None)
        return self._when_up()

    @defer.inlineCallbacks
    def stop(self) -> Generator["Deferred[Any]", Any, None]:
        """Leave presence at once, then disconnect."""
        if self._stopped:
            return
        self._stopped = True
        if self._heartbeat is not None and self._heartbeat.active():
            self._heartbeat.cancel()
        if self.up:
            leaving = [self._leave(topic, None) for topic in self.local_topics()]
            yield defer.DeferredList(leaving, consumeErrors=True)
        self.up = False
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.errback(RedisUnavailable("the broker was stopped"))
        yield defer.DeferredList([factory.disconnect() for factory in self._factories],
                                 consumeErrors=True)

    # -- connection state --------------------------------------------------------

    def _connection_up(self, protocol: Any, role: str) -> None:
        if self._stopped:
            return
        if role == "command":
            self._command = protocol
        else:
            self._subscriber = protocol
        self._resync()

    def _connection_down(self, protocol: Any, role: str) -> None:
        if role == "command" and self._command is protocol:
            self._command = None
        elif role == "subscriber" and self._subscriber is protocol:
            self._subscriber = None
        else:
            return
        if self.up and not self._stopped:
            self._down_since = self._clock.seconds()
            self._failed_calls = 0
            self.log.warn(
                "Redis connection lost ({role}, node {node}): publish, send and presence fail "
                "until it is back; local delivery goes on", role=role, node=self.node_id)
        self.up = False

    def _when_up(self) -> "Deferred[None]":
        waiter: "Deferred[None]" = defer.Deferred()
        self._waiters.append(waiter)
        return waiter

    def _both(self) -> bool:
        return self._command is not None and self._subscriber is not None

    def _resync(self) -> None:
        """Both connections are there: subscribe everything again and rewrite
        this node's presence, then call the broker up."""
        if not self._both() or self.up or self._resyncing:
            return
        self._resyncing = True
        command, subscriber = self._command, self._subscriber
        work = [self._subscribe_channel(self._session_channel + sid.encode("utf-8"))
                for sid in self.local_sessions()]
        topics = self.local_topics()
        work += [self._subscribe_channel(self._topic_channel + topic.encode("utf-8"))
                 for topic in topics]
        stale, self._stale_topics = self._stale_topics, set()
        work += [self._leave(topic, None) for topic in stale if topic not in topics]
        work += [self._join(topic, self.local_members(topic), reset=True) for topic in topics]

        def done(_: object) -> None:
            self._resyncing = False
            if command is not self._command or subscriber is not self._subscriber:
                return self._resync()      # a connection changed meanwhile: again
            self.up = True
            self._log_back(len(work), len(topics))
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                waiter.callback(None)

        def failed(failure: Failure) -> None:
            self._resyncing = False
            self.log.failure("Redis resubscription failed; retrying", failure)
            self._clock.callLater(1.0, self._resync)

        defer.gatherResults(work, consumeErrors=True).addCallbacks(done, failed)

    def _log_back(self, commands: int, topics: int) -> None:
        if not self._ever_up:
            self._ever_up = True
            self.log.info("Redis broker connected to {url} (node {node})", url=self.url, node=self.node_id)
            return
        gap = self._clock.seconds() - self._down_since if self._down_since is not None else 0.0
        self.log.warn(
            "Redis back after a gap of {gap:.1f} s (node {node}): resubscribed and restored presence "
            "of {topics} topics ({commands} commands); {failed} publish/send/presence calls failed "
            "in the gap", gap=gap, node=self.node_id, topics=topics, commands=commands,
            failed=self._failed_calls)

    def _unavailable(self, what: str) -> "Deferred[Any]":
        self._failed_calls += 1
        return defer.fail(RedisUnavailable(
            "%s failed: no connection to Redis at %s (it reconnects by itself)" % (what, self.url)))

    # -- Redis commands -------------------------------------------------------------

    def _subscribe_channel(self, channel: bytes) -> "Deferred[Any]":
        # One channel per SUBSCRIBE: Redis confirms each channel with its own
        # reply and txredisapi matches one reply to one command.
        subscribed: "Deferred[Any]" = self._subscriber.subscribe([channel])
        return subscribed

    def _unsubscribe_channel(self, channel: bytes) -> "Deferred[Any]":
        unsubscribed: "Deferred[Any]" = self._subscriber.unsubscribe([channel])
        return unsubscribed

    def _join(self, topic: str, session_ids: Iterable[str], reset: bool = False) -> "Deferred[Any]":
        ttl_ms = str(int(self.presence_ttl * 1000)).encode("ascii")
        args = [ttl_ms, self._node, b"1" if reset else b"0"]
        args += [sid.encode("utf-8") for sid in session_ids]
        joined: "Deferred[Any]" = self._command.eval(JOIN_SCRIPT, self._presence_keys(topic), args)
        return joined

    def _leave(self, topic: str, session_ids: Optional[Sequence[str]]) -> "Deferred[Any]":
        args = [self._node] + [sid.encode("utf-8") for sid in session_ids or ()]
        left: "Deferred[Any]" = self._command.eval(LEAVE_SCRIPT, self._presence_keys(topic), args)
        return left

    def _settled(self, work: "List[Deferred[Any]]") -> "Deferred[None]":
        """Fires None once ``work`` is done; if a connection dropped under it,
        once the broker is back (the resync redoes it)."""
        def failed(failure: Failure) -> Any:
            failure.trap(defer.FirstError)
            first: Any = failure.value  # (a FirstError, trapped above)
            failure = first.subFailure
            if failure.check(txredisapi.ConnectionError) and not self._stopped:
                return self._when_up()
            return failure
        return defer.gatherResults(work, consumeErrors=True).addCallbacks(lambda _: None, failed)

    # -- broker hooks -------------------------------------------------------------

    def _remote_attached(self, session_id: str) -> None:
        if self._both():
            self._quietly(self._subscribe_channel(self._session_channel + session_id.encode("utf-8")))

    def _remote_detached(self, session_id: str) -> None:
        if self._both():
            self._quietly(self._unsubscribe_channel(self._session_channel + session_id.encode("utf-8")))

    def _quietly(self, deferred: "Deferred[Any]") -> None:
        """A command whose failure only matters if Redis is up: a lost
        connection is repaired by the resync."""
        def failed(failure: Failure) -> None:
            if not failure.check(txredisapi.ConnectionError, RedisUnavailable):
                self.log.failure("Redis command failed", failure)
        deferred.addErrback(failed)

    def _remote_subscribed(self, session_id: str, topic: str, first: bool) -> "Deferred[None]":
        if not self._both():
            return self._when_up()
        work = [self._join(topic, [session_id])]
        if first:
            work.append(self._subscribe_channel(self._topic_channel + topic.encode("utf-8")))
        return self._settled(work)

    def _remote_unsubscribed(self, session_id: str, topic: str, last: bool) -> "Deferred[None]":
        if not self._both():
            if last:
                self._stale_topics.add(topic)
            return defer.succeed(None)
        work = [self._leave(topic, [session_id])]
        if last:
            work.append(self._unsubscribe_channel(self._topic_channel + topic.encode("utf-8")))
        deferred = self._settled(work)
        self._quietly(deferred)     # lost or stopped: the resync or the TTL cleans up
        return deferred

    def _remote_publish(self, topic: str, message: bytes) -> "Deferred[None]":
        if not self.up:
            return self._unavailable("publish to %r" % (topic,))
        channel = self._topic_channel + topic.encode("utf-8")
        published: "Deferred[None]" = self._command.execute_command(
            b"PUBLISH", channel, self._node + b" " + message).addCallback(lambda receivers: None)
        return published

    def _remote_send(self, session_id: str, message: bytes) -> "Deferred[bool]":
        if not self.up:
            return self._unavailable("send to %r" % (session_id,))
        channel = self._session_channel + session_id.encode("utf-8")
        sent: "Deferred[bool]" = self._command.execute_command(b"PUBLISH", channel, message) \
            .addCallback(lambda receivers: receivers > 0)
        return sent

    def _remote_presence(self, topic: str, local: Set[str]) -> "Deferred[Set[str]]":
        if not self.up:
            return self._unavailable("presence of %r" % (topic,))
        args = [self._members_prefix, b":" + topic.encode("utf-8")]
        deferred = self._command.eval(PRESENCE_SCRIPT, [self._nodes_key + topic.encode("utf-8")], args)
        present: "Deferred[Set[str]]" = deferred.addCallback(
            lambda members: local | {member.decode("utf-8") for member in members or ()})
        return present

    # -- from Redis ------------------------------------------------------------------

    def _messages(self, arrived: Sequence[Tuple[bytes, bytes]]) -> None:
        """Deliver what one read from Redis held, (channel, payload) in the
        order Redis sent them, as one batch: the messages of a topic leave
        as one ``a[...]`` frame per session, encoded once (Broker.gathering)."""
        topic_channel = self._topic_channel
        session_channel = self._session_channel
        node = self._node
        with self.gathering():
            for channel, payload in arrived:
                try:
                    if channel.startswith(topic_channel):
                        sender, _, message = payload.partition(b" ")
                        if sender != node:  # (our own were delivered here at once)
                            self.deliver_local_many(
                                channel[len(topic_channel):].decode("utf-8"), (message,))
                    elif channel.startswith(session_channel):
                        self.deliver_to_session(
                            channel[len(session_channel):].decode("utf-8"), payload)
                except Exception:
                    self.log.failure("Could not deliver a message from Redis channel {channel!r}",
                                     channel=channel)

    def _beat(self) -> "Optional[Deferred[Any]]":
        """Refresh this node's presence TTLs, every topic in one round trip;
        rewrite the topics Redis lost.  (The Deferred fires when done.)"""
        self._heartbeat = self._clock.callLater(self.presence_ttl / 3, self._beat)
        topics = self.local_topics()
        if not self.up or not topics:
            return None
        ttl_ms = str(int(self.presence_ttl * 1000)).encode("ascii")
        args = [ttl_ms, self._node, self._members_prefix, self._nodes_key]
        args += [topic.encode("utf-8") for topic in topics]
        refreshed: "Deferred[Any]" = self._command.eval(BEAT_SCRIPT, [], args)
        refreshed.addCallback(self._rewrite_lost, topics)
        self._quietly(refreshed)
        return refreshed

    def _rewrite_lost(self, lost: Optional[List[int]], topics: List[str]) -> "Optional[Deferred[Any]]":
        rewrites = []
        for position in lost or ():
            topic = topics[position - 1]
            if self.up and topic in self._subscribers:
                rewrites.append(self._join(topic, self.local_members(topic), reset=True))
        return self._settled(rewrites) if rewrites else None
