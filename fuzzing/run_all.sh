#!/usr/bin/env bash
# Run every harness for SECONDS each on the sanitized kernels, JOBS at a time, then print
# the table (harness, executions, coverage, corpus, crashes):
#
#   fuzzing/run_all.sh SECONDS [JOBS]      # JOBS defaults to 2
#   nice -n 19 fuzzing/run_all.sh 1200 2   # the campaign (fuzzing/README.md)
#
# Logs in $FUZZ_LOGS (default fuzzing/.work/logs), reproducers in fuzzing/.work/crashes.
# Exit status 1 if any harness crashed (a Python exception, an ASan or UBSan report, a
# timeout or an out-of-memory), each with its log's tail and the reproducer's path.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECONDS_EACH=$1 JOBS=${2:-2}
LOGS=${FUZZ_LOGS:-${FUZZ_WORK:-$HERE/.work}/logs}
HARNESSES=${FUZZ_HARNESSES:-$(cd "$HERE" && ls fuzz_*.py | sed 's/^fuzz_//; s/\.py$//')}
mkdir -p "$LOGS"
export HERE SECONDS_EACH LOGS
printf '%s\n' $HARNESSES | xargs -P "$JOBS" -I{} bash -c \
    '"$HERE/run.sh" {} "$SECONDS_EACH" >"$LOGS/{}.log" 2>&1; echo $? >"$LOGS/{}.rc"'
PY=${PYTHON:-$(dirname "$HERE")/.venv/bin/python}
"$PY" "$HERE/summary.py" "$LOGS" $HARNESSES
