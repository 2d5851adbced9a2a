"""Read run_all.sh's libFuzzer logs; print a Markdown table; exit 1 if any harness failed.

    python fuzzing/summary.py LOGDIR HARNESS...
"""

import os
import re
import sys


def last(pattern, text, default="?"):
    found = re.findall(pattern, text)
    return found[-1] if found else default


def main(logs, names):
    failed = []
    print("| harness | time | executions | exec/s | coverage (edges) | features | corpus | result |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        with open(os.path.join(logs, name + ".log"), errors="replace") as log:
            text = log.read()
        with open(os.path.join(logs, name + ".rc")) as rc_file:
            rc = int(rc_file.read().strip() or 1)
        crash = last(r"Test unit written to (\S+)", text, None)
        ok = rc == 0 and crash is None
        result = "no crash" if ok else "FAILED (exit %d)%s" % (rc, ": " + crash if crash else "")
        print("| %s | %ss | %s | %s | %s | %s | %s | %s |" % (
            name, last(r"Done \d+ runs in (\d+) second", text),
            last(r"stat::number_of_executed_units: *(\d+)", text),
            last(r"stat::average_exec_per_sec: *(\d+)", text),
            last(r" cov: (\d+)", text), last(r" ft: (\d+)", text),
            last(r" corp: (\S+)", text), result))
        if not ok:
            failed.append((name, text))
    for name, text in failed:
        sys.stderr.write("\n==== %s failed; the end of its log:\n%s\n" % (
            name, "\n".join(text.splitlines()[-60:])))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
