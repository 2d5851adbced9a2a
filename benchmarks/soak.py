#!/usr/bin/env python3
"""Soak: every transport at once, for a while, on loopback; does anything grow or get lost?

    python benchmarks/soak.py --minutes 30            # the long run (fuzzing/README.md)
    python benchmarks/soak.py --minutes 2 --check     # CI's slice (run-tests): exit 1 on a fault

A server (this file, run with --serve, in its own process) holds one service whose app
echoes every message and broadcasts those starting with "b:" to every connection.
Against it, at the same time, until the time is up:

* integrity sessions, one per transport (websocket, raw websocket, xhr_streaming,
  eventsource, htmlfile, xhr polling, jsonp polling): numbered messages (some non-ASCII)
  out, the echoes checked in order, nothing lost; a new session every few rounds (churn),
  a streaming receiver reopened when the server ends its response (streaming_limit);
* a broadcaster and a listener that checks every broadcast arrives, in order;
* slow readers: sessions that receive the broadcasts but never read, dropped after a while;
* churn: sessions opened on a random transport and abandoned, for the server to time out;
* bad inputs: garbage, malformed heads, frames and JSON, oversized requests.

Every --sample seconds (10) the server's RSS, open file descriptors, open sessions and
app connections are recorded.  After the clients stop, the server must be back to no
sessions, no app connections and its first file-descriptor count, and still serving.
--check turns the verdicts into the exit status: no integrity fault, RSS flat after the
warm-up (the first third, at most 2 minutes), fds and sessions back to the start.
"""

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

OPTIONS = {"heartbeat": 5, "timeout": 2, "streaming_limit": 16 * 1024,
           "send_buffer_limit": 256 * 1024}
SERVICE = "/soak"
PADDING = "x" * 8192  # of each broadcast


# -- the server ------------------------------------------------------------------------

def serve(stats_every):
    from twisted.internet import reactor, task
    from twisted.internet.protocol import Factory, Protocol

    from txsockjs.factory import SockJSMultiFactory
    from txsockjs.utils import broadcast

    connections = set()

    class EchoBroadcast(Protocol):
        def connectionMade(self):
            connections.add(self.transport)

        def connectionLost(self, reason):
            connections.discard(self.transport)

        def dataReceived(self, data):
            if data.startswith(b"b:"):
                broadcast(data, list(connections))
            else:
                self.transport.write(data)

    factory = SockJSMultiFactory()
    factory.addFactory(Factory.forProtocol(EchoBroadcast), SERVICE[1:], OPTIONS)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")

    def report():
        sessions = sum(sum(service["sessions"].values())
                       for service in factory.stats()["services"].values())
        sys.stdout.write("STATS %s\n" % json.dumps({
            "rss_kib": rss_kib(os.getpid()), "fds": len(os.listdir("/proc/self/fd")),
            "sessions": sessions, "connections": len(connections)}))
        sys.stdout.flush()

    sys.stdout.write("PORT %d\n" % port.getHost().port)
    sys.stdout.flush()
    task.LoopingCall(report).start(stats_every)
    reactor.run()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# -- clients, one class per transport: open() reads the "o" frame, recv() gives messages

import wire  # noqa: E402  (tests/integration/wire.py: byte-exact HTTP and WebSocket clients)

HTMLFILE_CALL = re.compile(rb'p\(("(?:[^"\\]|\\.)*")\);')
JSONP_CALL = re.compile(rb'/\*\*/cb\(("(?:[^"\\]|\\.)*")\);')


def messages_of(frame):
    """The messages of one SockJS frame (str); [] for heartbeats, Closed for a close."""
    if frame in ("h", "o"):
        return []
    if frame.startswith("c"):
        raise wire.Closed("session closed: %s" % frame)
    return wire.frame_messages(frame)


class Client(object):
    def __init__(self, addr):
        self.addr = addr
        self.url = "%s/000/%s" % (SERVICE, wire.new_session_id())

    def send(self, messages):
        response = wire.xhr_send(self.addr, self.url, messages, timeout=10)
        assert response.status == 204, response

    def close(self):
        pass


