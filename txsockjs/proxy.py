"""Bridge SockJS sessions to a TCP service: websockify for SockJS.

::

    site = SockJSFactory(ProxyFactory("tcp:127.0.0.1:6667"))

Each SockJS session opens its own client connection to the endpoint
(``clientFromString``).  Bytes then flow both ways:

* each client message is written to the TCP connection; messages that arrive
  before it is connected are kept, in order, up to ``pending_limit`` bytes
  (past that the session is closed);
* each chunk read from the TCP connection is sent as one SockJS message.

Encodings (``encoding=``):

``"text"`` (the default)
    Client messages are written as their UTF-8 bytes.  What the TCP service
    sends is decoded as UTF-8 incrementally, so a character split across two
    reads arrives whole (in the second message).  Bytes that are not UTF-8 are
    replaced by U+FFFD (as Python's ``"replace"`` error handler does) and the
    first such replacement in a session is logged: SockJS messages are text,
    and a proxy that dropped or guessed bytes would be worse.  Use base64 for
    binary protocols.
``"base64"``
    Each client message is base64 (RFC 4648, standard alphabet, padded) and
    is decoded before it is written; each chunk read is sent base64 encoded.
    A client message that is not valid base64 closes the session.

Flow control goes both ways through IPushProducer: when the browser's
connection is full, reading from the TCP service pauses; when the TCP
service does not read, delivery of client messages pauses.  Either side's
close closes the other.  The session is closed with a code and reason
(see the ``CLOSE_*`` constants) when the TCP service cannot be reached, when
base64 is invalid, or when too much arrives before the connection is made;
until transports offer ``close(code, reason)`` that is a plain
``loseConnection()``.
"""

import base64
import binascii
import codecs
from typing import Any, Callable, Optional, Tuple, Union

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import clientFromString
from twisted.internet.interfaces import IAddress, IPushProducer
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

CLOSE_BAD_BASE64 = (4001, "Message is not valid base64")
CLOSE_UNREACHABLE = (4002, "Cannot reach the upstream service")
CLOSE_PENDING_FULL = (4003, "Too much data before the upstream service was connected")

ENCODINGS = ("text", "base64")
DEFAULT_PENDING_LIMIT = 1 << 20


def close_session(transport: Any, code: int, reason: str) -> None:
    """Close with our code and reason where the transport can say it."""
    close = getattr(transport, "close", None)
    if callable(close):
        close(code, reason)
    else:
        transport.loseConnection()


class Utf8Reader(object):
    """Incremental UTF-8 decoding of a byte stream; invalid bytes become U+FFFD."""

    def __init__(self, on_invalid: Callable[[], None]) -> None:
        self._tail = b""
        self._on_invalid = on_invalid

    def decode(self, chunk: bytes, final: bool = False) -> str:
        data = self._tail + chunk if self._tail else chunk
        try:
            text, used = codecs.utf_8_decode(data, "strict", final)
        except UnicodeDecodeError:
            # (one pass with "replace", in C: a read full of bad bytes cost 0.13 s a
            # 64 KiB read when each was found, sliced off and decoded again in turn)
            self._on_invalid()
            text, used = codecs.utf_8_decode(data, "replace", final)
        # (an incomplete character at the end waits for the next chunk)
        self._tail = data[used:]
        return text


class TextCodec(object):
    def __init__(self, log_invalid: Callable[[], None]) -> None:
        self._reader = Utf8Reader(log_invalid)

    def to_upstream(self, message: bytes) -> bytes:
        return message

    def to_client(self, chunk: bytes, final: bool = False) -> bytes:
        return self._reader.decode(chunk, final).encode("utf-8")


