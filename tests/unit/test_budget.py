"""The server-wide memory budget (``max_buffered_bytes``): the bytes queued
across every session of a factory or a site; past it, the session holding the
most applies its own overflow policy."""

import pytest
from twisted.internet.testing import MemoryReactorClock

from txsockjs.errors import SendBufferOverflow
from txsockjs.factory import SockJSFactory, SockJSMultiFactory
from tests.unit.helpers import RecorderFactory, make_site
from tests.unit.test_lifecycle import close_frames, messages_in, reopen_poll, slow_reader
from tests.unit.test_metrics import open_on
from tests.unit.test_door import open_session


def budget_site(limit, options=None):
    clock = MemoryReactorClock()
    app = RecorderFactory(echo=False)
    site = SockJSFactory(app, options, reactor=clock, max_buffered_bytes=limit)
    return site, app, clock


def never_polled(site, sids):
    """xhr sessions opened and never polled again; their applications' transports."""
    for sid in sids:
        open_session(site, "xhr", sid=sid).take()
    return [protocol.transport for protocol in site.service.factory.instances]


def test_the_session_holding_the_most_closes_first():
    site, app, clock = budget_site(1000)
    big, small, new = never_polled(site, ["big", "small", "new"])
    big.write(b"b" * 500)
    small.write(b"s" * 300)
    assert site.stats()["buffered_bytes"] == 800
    new.write(b"n" * 300)                                  # 1100 > 1000: "big" goes
    assert app.instances[0].lost and app.instances[0].lost[0].check(SendBufferOverflow)
    assert app.instances[1].lost == [] and app.instances[2].lost == []
    stats = site.stats()
    assert stats["buffered_bytes"] == 600
    assert stats["budget_overflows_total"] == {"close": 1}
    assert stats["services"][""]["sessions_closed_total"] == {"overflow": 1}
    assert close_frames(reopen_poll(site, "xhr", sid="big").take()) == \
        [b'c[1013,"Send buffer limit exceeded"]']
    assert messages_in(reopen_poll(site, "xhr", sid="small").take()) == ["s" * 300]
    assert messages_in(reopen_poll(site, "xhr", sid="new").take()) == ["n" * 300]
    assert site.stats()["buffered_bytes"] == 0             # every byte handed on is given back


def test_the_sender_itself_may_be_the_one_holding_the_most():
    site, app, clock = budget_site(1000)
    other, sender = never_polled(site, ["other", "sender"])
    other.write(b"o" * 300)
    sender.write(b"a" * 400)
    sender.write(b"b" * 400)                               # 1100: the sender holds 800
    assert app.instances[1].lost and app.instances[0].lost == []
    assert site.stats()["buffered_bytes"] == 300


@pytest.mark.parametrize("policy", ["drop_oldest", "drop_newest"])
def test_drop_policies_drop_from_the_session_holding_the_most(policy):
    site, app, clock = budget_site(1000, {"send_overflow": policy})
    other, most = never_polled(site, ["other", "most"])
    other.write(b"o" * 300)
    for n in range(8):                                     # 792 more: over at the 8th
        most.write(b"%099d" % n)
    # drop_newest drops the 8th itself, then the budget is met again
    assert app.instances[1].lost == [] and app.instances[0].lost == []
    assert site.stats()["buffered_bytes"] <= 1000
    got = messages_in(reopen_poll(site, "xhr", sid="most").take())
    expected = ["%099d" % n for n in range(8)]
    expected.remove(("%099d" % 0) if policy == "drop_oldest" else ("%099d" % 7))
    assert got == expected
    assert site.stats()["budget_overflows_total"] == {policy: 1}
    assert site.stats()["services"][""]["send_overflows_total"] == {policy: 1}
    assert messages_in(reopen_poll(site, "xhr", sid="other").take()) == ["o" * 300]


