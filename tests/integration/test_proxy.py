"""Proxy flow control over loopback: a TCP service that floods, a SockJS
client that stops reading.  The proxy must pause the TCP side, so what the
service manages to send and what the proxy holds both level off."""

import time

import pytest

from .frontdoor import Proc, TcpService, WebSocketSession, serve

BLOCK = 64 * 1024


class Flood:
    def __init__(self):
        self.sent = 0

    def __call__(self, sock, service):
        block = b"x" * BLOCK
        while True:
            sock.sendall(block)
            self.sent += BLOCK


def rss(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def wait_level(read, steady=1.0, timeout=15.0):
    """The value of ``read()`` once it stopped changing for ``steady`` seconds."""
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= steady:
            return last
    raise AssertionError("still growing after %.0f s: %r" % (timeout, last))


@pytest.mark.timeout(60)
def test_a_slow_reader_pauses_a_flooding_service():
    flood = Flood()
    with TcpService(flood) as service, \
            Proc(serve("--listen", "tcp:0:interface=127.0.0.1", "--proxy", service.endpoint,
                       "--heartbeat", "30")) as proc:
        addr = proc.addr()
        before = rss(proc.proc.pid)
        with WebSocketSession(addr) as session:
            assert session.recv(), "the flood reaches the client"
            # The client reads nothing more: the flood must stop, held back
            # by full socket buffers, because the proxy stopped reading.
            sent = wait_level(lambda: flood.sent)
            grown = rss(proc.proc.pid) - before
            assert sent < 64 * 1024 * 1024, sent
            assert grown < 48 * 1024 * 1024, grown
            # Reading again resumes the service.
            session.recv_text(8 * 1024 * 1024, timeout=20)
            deadline = time.monotonic() + 10
            while flood.sent <= sent:
                assert time.monotonic() < deadline, "the service was never resumed"
                time.sleep(0.05)
        assert "Traceback" not in proc.output(), proc.output()
