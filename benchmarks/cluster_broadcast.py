"""Broadcast across a cluster: delivered messages per second, and where the CPU goes.

    .venv/bin/python benchmarks/cluster_broadcast.py [--messages 200] [--per-node 1000]

Not part of the test suite (no test_ prefix).  Two runs on this machine, each with its own
redis-server: one chat node (deploy/chat_node.py, RedisBroker) holding 1000 SockJS websocket
sessions, then three nodes holding 1000 each.  Every session is subscribed to "chat"; one
more session on node 1 publishes M messages in a burst; each run ends when every session
got every message.  Clients connect to the nodes directly (no proxy: this measures the
broker and the broadcast path, not HAProxy), all from this one process (epoll, a small
frame parser that counts messages in ``a[...]`` frames).

Printed per run: delivered messages per second (sessions x M / wall time from the first
publish to the last delivery) and the CPU seconds each process spent in that window (from
/proc), i.e. where the time goes.  On a 2-core machine three nodes, Redis and the client
share two cores, so the three-node figure is CPU-bound by the machine, not by a node.
"""

import argparse
import base64
import os
import selectors
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

from tests.cluster.servers import ChatNode, RedisServer  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAYLOAD = "x" * 24


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Client(object):
    """One SockJS websocket session, counting the messages of its a[...] frames."""

    __slots__ = ("sock", "buffer", "received", "opened")

    def __init__(self, port, session_id):
        self.sock = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /chat/000/%s/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % (session_id, key)).encode())
        self.buffer = b""
        self.received = 0
        self.opened = False

    def feed(self, data):
        buffer = self.buffer + data
        if not self.opened:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            buffer = buffer[end + 4:]
            self.opened = True
        offset = 0
        while len(buffer) - offset >= 2:
            length = buffer[offset + 1] & 0x7f
            head = 2
            if length == 126:
                if len(buffer) - offset < 4:
                    break
                length = int.from_bytes(buffer[offset + 2:offset + 4], "big")
                head = 4
            elif length == 127:
                if len(buffer) - offset < 10:
                    break
                length = int.from_bytes(buffer[offset + 2:offset + 10], "big")
                head = 10
            if len(buffer) - offset < head + length:
                break
            payload = buffer[offset + head:offset + head + length]
            if payload[:1] == b"a":
                self.received += payload.count(b'","') + 1
            offset += head + length
        self.buffer = buffer[offset:]


def mask(payload):
    key = os.urandom(4)
    data = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + key + data


def pump(selector, timeout):
    for key, _ in selector.select(timeout):
        client = key.data
        try:
            data = client.sock.recv(262144)
        except BlockingIOError:
            continue
        if data:
            client.feed(data)


def run(nodes_count, per_node, messages, directory):
    redis = RedisServer(directory).start()
    nodes = [ChatNode(directory, "node%d" % n, redis.url, 30.0).start() for n in range(1, nodes_count + 1)]
    selector = selectors.DefaultSelector()
    clients = []
    try:
        for node in nodes:
            for n in range(per_node):
                client = Client(node.port, "%s-%d" % (node.name, n))
                client.sock.setblocking(False)
                selector.register(client.sock, selectors.EVENT_READ, client)
                clients.append(client)
        publisher = Client(nodes[0].port, "publisher")
        publisher.sock.setblocking(False)
        selector.register(publisher.sock, selectors.EVENT_READ, publisher)
        deadline = time.monotonic() + 60
        while not all(c.opened for c in clients + [publisher]):
            pump(selector, 0.1)
            if time.monotonic() > deadline:
                raise SystemExit("sessions did not open")
        # the subscriptions reach Redis: wait for presence to count everyone
        time.sleep(1.0)
        pids = {"node%d" % n: node.proc.pid for n, node in enumerate(nodes, 1)}
        pids["redis"] = redis.proc.pid
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        client_before = time.process_time()
        start = time.monotonic()
        frames = b"".join(mask(('["%s"]' % PAYLOAD).encode()) for _ in range(messages))
        publisher.sock.setblocking(True)
        publisher.sock.sendall(frames)
        publisher.sock.setblocking(False)
        expected = messages
        deadline = start + 300
        everyone = clients + [publisher]
        while any(c.received < expected for c in everyone):
            pump(selector, 0.5)
            if time.monotonic() > deadline:
                raise SystemExit("timed out: %d of %d clients complete"
                                 % (sum(c.received >= expected for c in everyone), len(everyone)))
        wall = time.monotonic() - start
        cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        cpu["client (this process)"] = time.process_time() - client_before
        delivered = len(everyone) * messages
        return delivered, wall, cpu
    finally:
        for client in clients:
            client.sock.close()
        for node in nodes:
            node.stop()
        redis.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--per-node", type=int, default=1000)
    args = parser.parse_args()
    for nodes_count in (1, 3):
        with tempfile.TemporaryDirectory(prefix="txsockjs-bench-") as directory:
            delivered, wall, cpu = run(nodes_count, args.per_node, args.messages, directory)
        print("%d node(s), %d sessions, %d messages: %d delivered in %.2f s = %.0f msg/s"
              % (nodes_count, nodes_count * args.per_node + 1, args.messages, delivered, wall,
                 delivered / wall))
        for name, seconds in sorted(cpu.items()):
            print("    cpu %-22s %6.2f s" % (name, seconds))


if __name__ == "__main__":
    main()