@pytest.mark.parametrize("policy", ["drop_oldest", "drop_newest"])
def test_a_budget_kept_full_is_not_scanned_on_every_send(policy, monkeypatch):
    """Clients that do not read keep the budget full: each send past it makes the session
    holding the most drop.  It drops at least a sixteenth of what it holds, so the sessions
    are scanned a few times per sixteenth of a buffer, not once per message (found in
    review: 64 stalled WebSockets made a broadcast to 10k sessions scan all of them once
    per stalled member and message)."""
    from txsockjs.server.budget import MemoryBudget
    site, app, clock = budget_site(80000, {"send_overflow": policy})
    stalled = never_polled(site, ["s%d" % n for n in range(8)])
    scans = []
    scan = MemoryBudget._holding_the_most
    monkeypatch.setattr(MemoryBudget, "_holding_the_most",
                        lambda self: scans.append(1) or scan(self))
    for n in range(5000):
        stalled[n % 8].write(b"%019d" % n)                 # 20 bytes each, 100,000 in all
    stats = site.stats()
    assert stats["buffered_bytes"] <= 80000
    assert len(scans) < 60, len(scans)                     # 24; one a send past it: 790
    assert all(protocol.lost == [] for protocol in app.instances)
    kept = [messages_in(reopen_poll(site, "xhr", sid="s%d" % n).take()) for n in range(8)]
    for number, messages in enumerate(kept):
        assert messages == sorted(messages)                # what is kept stays in order
        assert all(int(m) % 8 == number for m in messages)
    assert sum(map(len, kept)) * 20 >= 80000 * 15 // 16 - 8 * 20  # (most of the budget kept)


def test_one_budget_spans_every_service_of_a_multi_factory():
    clock = MemoryReactorClock()
    site = SockJSMultiFactory(reactor=clock, max_buffered_bytes=1000)
    apps = {prefix: RecorderFactory(echo=False) for prefix in ("a", "b")}
    for prefix, app in apps.items():
        site.addFactory(app, prefix)
        open_on(site, prefix, "xhr").take()
    apps["a"].instances[0].transport.write(b"a" * 600)
    apps["b"].instances[0].transport.write(b"b" * 500)
    assert apps["a"].instances[0].lost and not apps["b"].instances[0].lost
    assert site.stats()["buffered_bytes"] == 500


def test_a_slow_raw_websocket_counts_and_overflows_too():
    site, app, clock = budget_site(1000)
    [polled] = never_polled(site, ["polled"])
    slow_reader(site, "raw_websocket")
    raw = app.instances[1].transport
    polled.write(b"p" * 400)
    for n in range(6):
        raw.write(b"r" * 100)                              # waits: its socket is full
    assert site.stats()["buffered_bytes"] == 1000
    raw.write(b"x" * 100)                                  # 1100: the raw session holds 700
    assert app.instances[1].lost and app.instances[1].lost[0].check(SendBufferOverflow)
    assert site.stats()["buffered_bytes"] == 400


def test_a_session_that_keeps_up_is_untouched_and_holds_nothing():
    site, app, clock = budget_site(1000)
    flooded = never_polled(site, ["s%d" % n for n in range(20)])
    echo = open_session(site, "websocket", sid="echo")
    echo.take()
    for round in range(20):
        flooded[round].write(b"%0400d" % round)            # from the third on, one closes
        app.instances[20].transport.write(b"ping %d" % round)
        clock.advance(0)
        assert messages_in(echo.take()) == ["ping %d" % round]
        assert site.stats()["buffered_bytes"] <= 1000
    assert app.instances[20].lost == []
    assert site.stats()["budget_overflows_total"] == {"close": 18}


def test_the_default_budget_is_documented_and_none_turns_it_off():
    site, app, clock = make_site()
    assert site.stats()["max_buffered_bytes"] == 64 << 20
    site, app, clock = budget_site(None)
    assert site.stats()["max_buffered_bytes"] is None
    sessions = never_polled(site, ["s%d" % n for n in range(3)])
    for transport in sessions:
        transport.write(b"x" * 1000)
    assert site.stats()["buffered_bytes"] == 3000 and site.stats()["budget_overflows_total"] == {}


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "64M"])
def test_bad_budgets_are_refused_naming_the_argument(bad):
    from txsockjs.web import SockJSSite
    from twisted.web.resource import Resource
    for make in (lambda: SockJSFactory(RecorderFactory(), max_buffered_bytes=bad),
                 lambda: SockJSMultiFactory(max_buffered_bytes=bad),
                 lambda: SockJSSite(Resource(), max_buffered_bytes=bad)):
        with pytest.raises(ValueError) as info:
            make()
        assert str(info.value).startswith("max_buffered_bytes: "), str(info.value)


