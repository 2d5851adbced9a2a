"""Applications the front-door tests serve, importable by dotted name
(``tests.integration.apps.echo_factory``) from a subprocess whose PYTHONPATH
is the checkout.

``python -m tests.integration.apps ENDPOINT...`` listens on each server
endpoint string (``sockjs:tcp\\:0\\:interface\\=127.0.0.1``...) with an echo
factory and prints ``listening on http://127.0.0.1:PORT/`` for each.
"""

import sys

from twisted.internet.protocol import Factory, Protocol


class Echo(Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Greeter(Protocol):
    """Says hello, then echoes upper-cased; ``bye`` closes the session."""

    def connectionMade(self):
        self.transport.write(b"hello")

    def dataReceived(self, data):
        if data == b"bye":
            self.transport.loseConnection()
        else:
            self.transport.write(data.upper())


echo_factory = Factory.forProtocol(Echo)


def make_greeter_factory():
    return Factory.forProtocol(Greeter)


def main(descriptions):
    from twisted.internet import reactor
    from twisted.internet.endpoints import serverFromString

    def listening(port):
        address = port.getHost()
        sys.stdout.write("listening on http://%s:%d/\n" % (address.host, address.port))
        sys.stdout.flush()

    for description in descriptions:
        serverFromString(reactor, description).listen(echo_factory).addCallback(listening)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])


# -- multiplexed channels (tests/integration/test_multiplex.py) ----------------------

LOST = {}  # channel protocol id -> how many times connectionLost was called
_ids = iter(range(1, 1 << 30))


class Channel(Protocol):
    """Echoes; ``id?`` answers its id, ``close`` closes the channel from the
    server, ``pause`` holds its incoming messages for 0.3 s, ``lost?`` answers
    the connectionLost counts of every channel so far (JSON)."""

    def connectionMade(self):
        self.id = next(_ids)
        LOST[self.id] = 0

    def dataReceived(self, data):
        import json
        from twisted.internet import reactor
        if data == b"id?":
            self.transport.write(b"id:%d" % self.id)
        elif data == b"close":
            self.transport.loseConnection()
        elif data == b"pause":
            self.transport.pauseProducing()
            reactor.callLater(0.3, self.transport.resumeProducing)
        elif data == b"lost?":
            self.transport.write(json.dumps(LOST).encode("ascii"))
        else:
            self.transport.write(data)

    def connectionLost(self, reason):
        LOST[self.id] += 1


class Refusing(Factory):
    def buildProtocol(self, addr):
        return None


def _authorize(handshake, name):
    from twisted.internet import reactor
    from twisted.internet.task import deferLater
    # asynchronous, as a real check against a store would be
    return deferLater(reactor, 0.01, lambda: name != "secret")


def make_multiplex_factory():
    from txsockjs.multiplex import MultiplexFactory
    channel = Factory.forProtocol(Channel)
    return MultiplexFactory({"a": channel, "b": channel, "c": channel, "d": channel,
                             "secret": channel, "none": Refusing()},
                            max_channels=3, authorize=_authorize)