class WebSocketClient(Client):
    def open(self):
        self.ws = wire.SockJSWebSocket.connect(self.addr, self.url + "/websocket", timeout=10)
        assert self.ws.recv_sockjs() == "o"

    def send(self, messages):
        self.ws.send_json(messages)

    def recv(self, timeout):
        frame = self.ws.recv_sockjs(timeout)
        if frame is None or not isinstance(frame, str):
            raise wire.Closed("websocket closed: %r" % (frame,))
        return messages_of(frame)

    def close(self):
        self.ws.close()


class RawWebSocketClient(WebSocketClient):
    def open(self):
        self.ws = wire.WebSocket.connect(self.addr, SERVICE + "/websocket", timeout=10)

    def send(self, messages):
        for message in messages:
            self.ws.send_text(message)

    def recv(self, timeout):
        frame = self.ws.recv_message(timeout)
        if frame is None or frame.opcode != wire.OP_TEXT:
            raise wire.Closed("raw websocket closed: %r" % (frame,))
        return [frame.text]


class StreamingClient(Client):
    """xhr_streaming, eventsource, htmlfile: a receiver reopened when the server ends it."""
    method, suffix, end = "POST", "/xhr_streaming", b"\n"

    def open(self):
        self._listen()
        assert self._frames() == ["o"]

    def _listen(self):
        self.stream = wire.Stream.open(self.addr, self.method, self.url + self.suffix,
                                       body=b"" if self.method == "POST" else None, timeout=10)
        assert self.stream.resp.status == 200, self.stream.resp
        self.stream.next_chunk()  # the prelude

    def _frames(self, timeout=10):
        return [self.stream.read_until(self.end, timeout)[:-1].decode("utf-8")]

    def recv(self, timeout):
        try:
            frames = self._frames(timeout)
        except wire.Closed:  # streaming_limit reached: a new receiver, same session
            self.stream.close()
            self._listen()
            frames = self._frames(timeout)
        return [m for frame in frames for m in messages_of(frame)]

    def close(self):
        self.stream.close()


class EventSourceClient(StreamingClient):
    method, suffix, end = "GET", "/eventsource", b"\r\n\r\n"

    def _frames(self, timeout=10):
        event = self.stream.read_until(self.end, timeout)
        return [urllib.parse.unquote(event[len("data: "):-4].decode("utf-8"))]


class HtmlFileClient(StreamingClient):
    method, suffix, end = "GET", "/htmlfile?c=p", b"</script>\r\n"

    def _frames(self, timeout=10):
        block = self.stream.read_until(self.end, timeout)
        return [json.loads(HTMLFILE_CALL.search(block).group(1))]


class XhrPollingClient(Client):
    def open(self):
        assert self.recv(10) == []  # the "o" frame

    def recv(self, timeout):
        response = wire.xhr(self.addr, self.url, timeout=timeout)
        assert response.status == 200, response
        return [m for line in response.body.decode("utf-8").splitlines() for m in messages_of(line)]


class JsonpClient(XhrPollingClient):
    def recv(self, timeout):
        response = wire.request(self.addr, "GET", self.url + "/jsonp?c=cb", timeout=timeout)
        assert response.status == 200, response
        return messages_of(json.loads(JSONP_CALL.search(response.body).group(1)))

    def send(self, messages):
        body = "d=" + urllib.parse.quote(json.dumps(messages))
        response = wire.request(self.addr, "POST", self.url + "/jsonp_send",
                                [("Content-Type", "application/x-www-form-urlencoded")],
                                body, timeout=10)
        assert response.status == 200, response


TRANSPORTS = {"websocket": WebSocketClient, "raw_websocket": RawWebSocketClient,
              "xhr_streaming": StreamingClient, "eventsource": EventSourceClient,
              "htmlfile": HtmlFileClient, "xhr_polling": XhrPollingClient,
              "jsonp_polling": JsonpClient}


# -- the load --------------------------------------------------------------------------

class Soak(object):
    def __init__(self, addr, seconds):
        self.addr = addr
        self.stop = threading.Event()
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.counts = {}  # what each worker did, and its faults
        self.faults = []

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def fault(self, what):
        with self.lock:
            self.faults.append(what)
            print("FAULT %s" % what, file=sys.stderr)

    def running(self):
        return not self.stop.is_set() and time.monotonic() < self.deadline

    def integrity(self, name):
        """Numbered messages out, the same back in order, a new session every 20 rounds."""
        client_class, seq = TRANSPORTS[name], 0
        while self.running():
            client = client_class(self.addr)
            try:
                client.open()
                self.count("sessions " + name)
                for _ in range(20):
                    if not self.running():
                        break
                    batch = ["%s %d%s" % (name, seq + i, " \u00e9\u2028\U0001f600" * (i % 2))
                             for i in range(random.randint(1, 4))]
                    seq += len(batch)
                    client.send(batch)
                    got, until = [], time.monotonic() + 15
                    while len(got) < len(batch) and time.monotonic() < until:
                        got += [m for m in client.recv(15) if not m.startswith("b:")]
                    if got != batch:
                        self.fault("%s: sent %r, got back %r" % (name, batch, got))
                        return
                    self.count("messages " + name, len(batch))
                    time.sleep(0.05)
            except Exception as error:
                self.fault("%s: %r" % (name, error))
                return
            finally:
                client.close()

    def broadcasts(self):
        """One websocket sends "b:<n>:" and 8 KiB every 0.2 s, for every connection (the
        slow readers' buffers fill); it must get every one back, in order."""
        ws = wire.SockJSWebSocket.connect(self.addr, "%s/000/%s/websocket" % (
            SERVICE, wire.new_session_id()), timeout=10)
        expected = 0
        try:
            assert ws.recv_sockjs() == "o"
            while self.running():
                ws.send_json(["b:%d:%s" % (expected, PADDING)])
                for message in messages_of(ws.recv_sockjs(15)):
                    if message != "b:%d:%s" % (expected, PADDING):
                        self.fault("broadcast: expected b:%d, got %r" % (expected, message[:30]))
                        return
                    expected += 1
                self.count("broadcasts", 1)
                time.sleep(0.2)
        except Exception as error:
            self.fault("broadcast listener: %r" % (error,))
        finally:
            ws.close()

    def slow_reader(self, transport):
        """A receiver that never reads (a small socket buffer), dropped after 40 s."""
        while self.running():
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            try:
                sock.connect(self.addr)
                path = "%s/000/%s/%s" % (SERVICE, wire.new_session_id(), transport)
                if transport == "websocket":
                    sock.sendall(wire.build_request("GET", path, [
                        ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                        ("Sec-WebSocket-Version", "13")], host=self.addr))
                else:
                    sock.sendall(wire.build_request("POST", path, body=b"", host=self.addr))
                self.count("slow readers")
                self.stop.wait(min(40, max(0, self.deadline - time.monotonic())))
            except OSError:
                pass
            finally:
                sock.close()

    def churn(self):
        """Sessions opened on a random transport and abandoned mid-way."""
        while self.running():
            name = random.choice(list(TRANSPORTS))
            client = TRANSPORTS[name](self.addr)
            try:
                client.open()
                if random.random() < 0.5:
                    client.send(["left behind"])
            except Exception as error:
                self.fault("churn %s: %r" % (name, error))
            finally:
                client.close()  # (polling sessions just stop polling)
            self.count("abandoned")
            time.sleep(0.1)

    def bad_inputs(self):
        """Garbage of many kinds; the server answers or hangs up, and keeps serving."""
        url = "%s/000/%s" % (SERVICE, wire.new_session_id())
        wire.open_session(self.addr, url)
        attacks = [
            lambda: os.urandom(random.randint(1, 300)),
            lambda: b"GET /soak HTTP/1.1\r\nHost: x\r\nBad Header : 1\r\n\r\n",
            lambda: b"GET / HTTP/9.9\r\n\r\n",
            lambda: b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
            lambda: b"POST %s/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n[\"a\",1]" % url.encode(),
            lambda: b"POST %s/xhr_send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" % url.encode(),
            lambda: wire.build_request("GET", SERVICE + "/websocket", [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("Sec-WebSocket-Version", "13")], host=self.addr)
            + random.choice([b"\x81\x05hello", b"\x83\x80abcd", b"\x81\xff" + b"\xff" * 8,
                             wire.encode_frame(1, b"\xff\xfe")]),
        ]
        while self.running():
            try:
                with socket.create_connection(self.addr, timeout=5) as sock:
                    sock.sendall(random.choice(attacks)())
                    sock.shutdown(socket.SHUT_WR)
                    while sock.recv(65536):
                        pass
            except OSError:
                pass
            self.count("bad inputs")
            time.sleep(0.1)

    def start(self):
        workers = [threading.Thread(target=self.integrity, args=(name,)) for name in TRANSPORTS]
        workers += [threading.Thread(target=self.broadcasts),
                    threading.Thread(target=self.slow_reader, args=("websocket",)),
                    threading.Thread(target=self.slow_reader, args=("xhr_streaming",)),
                    threading.Thread(target=self.churn),
                    threading.Thread(target=self.bad_inputs)]
        for worker in workers:
            worker.daemon = True
            worker.start()
        return workers