class Base64Codec(object):
    def to_upstream(self, message: bytes) -> bytes:
        try:
            return base64.b64decode(message, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not valid base64")

    def to_client(self, chunk: bytes, final: bool = False) -> bytes:
        return base64.b64encode(chunk)


class Upstream(Protocol):
    """The TCP side of one bridged session."""

    def __init__(self, bridge: "ProxyProtocol") -> None:
        self.bridge = bridge

    def connectionMade(self) -> None:
        self.bridge.upstream_connected(self.transport)

    def dataReceived(self, data: bytes) -> None:
        self.bridge.from_upstream(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.bridge.upstream_lost(reason)


class _UpstreamFactory(Factory):
    def __init__(self, bridge: "ProxyProtocol") -> None:
        self.bridge = bridge

    def buildProtocol(self, addr: Optional[IAddress]) -> Upstream:
        return Upstream(self.bridge)


@implementer(IPushProducer)
class ProxyProtocol(Protocol):
    """The SockJS side of one bridged session.

    It is also the producer registered with the TCP connection: pausing
    holds client messages (the SockJS transport keeps them), and a stop
    (the TCP connection went away) ends the session after the last bytes.
    """

    log = Logger()
    # The ProxyFactory, and the session's transport (SockJSTransport); Any to
    # mypy: Factory.protocol's type wants ``factory`` as wide as Twisted
    # declares it, and ITransport is a zope interface.
    factory: Any
    transport: Any
    codec: Union[TextCodec, Base64Codec]

    def __init__(self) -> None:
        self.upstream: Any = None  # the TCP transport, once connected
        # Client bytes waiting for it, in one buffer: a list of the client's messages cost
        # some 50 bytes of memory for each (500,000 two-byte messages, under the pending
        # limit, held 29 MB).
        self.pending = bytearray()
        self.connecting: "Optional[Deferred[Any]]" = None  # the connect Deferred while it runs
        self.done = False
        self.warned_invalid = False

    def connectionMade(self) -> None:
        factory = self.factory
        if factory.encoding == "base64":
            self.codec = Base64Codec()
        else:
            self.codec = TextCodec(self._invalid_utf8)
        self.connecting = factory.endpoint.connect(_UpstreamFactory(self))
        self.connecting.addErrback(self._unreachable)

    # -- client -> upstream -----------------------------------------------------

    def dataReceived(self, message: bytes) -> None:
        if self.done:
            return
        try:
            data = self.codec.to_upstream(message)
        except ValueError:
            self.log.info("proxy: closing a session whose client sent a message that is not base64")
            return self._close(CLOSE_BAD_BASE64)
        if not data:
            return
        if self.upstream is not None:
            self.upstream.write(data)
            return
        self.pending += data
        if len(self.pending) > self.factory.pending_limit:
            self.log.info("proxy: closing a session: {count} bytes arrived before the upstream "
                          "service was connected", count=len(self.pending))
            self._close(CLOSE_PENDING_FULL)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.done = True
        self.pending = bytearray()
        if self.connecting is not None:
            self.connecting.cancel()
        if self.upstream is not None:
            self.upstream.loseConnection()

    # -- upstream events ------------------------------------------------------------

    def upstream_connected(self, upstream: Any) -> None:
        self.connecting = None
        if self.done:
            upstream.loseConnection()
            return
        self.upstream = upstream
        pending, self.pending = self.pending, bytearray()
        if pending:
            upstream.write(bytes(pending))
        # Each side pauses the other when it cannot keep up.
        self.transport.registerProducer(upstream, True)
        upstream.registerProducer(self, True)

    def from_upstream(self, chunk: bytes) -> None:
        if self.done:
            return
        message = self.codec.to_client(chunk)
        if message:
            self.transport.write(message)

    def upstream_lost(self, reason: Optional[Failure]) -> None:
        if self.done:
            return
        self.done = True
        tail = self.codec.to_client(b"", final=True)
        if tail:
            self.transport.write(tail)
        self.transport.unregisterProducer()
        self.transport.loseConnection()

    # -- IPushProducer, for the TCP connection ------------------------------------

    def pauseProducing(self) -> None:
        if not self.done:
            self.transport.pauseProducing()

    def resumeProducing(self) -> None:
        if not self.done:
            self.transport.resumeProducing()

    def stopProducing(self) -> None:
        self.upstream_lost(None)

    def _unreachable(self, failure: Failure) -> None:
        self.connecting = None
        if self.done:
            return None
        self.log.info("proxy: cannot reach {endpoint}: {error}",
                      endpoint=self.factory.description, error=failure.getErrorMessage())
        self._close(CLOSE_UNREACHABLE)

    def _invalid_utf8(self) -> None:
        if not self.warned_invalid:
            self.warned_invalid = True
            self.log.warn("proxy: {endpoint} sent bytes that are not UTF-8; they are replaced "
                          "by U+FFFD (this is logged once per session; base64 mode carries "
                          "binary protocols)", endpoint=self.factory.description)

    def _close(self, code_reason: Tuple[int, str]) -> None:
        self.done = True
        self.pending = bytearray()
        if self.upstream is not None:
            self.upstream.loseConnection()
        close_session(self.transport, *code_reason)


class ProxyFactory(Factory):
    """Builds one ProxyProtocol per SockJS session.

    ``endpoint`` is a client endpoint description (``"tcp:127.0.0.1:6667"``)
    or an IStreamClientEndpoint.
    """

    protocol = ProxyProtocol

    # ``endpoint`` may provide IStreamClientEndpoint (a zope interface: Any to mypy).
    def __init__(self, endpoint: Union[str, Any], encoding: str = "text",
                 pending_limit: int = DEFAULT_PENDING_LIMIT, reactor: Any = None) -> None:
        if encoding not in ENCODINGS:
            raise ValueError("proxy encoding must be one of %s, not %r"
                             % (", ".join(ENCODINGS), encoding))
        if isinstance(endpoint, str):
            if reactor is None:
                from twisted.internet import reactor
            self.description = endpoint
            endpoint = clientFromString(reactor, endpoint)
        else:
            self.description = repr(endpoint)
        self.endpoint = endpoint
        self.encoding = encoding
        self.pending_limit = pending_limit
