"""txsockjs.utils.broadcast made while a read is handled is held to the end of the
reactor turn: the broadcasts of every read of one turn leave as one frame per member and
one write, eagerly; a member's own write or close after it still comes after it;
outside a read a broadcast leaves at once."""

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
    "q..." broadcasts then closes its sender, "h..." broadcasts to the first half only,
    "m..." empties its list of members after the broadcast."""

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
        elif data.startswith(b"m"):
            broadcast(data, everyone)
            del everyone[:]  # the caller reuses its list before the turn ends
        else:
            broadcast(data, everyone)


def room(count=3):
    site, _, clock = make_site(echo=False)
    site = type(site)(Room(), reactor=clock)
    return site, clock, [open_websocket(site, "s%d" % n) for n in range(count)]


def test_the_broadcasts_of_one_turn_leave_as_one_frame_and_one_eager_write_per_member():
    site, clock, (one, two, three) = room()
    writes = record_eager(two)
    one.send(_client_frame(1, b'["a","b"]') + _client_frame(1, b'["c"]'))
    three.send(_client_frame(1, b'["d"]'))  # another read of the same turn
    assert writes == [] and two.take() == b"" and HELD
    clock.advance(0)  # the end of the turn
    assert writes == [frame("a", "b", "c", "d")]
    assert two.take() == frame("a", "b", "c", "d") == three.take() == one.take()
    assert not HELD


def test_a_member_that_writes_broadcasts_and_writes_gets_the_three_in_order():
    site, clock, (one, two, three) = room()
    one.send(_client_frame(1, b'["w"]'))
    clock.advance(0)
    assert one.take() == frame("w-before", "w", "w-after")
    assert two.take() == frame("w") == three.take()


def test_a_member_closed_after_a_broadcast_in_the_same_read_gets_the_broadcast_first():
    site, clock, (one, two, three) = room()
    one.send(_client_frame(1, b'["q"]'))
    clock.advance(0)
    out = one.take()
    assert out.startswith(frame("q")) and b'c[3000,"Go away!"]' in out
    assert two.take() == frame("q")


def test_broadcasts_to_different_members_keep_each_members_order():
    site, clock, sockets = room(4)
    first, second, third, fourth = sockets
    first.send(_client_frame(1, b'["a","h1","b"]'))
    clock.advance(0)
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
    one.send(_client_frame(1, b'["m"]'))  # broadcast, then the caller empties its list
    clock.advance(0)
    assert three.take() == frame("m") == two.take() == one.take()
