"""``twistd -n sockjs`` and ``python -m txsockjs serve`` as real processes:
``--factory`` and ``--proxy`` against TCP services started by the test."""

import base64
import os
import re
import signal
import socket
import sys
import time

import pytest


from . import wire
from .frontdoor import (
    Proc, TcpService, WebSocketSession, echo_handler, line_handler, run, serve, twistd,
)

LISTEN = "tcp:0:interface=127.0.0.1"


@pytest.fixture(scope="module")
def upstream():
    """One TCP service for the module; a test may swap its handler first."""
    with TcpService(echo_handler) as service:
        yield service


@pytest.fixture
def echo_upstream(upstream):
    upstream.handler = echo_handler
    return upstream


def _stopped_cleanly(proc, sig=signal.SIGTERM):
    """Stopped by ``sig`` after a clean shutdown.  twistd ends by re-raising the
    signal (status -sig, as it documents); ``serve`` exits with 0.  Every session
    was closed before: the drain ends as soon as their closes are delivered, never
    by running out its grace (10 s, which the wait here outlasts, so a drain that
    waited it out fails on what the server said, not on a kill)."""
    status = proc.stop(sig, timeout=30)
    output = proc.output()
    assert "grace period over" not in output, output
    if "twistd" in " ".join(proc.proc.args[:3]):  # (python -c "...twistd...", or the script)
        assert status == -sig and "Server Shut Down." in output, (status, output)
    else:
        assert status == 0 and "Main loop terminated." in output, (status, output)
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
def text_proxy(upstream, tmp_path_factory):
    pidfile = tmp_path_factory.mktemp("twistd") / "twistd.pid"
    proc = Proc(twistd("--pidfile", str(pidfile), "sockjs", "--listen", LISTEN,
                       "--proxy", upstream.endpoint, "--heartbeat", "5"))
    try:
        addr = proc.addr()
        assert pidfile.exists()
        yield addr, proc
    finally:
        _stopped_cleanly(proc)
    assert not pidfile.exists()


@pytest.fixture(scope="module")
def base64_proxy(upstream):
    proc = Proc(serve("--listen", LISTEN, "--proxy", upstream.endpoint,
                      "--proxy-encoding", "base64"))
    try:
        yield proc.addr()
    finally:
        _stopped_cleanly(proc, signal.SIGINT)


# -- --factory ---------------------------------------------------------------------

def test_factory_object_served_by_twistd(tmp_path):
    pidfile = tmp_path / "twistd.pid"
    with Proc(twistd("--pidfile", str(pidfile), "sockjs", "--listen", LISTEN,
                     "--factory", "tests.integration.apps.echo_factory")) as proc:
        with WebSocketSession(proc.addr()) as session:
            session.send("ping", "\u20ac")
            assert [session.recv(), session.recv()] == ["ping", "\u20ac"]
        _stopped_cleanly(proc)
    assert not pidfile.exists()


@pytest.mark.parametrize("command", ["twistd", "serve"])
def test_factory_module_in_the_working_directory(command, tmp_path):
    # docs/guide/front-doors.rst: run from the directory that holds myapp/.
    # The twistd script (not ``python -c``, which puts the working directory
    # on sys.path itself) and ``python -m txsockjs serve`` must both find it.
    (tmp_path / "myapp").mkdir()
    (tmp_path / "myapp" / "__init__.py").write_text("")
    (tmp_path / "myapp" / "chat.py").write_text(
        "from twisted.internet.protocol import Factory, Protocol\n"
        "class Echo(Protocol):\n"
        "    def dataReceived(self, data):\n"
        "        self.transport.write(data)\n"
        "factory = Factory.forProtocol(Echo)\n")
    args = ["--listen", LISTEN, "--factory", "myapp.chat.factory"]
    if command == "twistd":
        script = os.path.join(os.path.dirname(sys.executable), "twistd")
        argv = [script, "-n", "--pidfile", str(tmp_path / "pid"), "sockjs"] + args
    else:
        argv = serve(*args)
    with Proc(argv, cwd=str(tmp_path)) as proc:
        with WebSocketSession(proc.addr()) as session:
            session.send("from myapp")
            assert session.recv() == "from myapp"
        _stopped_cleanly(proc)


