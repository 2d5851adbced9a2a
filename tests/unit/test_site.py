"""The whole server in memory: requests in, responses and app events out."""

import json

import pytest
from twisted.internet.error import ConnectionDone, ConnectionLost

from twisted.internet.testing import StringTransport

from txsockjs.server.httpchannel.deadlines import RequestDeadlines
from tests.unit.helpers import (Client, CountingProducer, TCPStringTransport, make_site, request,
                                session_timers, split_response)


def poll(site, sid, body=None, path="xhr"):
    client = Client(site)
    client.send(request("POST", "/000/%s/%s" % (sid, path), body=b"" if body is None else body))
    return client


def test_xhr_session_round_trip_and_app_sees_bytes():
    site, app, clock = make_site()
    first = poll(site, "s1")
    status, headers, body = split_response(first.take())
    assert status == 200 and body == b"o\n"
    assert headers["content-type"] == "application/javascript;charset=UTF-8"
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", b'["hello","\\u00e9t\\u00e9"]'))
    assert split_response(sender.take())[0] == 204
    protocol = app.instances[0]
    assert protocol.received == [b"hello", "\u00e9t\u00e9".encode("utf-8")]
    assert all(type(item) is bytes for item in protocol.received)
    clock.advance(0)  # the flush
    second = poll(site, "s1")
    clock.advance(0)
    assert split_response(second.take())[2] == 'a["hello","\u00e9t\u00e9"]\n'.encode("utf-8")


def test_peer_and_host_are_the_tcp_addresses():
    site, app, clock = make_site()
    poll(site, "s1")
    transport = app.instances[0].transport
    assert transport.getPeer().host == "127.0.0.1" and transport.getPeer().port == 40000
    assert transport.getHost().port == 8080


def test_write_contract_bytes_only_and_valid_utf8():
    site, app, clock = make_site(echo=False)
    poll(site, "s1")
    transport = app.instances[0].transport
    with pytest.raises(TypeError):
        transport.write("text")
    with pytest.raises(ValueError):
        transport.write(b"\xff\xfe")
    transport.write(bytearray(b"ok"))
    transport.writeSequence([b"a", b"b"])
    clock.advance(0)
    client = poll(site, "s1")
    assert split_response(client.take())[2] == b'a["ok","ab"]\n'


def test_lone_surrogate_from_client_becomes_replacement_character():
    site, app, clock = make_site(echo=False)
    poll(site, "s1")
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", b'["a\\ud800b"]'))
    assert app.instances[0].received == ["a\ufffdb".encode("utf-8")]


def test_connection_lost_once_done_on_close():
    site, app, clock = make_site(echo=False)
    poll(site, "s1")
    protocol = app.instances[0]
    protocol.transport.loseConnection()
    protocol.transport.loseConnection()
    clock.advance(100)
    assert len(protocol.lost) == 1
    assert protocol.lost[0].check(ConnectionDone)


def test_connection_lost_on_timeout_is_connection_lost():
    site, app, clock = make_site({"timeout": 5})
    poll(site, "s1")
    clock.advance(5.5)
    protocol = app.instances[0]
    assert len(protocol.lost) == 1 and protocol.lost[0].check(ConnectionLost)
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", b'["x"]'))
    assert split_response(sender.take())[0] == 404


def test_abort_of_streaming_receiver_closes_session():
    site, app, clock = make_site()
    stream = poll(site, "s1", path="xhr_streaming")
    stream.drop()
    protocol = app.instances[0]
    assert protocol.lost and protocol.lost[0].check(ConnectionLost)
    again = poll(site, "s1")
    assert split_response(again.take())[2] == b'c[1002,"Connection interrupted"]\n'


def test_app_exception_is_logged_and_session_closed(logged):
    site, app, clock = make_site(echo=False)
    poll(site, "s1")
    protocol = app.instances[0]

    def boom(data):
        raise RuntimeError("application bug")
    protocol.dataReceived = boom
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", b'["x"]'))
    assert split_response(sender.take())[0] == 204  # the client did nothing wrong
    assert len(protocol.lost) == 1
    failures = [e["log_failure"] for e in logged if "log_failure" in e]
    assert any(f.check(RuntimeError) for f in failures)


def test_keep_alive_and_pipelining_in_order():
    site, app, clock = make_site()
    client = Client(site)
    client.send(request("GET", "/") + request("GET", "/info") + request("GET", "/nope"))
    clock.advance(0)
    clock.advance(0)
    data = client.take()
    assert data.count(b"HTTP/1.1 ") == 3
    first = data.index(b"Welcome")
    second = data.index(b"entropy")
    third = data.index(b"404 Not Found")
    assert first < second < third
    assert not client.closed


