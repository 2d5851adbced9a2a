"""The ``compression`` option, and permessage-deflate and binary messages wired through the
site in memory (StringTransport sockets, a clock we advance): the idle sweep, the
per-session opt-out, writeBinary/binaryMessageReceived."""

import base64
import os
import struct
import zlib

import pytest

from txsockjs.options import OptionError, Options
from txsockjs.server.idlestreams import IdleStreams

from twisted.internet.testing import MemoryReactorClock

from txsockjs.factory import SockJSFactory

from .helpers import Client, Recorder, RecorderFactory, make_site, request, session_timers


# -- the option ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [False, True, {}, {"level": 9, "mem_level": 9,
                                                     "server_max_window_bits": 15,
                                                     "client_max_window_bits": 8,
                                                     "server_no_context_takeover": True,
                                                     "client_no_context_takeover": False,
                                                     "threshold": 0, "release_after": None}])
def test_good_compression_values(value):
    assert Options.from_dict({"compression": value}).compression == value


@pytest.mark.parametrize("value, problem", [
    (1, "must be True, False or a dict"),
    ("on", "must be True, False or a dict"),
    ({"levl": 1}, "unknown setting 'levl'"),
    ({"level": 10}, "level must be a whole number from 0 to 9"),
    ({"level": True}, "level must be a whole number"),
    ({"mem_level": 0}, "mem_level must be"),
    ({"server_max_window_bits": 8}, "server_max_window_bits must be a whole number from 9"),
    ({"client_max_window_bits": 16}, "client_max_window_bits must be"),
    ({"threshold": -1}, "threshold must be"),
    ({"server_no_context_takeover": 1}, "server_no_context_takeover must be True or False"),
    ({"release_after": 0}, "release_after must be None or a number of seconds > 0"),
    ({"release_after": float("inf")}, "release_after must be"),
])
def test_bad_compression_values(value, problem):
    with pytest.raises(OptionError) as raised:
        Options.from_dict({"compression": value})
    assert str(raised.value).startswith("compression: ")
    assert problem in str(raised.value)


def test_option_is_a_copy():
    settings = {"level": 6}
    options = Options.from_dict({"compression": settings})
    settings["level"] = 99
    assert options.compression == {"level": 6}


def test_option_from_text():
    from txsockjs.cli.optiontext import validated_options
    assert validated_options(["compression=on"]) == {"compression": True}
    assert validated_options(['compression={"level": 6}']) == {"compression": {"level": 6}}
    with pytest.raises(OptionError) as raised:
        validated_options(['compression={"level": 60}'])
    assert str(raised.value).startswith("compression: level")


# -- the idle sweep ------------------------------------------------------------------------------

class Extension:
    def __init__(self):
        self.calls = 0

    def idle(self):
        self.calls += 1
        return True


def test_idle_sweep_runs_only_while_something_is_watched():
    from twisted.internet.task import Clock
    clock = Clock()
    streams = IdleStreams(clock, 10)
    one, two = Extension(), Extension()
    streams.watch([one])
    streams.watch([two, object()])  # (what has no idle() is not watched)
    assert len(clock.getDelayedCalls()) == 1
    clock.advance(10)
    assert (one.calls, two.calls) == (1, 1)
    streams.forget([one])
    clock.advance(10)
    assert (one.calls, two.calls) == (1, 2)
    streams.forget([two])
    assert clock.getDelayedCalls() == []


def test_the_sweep_returns_freed_heap_pages_once_when_it_released_streams(monkeypatch):
    from twisted.internet.task import Clock

    from txsockjs.server import heaptrim

    class Releasing:
        def __init__(self, quiet):
            self.quiet, self.released = quiet, False

        def idle(self):
            if self.quiet:
                self.released = True

    trims = []
    monkeypatch.setattr(heaptrim, "trim_heap", lambda: trims.append(1) or True)
    clock = Clock()
    streams = IdleStreams(clock, 10)
    streams.watch([Releasing(True), Releasing(True), Releasing(False)])
    clock.advance(10)
    assert trims == [1]          # two streams freed: one trim
    clock.advance(10)
    assert trims == [1]          # nothing more freed: no trim


