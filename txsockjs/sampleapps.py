"""The small applications the command line serves: echo, close, broadcast.

In a module of their own so that ``txsockjs.demo`` and ``txsockjs.__main__``
both use them without importing each other (which made ``python -m txsockjs
demo`` load ``__main__`` twice).
"""

from twisted.internet.protocol import Factory, Protocol

from txsockjs.utils import broadcast

__all__ = ["EchoProtocol", "CloseProtocol", "BroadcastProtocol", "BroadcastFactory"]


class EchoProtocol(Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class CloseProtocol(Protocol):
    def connectionMade(self):
        self.transport.loseConnection()


class BroadcastProtocol(Protocol):
    """Each message goes to every connected session of the service."""

    def connectionMade(self):
        self.factory.members.add(self)

    def dataReceived(self, data):
        broadcast(data, [member.transport for member in self.factory.members])

    def connectionLost(self, reason):
        self.factory.members.discard(self)


class BroadcastFactory(Factory):
    protocol = BroadcastProtocol

    def __init__(self):
        self.members = set()