def test_pipelined_request_waits_for_long_poll():
    site, app, clock = make_site(echo=False)
    poll(site, "s1")
    client = Client(site)
    client.send(request("POST", "/000/s1/xhr", b"") + request("GET", "/"))
    assert client.take() == b""  # the poll is waiting; the greeting must wait too
    app.instances[0].transport.write(b"news")
    clock.advance(0)
    clock.advance(0)
    data = client.take()
    assert data.index(b'a["news"]') < data.index(b"Welcome")


def test_http10_closes_without_keep_alive_and_keeps_with_it():
    site, app, clock = make_site()
    plain = Client(site)
    plain.send(request("GET", "/", version="1.0"))
    assert b"Connection: close" in plain.take() and plain.closed
    kept = Client(site)
    kept.send(request("GET", "/", version="1.0", headers=[("Connection", "Keep-Alive")]))
    data = kept.take()
    assert b"Connection: keep-alive" in data and not kept.closed


def test_streaming_on_http11_is_chunked_one_frame_per_chunk():
    site, app, clock = make_site(echo=False)
    stream = poll(site, "s1", path="xhr_streaming")
    head, _, body = stream.take().partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert body == b"801\r\n" + b"h" * 2048 + b"\n\r\n" + b"2\r\no\n\r\n"
    app.instances[0].transport.write(b"x")
    clock.advance(0)
    assert stream.take() == b'7\r\na["x"]\n\r\n'


def test_streaming_limit_ends_response_and_nothing_is_lost():
    site, app, clock = make_site({"streaming_limit": 30}, echo=False)
    stream = poll(site, "s1", path="xhr_streaming")
    stream.take()
    transport = app.instances[0].transport
    for n in range(10):
        transport.write(b"message %d" % n)
        clock.advance(0)
    data = stream.take()
    assert data.endswith(b"0\r\n\r\n")
    seen = [json.loads(line[1:]) for line in data.split(b"\r\n") if line.startswith(b"a[")]
    delivered = [m for frame in seen for m in frame]
    rest = poll(site, "s1", path="xhr_streaming")
    rest_data = rest.take()
    for line in rest_data.split(b"\r\n"):
        if line.startswith(b"a["):
            delivered += json.loads(line[1:-1] if line.endswith(b"\n") else line[1:])
    assert delivered == ["message %d" % n for n in range(10)]


@pytest.mark.parametrize("raw,status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\n\r\n", 505),
    (b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400),
    (b"POST /0/s/xhr_send HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
    (b"POST /0/s/xhr_send HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n", 413),
    (b"POST /0/s/xhr_send HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
    (b"POST /0/s/xhr_send HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc", 400),
    (b"POST /0/s/xhr_send HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"1\r\na\r\n0\r\nBad Trailer\r\n\r\n", 400),
])
def test_bad_requests_get_a_status_and_close(raw, status):
    site, app, clock = make_site()
    client = Client(site)
    client.send(raw)
    got, headers, body = split_response(client.take())
    assert got == status
    assert headers["content-type"].startswith("text/plain")
    assert body and client.closed
    # the server keeps serving others
    other = Client(site)
    other.send(request("GET", "/"))
    assert split_response(other.take())[0] == 200


def test_chunked_request_body():
    site, app, clock = make_site(echo=False)
    poll(site, "s1")
    client = Client(site)
    client.send(b"POST /000/s1/xhr_send HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\n[\"a\r\n2\r\n\"]\r\n0\r\n\r\n")
    assert split_response(client.take())[0] == 204
    assert app.instances[0].received == [b"a"]


def test_request_trickled_byte_by_byte():
    site, app, clock = make_site()
    client = Client(site)
    for byte in request("GET", "/info"):
        client.send(bytes([byte]))
    assert split_response(client.take())[0] == 200


def test_websocket_session_over_memory():
    from txsockjs._speedups import build_frame, websocket_mask
    site, app, clock = make_site()
    client = Client(site)
    client.send(request("GET", "/000/s1/websocket", headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]))
    data = client.take()
    assert data.startswith(b"HTTP/1.1 101 ")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in data
    assert data.endswith(b"\x81\x01o")
    mask = b"\x01\x02\x03\x04"
    payload = b'["hi"]'
    client.send(bytes([0x81, 0x80 | len(payload)]) + mask + websocket_mask(mask, payload))
    clock.advance(0)
    assert client.take() == build_frame(1, b'a["hi"]')
    assert app.instances[0].received == [b"hi"]


