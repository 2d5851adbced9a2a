"""The small applications the command line serves: echo, close, broadcast.

In a module of their own so that ``txsockjs.demo`` and ``txsockjs.__main__``
both use them without importing each other (which made ``python -m txsockjs
demo`` load ``__main__`` twice).
"""

from typing import Any, Dict

from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.python.failure import Failure

from txsockjs.utils import broadcast

__all__ = ["EchoProtocol", "BinaryEchoProtocol", "CloseProtocol", "BroadcastProtocol",
           "BroadcastFactory"]


class EchoProtocol(Protocol):
    # (an ITransport, a zope interface: its methods are not callable to mypy)
    transport: Any

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class BinaryEchoProtocol(EchoProtocol):
    """Echoes text, and on the raw ``/websocket`` binary messages too."""

    def binaryMessageReceived(self, data: bytes) -> None:
        self.transport.writeBinary(data)


class CloseProtocol(Protocol):
    transport: Any

    def connectionMade(self) -> None:
        self.transport.loseConnection()


class BroadcastProtocol(Protocol):
    """Each message goes to every connected session of the service."""

    # The BroadcastFactory (declared Any: Factory.protocol's type wants the
    # attribute as wide as Twisted declares it).
    factory: Any

    def connectionMade(self) -> None:
        self.factory.members[self] = self.transport

    def dataReceived(self, data: bytes) -> None:
        # (the transports kept beside their members: nothing to build per message)
        broadcast(data, self.factory.members.values())

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.factory.members.pop(self, None)


class BroadcastFactory(Factory):
    protocol = BroadcastProtocol

    def __init__(self) -> None:
        # member -> its transport, in joining order
        self.members: Dict[BroadcastProtocol, Any] = {}
