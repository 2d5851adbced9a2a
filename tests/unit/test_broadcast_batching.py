"""txsockjs.utils.broadcast made while a batch is open (a read being handled) is held to
the batch's end, like the broker's publishes: the broadcasts of one read leave as one
frame per member and one write, eagerly; a member's own write or close after it in the
same read still comes after it; outside a batch a broadcast leaves at once."""

from twisted.internet.protocol import Factory, Protocol

from tests.unit.helpers import make_site
from tests.unit.test_broadcast import open_websocket
from tests.unit.test_broker_batching import record_eager
from tests.unit.test_site import _client_frame
from tests.unit.test_topics import frame
from txsockjs.server.gathering import HELD
from txsockjs.utils import broadcast, broadcast_many


class Room(Factory):
    """Every message is broadcast to every member; "w..." writes around its broadcast,
    "q..." broadcasts then closes its sender, "h..." broadcasts to the first half only."""

    def __init__(self):
        self.members = []

    def buildProtocol(self, addr):
        protocol = Member()
        protocol.factory = self
        return protocol


class Member(Protocol):
    def connectionMade(self):
        self.factory.members.append(self)

    def dataReceived(self, data):
        everyone = [member.transport for member in self.factory.members]
        if data.startswith(b"w"):
            self.transport.write(data + b"-before")
            broadcast(data, everyone)
            self.transport.write(data + b"-after")
        elif data.startswith(b"q"):
            broadcast(data, everyone)
            self.transport.loseConnection()
        elif data.startswith(b"h"):
            broadcast(data, everyone[:len(everyone) // 2 + 1])
        else:
            broadcast(data, everyone)


def room(count=3):
    site, _, clock = make_site(echo=False)
    site = type(site)(Room(), reactor=clock)
    return site, clock, [open_websocket(site, "s%d" % n) for n in range(count)]


def test_the_broadcasts_of_one_read_leave_as_one_frame_and_one_eager_write_per_member():
    site, clock, (one, two, three) = room()
    writes = record_eager(two)
    one.send(_client_frame(1, b'["a","b"]') + _client_frame(1, b'["c"]'))
    assert writes == [frame("a", "b", "c")]  # before the read returned, in one write
    assert two.take() == frame("a", "b", "c") == three.take() == one.take()
    assert not HELD


def test_a_member_that_writes_broadcasts_and_writes_gets_the_three_in_order():
    site, clock, (one, two, three) = room()
    one.send(_client_frame(1, b'["w"]'))
    assert one.take() == frame("w-before", "w", "w-after")
    assert two.take() == frame("w") == three.take()


def test_a_member_closed_after_a_broadcast_in_the_same_read_gets_the_broadcast_first():
    site, clock, (one, two, three) = room()
    one.send(_client_frame(1, b'["q"]'))
    out = one.take()
    assert out.startswith(frame("q")) and b'c[3000,"Go away!"]' in out
    assert two.take() == frame("q")


def test_broadcasts_to_different_members_keep_each_members_order():
    site, clock, sockets = room(4)
    first, second, third, fourth = sockets
    first.send(_client_frame(1, b'["a","h1","b"]'))
    # (three broadcasts to two member sets: one frame each, in order)
    assert second.take() == frame("a") + frame("h1") + frame("b") == third.take()
    # the fourth is not in the first half: it gets a and b, in order, never h1
    assert fourth.take() == frame("a") + frame("b")


def test_a_broadcast_outside_a_read_leaves_at_once():
    site, clock, (one, two, three) = room()
    members = [member.transport for member in site.services[""].factory.members]
    broadcast_many([b"x", b"y"], members)
    assert two.take() == frame("x", "y") == one.take()


def test_the_members_are_the_ones_given_even_if_the_caller_changes_its_list():
    site, clock, (one, two, three) = room()
    factory = site.services[""].factory

    def changing(data):
        members = [member.transport for member in factory.members]
        broadcast(data, members)
        members.pop()  # the caller reuses its list before the read ends

    factory.members[0].dataReceived = changing
    one.send(_client_frame(1, b'["z"]'))
    assert three.take() == frame("z") == two.take()