def test_slow_or_idle_connections_are_closed_after_the_request_timeout():
    from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT
    site, app, clock = make_site()
    idle = Client(site)
    slow = Client(site)
    slow.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
    busy = Client(site)
    busy.send(request("GET", "/"))
    busy.take()
    clock.advance(REQUEST_TIMEOUT - 1)
    busy.send(request("GET", "/info"))  # a new request in time resets nothing it should not
    clock.advance(2)
    assert idle.closed and idle.take() == b""
    assert slow.closed and split_response(slow.take())[0] == 408
    assert not busy.closed


def test_a_head_whose_body_never_comes_gets_408():
    # Found by the red team: the head was read, so nothing was buffered, and the timeout
    # closed the connection without an answer (a part of the body got its 408).
    from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT
    site, app, clock = make_site()
    head = b"POST /000/s/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
    clients = [Client(site) for _ in range(3)]
    clients[0].send(head + b"\r\n")
    clients[1].send(head + b"Expect: 100-continue\r\n\r\n")
    clients[2].send(head + b"\r\n12345")
    assert clients[1].take() == b"HTTP/1.1 100 Continue\r\n\r\n"
    clock.advance(REQUEST_TIMEOUT + 1)
    assert [(c.closed, split_response(c.take())[0]) for c in clients] == [(True, 408)] * 3


def test_waiting_poll_is_not_cut_by_the_request_timeout():
    from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT
    site, app, clock = make_site({"heartbeat": 1000, "timeout": 1000}, echo=False)
    poll(site, "s1")
    waiting = poll(site, "s1")
    clock.advance(REQUEST_TIMEOUT * 2)
    assert not waiting.closed
    app.instances[0].transport.write(b"late")
    clock.advance(0)
    assert split_response(waiting.take())[2] == b'a["late"]\n'


def test_expect_100_continue_gets_an_interim_response_before_the_body():
    site, app, clock = make_site(echo=False)
    poll(site, "s1")
    client = Client(site)
    client.send(b"POST /000/s1/xhr_send HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                b"Expect: 100-continue\r\n\r\n")
    assert client.take() == b"HTTP/1.1 100 Continue\r\n\r\n"
    client.send(b'["x"]')
    assert split_response(client.take())[0] == 204
    assert app.instances[0].received == [b"x"]


def test_expect_100_continue_with_a_too_large_body_gets_413_at_once():
    site, app, clock = make_site()
    client = Client(site)
    client.send(b"POST /000/s1/xhr_send HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n"
                b"Expect: 100-continue\r\n\r\n")
    assert split_response(client.take())[0] == 413


def test_producer_paused_at_half_the_send_limit_and_resumed_when_delivered():
    site, app, clock = make_site({"send_buffer_limit": 1000}, echo=False)
    poll(site, "s1")
    transport = app.instances[0].transport
    producer = CountingProducer()
    transport.registerProducer(producer, True)
    for n in range(49):
        transport.write(b"%010d" % n)
    assert producer.calls == []
    transport.write(b"%010d" % 49)   # 500 bytes: the high-water mark
    assert producer.calls == ["pause"]
    for n in range(50, 60):
        transport.write(b"%010d" % n)
    receiver = poll(site, "s1")
    body = split_response(receiver.take())[2]
    assert json.loads(body[1:]) == ["%010d" % n for n in range(60)]
    assert producer.calls == ["pause", "resume"]
    transport.loseConnection()
    assert producer.calls == ["pause", "resume", "stop"]


def test_producer_paused_when_the_socket_is_full():
    site, app, clock = make_site(echo=False)
    stream = poll(site, "s1", path="xhr_streaming")
    transport = app.instances[0].transport
    producer = CountingProducer()
    transport.registerProducer(producer, True)
    stream.transport.producer.pauseProducing()   # what Twisted does when its buffer fills
    stream.transport.producer.resumeProducing()
    assert producer.calls == ["pause", "resume"]


def test_application_can_pause_delivery_of_client_messages():
    site, app, clock = make_site(echo=False)
    poll(site, "s1")
    transport = app.instances[0].transport
    transport.pauseProducing()
    sender = Client(site)
    sender.send(request("POST", "/000/s1/xhr_send", b'["a","b"]'))
    assert app.instances[0].received == []
    transport.resumeProducing()
    assert app.instances[0].received == [b"a", b"b"]


def _client_frame(opcode, payload, fin=True, mask=b"\x11\x22\x33\x44"):
    from txsockjs._speedups import websocket_mask
    first = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head = first + bytes([0x80 | n])
    elif n < 65536:
        head = first + bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = first + bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + websocket_mask(mask, payload)


def raw_websocket(site):
    client = Client(site)
    client.send(request("GET", "/websocket", headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]))
    assert client.take().startswith(b"HTTP/1.1 101 ")
    return client


