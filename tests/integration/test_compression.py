"""permessage-deflate and binary messages through every front door (conftest.door_addr).

The conformance server's ``compressed_echo`` service has ``compression: True`` and echoes
binary messages on the raw /websocket (``binary_echo`` does the same uncompressed);
``echo`` has no compression and takes text only."""

import json
import os
import zlib

import pytest

from .wire import (OP_BINARY, OP_CONT, OP_TEXT, SockJSWebSocket, WebSocket, assert_serving,
                   encode_frame, new_session_id)

CHROME = "permessage-deflate; client_max_window_bits"
FIREFOX = "permessage-deflate"
MAX_MESSAGE_SIZE = 1024 * 1024  # conftest's server


@pytest.fixture
def addr(door_addr):
    return door_addr


class Deflating:
    """The client's side of permessage-deflate (context takeover both ways)."""

    def __init__(self, client_bits=15, server_bits=15):
        self.compressor = zlib.compressobj(6, zlib.DEFLATED, -client_bits)
        self.decompressor = zlib.decompressobj(-server_bits)

    def deflate(self, data):
        out = self.compressor.compress(data) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        return out[:-4]

    def inflate(self, data):
        return self.decompressor.decompress(data + b"\x00\x00\xff\xff")


def open_raw(addr, service="compressed_echo", offer=CHROME):
    headers = [("Sec-WebSocket-Extensions", offer)] if offer else []
    return WebSocket.connect(addr, "/%s/websocket" % service, headers)


def expect_close(ws, code):
    frame = ws.expect_close(3.0)
    assert frame is not None, "no close frame"
    assert frame.close_code()[0] == code, frame


def test_chrome_offer_negotiated_and_echoed(addr):
    with open_raw(addr) as ws:
        assert ws.resp.header("Sec-WebSocket-Extensions") == \
            "permessage-deflate; client_max_window_bits=12"
        client = Deflating(client_bits=12)
        for n in range(3):
            message = json.dumps({"n": n, "text": "hello compressed world " * 4}).encode()
            ws.send_frame(OP_TEXT, client.deflate(message), rsv=4)
            frame = ws.recv_message(2.0)
            assert frame.opcode == OP_TEXT and frame.rsv == 4
            assert len(frame.payload) < len(message)
            assert client.inflate(frame.payload) == message
        # below the threshold: sent as it is (RSV1 clear), the client's stream untouched
        ws.send_frame(OP_TEXT, client.deflate(b"hi"), rsv=4)
        frame = ws.recv_message(2.0)
        assert (frame.rsv, frame.payload) == (0, b"hi")
        ws.send_text("uncompressed from the client is fine too " * 3)
        frame = ws.recv_message(2.0)
        assert client.inflate(frame.payload) == b"uncompressed from the client is fine too " * 3


def test_firefox_offer_on_a_sockjs_websocket(addr):
    path = "/compressed_echo/000/%s/websocket" % new_session_id()
    with SockJSWebSocket.connect(addr, path, [("Sec-WebSocket-Extensions", FIREFOX)]) as ws:
        assert ws.resp.header("Sec-WebSocket-Extensions") == "permessage-deflate"
        client = Deflating()
        frame = ws.recv_message(2.0)
        assert (frame.rsv, frame.payload) == (0, b"o")  # "o" never pays
        messages = ["x" * 200, "caf\u00e9 " * 40]
        ws.send_frame(OP_TEXT, client.deflate(json.dumps(messages).encode()), rsv=4)
        echoed = []
        while len(echoed) < len(messages):
            frame = ws.recv_message(2.0)
            assert frame.rsv == 4
            text = client.inflate(frame.payload)
            assert text.startswith(b"a[")
            echoed += json.loads(text[1:])
        assert echoed == messages


def test_the_rfc_example_of_a_final_block_is_read(addr):
    """RFC 7692 7.2.3.4: "Hello" in a DEFLATE block with BFINAL set, as the RFC gives its
    payload (one byte, the header of the empty stored block 7.2.1 appended, follows the
    final block); it was refused with 1002.  The next message goes on over the history."""
    hello_final = bytes.fromhex("f348cdc9c9070000")
    with open_raw(addr, offer=FIREFOX) as ws:
        for _ in range(2):
            ws.send_frame(OP_TEXT, hello_final, rsv=4)
            frame = ws.recv_message(2.0)
            assert (frame.opcode, frame.payload) == (OP_TEXT, b"Hello")


def test_no_offer_no_compression(addr):
    with open_raw(addr, offer=None) as ws:
        assert not ws.resp.has("Sec-WebSocket-Extensions")
        ws.send_text("y" * 300)
        frame = ws.recv_message(2.0)
        assert (frame.rsv, frame.payload) == (0, b"y" * 300)


