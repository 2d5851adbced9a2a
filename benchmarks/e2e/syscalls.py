#!/usr/bin/env python3
"""Count the system calls a server makes per message under one e2e scenario.

    python benchmarks/e2e/syscalls.py echo-c1-20B txsockjs sockjs-node twisted-floor

Starts each server on core 0 and the load generator on core 1 (as run.py
does), attaches ``strace -c -f`` to the server for --seconds while the load
runs (a run and one twice as long: the difference is the messages' own
cost), and prints each server's calls per message, by system call.  strace
slows every call down, so the rates here are not the servers' speeds: only
the counts mean something.  It shows what a message costs the kernel: the
servers that make the same calls per message pay the same kernel time, and
what is left between them is user space.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402

# Calls that are not the server's work per message: node's idle worker
# threads sit in futex waits for the whole run.
IDLE_CALLS = {"futex"}


def parse_strace(path):
    """{syscall: calls} from ``strace -c`` output."""
    calls = {}
    for line in open(path):
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            # % time, seconds, usecs/call, calls, [errors,] syscall
            calls[fields[-1]] = int(fields[3])
    return calls


def count(exe, specs, name, scenario, seconds, cache):
    """({syscall: calls}, messages) of server ``name`` under ``scenario``."""
    mode, largs, _, _ = run.SCENARIOS[scenario]
    server = run.Server(name, specs[name], cache).start()
    out = tempfile.NamedTemporaryFile(suffix=".strace", delete=False).name
    try:
        # strace watches the whole load, connecting included (a few calls per
        # connection, against thousands of messages): its count and the load
        # generator's cover the same messages.
        tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(server.pid), "-o", out],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        load = subprocess.run(
            ["taskset", "-c", "1", exe, mode, "--port", str(server.port), "--duration",
             str(seconds), "--warmup", "0"] + largs,
            stdout=subprocess.PIPE, text=True, timeout=seconds + 120)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(30)
        result = json.loads(load.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
    calls = parse_strace(out)
    os.unlink(out)
    return calls, result["count"]


def per_message(exe, specs, name, scenario, seconds, cache):
    """{syscall: calls per message}: the difference between a run of
    ``seconds`` and one twice as long, so that what connecting and closing
    cost (the same in both) drops out."""
    short, short_count = count(exe, specs, name, scenario, seconds, cache)
    long, long_count = count(exe, specs, name, scenario, 2 * seconds, cache)
    messages = long_count - short_count
    if messages <= 0:
        raise SystemExit("%s: the longer run did not carry more messages" % name)
    return {call: (long.get(call, 0) - short.get(call, 0)) / messages
            for call in set(long) | set(short) if call not in IDLE_CALLS}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(run.SCENARIOS))
    ap.add_argument("servers", nargs="+")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    cache = os.path.join(run.HERE, ".cache")
    os.makedirs(cache, exist_ok=True)
    exe = run.build_loadgen(cache)
    node_modules = run.setup_node(cache) if "sockjs-node" in args.servers else ""
    specs = run.server_specs(args.python, node_modules, "")
    for name in args.servers:
        calls = per_message(exe, specs, name, args.scenario, args.seconds, cache)
        text = ", ".join("%s %.2f" % kv for kv in sorted(calls.items(), key=lambda kv: -kv[1])
                         if kv[1] >= 0.01)
        print("%-15s %s: %.2f calls per message (%s)" % (
            name, args.scenario, sum(calls.values()), text))


if __name__ == "__main__":
    main()
