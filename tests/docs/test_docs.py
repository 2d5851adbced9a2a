"""The documentation builds as README says, without a warning, and covers the public API."""

import dataclasses
import importlib
import os
import pathlib
import posixpath
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Modules whose ``__all__`` is public API.
PUBLIC_MODULES = ["txsockjs", "txsockjs.factory", "txsockjs.interfaces", "txsockjs.utils"]


# The optional packages some reference pages describe: README's docs build has
# neither (the ``docs`` extra does not bring them), and must still be clean.
EXTRAS_NOT_INSTALLED = ("prometheus_client", "txredisapi")


def readme_docs_venv():
    """A virtualenv made exactly as README says, ``pip install -e '.[docs]'``
    (nothing else), kept in ``.venv-docs`` and remade when the packaging
    changes.  Its sphinx-build is what builds the docs in the tests."""
    import fcntl
    import hashlib
    packaging = b"".join((ROOT / name).read_bytes() for name in ("pyproject.toml", "setup.py"))
    venv = ROOT / ".venv-docs"
    stamp = venv / (".txsockjs-docs-" + hashlib.sha256(packaging).hexdigest()[:16])
    with open(ROOT / ".venv-docs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the compiled and the pure pass may race
        if not stamp.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            # TXSOCKJS_NO_EXTENSIONS: the editable install must not rebuild the
            # kernels in the checkout under other test runs (the docs build on
            # the pure path anyway, see docs/conf.py).
            env = dict(os.environ, TXSOCKJS_NO_EXTENSIONS="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
            done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                                   "-e", ".[docs]"], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=900)
            assert done.returncode == 0, done.stdout + done.stderr
            stamp.touch()
    return venv


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    """README's command, ``sphinx-build docs docs/_build`` (into a temporary
    directory), in README's virtualenv: it must print no warning at all."""
    venv = readme_docs_venv()
    python = str(venv / "bin" / "python")
    for name in EXTRAS_NOT_INSTALLED:  # else the build below would prove nothing
        absent = subprocess.run([python, "-c", "import %s" % name], capture_output=True)
        assert absent.returncode != 0, "%s is in the docs virtualenv" % name
    out = tmp_path_factory.mktemp("docs") / "_build"
    done = subprocess.run([str(venv / "bin" / "sphinx-build"), "docs", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for sign in ("WARNING", "ERROR", "Traceback"):
        assert sign not in output, output
    return out


def documented_names(built_docs):
    from sphinx.util.inventory import InventoryFile
    with open(built_docs / "objects.inv", "rb") as stream:
        inventory = InventoryFile.load(stream, "", posixpath.join)
    inventory = getattr(inventory, "data", inventory)  # Sphinx 8.2+ wraps the mapping
    return {name for kind, items in inventory.items() if kind.startswith("py:") for name in items}


def test_docs_build_without_warnings(built_docs):
    assert (built_docs / "index.html").exists()
    for page in ("guide/getting-started", "guide/authentication", "guide/deployment",
                 "guide/performance", "reference/api", "reference/options",
                 "reference/contract", "reference/close-codes", "reference/cli"):
        assert (built_docs / (page + ".html")).exists(), page


def test_the_optional_modules_are_documented_whole(built_docs):
    # Without its extra, autodoc used to fail to import the module and the
    # page kept one line.
    names = documented_names(built_docs)
    for name in ("txsockjs.metrics.SockJSCollector", "txsockjs.metrics.register",
                 "txsockjs.redisbroker.RedisBroker"):
        assert name in names, name


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_has_a_reference_entry(built_docs, module):
    names = documented_names(built_docs)
    for name in importlib.import_module(module).__all__:
        if name.startswith("__"):
            continue
        assert "%s.%s" % (module, name) in names, "%s.%s is not in the docs" % (module, name)


def test_the_options_table_lists_every_option():
    from txsockjs.options import Options
    table = (ROOT / "docs" / "reference" / "options.rst").read_text(encoding="utf-8")
    listed = re.findall(r"^   \* - ``(\w+)``$", table, re.MULTILINE)
    assert sorted(listed) == sorted(field.name for field in dataclasses.fields(Options))


def test_readme_renders_without_warnings():
    # PyPI renders README.rst with docutils and shows raw text on any error.
    core = pytest.importorskip("docutils.core", reason="docutils comes with Sphinx: '.[docs]'")
    core.publish_doctree((ROOT / "README.rst").read_text(encoding="utf-8"),
                         settings_overrides={"halt_level": 2, "report_level": 2})


def test_readme_names_everything_run_tests_installs():
    script = (ROOT / "run-tests").read_text(encoding="utf-8")
    debian = re.findall(r"/usr/s?bin/[\w-]+:([\w-]+)", script)  # CLUSTER_TOOLS
    assert len(debian) >= 3, debian
    readme = (ROOT / "README.rst").read_text(encoding="utf-8")
    says = readme[readme.index("``run-tests`` creates"):readme.index("What it is")]
    for name in debian + ["Chromium", "npm packages", "Autobahn"]:
        assert name in says, name
