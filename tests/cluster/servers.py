"""Real Redis, HAProxy, nginx and chat nodes for tests: Debian's binaries, on 127.0.0.1 and free
ports, in the foreground, with every file they write inside one temporary directory.

``run-tests`` installs them with apt when missing; a test that needs one that is not
installed is skipped with the install command.
"""

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

BINARIES = {"redis": "redis-server", "haproxy": "haproxy", "nginx": "nginx"}
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEARCH_PATH = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/usr/bin"


def binary(name):
    found = shutil.which(BINARIES[name], path=SEARCH_PATH)
    if found is None:
        pytest.skip("%s is not installed (apt-get install %s; ./run-tests does it)"
                    % (BINARIES[name], "redis-server" if name == "redis" else name))
    return found


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, proc, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s before listening" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("%s did not listen on port %d within %.0f s" % (what, port, timeout))


class Process(object):
    """One foreground server process, its output in a log file."""

    # The checkout whose code the process runs (a benchmark may point it at another).
    repo = REPO

    def __init__(self, name, directory, port):
        self.name = name
        self.directory = directory
        self.port = port
        self.proc = None
        self.log_path = os.path.join(directory, name + ".log")

    def command(self):
        raise NotImplementedError

    def start(self):
        env = dict(os.environ, PYTHONPATH=self.repo + os.pathsep + os.environ.get("PYTHONPATH", ""))
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.directory, stdout=log, env=env,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_for_port(self.port, self.proc, self.name)
        except Exception:
            self.stop()
            raise RuntimeError("%s did not start; its log:\n%s" % (self.name, self.log()))
        return self

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log(self):
        try:
            with open(self.log_path, "rb") as log:
                return log.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""


class RedisServer(Process):
    """redis-server with no persistence: a restart starts empty, as after a crash."""

    def __init__(self, directory, port=None):
        Process.__init__(self, "redis", directory, port or free_port())

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % (self.port,)

    def command(self):
        return [binary("redis"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", self.directory, "--logfile", "", "--protected-mode", "yes"]


def deploy_cluster():
    """deploy/cluster.py as a module: its renderers write the proxies' configs, so the
    shipped files are the ones tested."""
    spec = importlib.util.spec_from_file_location(
        "txsockjs_deploy_cluster", os.path.join(REPO, "deploy", "cluster.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Proxy(Process):
    """HAProxy or nginx in front of the nodes, configured from deploy/."""

    def __init__(self, kind, directory, node_ports):
        Process.__init__(self, kind, directory, free_port())
        binary(kind)
        self.argv = deploy_cluster().proxy_command(kind, directory, self.port, node_ports)

    def command(self):
        return self.argv

    @property
    def url(self):
        return "http://127.0.0.1:%d" % (self.port,)


class ChatNode(Process):
    """deploy/chat_node.py: one txsockjs node of the clustered chat."""

    def __init__(self, directory, name, redis_url, presence_ttl, extra=()):
        Process.__init__(self, name, directory, free_port())
        self.redis_url = redis_url
        self.presence_ttl = presence_ttl
        self.extra = list(extra)

    def command(self):
        return [sys.executable, os.path.join(self.repo, "deploy", "chat_node.py"), "--port", str(self.port),
                "--name", self.name, "--redis", self.redis_url, "--heartbeat", "2",
                "--presence-ttl", str(self.presence_ttl)] + self.extra

    def kill(self):
        """SIGKILL: no goodbye to Redis, no close frames."""
        proc, self.proc = self.proc, None
        proc.kill()
        proc.wait()
