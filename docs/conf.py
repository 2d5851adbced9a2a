"""Sphinx configuration: reference pages from the docstrings, plus guides.

Build: ``sphinx-build -W docs docs/_build`` (tests/docs/test_docs.py does it
with warnings as errors).
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# The docs describe the API, not the machine: build on the pure path, so a
# checkout without compiled kernels builds the same pages, silently.
os.environ["TXSOCKJS_NO_EXTENSIONS"] = "1"

import txsockjs  # noqa: E402

project = "txsockjs"
author = "the txsockjs contributors"
copyright = "2026, " + author
release = txsockjs.__version__
version = ".".join(release.split(".")[:2])

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []
