"""The transport the wrapped application sees: one per SockJS session.

Bytes and text, exactly:

* ``dataReceived`` gets each client message as one ``bytes`` object, UTF-8
  encoded.  A message with a lone surrogate (a browser can send one as a
  ``\\udXXX`` escape) has it replaced by U+FFFD, so the bytes are always valid
  UTF-8.
* ``write(data)`` takes ``bytes`` (or bytearray / memoryview) that must be
  valid UTF-8: each call is one message.  ``str`` raises TypeError (as on any
  Twisted transport) and invalid UTF-8 raises ValueError, sending nothing:
  we never guess at text.
* ``writeSequence(seq)`` is ``write(b"".join(seq))``: one message.
"""

import codecs

from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IConsumer, IPushProducer, ITransport
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer


# Messages waiting for a receiver before a registered producer is paused.
QUEUE_HIGH_WATER = 1000


def _replace_surrogates(error):
    # bytes: the UTF-8 encoder only takes ASCII str replacements
    return (b"\xef\xbf\xbd" * (error.end - error.start), error.end)


codecs.register_error("txsockjs.replace-surrogates", _replace_surrogates)


def encode_message(message):
    """A client message (str) as the UTF-8 bytes given to dataReceived."""
    try:
        return message.encode("utf-8")
    except UnicodeEncodeError:
        return message.encode("utf-8", "txsockjs.replace-surrogates")


@implementer(ITransport, IConsumer, IPushProducer)
class SessionTransport(object):
    """Carries one application protocol over one SockJS session."""

    log = Logger()

    __slots__ = ("session", "protocol", "handshake", "host", "service", "on_close", "producer",
                 "_lost", "_paused", "_held", "_producer_paused_for")

    def __init__(self, protocol, handshake, host, service=None):
        self.session = None
        self.protocol = protocol
        # The request that created the session (txsockjs.Handshake).
        self.handshake = handshake
        self.host = host
        self.service = service
        # Called once when the session closes (the service's registry counts it).
        self.on_close = None
        self.producer = None
        self._lost = False
        self._paused = False
        self._held = None
        # Why the application's producer is paused: "socket" (the socket
        # carrying our frames is full) and/or "queue" (too many messages
        # wait for a receiver).  It resumes when no reason is left.
        self._producer_paused_for = set()

    # -- session delegate ----------------------------------------------------

    def opened(self, session):
        self.session = session
        try:
            self.protocol.makeConnection(self)
        except Exception:
            self.log.failure("Application error in connectionMade")
            self.loseConnection()

    def messages_received(self, messages):
        protocol = self.protocol
        for index, message in enumerate(messages):
            if self._lost:
                return
            if self._paused:
                self._held.extend(messages[index:])
                return
            try:
                protocol.dataReceived(encode_message(message))
            except Exception:
                self.log.failure("Application error in dataReceived; closing the session")
                self.loseConnection()
                return

    def closed(self, clean):
        if self._lost:
            return
        self._release()
        producer = self.producer
        self.producer = None
        if producer is not None:
            try:
                producer.stopProducing()
            except Exception:
                self.log.failure("Application error in stopProducing")
        reason = ConnectionDone("SockJS session closed") if clean else \
            ConnectionLost("SockJS session timed out or was interrupted")
        try:
            self.protocol.connectionLost(Failure(reason))
        except Exception:
            self.log.failure("Application error in connectionLost")

    def abandoned(self):
        """The session never opened (its handshake did not complete): give
        its place back; the application was never connected."""
        self._release()

    def _release(self):
        self._lost = True
        on_close = self.on_close
        self.on_close = None
        if on_close is not None:
            on_close()

    def write_paused(self, paused):
        """The socket carrying our frames is full (True) or drained (False)."""
        self._pause_producer("socket", paused)

    def drained(self):
        if "queue" in self._producer_paused_for:
            self._pause_producer("queue", False)

    def _pause_producer(self, reason, paused):
        reasons = self._producer_paused_for
        was_paused = bool(reasons)
        if paused:
            reasons.add(reason)
        else:
            reasons.discard(reason)
        producer = self.producer
        if producer is None or was_paused == bool(reasons):
            return
        if reasons:
            producer.pauseProducing()
        else:
            producer.resumeProducing()

    # -- ITransport ------------------------------------------------------------

    def write(self, data):
        if isinstance(data, str):
            raise TypeError("SockJS transports take bytes (UTF-8), not str: encode it first")
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError("SockJS messages are text: %s" % (error,))
        session = self.session
        if session is not None and not self._lost:
            session.send(text)
            if self.producer is not None and len(getattr(session, "queue", ())) >= QUEUE_HIGH_WATER:
                self._pause_producer("queue", True)

    def writeSequence(self, data):
        self.write(b"".join(data))

    def loseConnection(self):
        if self.session is not None and not self._lost:
            self.session.close()

    def abortConnection(self):
        self.loseConnection()

    def getPeer(self):
        """The TCP peer (for HTTP transports, of the request that opened the
        session); behind a proxy, ``handshake.client_ip`` is the client."""
        return self.handshake.peer

    def getHost(self):
        return self.host

    # -- IConsumer -------------------------------------------------------------

    def registerProducer(self, producer, streaming):
        if self.producer is not None:
            raise RuntimeError("a producer is already registered")
        self.producer = producer
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self):
        self.producer = None
        self._producer_paused_for.clear()

    # -- IPushProducer: the application pauses delivery of client messages ------

    def pauseProducing(self):
        if not self._paused:
            self._paused = True
            self._held = []

    def resumeProducing(self):
        if self._paused:
            self._paused = False
            held = self._held
            self._held = None
            if held:
                self.messages_received(held)

    def stopProducing(self):
        self.loseConnection()
