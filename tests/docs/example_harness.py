"""Run one documentation example as a program, safely: ``python example_harness.py FILE``.

The convention for server examples in README.rst and docs/: write them as a
user would (``reactor.listenTCP(8080, factory, interface="127.0.0.1")`` and
``reactor.run()``).  This harness

* makes every ``listenTCP`` take a free port (port 0) instead of the one
  written, and refuses one that is not on 127.0.0.1 (docs must not teach
  listening on every interface);
* once the reactor runs, sends one HTTP request (``GET /``) to each port
  the example opened, checks that an HTTP response comes back, and stops the
  reactor; the example's ``reactor.run()`` then returns and the program ends.

An example that never calls ``reactor.run()`` simply runs.  Exit status 0
means the example ran and every port it opened answered.
"""

import re
import runpy
import sys

from twisted.internet import reactor
from twisted.internet.protocol import ClientFactory, Protocol

DEADLINE = 20.0  # seconds for all the requests together
STATUS_LINE = re.compile(rb"HTTP/1\.[01] [1-5][0-9][0-9] [^\r\n]*\r\n")

ports = []
failures = []
pending = []


def listen_tcp_on_a_free_port(original):
    def listenTCP(port, factory, backlog=50, interface=""):
        if interface != "127.0.0.1":
            failures.append("listenTCP(%r, ...) listens on interface %r, not 127.0.0.1"
                            % (port, interface))
        listening = original(0, factory, backlog=backlog, interface="127.0.0.1")
        ports.append((port, listening.getHost().port))
        return listening
    return listenTCP


class OneRequest(Protocol):
    def connectionMade(self):
        self.received = b""
        self.transport.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")

    def dataReceived(self, data):
        self.received += data
        if b"\r\n" in self.received:
            self.transport.loseConnection()

    def connectionLost(self, reason):
        self.factory.answered(self.received)


class OneRequestFactory(ClientFactory):
    protocol = OneRequest

    def __init__(self, written_port):
        self.written_port = written_port

    def answered(self, received):
        if not STATUS_LINE.match(received):
            failures.append("port %d (written %d) answered %r, not an HTTP response"
                            % (self.port, self.written_port, received[:80]))
        else:
            print("example port %d: %s" % (self.written_port, received.split(b"\r\n")[0].decode()))
        self.done()

    def clientConnectionFailed(self, connector, reason):
        failures.append("port %d: %s" % (self.written_port, reason.getErrorMessage()))
        self.done()

    def done(self):
        pending.remove(self)
        if not pending and reactor.running:
            reactor.stop()


def request_every_port():
    if not ports:
        failures.append("reactor.run() with no listening port: nothing would stop it")
    for written, actual in ports:
        factory = OneRequestFactory(written)
        factory.port = actual
        pending.append(factory)
        reactor.connectTCP("127.0.0.1", actual, factory)
    if not pending:
        reactor.stop()


def give_up():
    failures.append("no answer within %d seconds" % DEADLINE)
    reactor.stop()


def main(path):
    reactor.listenTCP = listen_tcp_on_a_free_port(reactor.listenTCP)
    reactor.callWhenRunning(request_every_port)
    timeout = reactor.callLater(DEADLINE, give_up)
    runpy.run_path(path, run_name="__main__")
    if timeout.active():
        timeout.cancel()
    for failure in failures:
        print("example failed:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
