"""Bounded memory and a clean lifecycle, in memory: send limits and overflow
policies on every transport, close codes, messages before a close, drain."""

import json

import pytest
from twisted.internet.error import ConnectionDone

from txsockjs.errors import ApplicationError, SendBufferOverflow, ServerShuttingDown
from txsockjs.server.sessiontransport import SessionTransport
from tests.unit.helpers import Client, allocation_peaks, make_site, request, split_response
from tests.unit.test_door import TRANSPORTS, open_session

SOCKJS = ["websocket", "xhr", "xhr_streaming", "eventsource", "htmlfile", "jsonp"]


def messages_in(data):
    """Every message in the SockJS frames of ``data``, whatever the transport's
    wrapping (jsonp and htmlfile carry frames inside a JavaScript string)."""
    text = data.decode("latin-1").replace('\\"', '"')
    decoder = json.JSONDecoder()
    found = []
    start = text.find("a[")
    while start >= 0:
        value, end = decoder.raw_decode(text, start + 1)
        found.extend(value)
        start = text.find("a[", end)
    return found


def close_frames(data):
    data = data.replace(b'\\"', b'"')
    return [data[i:data.index(b"]", i) + 1] for i in range(len(data)) if data[i:i + 2] == b"c["]


def reopen_poll(site, transport, sid="s1"):
    """The next receiving request of a polling session."""
    return open_session(site, transport, sid=sid)


# -- messages written before a close ---------------------------------------------------

@pytest.mark.parametrize("transport", ["xhr", "jsonp"])
def test_messages_written_before_close_arrive_before_the_close_frame_between_polls(transport):
    site, app, clock = make_site(echo=False)
    first = open_session(site, transport)
    assert b"o" in first.take()
    protocol = app.instances[0]
    protocol.transport.write(b"one")
    protocol.transport.write(b"two")
    protocol.transport.loseConnection()
    second = reopen_poll(site, transport).take()
    assert messages_in(second) == ["one", "two"] and not close_frames(second)
    third = reopen_poll(site, transport).take()
    assert close_frames(third) == [b'c[3000,"Go away!"]']


def test_an_app_that_writes_and_closes_in_connection_made_is_heard():
    def write_and_close(protocol):
        protocol.transport.write(b"hello")
        protocol.transport.loseConnection()

    site, app, clock = make_site(echo=False, on_made=write_and_close)
    polls = [open_session(site, "xhr").take() for _ in range(3)]
    bodies = [split_response(p)[2] for p in polls]
    assert bodies == [b"o\n", b'a["hello"]\n', b'c[3000,"Go away!"]\n']


@pytest.mark.parametrize("transport", ["websocket", "xhr_streaming", "eventsource"])
def test_streaming_gets_messages_then_the_close_frame(transport):
    site, app, clock = make_site(echo=False)
    client = open_session(site, transport)
    client.take()
    protocol = app.instances[0]
    protocol.transport.write(b"last words")
    protocol.transport.close(4000, "Bye now")
    data = client.take()
    assert messages_in(data) == ["last words"]
    assert close_frames(data) == [b'c[4000,"Bye now"]']
    assert data.index(b"last words") < data.index(b"c[4000")
    assert protocol.lost[0].check(ConnectionDone)


def test_raw_websocket_close_with_the_apps_code():
    site, app, clock = make_site(echo=False)
    client = open_session(site, "raw_websocket")
    client.take()
    app.instances[0].transport.write(b"x")
    app.instances[0].transport.close(4321, "done")
    data = client.take()
    assert data.startswith(b"\x81\x01x")
    assert data[3:5] == b"\x88\x06" and data[5:7] == (4321).to_bytes(2, "big") and data[7:] == b"done"


@pytest.mark.parametrize("code, reason", [(2999, "x"), (5000, "x"), (True, "x"), (3000, b"x"),
                                          (3000, "x" * 124)])
def test_close_refuses_codes_outside_the_application_range(code, reason):
    site, app, clock = make_site()
    open_session(site, "xhr")
    with pytest.raises(ValueError):
        app.instances[0].transport.close(code, reason)


