"""The server's cost of one xhr polling cycle, in process, over real loopback sockets.

    python benchmarks/xhr_hotpath.py client [--cycles 2000] [--clients 10] [--profile]
    python benchmarks/xhr_hotpath.py cycle  [--cycles 2000] [--clients 10] [--profile]

``client`` is the e2e scenario xhr-poll-10 (sockjs-client's way: a poll held
on one connection, xhr_send on another; the held poll is answered by the
other connection's read); ``cycle`` is xhr-cycle-10 (xhr_send then xhr on
one connection).  The server is the e2e one (``python -m txsockjs
conformance``'s site, /echo).  Server and clients share one reactor: the
clients are minimal Protocols that write precomputed requests and count
responses, so their cost is the same for two commits and what differs is
the server's code.  For instruction counts (repeatable on a shared machine),
run it under callgrind with two --cycles values and divide the difference of
the two totals (the ``summary:`` line of each output file) by the difference
of the cycles::

    valgrind --tool=callgrind --callgrind-out-file=cg.1000 python \
        benchmarks/xhr_hotpath.py client --cycles 1000      # and 3000 into cg.3000
"""

import argparse
import cProfile
import pstats
import sys
import time

from twisted.internet import reactor
from twisted.internet.protocol import ClientFactory, Protocol

from txsockjs.cli.main import build_parser, conformance_site


def request(port, sid, transport, body=b""):
    return (b"POST /echo/000/%s/%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n\r\n%s"
            % (sid, transport, port, len(body), body))


class Responses(Protocol):
    """Counts complete responses (every one here has a Content-Length)."""

    def connectionMade(self):
        self.buf = b""
        self.factory.connected(self)

    def dataReceived(self, data):
        buf = self.buf + data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            at = buf.find(b"Content-Length: ", 0, end)
            length = int(buf[at + 16:buf.index(b"\r\n", at)]) if at >= 0 else 0
            if len(buf) < end + 4 + length:
                break
            body = buf[end + 4:end + 4 + length]
            buf = buf[end + 4 + length:]
            self.factory.response(self, body)
        self.buf = buf


class Driver(ClientFactory):
    protocol = Responses

    def __init__(self, mode, port, clients, cycles):
        self.mode, self.port, self.cycles = mode, port, cycles
        self.clients = clients
        self.done = 0
        self.conns = []
        self.role = {}

    def connected(self, conn):
        self.conns.append(conn)
        if len(self.conns) == self.clients * (2 if self.mode == "client" else 1):
            for i in range(self.clients):
                sid = b"s%05d" % i
                if self.mode == "client":
                    poller, sender = self.conns[2 * i], self.conns[2 * i + 1]
                    poller.req = request(self.port, sid, b"xhr")
                    sender.req = request(self.port, sid, b"xhr_send", b'["m:xxxxxxxxxxxxxxx"]')
                    self.role[poller] = "open"
                    self.role[sender] = "send"
                    poller.partner = sender
                    poller.transport.write(poller.req)
                else:
                    c = self.conns[i]
                    c.poll = request(self.port, sid, b"xhr")
                    c.send = request(self.port, sid, b"xhr_send", b'["m:xxxxxxxxxxxxxxx"]')
                    self.role[c] = "open"
                    c.transport.write(c.poll)

    def response(self, conn, body):
        role = self.role[conn]
        if self.mode == "client":
            if role == "open":
                self.role[conn] = "poll"
                conn.transport.write(conn.req)
                conn.partner.transport.write(conn.partner.req)
            elif role == "poll":
                assert body.startswith(b"a["), body
                self._count()
                conn.transport.write(conn.req)
                conn.partner.transport.write(conn.partner.req)
            # (the sender's 204 needs nothing)
        else:
            if role == "open" or role == "poll":
                if role == "poll":
                    assert body.startswith(b"a["), body
                    self._count()
                self.role[conn] = "send"
                conn.transport.write(conn.send)
            else:
                self.role[conn] = "poll"
                conn.transport.write(conn.poll)

    def _count(self):
        self.done += 1
        if self.done == self.cycles:
            reactor.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("client", "cycle"))
    ap.add_argument("--cycles", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    # The e2e server's site (python -m txsockjs conformance): /echo among its services.
    site = conformance_site(build_parser().parse_args(
        ["conformance", "--streaming-limit", "131072"]))
    port = reactor.listenTCP(0, site, interface="127.0.0.1").getHost().port
    driver = Driver(args.mode, port, args.clients, args.cycles)
    for _ in range(args.clients * (2 if args.mode == "client" else 1)):
        reactor.connectTCP("127.0.0.1", port, driver)
    profiler = cProfile.Profile() if args.profile else None
    start = time.process_time()
    if profiler:
        profiler.enable()
    reactor.run()
    if profiler:
        profiler.disable()
    spent = time.process_time() - start
    print("%s: %d cycles, %.1f us CPU per cycle (server and clients)"
          % (args.mode, driver.done, spent / driver.done * 1e6), file=sys.stderr)
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(45)


if __name__ == "__main__":
    main()
