"""Real Redis, HAProxy and nginx for tests: Debian's binaries, on 127.0.0.1 and free
ports, in the foreground, with every file they write inside one temporary directory.

``run-tests`` installs them with apt when missing; a test that needs one that is not
installed is skipped with the install command.
"""

import os
import shutil
import socket
import subprocess
import time

import pytest

BINARIES = {"redis": "redis-server", "haproxy": "haproxy", "nginx": "nginx"}
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

    def __init__(self, name, directory, port):
        self.name = name
        self.directory = directory
        self.port = port
        self.proc = None
        self.log_path = os.path.join(directory, name + ".log")

    def command(self):
        raise NotImplementedError

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.directory, stdout=log,
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


class ConfiguredProcess(Process):
    """A server started on one config file, written into its directory."""

    config_name = None

    def __init__(self, directory, config_text, port):
        Process.__init__(self, self.name, directory, port)
        self.config_path = os.path.join(directory, self.config_name)
        with open(self.config_path, "w") as config:
            config.write(config_text)


class HAProxy(ConfiguredProcess):
    name, config_name = "haproxy", "haproxy.cfg"

    def command(self):
        # -db: stay in the foreground, no daemon
        return [binary("haproxy"), "-db", "-f", self.config_path]


class Nginx(ConfiguredProcess):
    name, config_name = "nginx", "nginx.conf"

    def command(self):
        return [binary("nginx"), "-p", self.directory + "/", "-c", self.config_path]
