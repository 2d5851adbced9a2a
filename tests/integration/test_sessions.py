"""Session life: another connection, close, abort, disconnect timeout, streaming
limit, JSESSIONID. The server runs with heartbeat 1 s, timeout 2 s, limit 4096."""

import json
import threading
import time

import pytest

from .conftest import STREAMING_LIMIT, TIMEOUT
from .wire import (Conn, Stream, build_request, new_session_id, open_session, request,
                   start_request, xhr, xhr_send)

PRELUDE = b"h" * 2048 + b"\n"
ANOTHER = b'c[2010,"Another connection still open"]\n'
INTERRUPTED = b'c[1002,"Connection interrupted"]\n'


def url(service="echo"):
    return "/%s/000/%s" % (service, new_session_id())


def open_streaming(addr, u, headers=()):
    s = Stream.open(addr, "POST", u + "/xhr_streaming", headers, b"")
    assert s.resp.status == 200, s.resp
    assert s.read_until(b"\n") == PRELUDE
    return s


# -- another connection still open -----------------------------------------------------

@pytest.mark.parametrize("first", ["xhr", "xhr_streaming"])
def test_pipelined_requests_find_the_receiver_before_them_gone(addr, first):
    """[receiver, xhr_send, poll] pipelined on one connection: once the first receiver
    ends, the send is delivered and the poll attaches: it gets the echo, not c[2010]
    (twisted.web once handled the next request inside the first one's finish, while
    the session still held the receiver that was ending)."""
    u = url()
    open_session(addr, u)
    with Conn(addr, timeout=3.0) as conn:
        conn.send(build_request("POST", u + "/" + first, body=b"", host=addr)
                  + build_request("POST", u + "/xhr_send", body=b'["second"]', host=addr)
                  + build_request("POST", u + "/xhr", body=b"", host=addr))
        time.sleep(0.2)
        # ends the first receiver: a poll takes one frame, a stream this many bytes
        assert xhr_send(addr, u, ["f" * STREAMING_LIMIT]).status == 204
        assert conn.read_response("POST").status == 200
        assert conn.read_response("POST").status == 204
        assert conn.read_response("POST").body == b'a["second"]\n'


def test_another_connection_xhr_streaming(addr):
    u = url()
    with open_streaming(addr, u) as s:
        assert s.read_until(b"\n") == b"o\n"
        second = xhr(addr, u)
        assert second.status == 200 and second.body == ANOTHER
        # the first receiver and the session go on
        assert xhr_send(addr, u, ["still here"]).status == 204
        assert s.read_until(b"\n") == b'a["still here"]\n'


def test_another_connection_xhr_polling(addr):
    u = url()
    open_session(addr, u)
    with start_request(addr, "POST", u + "/xhr", body=b"") as held:
        time.sleep(0.1)
        assert xhr(addr, u).body == ANOTHER
        assert xhr_send(addr, u, ["m"]).status == 204
        assert held.read_response("POST").body == b'a["m"]\n'


def test_another_connection_second_streaming_receiver(addr):
    u = url()
    with open_streaming(addr, u) as s:
        assert s.read_until(b"\n") == b"o\n"
        with Stream.open(addr, "POST", u + "/xhr_streaming", body=b"") as s2:
            assert s2.read_until(b"\n") == PRELUDE
            assert s2.read_until(b"\n") == ANOTHER
            assert s2.wait_end(1.0)


def test_another_connection_eventsource(addr):
    u = url()
    with open_streaming(addr, u) as s:
        assert s.read_until(b"\n") == b"o\n"
        with Stream.open(addr, "GET", u + "/eventsource") as es:
            assert es.read_until(b"\r\n\r\n") == b'\r\ndata: c[2010,"Another connection still open"]\r\n\r\n'


# -- closed sessions ---------------------------------------------------------------------