def test_compression_off_declines_and_rsv1_is_1002(addr):
    with open_raw(addr, "echo") as ws:
        assert not ws.resp.has("Sec-WebSocket-Extensions")
        ws.send_frame(OP_TEXT, Deflating().deflate(b"hello"), rsv=4)
        expect_close(ws, 1002)


@pytest.mark.parametrize("offer, answer", [
    ("permessage-deflate; server_max_window_bits=7, permessage-deflate",
     "permessage-deflate"),
    ("permessage-deflate; client_no_context_takeover; client_max_window_bits; "
     "server_max_window_bits=10",
     "permessage-deflate; client_no_context_takeover; server_max_window_bits=10; "
     "client_max_window_bits=12"),
    ("permessage-deflate; bogus", None),
    ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", None),
    ('permessage-deflate; client_max_window_bits="', None),
    ("x-webkit-deflate-frame", None),
])
def test_offers(addr, offer, answer):
    with open_raw(addr, offer=offer) as ws:
        assert ws.resp.header("Sec-WebSocket-Extensions") == answer
        ws.send_text("still works " * 10)
        frame = ws.recv_message(2.0)
        if answer is None:
            assert frame.payload == b"still works " * 10
        else:
            bits = 10 if "server_max_window_bits=10" in answer else 15
            assert Deflating(server_bits=bits).inflate(frame.payload) == b"still works " * 10


@pytest.mark.parametrize("extra", [0, 1, 2])
def test_limit_counts_inflated_bytes(addr, extra):
    """A message of exactly max_message_size (inflated) passes; +1 and +2 are refused."""
    message = b"a" * (MAX_MESSAGE_SIZE + extra)
    with open_raw(addr) as ws:
        client = Deflating(client_bits=12)
        data = client.deflate(message)
        assert len(data) < 10000
        ws.send_frame(OP_TEXT, data, rsv=4)
        if extra:
            expect_close(ws, 1009)
        else:
            frame = ws.recv_message(5.0)
            assert frame.opcode == OP_TEXT
            assert client.inflate(frame.payload) == message
    assert_serving(addr)


def gigabyte_bomb():
    zeros = bytes(16 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    second = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return first + second * 63


def test_bomb_closed_while_inflating_and_memory_stays_flat(addr, door_server):
    """About 1 MiB of deflate data that inflates to 1 GiB, in 64 KiB fragments: 1009 while
    it inflates; the server's RSS grows by less than 2 MiB."""
    bomb = gigabyte_bomb()
    assert len(bomb) > 1_000_000
    before = door_server.rss()
    for _ in range(3):
        with open_raw(addr, offer=FIREFOX) as ws:
            step = 65536
            parts = [bomb[i:i + step] for i in range(0, len(bomb), step)]
            ws.conn.send(encode_frame(OP_BINARY, parts[0], fin=False, rsv=4))
            for index, part in enumerate(parts[1:], 1):
                if not ws.conn.try_send(encode_frame(OP_CONT, part,
                                                     fin=index == len(parts) - 1)):
                    break
            expect_close(ws, 1009)
    grown = door_server.rss() - before
    assert grown < 2 << 20, "RSS grew by %d bytes" % grown
    assert_serving(addr)


def test_hundred_thousand_fragments_refused(addr):
    with open_raw(addr) as ws:
        client = Deflating(client_bits=12)
        ws.conn.send(encode_frame(OP_TEXT, client.deflate(b"a"), fin=False, rsv=4))
        empty = encode_frame(OP_CONT, b"", fin=False, mask_key=b"\x00\x00\x00\x00")
        batch = empty * 1000
        for _ in range(100):
            if not ws.conn.try_send(batch):
                break
        expect_close(ws, 1009)
    assert_serving(addr)


@pytest.mark.parametrize("service, offer", [("binary_echo", None), ("compressed_echo", CHROME)])
def test_binary_echo_on_the_raw_endpoint(addr, service, offer):
    with open_raw(addr, service, offer) as ws:
        client = Deflating(client_bits=12)
        payload = os.urandom(100) + b"\x00" * 400
        ws.send_frame(OP_BINARY, payload)
        frame = ws.recv_message(2.0)
        assert frame.opcode == OP_BINARY
        got = client.inflate(frame.payload) if frame.rsv == 4 else frame.payload
        assert got == payload
        ws.send_text("text still goes to dataReceived")
        frame = ws.recv_message(2.0)
        assert frame.opcode == OP_TEXT


def test_binary_to_a_text_only_app_is_1003(addr):
    with open_raw(addr, "echo", offer=None) as ws:
        ws.send_frame(OP_BINARY, b"\x01\x02")
        expect_close(ws, 1003)
