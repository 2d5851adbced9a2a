"""Kernel benchmarks: shared helpers and the end-of-run goal report.

Each benchmark records in ``extra_info`` how many units (bytes, frames,
messages, requests) one call handles, and optionally the goal it is held to:
``goals``, a list of (name of an anchor in the same group, factor).
At the end of the run a table of throughputs and ratios is printed, computed
from the best round (min) of each benchmark in this very run: noise from
other processes only ever adds time.
"""

import ctypes
import ctypes.util
import importlib
import os

import pytest

COMPILED_MODULES = ("_mask", "wsframes_c", "sockjsframes_c", "httphead_c")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Time many calls a round (250 us at least, not pytest-benchmark's 5 us):
    sub-microsecond kernels are otherwise dominated by the timer itself."""
    option = config.option
    value = getattr(option, "benchmark_min_time", None)
    if value is not None and float(value) == 0.000005:
        option.benchmark_min_time = type(value)("0.00025") if not isinstance(value, float) else 0.00025


# glibc gives heap memory back to the kernel when more than 128 KiB is free at
# the top of the heap.  A parse of a 4 MiB buffer keeps 4 MiB of payloads alive
# until the call returns: whether they are then trimmed (and cost ~1000 page
# faults on the next call) depends on what else happens to sit above them in
# the heap, which differs from one benchmark to the next by luck.  Keeping
# freed memory (and not switching to mmap for big blocks) makes every
# implementation pay the same, so the figures measure the code, not the heap
# layout.  TXSOCKJS_BENCH_MALLOC=default keeps glibc's defaults.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MALLOC_TUNED = []


def tune_malloc():
    if os.environ.get("TXSOCKJS_BENCH_MALLOC") == "default":
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return  # not glibc
    if mallopt(M_TRIM_THRESHOLD, 1 << 30) and mallopt(M_MMAP_THRESHOLD, 32 << 20):
        MALLOC_TUNED.append("glibc trim threshold 1 GiB, mmap threshold 32 MiB")


tune_malloc()


def load_compiled():
    try:
        return [importlib.import_module("txsockjs._speedups." + name)
                for name in COMPILED_MODULES]
    except ImportError:
        return None


def record(benchmark, group, impl, units, unit, goals=()):
    """Name a benchmark; ``goals`` lists (anchor implementation, factor)."""
    benchmark.group = group
    benchmark.extra_info["impl"] = impl
    benchmark.extra_info["units"] = units
    benchmark.extra_info["unit"] = unit
    benchmark.extra_info["goals"] = [list(goal) for goal in goals if goal]


def _rate(value, unit):
    if unit == "bytes":
        for scale, name in ((1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s")):
            if value >= scale:
                return "%.3g %s" % (value / scale, name)
        return "%.3g B/s" % value
    for scale, name in ((1e6, "M"), (1e3, "k")):
        if value >= scale:
            return "%.3g%s %s/s" % (value / scale, name, unit)
    return "%.3g %s/s" % (value, unit)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    session = getattr(config, "_benchmarksession", None)
    if session is None or not session.benchmarks:
        return
    groups = {}
    for bench in session.benchmarks:
        if bench.has_error or not bench.stats:
            continue
        groups.setdefault(bench.group, []).append(bench)
    write = terminalreporter.write_line
    write("")
    write("=" * 30 + " kernel throughput (best round of this run) " + "=" * 30)
    write("malloc: %s" % (MALLOC_TUNED[0] if MALLOC_TUNED else "defaults"))
    goals = []
    for group in sorted(groups):
        entries = groups[group]
        by_name = {}
        write("")
        write(group)
        for bench in sorted(entries, key=lambda b: b.stats.min):
            info = bench.extra_info
            name = bench.name.split("[", 1)[-1].rstrip("]") if "[" in bench.name else bench.name
            rate = info.get("units", 1) / bench.stats.min
            by_name[info.get("impl", name)] = rate
            write("  %-34s %14s   %9.2f us/call" % (
                info.get("impl", name), _rate(rate, info.get("unit", "calls")),
                bench.stats.min * 1e6))
        for bench in entries:
            info = bench.extra_info
            for anchor, need in info.get("goals", ()):
                if anchor in by_name:
                    ratio = by_name[info["impl"]] / by_name[anchor]
                    goals.append((group, info["impl"], anchor, ratio, need))
    if goals:
        write("")
        write("=" * 30 + " goals " + "=" * 30)
        for group, impl, anchor, ratio, need in goals:
            write("  %-4s %-40s %-18s vs %-29s %7.2fx (goal >= %gx)" % (
                "MET" if ratio >= need else "MISS", group, impl, anchor, ratio, need))