def test_close_frame_on_every_later_request(addr):
    u = url("close")
    with open_streaming(addr, u) as s:
        assert s.read_until(b"\n") == b"o\n"
        assert s.read_until(b"\n") == b'c[3000,"Go away!"]\n'
    for _ in range(3):
        assert xhr(addr, u).body == b'c[3000,"Go away!"]\n'
    with Stream.open(addr, "GET", u + "/eventsource") as es:
        assert es.read_until(b"\r\n\r\n") == b'\r\ndata: c[3000,"Go away!"]\r\n\r\n'
    assert request(addr, "GET", u + "/jsonp?c=x").body == b'/**/x("c[3000,\\"Go away!\\"]");\r\n'


# -- abort detection ------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["close", "rst"])
def test_abort_xhr_streaming(addr, how):
    u = url()
    s = open_streaming(addr, u)
    assert s.read_until(b"\n") == b"o\n"
    assert xhr(addr, u).body == ANOTHER
    if how == "close":
        s.conn.close()
    else:
        s.conn.abort()
    resp = xhr(addr, u)
    assert resp.body in (b"o\n", INTERRUPTED), resp


@pytest.mark.parametrize("how", ["close", "rst"])
def test_abort_xhr_polling(addr, how):
    u = url()
    open_session(addr, u)
    held = start_request(addr, "POST", u + "/xhr", body=b"")
    time.sleep(0.1)
    assert xhr(addr, u).body == ANOTHER
    if how == "close":
        held.close()
    else:
        held.abort()
    resp = xhr(addr, u)
    assert resp.body in (b"o\n", INTERRUPTED), resp


def test_abort_then_session_usable_or_new(addr):
    u = url()
    s = open_streaming(addr, u)
    assert s.read_until(b"\n") == b"o\n"
    s.conn.abort()
    time.sleep(0.2)
    first = xhr(addr, u).body
    assert first in (b"o\n", INTERRUPTED)
    if first == INTERRUPTED:
        assert xhr(addr, u).body == INTERRUPTED  # a closed session stays closed
    else:
        assert xhr_send(addr, u, ["new"]).status == 204
        assert xhr(addr, u).body == b'a["new"]\n'


# -- heartbeat and disconnect timeout -----------------------------------------------------------

def test_session_expires_after_timeout(addr):
    u = url()
    open_session(addr, u)
    assert xhr_send(addr, u, ["queued"]).status == 204  # exists now
    time.sleep(TIMEOUT + 0.5)
    deadline = time.monotonic() + 1.5
    while True:
        status = xhr_send(addr, u, ["x"]).status
        if status == 404 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert status == 404, "session still alive %.1f s after the disconnect delay" % (TIMEOUT + 2)
    assert xhr(addr, u).body == b"o\n"  # the id is free again: a new session
    # and nothing queued in the old session leaks into the new one
    assert xhr(addr, u, timeout=2.5).body == b"h\n"


def test_session_kept_while_receiver_attached(addr):
    u = url()
    with open_streaming(addr, u) as s:
        assert s.read_until(b"\n") == b"o\n"
        deadline = time.monotonic() + TIMEOUT + 1.0
        beats = 0
        while time.monotonic() < deadline:
            chunk = s.read_until(b"\n", 1.6)
            assert chunk == b"h\n", chunk
            beats += 1
        assert beats >= 2
        assert xhr_send(addr, u, ["alive"]).status == 204
        assert s.read_until(b"\n") == b'a["alive"]\n'


def test_session_kept_by_repeated_polls(addr):
    u = url()
    open_session(addr, u)
    start = time.monotonic()
    while time.monotonic() - start < TIMEOUT + 0.7:
        body = xhr(addr, u, timeout=2.0).body  # each poll ends on a heartbeat
        assert body == b"h\n", body
    assert xhr_send(addr, u, ["alive"]).status == 204


# -- streaming limit -------------------------------------------------------------------------

def _frames_xhr(s):
    return s.read_until(b"\n", 1.5)


def _frames_eventsource(s):
    return s.read_until(b"\r\n\r\n", 1.5)


def _frames_htmlfile(s):
    return s.read_until(b"</script>\r\n", 1.5)


