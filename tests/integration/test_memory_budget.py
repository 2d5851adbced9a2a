"""The server-wide memory budget against the attack it is for: many sessions
from one client that are sent a lot and never poll.  The server runs in a
subprocess of its own, so its resident memory is its alone."""

import sys

import pytest

from . import wire
from .conftest import Server

MiB = 1 << 20
SESSIONS = 500          # each sent 1 MiB: 500 MiB without a budget
BUDGET = 64 * MiB
MAX_GROWTH = 96 * MiB


def echoes(addr, url, text):
    assert wire.xhr_send(addr, url, [text]).status == 204
    resp = wire.xhr(addr, url)
    return resp.status == 200 and wire.frame_messages(resp.body.decode("utf-8").strip()) == [text]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("front", ["own", "web"])
def test_never_polled_sessions_cannot_hold_more_than_the_budget(front):
    server = Server(argv=[sys.executable, "-m", "tests.integration.budget_server", front,
                          str(BUDGET)])
    server.start()
    try:
        addr = server.addr
        good = "/app/000/good"
        wire.open_session(addr, good)
        assert echoes(addr, good, "warm")
        # One flood read back, so the allocator has seen a 1 MiB round trip.
        wire.open_session(addr, "/app/000/warm")
        assert wire.xhr_send(addr, "/app/000/warm", ["flood"]).status == 204
        assert len(wire.xhr(addr, "/app/000/warm", timeout=10).body) > MiB
        before = server.rss()
        for n in range(SESSIONS):
            url = "/app/000/flood%d" % n
            wire.open_session(addr, url)
            assert wire.xhr_send(addr, url, ["flood"]).status == 204   # 1 MiB queued, never polled
            if n % 50 == 0:
                assert echoes(addr, good, "ping %d" % n), n      # a well-behaved session
        grown = server.rss() - before
        assert grown < MAX_GROWTH, "the server grew by %d MiB" % (grown // MiB)
        assert echoes(addr, good, "still here")
        # The budget is what bounded it: all but what fits in it were closed with 1013
        # (which of the sessions holding 1 MiB each goes first is not said), and the
        # others still have their whole megabyte.
        closed = 0
        for n in range(SESSIONS):
            body = wire.xhr(addr, "/app/000/flood%d" % n, timeout=10).body
            if body == b'c[1013,"Send buffer limit exceeded"]\n':
                closed += 1
            else:
                assert len(wire.frame_messages(body.decode("utf-8").strip())) == 16, body[:100]
        assert closed >= SESSIONS - BUDGET // MiB, closed
        assert server.alive()
        assert not any("Traceback" in line for line in server.output), server.log_tail()
    finally:
        server.stop()