def test_a_pong_goes_before_the_echo_of_the_message_it_came_inside():
    # Autobahn 5.6: a ping between two fragments of a message, all in one read: its pong
    # is written before the message (and its echo) is complete, so it comes first.
    site, app, clock = make_site()
    client = raw_websocket(site)
    client.send(_client_frame(1, b"frag", fin=False) + _client_frame(9, b"pi") +
                _client_frame(0, b"ment"))
    assert client.take() == b"\x8a\x02pi" + b"\x81\x08fragment"


def test_message_before_a_bad_frame_is_delivered_then_the_close():
    site, app, clock = make_site()
    client = raw_websocket(site)
    client.send(_client_frame(1, b"valid") + bytes([0x81 | 0x40, 0x80]) + b"abcd")
    data = client.take()
    assert data.startswith(b"\x81\x05valid")
    assert data[7:9] == b"\x88\x13" and data[9:11] == (1002).to_bytes(2, "big")
    assert client.closed


def test_invalid_utf8_fails_fast_inside_a_frame_still_arriving():
    site, app, clock = make_site()
    client = raw_websocket(site)
    frame = _client_frame(1, b"abc\xed\xa0\x80" + b"x" * 1000)
    client.send(frame[:20])  # the bad bytes are there, most of the frame is not
    data = client.take()
    assert data[:2] == b"\x88\x1f" and data[2:4] == (1007).to_bytes(2, "big")
    assert client.closed


def test_binary_frame_is_refused_with_1003_from_its_header():
    site, app, clock = make_site()
    client = raw_websocket(site)
    client.send(_client_frame(2, b"x" * 5000)[:10])
    data = client.take()
    assert data[2:4] == (1003).to_bytes(2, "big") and client.closed


def test_after_failing_we_keep_reading_until_the_peer_closes():
    """Closing with unread input makes the kernel reset the connection, and
    the peer may never see our close frame: we half-close and read on."""
    from txsockjs.protocol.websocket import CLOSE_TIMEOUT
    site, app, clock = make_site()
    client = raw_websocket(site)
    client.send(_client_frame(2, b"x" * 5000)[:10])
    assert client.take()[2:4] == (1003).to_bytes(2, "big")
    assert client.transport.write_closed and not client.transport.disconnecting
    client.send(b"x" * 4990 + _client_frame(8, b"\x03\xe8"))   # the rest, then its close
    assert client.take() == b""
    client.drop()   # the peer's FIN ends it
    assert app.instances[0].lost and not session_timers(site, clock)
    # a peer that never closes is cut off
    client = raw_websocket(site)
    client.send(_client_frame(2, b"x" * 5000)[:10])
    clock.advance(CLOSE_TIMEOUT - 0.1)
    assert not client.transport.disconnecting
    clock.advance(0.2)
    assert client.transport.disconnecting


def test_a_peer_that_does_not_read_stops_being_served_until_it_drains():
    site, app, clock = make_site()
    client = Client(site)
    client.transport.producer.pauseProducing()  # Twisted: our send buffer is full
    client.send(request("GET", "/") + request("GET", "/info"))
    assert client.take() == b""
    assert client.transport.producerState == "paused"  # we stopped reading too
    client.transport.producer.resumeProducing()
    clock.advance(0)
    clock.advance(0)
    data = client.take()
    assert data.count(b"HTTP/1.1 200") == 2
    assert client.transport.producerState == "producing"


def test_tcp_connections_turn_off_nagle():
    """Small frames must not wait for the client's delayed ACK (Nagle)."""
    site, _, _ = make_site()
    transport = TCPStringTransport()
    site.buildProtocol(transport.getPeer()).makeConnection(transport)
    assert transport.nodelay is True
    # a transport that is not TCP (a plain StringTransport) is left alone
    plain = StringTransport()
    protocol = site.buildProtocol(plain.getPeer())
    protocol.makeConnection(plain)
    protocol.dataReceived(request("GET", "/"))
    assert plain.value().startswith(b"HTTP/1.1 200 ")


def _request_timers(clock):
    return [call for call in clock.getDelayedCalls()
            if getattr(call.func, "__name__", "") == "_expired"
            and isinstance(getattr(call.func, "__self__", None), RequestDeadlines)]


