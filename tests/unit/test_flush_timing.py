"""When the sessions' output leaves: at the end of the read that caused it
(one frame and one write per read), else on the next reactor turn."""

from txsockjs._speedups import build_frame

from tests.unit.helpers import Client, make_site, request, split_response
from tests.unit.test_site import _client_frame, poll


def websocket(site):
    client = Client(site)
    client.send(request("GET", "/000/s1/websocket", headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]))
    assert client.take().endswith(b"\x81\x01o")
    return client


def test_an_echo_leaves_before_the_read_returns_with_no_reactor_turn():
    site, app, clock = make_site()
    client = websocket(site)
    client.send(_client_frame(1, b'["hi"]'))
    assert client.take() == build_frame(1, b'a["hi"]')
    assert not clock.getDelayedCalls() or all(
        call.getTime() > clock.seconds() for call in clock.getDelayedCalls())


def test_what_one_read_produced_leaves_as_one_frame_in_one_write():
    site, app, clock = make_site()
    client = websocket(site)
    writes = []
    # what the connection writes with while its own read is handled
    # (a test transport writes with transport.write: record what would go eagerly)
    client.protocol._eager = lambda transport, data: (writes.append(data), transport.write(data))
    client.send(_client_frame(1, b'["a","b"]') + _client_frame(1, b'["c"]'))
    assert writes == [build_frame(1, b'a["a","b","c"]')]


def test_a_held_poll_is_answered_before_the_xhr_send_read_returns():
    site, app, clock = make_site()
    poll(site, "s1").take()
    held = poll(site, "s1")
    assert held.take() == b""
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", b'["ping"]'))
    assert split_response(sender.take())[0] == 204
    assert split_response(held.take())[2] == b'a["ping"]\n'


def test_writes_outside_a_read_leave_on_the_next_turn_together():
    site, app, clock = make_site(echo=False)
    client = websocket(site)
    transport = app.instances[0].transport
    transport.write(b"one")
    transport.write(b"two")
    assert client.take() == b""
    clock.advance(0)
    assert client.take() == build_frame(1, b'a["one","two"]')


class FlakySession(object):
    session_id = "s-flaky"

    def __init__(self, fail):
        self.fail = fail
        self.flushes = 0

    def flush(self):
        self.flushes += 1
        if self.fail:
            raise RuntimeError("broken receiver")


def test_one_session_failing_its_flush_does_not_stop_the_others_and_is_logged():
    from twisted.internet.task import Clock
    from twisted.logger import globalLogPublisher

    from txsockjs.server.servicecore import Flusher

    events = []
    globalLogPublisher.addObserver(events.append)
    try:
        for delayed in (False, True):
            del events[:]
            clock = Clock()
            flusher = Flusher(clock)
            bad, good = FlakySession(True), FlakySession(False)
            if not delayed:
                flusher.hold()
            flusher.schedule(bad)
            flusher.schedule(good)
            if delayed:
                assert len(clock.getDelayedCalls()) == 1
                clock.advance(0)
            else:
                assert clock.getDelayedCalls() == []
                flusher.release()
            assert (bad.flushes, good.flushes) == (1, 1)
            failures = [e for e in events if "log_failure" in e]
            assert len(failures) == 1
            assert failures[0]["log_failure"].check(RuntimeError)
            # Nothing is left pending: the next write flushes again.
            flusher.schedule(good)
            clock.advance(0)
            assert good.flushes == 2
    finally:
        globalLogPublisher.removeObserver(events.append)


def eager(client):
    """Record what ``client``'s connection writes eagerly (a test transport writes with
    transport.write: the stand-in records, then writes so)."""
    writes = []
    client.protocol._eager = lambda transport, data: (writes.append(data), transport.write(data))
    return writes


def test_a_held_poll_answered_by_another_connections_read_leaves_eagerly_at_the_end_of_the_turn():
    # The whole response goes to the socket (eagerly when safe) once the turn that
    # made it ends (see httpchannel/turnwrites.py), in one write, not through
    # Twisted's buffer on a later turn.
    site, app, clock = make_site()
    poll(site, "s1").take()
    held = poll(site, "s1")
    writes = eager(held)
    sender = Client(site)
    eager(sender)
    sender.send(request("POST", "/000/s1/xhr_send", b'["ping"]'))
    assert writes == [] and held.transport.value() == b""
    clock.advance(0)
    assert len(writes) == 1
    status, _, body = split_response(writes[0])
    assert (status, body) == (200, b'a["ping"]\n')
    status, _, _ = split_response(sender.transport.value())
    assert status == 204


def test_the_responses_of_a_turn_leave_together_each_in_one_write():
    site, app, clock = make_site()
    clients = [poll(site, "s%d" % i) for i in range(3)]
    for client in clients:
        client.take()
    writes = [eager(client) for client in clients]
    for client in clients:
        client.send(request("POST", "/000/s%s/xhr_send" % clients.index(client),
                            b'["m"]'))
    assert writes == [[], [], []]
    clock.advance(0)
    assert [len(w) for w in writes] == [1, 1, 1]
    assert all(split_response(w[0])[0] == 204 for w in writes)
    # (the echoes wait in the sessions for their polls)
    assert split_response(poll(site, "s1").transport.value())[2] == b'a["m"]\n'


