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
