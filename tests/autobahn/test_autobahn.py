"""RFC 6455 and RFC 7692 conformance of the raw websocket endpoint, by Autobahn|Testsuite.

``wstest -m fuzzingclient`` (Autobahn|Testsuite 25.10.1, in a Python 2.7 virtualenv that
./run-tests builds) runs against the raw endpoints of ``python -m txsockjs conformance``,
once through each front door: our own HTTP channel (``--front own``) and SockJSResources in
a twisted.web Site (``--front web``, where the resource answers the handshake and hands the
connection to the same WebSocket); the kernel path is the environment's:

* ``/binary_echo/websocket`` (echoes text and binary, no compression): every case. Cases
  1-11 must be ``OK``; 12.* and 13.* (permessage-deflate) ``UNIMPLEMENTED``: the offer is
  declined.
* ``/compressed_echo/websocket`` (the same app with ``compression: True``): a bounded slice
  of 12.* and 13.* (``DEFLATE_SLICE``: small and mid payloads, text and binary, every offer
  of 13.*) must be ``OK``.  The whole of 12.* and 13.* takes long on a shared machine:
  ``TXSOCKJS_AUTOBAHN_FULL=1 .venv/bin/python -m pytest tests/autobahn -k deflate`` runs it.

How the verdicts are judged: ``OK`` for both the behaviour and the close behaviour;
``NON-STRICT`` counts as a failure (we fail fast, for example on invalid UTF-8 in the middle
of a fragmented message, 6.4.1-6.4.4).  The only ``INFORMATIONAL`` verdicts accepted are those
of the cases whose outcome the suite itself calls implementation-defined (7.1.6, 7.13.1,
7.13.2).  Every case must have run, and the server must still be alive at the end.  (The
1003 refusal of binary messages by a text-only app is tested in tests/integration.)

A regression in any case fails the test; it never skips (unless TXSOCKJS_SKIP_E2E=1).
"""

import collections
import json
import os
import shutil
import subprocess

import pytest

from e2e_support import ARTIFACTS, SUMMARIES, ServerProcess, e2e_skipped, kill_process_group, wstest_executable

WSTEST_TIMEOUT = 7200 if os.environ.get("TXSOCKJS_AUTOBAHN_FULL", "") not in ("", "0") else 1200

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(WSTEST_TIMEOUT + 120),  # the first test pays for the whole wstest run
    pytest.mark.skipif(e2e_skipped(), reason="TXSOCKJS_SKIP_E2E is set"),
]

INFORMATIONAL_OK = {"7.1.6", "7.13.1", "7.13.2"}
MIN_CASES = 500
DEFLATE_GROUPS = ("12.", "13.")
FULL = os.environ.get("TXSOCKJS_AUTOBAHN_FULL", "") not in ("", "0")
# (wstest takes exact ids or '*' patterns)
DEFLATE_SLICE = (["12.1.%d" % n for n in range(1, 6)]
                 + ["12.%d.%d" % (group, n) for group in (2, 4, 5) for n in range(1, 4)]
                 + ["13.%d.%d" % (group, n) for group in range(1, 8) for n in range(1, 4)])
# door -> the factory the conformance server listens with (it logs "<name> starting on <port>")
DOORS = {"own": "SockJSMultiFactory", "web": "SockJSSite"}


def case_key(case_id):
    return [int(part) for part in case_id.split(".")]


def kernels():
    try:
        from txsockjs import _speedups
        return _speedups.IMPLEMENTATION
    except ImportError:
        return "unknown"


class AutobahnRun:
    def __init__(self, index, reports_dir, server, output):
        self.index = index  # case id -> summary dict from index.json
        self.reports_dir = reports_dir
        self.server = server
        self.output = output

    def case_report(self, case_id):
        entry = self.index[case_id]
        with open(os.path.join(self.reports_dir, entry["reportfile"]), encoding="utf-8") as f:
            return json.load(f)


