#!/usr/bin/env bash
# CI's slice of the fuzzing: install the tools, build the sanitized kernels, run every
# harness for FUZZ_SECONDS (default 60) on them, two at a time.
#
#   fuzzing/run_ci.sh [PYTHON]        # run-tests calls it with .venv/bin/python
#
# Installs what it needs: Debian's clang and compiler-rt (apt-get), atheris (pip, into the
# given Python's environment).  A crash fails the run; the reproducer stays in
# fuzzing/.work/crashes/ (reproduce: fuzzing/run.sh HARNESS 0 <file>), the logs in
# fuzzing/.work/logs/.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PYTHON=${1:-${PYTHON:-$(dirname "$HERE")/.venv/bin/python}}
SECONDS_EACH=${FUZZ_SECONDS:-60}
say() { printf '\n==> fuzzing: %s\n' "$*" >&2; }

CLANG_PACKAGES=(clang libclang-rt-14-dev)
if ! command -v clang >/dev/null || ! clang -print-file-name=libclang_rt.asan-x86_64.a | grep -q /; then
    say "installing ${CLANG_PACKAGES[*]} with apt-get"
    SUDO=()
    [ "$(id -u)" = 0 ] || SUDO=(sudo -n)
    "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q >&2
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q "${CLANG_PACKAGES[@]}" >&2
fi
if ! "$PYTHON" -c 'import atheris' 2>/dev/null; then
    say "installing atheris into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install -q atheris >&2
fi
say "building the sanitized kernels (ASan + UBSan + libFuzzer coverage)"
"$HERE/build_sanitized.sh" "$PYTHON"
say "every harness for ${SECONDS_EACH}s, two at a time"
rm -rf "$HERE/.work/logs"
"$HERE/run_all.sh" "$SECONDS_EACH" 2
