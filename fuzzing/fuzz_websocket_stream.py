"""The WebSocket connection (txsockjs.protocol.websocket): frames to events, UTF-8 checked
as text arrives (also through partial_payload), fragmentation, control frames, close, and
the answers that move its state.

Input: 2 control bytes (message limit and hixie-76 or RFC 6455, split seed), then what
the peer sends after the handshake (hixie-76: after its 8-byte key).  The connection is fed
in random splits, once with each kernel path's frame parser.  Checked: receive() and
answer() never raise (errors are ERROR events); both kernel paths give the same events;
nothing follows CLOSE or ERROR; no message is over the limit; one feed of the whole stream
gives the same messages and ends the same way (the code of an error may be 1007 on one
and 1009 on the other: a split stream can show bad UTF-8 in a fragment before the
fragment completes the message and goes over the limit).
"""

import random

import harness
from harness import PATHS
from txsockjs.protocol import websocket

LIMITS = (0, 1, 125, 126, 65536, 1 << 20)


def described(event):
    if event[0] == websocket.ERROR:
        return (websocket.ERROR, type(event[1]), event[1].code, event[1].reason)
    return event


# The example handshake of draft-hixie-thewebsocketprotocol-76, section 1.3.
HIXIE76_KEYS = ("18x 6]8vM;54 *(5:  {   U1]8  z [  8", "1_ tx7X d  <  nw  334J702) 7]o}` 0")
HIXIE76_KEY3 = b"Tm[K T2u"


def run(frame_parser, limit, hixie, chunks):
    websocket.FrameParser = frame_parser  # the module's one use of the kernel
    if hixie:
        conn = websocket.Hixie76Connection(*HIXIE76_KEYS, max_message=limit)
        assert conn.receive(HIXIE76_KEY3) == [(websocket.OPENED,)]
        conn.answer((websocket.OPENED,))
    else:
        conn = websocket.WebSocketConnection(limit)
    events = []
    for chunk in chunks:
        got = conn.receive(chunk)
        assert not (events and events[-1][0] in (websocket.CLOSE, websocket.ERROR) and got)
        for event in got:
            if event[0] not in (websocket.TEXT, websocket.BINARY):
                conn.answer(event)  # (moves the state; must never raise)
        events += [described(event) for event in got]
    for event in events:
        if event[0] == websocket.TEXT:
            assert len(event[1]) <= limit
            event[1].decode("utf-8")  # valid UTF-8, as promised
    return events


def ending(events):
    """Messages, and how it ended: the code of an error (1007/1009 alike), or a close."""
    messages = [e for e in events if e[0] in (websocket.TEXT, websocket.PING, websocket.PONG)]
    last = events[-1] if events else None
    if last is not None and last[0] == websocket.ERROR:
        code = last[-2]
        return messages, ("error", 1007 if code == 1009 else code)
    return messages, last if last is not None and last[0] == websocket.CLOSE else None


def test_one_input(data):
    if len(data) < 2:
        return
    control, stream = data[0], data[2:]
    limit, hixie = LIMITS[control % len(LIMITS)], control & 0x80 and control & 0x40
    rng = random.Random(data[1])
    chunks, pos = [], 0
    while pos < len(stream):
        step = rng.choice((1, 2, 3, 6, 14, 200, len(stream)))
        chunks.append(stream[pos:pos + step])
        pos += step
    split = harness.same("kernel paths", *(run(path.FrameParser, limit, hixie, chunks)
                                           for path in PATHS))
    whole = run(PATHS[1].FrameParser, limit, hixie, [stream])
    a, b = ending(split), ending(whole)
    if a[1] is None or b[1] is None:  # one still open: the other may have ended later
        assert a[0][:len(b[0])] == b[0][:len(a[0])], (a, b)
    else:
        harness.same("splits", b, a)


if __name__ == "__main__":
    harness.main(test_one_input)