def test_factory_callable_under_a_prefix_over_xhr(tmp_path):
    with Proc(twistd("--pidfile", str(tmp_path / "pid"), "sockjs", "--listen", LISTEN,
                     "--prefix", "app", "--factory",
                     "tests.integration.apps.make_greeter_factory")) as proc:
        addr = proc.addr()
        assert wire.request(addr, "GET", "/app").body == b"Welcome to SockJS!\n"
        assert wire.request(addr, "GET", "/").status == 404
        url = "/app/000/%s" % wire.new_session_id()
        wire.open_session(addr, url)
        assert wire.xhr(addr, url).body == b'a["hello"]\n'
        wire.xhr_send(addr, url, ["shout"])
        assert wire.xhr(addr, url).body == b'a["SHOUT"]\n'
        wire.xhr_send(addr, url, ["bye"])
        assert wire.xhr(addr, url).body.startswith(b"c[")
        _stopped_cleanly(proc)


# -- --static ------------------------------------------------------------------------

@pytest.fixture
def static_dir(tmp_path):
    static = tmp_path / "static"
    (static / "a").mkdir(parents=True)
    (static / "index.html").write_bytes(b"<p>the page\n")
    (static / "a" / "page.html").write_bytes(b"<p>a page under /a\n")
    return static


def test_static_beside_a_nested_prefix_and_drain_on_sigterm(static_dir, tmp_path):
    with Proc(twistd("--pidfile", str(tmp_path / "pid"), "sockjs", "--listen", LISTEN,
                     "--static", str(static_dir), "--prefix", "a/b", "--timeout", "1",
                     "--factory", "tests.integration.apps.echo_factory")) as proc:
        addr = proc.addr()
        assert wire.request(addr, "GET", "/index.html").body == b"<p>the page\n"
        assert wire.request(addr, "GET", "/a/page.html").body == b"<p>a page under /a\n"
        assert wire.request(addr, "GET", "/nothing.html").status == 404
        assert wire.request(addr, "GET", "/a/b").body == b"Welcome to SockJS!\n"
        url = "/a/b/000/%s" % wire.new_session_id()
        wire.open_session(addr, url)
        wire.xhr_send(addr, url, ["over xhr"])
        assert wire.xhr(addr, url).body == b'a["over xhr"]\n'
        with WebSocketSession(addr, prefix="/a/b") as session:
            session.send("over websocket")
            assert session.recv() == "over websocket"
            proc.proc.send_signal(signal.SIGTERM)
            # SockJSSite.drain: the open sessions are closed with 1001 before the exit (the
        # xhr one's close frame waits --timeout 1 s for a poll that cannot come)
            assert session.wait_closed() == [1001, "Server shutting down"]
        proc.proc.wait(10)
        _stopped_cleanly(proc)


def test_serve_static_beside_a_proxy(static_dir, echo_upstream):
    with Proc(serve("--listen", LISTEN, "--static", str(static_dir), "--prefix", "/app/",
                    "--proxy", echo_upstream.endpoint)) as proc:
        addr = proc.addr()
        assert wire.request(addr, "GET", "/").status == 200
        assert wire.request(addr, "GET", "/index.html").body == b"<p>the page\n"
        with WebSocketSession(addr, prefix="/app") as session:
            session.send("through the proxy")
            assert session.recv_text(len("through the proxy")) == "through the proxy"
        _stopped_cleanly(proc, signal.SIGINT)


# -- --proxy, text ------------------------------------------------------------------

def test_proxy_messages_both_ways(text_proxy, echo_upstream):
    addr, _ = text_proxy
    with WebSocketSession(addr) as session:
        session.send("one ", "two \u00e9\u20ac\U0001f600")
        assert session.recv_text(len("one two \u00e9\u20ac\U0001f600")) == "one two \u00e9\u20ac\U0001f600"


def test_proxy_line_service_and_its_close(text_proxy, upstream):
    upstream.handler = line_handler
    addr, _ = text_proxy
    with WebSocketSession(addr) as session:
        assert session.recv_text(len("welcome\n")) == "welcome\n"
        session.send("hi\n")
        assert session.recv_text(len("you said: hi\n")) == "you said: hi\n"
        session.send("quit\n")
        assert session.recv_text(len("bye\n")) == "bye\n"
        # the TCP service hung up: the SockJS session is closed
        code, _ = session.wait_closed()
        assert 3000 <= code <= 4999


def test_client_close_closes_the_tcp_connection(text_proxy, echo_upstream):
    addr, _ = text_proxy
    session = WebSocketSession(addr)
    session.send("x")
    assert session.recv() == "x"
    number = len(echo_upstream.connections)
    session.close()
    echo_upstream.wait_event(("closed", number))


def _split_utf8(sock, service):
    # "café €!" with both multi-byte characters cut across writes
    for piece in (b"caf\xc3", b"\xa9 \xe2\x82", b"\xac!"):
        sock.sendall(piece)
        time.sleep(0.1)
    echo_handler(sock, service)


