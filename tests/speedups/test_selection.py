"""The selector in txsockjs/_speedups/__init__.py."""

import os
import subprocess
import sys
import textwrap

import pytest

import txsockjs._speedups as speedups
from kernel_paths import COMPILED

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

REQUIRED = os.environ.get("TXSOCKJS_REQUIRE_EXTENSIONS", "") not in ("", "0")
DISABLED = os.environ.get("TXSOCKJS_NO_EXTENSIONS", "") not in ("", "0")

# Make one compiled module unimportable, as on a machine without a compiler.
BLOCKER = textwrap.dedent("""
    import sys
    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name == "txsockjs._speedups._mask":
                raise ImportError("blocked for the test")
    sys.meta_path.insert(0, Blocker())
""")


def run(code, **env):
    environment = dict(os.environ)
    for key in ("TXSOCKJS_NO_EXTENSIONS", "TXSOCKJS_REQUIRE_EXTENSIONS"):
        environment.pop(key, None)
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_required_extensions_are_active():
    """Fails when TXSOCKJS_REQUIRE_EXTENSIONS=1 but the compiled path is not in use."""
    if not REQUIRED:
        pytest.skip("TXSOCKJS_REQUIRE_EXTENSIONS is not set")
    assert speedups.IMPLEMENTATION == "compiled", speedups.FALLBACK_REASON
    assert COMPILED is not None


def test_implementation_matches_environment():
    assert speedups.IMPLEMENTATION in ("compiled", "pure")
    if DISABLED:
        assert speedups.IMPLEMENTATION == "pure"
        assert "TXSOCKJS_NO_EXTENSIONS" in speedups.FALLBACK_REASON
    elif COMPILED is not None:
        assert speedups.IMPLEMENTATION == "compiled"
        assert speedups.FALLBACK_REASON is None


def test_deflate_kernel_follows_the_path():
    """The deflate kernel is compiled on the compiled path (when zlib's headers were there
    to build it: always under TXSOCKJS_REQUIRE_EXTENSIONS=1), pure on the pure path."""
    assert speedups.Deflater.__module__ == "txsockjs._speedups.deflate_" + (
        "c" if speedups.DEFLATE_IMPLEMENTATION == "compiled" else "py")
    if speedups.IMPLEMENTATION == "pure":
        assert speedups.DEFLATE_IMPLEMENTATION == "pure"
    elif REQUIRED:
        assert speedups.DEFLATE_IMPLEMENTATION == "compiled"


def test_missing_deflate_kernel_alone_keeps_the_other_kernels():
    blocker = BLOCKER.replace("txsockjs._speedups._mask", "txsockjs._speedups.deflate_c")
    code = blocker + ("import txsockjs._speedups as s; "
                      "print(s.IMPLEMENTATION, s.DEFLATE_IMPLEMENTATION)")
    done = run(code)
    assert done.returncode == 0, done.stderr
    expected = "compiled pure" if COMPILED is not None else "pure pure"
    assert done.stdout.strip() == expected
    required = run(code, TXSOCKJS_REQUIRE_EXTENSIONS="1")
    if COMPILED is not None:
        assert required.returncode != 0 and "deflate kernel" in required.stderr


def test_public_names_come_from_the_active_path():
    expected = "txsockjs._speedups.%s" % (
        "wsframes_c" if speedups.IMPLEMENTATION == "compiled" else "wsframes_py")
    assert speedups.FrameParser.__module__ == expected
    for name in speedups.__all__:
        assert hasattr(speedups, name)


def test_no_extensions_env_selects_pure():
    done = run("import txsockjs._speedups as s; print(s.IMPLEMENTATION, s.FALLBACK_REASON)",
               TXSOCKJS_NO_EXTENSIONS="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("pure TXSOCKJS_NO_EXTENSIONS")
    assert "RuntimeWarning" not in done.stderr


def test_no_extensions_wins_over_require():
    done = run("import txsockjs._speedups as s; print(s.IMPLEMENTATION)",
               TXSOCKJS_NO_EXTENSIONS="1", TXSOCKJS_REQUIRE_EXTENSIONS="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pure"


def test_missing_extension_falls_back_with_a_warning():
    done = run(BLOCKER + "import txsockjs._speedups as s; print(s.IMPLEMENTATION)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pure"
    assert "RuntimeWarning" in done.stderr and "pure-Python" in done.stderr


def test_missing_extension_is_an_error_when_required():
    done = run(BLOCKER + "import txsockjs._speedups", TXSOCKJS_REQUIRE_EXTENSIONS="1")
    assert done.returncode != 0
    assert "ImportError" in done.stderr and "TXSOCKJS_REQUIRE_EXTENSIONS" in done.stderr


@pytest.mark.skipif(COMPILED is None, reason="compiled kernels are not built")
def test_require_with_extensions_built_selects_compiled():
    done = run("import txsockjs._speedups as s; print(s.IMPLEMENTATION)",
               TXSOCKJS_REQUIRE_EXTENSIONS="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "compiled"


def test_missing_extension_is_logged_once_through_twisted_logger():
    # Imported before logging starts, as in an application: twisted.logger
    # keeps the event and hands it over when the application begins logging.
    done = run(BLOCKER + textwrap.dedent("""
        import warnings
        warnings.simplefilter("ignore")
        import txsockjs._speedups, txsockjs.factory
        from twisted.logger import formatEvent, globalLogBeginner
        events = []
        globalLogBeginner.beginLoggingTo([events.append], redirectStandardIO=False)
        for event in events:
            if event.get("log_namespace") == "txsockjs.speedups":
                print(event["log_level"].name, formatEvent(event))
    """))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("warn txsockjs: the compiled kernels are not available")
    assert "blocked for the test" in lines[0]
