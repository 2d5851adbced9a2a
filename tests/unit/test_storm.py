"""A reconnect storm in memory: hundreds of sessions on every transport, opened and ended in
every way a client or the application can end them, interleaved at random (fixed seed).

Whatever happens, each application protocol gets connectionMade once and connectionLost
exactly once, every session is forgotten after the disconnect delay, no delayed call is left
behind, and the server still answers a new session normally afterwards."""

import random

import pytest

from tests.unit.helpers import Client, make_site, request, session_timers, split_response
from txsockjs._speedups import websocket_mask

WS_HEADERS = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
              ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]
STREAMING = ["xhr_streaming", "eventsource", "htmlfile?c=cb"]
POLLING = ["xhr", "jsonp?c=cb"]


def ws_frame(payload, opcode=0x81):
    mask = b"\x0f\xa0\x33\x5c"
    return bytes([opcode, 0x80 | len(payload)]) + mask + websocket_mask(mask, payload)


def open_session(site, rng, sid):
    """Open one session on a random transport; returns (kind, client)."""
    kind = rng.choice(["websocket"] + STREAMING + POLLING)
    client = Client(site, port=rng.randrange(1024, 65535))
    if kind == "websocket":
        client.send(request("GET", "/000/%s/websocket" % sid, headers=WS_HEADERS))
    else:
        method = "GET" if kind.startswith(("eventsource", "htmlfile", "jsonp")) else "POST"
        client.send(request(method, "/000/%s/%s" % (sid, kind), body=b"" if method == "POST" else None))
    return kind, client


def end_session(site, rng, sid, kind, client, app_protocol):
    """End it one of several ways, maybe after some traffic."""
    how = rng.choice(["drop", "app-close", "client-close", "idle", "send-then-drop", "garbage"])
    if kind == "websocket":
        if how in ("send-then-drop", "client-close"):
            client.send(ws_frame(b'["hello"]'))
        if how == "client-close":
            client.send(ws_frame(b"\x03\xe8", opcode=0x88))
        if how == "garbage":
            client.send(b"\xff\xff\xff\xff")  # reserved bits and opcode: a protocol error
    else:
        if how in ("send-then-drop", "client-close", "garbage"):
            session = site.services[""].sessions.get(sid)
            alive = session is not None and session.state == "open"
            sender = Client(site)
            body = b'["hello"]' if how != "garbage" else b'["broken'
            sender.send(request("POST", "/000/%s/xhr_send" % sid, body=body))
            status = split_response(sender.take())[0]
            # a session already timed out (no receiver for 5 s) or closed is gone: 404
            expected = (500 if how == "garbage" else 204) if alive else 404
            assert status == expected, (how, status, session and session.state)
    if how == "app-close" and app_protocol is not None:
        app_protocol.transport.loseConnection()
    if how in ("drop", "send-then-drop", "garbage", "client-close"):
        client.drop()
        client.dropped = True
    return how


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reconnect_storm_every_transport(seed):
    rng = random.Random(seed)
    site, app, clock = make_site({"timeout": 5, "heartbeat": 2}, echo=True)
    service = site.services[""]
    live = []
    ended = []
    for n in range(300):
        sid = "s%d-%d" % (seed, n)
        before = len(app.instances)
        kind, client = open_session(site, rng, sid)
        assert len(app.instances) == before + 1, (kind, client.take()[:200])
        live.append((sid, kind, client, app.instances[-1]))
        # end a random earlier session now and then; time passes in small steps
        if live and rng.random() < 0.7:
            entry = live.pop(rng.randrange(len(live)))
            end_session(site, rng, *entry)
            ended.append(entry)
        clock.advance(rng.choice([0, 0, 0.1, 0.5, 1.5]))
    for entry in live:
        end_session(site, rng, *entry)
        ended.append(entry)
    # long enough for every disconnect delay and websocket close timeout to run out
    for _ in range(40):
        clock.advance(1)
    # idle websockets and streams keep their sessions (heartbeats flow): now their clients go
    still_open = [e for e in ended if not getattr(e[2], "dropped", False) and not e[2].closed]
    assert any(e[3].lost == [] for e in still_open)  # the storm did leave some sessions alive
    for sid, kind, client, protocol in still_open:
        client.drop()
    for _ in range(10):
        clock.advance(1)

    assert len(app.instances) == 300
    for protocol in app.instances:
        assert protocol.made == 1
        assert len(protocol.lost) == 1, protocol.lost
    assert service.sessions == {}
    assert session_timers(site, clock) == []

    # the server still works
    fresh = Client(site)
    fresh.send(request("POST", "/000/after-storm/xhr", body=b""))
    assert split_response(fresh.take())[2] == b"o\n"
