"""The documentation builds with warnings as errors, and covers the public API."""

import dataclasses
import importlib
import pathlib
import posixpath
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Modules whose ``__all__`` is public API.
PUBLIC_MODULES = ["txsockjs", "txsockjs.factory", "txsockjs.interfaces", "txsockjs.utils"]


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    pytest.importorskip("sphinx", reason="Sphinx is not installed: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("docs")
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q",
                           "-b", "html", str(ROOT / "docs"), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
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