def test_an_application_exception_closes_with_1011():
    class Boom(Exception):
        pass

    site, app, clock = make_site(echo=False)
    client = open_session(site, "websocket")
    client.take()
    protocol = app.instances[0]

    def explode(data):
        raise Boom("no")
    protocol.dataReceived = explode
    from tests.unit.test_site import _client_frame
    client.send(_client_frame(1, b'["hi"]'))
    assert b'c[1011,"Internal server error"]' in client.take()
    assert protocol.lost[0].check(ApplicationError)


# -- send limits ----------------------------------------------------------------------

def slow_reader(site, transport):
    """A session whose client does not read: its socket is full."""
    client = open_session(site, transport)
    client.take()
    client.protocol.pauseProducing()     # what Twisted does when its send buffer fills
    return client


@pytest.mark.parametrize("transport", ["websocket", "raw_websocket", "xhr_streaming",
                                       "eventsource", "htmlfile"])
def test_overflow_closes_a_slow_reader_on_every_streaming_transport(transport):
    site, app, clock = make_site({"send_buffer_limit": 10000}, echo=False)
    client = slow_reader(site, transport)
    protocol = app.instances[0]
    for n in range(99):
        protocol.transport.write(b"%099d" % n)   # 9900 bytes: held, under the limit
    clock.advance(0)
    assert client.take() == b""   # nothing handed to a full socket
    assert protocol.lost == []
    protocol.transport.write(b"x" * 200)         # past the limit
    assert protocol.lost and protocol.lost[0].check(SendBufferOverflow)
    registry = site.services[""].registry
    assert len(registry) == 0
    session = next(iter(registry.by_id.values()), None)
    assert session is None or session.buffer.size == 0   # the memory is given back
    if transport != "raw_websocket":
        assert close_frames(client.take()) == [b'c[1013,"Send buffer limit exceeded"]']


@pytest.mark.parametrize("transport", ["xhr", "jsonp"])
def test_overflow_between_polls(transport):
    site, app, clock = make_site({"send_buffer_limit": 1000}, echo=False)
    open_session(site, transport).take()
    protocol = app.instances[0]
    for n in range(11):
        protocol.transport.write(b"%0100d" % n)
    assert protocol.lost and protocol.lost[0].check(SendBufferOverflow)
    assert close_frames(reopen_poll(site, transport).take()) == [b'c[1013,"Send buffer limit exceeded"]']


@pytest.mark.parametrize("transport", ["websocket", "raw_websocket", "xhr_streaming", "xhr"])
def test_drop_newest_keeps_the_first_and_counts(transport, logged):
    site, app, clock = make_site({"send_buffer_limit": 1000, "send_overflow": "drop_newest"},
                                 echo=False)
    client = slow_reader(site, transport) if transport != "xhr" else open_session(site, "xhr")
    client.take()
    protocol = app.instances[0]
    for n in range(15):
        protocol.transport.write(b"%099d" % n)
    assert protocol.lost == []
    warnings = [e for e in logged if "reads too slowly" in str(e.get("log_format"))]
    assert len(warnings) == 1
    assert protocol.transport._dropped == 5
    if transport == "xhr":
        data = reopen_poll(site, "xhr").take()
    else:
        client.protocol.resumeProducing()
        clock.advance(0)
        data = client.take()
    got = messages_in(data) if transport != "raw_websocket" else \
        [data[i + 2:i + 101].decode() for i in range(0, len(data), 101)]
    assert got == ["%099d" % n for n in range(10)]


def test_drop_oldest_keeps_the_latest():
    site, app, clock = make_site({"send_buffer_limit": 1000, "send_overflow": "drop_oldest"},
                                 echo=False)
    open_session(site, "xhr").take()
    protocol = app.instances[0]
    for n in range(15):
        protocol.transport.write(b"%099d" % n)
    assert messages_in(reopen_poll(site, "xhr").take()) == ["%099d" % n for n in range(5, 15)]


def test_a_slow_reader_recovers_when_its_socket_drains():
    site, app, clock = make_site({"send_buffer_limit": 100000}, echo=False)
    client = slow_reader(site, "websocket")
    protocol = app.instances[0]
    for n in range(50):
        protocol.transport.write(b"m%d" % n)
    clock.advance(0)
    assert client.take() == b""
    client.protocol.resumeProducing()
    assert messages_in(client.take()) == ["m%d" % n for n in range(50)]


