"""Shared machinery for the end-to-end tests (tests/e2e and tests/autobahn).

* finding the external tools (node, the npm packages, Debian's chromium, Autobahn's wstest):
  when one is missing the test FAILS with a message that says to use ./run-tests, unless
  TXSOCKJS_SKIP_E2E=1 is set, in which case it is skipped;
* starting ``python -m txsockjs <command>`` on a free loopback port and stopping it again;
* a small static HTTP server (a thread in the pytest process) that serves the npm copy of
  sockjs-client and the test pages, on another origin than the SockJS server.

Everything listens on 127.0.0.1 only, and every process started here is killed at teardown.
"""

import http.server
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parent.parent
NODE_MODULES = E2E_DIR / "node_modules"
SOCKJS_MIN_JS = NODE_MODULES / "sockjs-client" / "dist" / "sockjs.min.js"
ARTIFACTS = E2E_DIR / "artifacts"

# (title, text) pairs that tests record; printed at the end of the pytest run.
SUMMARIES = []

# "listening on ..." (demo, conformance), "txsockjs serving ... on ..." (serve)
LISTENING_RE = re.compile(r"(?:listening|serving .*) on (https?)://127\.0\.0\.1:(\d+)")

USE_RUN_TESTS = (
    "Run the suite with ./run-tests (it installs Chromium, the npm packages and the Autobahn "
    "virtualenv), or set TXSOCKJS_SKIP_E2E=1 to skip the end-to-end tests.")


def e2e_skipped():
    return os.environ.get("TXSOCKJS_SKIP_E2E", "") not in ("", "0")


def missing(what):
    """Fail (or skip under TXSOCKJS_SKIP_E2E=1) because an external tool is missing."""
    if e2e_skipped():
        pytest.skip("TXSOCKJS_SKIP_E2E is set")
    pytest.fail("%s. %s" % (what, USE_RUN_TESTS), pytrace=False)


def node_executable():
    node = os.environ.get("TXSOCKJS_NODE") or shutil.which("node")
    if not node:
        missing("node (Node.js) is not on PATH")
    return node


def require_npm_packages():
    for package in ("sockjs-client", "playwright-core", "permessage-deflate"):
        if not (NODE_MODULES / package / "package.json").exists():
            missing("npm package %r is not installed in %s" % (package, NODE_MODULES))
    if not SOCKJS_MIN_JS.exists():
        missing("%s is missing" % SOCKJS_MIN_JS)


def chromium_executable():
    path = os.environ.get("TXSOCKJS_CHROMIUM", "/usr/bin/chromium")
    if not os.access(path, os.X_OK):
        missing("Chromium is not installed at %s (Debian package 'chromium')" % path)
    return path


def wstest_executable():
    path = os.environ.get("TXSOCKJS_WSTEST")
    if not path:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "txsockjs"
        found = sorted(cache.glob("autobahn-py27-*/bin/wstest"))
        path = str(found[-1]) if found else ""
    if not path or not os.access(path, os.X_OK):
        missing("Autobahn|Testsuite's wstest (a Python 2.7 virtualenv) was not found")
    return path


def child_env(**extra):
    """The environment for child processes: ours (kernel selection included) plus extras."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def kill_process_group(proc, grace=5.0):
    """Terminate a process started with start_new_session=True, and all its children."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(grace)


