"""An echo service over TLS, as a user would set it up: listenSSL, nothing else."""

import sys

from twisted.internet import reactor, ssl
from twisted.internet.protocol import Factory, Protocol

from txsockjs.factory import SockJSFactory


class Echo(Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


def main(cert, key):
    context = ssl.DefaultOpenSSLContextFactory(key, cert)
    port = reactor.listenSSL(0, SockJSFactory(Factory.forProtocol(Echo)), context,
                             interface="127.0.0.1")
    sys.stdout.write("listening on https://127.0.0.1:%d/\n" % port.getHost().port)
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
