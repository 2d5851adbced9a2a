#!/usr/bin/env bash
# Prove that `pip install .` works without a C compiler: the build warns
# loudly, installs the pure-Python kernels, and the package runs on them and
# says so (`python -m txsockjs info`, a RuntimeWarning and a twisted.logger
# event at import).  Also: a stale build/ in the checkout is not reused, the
# install carries no generated C, and its license metadata is SPDX.
#
#   tests/speedups/check_no_compiler.sh            # the no-compiler install
#   WITH_COMPILER=1 tests/speedups/check_no_compiler.sh
#                                                  # ... and a compiled install from an sdist
#   PYTHON=python3.12 tests/speedups/check_no_compiler.sh
#
# It works on a copy of the tracked files in a temporary directory, in a
# throwaway virtualenv, with pip's normal build isolation (so Cython and
# setuptools come from the index, as for a user).  Takes a minute or two.
set -euo pipefail

PYTHON=${PYTHON:-python3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/txsockjs-nocc.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== copying the tracked files of $ROOT"
mkdir -p "$WORK/src"
(cd "$ROOT" && git ls-files -z | xargs -0 -I{} cp --parents {} "$WORK/src/" 2>/dev/null || true)
# A checkout may still lack README.rst (pyproject's readme); do not let that
# stop the build.
[ -f "$WORK/src/README.rst" ] || echo "txsockjs" > "$WORK/src/README.rst"
rm -f "$WORK"/src/txsockjs/_speedups/*.so "$WORK"/src/txsockjs/_speedups/*.c
# A stale build/ from an earlier compiled build, as a checkout may have: a
# build that reused it would install this (broken) kernel.
STALE=$("$PYTHON" -c 'import sys, sysconfig; print("build/lib.%s-%s/txsockjs/_speedups" % (sysconfig.get_platform(), sys.implementation.cache_tag))')
mkdir -p "$WORK/src/$STALE"
echo "stale object" > "$WORK/src/$STALE/_mask$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"

check_install() {  # $1: venv dir, $2: expected IMPLEMENTATION
    local venv=$1 expected=$2
    (cd "$WORK" && "$venv/bin/python" - "$expected" <<'PY'
import glob, os, sys, warnings
expected = sys.argv[1]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import txsockjs._speedups as s
assert "site-packages" in s.__file__, s.__file__
print("installed at", os.path.dirname(s.__file__))
print("IMPLEMENTATION =", s.IMPLEMENTATION, "| FALLBACK_REASON =", s.FALLBACK_REASON)
assert s.IMPLEMENTATION == expected, s.IMPLEMENTATION
built = glob.glob(os.path.join(os.path.dirname(s.__file__), "*.so")) + \
    glob.glob(os.path.join(os.path.dirname(s.__file__), "*.pyd"))
if expected == "pure":
    assert not built, built
    assert any("pure-Python" in str(w.message) for w in caught), "no import-time warning"
    print("import-time warning:", [str(w.message) for w in caught][0][:100], "...")
else:
    assert len(built) == 4, built
    assert not caught, [str(w.message) for w in caught]
# What the install says about itself.
from importlib import metadata
assert not [f for f in metadata.files("txsockjs") if str(f).endswith(".c")], "generated C installed"
# The shared XOR kernel both .pyx cimport: the wheel carries it, for code that cimports ours.
shared = {"xor.h", "xor.pxd"} - {os.path.basename(str(f)) for f in metadata.files("txsockjs")}
assert not shared, "missing from the install: %s" % sorted(shared)
assert metadata.metadata("txsockjs")["License-Expression"] == "MIT"
assert metadata.metadata("txsockjs").get("License") is None, "the deprecated License field"
import subprocess
info = subprocess.run([sys.executable, "-m", "txsockjs", "info"], capture_output=True, text=True)
assert info.returncode == 0, info.stderr
kernels = [line for line in info.stdout.splitlines() if line.startswith("kernels:")]
print("python -m txsockjs info:", kernels)
assert kernels and kernels[0].split()[1] == expected + ":", info.stdout
if expected == "pure":
    assert "compiled kernels not importable" in kernels[0], kernels
    logged = subprocess.run([sys.executable, "-W", "ignore", "-c", """if 1:
        import txsockjs.factory
        from twisted.logger import formatEvent, globalLogBeginner
        events = []
        globalLogBeginner.beginLoggingTo([events.append], redirectStandardIO=False)
        print([formatEvent(e) for e in events if e.get("log_namespace") == "txsockjs.speedups"])
    """], capture_output=True, text=True)
    assert "pure-Python twins" in logged.stdout, (logged.stdout, logged.stderr)
    print("logged at import through twisted.logger:", logged.stdout.strip()[:80], "...")
# The kernels work.
mask = b"\x01\x02\x03\x04"
frame = bytes((0x81, 0x85)) + mask + s.websocket_mask(mask, b"hello")
assert s.FrameParser().feed(frame) == [(True, 1, b"hello")]
assert s.build_frame(1, b"hi") == b"\x81\x02hi"
assert s.encode_messages(["a\u2028\U0001f600"]) == b'a["a\\u2028\\ud83d\\ude00"]'
assert s.decode_messages(b'["x","y"]') == ["x", "y"]
assert s.parse_request_head(b"GET / HTTP/1.1\r\nHost: a\r\n")[3] == {"host": "a"}
print("kernels OK on the", s.IMPLEMENTATION, "path")
PY
    ) || fail "installed package check ($expected)"
}

echo "== no compiler: CC=/bin/false pip install ."
"$PYTHON" -m venv "$WORK/venv-nocc"
"$WORK/venv-nocc/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
( cd "$WORK/src" && env -u TXSOCKJS_REQUIRE_EXTENSIONS -u TXSOCKJS_NO_EXTENSIONS \
    CC=/bin/false CXX=/bin/false LDSHARED=/bin/false \
    "$WORK/venv-nocc/bin/python" -m pip install -v --no-cache-dir . ) > "$WORK/nocc.log" 2>&1 \
    || { tail -40 "$WORK/nocc.log"; fail "pip install without a compiler failed"; }
grep -q "WARNING: txsockjs could not compile its Cython kernels" "$WORK/nocc.log" \
    || { tail -40 "$WORK/nocc.log"; fail "the build did not print the warning"; }
echo "build warning seen:"
grep -A3 "WARNING: txsockjs could not compile" "$WORK/nocc.log" | head -4 | sed 's/^/    /'
check_install "$WORK/venv-nocc" pure

echo "== no compiler, TXSOCKJS_REQUIRE_EXTENSIONS=1: the install must fail"
if ( cd "$WORK/src" && CC=/bin/false CXX=/bin/false LDSHARED=/bin/false TXSOCKJS_REQUIRE_EXTENSIONS=1 \
        "$WORK/venv-nocc/bin/python" -m pip install -q --no-cache-dir --force-reinstall --no-deps . ) \
        > "$WORK/nocc-require.log" 2>&1; then
    fail "TXSOCKJS_REQUIRE_EXTENSIONS=1 did not make the failed compile an error"
fi
echo "    refused, as it should"
echo "== importing with TXSOCKJS_REQUIRE_EXTENSIONS=1 on the pure install must fail"
if (cd "$WORK" && TXSOCKJS_REQUIRE_EXTENSIONS=1 "$WORK/venv-nocc/bin/python" -c "import txsockjs._speedups") 2>/dev/null; then
    fail "import succeeded on the pure path with TXSOCKJS_REQUIRE_EXTENSIONS=1"
fi
echo "    ImportError, as it should"

if [ "${WITH_COMPILER:-0}" != "0" ]; then
    # From an sdist, as a user's pip builds it: the sdist must carry every source the
    # kernels need (xor.h and xor.pxd, which two .pyx share).
    echo "== with a compiler: an sdist (python -m build), then TXSOCKJS_REQUIRE_EXTENSIONS=1 pip install it"
    "$PYTHON" -m venv "$WORK/venv-cc"
    "$WORK/venv-cc/bin/python" -m pip install -q build > "$WORK/cc.log" 2>&1 \
        || { tail -40 "$WORK/cc.log"; fail "pip install build failed"; }
    ( cd "$WORK/src" && "$WORK/venv-cc/bin/python" -m build --sdist -o "$WORK/dist" . ) \
        >> "$WORK/cc.log" 2>&1 || { tail -40 "$WORK/cc.log"; fail "building the sdist failed"; }
    SDIST=$(ls "$WORK"/dist/*.tar.gz)
    tar tzf "$SDIST" > "$WORK/sdist-files.txt"
    for shared in xor.h xor.pxd; do
        grep -q "/txsockjs/_speedups/$shared\$" "$WORK/sdist-files.txt" || fail "the sdist lacks $shared"
    done
    ( cd "$WORK" && TXSOCKJS_REQUIRE_EXTENSIONS=1 \
        "$WORK/venv-cc/bin/python" -m pip install -q --no-cache-dir "$SDIST" ) >> "$WORK/cc.log" 2>&1 \
        || { tail -40 "$WORK/cc.log"; fail "compiled install from the sdist failed"; }
    check_install "$WORK/venv-cc" compiled
fi
echo "PASS"
