"""Every status the server sends goes out with its reason phrase.

The statuses are found by reading the package's source, so a status added
later (a 429, a 403 from an origin check) is covered without touching this
test.
"""

import pathlib
import re
from http import HTTPStatus

import pytest

import txsockjs
from txsockjs.protocol.http import REASONS, response_head

PACKAGE = pathlib.Path(txsockjs.__file__).parent

# A status literal as the first argument of the calls that answer with one, as a
# ``status=`` keyword, or first in a refusal constant (``BAD_KEY = (400, "...", ())``,
# given to ``response.error(*refusal)``).
_SENDS_STATUS = re.compile(
    r"\b(?:HTTPError|error|send|start_streaming|response_head|refuse|reply)\(\s*([1-5][0-9][0-9])\b"
    r"|\bstatus\s*=\s*([1-5][0-9][0-9])\b"
    r"|^[A-Z0-9_]+ = \(([1-5][0-9][0-9]), [\"']", re.MULTILINE)
# Hand-written status lines, e.g. ``b"HTTP/1.1 100 Continue\r\n"``.
_STATUS_LINE = re.compile(r"HTTP/1\.[01] ([1-5][0-9][0-9]) ([A-Za-z][A-Za-z -]*)")
# RFC 9110 renamed these; Python before 3.13 still has the old phrases.
_RFC9110 = {413: "Content Too Large", 414: "URI Too Long",
            416: "Range Not Satisfiable", 422: "Unprocessable Content"}


def statuses_in_source():
    found = {}
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix not in (".py", ".pyx"):
            continue
        text = path.read_text(encoding="utf-8")
        for match in _SENDS_STATUS.finditer(text):
            status = int(match.group(1) or match.group(2) or match.group(3))
            found.setdefault(status, "%s:%d" % (path.relative_to(PACKAGE),
                                                text.count("\n", 0, match.start()) + 1))
    return found


def hand_written_status_lines():
    for path in sorted(PACKAGE.rglob("*.py")):
        for match in _STATUS_LINE.finditer(path.read_text(encoding="utf-8")):
            yield int(match.group(1)), match.group(2).strip(), path.name


def test_the_scan_finds_the_statuses_we_know_are_sent():
    # Guards the scan itself: if the regex stopped matching, the test below
    # would pass on an empty set.
    assert {101, 200, 204, 304, 400, 404, 405, 413, 426, 500, 503} <= set(statuses_in_source())


@pytest.mark.parametrize("status,where", sorted(statuses_in_source().items()))
def test_every_status_sent_has_its_phrase(status, where):
    expected = _RFC9110.get(status) or HTTPStatus(status).phrase
    assert REASONS.get(status) == expected, where
    assert response_head(status, []).startswith(b"HTTP/1.1 %d %s\r\n" % (status, expected.encode()))


def test_hand_written_status_lines_use_the_standard_phrase():
    lines = list(hand_written_status_lines())
    assert lines, "the scan found no hand-written status line (expected 100 Continue)"
    for status, phrase, where in lines:
        assert phrase == REASONS[status], (status, phrase, where)


def test_426_upgrade_required():
    # The one that went out as "426 Unknown".
    assert response_head(426, [("Sec-WebSocket-Version", "13")]) == (
        b"HTTP/1.1 426 Upgrade Required\r\nX-Content-Type-Options: nosniff\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n")
