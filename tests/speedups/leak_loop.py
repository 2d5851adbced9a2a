"""Run one compiled kernel call many times and print how much the RSS grew.

    python leak_loop.py NAME [CALLS]      # prints "<kib grown> <calls>"

Run by test_leaks.py in a subprocess of its own (multidict's leak tests do the same):
a warm-up of a tenth of the calls first (caches, free lists, arenas settle), then the
RSS before and after the measured calls.  Each case is one kernel entry point on the
inputs that reach its allocating branches, the error paths included (an exception that
keeps a reference is the usual leak in a C extension).
"""

import gc
import sys

from kernel_paths import COMPILED as K  # noqa: N812
from txsockjs._speedups.kernelerrors import HTTPError, PayloadError, WebSocketError

MASK = b"\x37\xfa\x21\x3d"
_FRAME = b"\x81\x85" + MASK + K.websocket_mask(MASK, b"hello")
_BIG = b"\x82\xfe\x01\x00" + MASK + bytes(256)
HEAD = (b"GET /echo/000/abc/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Cookie: a=1\r\nCookie: b=2\r\nConnection: Upgrade")
_KEEP = []


def _expect(error, function, *args):
    try:
        function(*args)
    except error:
        return
    raise AssertionError("%s did not raise %s" % (function, error))


def _deflate():
    from txsockjs._speedups import deflate_c
    deflater = deflate_c.Deflater(1, 12, 5, b"the last window")
    deflater.compress(b'{"text": "hello there"}' * 3)
    deflater.compress(b"x" * 2000)  # (the default strategy above 1 KiB)
    deflater.window()


def _client_wire(message, finish=False):
    import zlib
    compressor = zlib.compressobj(6, zlib.DEFLATED, -12, zdict=b"the last window")
    if finish:
        return compressor.compress(message) + compressor.flush(zlib.Z_FINISH)
    return (compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]


_SHORT_WIRE = _client_wire(b'{"text": "hello there"}' * 3)
_LONG_WIRE = _client_wire(bytes(range(256)) * 100)        # 25.6 KB: past the stack buffer
_FINAL_WIRE = _client_wire(b"the end " * 10, finish=True)  # a final block: a new stream


def _inflate():
    from txsockjs._speedups import deflate_c
    inflater = deflate_c.Inflater(12, b"the last window")
    inflater.inflate(_SHORT_WIRE, True, 1 << 20)
    inflater = deflate_c.Inflater(12, b"the last window")
    inflater.inflate(_LONG_WIRE[:100], False, 1 << 20)
    inflater.inflate(_LONG_WIRE[100:], True, 1 << 20)
    inflater = deflate_c.Inflater(12, b"the last window")
    inflater.inflate(_FINAL_WIRE, True, 1 << 20)
    inflater.window()


def _inflate_errors():
    from txsockjs._speedups import deflate_c
    _expect(WebSocketError, deflate_c.Inflater(12, b"the last window").inflate,
            _LONG_WIRE, True, 20000)                        # 1009, with pieces held
    _expect(WebSocketError, deflate_c.Inflater(12).inflate, b"\x07" * 10, True, 100)  # 1007
    _expect(WebSocketError, deflate_c.Inflater(12, b"the last window").inflate,
            _FINAL_WIRE + b"junk", True, 1 << 20)           # 1002


def _feed_split():
    parser = K.FrameParser()
    parser.feed(_FRAME[:3])
    parser.partial_payload(0)
    parser.feed(memoryview(_FRAME + _BIG)[3:])


class _Request(object):
    def __init__(self, minor, keep_alive, method):
        self.minor, self.keep_alive, self.method = minor, keep_alive, method


class _Channel(object):
    def __init__(self):
        self.site = self
        self.http_errors = self

    def count(self, status):
        pass

    def write(self, data):
        pass

    def write_whole_response(self, data):
        pass

    def response_finished(self, response, close):
        pass


_HEADERS = [("Content-Type", "text/plain"), ("Cache-Control", "no-store")]
_origins = iter(range(1 << 62))


def _responses():
    channel = _Channel()
    K.Response(channel, _Request(1, True, "POST")).send(200, _HEADERS, b'a["x"]\n')
    K.Response(channel, _Request(0, True, "HEAD")).send(200, _HEADERS, bytearray(300))
    K.Response(channel, _Request(1, False, "GET")).send(204, _HEADERS)
    K.Response(channel, _Request(1, True, "GET")).error(404, "Not found.", close=True)
    stream = K.Response(channel, _Request(1, True, "GET"))
    stream.start_streaming(200, _HEADERS, b"first")
    stream.write(b"more")
    stream.finish()
    # A new head each call (an echoed Origin): the remembered heads are forgotten as they fill.
    K.head_lines(200, (("Access-Control-Allow-Origin", "http://h%d" % next(_origins)),))


def _response_lost():
    response = K.Response(_Channel(), _Request(1, True, "GET"))
    response.on_lost = response.lost  # (a cycle, as a receiver makes one: freed by lost())
    response.lost()


CASES = {
    "mask": lambda: K.websocket_mask(MASK, b"x" * 100),
    "mask_view": lambda: K.websocket_mask(bytearray(MASK), memoryview(b"x" * 77)[1:]),
    "mask_inplace": lambda: K.websocket_mask_inplace(MASK, bytearray(100)),
    "mask_error": lambda: _expect(ValueError, K.websocket_mask, b"abc", b"data"),
    "frames": lambda: K.FrameParser().feed(_FRAME + _FRAME + _BIG),
    "frames_split": _feed_split,
    "frames_error": lambda: _expect(WebSocketError, K.FrameParser().feed, _FRAME + b"\xf1\x80"),
    "build_frame": lambda: K.build_frame(1, b"y" * 300),
    "quote": lambda: K.quote("caf\u00e9 \u2028 \U0001f600 \ud800"),
    "encode_messages": lambda: K.encode_messages(["a", "\u00e9\u4e2d", "\U0001f600"]),
    "encode_many": lambda: K.encode_messages(["m"] * 40),  # sizes on the heap, not the stack
    "encode_fallback": lambda: K.encode_messages(["a", 1]),
    "deflate": lambda: _deflate(),
    "inflate": _inflate,
    "inflate_errors": _inflate_errors,
    "eventsource": lambda: K.wrap_eventsource(b'a["x\\n%\\r"]\n'),
    "htmlfile": lambda: K.wrap_htmlfile(b'a["</script>"]'),
    "jsonp": lambda: K.wrap_jsonp(b"cb", bytearray(b'a["&"]')),
    "decode": lambda: K.decode_messages(b'["a", "b\\u00e9", "\\n"]'),
    "decode_error": lambda: _expect(PayloadError, K.decode_messages, b'["a", 1]'),
    "decode_broken": lambda: _expect(PayloadError, K.decode_messages, b'["a\\ud800"'),
    "head": lambda: K.parse_request_head(HEAD),
    "head_error": lambda: _expect(HTTPError, K.parse_request_head, b"GET / HTTP/1.1\r\nBad Name: x"),
    "head_end": lambda: K.find_head_end(bytearray(HEAD + b"\r\n\r\n"), 3),
    "responses": _responses,
    "response_lost": _response_lost,
    # Not a kernel: a leak of 8 bytes a call, to show the loop can see one.
    "planted_leak": lambda: _KEEP.append(None),
}


def rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main(name, calls):
    case = CASES[name]
    for _ in range(calls // 10):
        case()
    gc.collect()
    before = rss_kib()
    for _ in range(calls):
        case()
    gc.collect()
    print(rss_kib() - before, calls)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000000)