STREAMERS = {
    "xhr_streaming": ("POST", "/xhr_streaming", b"\n", _frames_xhr),
    "eventsource": ("GET", "/eventsource", b"\r\n", _frames_eventsource),
    "htmlfile": ("GET", "/htmlfile?c=cb", None, _frames_htmlfile),
}


@pytest.mark.parametrize("name", sorted(STREAMERS))
def test_streaming_limit(addr, name):
    u = url()
    open_session(addr, u)
    s = Stream.open(addr, STREAMERS[name][0], u + STREAMERS[name][1],
                    body=b"" if STREAMERS[name][0] == "POST" else None)
    with s:
        read_frame = STREAMERS[name][3]
        prelude = s.next_chunk()  # on HTTP/1.1 the prelude is a chunk of its own
        if name == "xhr_streaming":
            assert prelude == PRELUDE
        elif name == "eventsource":
            assert prelude == b"\r\n"
        else:
            assert len(prelude) > 1024 and b"c.start();" in prelude
        # the open frame went to the xhr poll: the first frame here is a message.
        # 900-character messages: the 5th frame crosses 4096 bytes whichever way the
        # server counts (payload only, or with the transport's wrapping)
        for i in range(5):
            message = "%d" % i + "x" * 899
            assert xhr_send(addr, u, [message]).status == 204
            frame = read_frame(s)
            assert message.encode() in frame, frame[:80]
            if i == 3:
                assert not s.wait_end(0.2), "response ended before the streaming limit"
        assert s.wait_end(1.0), "response did not end after the streaming limit"
        assert not s.pending.strip(), s.pending
    # nothing lost: the next receiver gets what comes next
    assert xhr_send(addr, u, ["after"]).status == 204
    assert xhr(addr, u).body == b'a["after"]\n'


def test_streaming_limit_no_loss_no_duplicates(addr):
    u = url()
    total = 200
    expected = ["%03d:" % i + "m" * 95 for i in range(total)]
    errors = []

    def sender():
        try:
            with Conn(addr, 3.0) as conn:  # one keep-alive connection for all sends
                for message in expected:
                    resp = conn.request("POST", u + "/xhr_send", body=json.dumps([message]))
                    if resp.status != 204:
                        errors.append(resp)
                        return
        except Exception as exc:  # surfaces in the main thread
            errors.append(exc)

    received = []
    cycles = 0
    thread = None
    deadline = time.monotonic() + 4.5
    while len(received) < total and time.monotonic() < deadline and not errors:
        with Stream.open(addr, "POST", u + "/xhr_streaming", body=b"") as s:
            assert s.read_until(b"\n") == PRELUDE
            cycles += 1
            if thread is None:
                assert s.read_until(b"\n") == b"o\n"
                thread = threading.Thread(target=sender, daemon=True)
                thread.start()
            frame_bytes = 0
            while True:
                try:
                    line = s.read_until(b"\n", 1.5)
                except Exception:
                    assert s.ended, "stream stalled"
                    break
                if line == b"h\n":
                    continue
                frame_bytes += len(line)
                assert line.startswith(b"a["), line
                received.extend(json.loads(line[1:]))
                if len(received) >= total:
                    break
            if s.ended:
                assert frame_bytes >= STREAMING_LIMIT - 2 or len(received) >= total, frame_bytes
    thread.join(3.0)
    assert not errors, errors[:1]
    assert received == expected[:len(received)], "lost, duplicated or reordered messages"
    assert len(received) == total, "only %d of %d messages arrived" % (len(received), total)
    assert cycles >= 3, cycles


# -- JSESSIONID ------------------------------------------------------------------------------

COOKIE_TRANSPORTS = [
    ("POST", "/xhr", None),
    ("POST", "/xhr_streaming", None),
    ("GET", "/eventsource", None),
    ("GET", "/htmlfile?c=cb", None),
    ("GET", "/jsonp?c=cb", None),
]


def _open_head(addr, method, path, headers=()):
    with Stream.open(addr, method, path, headers, b"" if method == "POST" else None) as s:
        return s.resp


def _cookie_ok(resp, value):
    cookies = [c.replace(" ", "").lower() for c in resp.headers_all("Set-Cookie")]
    return ("jsessionid=%s;path=/" % value).lower() in cookies