def test_broadcast_obeys_the_limit_per_session():
    from txsockjs.utils import broadcast
    site, app, clock = make_site({"send_buffer_limit": 1000}, echo=False)
    fast = open_session(site, "websocket", sid="a")
    fast.take()
    slow = slow_reader(site, "websocket")
    transports = [p.transport for p in app.instances]
    for n in range(20):
        broadcast(b"%099d" % n, transports)
    clock.advance(0)
    assert len(messages_in(fast.take())) == 20
    assert app.instances[1].lost[0].check(SendBufferOverflow)
    assert app.instances[0].lost == []
    assert slow


def test_options_validate_the_send_limits():
    for bad in ({"send_buffer_limit": 0}, {"send_buffer_limit": 1.5},
                {"send_overflow": "block"}):
        with pytest.raises(ValueError):
            make_site(bad)


# -- drain ------------------------------------------------------------------------------

@pytest.mark.parametrize("transport", ["websocket", "raw_websocket", "xhr_streaming",
                                       "eventsource", "htmlfile"])
def test_drain_closes_streaming_sessions_after_their_messages(transport):
    site, app, clock = make_site(echo=False)
    client = open_session(site, transport)
    client.take()
    protocol = app.instances[0]
    protocol.transport.write(b"in flight")
    fired = []
    site.drain(grace=10).addCallback(fired.append)
    data = client.take()
    assert data.index(b"in flight") < (data.index(b"c[1001") if b"c[1001" in data
                                       else data.index(b"\x88"))
    if transport == "raw_websocket":
        assert data[data.index(b"\x88") + 2:][:2] == (1001).to_bytes(2, "big")
    else:
        assert close_frames(data) == [b'c[1001,"Server shutting down"]']
    assert protocol.lost[0].check(ServerShuttingDown)
    if "websocket" in transport:
        assert fired == []          # waiting for the close handshake
        client.drop()
    clock.advance(0.1)
    assert fired == [None]


def test_drain_gives_polling_sessions_their_close_at_the_next_poll_and_refuses_new_ones():
    site, app, clock = make_site(echo=False)
    open_session(site, "xhr").take()
    protocol = app.instances[0]
    protocol.transport.write(b"queued")
    fired = []
    site.drain(grace=10).addCallback(fired.append)
    fresh = open_session(site, "xhr", sid="new")
    status, headers, body = split_response(fresh.take())
    assert status == 503 and "retry-after" in headers
    clock.advance(1)
    assert fired == []
    assert messages_in(reopen_poll(site, "xhr").take()) == ["queued"]
    assert close_frames(reopen_poll(site, "xhr").take()) == [b'c[1001,"Server shutting down"]']
    clock.advance(0.1)
    assert fired == [None]


def test_drain_aborts_what_is_left_after_the_grace_period():
    site, app, clock = make_site(echo=False)
    open_session(site, "xhr").take()          # never polls again
    ws = open_session(site, "websocket", sid="w")
    ws.take()                                 # never answers the close
    fired = []
    site.drain(grace=3).addCallback(fired.append)
    clock.advance(2.9)
    assert fired == []
    clock.advance(0.2)
    assert fired == [None]
    assert ws.transport.disconnecting
    assert not site.services[""].sessions


@pytest.mark.parametrize("transport", ["websocket", "raw_websocket"])
def test_an_open_websocket_is_found_through_its_session_and_a_closing_one_is_waited_for(transport):
    site, app, clock = make_site(echo=False)
    ws = open_session(site, transport)
    ws.take()
    registry = site.services[""].registry
    assert registry.unfinished_websockets == set()      # (an idle one costs no entry)
    app.instances[0].transport.loseConnection()          # our close frame goes out
    assert len(registry.unfinished_websockets) == 1 and not registry.live
    fired = []
    site.drain(grace=10).addCallback(fired.append)
    clock.advance(1)
    assert fired == []                                   # the close handshake is not done
    ws.drop()
    assert registry.unfinished_websockets == set()
    clock.advance(0.1)
    assert fired == [None]


def test_stopping_the_port_while_draining_does_not_cut_sessions():
    site, app, clock = make_site(echo=False)
    client = open_session(site, "xhr")
    client.take()
    app.instances[0].transport.write(b"kept")
    site.drain(grace=10)
    site.stopFactory()
    assert messages_in(reopen_poll(site, "xhr").take()) == ["kept"]


# -- the application holds client messages: the client is held too -------------------------