def test_trim_heap_works_with_glibc():
    import platform

    from txsockjs.server import heaptrim
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    assert heaptrim.trim_heap() is True


# -- through the site ---------------------------------------------------------------------------

def upgrade(client, path, offer):
    key = base64.b64encode(os.urandom(16)).decode()
    headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
               ("Sec-WebSocket-Version", "13")]
    if offer:
        headers.append(("Sec-WebSocket-Extensions", offer))
    client.send(request("GET", path, headers=headers))
    head, _, rest = client.take().partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return head.decode("latin-1"), rest


def client_frame(op, payload, rsv1=False):
    mask = os.urandom(4)
    first = 0x80 | (0x40 if rsv1 else 0) | op
    n = len(payload)
    head = bytes([first, 0x80 | n]) if n < 126 else bytes([first, 0xFE]) + struct.pack(">H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def server_frames(data):
    frames = []
    while data:
        first, n = data[0], data[1] & 0x7F
        offset = 2
        if n == 126:
            n, offset = struct.unpack(">H", data[2:4])[0], 4
        frames.append((first, data[offset:offset + n]))
        data = data[offset + n:]
    return frames


def deflate_messages(*messages):
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return [(compressor.compress(m) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4] for m in messages]


def inflater():
    decompressor = zlib.decompressobj(-15)
    return lambda data: decompressor.decompress(data + b"\x00\x00\xff\xff")


def test_raw_websocket_compressed_idle_release_and_rebuild():
    site, app, clock = make_site({"compression": {"release_after": 5}})
    client = Client(site)
    head, _ = upgrade(client, "/websocket", "permessage-deflate; client_max_window_bits")
    assert "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=12" in head
    # the client's compressor at window 12, as answered
    compressor = zlib.compressobj(6, zlib.DEFLATED, -12)
    inflate = inflater()

    def round_trip(message):
        data = (compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
        client.send(client_frame(0x1, data, rsv1=True))
        [(first, payload)] = server_frames(client.take())
        assert first == 0xC1
        assert inflate(payload) == message
        return payload

    message = b'{"user": "ann", "text": "hello there, how are you today?"}'
    round_trip(message)
    session, = site.service.registry.live
    bridge = session.handler   # (the raw session writes to its bridge)
    extension, = bridge.conn.extensions
    assert not extension.released
    clock.advance(5)   # saw a message: kept
    assert not extension.released
    clock.advance(5)   # silent for a whole interval: released
    assert extension.released
    first_again = round_trip(message)
    assert len(first_again) < 12  # rebuilt from the dictionary: a back-reference
    clock.advance(5)
    clock.advance(5)
    assert extension.released
    client.drop()
    assert session_timers(site, clock) == []  # (the idle sweep stopped too)


def test_set_compression_off_for_one_session():
    def made(protocol):
        protocol.transport.setCompression(False)
        with pytest.raises(TypeError):
            protocol.transport.setCompression("no")

    site, app, clock = make_site({"compression": True}, on_made=made)
    client = Client(site)
    upgrade(client, "/websocket", "permessage-deflate")
    data, = deflate_messages(b"x" * 300)
    client.send(client_frame(0x1, data, rsv1=True))
    [(first, payload)] = server_frames(client.take())
    assert (first, payload) == (0x81, b"x" * 300)  # the client's was inflated; ours not


def test_write_binary_on_a_sockjs_session_is_a_type_error():
    errors = []

    def made(protocol):
        try:
            protocol.transport.writeBinary(b"\x00")
        except TypeError as error:
            errors.append(str(error))

    site, app, clock = make_site(on_made=made)
    client = Client(site)
    upgrade(client, "/000/abc/websocket", None)
    assert errors and "SockJS sessions carry text only" in errors[0]


class BinaryRecorder(Recorder):
    """Takes binary messages (a method of the class: the bridge looks when the session
    opens, before connectionMade)."""

    def binaryMessageReceived(self, data):
        self.factory.binary.append(data)
        if self.factory.echo:
            self.transport.writeBinary(data[::-1])


def binary_site(echo=True):
    app = RecorderFactory(echo=echo)
    app.protocol = BinaryRecorder
    app.binary = []
    clock = MemoryReactorClock()
    return SockJSFactory(app, None, reactor=clock), app


def test_binary_messages_on_the_raw_endpoint():
    site, app = binary_site()
    got = app.binary
    client = Client(site)
    upgrade(client, "/websocket", None)
    client.send(client_frame(0x2, b"\x01\x02\x03"))
    assert got == [b"\x01\x02\x03"]
    assert server_frames(client.take()) == [(0x82, b"\x03\x02\x01")]
    client.send(client_frame(0x1, b"text"))
    assert app.instances[0].received == [b"text"]


def test_binary_held_while_the_application_pauses():
    site, app = binary_site(echo=False)
    got = app.binary
    client = Client(site)
    upgrade(client, "/websocket", None)
    transport = app.instances[0].transport
    transport.pauseProducing()
    client.send(client_frame(0x2, b"\xff") + client_frame(0x1, b"t"))
    assert got == [] and app.instances[0].received == []
    transport.resumeProducing()
    assert got == [b"\xff"] and app.instances[0].received == [b"t"]


def deflate_client(door, path, on_made=None):
    """A client upgraded with permessage-deflate to ``path`` of an /echo service (messages
    up to 2 MiB, a recording application) through our own door or twisted.web's."""
    if door == "own":
        site, app, clock = make_site({"compression": True, "max_message_size": 1 << 21},
                                     echo=False, on_made=on_made)
        client = Client(site)
    else:
        from twisted.web.resource import Resource
        from txsockjs.web import SockJSResource, SockJSSite
        clock = MemoryReactorClock()
        app = RecorderFactory(echo=False, on_made=on_made)
        root = Resource()
        root.putChild(b"echo", SockJSResource(app, {"compression": True,
                                                    "max_message_size": 1 << 21}, clock))
        client = Client(SockJSSite(root, reactor=clock))
        path = "/echo" + path
    upgrade(client, path, "permessage-deflate")
    clock.advance(0)
    return client, app, clock


@pytest.mark.parametrize("door", ["own", "web"])
@pytest.mark.parametrize("path", ["/websocket", "/000/abc/websocket"])
def test_a_paused_application_holds_one_part_of_a_compressed_read(door, path):
    """One read of 1 MB-deflated-to-1 KB messages is inflated a part at a time: while the
    application pauses, it holds at most INFLATE_PER_RECEIVE (and one message) of them,
    not everything the read inflates to; it gets the rest, in order, when it resumes."""
    from txsockjs.protocol.websocket import INFLATE_PER_RECEIVE
    pauses = []

    def made(protocol):
        pauses.append(protocol.transport)

    client, app, clock = deflate_client(door, path, on_made=made)
    message = b"a" * 1000000
    wire = (b'["' + message + b'"]') if "000" in path else message
    count = 12
    frames = [client_frame(0x1, data, rsv1=True) for data in deflate_messages(*[wire] * 2 * count)]
    client.send(b"".join(frames[:count]))
    received = app.instances[0].received
    assert len(received) <= INFLATE_PER_RECEIVE // len(message) + 1   # a part a turn
    for _ in range(count):
        clock.advance(0)
    assert received == [message] * count         # not paused: everything, turn by turn
    pauses[0].pauseProducing()
    data = b"".join(frames[count:])
    assert len(data) < 30000                     # (12 MB in one read of 30 KB)
    client.send(data)
    held = pauses[0]._held                       # (what the paused session keeps for it)
    assert sum(map(len, held)) <= INFLATE_PER_RECEIVE + len(message)
    for _ in range(count):
        clock.advance(0)
    assert len(received) == count                # nothing more while paused
    pauses[0].resumeProducing()
    for _ in range(count):
        clock.advance(0)
    assert received == [message] * (2 * count)


@pytest.mark.parametrize("door", ["own", "web"])
def test_reading_stops_while_a_read_waits_to_be_inflated(door):
    """While a read's compressed messages are inflated a part a turn, the socket is not
    read: otherwise a client sending deflate bombs faster than the parts go grows the
    compressed backlog without bound (each read adds 64 KiB that inflates to 64 MiB, each
    turn delivers 1 MiB).  Reading resumes once the last part is delivered, and every
    message arrives, in order."""
    from txsockjs.protocol.websocket import INFLATE_PER_RECEIVE
    client, app, clock = deflate_client(door, "/websocket")
    message = b"b" * 1000000
    count = 6
    assert count * len(message) > 2 * INFLATE_PER_RECEIVE  # (several parts)
    frames = [client_frame(0x1, data, rsv1=True) for data in deflate_messages(*[message] * count)]
    client.send(b"".join(frames))
    received = app.instances[0].received
    assert len(received) < count
    assert client.transport.producerState == "paused"     # the rest waits, unread
    turns = 0
    while len(received) < count:
        turns += 1
        assert turns <= count
        clock.advance(0)
    assert received == [message] * count
    assert client.transport.producerState == "producing"  # all delivered: reading again
    client.send(client_frame(0x1, b"after", rsv1=False))
    assert received[-1] == b"after"


@pytest.mark.parametrize("door", ["own", "web"])
def test_a_failed_part_reads_again_to_the_end(door):
    """Broken JSON in a part inflated on a later turn fails the session (1002): from then
    on what the peer sends is read and dropped (EXPECT_EOF), not left unread."""
    client, app, clock = deflate_client(door, "/000/abc/websocket")
    good = b'["' + b"c" * 1000000 + b'"]'
    bad = b'["' + b"c" * 1000000
    frames = [client_frame(0x1, data, rsv1=True)
              for data in deflate_messages(good, good, good, bad, good, good)]
    client.send(b"".join(frames))
    assert client.transport.producerState == "paused"
    for _ in range(6):
        clock.advance(0)
    received = app.instances[0].received
    assert received == [b"c" * 1000000] * 3                 # those before the bad one
    assert client.transport.producerState == "producing"    # read and dropped from now on
    assert b"\x88" in client.take()                         # our close frame went out


def test_binary_to_a_text_only_application_is_1003():
    site, app, clock = make_site()
    client = Client(site)
    upgrade(client, "/websocket", None)
    client.send(client_frame(0x2, b"\x01"))
    [(first, payload)] = server_frames(client.take())
    assert first == 0x88 and struct.unpack(">H", payload[:2])[0] == 1003


def test_one_broadcast_to_plain_and_compressed_websockets_in_turn():
    # The frame is framed once per framing: the plain members share one wire encoding, each
    # compressed member deflates it in its own stream (members alternate between the two).
    from txsockjs.utils import broadcast
    site, app, clock = make_site({"compression": True}, echo=False)
    clients, inflaters = [], []
    for number in range(4):
        client = Client(site, port=40000 + number)
        compressed = number % 2 == 1
        upgrade(client, "/000/m%d/websocket" % number, "permessage-deflate" if compressed else None)
        clients.append(client)
        inflaters.append(inflater() if compressed else None)
    transports = [protocol.transport for protocol in app.instances]
    for text in (b"first " * 20, b"second " * 20):
        broadcast(text, transports)
        clock.advance(0)
        expected = b'a["' + text + b'"]'
        for client, inflate in zip(clients, inflaters):
            [(first, payload)] = server_frames(client.take())
            if inflate is None:
                assert (first, payload) == (0x81, expected)
            else:
                assert first == 0xC1 and inflate(payload) == expected
