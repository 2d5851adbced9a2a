"""Helpers for the front-door tests: a server subprocess, TCP services the
proxy bridges to, and SockJS sessions read message by message.

Everything listens on 127.0.0.1 port 0; everything started is stopped by its
``close``/``stop`` (the tests use them as context managers or fixtures).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from . import wire
from .conftest import REPO

LISTENING = re.compile(r"on http://127\.0\.0\.1:(\d+)/")


def env():
    out = dict(os.environ)
    # (no empty entry: it would put the working directory on sys.path)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, out.get("PYTHONPATH")]))
    out["PYTHONUNBUFFERED"] = "1"
    return out


def twistd(*args):
    """argv running twistd in the foreground with this interpreter."""
    return [sys.executable, "-c", "from twisted.scripts.twistd import run; run()", "-n"] + list(args)


def serve(*args):
    return [sys.executable, "-m", "txsockjs", "serve"] + list(args)


def run(argv, timeout=20):
    """(exit status, stdout, stderr) of a command that should end by itself."""
    done = subprocess.run(argv, cwd=REPO, env=env(), capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


class Proc:
    """A server subprocess; its output lines are collected as they come."""

    def __init__(self, argv, cwd=REPO):
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = []
        self.changed = threading.Condition()
        self.readers = [threading.Thread(target=self._drain, args=(pipe,), daemon=True)
                        for pipe in (self.proc.stdout, self.proc.stderr)]
        for reader in self.readers:
            reader.start()

    def _drain(self, pipe):
        for raw in iter(pipe.readline, b""):
            with self.changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, pattern, timeout=20, start=0):
        """The first match of ``pattern`` in the output lines from ``start`` on."""
        pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines[start:]:
                    found = pattern.search(line)
                    if found:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self.changed.wait(0.2):
                    raise AssertionError("no %r in the output:\n%s" % (pattern.pattern, self.output()))
                self.changed.wait(min(left, 0.5))  # (and look again whether it exited)

    def addr(self, timeout=20):
        return self.addrs(1, timeout)[0]

    def addrs(self, count, timeout=20):
        """The addresses of the first ``count`` "on http://127.0.0.1:PORT/" lines."""
        found = []
        start = 0
        while len(found) < count:
            match = self.wait_for(LISTENING, timeout, start)
            found.append(("127.0.0.1", int(match.group(1))))
            with self.changed:
                start = next(i for i, line in enumerate(self.lines)
                             if i >= start and LISTENING.search(line)) + 1
        return found

    def output(self):
        with self.changed:
            return "\n".join(self.lines)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Send ``sig`` and return the exit status (killed after ``timeout``)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError("did not stop on signal %d:\n%s" % (sig, self.output()))
        for reader in self.readers:
            reader.join(5)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class TcpService:
    """A TCP server in threads: ``handler(sock, service)`` runs per connection.

    ``events`` records ("closed", n) when connection n saw the client's EOF.
    """

    def __init__(self, handler):
        self.handler = handler
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.addr = self.listener.getsockname()
        self.endpoint = "tcp:127.0.0.1:%d" % self.addr[1]
        self.connections = []
        self.events = []
        self.changed = threading.Condition()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            with self.changed:
                self.connections.append(sock)
                number = len(self.connections)
            thread = threading.Thread(target=self._run, args=(sock, number), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _run(self, sock, number):
        try:
            self.handler(sock, self)
        except OSError:
            pass
        self.note(("closed", number))
        try:
            sock.close()
        except OSError:
            pass

    def note(self, event):
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def wait_event(self, event, timeout=5):
        deadline = time.monotonic() + timeout
        with self.changed:
            while event not in self.events:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %r; events %r" % (event, self.events))
                self.changed.wait(left)

    def close(self):
        self.listener.close()
        with self.changed:
            connections = list(self.connections)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self.threads:
            thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def echo_handler(sock, service):
    while True:
        data = sock.recv(65536)
        if not data:
            return
        sock.sendall(data)


def line_handler(sock, service):
    """Greets, answers each line, and hangs up on ``quit``."""
    sock.sendall(b"welcome\n")
    pending = b""
    while True:
        data = sock.recv(65536)
        if not data:
            return
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line == b"quit":
                sock.sendall(b"bye\n")
                service.note("quit")
                return
            sock.sendall(b"you said: " + line + b"\n")


class WebSocketSession:
    """A SockJS session over a websocket, read one message at a time."""

    def __init__(self, addr, prefix=""):
        url = "%s/000/%s/websocket" % (prefix, wire.new_session_id())
        self.ws = wire.SockJSWebSocket.connect(addr, url)
        self.pending = []
        self.close_frame = None
        assert self.ws.recv_sockjs() == "o"

    def send(self, *messages):
        self.ws.send_json(list(messages))

    def recv(self, timeout=5):
        """The next message (str); None once the session closed (see close_frame)."""
        deadline = time.monotonic() + timeout
        while not self.pending:
            if self.close_frame is not None:
                return None
            frame = self.ws.recv_sockjs(max(0.001, deadline - time.monotonic()))
            if frame is None or not isinstance(frame, str):
                self.close_frame = self.close_frame or "socket closed"
            elif frame.startswith("c"):
                self.close_frame = json.loads(frame[1:])
            else:
                self.pending.extend(wire.frame_messages(frame))
        return self.pending.pop(0)

    def recv_text(self, length, timeout=5):
        """Messages joined until they hold ``length`` characters."""
        deadline = time.monotonic() + timeout
        text = ""
        while len(text) < length:
            message = self.recv(max(0.001, deadline - time.monotonic()))
            assert message is not None, "session closed %r after %r" % (self.close_frame, text)
            text += message
        return text

    def wait_closed(self, timeout=5):
        deadline = time.monotonic() + timeout
        while self.close_frame is None:
            self.recv(max(0.001, deadline - time.monotonic()))
        return self.close_frame

    def close(self):
        self.ws.send_close()
        self.ws.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.ws.close()
