"""Autobahn|Testsuite against the raw websocket endpoint: shares tests/e2e's support module."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