def test_utf8_split_across_reads_arrives_whole(text_proxy, upstream):
    upstream.handler = _split_utf8
    addr, _ = text_proxy
    with WebSocketSession(addr) as session:
        messages = []
        while "".join(messages) != "caf\u00e9 \u20ac!":
            messages.append(session.recv())
            assert len("".join(messages)) <= 7, messages
        assert not any("\ufffd" in message for message in messages), messages


def _invalid_utf8(sock, service):
    sock.sendall(b"ok\xff!")
    time.sleep(0.1)
    sock.sendall(b"\xfe")
    echo_handler(sock, service)


def test_invalid_utf8_becomes_replacement_characters_logged_once(text_proxy, upstream):
    upstream.handler = _invalid_utf8
    addr, proc = text_proxy
    with WebSocketSession(addr) as session:
        assert session.recv_text(5) == "ok\ufffd!\ufffd"
        session.send("still open")
        assert session.recv_text(10) == "still open"
    assert proc.output().count("sent bytes that are not UTF-8") == 1, proc.output()


def test_unreachable_service_closes_the_session():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    with Proc(serve("--listen", LISTEN, "--proxy", "tcp:127.0.0.1:%d" % port)) as proc:
        with WebSocketSession(proc.addr()) as session:
            code, _ = session.wait_closed()
            assert 3000 <= code <= 4999
        # the client may see the close before our reader thread has read the log line
        proc.wait_for(re.escape("cannot reach tcp:127.0.0.1:%d" % port))
        _stopped_cleanly(proc)


# -- --proxy, base64 -----------------------------------------------------------------

def test_base64_mode_carries_binary(base64_proxy, echo_upstream):
    payload = bytes(range(256))
    with WebSocketSession(base64_proxy) as session:
        session.send(base64.b64encode(payload).decode("ascii"))
        received = b""
        while len(received) < len(payload):
            received += base64.b64decode(session.recv())
        assert received == payload


def test_bad_base64_closes_the_session(base64_proxy, echo_upstream):
    with WebSocketSession(base64_proxy) as session:
        session.send("not base64!")
        code, _ = session.wait_closed()
        assert 3000 <= code <= 4999


# -- the command line ------------------------------------------------------------------

@pytest.mark.parametrize("args, says", [
    (["--proxy", "tcp:127.0.0.1:1", "--heartbeat", "soon"], "heartbeat"),
    (["--proxy", "tcp:127.0.0.1:1", "--factory", "tests.integration.apps.echo_factory"],
     "exactly one"),
    ([], "exactly one"),
    (["--factory", "tests.integration.apps.Echo"], "not a protocol factory"),
    (["--factory", "no.such.module"], "cannot import"),
    (["--proxy", "tcp:127.0.0.1:1", "--proxy-encoding", "rot13"], "proxy-encoding"),
    (["--proxy", "tcp:127.0.0.1:1", "--listen", "nonsense:1"], "nonsense"),
    (["--proxy", "tcp:127.0.0.1:1", "--prefix", "a b"], "prefix"),
    (["--proxy", "tcp:127.0.0.1:1", "--static", "."], "--prefix"),
    (["--proxy", "tcp:127.0.0.1:1", "--static", ".", "--prefix", "/"], "--prefix"),
    (["--proxy", "tcp:127.0.0.1:1", "--static", "/no/such/dir", "--prefix", "app"],
     "not a directory"),
    (["--proxy", "tcp:127.0.0.1:1", "--static", ".", "--prefix", "a/../b"], "prefix"),
])
@pytest.mark.parametrize("command", ["twistd", "serve"])
def test_bad_options_are_one_line_and_status_2(command, args, says, tmp_path):
    if command == "twistd":
        argv = twistd("--pidfile", str(tmp_path / "pid"), "sockjs", *args)
    else:
        argv = serve(*args)
    status, _, err = run(argv)
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and says in err, err


@pytest.mark.parametrize("command", ["twistd", "serve"])
def test_port_in_use_is_one_line_and_status_2(command, tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        listen = "tcp:%d:interface=127.0.0.1" % taken.getsockname()[1]
        args = ["--listen", listen, "--proxy", "tcp:127.0.0.1:1"]
        argv = (twistd("--pidfile", str(tmp_path / "pid"), "sockjs", *args) if command == "twistd"
                else serve(*args))
        status, _, err = run(argv)
    finally:
        taken.close()
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and "cannot listen" in err, err
    assert listen in err, err                                # names the port
    assert not (tmp_path / "pid").exists()                   # twistd wrote it: no stale pidfile
    # the command's name first, as for every other mistake on its command line
    assert err.startswith("twistd sockjs: " if command == "twistd"
                          else "python -m txsockjs serve: "), err
