"""Broadcast across a cluster: deliveries per server CPU-second, and where the CPU goes.

    .venv/bin/python benchmarks/cluster_broadcast.py [--messages 200] [--per-node 1000]
        [--repeat 3] [--configs 1,3,3-haproxy] [--baseline-repo DIR]

Not part of the test suite (no test_ prefix).  Each run has its own redis-server and chat
nodes (deploy/chat_node.py, RedisBroker), each node holding ``--per-node`` SockJS websocket
sessions, all subscribed to "chat"; one more session on node 1 publishes.  Configurations:
``1`` (one node), ``3`` (three nodes, clients connect to each directly) and ``3-haproxy``
(the same behind HAProxy configured from deploy/, routed by /nodeK/ prefixes).

Two phases per run:

burst   the publisher sends M messages at once; it ends when every session got every one.
        Printed: deliveries (sessions x M) per second of wall time and per *server
        CPU-second* (all nodes plus Redis, from the scheduler's nanosecond counts in /proc:
        the figure that does not depend on how busy the shared machine is; HAProxy's CPU is
        printed on its own), and the CPU per delivery of the publishing node (node 1) and
        of a receiving node (the mean of the others): a receiving node pays for what Redis
        hands it, node 1 for the publish.
paced   ``--paced`` messages, one every ``--interval`` ms, each carrying its send time:
        the p50 and p99 delivery latency over every (session, message) of ``--samples``
        sessions per node, opened by a separate light process (``--sampler``) that reads
        nothing but those, i.e. what batching adds when the load leaves the nodes idle
        between messages.  (Measured in the process that reads a thousand sessions, the
        latency was that process's own lag.)

With ``--baseline-repo DIR`` (a checkout of another commit, with built kernels) every
configuration is run for both, interleaved, and the ratios this/baseline printed: compare
within one run, since other work on the machine moves absolute figures.  Clients all run in
this one process (epoll); on a 2-core machine the three-node wall time is bound by the
machine, which is why the per-CPU figures are the ones to compare.
"""

import argparse
import base64
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

from tests.cluster.servers import ChatNode, Proxy, RedisServer  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAYLOAD = "x" * 24
CONFIGS = {"1": (1, None), "3": (3, None), "3-haproxy": (3, "haproxy")}


def cpu_seconds(pid):
    """CPU time of every thread of ``pid``, in seconds: the scheduler's own nanosecond count
    (/proc/PID/task/*/schedstat), since utime+stime in clock ticks (10 ms) is too coarse for
    a burst that costs a node a few tens of milliseconds; ticks where schedstat is missing."""
    total, found = 0, False
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        tasks = []
    for task in tasks:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, task)) as schedstat:
                total += int(schedstat.read().split()[0])
                found = True
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended between the listing and the read
    if found:
        return total / 1e9
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Client(object):
    """One SockJS websocket session, counting the messages of its a[...] frames; with
    ``latencies`` set (a sampler's session) it reads each paced message's send time."""

    __slots__ = ("sock", "buffer", "received", "opened", "latencies")

    def __init__(self, port, path, session_id):
        self.sock = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s/000/%s/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % (path, session_id, key)).encode())
        self.buffer = b""
        self.received = 0
        self.opened = False
        self.latencies = None

    def feed(self, data, now):
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
                if self.latencies is None or b'"t' not in payload:
                    self.received += payload.count(b'","') + 1
                else:
                    for text in json.loads(payload[1:]):
                        self.received += 1
                        if text[:1] == "t":
                            self.latencies.append(now - float(text[1:]))
            offset += head + length
        self.buffer = buffer[offset:]


def mask(payload):
    key = os.urandom(4)
    data = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    if len(payload) < 126:
        return bytes([0x81, 0x80 | len(payload)]) + key + data
    return bytes([0x81, 0x80 | 126]) + len(payload).to_bytes(2, "big") + key + data


def pump(selector, timeout):
    for key, _ in selector.select(timeout):
        client = key.data
        try:
            data = client.sock.recv(262144)
        except BlockingIOError:
            continue
        if data:
            client.feed(data, time.monotonic())


