"""The hixie-76 stream (txsockjs.protocol.websocket.Hixie76Stream), driven directly."""

from txsockjs.protocol import websocket as ws


def test_messages_before_a_bad_frame_are_delivered():
    """A message in the same packet as a bad frame after it comes out first, then the
    error, as from WebSocketStream.  (The stream raised, and the message, parsed
    already, was lost with the event list; found by fuzzing/fuzz_websocket_stream.py.)"""
    stream = ws.Hixie76Stream()
    events = stream.receive(b'\x00["kept"]\xff' + b"\x00\xc3\x28\xff")
    assert events[0] == (ws.TEXT, '["kept"]')
    assert [(kind, error.code) for kind, error in events[1:]] == [(ws.ERROR, 1007)]
    assert stream.closed and stream.receive(b"\x00more\xff") == []


def test_errors_are_events():
    for bad, code in [(b"\x80", 1002), (b"\x00" + b"x" * 20, 1009)]:
        stream = ws.Hixie76Stream(max_message=10)
        events = stream.receive(bad)
        assert [(kind, error.code) for kind, error in events] == [(ws.ERROR, code)]


def test_size_limit_on_a_whole_message():
    """The limit holds for a message that arrives whole, as for one that arrives in
    pieces.  (Only an unfinished message was measured: one over the limit got through
    when it came in one read; found by fuzzing/fuzz_websocket_stream.py.)"""
    for packets in ([b"\x00" + b"x" * 11 + b"\xff"], [b"\x00" + b"x" * 11, b"\xff"]):
        stream = ws.Hixie76Stream(max_message=10)
        events = [event for packet in packets for event in stream.receive(packet)]
        assert [(kind, error.code) for kind, error in events] == [(ws.ERROR, 1009)]
    assert ws.Hixie76Stream(max_message=10).receive(b"\x00" + b"x" * 10 + b"\xff") == [
        (ws.TEXT, "x" * 10)]