def test_a_paused_application_holds_xhr_sends_until_it_resumes():
    site, app, clock = make_site(echo=False)
    open_session(site, "xhr").take()
    protocol = app.instances[0]
    protocol.transport.pauseProducing()
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", b'["a","b"]'))
    assert sender.take() == b""            # the send waits: the client sends no more
    assert protocol.received == []
    protocol.transport.resumeProducing()
    assert split_response(sender.take())[0] == 204
    assert protocol.received == [b"a", b"b"]


@pytest.mark.parametrize("how", ["app_closes", "times_out"])
def test_sends_held_for_a_paused_application_are_answered_when_the_session_closes(how):
    # Found by the red team: the held xhr_send and jsonp_send hung until the client gave up.
    site, app, clock = make_site(echo=False)
    open_session(site, "xhr").take()
    protocol = app.instances[0]
    protocol.transport.pauseProducing()
    senders = [Client(site), Client(site)]
    senders[0].send(request("POST", "/000/s1/xhr_send", b'["a"]'))
    senders[1].send(request("POST", "/000/s1/jsonp_send", b'["b"]',
                            headers=[("Content-Type", "text/plain")]))
    assert [sender.take() for sender in senders] == [b"", b""]
    if how == "app_closes":
        protocol.transport.loseConnection()
    else:
        clock.advance(60)                  # nobody polls: the disconnect delay ends it
    assert [split_response(sender.take())[0] for sender in senders] == [204, 200]
    assert protocol.received == []         # the application closed while holding them


def test_a_paused_application_holds_a_few_sends_and_refuses_more():
    """Each waiting send holds its messages for as long as the application pauses: past
    MAX_WAITING_SENDS a session's sends get 429 (counted, logged), so one client cannot
    hold any amount of memory in one session.  Those held are delivered, in order."""
    from txsockjs.server.sessiontransport import MAX_WAITING_SENDS
    site, app, clock = make_site(echo=False)
    open_session(site, "xhr").take()
    protocol = app.instances[0]
    protocol.transport.pauseProducing()
    senders = [Client(site) for _ in range(MAX_WAITING_SENDS + 2)]
    for number, sender in enumerate(senders):
        sender.send(request("POST", "/000/s1/xhr_send", b'["m%d"]' % number))
    answers = [sender.take() for sender in senders]
    assert answers[:MAX_WAITING_SENDS] == [b""] * MAX_WAITING_SENDS
    for refused in answers[MAX_WAITING_SENDS:]:
        status, _, body = split_response(refused)
        assert status == 429 and b"Too many sends" in body
    service = site.services[""]
    assert service.stats.as_dict()["rejected_total"] == {"sends_waiting": 2}
    protocol.transport.resumeProducing()
    assert [split_response(sender.take())[0] for sender in senders[:MAX_WAITING_SENDS]] \
        == [204] * MAX_WAITING_SENDS
    assert protocol.received == [b"m%d" % number for number in range(MAX_WAITING_SENDS)]
    later = Client(site)                          # reading again: sends go through
    later.send(request("POST", "/000/s1/xhr_send", b'["after"]'))
    assert split_response(later.take())[0] == 204 and protocol.received[-1] == b"after"


def test_an_application_pausing_after_each_message_costs_linear_time(monkeypatch):
    """An application that handles each message asynchronously pauses after each one and
    resumes when done: what is held is handed on from its front, once, not copied again
    on every resume (that cost quadratic time in a send's messages: 40000 messages in one
    160 KB xhr_send took 4.9 s of server CPU, 10000 took 0.25 s)."""
    site, app, clock = make_site(echo=False,
                                 on_made=lambda protocol: setattr(protocol, "dataReceived",
                                                                  pause_after(protocol)))
    open_session(site, "xhr").take()
    protocol = app.instances[0]
    delegate = protocol.transport
    handed = []
    deliver = SessionTransport.messages_received

    def counted(self, messages):
        handed.append(len(messages))
        deliver(self, messages)
    monkeypatch.setattr(SessionTransport, "messages_received", counted)
    count = 200
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", json.dumps(["m%d" % n for n in range(count)])
                        .encode()))
    assert split_response(sender.take())[0] == 204
    while len(protocol.received) < count:
        delegate.resumeProducing()
    assert protocol.received == [b"m%d" % n for n in range(count)]
    assert sum(handed) <= 2 * count            # (each resume copied what was left: 20100)