def wait_for(selector, everyone, expected, seconds, what):
    deadline = time.monotonic() + seconds
    while any(c.received < expected for c in everyone):
        pump(selector, 0.5)
        if time.monotonic() > deadline:
            raise SystemExit("%s timed out: %d of %d clients complete"
                             % (what, sum(c.received >= expected for c in everyone), len(everyone)))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(repo, nodes_count, proxy_kind, per_node, messages, paced, interval, samples,
        directory):
    """One run: a dict of figures (see the module docstring)."""
    for kind in (RedisServer, ChatNode, Proxy):
        kind.repo = repo
    redis = RedisServer(directory).start()
    nodes, proxy = [], None
    selector = selectors.DefaultSelector()
    clients = []
    try:
        nodes = [ChatNode(directory, "node%d" % n, redis.url, 30.0).start()
                 for n in range(1, nodes_count + 1)]
        if proxy_kind:
            proxy = Proxy(proxy_kind, directory, [node.port for node in nodes]).start()

        def connect(node_number, session_id):
            if proxy is None:
                client = Client(nodes[node_number - 1].port, "/chat", session_id)
            else:
                client = Client(proxy.port, "/node%d/chat" % node_number, session_id)
            client.sock.setblocking(False)
            selector.register(client.sock, selectors.EVENT_READ, client)
            return client

        for number in range(1, nodes_count + 1):
            clients += [connect(number, "node%d-%d" % (number, n)) for n in range(per_node)]
        publisher = connect(1, "publisher")
        everyone = clients + [publisher]
        deadline = time.monotonic() + 120
        while not all(c.opened for c in everyone):
            pump(selector, 0.1)
            if time.monotonic() > deadline:
                raise SystemExit("sessions did not open")
        # the subscriptions reach Redis: wait for presence to count everyone
        time.sleep(1.0)
        pids = {"node%d" % n: node.proc.pid for n, node in enumerate(nodes, 1)}
        pids["redis"] = redis.proc.pid
        if proxy is not None:
            pids["proxy"] = proxy.proc.pid
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        start = time.monotonic()
        frames = b"".join(mask(('["%s"]' % PAYLOAD).encode()) for _ in range(messages))
        publisher.sock.setblocking(True)
        publisher.sock.sendall(frames)
        publisher.sock.setblocking(False)
        wait_for(selector, everyone, messages, 300, "the burst")
        wall = time.monotonic() - start
        cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}

        # the latency: a few sessions per node in a process of their own
        targets = [("%d" % (proxy.port if proxy else node.port),
                    "/node%d/chat" % n if proxy else "/chat") for n, node in enumerate(nodes, 1)]
        sampler = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--sampler", str(samples), str(paced)]
            + ["%s:%s" % target for target in targets], stdout=subprocess.PIPE, text=True)
        try:
            if sampler.stdout.readline().strip() != "ready":
                raise SystemExit("the latency sampler did not start")
            time.sleep(1.0)  # its subscriptions reach Redis
            for n in range(paced):
                sent = time.monotonic()
                publisher.sock.sendall(mask(('["t%.6f"]' % sent).encode()))
                while time.monotonic() < sent + interval:
                    pump(selector, max(0.0, sent + interval - time.monotonic()))
            wait_for(selector, everyone, messages + paced, 60, "the paced phase")
            latencies = json.loads(sampler.communicate(timeout=60)[0])
        finally:
            if sampler.poll() is None:
                sampler.kill()
                sampler.wait()

        server_cpu = sum(seconds for name, seconds in cpu.items() if name != "proxy")
        figures = {
            "delivered": len(everyone) * messages,
            "wall": wall,
            "cpu": cpu,
            "per_server_cpu_s": len(everyone) * messages / server_cpu,
            "publishing_us": cpu["node1"] / ((per_node + 1) * messages) * 1e6,
        }
        if nodes_count > 1:
            figures["receiving_us"] = statistics.mean(
                cpu["node%d" % n] for n in range(2, nodes_count + 1)) / (per_node * messages) * 1e6
        if latencies:
            figures["p50_ms"] = percentile(latencies, 0.50) * 1e3
            figures["p99_ms"] = percentile(latencies, 0.99) * 1e3
        return figures
    finally:
        for client in clients:
            client.sock.close()
        if proxy is not None:
            proxy.stop()
        for node in nodes:
            node.stop()
        redis.stop()