@pytest.mark.parametrize("method,path,_", COOKIE_TRANSPORTS)
def test_jsessionid_dummy(addr, method, path, _):
    resp = _open_head(addr, method, url("cookie_needed_echo") + path)
    assert resp.status == 200
    assert _cookie_ok(resp, "dummy"), resp.headers_all("Set-Cookie")


@pytest.mark.parametrize("method,path,_", COOKIE_TRANSPORTS)
def test_jsessionid_echoed(addr, method, path, _):
    resp = _open_head(addr, method, url("cookie_needed_echo") + path,
                      {"Cookie": "JSESSIONID=abcdef"})
    assert resp.status == 200
    assert resp.headers_all("Set-Cookie")
    assert any(c.startswith("JSESSIONID=abcdef") for c in resp.headers_all("Set-Cookie"))
    assert _cookie_ok(resp, "abcdef"), resp.headers_all("Set-Cookie")


def test_jsessionid_jsonp_send(addr):
    u = url("cookie_needed_echo")
    request(addr, "GET", u + "/jsonp?c=cb")
    resp = request(addr, "POST", u + "/jsonp_send",
                   {"Content-Type": "application/x-www-form-urlencoded"}, "d=%5B%22x%22%5D")
    assert resp.status == 200 and _cookie_ok(resp, "dummy"), resp.headers
    resp = request(addr, "POST", u + "/jsonp_send",
                   {"Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": "a=b; JSESSIONID=xyz"}, "d=%5B%22x%22%5D")
    assert resp.status == 200 and _cookie_ok(resp, "xyz"), resp.headers


def test_no_cookie_without_cookie_needed(addr):
    resp = _open_head(addr, "POST", url() + "/xhr")
    assert not resp.has("Set-Cookie")
    resp = _open_head(addr, "GET", url() + "/eventsource", {"Cookie": "JSESSIONID=abc"})
    assert not resp.has("Set-Cookie")


@pytest.mark.parametrize("method,path,prelude_end", [("GET", "/eventsource", b"data: o\r\n\r\n"),
                                                     ("GET", "/htmlfile?c=cb", b'p("o");\n</script>\r\n')])
def test_abort_other_streaming_receivers(addr, method, path, prelude_end):
    u = url()
    s = Stream.open(addr, method, u + path)
    s.read_until(prelude_end)
    assert xhr(addr, u).body == ANOTHER
    s.conn.abort()
    assert xhr(addr, u).body in (b"o\n", INTERRUPTED)


def test_closed_session_expires_too(addr):
    u = url("close")
    assert xhr(addr, u).body == b"o\n"
    assert xhr(addr, u).body == b'c[3000,"Go away!"]\n'
    time.sleep(TIMEOUT + 0.5)
    deadline = time.monotonic() + 1.5
    while True:
        body = xhr(addr, u).body
        if body == b"o\n" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert body == b"o\n", "closed session never expired: %r" % body


def test_heartbeat_interval(addr):
    with Stream.open(addr, "POST", url() + "/xhr_streaming", body=b"") as s:
        s.read_until(b"o\n")
        start = time.monotonic()
        assert s.read_until(b"\n", 2.0) == b"h\n"
        first = time.monotonic() - start
        assert s.read_until(b"\n", 2.0) == b"h\n"
        second = time.monotonic() - start - first
    assert 0.7 <= first <= 1.6, first
    assert 0.7 <= second <= 1.6, second


def test_jsonp_held_poll_heartbeat_and_another_connection(addr):
    u = url()
    assert request(addr, "GET", u + "/jsonp?c=cb").body == b'/**/cb("o");\r\n'
    with start_request(addr, "GET", u + "/jsonp?c=cb") as held:
        time.sleep(0.1)
        second = request(addr, "GET", u + "/jsonp?c=cb2")
        assert second.body == b'/**/cb2("c[2010,\\"Another connection still open\\"]");\r\n'
        assert held.read_response("GET", 2.0).body == b'/**/cb("h");\r\n'