def test_an_application_resuming_inside_a_held_message_keeps_the_order():
    # Paused inside a send's first message, then paused and resumed again inside the next
    # one: the rest of that send comes before a send that waited behind it.
    site, app, clock = make_site(echo=False)
    open_session(site, "xhr").take()
    protocol = app.instances[0]
    transport = protocol.transport

    def data_received(data):
        protocol.received.append(data)
        if data == b"a":
            transport.pauseProducing()
        elif data == b"b":
            transport.pauseProducing()
            transport.resumeProducing()
    protocol.dataReceived = data_received
    first, second = Client(site), Client(site)
    first.send(request("POST", "/000/s1/xhr_send", b'["a","b","c"]'))
    second.send(request("POST", "/000/s1/xhr_send", b'["d"]'))
    assert protocol.received == [b"a"]
    transport.resumeProducing()
    assert protocol.received == [b"a", b"b", b"c", b"d"]
    assert [split_response(client.take())[0] for client in (first, second)] == [204, 204]


def pause_after(protocol):
    def data_received(data):
        protocol.received.append(data)
        protocol.transport.pauseProducing()
    return data_received


@pytest.mark.parametrize("transport", ["websocket", "raw_websocket"])
def test_a_paused_application_stops_reading_the_websocket(transport):
    from tests.unit.test_site import _client_frame
    site, app, clock = make_site(echo=False)
    client = open_session(site, transport)
    client.take()
    protocol = app.instances[0]
    protocol.transport.pauseProducing()
    assert client.transport.producerState == "paused"
    client.send(_client_frame(1, b'["held"]' if transport == "websocket" else b"held"))
    assert protocol.received == []
    protocol.transport.resumeProducing()
    assert client.transport.producerState == "producing"
    assert protocol.received == [b"held"]


@pytest.mark.parametrize("transport", ["websocket", "xhr"])
def test_an_application_that_pauses_after_each_message_costs_no_copy_per_message(transport):
    """One frame of many messages to an application that pauses after each one (and
    resumes later, say when a database write is done): each resume delivers the next
    message without copying what is still held (it did: a frame of 300,000 messages cost
    quadratic time, minutes of CPU).  Counted as memory: a resume allocates nothing in
    proportion to what is held."""
    from tests.unit.test_site import _client_frame
    site, app, clock = make_site(echo=False)
    client = open_session(site, transport)
    client.take()
    protocol = app.instances[0]
    record = protocol.dataReceived

    def one_at_a_time(data):
        record(data)
        protocol.transport.pauseProducing()

    protocol.dataReceived = one_at_a_time
    count = 20_000
    frame = json.dumps(["m%d" % number for number in range(count)]).encode()
    if transport == "websocket":
        client.send(_client_frame(1, frame))
    else:
        Client(site).send(request("POST", "/000/s1/xhr_send", frame))
    assert protocol.received == [b"m0"]
    peaks = allocation_peaks(protocol.transport.resumeProducing, 100)
    assert protocol.received == [b"m%d" % number for number in range(101)]
    # (a copy of what is held would be 8 bytes a message: 160 KB)
    assert max(peaks) < 16 * 1024, peaks[:5]
    while len(protocol.received) < count:
        protocol.transport.resumeProducing()
    assert protocol.received == [b"m%d" % number for number in range(count)]


def test_a_site_names_each_resource_it_drains(logged):
    # Two SockJSResources in one SockJSSite: each drain log says which one.
    from twisted.internet.protocol import Factory, Protocol
    from twisted.internet.testing import MemoryReactorClock
    from twisted.logger import formatEvent
    from twisted.web.resource import Resource
    from txsockjs.web import SockJSResource, SockJSSite

    clock = MemoryReactorClock()
    root, nested = Resource(), Resource()
    root.putChild(b"echo", SockJSResource(Factory.forProtocol(Protocol), reactor=clock))
    root.putChild(b"a", nested)
    nested.putChild(b"chat", SockJSResource(Factory.forProtocol(Protocol), reactor=clock))
    done = []
    SockJSSite(root).drain(1.0).addCallback(done.append)
    clock.advance(0.1)
    assert done == [None]
    drained = sorted(formatEvent(event) for event in logged
                     if event.get("log_namespace") == "txsockjs.drain")
    assert drained == ["Service at /a/chat drained", "Service at /echo drained"]
