#!/usr/bin/env bash
# Run one harness on the sanitized kernels:
#
#   fuzzing/run.sh HARNESS SECONDS [libFuzzer options...]
#   e.g. fuzzing/run.sh wsframes 1200
#
# HARNESS is the part after fuzz_ (wsframes, mask, sockjs_decode, sockjs_encode, httphead,
# request_reader, websocket_stream, wsextensions, wshandshake, response).  Needs
# fuzzing/build_sanitized.sh to have run.  Keeps its corpus in fuzzing/.work/corpus/HARNESS
# (seeded from fuzzing/seeds.py, i.e. from the test suites),
# writes a crash's reproducer into fuzzing/.work/crashes/ (FUZZ_WORK overrides .work) and
# the log on stdout.  Exit status: libFuzzer's (0: no crash in the time given).
# Reproduce a crash: fuzzing/run.sh HARNESS 0 fuzzing/.work/crashes/crash-<sha1>
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
NAME=$1 SECONDS_GIVEN=$2
shift 2
PY=${PYTHON:-$ROOT/.venv/bin/python}
WORK=${FUZZ_WORK:-$HERE/.work}
export FUZZ_SANITIZED=${FUZZ_SANITIZED:-$HERE/.sanitized}
[ -d "$FUZZ_SANITIZED/txsockjs/_speedups" ] || { echo "run.sh: no sanitized build in $FUZZ_SANITIZED (fuzzing/build_sanitized.sh)" >&2; exit 2; }
CORPUS=$WORK/corpus/$NAME SEEDS=$WORK/seeds/$NAME
mkdir -p "$CORPUS" "$WORK/crashes"
[ -d "$SEEDS" ] || "$PY" "$HERE/seeds.py" "$WORK/seeds"

RUNTIME=$("$PY" -c 'import atheris, os; print(os.path.join(atheris.path(), "asan_with_fuzzer.so"))')
# Every Python allocation through malloc, where ASan sees it (pymalloc's arenas would
# hide an overrun of a small bytes object); leaks are Python's own, not ours.
export PYTHONMALLOC=malloc
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
if [ $# -gt 0 ] && [ -f "${1:-}" ]; then  # reproduce: the given files only
    exec env LD_PRELOAD="$RUNTIME" "$PY" "$HERE/fuzz_$NAME.py" "$@"
fi
exec env LD_PRELOAD="$RUNTIME" "$PY" "$HERE/fuzz_$NAME.py" \
    -max_total_time="$SECONDS_GIVEN" -print_final_stats=1 -max_len=4096 -rss_limit_mb=3072 \
    -artifact_prefix="$WORK/crashes/$NAME-" "$@" "$CORPUS" "$SEEDS"
