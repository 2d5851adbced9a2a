"""Server RSS per idle WebSocket session, real connections, ours against websockets.

    .venv/bin/python benchmarks/ws_idle_memory.py [--sessions 400]

For each server (one process each, started here on 127.0.0.1): open ``--sessions``
connections with a browser's offer (Chrome: ``permessage-deflate; client_max_window_bits``,
whose answer gives us client window 12; Firefox: bare ``permessage-deflate``, window 15), do
two round trips of a ~200-byte JSON message on each (compressed by the client with zlib at
level 6, as browsers do), wait for the idle release, and read the server's VmRSS.  Per
session = (RSS after - RSS before the connections) / sessions.

* txsockjs ``python -m txsockjs conformance`` raw ``/compressed_echo/websocket``, with
  ``compression`` = our defaults (level 1, windows 12, memLevel 5) and ``release_after`` 1 s
  (the default is 10 s; only the wait differs);
* websockets (asyncio server, echo) at the same settings: level 1, server/client window 12,
  memLevel 5 (it keeps its streams; nothing to wait for);
* txsockjs with compression off (``/binary_echo/websocket``, no offer accepted): what an
  uncompressed session costs.

One run, one machine: compare the rows with each other.
"""

import argparse
import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import textwrap
import time
import zlib

CHROME = "permessage-deflate; client_max_window_bits"
FIREFOX = "permessage-deflate"
MESSAGE = json.dumps({"type": "message", "room": "general", "user": "ann", "id": 12345,
                      "text": "hello there, the meeting moved to three pm, please review "
                              "the pull request"}).encode()

WEBSOCKETS_SERVER = textwrap.dedent("""
    import asyncio, sys
    from websockets.asyncio.server import serve
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async def main():
        deflate = ServerPerMessageDeflateFactory(
            server_max_window_bits=12, client_max_window_bits=12,
            compress_settings={"level": 1, "memLevel": 5})
        async with serve(echo, "127.0.0.1", 0, extensions=[deflate], compression=None,
                         ping_interval=None, max_queue=1) as server:
            port = server.sockets[0].getsockname()[1]
            print("listening on http://127.0.0.1:%d" % port, flush=True)
            await asyncio.Future()

    asyncio.run(main())
""")


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024


def start(argv):
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if match:
            return proc, int(match.group(1))
    proc.kill()
    raise RuntimeError("server did not start: %r" % argv)


def frame(payload, rsv1):
    mask = os.urandom(4)
    head = bytes([0x81 | (0x40 if rsv1 else 0)])
    n = len(payload)
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


async def read_frame(reader):
    first, second = await reader.readexactly(2)
    n = second & 0x7F
    if n == 126:
        n = int.from_bytes(await reader.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await reader.readexactly(8), "big")
    return first, await reader.readexactly(n)


async def session(port, path, offer, keep):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    head = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
            % (path, port, key))
    if offer:
        head += "Sec-WebSocket-Extensions: %s\r\n" % offer
    writer.write((head + "\r\n").encode())
    response = (await reader.readuntil(b"\r\n\r\n")).decode("latin1").lower()
    assert " 101 " in response.split("\r\n")[0], response
    accepted = "permessage-deflate" in response
    bits = 12 if "client_max_window_bits=12" in response else 15
    compressor = zlib.compressobj(6, zlib.DEFLATED, -bits)
    for _ in range(2):
        if accepted:
            data = compressor.compress(MESSAGE) + compressor.flush(zlib.Z_SYNC_FLUSH)
            writer.write(frame(data[:-4], True))
        else:
            writer.write(frame(MESSAGE, False))
        await read_frame(reader)
    keep.append((reader, writer, accepted))


async def open_sessions(port, path, offer, count):
    keep = []
    for start_at in range(0, count, 50):
        await asyncio.gather(*(session(port, path, offer, keep)
                               for _ in range(start_at, min(count, start_at + 50))))
    return keep


def measure(name, argv, path, offer, count, wait):
    proc, port = start(argv)
    try:
        time.sleep(0.5)
        before = rss(proc.pid)
        loop = asyncio.new_event_loop()
        keep = loop.run_until_complete(open_sessions(port, path, offer, count))
        time.sleep(wait)
        after = rss(proc.pid)
        accepted = sum(1 for k in keep if k[2])
        for _, writer, _ in keep:
            writer.close()
        loop.close()
    finally:
        proc.kill()
        proc.wait()
    per = (after - before) / count
    print("%-34s %-9s %5d/%d compressed  %8.1f KiB/session" % (
        name, "Chrome" if offer == CHROME else ("Firefox" if offer else "no offer"),
        accepted, count, per / 1024), flush=True)
    return per


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=400)
    args = parser.parse_args(argv)
    ours = [sys.executable, "-m", "txsockjs", "conformance", "--port", "0"]
    ours_deflate = ours + ["--compression", json.dumps({"release_after": 1.0})]
    theirs = [sys.executable, "-c", WEBSOCKETS_SERVER]
    print("server RSS per idle session after two round trips (%d sessions; kernels: %s)"
          % (args.sessions, os.environ.get("TXSOCKJS_NO_EXTENSIONS") and "pure" or "default"))
    for offer in (CHROME, FIREFOX):
        measure("txsockjs compression (released)", ours_deflate, "/compressed_echo/websocket",
                offer, args.sessions, 3.0)
        measure("websockets 12/12 level 1 mem 5", theirs, "/", offer, args.sessions, 3.0)
    measure("txsockjs compression off", ours, "/binary_echo/websocket", CHROME,
            args.sessions, 3.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
