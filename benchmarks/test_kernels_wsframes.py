"""WebSocket frames: txsockjs compiled and pure vs aiohttp reader_c,
websockets' sans-I/O parser and wsproto, on masked client frames.

Each call parses a batch of frames (about 256 KiB, at least 64 frames), fed
in one buffer or in random chunks (1 byte to 8 KiB, fixed seed), and hands
every payload to the caller.
"""

import asyncio
import os
import random

import pytest

from conftest import load_compiled, record
from txsockjs._speedups import wsframes_py

COMPILED = load_compiled()
SIZES = {"20B": 20, "125B": 125, "1KiB": 1024, "16KiB": 16384, "64KiB": 65536}
MASK = b"\x37\xfa\x21\x3d"


def client_frame(payload, opcode=2):
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0xFE)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0xFF)) + n.to_bytes(8, "big")
    return head + MASK + wsframes_py.websocket_mask(MASK, payload)


def stream(size):
    count = max(64, (256 * 1024) // size)
    payload = os.urandom(size)
    return client_frame(payload) * count, count


def split(data, seed=1):
    rng = random.Random(seed)
    pieces, pos = [], 0
    while pos < len(data):
        step = rng.randint(1, 8192)
        pieces.append(data[pos:pos + step])
        pos += step
    return pieces


# Each factory returns feed(pieces) -> number of frames delivered.

def txsockjs_factory(module):
    def make():
        parser = module.FrameParser(max_payload=1 << 24)
        feed = parser.feed

        def run(pieces):
            n = 0
            for piece in pieces:
                n += len(feed(piece))
            return n
        return run
    return make


def aiohttp_factory():
    from aiohttp._websocket.reader_c import WebSocketDataQueue, WebSocketReader

    class Protocol:
        _reading_paused = False

        def pause_reading(self):
            self._reading_paused = True

        def resume_reading(self):
            self._reading_paused = False

    loop = asyncio.new_event_loop()

    def make():
        # The queue's _limit (twice this) is an unsigned int: with the largest
        # limit it never stalls, and its _size counter wraps harmlessly.
        queue = WebSocketDataQueue(Protocol(), (1 << 31) - 1, loop=loop)
        reader = WebSocketReader(queue, 1 << 24, False, False)
        feed = reader.feed_data
        buffer = queue._buffer

        def run(pieces):
            for piece in pieces:
                feed(piece)
            n = len(buffer)
            buffer.clear()
            return n
        return run
    return make


def websockets_protocol_factory():
    from websockets.protocol import Protocol, Side, State

    def make():
        protocol = Protocol(Side.SERVER, state=State.OPEN, max_size=1 << 24)

        def run(pieces):
            n = 0
            for piece in pieces:
                protocol.receive_data(piece)
                n += len(protocol.events_received())
            return n
        return run
    return make


def websockets_pure_mask_factory():
    """websockets' Protocol with its pure-Python mask (as without its C speedups)."""
    import sys

    import websockets.frames as frames
    make_protocol = websockets_protocol_factory()

    def pure_apply_mask(data, mask):
        data_int = int.from_bytes(data, sys.byteorder)
        mask_repeated = mask * (len(data) // 4) + mask[: len(data) % 4]
        mask_int = int.from_bytes(mask_repeated, sys.byteorder)
        return (data_int ^ mask_int).to_bytes(len(data), sys.byteorder)

    def make():
        inner = make_protocol()

        def run(pieces):
            saved, frames.apply_mask = frames.apply_mask, pure_apply_mask
            try:
                return inner(pieces)
            finally:
                frames.apply_mask = saved
        return run
    return make


def websockets_frames_factory():
    from websockets.frames import Frame
    from websockets.streams import StreamReader

    def make():
        reader = StreamReader()
        read_exact = reader.read_exact
        state = {"parser": None}

        def run(pieces):
            n = 0
            for piece in pieces:
                reader.feed_data(piece)
                while True:
                    parser = state["parser"]
                    if parser is None:
                        parser = state["parser"] = Frame.parse(
                            read_exact, mask=True, max_size=1 << 24, extensions=[])
                    try:
                        next(parser)
                    except StopIteration:
                        state["parser"] = None
                        n += 1
                    else:
                        break
            return n
        return run
    return make


def wsproto_factory():
    from wsproto.frame_protocol import FrameProtocol

    def make():
        protocol = FrameProtocol(client=False, extensions=[])

        def run(pieces):
            n = 0
            for piece in pieces:
                protocol.receive_bytes(piece)
                for frame in protocol.received_frames():
                    # wsproto also hands out partial payloads as they arrive.
                    n += frame.frame_finished
            return n
        return run
    return make


def impls():
    out = {}
    if COMPILED:
        out["txsockjs-compiled"] = txsockjs_factory(COMPILED[1])
    out["txsockjs-pure"] = txsockjs_factory(wsframes_py)
    for name, factory in (("aiohttp-reader_c", aiohttp_factory),
                          ("websockets-protocol", websockets_protocol_factory),
                          ("websockets-protocol-puremask", websockets_pure_mask_factory),
                          ("websockets-frame.parse", websockets_frames_factory),
                          ("wsproto", wsproto_factory)):
        try:
            out[name] = factory()
        except ImportError:
            pass
    return out


IMPLS = impls()
# The pure twin is held to websockets as installed (with its C mask) and to
# websockets running pure Python itself.
GOALS = {
    "txsockjs-compiled": [("aiohttp-reader_c", 1.0)],
    "txsockjs-pure": [("websockets-protocol", 1.0), ("websockets-protocol-puremask", 1.0)],
}


@pytest.mark.parametrize("feeding", ["one-buffer", "random-chunks"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("impl", list(IMPLS))
def test_parse(benchmark, impl, size, feeding):
    data, count = stream(SIZES[size])
    pieces = [data] if feeding == "one-buffer" else split(data)
    run = IMPLS[impl]()
    assert run(pieces) == count
    record(benchmark, "parse %s frames, %s" % (size, feeding), impl, count, "frames",
           GOALS.get(impl, ()))
    benchmark(run, pieces)


BUILD_SIZES = {"20B": 20, "1KiB": 1024, "64KiB": 65536}


def impls_build():
    out = {}
    if COMPILED:
        out["txsockjs-compiled"] = COMPILED[1].build_frame
    out["txsockjs-pure"] = wsframes_py.build_frame
    try:
        from websockets.frames import Frame, Opcode
        out["websockets"] = lambda op, payload: Frame(Opcode(op), payload).serialize(
            mask=False)
    except ImportError:
        pass
    try:
        from aiohttp._websocket.reader_c import WebSocketReader  # noqa: F401 (presence)
        import struct
        pack = struct.Struct("!BBQ").pack

        def header_concat(op, payload):
            n = len(payload)
            if n < 126:
                return bytes((0x80 | op, n)) + payload
            if n < 65536:
                return bytes((0x80 | op, 126)) + n.to_bytes(2, "big") + payload
            return pack(0x80 | op, 127, n) + payload
        out["struct-concat"] = header_concat
    except ImportError:
        pass
    return out


BUILD_IMPLS = impls_build()


@pytest.mark.parametrize("size", list(BUILD_SIZES))
@pytest.mark.parametrize("impl", list(BUILD_IMPLS))
def test_build(benchmark, impl, size):
    payload = os.urandom(BUILD_SIZES[size])
    build = BUILD_IMPLS[impl]
    record(benchmark, "build %s frame" % size, impl, 1, "frames")
    benchmark(build, 2, payload)
