"""Integration fixtures: one real ``txsockjs conformance`` server per test session.

The server runs as a subprocess listening on 127.0.0.1 with a random port, short
heartbeat (1 s), disconnect delay (2 s) and a 4096-byte streaming limit. After every
test we check that the process is still alive; if a test crashed it, that test fails
and a fresh server is started so the rest of the suite still means something. At the
end of the session the server must still be alive, and it is then stopped. A test also
fails when the server logs a traceback while it runs.

Environment: TXSOCKJS_NO_EXTENSIONS=1 runs the whole suite on the pure-Python kernels
(it is passed to the server); TXSOCKJS_TEST_REPO=<dir> serves another copy of txsockjs
(e.g. a ``git archive`` snapshot of a commit). A few tests (``any_addr``) always run on
both kernel paths.

``door_addr`` runs a test through every front door: our own HTTP channel and a
twisted.web Site (a second server, ``conformance --front web``, started when first
needed); the WebSocket tests use it, so every Python and Twisted of the matrix runs them
through both doors.

TXSOCKJS_TEST_FRONT=web serves the same services as SockJSResources in a twisted.web
Site (``conformance --front web``) and runs only the modules in ``WEB_FRONT_MODULES``:
those about SockJS behaviour, not about our own HTTP parser.  A test that cannot hold
through twisted.web is marked ``@own_front_only("why")`` and skipped there with that
reason; every assertion stays as it is for our own front door.
"""

import collections
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from . import wire

# The checkout whose ``txsockjs`` is served; TXSOCKJS_TEST_REPO points the suite at another
# copy (e.g. a snapshot of a commit) without changing the tests.
REPO = os.environ.get("TXSOCKJS_TEST_REPO") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEARTBEAT = 1.0
TIMEOUT = 2.0
STREAMING_LIMIT = 4096
# The library default (1 MiB); the conformance command defaults to 32 MiB for Autobahn.
MAX_MESSAGE_SIZE = 1024 * 1024
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
# "own": our HTTP channel (the default); "web": twisted.web with SockJSResources.
FRONT = os.environ.get("TXSOCKJS_TEST_FRONT", "own")
if FRONT not in ("own", "web"):
    raise RuntimeError("TXSOCKJS_TEST_FRONT must be own or web, not %r" % (FRONT,))
# The modules about SockJS behaviour, which hold on any front door.
# (test_websocket.py runs through both doors in every pass: see door_addr)
WEB_FRONT_MODULES = ("test_xhr.py", "test_other_transports.py", "test_sessions.py",
                     "test_encoding.py", "test_broadcast.py", "test_urls.py", "test_refusals.py")
DOORS = ("own", "web")
# Every server this session started, each watched for crashes and tracebacks.
STARTED = []


def own_front_only(reason):
    """Marks a test that cannot hold through twisted.web, and says why."""
    return pytest.mark.own_front_only(reason=reason)


