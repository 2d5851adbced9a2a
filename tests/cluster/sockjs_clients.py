"""sockjs-client connections under Node (cluster_client.mjs), driven from a test."""

import json
import os
import shutil
import subprocess
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_MODULES = os.path.join(os.path.dirname(HERE), "e2e", "node_modules")


def require_node_client():
    if os.environ.get("TXSOCKJS_SKIP_E2E", "") not in ("", "0"):
        pytest.skip("TXSOCKJS_SKIP_E2E is set (the sockjs-client tests need Node and npm packages)")
    node = os.environ.get("TXSOCKJS_NODE") or shutil.which("node")
    if node is None or not os.path.exists(os.path.join(NODE_MODULES, "sockjs-client", "package.json")):
        pytest.fail("Node or tests/e2e/node_modules/sockjs-client is missing: run ./run-tests once "
                    "(or TXSOCKJS_SKIP_E2E=1 to skip these tests)")
    return node


class NodeClients(object):
    """Every event of every client, in arrival order; ``wait`` blocks on a condition."""

    def __init__(self, log_path):
        self.events = []
        self.changed = threading.Condition()
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [require_node_client(), os.path.join(HERE, "cluster_client.mjs")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.log.write(line)
            event = json.loads(line)
            with self.changed:
                self.events.append(event)
                self.changed.notify_all()

    def command(self, **command):
        self.proc.stdin.write((json.dumps(command) + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def wait(self, condition, timeout=20.0, what="a condition"):
        """condition(events) -> a true value, returned; AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                value = condition(self.events)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %s; last events: %s"
                                         % (what, self.events[-15:]))
                self.changed.wait(left)

    def messages(self, name, since=0):
        return [event["data"] for event in self.events[since:]
                if event["name"] == name and event["event"] == "message"]

    def ask(self, name, text, timeout=20.0):
        """Send a /command and return its JSON reply (the next message starting with {)."""
        mark = len(self.events)
        self.command(op="send", name=name, data=text)

        def reply(events):
            for data in self.messages(name, mark):
                if data.startswith("{"):
                    return json.loads(data)
        return self.wait(reply, timeout, "the reply to %r from %s" % (text, name))

    def stop(self):
        try:
            self.command(op="exit")
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.log.close()