def report(label, runs):
    """Print the medians over ``runs`` (figure dicts) of one configuration and checkout."""
    def median(key):
        values = [r[key] for r in runs if key in r]
        return statistics.median(values) if values else None
    cpu_names = sorted(runs[0]["cpu"])
    print("%s: %d deliveries, %d run(s), medians" % (label, runs[0]["delivered"], len(runs)))
    print("    %.0f deliveries/s wall, %.0f per server CPU-second (nodes + Redis)"
          % (runs[0]["delivered"] / median("wall"), median("per_server_cpu_s")))
    line = "    CPU per delivery: publishing node %.2f us" % median("publishing_us")
    if median("receiving_us") is not None:
        line += ", receiving node %.2f us (%.2fx)" % (
            median("receiving_us"), median("receiving_us") / median("publishing_us"))
    print(line)
    if median("p99_ms") is not None:
        print("    paced delivery latency p50 %.2f ms, p99 %.2f ms" % (median("p50_ms"), median("p99_ms")))
    print("    cpu s: " + ", ".join("%s %.2f" % (name, statistics.median(r["cpu"][name] for r in runs))
                                  for name in cpu_names))
    return {key: median(key) for key in ("per_server_cpu_s", "publishing_us", "receiving_us", "p99_ms")}


def sampler(samples, paced, targets):
    """The latency process: ``samples`` sessions on each ``port:path`` target; prints
    "ready" once they are open, then, when each has read ``paced`` timed messages, the
    latencies (seconds, JSON).  Same clock as the publisher (CLOCK_MONOTONIC is
    system-wide)."""
    selector = selectors.DefaultSelector()
    clients = []
    for number, target in enumerate(targets):
        port, path = target.split(":", 1)
        for n in range(samples):
            client = Client(int(port), path, "sampler%d-%d" % (number, n))
            client.latencies = []
            client.sock.setblocking(False)
            selector.register(client.sock, selectors.EVENT_READ, client)
            clients.append(client)
    deadline = time.monotonic() + 60
    while not all(c.opened for c in clients) and time.monotonic() < deadline:
        pump(selector, 0.1)
    print("ready", flush=True)
    deadline = time.monotonic() + 300
    while any(len(c.latencies) < paced for c in clients) and time.monotonic() < deadline:
        pump(selector, 0.5)
    print(json.dumps([x for c in clients for x in c.latencies]), flush=True)


def main():
    if sys.argv[1:2] == ["--sampler"]:
        return sampler(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--per-node", type=int, default=1000)
    parser.add_argument("--paced", type=int, default=50, help="messages in the latency phase")
    parser.add_argument("--interval", type=float, default=20.0, help="ms between paced messages")
    parser.add_argument("--samples", type=int, default=3,
                        help="sessions per node that measure the latency (in their own process)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--configs", default="1,3,3-haproxy")
    parser.add_argument("--baseline-repo", default=None,
                        help="another checkout (kernels built) to run beside this one")
    args = parser.parse_args()
    repos = [("this", REPO)]
    if args.baseline_repo:
        repos.append(("baseline", os.path.abspath(args.baseline_repo)))
    configs = args.configs.split(",")
    results = {}
    for round_number in range(args.repeat):
        for config in configs:
            nodes_count, proxy_kind = CONFIGS[config]
            # rotate which checkout goes first, so neither always meets a warmer machine
            order = repos[round_number % len(repos):] + repos[:round_number % len(repos)]
            for name, repo in order:
                with tempfile.TemporaryDirectory(prefix="txsockjs-bench-") as directory:
                    figures = run(repo, nodes_count, proxy_kind, args.per_node, args.messages,
                                  args.paced, args.interval / 1e3, args.samples, directory)
                results.setdefault((config, name), []).append(figures)
                sys.stderr.write("round %d %s %s: %.0f per server CPU-second\n"
                                 % (round_number + 1, config, name, figures["per_server_cpu_s"]))
    medians = {}
    for config in configs:
        for name, _ in repos:
            label = "%s node(s)%s [%s]" % (CONFIGS[config][0], ", HAProxy" if CONFIGS[config][1]
                                           else "", name)
            medians[config, name] = report(label, results[config, name])
    one = medians.get(("1", "this"))
    for config in configs:
        mine = medians[config, "this"]
        if one and config != "1":
            print("%s vs 1 node, per server CPU-second: %.2fx" % (
                config, mine["per_server_cpu_s"] / one["per_server_cpu_s"]))
        if args.baseline_repo:
            base = medians[config, "baseline"]
            print("%s this/baseline: per server CPU-second %.2fx, p99 latency %.2f vs %.2f ms" % (
                config, mine["per_server_cpu_s"] / base["per_server_cpu_s"], mine["p99_ms"],
                base["p99_ms"]))


if __name__ == "__main__":
    main()