def run_wstest(tmp_path_factory, name, service, cases, door):
    wstest = wstest_executable()
    work = tmp_path_factory.mktemp("autobahn-%s-%s" % (name, door))
    server = ServerProcess("conformance", "--front", door, log_dir=work).start()
    reports = work / "reports"
    spec = {
        "outdir": str(reports),
        "servers": [{"agent": "txsockjs",
                     "url": "ws://127.0.0.1:%d/%s/websocket" % (server.port, service)}],
        "cases": cases,
        "exclude-cases": [],
        "exclude-agent-cases": {},
    }
    (work / "fuzzingclient.json").write_text(json.dumps(spec, indent=2))
    log_path = work / "wstest.log"
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [wstest, "-m", "fuzzingclient", "-s", "fuzzingclient.json"], cwd=str(work),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
            try:
                proc.wait(WSTEST_TIMEOUT)
            except subprocess.TimeoutExpired:
                kill_process_group(proc)
                pytest.fail("wstest did not finish within %d s; log: %s" % (WSTEST_TIMEOUT, log_path),
                            pytrace=False)
            finally:
                kill_process_group(proc)
        output = log_path.read_text(errors="replace")
        index_file = reports / "index.json"
        if proc.returncode != 0 or not index_file.exists():
            pytest.fail("wstest exited %s without a report. Last output:\n%s"
                        % (proc.returncode, output[-3000:]), pytrace=False)
        index = json.loads(index_file.read_text())["txsockjs"]
        run = AutobahnRun(index, str(reports), server, output)
        run.door = door
        run.server_alive = server.alive()
        yield run
    finally:
        server.stop()
        # keep the reports (index.html is browsable) for people and CI logs
        dest = ARTIFACTS / ("autobahn-%s-%s-%s" % (name, kernels(), door))
        try:
            shutil.rmtree(dest, ignore_errors=True)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copytree(work, dest)
        except OSError:
            pass


@pytest.fixture(scope="module", params=sorted(DOORS))
def autobahn(request, tmp_path_factory):
    yield from run_wstest(tmp_path_factory, "plain", "binary_echo", ["*"], request.param)


@pytest.fixture(scope="module", params=sorted(DOORS))
def autobahn_deflate(request, tmp_path_factory):
    cases = ["12.*", "13.*"] if FULL else DEFLATE_SLICE
    yield from run_wstest(tmp_path_factory, "deflate", "compressed_echo", cases, request.param)


def not_ok(run, case_ids):
    bad = []
    for case_id in case_ids:
        entry = run.index[case_id]
        allowed = {"OK", "INFORMATIONAL"} if case_id in INFORMATIONAL_OK else {"OK"}
        if entry["behavior"] not in allowed or entry["behaviorClose"] not in allowed:
            report = run.case_report(case_id)
            bad.append("%-7s %-11s close=%-11s remote close %s %r | %s | %s" % (
                case_id, entry["behavior"], entry["behaviorClose"],
                report.get("remoteCloseCode"), report.get("remoteCloseReason"),
                report.get("description", "")[:70].replace("\n", " "),
                report.get("result", "")))
    return bad


def record(run, name):
    counts = collections.Counter(v["behavior"] for v in run.index.values())
    summary = {"kernels": kernels(), "door": run.door, "cases": len(run.index), "all": dict(counts)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / ("autobahn-summary-%s-%s-%s.json" % (name, kernels(), run.door))).write_text(
        json.dumps(summary, indent=2))
    SUMMARIES.append(("Autobahn|Testsuite %s, %s kernels, %s door" % (name, kernels(), run.door),
                      json.dumps(summary)))


def ran_through_its_door(run):
    listening = "%s starting on %d" % (DOORS[run.door], run.server.port)
    assert listening in run.server.output(), "not the %s door: no %r in the server's log" % (
        run.door, listening)


def test_every_case_ran_and_server_survived(autobahn):
    record(autobahn, "plain")
    ids = sorted(autobahn.index, key=case_key)
    assert len(ids) >= MIN_CASES, "only %d cases in the report: %s ... %s" % (len(ids), ids[:3], ids[-3:])
    assert autobahn.server_alive, "the conformance server died during the run:\n" + autobahn.server.output()[-3000:]
    ran_through_its_door(autobahn)


def test_cases_1_to_11_are_strictly_ok(autobahn):
    ids = [i for i in sorted(autobahn.index, key=case_key) if not i.startswith(DEFLATE_GROUPS)]
    assert len(ids) >= 300
    bad = not_ok(autobahn, ids)
    counts = collections.Counter(line.split()[1] for line in bad)
    assert not bad, "%d cases are not OK (%s):\n%s" % (len(bad), dict(counts), "\n".join(bad))


def test_compression_cases_unimplemented_without_compression(autobahn):
    deflate = {i: v["behavior"] for i, v in autobahn.index.items() if i.startswith(DEFLATE_GROUPS)}
    assert len(deflate) > 200
    assert set(deflate.values()) == {"UNIMPLEMENTED"}, collections.Counter(deflate.values())


def test_deflate_cases_are_strictly_ok(autobahn_deflate):
    record(autobahn_deflate, "deflate")
    ids = sorted(autobahn_deflate.index, key=case_key)
    assert len(ids) >= (200 if FULL else 30), ids
    assert all(i.startswith(DEFLATE_GROUPS) for i in ids)
    bad = not_ok(autobahn_deflate, ids)
    assert not bad, "%d compression cases are not OK:\n%s" % (len(bad), "\n".join(bad))
    assert autobahn_deflate.server_alive, autobahn_deflate.server.output()[-3000:]
    ran_through_its_door(autobahn_deflate)