class Server:
    """Handle on the running server; ``addr`` and ``base`` follow restarts."""

    def __init__(self, extra_env=None, argv=None, keep_lines=400, front=None):
        self.extra_env = dict(extra_env or {})
        self.front = front or FRONT
        # Another server script (it must print "listening on http://127.0.0.1:<port>").
        self.argv = argv
        self.proc = None
        self.addr = None
        self.base = None
        self.output = collections.deque(maxlen=keep_lines)
        self.lines_seen = 0  # total lines read from the server so far
        self.crashes = []
        self.tracebacks = []

    def start(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.extra_env)
        cmd = self.argv or [
            sys.executable, "-m", "txsockjs", "conformance", "--host", "127.0.0.1",
            "--port", "0", "--streaming-limit", str(STREAMING_LIMIT),
            "--heartbeat", str(int(HEARTBEAT)), "--timeout", str(int(TIMEOUT)),
            "--max-message-size", str(MAX_MESSAGE_SIZE), "--front", self.front]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        found = {}
        ready = threading.Event()

        def drain(proc=self.proc):
            for raw in iter(proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.output.append(line)
                self.lines_seen += 1
                m = LISTENING.search(line)
                if m and not ready.is_set():
                    found["port"] = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(20) or "port" not in found:
            self.stop()
            raise RuntimeError("server did not start:\n" + "\n".join(self.output))
        port = found["port"]
        self.addr = ("127.0.0.1", port)
        self.base = "http://127.0.0.1:%d" % port

    def rss(self):
        """Resident memory of the server process in bytes (Linux /proc)."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def lines_since(self, seen):
        count = self.lines_seen - seen
        if count <= 0:
            return []
        return list(self.output)[-count:]

    def log_tail(self, n=40):
        return "\n".join(list(self.output)[-n:])


def _serve(srv):
    srv.start()
    STARTED.append(srv)
    try:
        yield srv
        assert srv.alive(), "server process died (exit %r):\n%s" % (srv.proc.returncode, srv.log_tail())
        assert not srv.crashes, "server crashed during: %s" % srv.crashes
    finally:
        STARTED.remove(srv)
        srv.stop()


@pytest.fixture(scope="session")
def server():
    yield from _serve(Server())


@pytest.fixture(scope="session")
def other_door_server():
    """The same services through the other front door than ``server``'s."""
    yield from _serve(Server(front="web" if FRONT == "own" else "own"))


@pytest.fixture(params=DOORS)
def door_server(request, server):
    """Run a test through each front door: our own HTTP channel, and twisted.web."""
    if request.param == server.front:
        return server
    return request.getfixturevalue("other_door_server")


@pytest.fixture
def door_addr(door_server):
    return door_server.addr


@pytest.fixture(scope="session")
def pure_server():
    """A second server forced onto the pure-Python kernels (TXSOCKJS_NO_EXTENSIONS=1),
    for the tests that compare both paths."""
    srv = Server({"TXSOCKJS_NO_EXTENSIONS": "1"})
    srv.start()
    try:
        yield srv
        assert srv.alive(), "pure-Python server died:\n" + srv.log_tail()
    finally:
        srv.stop()


@pytest.fixture(params=["default", "pure"])
def any_addr(request, server):
    """Run a test against the default server (compiled kernels when built) and the
    pure-Python one."""
    if request.param == "default":
        return server.addr
    return request.getfixturevalue("pure_server").addr


@pytest.fixture(autouse=True)
def _server_must_survive(request, server):
    seen = {id(srv): srv.lines_seen for srv in STARTED}
    yield
    for srv in list(STARTED):
        if not srv.alive():
            srv.crashes.append(request.node.nodeid)
            tail = srv.log_tail()
            srv.start()
            pytest.fail("the %s server process died during this test:\n%s" % (srv.front, tail))
        # an unhandled exception in the server is a bug even if the client saw nothing
        new = srv.lines_since(seen.get(id(srv), 0))
        if any("Traceback" in line for line in new):
            srv.tracebacks.append(request.node.nodeid)
            pytest.fail("the %s server logged a traceback during this test (or just before "
                        "it):\n%s" % (srv.front, "\n".join(new[-60:])))


@pytest.fixture
def addr(server):
    return server.addr


def pytest_configure(config):
    config.addinivalue_line("markers", "own_front_only(reason): cannot hold through twisted.web")


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__))
    kept, other_front = [], []
    for item in items:
        if not str(item.fspath).startswith(here):
            kept.append(item)
            continue
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(20))
        if FRONT == "web":
            # the modules about our own HTTP channel or another front door are left out
            if os.path.basename(str(item.fspath)) not in WEB_FRONT_MODULES:
                other_front.append(item)
                continue
            marker = item.get_closest_marker("own_front_only")
            if marker is not None:
                item.add_marker(pytest.mark.skip(reason="not through twisted.web: "
                                                        + marker.kwargs["reason"]))
        kept.append(item)
    if other_front:
        config.hook.pytest_deselected(items=other_front)
        items[:] = kept

