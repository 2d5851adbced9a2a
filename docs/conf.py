"""Sphinx configuration: reference pages from the docstrings, plus guides.

Build: ``pip install -e '.[docs]'`` then ``sphinx-build docs docs/_build``, as
README says (tests/docs/test_docs.py does exactly that and fails on any warning).
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
# The extras' packages (txsockjs[metrics], txsockjs[redis]): README's build,
# ``pip install -e '.[docs]'``, has neither, and the pages of txsockjs.metrics
# and txsockjs.redisbroker describe our code, not theirs, so autodoc imports
# them against stand-ins rather than make every docs reader install both.
autodoc_mock_imports = ["prometheus_client", "txredisapi"]
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []
