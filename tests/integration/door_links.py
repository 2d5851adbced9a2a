"""Helpers for test_who_connects.py: the door server process and a client that holds a
session on any one transport, from any local address.

* :class:`DoorServer`: tests/integration/door_server.py in a subprocess, with the
  ``DOOR {json}`` events it prints and its log split into log events;
* :class:`Link`: one transport's hold on a session (open it, read its frames, send into
  it), with the same query string, headers and source address on every request, as
  sockjs-client keeps them.
"""

import contextlib
import json
import os
import re
import sys
import time
import urllib.parse

from .conftest import Server
from .wire import OP_CLOSE, OP_TEXT, SockJSWebSocket, Stream, WebSocket, new_session_id, request

DOOR_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "door_server.py")
TRANSPORTS = ["websocket", "raw_websocket", "xhr", "xhr_streaming", "eventsource", "htmlfile",
              "jsonp"]
HTTP_TRANSPORTS = ["xhr", "xhr_streaming", "eventsource", "htmlfile", "jsonp"]
# Transports whose requests a browser makes without CORS: off when origins are restricted.
UNCHECKABLE = ["htmlfile", "jsonp"]
# A second client: every 127.x.y.z address is this machine's loopback.
OTHER = "127.0.0.2"
_LOG_START = re.compile(r"\d{4}-\d\d-\d\dT")


class DoorServer(Server):

    def __init__(self, front="own"):
        Server.__init__(self, argv=[sys.executable, DOOR_SERVER, "--host", "127.0.0.1",
                                    "--port", "0", "--front", front], keep_lines=200000)

    @contextlib.contextmanager
    def running(self):
        """Started, and stopped after; it must still be alive then."""
        self.start()
        try:
            yield self
            assert self.alive(), "door server died:\n" + self.log_tail()
        finally:
            self.stop()

    def sync(self):
        """Wait until everything the server printed so far has been read (its output
        reaches us through a pipe and a thread: it may lag behind its answers).
        Returns the position just after, for ``events(since=...)``."""
        nonce = new_session_id()
        resp = request(self.addr, "POST", "/auth/000/%s/xhr?token=mark-%s" % (nonce, nonce),
                       body=b"")
        assert resp.status == 403, resp
        deadline = time.monotonic() + 5.0
        while True:
            lines = list(self.output)
            for back, line in enumerate(reversed(lines)):
                if line.startswith("DOOR ") and nonce in line:
                    return self.lines_seen - back
            assert time.monotonic() < deadline, "the server's output stopped"
            time.sleep(0.01)

    mark = sync

    def events(self, since=0, **match):
        """The ``DOOR`` events printed since ``since`` (a position from ``sync``)
        matching ``match``; wait for them with ``wait_events``."""
        found = []
        for line in self.lines_since(since):
            if line.startswith("DOOR "):
                fields = json.loads(line[5:])
                if (fields.get("token") or "").startswith("mark-"):
                    continue
                if all(fields.get(k) == v for k, v in match.items()):
                    found.append(fields)
        return found

    def wait_events(self, count, since=0, timeout=5.0, **match):
        """The events matching ``match`` once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.events(since, **match)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def wait_all_closed(self, service, since, timeout=8.0):
        """Every session the service made since ``since`` has been lost."""
        deadline = time.monotonic() + timeout
        self.sync()
        made = {e["serial"] for e in self.events(since, event="made", service=service)}
        while True:
            lost = {e["serial"] for e in self.events(since, event="lost", service=service)}
            if made <= lost:
                return
            assert time.monotonic() < deadline, \
                "%s: %d sessions made, %d not lost" % (service, len(made), len(made - lost))
            time.sleep(0.05)

    def log_events(self, since):
        """The server's log since ``since``, one str per log event (tracebacks
        stay with the event that logged them)."""
        out = []
        for line in self.lines_since(since):
            if _LOG_START.match(line) or not out or line.startswith("DOOR "):
                out.append(line)
            else:
                out[-1] += "\n" + line
        return out


def frame_text(frame):
    """A SockJS frame from ``p("...")`` / ``cb("...")`` script text."""
    found = re.search(r'\((".*")\);', frame, re.S)
    assert found, "not a script frame: %r" % frame
    return json.loads(found.group(1))


class Link:
    """One transport's hold on session ``sid`` of ``service``.

    After construction: ``status`` (101/200 when admitted), ``resp``, ``body`` (the
    refusal's text) and ``opened`` (the open frame arrived; always so for raw websocket).
    """

    def __init__(self, addr, transport, service="who", sid=None, query="", headers=(),
                 source=None, timeout=3.0):
        self.addr = addr
        self.transport = transport
        self.service = service
        self.sid = sid or new_session_id()
        self.query = query
        self.headers = list(headers)
        self.source = source
        self.timeout = timeout
        self.ws = None
        self.stream = None
        self.polled = []
        self.opened = False
        self._open()

    # -- URLs ------------------------------------------------------------------

    @property
    def base(self):
        return "/%s/000/%s" % (self.service, self.sid)

    def url(self, suffix, *params):
        parts = [p for p in (self.query,) + params if p]
        return self.base + suffix + ("?" + "&".join(parts) if parts else "")

    # -- opening ---------------------------------------------------------------

    def _open(self):
        t = self.transport
        if t in ("websocket", "raw_websocket"):
            path = ("/%s/websocket" % self.service if t == "raw_websocket"
                    else self.base + "/websocket")
            if self.query:
                path += "?" + self.query
            conn, resp, key = WebSocket.handshake(self.addr, path, self.headers, self.timeout,
                                                  source=self.source)
            self.resp = resp
            if resp.status == 101:
                self.ws = SockJSWebSocket(conn, resp, key)
                self.opened = t == "raw_websocket" or self.ws.recv_sockjs(self.timeout) == "o"
            else:
                resp.read_body(conn, "GET", self.timeout)
                conn.close()
        elif t in ("xhr", "jsonp"):
            self.resp = self._poll()
            if self.resp.status == 200:
                frames = self._poll_frames(self.resp)
                self.opened = frames[:1] == ["o"]
                # a poll of a session that is already open: its frames are for the reader
                self.polled = frames[1:] if self.opened else frames
        else:
            method = "POST" if t == "xhr_streaming" else "GET"
            params = ("c=cb",) if t == "htmlfile" else ()
            stream = Stream.open(self.addr, method, self.url("/" + t, *params), self.headers,
                                 b"" if method == "POST" else None, timeout=self.timeout,
                                 source=self.source)
            self.resp = stream.resp
            if stream.resp.status == 200:
                self.stream = stream
                if t == "htmlfile":
                    stream.read_until(b"\r\n\r\n", self.timeout)
                self.opened = self.next_frame() == "o"
            else:
                stream.resp.read_body(stream.conn, method, self.timeout)
                stream.close()
        self.status = self.resp.status
        self.body = self.resp.body.decode("utf-8", "replace")

    def _poll(self):
        if self.transport == "jsonp":
            return request(self.addr, "GET", self.url("/jsonp", "c=cb"), self.headers,
                           timeout=self.timeout, source=self.source)
        return request(self.addr, "POST", self.url("/xhr"), self.headers, b"",
                       timeout=self.timeout, source=self.source)

    def _poll_frames(self, resp):
        text = resp.body.decode("utf-8")
        if self.transport == "jsonp":
            return [frame_text(text)]
        return [frame for frame in text.split("\n") if frame]

    # -- reading ---------------------------------------------------------------

    def next_frame(self, timeout=None):
        """The next SockJS frame other than a heartbeat (raw websocket messages
        come as ``a[...]`` frames, its close as ``c[...]``); None at the end."""
        timeout = self.timeout if timeout is None else timeout
        while True:
            frame = self._next(timeout)
            if frame != "h":
                return frame

    def _next(self, timeout):
        t = self.transport
        if t == "websocket":
            got = self.ws.recv_sockjs(timeout)
            if got is None or isinstance(got, str):
                return got
            return "c" + json.dumps(list(got.close_code()))
        if t == "raw_websocket":
            got = self.ws.recv_message(timeout)
            if got is None:
                return None
            if got.opcode == OP_CLOSE:
                return "c" + json.dumps(list(got.close_code()))
            assert got.opcode == OP_TEXT, got
            return "a" + json.dumps([got.text])
        if t in ("xhr", "jsonp"):
            if not self.polled:
                resp = self._poll()
                assert resp.status == 200, "the owner's poll was refused: %r" % resp
                self.polled = self._poll_frames(resp)
            return self.polled.pop(0)
        stream = self.stream
        if t == "xhr_streaming":
            frame = stream.read_until(b"\n", timeout).decode("utf-8")[:-1]
            # the 2048-byte prelude of h's counts as a heartbeat
            return "h" if frame and frame == "h" * len(frame) else frame
        if t == "eventsource":
            event = stream.read_until(b"\r\n\r\n", timeout).decode("utf-8").lstrip("\r\n")
            assert event.startswith("data: "), event
            return urllib.parse.unquote(event[len("data: "):-4])
        return frame_text(stream.read_until(b"</script>\r\n", timeout).decode("utf-8"))

    def messages(self, count, timeout=None):
        """``count`` messages, from as many frames as it takes; a close frame fails."""
        got = []
        while len(got) < count:
            frame = self.next_frame(timeout)
            assert frame is not None and frame.startswith("a"), \
                "expected messages after %r, got frame %r" % (got, frame)
            got += json.loads(frame[1:])
        return got

    def who(self):
        """What the application knows of this session (its handshake)."""
        self.send(["who?"])
        return json.loads(self.messages(1)[0])

    # -- sending ---------------------------------------------------------------

    def send(self, messages, source=None, headers=None):
        """Deliver messages the way this transport's client would; returns the HTTP
        status of the send (None on websockets). ``source``/``headers`` override the
        link's own (to send as someone else)."""
        t = self.transport
        if t == "websocket":
            self.ws.send_json(messages)
            return None
        if t == "raw_websocket":
            for message in messages:
                self.ws.send_text(message)
            return None
        return send_into(self, messages, source, headers).status

    def close(self):
        if self.ws is not None:
            self.ws.close()
        if self.stream is not None:
            self.stream.close()


def send_into(link, messages, source=None, headers=None, jsonp=None):
    """POST ``messages`` into ``link``'s session with xhr_send (or jsonp_send, the
    jsonp transport's own way); returns the Response."""
    source = link.source if source is None else source
    headers = link.headers if headers is None else headers
    if jsonp is None:
        jsonp = link.transport == "jsonp"
    payload = json.dumps(messages)
    if jsonp:
        body = "d=" + urllib.parse.quote(payload)
        return request(link.addr, "POST", link.url("/jsonp_send"),
                       list(headers) + [("Content-Type", "application/x-www-form-urlencoded")],
                       body, timeout=link.timeout, source=source)
    return request(link.addr, "POST", link.url("/xhr_send"), headers, payload,
                   timeout=link.timeout, source=source)
