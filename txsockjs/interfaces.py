"""What an application may rely on, as types a plain ``mypy --strict`` checks.

Twisted describes transports with ``zope.interface`` interfaces, which mypy
cannot see through without a plugin.  These are ``typing.Protocol`` classes
instead (as ``twisted.web.websocket`` does for its own transports): nothing
implements them by name, anything with the right methods conforms.

:class:`SockJSTransport`
    what ``self.transport`` of the application's protocol is, on every SockJS
    transport: ``write`` (bytes holding UTF-8: one SockJS message per call),
    ``close`` with an application close code, the :class:`~txsockjs.Handshake`,
    topics, and producer/consumer flow control.
:data:`Authorize`
    the ``authorize`` option: a callable taking the Handshake.
:class:`SockJSOptions`
    the options dict of ``SockJSFactory`` / ``addFactory`` / ``SockJSResource``,
    key by key (every key optional).

Twisted types ``Protocol.transport`` as ``ITransport | None``;
:func:`sockjs_transport` gives the same object typed as a
:class:`SockJSTransport`::

    from twisted.internet.protocol import Protocol
    from txsockjs.interfaces import sockjs_transport

    class Chat(Protocol):
        def connectionMade(self) -> None:
            transport = sockjs_transport(self)
            transport.write(b"hello " + transport.handshake.client_ip.encode())
            transport.close(4000, "bye")
"""

from typing import (
    Any, Callable, Iterable, Mapping, Optional, Protocol, Sequence, TypedDict, Union,
)

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress, IProducer

from txsockjs.handshake import Handshake

__all__ = ["Authorize", "BinaryReceiver", "HasTransport", "SockJSOptions", "SockJSTransport",
           "sockjs_transport"]


class SockJSTransport(Protocol):
    """The transport a SockJS session gives the application's protocol.

    The bytes/text contract: SockJS carries text.  ``write`` takes bytes
    holding UTF-8 (``str`` raises TypeError, invalid UTF-8 raises
    ValueError, both at the call) and each call is one message to the
    client; ``dataReceived`` gets one call per client message, as UTF-8
    bytes.
    """

    @property
    def handshake(self) -> Handshake:
        """The request that created the session (see :class:`~txsockjs.Handshake`)."""

    def write(self, data: bytes) -> None:
        """Send one message (UTF-8 bytes) to the client, after those written before."""

    def writeSequence(self, data: Iterable[bytes]) -> None:
        """Send the pieces joined, as one message."""

    def writeBinary(self, data: bytes) -> None:
        """Send one binary message: on the raw ``/websocket`` endpoint only.  SockJS
        sessions carry text: there it raises TypeError."""

    def setCompression(self, enabled: bool) -> None:
        """Compress what this session sends (with the ``compression`` option, on a
        WebSocket that negotiated permessage-deflate), or stop.  Turn it off for a session
        that sends secrets next to text an attacker can influence (CRIME, BREACH:
        compressed lengths leak what the two share, TLS or not)."""

    def loseConnection(self) -> None:
        """Close the session with ``c[3000,"Go away!"]`` after every message written before."""

    def close(self, code: int = 3000, reason: str = "Go away!") -> None:
        """Close with the application's own code (3000-4999) and reason (at
        most 123 bytes of UTF-8), after every message written before;
        ValueError otherwise."""

    def abortConnection(self) -> None:
        """As :meth:`loseConnection` (a SockJS session has no abortive close)."""

    def getPeer(self) -> IAddress:
        """The TCP peer of the request that opened the session; behind a
        proxy, ``handshake.client_ip`` is the client."""

    def getHost(self) -> IAddress:
        """The server's address the session came in on."""

    # -- flow control: the application as consumer and as producer -------------

    def registerProducer(self, producer: IProducer, streaming: bool) -> None:
        """Register the application's producer: a push producer (``streaming``
        True) is paused while the client's send buffer is above half its limit."""

    def unregisterProducer(self) -> None:
        """Forget the registered producer."""

    def pauseProducing(self) -> None:
        """Hold the client's messages (``dataReceived`` is not called) until resumed."""

    def resumeProducing(self) -> None:
        """Deliver the held messages, then deliver again as they come."""

    def stopProducing(self) -> None:
        """As :meth:`loseConnection`."""

    # -- topics (txsockjs.broker) ------------------------------------------------

    def subscribe(self, topic: str) -> "Deferred[Any]":
        """Receive every message published to ``topic`` until unsubscribed or
        closed; fires once the subscription is in effect on every node."""

    def unsubscribe(self, topic: str) -> "Deferred[Any]":
        """Stop receiving ``topic``'s messages."""

    def publish(self, topic: str, message: bytes) -> "Deferred[Any]":
        """Send ``message`` (UTF-8 bytes) to every subscriber of ``topic``, this
        session too if it is one; errbacks if the broker cannot reach other nodes."""


class BinaryReceiver(Protocol):
    """A protocol that takes binary messages on the raw ``/websocket`` endpoint: with this
    method, binary messages go to it (text still goes to ``dataReceived``); without it, a
    binary message closes the connection with 1003."""

    def binaryMessageReceived(self, data: bytes) -> None: ...


class ProtocolFactory(Protocol):
    """What txsockjs needs of a factory it serves: Twisted's ``IProtocolFactory``
    as a structural type.  Any ``Factory`` fits, ``Factory.forProtocol(P)`` in a
    variable and subclasses too, whatever protocol type Twisted's annotations
    give it (``Factory[Echo]`` is not a ``Factory[Protocol]`` to mypy)."""

    # (``addr`` is an IAddress, the result an IProtocol or None: zope
    # interfaces, no types to mypy without a plugin)
    def buildProtocol(self, addr: Any) -> Any: ...

    def doStart(self) -> None: ...

    def doStop(self) -> None: ...


class HasTransport(Protocol):
    """Anything with a ``transport`` attribute, such as a Twisted ``Protocol``."""

    @property
    def transport(self) -> Optional[Any]: ...


def sockjs_transport(protocol: HasTransport) -> SockJSTransport:
    """``protocol.transport``, typed as the :class:`SockJSTransport` it is.

    Raises RuntimeError when the protocol is not connected (its transport is
    None: before ``makeConnection``)."""
    transport = protocol.transport
    if transport is None:
        raise RuntimeError("%r is not connected: its transport is None" % (protocol,))
    result: SockJSTransport = transport
    return result


#: The ``authorize`` option: called with the Handshake of each new session;
#: returns the principal (``True`` if there is nothing better), or a Deferred
#: or coroutine of one.  ``False`` or raising :class:`~txsockjs.Rejected`
#: refuses the session.
Authorize = Callable[[Handshake], Any]


class SockJSOptions(TypedDict, total=False):
    """The options dict, key by key (docs: ``txsockjs.options.Options``).

    Every key is optional; an unknown key, or a value of the wrong kind,
    raises ValueError when the factory is built."""

    websocket: bool
    cookie_needed: bool
    heartbeat: float
    timeout: float
    streaming_limit: int
    sockjs_url: str
    max_message_size: int
    authorize: Optional[Authorize]
    authorize_timeout: float
    allowed_origins: Optional[Sequence[str]]
    trusted_proxies: Sequence[str]
    session_binding: str
    max_sessions: Optional[int]
    max_sessions_per_client: Optional[int]
    send_buffer_limit: int
    send_overflow: str
    broker: Any
    base_url: Optional[str]
    compression: Union[bool, Mapping[str, Any]]
