#!/usr/bin/env bash
# Build the four Cython kernels with AddressSanitizer + UndefinedBehaviorSanitizer and
# libFuzzer's coverage hooks, into a directory of their own (the in-place .so files of the
# editable install are left alone):
#
#   fuzzing/build_sanitized.sh [PYTHON]        # default PYTHON: .venv/bin/python
#
# Output: fuzzing/.sanitized/txsockjs/_speedups/*.so (FUZZ_BUILD_DIR overrides the place).
# The harnesses load them with fuzzing/harness.py's use_sanitized_kernels(), run under
# fuzzing/run.sh, which preloads atheris's ASan runtime (atheris's documented way for
# native extensions: LD_PRELOAD=<atheris.path()>/asan_with_fuzzer.so).
#
# Needs clang (Debian: apt-get install clang libclang-rt-14-dev; fuzzing/run_ci.sh
# installs it) and Cython (a build requirement of txsockjs, in the venv).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${1:-$ROOT/.venv/bin/python}
OUT=${FUZZ_BUILD_DIR:-$ROOT/fuzzing/.sanitized}
CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "build_sanitized.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT"
# -O1 with frame pointers: readable stacks, still vectorised enough to look like the real
# build; every UBSan check fatal (no recover), so libFuzzer sees a crash, not a log line.
FLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all"
cd "$ROOT"
# The build requirements (pyproject.toml), since this build is not isolated.
# (setup.py runs here outside pip's isolated build: Cython and a setuptools that reads
# pyproject.toml's SPDX license, 77 or later, must be in the venv itself)
"$PY" -c 'import sys, Cython, setuptools; sys.exit(int(setuptools.__version__.split(".")[0]) < 77)' 2>/dev/null \
    || "$PY" -m pip install -q "Cython>=3.0" "setuptools>=77" >&2
CC=$CC LDSHARED="$CC -shared" CFLAGS="$FLAGS" LDFLAGS="-fsanitize=address,undefined" \
TXSOCKJS_REQUIRE_EXTENSIONS=1 TXSOCKJS_NO_EXTENSIONS= \
    "$PY" setup.py -q build --build-base "$TMP/build" build_ext --build-lib "$OUT" --build-temp "$TMP/temp" >"$TMP/log" 2>&1 \
    || { cat "$TMP/log" >&2; exit 1; }
# the generated C is scratch: cythonize() writes it beside the .pyx
for so in "$OUT"/txsockjs/_speedups/*.so; do
    nm "$so" >"$TMP/symbols"
    for hook in __asan_report_load __ubsan_handle __sanitizer_cov_8bit_counters_init; do
        grep -q "$hook" "$TMP/symbols" || { echo "build_sanitized.sh: $so lacks $hook" >&2; exit 1; }
    done
done
echo "sanitized kernels in $OUT/txsockjs/_speedups:" >&2
ls "$OUT"/txsockjs/_speedups >&2
