#!/usr/bin/env python3
"""What a client that stops reading costs the server, in memory.

    python benchmarks/slow_reader.py              # every transport, 50 MiB asked for
    python benchmarks/slow_reader.py --mib 200 --policy drop_oldest

For each transport a fresh server (this file, run with --serve) holds one
service whose application, asked "N", writes N MiB in 1 KiB messages:
``--app greedy`` (the default, the hard case) writes them all at once,
ignoring flow control; ``--app producer`` registers as a producer and writes
as fast as it is let (as a streaming application should).  The client asks for --mib MiB and never reads (a
64 KiB receive buffer), then goes away.  Reported: the server's resident
memory before, at the peak while the client is stuck, and one second after
it left (glibc may keep freed pages; the figure that matters is the peak
growth against the send_buffer_limit).  This is a benchmark: nothing here
asserts anything.
"""

import argparse
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

TRANSPORTS = ["raw_websocket", "websocket", "xhr_streaming", "eventsource"]


# -- the server ------------------------------------------------------------------------

def serve(policy, limit, greedy):
    from twisted.internet import reactor
    from twisted.internet.interfaces import IPushProducer
    from twisted.internet.protocol import Factory, Protocol
    from zope.interface import implementer

    from txsockjs.factory import SockJSFactory

    @implementer(IPushProducer)
    class Flood(Protocol):
        left = 0
        paused = False

        def dataReceived(self, data):
            self.left = int(data) * 1024
            if greedy:
                chunk = b"x" * 1024
                for _ in range(self.left):
                    self.transport.write(chunk)
                return
            self.transport.registerProducer(self, True)
            self.pump()

        def pump(self):
            chunk = b"x" * 1024
            while self.left > 0 and not self.paused and self.transport is not None:
                self.transport.write(chunk)
                self.left -= 1
                if self.left % 256 == 0:
                    # let the reactor breathe, as a real producer would
                    reactor.callLater(0, self.pump)
                    return

        def pauseProducing(self):
            self.paused = True

        def resumeProducing(self):
            self.paused = False
            reactor.callLater(0, self.pump)

        def stopProducing(self):
            self.left = 0

        def connectionLost(self, reason):
            self.left = 0
            sys.stdout.write("LOST %s\n" % reason.type.__name__)
            sys.stdout.flush()

    factory = SockJSFactory(Factory.forProtocol(Flood), {
        "send_buffer_limit": limit, "send_overflow": policy, "streaming_limit": 1 << 30})
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    sys.stdout.write("PORT %d\n" % port.getHost().port)
    sys.stdout.flush()
    reactor.run()


# -- the client ------------------------------------------------------------------------

def rss(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def mask_frame(payload):
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def open_stuck_client(port, transport, mib):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.connect(("127.0.0.1", port))
    upgrade = ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
    ask = str(mib).encode()
    if transport == "raw_websocket":
        sock.sendall(("GET /websocket HTTP/1.1\r\nHost: x\r\n%s\r\n" % upgrade).encode())
        time.sleep(0.2)
        sock.sendall(mask_frame(ask))
    elif transport == "websocket":
        sock.sendall(("GET /0/s1/websocket HTTP/1.1\r\nHost: x\r\n%s\r\n" % upgrade).encode())
        time.sleep(0.2)
        sock.sendall(mask_frame(b'["' + ask + b'"]'))
    else:
        method = "GET" if transport == "eventsource" else "POST"
        sock.sendall(("%s /0/s1/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                      % (method, transport)).encode())
        time.sleep(0.2)
        sender = socket.create_connection(("127.0.0.1", port))
        body = b'["' + ask + b'"]'
        sender.sendall(b"POST /0/s1/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                       % (len(body), body))
        sender.recv(1024)
        sender.close()
    return sock


def measure(transport, mib, policy, limit, app):
    proc = subprocess.Popen([sys.executable, __file__, "--serve", "--policy", policy,
                             "--limit", str(limit), "--app", app], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().split()[1])
        time.sleep(0.3)
        before = rss(proc.pid)
        client = open_stuck_client(port, transport, mib)
        peak = before
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            peak = max(peak, rss(proc.pid))
            time.sleep(0.05)
        client.close()
        time.sleep(1)
        after = rss(proc.pid)
        return before, peak, after
    finally:
        proc.terminate()
        proc.wait(5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--policy", default="close", choices=("close", "drop_oldest", "drop_newest"))
    parser.add_argument("--limit", type=int, default=1 << 20)
    parser.add_argument("--mib", type=int, default=50)
    parser.add_argument("--app", default="greedy", choices=("greedy", "producer"))
    parser.add_argument("--transports", default=",".join(TRANSPORTS))
    args = parser.parse_args()
    if args.serve:
        return serve(args.policy, args.limit, args.app == "greedy")
    print("slow reader asking a %s app for %d MiB, send_buffer_limit %d KiB, send_overflow %s"
          % (args.app, args.mib, args.limit >> 10, args.policy))
    print("%-15s %10s %10s %10s %12s" % ("transport", "before", "peak", "after", "peak growth"))
    for transport in args.transports.split(","):
        before, peak, after = measure(transport, args.mib, args.policy, args.limit, args.app)
        print("%-15s %8.1f M %8.1f M %8.1f M %10.1f M" % (
            transport, before / 2.0 ** 20, peak / 2.0 ** 20, after / 2.0 ** 20,
            (peak - before) / 2.0 ** 20))


if __name__ == "__main__":
    main()
