"""Autobahn|Testsuite against the raw websocket endpoint: shares tests/e2e's support module."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from e2e_support import write_summaries  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    write_summaries(terminalreporter)