def test_the_request_timeout_counts_from_the_last_response_not_the_first_wait():
    from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT
    site, app, clock = make_site()
    client = Client(site)
    clock.advance(REQUEST_TIMEOUT - 5)
    client.send(request("GET", "/info"))
    assert split_response(client.take())[0] == 200
    clock.advance(6)  # the connection's first timer fires: it waited only 6 s since
    assert not client.closed
    clock.advance(REQUEST_TIMEOUT - 7)
    assert not client.closed
    clock.advance(2)
    assert client.closed


def test_the_request_timeout_of_every_connection_runs_on_one_timer():
    from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT
    site, app, clock = make_site()
    armed = []
    call_later = clock.callLater

    def counting_call_later(delay, func, *args, **kwargs):
        if isinstance(getattr(func, "__self__", None), RequestDeadlines):
            armed.append(delay)
        return call_later(delay, func, *args, **kwargs)

    clock.callLater = counting_call_later
    clients = [Client(site) for _ in range(20)]
    for _ in range(50):  # keep-alive requests do not arm timers either
        for client in clients:
            client.send(request("GET", "/info"))
            assert split_response(client.take())[0] == 200
        clock.advance(0.1)
    assert len(armed) == 1 and len(_request_timers(clock)) == 1
    assert len(site.request_deadlines) == 20
    # The one timer fires at the earliest deadline and re-arms for what is left.
    clock.advance(REQUEST_TIMEOUT - 5)
    assert not any(client.closed for client in clients)
    assert len(_request_timers(clock)) == 1
    clock.advance(REQUEST_TIMEOUT)
    assert all(client.closed for client in clients)
    assert len(site.request_deadlines) == 0 and _request_timers(clock) == []


def test_connections_time_out_in_the_order_they_started_waiting():
    from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT
    site, app, clock = make_site()
    first = Client(site)
    clock.advance(10)
    second = Client(site)   # times out at 10 + REQUEST_TIMEOUT
    clock.advance(5)
    first.send(request("GET", "/info"))  # first waits again from 15: after second
    first.take()
    clock.advance(REQUEST_TIMEOUT - 5 + 0.5)
    assert second.closed and not first.closed
    clock.advance(5)
    assert first.closed


def test_a_connection_failing_its_timeout_does_not_keep_the_others_open():
    from twisted.logger import globalLogPublisher

    from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT
    site, app, clock = make_site()
    broken, fine = Client(site), Client(site)

    def boom():
        raise RuntimeError("boom")

    broken.protocol.transport.loseConnection = boom   # (its request_timed_out raises)
    logged = []
    globalLogPublisher.addObserver(logged.append)
    try:
        clock.advance(REQUEST_TIMEOUT + 1)
    finally:
        globalLogPublisher.removeObserver(logged.append)
    assert fine.closed and not broken.closed
    assert [e["log_failure"].value.args for e in logged if "log_failure" in e] == [("boom",)]


def test_an_upgraded_websocket_holds_no_request_timer():
    from tests.unit.test_flush_timing import websocket
    from txsockjs.server.httpchannel.channel import REQUEST_TIMEOUT
    site, app, clock = make_site()
    client = websocket(site)
    assert not client.closed
    assert len(site.request_deadlines) == 0
    clock.advance(REQUEST_TIMEOUT * 3)
    assert not client.closed and _request_timers(clock) == []


@pytest.mark.parametrize("door", ["factory", "resource"])
def test_the_kernel_path_is_logged_once_by_either_door(door, monkeypatch):
    from twisted.internet.protocol import Factory, Protocol
    from twisted.internet.testing import MemoryReactorClock
    from twisted.logger import globalLogPublisher

    from txsockjs import SockJSFactory, SockJSResource, _speedups
    from txsockjs.server import servicecore
    monkeypatch.setattr(servicecore, "_kernels_logged", [])
    events = []
    globalLogPublisher.addObserver(events.append)
    try:
        for _ in range(2):
            if door == "factory":
                SockJSFactory(Factory.forProtocol(Protocol), reactor=MemoryReactorClock()).startFactory()
            else:
                SockJSResource(Factory.forProtocol(Protocol), reactor=MemoryReactorClock())
    finally:
        globalLogPublisher.removeObserver(events.append)
    said = [e for e in events if e.get("log_format", "").startswith("txsockjs kernels:")]
    assert len(said) == 1 and said[0]["implementation"] == _speedups.IMPLEMENTATION
