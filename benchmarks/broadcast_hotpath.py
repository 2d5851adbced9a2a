"""The server's cost of one broadcast delivery, in process, over real loopback sockets.

    python benchmarks/broadcast_hotpath.py [--members 1000] [--broadcasts 200] [--window 1]

One process runs the ``broadcast`` service of ``python -m txsockjs conformance`` on the
reactor and ``--members`` plain websocket clients (non-blocking sockets, no Twisted).
Client 0 sends ``--window`` messages, the reactor turns until every member was written
to, again ``--broadcasts`` times.  The clients never read: each member's socket buffer
takes every frame (keep members x broadcasts x ~30 bytes under the kernel's buffers), so
what runs is the server's work alone (and the one send of client 0).  It prints the CPU
time per delivery; for instruction counts that a shared machine does not disturb, run it
under callgrind twice with different ``--broadcasts`` and take the difference:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p python benchmarks/broadcast_hotpath.py --broadcasts 20
    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p python benchmarks/broadcast_hotpath.py --broadcasts 120

(instructions per delivery = difference / (100 x members x window)).  ``--floor`` serves
with the bare-Twisted floor of the e2e benchmark (servers/twisted_floor.py) instead.  ``--profile``
prints cProfile's view of the measured part instead.
"""

import argparse
import base64
import os
import socket
import struct
import sys
import time

from twisted.internet import reactor

from txsockjs.cli.main import build_parser, conformance_site

KEY = base64.b64encode(b"0123456789abcdef").decode("ascii")


def handshake(port: int, number: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port))
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.sendall((
        "GET /broadcast/000/member%d/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n" % (number, KEY)).encode("ascii"))
    client.setblocking(False)
    return client


def masked_text(payload: bytes) -> bytes:
    # (a client's frame: masked, with the zero mask, so the payload goes as it is)
    assert len(payload) < 126
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + b"\0\0\0\0" + payload


def received(client: socket.socket) -> int:
    try:
        return len(client.recv(1 << 16))
    except BlockingIOError:
        return 0


def counting(protocol_class, reads):
    """``protocol_class`` counting the reads of its application in ``reads[0]``."""

    class Counting(protocol_class):
        def dataReceived(self, data):
            protocol_class.dataReceived(self, data)
            reads[0] += 1
    return Counting


def turn_until(done) -> None:
    while not done():
        reactor.iterate(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--broadcasts", type=int, default=200)
    parser.add_argument("--window", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--floor", action="store_true",
                        help="serve with benchmarks/e2e/servers/twisted_floor.py instead")
    args = parser.parse_args()
    reads = [0]  # the messages the server's application has read
    if args.floor:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e", "servers"))
        from twisted.internet.protocol import Factory
        from twisted_floor import FloorEcho
        site = Factory.forProtocol(counting(FloorEcho, reads))
    else:
        site = conformance_site(build_parser().parse_args(["conformance"]))
        app = site.services["broadcast"].factory
        app.protocol = counting(app.protocol, reads)
    port = reactor.listenTCP(0, site, backlog=1024, interface="127.0.0.1").getHost().port
    clients = []
    for number in range(args.members):
        client = handshake(port, number)
        clients.append(client)
        # 101 head and the "o" frame
        turn_until(lambda client=client: received(client) > 0)
    # every member's session is open once a broadcast reaches the last one
    sender = clients[0]
    last = clients[-1]
    sender.send(masked_text(b'["warm"]'))
    turn_until(lambda: received(last) > 0)
    for client in clients:
        while received(client):
            pass
    frame = masked_text(b'["xxxxxxxxxxxxxxxxxxxx"]') * args.window
    deliveries = args.members * args.window * args.broadcasts

    def measured() -> None:
        # Turns that wait in epoll for the read, then one turn for what the read left
        # to the end of its turn: the same reactor work each round, however busy the
        # machine (a loop polling the clients' sockets would not be).
        for _ in range(args.broadcasts):
            before = reads[0]
            sender.send(frame)
            while reads[0] == before:
                reactor.iterate(1.0)
            reactor.iterate(0)

    start = time.process_time()
    if args.profile:
        import cProfile
        import pstats
        profile = cProfile.Profile()
        profile.runcall(measured)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    else:
        measured()
    spent = time.process_time() - start
    print("%d members, %d broadcasts of %d: %.0f ns CPU a delivery (%.3f s, server and clients)"
          % (args.members, args.broadcasts, args.window, spent / deliveries * 1e9, spent),
          file=sys.stderr)
    for client in clients:
        client.close()


if __name__ == "__main__":
    main()
