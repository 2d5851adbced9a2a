"""The hixie-76 connection (txsockjs.protocol.websocket.Hixie76Connection) after its key,
driven directly: the regressions fuzzing/fuzz_websocket_stream.py found."""

from txsockjs.protocol import websocket as ws

# The example handshake of draft-hixie-thewebsocketprotocol-76, section 1.3.
KEY1 = "18x 6]8vM;54 *(5:  {   U1]8  z [  8"
KEY2 = "1_ tx7X d  <  nw  334J702) 7]o}` 0"
KEY3 = b"Tm[K T2u"


def opened(max_message=1 << 20):
    conn = ws.Hixie76Connection(KEY1, KEY2, max_message)
    assert conn.receive(KEY3) == [(ws.OPENED,)]
    return conn


def test_messages_before_a_bad_frame_are_delivered():
    """A message in the same packet as a bad frame after it comes out first, then the
    error.  (The old stream raised, and the message, parsed already, was lost.)"""
    conn = opened()
    events = conn.receive(b'\x00["kept"]\xff' + b"\x00\xc3\x28\xff")
    assert events[0] == (ws.TEXT, b'["kept"]')
    assert [(kind, error.code) for kind, error in events[1:]] == [(ws.ERROR, 1007)]
    assert not conn.reading and conn.receive(b"\x00more\xff") == []


def test_errors_are_events():
    for bad, code in [(b"\x80", 1002), (b"\x00" + b"x" * 20, 1009)]:
        conn = opened(max_message=10)
        events = conn.receive(bad)
        assert [(kind, error.code) for kind, error in events] == [(ws.ERROR, code)]


def test_size_limit_on_a_whole_message():
    """The limit holds for a message that arrives whole, as for one that arrives in
    pieces.  (Only an unfinished message was measured once.)"""
    for packets in ([b"\x00" + b"x" * 11 + b"\xff"], [b"\x00" + b"x" * 11, b"\xff"]):
        conn = opened(max_message=10)
        events = [event for packet in packets for event in conn.receive(packet)]
        assert [(kind, error.code) for kind, error in events] == [(ws.ERROR, 1009)]
    assert opened(max_message=10).receive(b"\x00" + b"x" * 10 + b"\xff") == [(ws.TEXT, b"x" * 10)]
