"""Kernel benchmarks: shared helpers and the end-of-run goal report.

Each benchmark records in ``extra_info`` how many units (bytes, frames,
messages, requests) one call handles, and optionally the goal it is held to:
``goals``, a list of (name of an anchor in the same group, factor).
At the end of the run a table of throughputs and ratios is printed, computed
from the best round (min) of each benchmark in this very run: noise from
other processes only ever adds time.
"""

import importlib

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