def test_pipelined_requests_answered_in_one_read_leave_in_order_in_one_write():
    site, app, clock = make_site()
    client = poll(site, "s1")
    client.take()
    writes = eager(client)
    client.send(request("POST", "/000/s1/xhr_send", b'["one"]')
                + request("POST", "/000/s1/xhr")
                + request("POST", "/000/s1/xhr_send", b'["two"]'))
    clock.advance(0)
    assert len(writes) == 1
    data = writes[0]
    first, _, rest = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 204 ")
    assert rest.startswith(b"HTTP/1.1 200 ")
    second = rest[rest.index(b"\r\n\r\n") + 4:]
    assert second.startswith(b'a["one"]\n')
    assert second[len(b'a["one"]\n'):].startswith(b"HTTP/1.1 204 ")


def test_a_held_response_goes_before_anything_else_the_connection_writes():
    # An xhr_send's 204, then on the same connection in the same read the head
    # of a streaming response: the 204 leaves first.
    site, app, clock = make_site()
    poll(site, "s1").take()
    client = Client(site)
    eager(client)
    client.send(request("POST", "/000/s1/xhr_send", b'["x"]')
                + request("POST", "/000/s2/xhr_streaming"))
    data = client.take()
    assert data.startswith(b"HTTP/1.1 204 ")
    assert b"HTTP/1.1 200 " in data and data.index(b"HTTP/1.1 200 ") > 0
    clock.advance(0)
    assert client.take() == b""


def test_a_response_that_closes_the_connection_is_sent_before_it_closes():
    site, app, clock = make_site()
    poll(site, "s1").take()
    client = Client(site)
    writes = eager(client)
    client.send(request("POST", "/000/s1/xhr_send", b'["x"]', headers=[("Connection", "close")]))
    assert client.closed
    assert len(writes) == 1 and split_response(writes[0])[0] == 204
    clock.advance(0)
    assert len(writes) == 1


def test_a_connection_lost_before_the_end_of_the_turn_drops_what_it_held():
    site, app, clock = make_site()
    poll(site, "s1").take()
    client = Client(site)
    writes = eager(client)
    client.send(request("POST", "/000/s1/xhr_send", b'["x"]'))
    client.drop()
    clock.advance(0)
    assert writes == [] and client.transport.value() == b""
    # the message itself was accepted: the session has it for its next poll
    assert split_response(poll(site, "s1").transport.value())[2] == b'a["x"]\n'


def test_heartbeats_leave_eagerly_and_every_session_on_one_timer():
    """The heartbeats of every session fire on one delayed call, as a flusher batch: each
    goes straight to its socket (no Twisted write buffer: an idle session's transport
    never grows one)."""
    site, app, clock = make_site()
    clients = [websocket(site) for _ in range(3)]
    writes = []
    for client in clients:
        client.protocol._eager = lambda transport, data: (writes.append(data),
                                                          transport.write(data))
    heartbeat = site.services[""].options.heartbeat
    timers = [call for call in clock.getDelayedCalls()
              if call.active() and call.func.__self__ is not site.request_deadlines]
    assert len(timers) == 1
    clock.advance(heartbeat)
    assert writes == [build_frame(1, b"h")] * 3
    assert [client.take() for client in clients] == [build_frame(1, b"h")] * 3


def test_after_a_turn_whose_only_read_held_responses_they_go_at_once_for_a_while():
    # One client at a time: holding would only add a delayed call a turn.
    from txsockjs.server.httpchannel.turnwrites import SKIP_AFTER_A_LONE_READ
    site, app, clock = make_site()
    poll(site, "s1").take()
    client = Client(site)
    writes = eager(client)
    send = request("POST", "/000/s1/xhr_send", b'["x"]')
    client.send(send)
    assert writes == []
    clock.advance(0)
    assert len(writes) == 1
    for sent in range(SKIP_AFTER_A_LONE_READ):
        client.send(send)
        assert len(writes) == 2 + sent
    # then holding is tried again
    client.send(send)
    assert len(writes) == 1 + SKIP_AFTER_A_LONE_READ
    clock.advance(0)
    assert len(writes) == 2 + SKIP_AFTER_A_LONE_READ
    assert all(split_response(w)[0] == 204 for w in writes)


def test_a_turn_with_other_reads_keeps_holding():
    site, app, clock = make_site()
    for sid in ("s1", "s2"):
        poll(site, sid).take()
    one, two = Client(site), Client(site)
    eager(one)
    eager(two)
    for _ in range(3):
        one.send(request("POST", "/000/s1/xhr_send", b'["x"]'))
        two.send(request("POST", "/000/s2/xhr_send", b'["y"]'))
        assert one.transport.value() == two.transport.value() == b""
        clock.advance(0)
        assert split_response(one.take())[0] == split_response(two.take())[0] == 204


def test_many_pipelined_requests_answered_in_one_read_send_as_the_hold_fills():
    from txsockjs.server.httpchannel.turnwrites import HOLD_AT_MOST
    site, app, clock = make_site()
    poll(site, "s1").take()
    client = Client(site)
    writes = eager(client)
    count = 300
    client.send(b"".join(request("POST", "/000/s1/xhr_send", b'["%d"]' % n)
                         for n in range(count)))
    # some left during the read, none of them larger than the limit and one response
    assert len(writes) >= 2
    assert all(len(w) <= HOLD_AT_MOST + 512 for w in writes)
    clock.advance(0)
    data = b"".join(writes)
    assert data.count(b"HTTP/1.1 204 ") == count
    assert client.transport.value() == data
    # every message reached the session, in order
    body = split_response(poll(site, "s1").transport.value())[2]
    assert body == b"a[" + b",".join(b'"%d"' % n for n in range(count)) + b"]\n"
