"""Applications that use flow control, through both front doors (our own HTTP channel
and a twisted.web Site), against tests/integration/flow_server.py:

* client messages held for a paused application: their requests are answered even
  when the session closes before the application reads again;
* a client that stops reading a streaming response while the application writes a
  lot: the application is paused (IPushProducer), the server's memory stays bounded,
  and once the client reads again every message arrives once, in order;
* a client that pipelines many receiving requests and reads nothing: no response
  starts while the socket is full, so the server's memory stays bounded;
* a body far above max_message_size is refused without being read into memory.
"""

import json
import os
import socket
import sys
import time

import pytest

from .conftest import DOORS, Server, _serve
from .wire import (Conn, build_request, new_session_id, open_session, start_request, xhr,
                   xhr_send)

FLOW_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flow_server.py")


@pytest.fixture(scope="module", params=DOORS)
def flow(request):
    yield from _serve(Server(argv=[sys.executable, FLOW_SERVER, "--front", request.param],
                             front=request.param))


def test_sends_held_for_a_paused_application_are_answered_when_it_closes(flow):
    addr = flow.addr
    url = "/holder/000/%s" % new_session_id()
    open_session(addr, url)
    assert xhr_send(addr, url, ["pause-then-close"]).status == 204
    # Both wait for the application, which closes the session instead of reading them.
    held = [start_request(addr, "POST", url + "/xhr_send", body=b'["late"]', timeout=3.0),
            start_request(addr, "POST", url + "/jsonp_send", [("Content-Type", "text/plain")],
                          b'["late"]', timeout=3.0)]
    statuses = []
    for conn in held:
        with conn:
            statuses.append(conn.read_response("POST").status)
    assert statuses == [204, 200]
    assert xhr(addr, url).body == b'c[3000,"Go away!"]\n'


def _open_stream(addr, url, transport):
    if transport == "xhr_streaming":
        return start_request(addr, "POST", url + "/xhr_streaming", body=b"", timeout=5.0)
    return start_request(addr, "GET", url + "/" + transport + "?c=cb", timeout=5.0)


# How a frame of each transport ends, with its chunk's CRLF (each frame is a chunk).
FRAME_END = {"xhr_streaming": b"\n\r\n", "eventsource": b"\r\n\r\n\r\n",
             "htmlfile": b"</script>\r\n\r\n"}


def _messages(transport, data):
    """The messages of every ``a`` frame in a streaming response's raw bytes."""
    if transport == "xhr_streaming":
        frames = [line.decode() for line in data.split(b"\n")]
    elif transport == "eventsource":
        frames = [line[6:].decode() for line in data.split(b"\r\n") if line.startswith(b"data: ")]
    else:
        # each frame is <script>\np("<frame as a JSON string>");\n</script>\r\n
        frames = [json.loads(piece.split(b");\n</script>")[0]) for piece in data.split(b"\np(")[1:]]
    out = []
    for frame in frames:
        if frame.startswith("a["):
            out += json.loads(frame[1:])
    return out


@pytest.mark.parametrize("transport", ["xhr_streaming", "eventsource", "htmlfile"])
def test_a_stalled_stream_pauses_the_application_and_loses_nothing(flow, transport):
    addr = flow.addr
    count = 3000                              # 48 MiB of messages
    url = "/producer/000/%s" % new_session_id()
    conn = _open_stream(addr, url, transport)
    with conn:
        time.sleep(0.2)
        before = flow.rss()
        seen = flow.lines_seen
        assert xhr_send(addr, url, ["go %d" % count]).status == 204
        time.sleep(1.0)                       # the client reads nothing meanwhile
        assert any("PRODUCER paused" in line for line in flow.lines_since(seen))
        grown = flow.rss() - before
        assert grown < 24 << 20, "the server grew by %d MiB" % (grown >> 20)
        data = bytearray()
        numbers = []
        deadline = time.monotonic() + 15
        while len(numbers) < count and time.monotonic() < deadline:
            conn._fill(deadline)
            data += conn.buf
            del conn.buf[:]
            # (parse the frames complete so far: up to the end of the last chunk's)
            end = data.rfind(FRAME_END[transport])
            end = end + len(FRAME_END[transport]) if end >= 0 else 0
            numbers += [int(m.split(":")[0]) for m in _messages(transport, bytes(data[:end]))]
            del data[:end]
    assert numbers == list(range(1, count + 1))


@pytest.mark.parametrize("transport", ["xhr", "xhr_streaming"])
def test_pipelined_receivers_wait_while_the_socket_is_full(flow, transport):
    """twisted.web handles a pipelined request as soon as the one before finishes, and
    tells only the producer registered when the socket fills: each next response was
    written into a full socket without pause (300 streams: +165 MiB)."""
    from twisted import version as twisted_version
    if flow.front == "web" and twisted_version.major < 23:
        pytest.skip("Twisted 22.10 handles the next pipelined request while the previous "
                    "response's producer is still registered, and refuses another "
                    "(twistedweb/adapters.py _register): no pause forwarding there")
    addr = flow.addr
    url = "/cycling/000/%s" % new_session_id()
    open_session(addr, url)
    with Conn(addr) as conn:
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conn.send(build_request("POST", url + "/" + transport, body=b"", host=addr) * 300)
        time.sleep(0.2)
        before = flow.rss()
        assert xhr_send(addr, url, ["go 20000"]).status == 204     # 320 MiB of messages
        time.sleep(2.0)
        grown = flow.rss() - before
        assert grown < 32 << 20, "the server grew by %d MiB" % (grown >> 20)
        conn.abort()


def test_a_huge_body_is_not_read_into_memory(flow):
    """twisted.web reads a whole body (to a temporary file past 100 KB) before the
    resource sees it; the resource then read all of it into memory for its 413
    (600 MB: +560 MiB).  Our own door answers 413 at the head (see test_hostile.py)."""
    if flow.front == "own":
        pytest.skip("our own door refuses at the head, before any body: test_hostile.py")
    addr = flow.addr
    url = "/holder/000/%s" % new_session_id()
    open_session(addr, url)
    size = 200 << 20
    before = flow.rss()
    _reset_peak_rss(flow)
    with Conn(addr, timeout=20.0) as conn:
        conn.send(build_request("POST", url + "/xhr_send", [("Content-Length", str(size))],
                                host=addr))
        piece = b"x" * (1 << 20)
        for _ in range(size >> 20):
            conn.send(piece)
        assert conn.read_response("POST").status == 413
    grown = _peak_rss(flow) - before    # (the body was read, refused and freed by now)
    assert grown < 64 << 20, "the server grew by %d MiB" % (grown >> 20)


def _reset_peak_rss(server):
    with open("/proc/%d/clear_refs" % server.proc.pid, "w") as f:
        f.write("5")  # (Linux: VmHWM starts again from the current RSS)


def _peak_rss(server):
    with open("/proc/%d/status" % server.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc")