# -- the run ---------------------------------------------------------------------------

class Server(object):
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve"],
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])
        self.latest = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("STATS "):
                self.latest = json.loads(line[6:])

    def sample(self):
        time.sleep(1.1)  # a fresh report (the server writes one a second)
        return dict(self.latest)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def median(values):
    return sorted(values)[len(values) // 2]


def verdicts(samples, start, end, soak, warmup):
    """(ok, text) for each check."""
    after = [s for s in samples if s["t"] >= warmup] or samples[-1:]
    head, tail = after[:3], after[-3:]
    growth = median([s["rss_kib"] for s in tail]) - median([s["rss_kib"] for s in head])
    integrity = sum(v for k, v in soak.counts.items() if k.startswith("messages "))
    checks = [
        (not soak.faults, "integrity: %d messages echoed in order, %d faults" % (
            integrity, len(soak.faults))),
        (all(soak.counts.get("messages " + n) for n in TRANSPORTS),
         "every transport carried messages"),
        (growth < 12 * 1024, "RSS after the warm-up (%ds): %+.1f MiB (limit +12)" % (
            warmup, growth / 1024.0)),
        (end["fds"] <= start["fds"], "fds: %d at the start, %d at the end" % (
            start["fds"], end["fds"])),
        (end["sessions"] == 0 and end["connections"] == 0,
         "sessions/app connections at the end: %d/%d" % (end["sessions"], end["connections"])),
    ]
    try:
        ok = wire.request(soak.addr, "GET", SERVICE, timeout=5).status == 200
    except Exception:
        ok = False
    checks.append((ok, "the server still serves"))
    return checks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--sample", type=float, default=10)
    parser.add_argument("--check", action="store_true", help="exit 1 unless every check holds")
    parser.add_argument("--json", help="write the samples and counts here")
    args = parser.parse_args()
    if args.serve:
        return serve(1.0)
    seconds = args.minutes * 60
    warmup = min(120, seconds / 3)
    server = Server()
    addr = ("127.0.0.1", server.port)
    try:
        start = server.sample()
        soak = Soak(addr, seconds)
        began = time.monotonic()
        workers = soak.start()
        samples = []
        print("%7s %9s %5s %9s %12s %12s" % ("t (s)", "RSS MiB", "fds", "sessions",
                                            "connections", "msgs echoed"))
        while time.monotonic() - began < seconds:
            time.sleep(max(0, min(args.sample - 1.1, seconds - (time.monotonic() - began))))
            sample = server.sample()
            sample["t"] = round(time.monotonic() - began)
            sample["echoed"] = sum(v for k, v in soak.counts.items() if k.startswith("messages "))
            samples.append(sample)
            print("%7d %9.1f %5d %9d %12d %12d" % (sample["t"], sample["rss_kib"] / 1024.0,
                                                   sample["fds"], sample["sessions"],
                                                   sample["connections"], sample["echoed"]))
            sys.stdout.flush()
        soak.stop.set()
        for worker in workers:
            worker.join(30)
        time.sleep(OPTIONS["timeout"] + 3)  # abandoned sessions time out
        end = server.sample()
        print("after the clients stopped: RSS %.1f MiB, %d fds, %d sessions, %d connections"
              % (end["rss_kib"] / 1024.0, end["fds"], end["sessions"], end["connections"]))
        print("counts: %s" % json.dumps(soak.counts, sort_keys=True))
        checks = verdicts(samples, start, end, soak, warmup)
        for ok, text in checks:
            print("%s %s" % ("ok  " if ok else "FAIL", text))
        if args.json:
            with open(args.json, "w") as out:
                json.dump({"start": start, "samples": samples, "end": end,
                           "counts": soak.counts, "faults": soak.faults}, out, indent=1)
        return 0 if all(ok for ok, _ in checks) or not args.check else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
