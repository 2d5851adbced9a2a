#!/usr/bin/env python3
"""Profile a txsockjs server under one e2e scenario with py-spy.

    python benchmarks/e2e/profile.py echo-c100-20B [--pure] [--seconds 8]

Starts ``python -m txsockjs conformance`` on core 0, the load generator on
core 1 (as run.py does), records py-spy samples (raw collapsed stacks, and
an SVG flame graph) from the server for --seconds, and prints the functions
ranked by self time and by inclusive time.  Output goes to
benchmarks/e2e/.cache/profile-<scenario>.{txt,svg}.  Needs ``pip install
py-spy``.
"""
import argparse
import collections
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def summarize(raw_path, top=25):
    self_t = collections.Counter()
    incl = collections.Counter()
    total = 0
    for line in open(raw_path):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, n = line.rpartition(" ")
        n = int(n)
        frames = stack.split(";")
        total += n
        # frames look like "function (file.py:line)"; strip line numbers to merge
        names = []
        for f in frames:
            fn, _, loc = f.partition(" (")
            loc = loc.rstrip(")")
            path = loc.rsplit(":", 1)[0]
            path = path.split("site-packages/")[-1].split("/work/main/")[-1]
            names.append("%s (%s)" % (fn, path))
        if names:
            self_t[names[-1]] += n
        for name in set(names):
            incl[name] += n
    out = ["samples: %d" % total, "", "self time:"]
    for name, n in self_t.most_common(top):
        out.append("  %5.1f%%  %s" % (100.0 * n / total, name))
    out += ["", "inclusive time:"]
    for name, n in incl.most_common(top + 15):
        out.append("  %5.1f%%  %s" % (100.0 * n / total, name))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(run.SCENARIOS))
    ap.add_argument("--pure", action="store_true")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    ap.add_argument("--native", action="store_true", help="py-spy --native (C frames too)")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    cache = os.path.join(run.HERE, ".cache")
    os.makedirs(cache, exist_ok=True)
    exe = run.build_loadgen(cache)
    specs = run.server_specs(args.python, "", "")
    name = "txsockjs-pure" if args.pure else "txsockjs"
    server = run.Server(name, specs[name], cache).start()
    tag = "%s%s" % (args.scenario, "-pure" if args.pure else "")
    raw = os.path.join(cache, "profile-%s.txt" % tag)
    svg = os.path.join(cache, "profile-%s.svg" % tag)
    try:
        mode, largs, _, _ = run.SCENARIOS[args.scenario]
        load = subprocess.Popen(
            ["taskset", "-c", "1", exe, mode, "--port", str(server.port), "--server-pid",
             str(server.pid), "--duration", str(args.seconds + 3), "--warmup", "1"] + largs,
            stdout=subprocess.PIPE, text=True)
        time.sleep(2.0)
        spy = ["py-spy", "record", "--pid", str(server.pid), "--rate", str(args.rate),
               "--duration", str(int(args.seconds)), "--nonblocking"]
        if args.native:
            spy.append("--native")
        subprocess.run(spy + ["--format", "raw", "-o", raw], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out, _ = load.communicate(timeout=args.seconds + 120)
        print("load:", out.strip())
    finally:
        server.stop()
    text = summarize(raw)
    print(text)
    with open(raw + ".summary", "w") as f:
        f.write(text + "\n")
    print("raw stacks: %s" % raw)
    _ = svg


if __name__ == "__main__":
    main()
