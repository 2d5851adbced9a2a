"""The package passes ``mypy --strict``, and so does a user's program using it.

Both run mypy in a subprocess with no plugins; mypy's incremental cache
(``.mypy_cache/``, git-ignored) keeps a re-run to a second or two.
"""

import importlib.util
import pathlib
import subprocess
import sys
import typing

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
COMPILED = ["txsockjs._speedups._mask", "txsockjs._speedups.wsframes_c",
            "txsockjs._speedups.sockjsframes_c", "txsockjs._speedups.httphead_c",
            "txsockjs._speedups.httpreader_c",
            "txsockjs._speedups.wshandshake_c", "txsockjs._speedups.httpresponse_c",
            "txsockjs._speedups.sendnow_c"]

pytest.importorskip("mypy", reason="mypy is not installed: pip install -e '.[test]'")


def run(args, cwd):
    done = subprocess.run([sys.executable, "-m"] + args, cwd=str(cwd), capture_output=True,
                          text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


def test_package_passes_mypy_strict():
    # [tool.mypy] in pyproject.toml: strict, the whole package, no plugins.
    code, output = run(["mypy", "--config-file", str(ROOT / "pyproject.toml")], ROOT)
    assert code == 0, output


def test_compiled_kernel_stubs_match_the_compiled_modules():
    """The .pyi stubs of the compiled kernels re-export their pure twins'
    names and types; stubtest checks that each compiled module has exactly
    the names its stub promises (Cython functions carry no signatures)."""
    if any(importlib.util.find_spec(name) is None for name in COMPILED):
        pytest.skip("the compiled kernels are not built in this install")
    code, output = run(["mypy.stubtest", "--mypy-config-file", str(ROOT / "pyproject.toml"),
                        "--allowlist", str(HERE / "stubtest-allowlist.txt")] + COMPILED, ROOT)
    assert code == 0, output


def test_user_program_passes_plain_mypy_strict(tmp_path):
    # From an empty directory: no pyproject.toml, no mypy.ini, no plugins; txsockjs is
    # found installed (the editable install), as a user's program would find it.
    # run-tests runs this with the newest Twisted and (the py3.10-twisted-oldest leg)
    # the oldest, 22.10, where Factory.forProtocol itself is unannotated: a strict
    # program calling it then needs what pyproject.toml does for us, whatever txsockjs does.
    from twisted.internet.protocol import Factory
    untyped_twisted = [] if typing.get_type_hints(Factory.forProtocol) else [
        "--untyped-calls-exclude", "twisted"]
    program = tmp_path / "user_program.py"
    program.write_text((HERE / "user_program.py").read_text())
    code, output = run(["mypy", "--strict",
                        "--cache-dir", str(ROOT / ".mypy_cache" / "user-program")]
                       + untyped_twisted + [str(program)], tmp_path)
    assert code == 0, output
