"""The conformance server's ``broadcast`` service: one message reaches every member,
whatever its transport; members that leave (close, abort, expire) do not break it."""

import json
import time

from .conftest import TIMEOUT
from .wire import (OP_TEXT, SockJSWebSocket, Stream, WebSocket, assert_serving, new_session_id,
                   xhr, xhr_send)

PRELUDE = b"h" * 2048 + b"\n"


def burl():
    return "/broadcast/000/%s" % new_session_id()


def _next_message_xhr_stream(s, timeout=1.5):
    while True:
        line = s.read_until(b"\n", timeout)
        if line != b"h\n":
            return line


def test_broadcast_reaches_every_transport(addr):
    tag = new_session_id()
    poll_url = burl()
    assert xhr(addr, poll_url).body == b"o\n"  # a member without an attached receiver
    stream_url = burl()
    with WebSocket.connect(addr, "/broadcast/websocket") as raw, \
            SockJSWebSocket.connect(addr, burl() + "/websocket") as sws, \
            Stream.open(addr, "POST", stream_url + "/xhr_streaming", body=b"") as s:
        assert s.read_until(b"\n") == PRELUDE
        assert s.read_until(b"\n") == b"o\n"
        assert sws.recv_sockjs() == "o"
        time.sleep(0.1)
        raw.send_text("hi " + tag)
        f = raw.recv_message(1.5)
        assert f.opcode == OP_TEXT and f.text == "hi " + tag
        assert sws.recv_sockjs() == "a" + json.dumps(["hi " + tag])
        assert _next_message_xhr_stream(s) == ("a" + json.dumps(["hi " + tag]) + "\n").encode()
        assert xhr(addr, poll_url).body == ("a" + json.dumps(["hi " + tag]) + "\n").encode()
        # a message sent through xhr_send reaches the others too
        assert xhr_send(addr, stream_url, ["from xhr " + tag]).status == 204
        assert raw.recv_message(1.5).text == "from xhr " + tag
        assert sws.recv_sockjs() == "a" + json.dumps(["from xhr " + tag])


def test_broadcast_survives_members_leaving(addr):
    tag = new_session_id()
    doomed = []
    for i in range(5):
        ws = SockJSWebSocket.connect(addr, burl() + "/websocket")
        assert ws.recv_sockjs() == "o"
        doomed.append(ws)
    streams = []
    for i in range(3):
        s = Stream.open(addr, "POST", burl() + "/xhr_streaming", body=b"")
        s.read_until(b"o\n")
        streams.append(s)
    with WebSocket.connect(addr, "/broadcast/websocket") as speaker:
        doomed[0].send_close(1000)
        doomed[1].conn.abort()
        streams[0].conn.abort()
        streams[1].close()
        for i in range(20):
            speaker.send_text("%s-%d" % (tag, i))
        for i in range(20):
            assert speaker.recv_message(1.5).text == "%s-%d" % (tag, i)
        got = []
        while len(got) < 20:
            got += json.loads(doomed[2].recv_sockjs()[1:])
        assert got == ["%s-%d" % (tag, i) for i in range(20)]
    for ws in doomed:
        ws.close()
    for s in streams:
        s.close()
    assert_serving(addr)


def test_broadcast_after_member_expired(addr):
    tag = new_session_id()
    gone = burl()
    assert xhr(addr, gone).body == b"o\n"
    time.sleep(TIMEOUT + 1.0)  # the member expires: its protocol gets connectionLost
    with WebSocket.connect(addr, "/broadcast/websocket") as speaker:
        speaker.send_text(tag)
        assert speaker.recv_message(1.5).text == tag
    assert xhr(addr, gone).body == b"o\n"  # a new session, not the expired one
    assert_serving(addr)
