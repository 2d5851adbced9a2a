"""The ``sockjs:`` server endpoint, served by a real process over loopback."""

import json
import sys

import pytest
from twisted.internet.endpoints import serverFromString
from twisted.internet.testing import MemoryReactor

from txsockjs.factory import SockJSFactory

from . import wire
from .frontdoor import Proc, WebSocketSession

PLAIN = r"sockjs:tcp\:0\:interface\=127.0.0.1"
NO_WEBSOCKET = PLAIN + ":websocket=false:heartbeat=0.5"


@pytest.fixture(scope="module")
def endpoint_server():
    proc = Proc([sys.executable, "-m", "tests.integration.apps", PLAIN, NO_WEBSOCKET])
    try:
        yield proc.addrs(2)
        assert "Traceback" not in proc.output(), proc.output()
    finally:
        assert proc.stop() == 0, proc.output()


def test_websocket_exchange(endpoint_server):
    with WebSocketSession(endpoint_server[0]) as session:
        session.send("hello", "w\u00f6rld")
        assert session.recv() == "hello"
        assert session.recv() == "w\u00f6rld"


def test_xhr_exchange(endpoint_server):
    addr = endpoint_server[0]
    url = "/000/%s" % wire.new_session_id()
    wire.open_session(addr, url)
    assert wire.xhr_send(addr, url, ["over xhr"]).status == 204
    resp = wire.xhr(addr, url)
    assert resp.status == 200 and wire.frame_messages(resp.body.decode().rstrip("\n")) == ["over xhr"]


def test_options_in_the_string_apply(endpoint_server):
    plain, restricted = endpoint_server
    assert json.loads(wire.request(plain, "GET", "/info").body)["websocket"] is True
    assert json.loads(wire.request(restricted, "GET", "/info").body)["websocket"] is False
    conn, resp, _ = wire.WebSocket.handshake(restricted, "/000/%s/websocket" % wire.new_session_id())
    conn.close()
    assert resp.status == 404
    # heartbeat=0.5: an idle streaming session gets an "h" frame within a second
    with wire.Stream.open(restricted, "POST", "/000/%s/xhr_streaming" % wire.new_session_id()) as stream:
        stream.read_until(b"o\n")
        assert stream.read_until(b"h\n", timeout=1.5).endswith(b"h\n")


def test_listen_wraps_the_given_endpoint_and_factory():
    reactor = MemoryReactor()
    app = object()
    serverFromString(reactor, r"sockjs:tcp\:8080\:interface\=127.0.0.1:heartbeat=10").listen(app)
    [(port, factory, _, interface)] = reactor.tcpServers
    assert (port, interface) == (8080, "127.0.0.1")
    assert isinstance(factory, SockJSFactory)
    [service] = factory.services.values()
    assert service.factory is app and service.options.heartbeat == 10.0


@pytest.mark.parametrize("description, named", [
    (PLAIN + ":heartbeat=soon", "heartbeat"),
    (PLAIN + ":heartbeat=-1", "heartbeat"),
    (PLAIN + ":nosuch=1", "nosuch"),
    ("sockjs:tcp:8080", "escaped"),
])
def test_bad_strings_are_rejected(description, named):
    with pytest.raises(ValueError, match=named):
        serverFromString(MemoryReactor(), description)


@pytest.mark.parametrize("option", ["trusted-proxies", "trusted_proxies"])
def test_option_errors_start_with_the_key_as_written(option):
    with pytest.raises(ValueError) as info:
        serverFromString(MemoryReactor(), PLAIN + ":%s=not-an-address" % option)
    assert str(info.value).startswith(option + ": "), str(info.value)