class ServerProcess:
    """``python -m txsockjs <command> --host 127.0.0.1 --port 0 ...`` in a subprocess,
    or ``python <script> --host 127.0.0.1 --port 0 ...`` when ``script`` is given, or
    ``python -m txsockjs <command> <args>`` as given when ``own_listen`` (``serve
    --listen ...``)."""

    def __init__(self, command, *args, log_dir=None, start_timeout=30.0, script=None,
                 own_listen=False):
        self.command = command
        self.script = script
        self.own_listen = own_listen
        self.args = [str(a) for a in args]
        self.start_timeout = start_timeout
        self.log_dir = Path(log_dir or ARTIFACTS)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_dir / ("server-%s-%d.log" % (command, os.getpid()))
        self.port = None
        self.scheme = "http"
        self.proc = None
        self._lines = []
        self._ready = threading.Event()

    @property
    def base_url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def start(self):
        program = [str(self.script)] if self.script else ["-m", "txsockjs", self.command]
        listen = [] if self.own_listen else ["--host", "127.0.0.1", "--port", "0"]
        argv = [sys.executable] + program + listen + self.args
        self._log = open(self.log_path, "w", encoding="utf-8", errors="replace")
        self._log.write("$ %s\n" % " ".join(argv))
        self._log.flush()
        self.proc = subprocess.Popen(
            argv, cwd=str(REPO_ROOT), env=child_env(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        reader = threading.Thread(target=self._read, daemon=True)
        reader.start()
        deadline = time.monotonic() + self.start_timeout
        while not self._ready.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                reader.join(1.0)
                output = "".join(self._lines[-60:])
                self.stop()
                pytest.fail(
                    "`python -m txsockjs %s` did not print 'listening on http://127.0.0.1:<port>' "
                    "within %.0f s (exit code %s). Its output:\n%s"
                    % (self.command, self.start_timeout, self.proc.returncode, output),
                    pytrace=False)
        return self

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace")
            self._lines.append(line)
            if len(self._lines) > 2000:
                del self._lines[:1000]
            try:
                self._log.write(line)
                self._log.flush()
            except ValueError:
                pass
            if self.port is None:
                match = LISTENING_RE.search(line)
                if match:
                    self.scheme, self.port = match.group(1), int(match.group(2))
                    self._ready.set()

    def output(self):
        return "".join(self._lines)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None:
            kill_process_group(self.proc)
            if self.proc.stdout:
                self.proc.stdout.close()
        if getattr(self, "_log", None):
            self._log.close()


class _StaticHandler(http.server.BaseHTTPRequestHandler):
    """Serves /sockjs.min.js (the npm copy) and files under tests/e2e/pages/."""

    protocol_version = "HTTP/1.1"
    server_version = "txsockjs-e2e-static"

    def log_message(self, fmt, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in ("/sockjs.min.js", "/sockjs.js"):
            file = SOCKJS_MIN_JS
            ctype = "application/javascript; charset=utf-8"
        elif path.startswith("/pages/") and ".." not in path:
            file = E2E_DIR / path.lstrip("/")
            ctype = "text/html; charset=utf-8" if path.endswith(".html") else "application/javascript"
        else:
            file = None
        if file is None or not file.is_file():
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        else:
            body = file.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class StaticServer:
    """A threaded HTTP server on 127.0.0.1:<free port>, run inside the test process; HTTPS
    with ``tls`` (a TLSCertificate): an https page cannot load the client over http."""

    def __init__(self, tls=None):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StaticHandler)
        self.httpd.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls:
            self.httpd.socket = tls.server_context().wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    @property
    def sockjs_url(self):
        return self.base_url + "/sockjs.min.js"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class TLSCertificate:
    """A self-signed certificate for 127.0.0.1 (openssl), for the servers' TLS.  Node trusts
    it by its file (NODE_EXTRA_CA_CERTS); Chromium, which reads trust from an NSS database,
    is told to ignore certificate errors (browser.mjs, config ``ignoreHTTPSErrors``)."""

    def __init__(self, folder):
        self.cert, self.key = str(Path(folder) / "cert.pem"), str(Path(folder) / "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", self.key, "-out", self.cert], check=True, capture_output=True)

    def server_context(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def run_node_script(script, config, timeout, cwd=E2E_DIR, log_name=None, env=None):
    """Run ``node <script>`` with a JSON config on stdin; return the JSON object it prints last.

    The script prints progress to stderr (kept in artifacts/<log_name>) and exactly one JSON
    document on its last stdout line.  ``env``: more environment variables for it.
    """
    node = node_executable()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / (log_name or (Path(script).stem + ".log"))
    with open(log_path, "wb") as err_file:
        proc = subprocess.Popen(
            [node, str(E2E_DIR / script)], cwd=str(cwd), env=child_env(**(env or {})),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err_file,
            start_new_session=True)
        try:
            out, _ = proc.communicate(json.dumps(config).encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_process_group(proc)
            out, _ = proc.communicate()
            pytest.fail("node %s did not finish within %d s. Its log (%s) ends:\n%s"
                        % (script, timeout, log_path, _tail(log_path)), pytrace=False)
        finally:
            kill_process_group(proc)
    text = out.decode("utf-8", "replace").strip()
    # split on newlines only: str.splitlines() also splits on U+2028, which messages carry
    last = text.rstrip("\n").split("\n")[-1] if text else ""
    try:
        return json.loads(last)
    except ValueError:
        pytest.fail("node %s exited %s without a JSON result.\nstdout:\n%s\nlog (%s):\n%s"
                    % (script, proc.returncode, text[-4000:], log_path, _tail(log_path)),
                    pytrace=False)


def _tail(path, chars=4000):
    try:
        return Path(path).read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def write_summaries(terminalreporter):
    """Print (once) the summaries tests recorded; called from the conftests' terminal hook."""
    while SUMMARIES:
        title, text = SUMMARIES.pop(0)
        terminalreporter.write_sep("-", title)
        terminalreporter.write_line(text)