def test_the_sockjs_resources_of_a_site_share_its_budget():
    from twisted.web.resource import Resource
    from txsockjs.web import SockJSResource, SockJSSite
    from tests.unit.helpers import TCPStringTransport, request
    from twisted.internet.address import IPv4Address
    clock = MemoryReactorClock()
    apps = {name: RecorderFactory(echo=False) for name in ("a", "b")}
    root = Resource()
    resources = {}
    for name, app in apps.items():
        resources[name] = SockJSResource(app, reactor=clock)
        root.putChild(name.encode("ascii"), resources[name])
    site = SockJSSite(root, max_buffered_bytes=1000)
    for name in apps:
        channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        channel.makeConnection(TCPStringTransport(
            hostAddress=IPv4Address("TCP", "127.0.0.1", 8080),
            peerAddress=IPv4Address("TCP", "127.0.0.1", 40000)))
        channel.dataReceived(request("POST", "/%s/000/s1/xhr" % name, body=b""))
    apps["a"].instances[0].transport.write(b"a" * 600)
    apps["b"].instances[0].transport.write(b"b" * 500)
    assert apps["a"].instances[0].lost and not apps["b"].instances[0].lost
    for resource in resources.values():
        stats = resource.stats()
        assert stats["buffered_bytes"] == 500 and stats["max_buffered_bytes"] == 1000
    # a resource in a plain Site has a budget of its own, of the default size
    assert SockJSResource(RecorderFactory(), reactor=clock).stats()["max_buffered_bytes"] == 64 << 20
    for resource in resources.values():
        resource.stop()


def test_budget_overflows_are_prometheus_metrics():
    from prometheus_client.registry import CollectorRegistry
    from txsockjs.metrics import register
    site, app, clock = budget_site(1000)
    registry = CollectorRegistry()
    register(site, registry)
    big, small = never_polled(site, ["big", "small"])
    big.write(b"b" * 700)
    small.write(b"s" * 400)
    assert registry.get_sample_value("txsockjs_budget_overflows_total", {"policy": "close"}) == 1
    assert registry.get_sample_value("txsockjs_budget_overflows_total", {"policy": "drop_oldest"}) == 0
    assert registry.get_sample_value("txsockjs_buffered_bytes") == 400
    assert registry.get_sample_value("txsockjs_max_buffered_bytes") == 1000



@pytest.mark.parametrize("policy", ["close", "drop_oldest", "drop_newest"])
def test_the_count_is_exact_whatever_happens(policy):
    # used == the sum of what the buffers hold, and within the limit after every send,
    # through sends, overflows, polls and closes in random order.
    from hypothesis import given, settings, strategies as st
    from txsockjs.protocol.sendbuffer import Budget
    from txsockjs.protocol.session import Session

    class Shared(Budget):
        def __init__(self, limit):
            Budget.__init__(self, limit)
            self.sessions = []

        def shed(self):
            while self.used > self.limit:
                most = max(self.sessions, key=lambda s: s.buffer.size)
                most.over_budget(int(self.used - self.limit))

    class Poll(object):
        def send_frame(self, frame):
            return False        # a polling response: one frame

        def finish(self):
            pass

    steps = st.lists(st.tuples(st.sampled_from(["send", "poll", "close"]),
                               st.integers(0, 3), st.integers(1, 400)), max_size=60)

    @settings(max_examples=60, deadline=None)
    @given(steps)
    def run(steps):
        clock = MemoryReactorClock()
        budget = Shared(1000)
        sessions = [Session("s%d" % n, clock, 25, 5, send_limit=600, overflow=policy,
                            budget=budget) for n in range(4)]
        budget.sessions = sessions
        for session in sessions:
            session.attach(Poll())         # opened; now between polls
        for action, which, size in steps:
            session = sessions[which]
            if action == "send":
                session.send("é" * (size // 2) + "x" * (size % 2))
                assert budget.used <= budget.limit
            elif action == "poll":
                session.attach(Poll())
            else:
                session.close()
            assert budget.used == sum(s.buffer.size for s in sessions)
            assert all(s.buffer.size == sum(len(m.encode("utf-8")) for m in s.buffer.queued())
                       for s in sessions)
        clock.advance(10)                   # every one gone: nothing left counted
        assert budget.used == sum(s.buffer.size for s in sessions)

    run()
