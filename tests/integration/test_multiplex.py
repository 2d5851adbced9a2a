"""Multiplexed channels over a real SockJS session, with a client written
here from the wire format (see txsockjs.multiplex)."""

import json

import pytest

from .frontdoor import Proc, WebSocketSession, serve


@pytest.fixture(scope="module")
def addr():
    proc = Proc(serve("--listen", "tcp:0:interface=127.0.0.1",
                      "--factory", "tests.integration.apps.make_multiplex_factory"))
    try:
        yield proc.addr()
        assert "Traceback" not in proc.output(), proc.output()
    finally:
        assert proc.stop() == 0, proc.output()


class Multiplexed(WebSocketSession):
    def sub(self, *topics):
        self.send(*["sub," + topic for topic in topics])

    def msg(self, topic, payload):
        self.send("msg,%s,%s" % (topic, payload))

    def ask(self, topic, payload):
        self.msg(topic, payload)
        return self.recv()


def test_two_channels_carry_their_own_messages(addr):
    with Multiplexed(addr) as client:
        client.sub("a", "b")
        client.send("msg,a,to a", "msg,b,to b, with, commas", "msg,a,\u20ac")
        received = [client.recv() for _ in range(3)]
        # in order within each channel (each channel opens when authorize answers)
        assert [m for m in received if m.startswith("msg,a,")] == ["msg,a,to a", "msg,a,\u20ac"]
        assert [m for m in received if m.startswith("msg,b,")] == ["msg,b,to b, with, commas"]
        assert client.ask("a", "id?") != client.ask("b", "id?")


def test_refusals_answer_uns(addr):
    with Multiplexed(addr) as client:
        client.sub("nosuch")
        assert client.recv() == "uns,nosuch"
        client.sub("secret")   # authorize says no (after a Deferred)
        assert client.recv() == "uns,secret"
        client.sub("none")     # its factory builds no protocol
        assert client.recv() == "uns,none"
        client.sub("a")
        assert client.ask("a", "still here") == "msg,a,still here"


def test_a_cap_on_channels_per_session(addr):
    with Multiplexed(addr) as client:
        client.sub("a", "b", "c", "d")
        assert client.recv() == "uns,d"
        client.send("uns,a")   # the client closes one: room for another
        client.sub("d")
        assert client.ask("d", "in") == "msg,d,in"


def test_the_server_closes_one_channel(addr):
    with Multiplexed(addr) as client:
        client.sub("a", "b")
        client.msg("a", "close")
        assert client.recv() == "uns,a"
        assert client.ask("b", "b lives") == "msg,b,b lives"
        client.msg("a", "gone")       # to a closed channel: ignored
        assert client.ask("b", "still") == "msg,b,still"


def test_the_session_end_closes_every_channel_once(addr):
    client = Multiplexed(addr)
    client.sub("a", "b", "c")
    ids = [client.ask(topic, "id?").split(":")[1] for topic in "abc"]
    client.msg("c", "close")
    assert client.recv() == "uns,c"
    client.close()
    with Multiplexed(addr) as observer:
        observer.sub("a")
        lost = json.loads(observer.ask("a", "lost?")[len("msg,a,"):])
        assert [lost[i] for i in ids] == [1, 1, 1]


def test_a_paused_channel_holds_only_its_own_messages(addr):
    with Multiplexed(addr) as client:
        client.sub("a", "b")
        client.send("msg,a,pause", "msg,a,1", "msg,a,2", "msg,b,not held")
        assert client.recv() == "msg,b,not held"
        assert [client.recv(), client.recv()] == ["msg,a,1", "msg,a,2"]


def test_malformed_frames_are_ignored(addr):
    with Multiplexed(addr) as client:
        client.sub("a")
        client.send("garbage", "msg,nosuch,x", "sub,", "msg", "uns,b", ",,", "sub,a", "xyz,a,1")
        assert client.ask("a", "ok") == "msg,a,ok"
