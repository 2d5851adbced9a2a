"""The demo's server side: the chat room's JSON protocol (txsockjs.demo.chatroom) and the
demo site's own routes (the page, /stats.json, the client script)."""

import json
import re

import pytest
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import Logger

from txsockjs.demo.chatroom import (MAX_NAME_LENGTH, MAX_TEXT_LENGTH, BadRequest, ChatRoom,
                               clean_name, parse_request)
from txsockjs.demo import demo_page, demo_site

from .helpers import Client, FakeSessionTransport, request, split_response


def connect(room):
    member = room.buildProtocol(None)
    member.makeConnection(FakeSessionTransport())
    return member


def said(member):
    """The events the member's client got since last asked, decoded."""
    events = [json.loads(text) for text in member.transport.messages]
    del member.transport.messages[:]
    return events


def send(member, **request):
    member.dataReceived(json.dumps(request).encode("utf-8"))


def ada_and_bob():
    """A room where Ada and Bob have joined, their welcomes already read."""
    room = ChatRoom()
    ada, bob = connect(room), connect(room)
    send(ada, type="join", name="Ada")
    send(bob, type="join", name="Bob")
    said(ada), said(bob)
    return room, ada, bob


# -- parsing -----------------------------------------------------------------------------------

@pytest.mark.parametrize("data, why", [
    (b"hello", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"text": "hi"}', 'unknown "type" null'),
    (b'{"type": "shout"}', 'unknown "type" "shout"'),
    (b'{"type": "join", "name": 7}', '"name" must be a string'),
    (b'{"type": "say"}', '"text" must be a non-empty string'),
    (b'{"type": "say", "text": "  \\n "}', '"text" must be a non-empty string'),
    (json.dumps({"type": "say", "text": "x" * (MAX_TEXT_LENGTH + 1)}).encode(), "longer than"),
])
def test_bad_requests_say_why(data, why):
    with pytest.raises(BadRequest) as raised:
        parse_request(data)
    assert why in str(raised.value)


def test_good_requests():
    assert parse_request(b'{"type": "join", "name": " Ada "}') == ("join", "Ada")
    assert parse_request(b'{"type": "join"}') == ("join", "")
    assert parse_request('{"type": "say", "text": " hi \u2028"}'.encode()) == ("say", " hi \u2028")
    assert parse_request(b'{"type": "leave"}') == ("leave", None)


@pytest.mark.parametrize("raw, clean", [
    ("  Ada   Lovelace ", "Ada Lovelace"),
    ("Ada\tLove\nlace", "Ada Love lace"),
    ("Ad\x00a\x1b", "Ada"),
    ("evil\u202egnp.exe", "evilgnp.exe"),
    ("family \U0001F468\u200d\U0001F469\u200d\U0001F467", "family \U0001F468\u200d\U0001F469\u200d\U0001F467"),
    ("x" * 40, "x" * MAX_NAME_LENGTH),
    ("\x01\x02  ", ""),
])
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


# -- the room ----------------------------------------------------------------------------------

def test_join_welcomes_and_announces():
    room = ChatRoom()
    ada, bob = connect(room), connect(room)
    send(ada, type="join", name="Ada")
    assert said(ada) == [{"type": "welcome", "you": {"id": ada.id, "name": "Ada"},
                          "members": [{"id": ada.id, "name": "Ada"}]}]
    send(bob, type="join", name="Bob")
    assert said(ada) == [{"type": "joined", "member": {"id": bob.id, "name": "Bob"}}]
    assert said(bob) == [{"type": "welcome", "you": {"id": bob.id, "name": "Bob"},
                          "members": [{"id": ada.id, "name": "Ada"}, {"id": bob.id, "name": "Bob"}]}]
    assert ada.id != bob.id


def test_say_reaches_everyone_with_the_sender():
    room, ada, bob = ada_and_bob()
    lurker = connect(room)
    send(bob, type="say", text="hi <b>there</b>")
    event = {"type": "said", "from": {"id": bob.id, "name": "Bob"}, "text": "hi <b>there</b>"}
    assert said(ada) == [event]
    assert said(bob) == [event]
    assert said(lurker) == []   # not joined: not in the room


def test_join_again_renames():
    room, ada, bob = ada_and_bob()
    send(ada, type="join", name="Countess")
    event = {"type": "renamed", "member": {"id": ada.id, "name": "Countess"}, "was": "Ada"}
    assert said(ada) == [event]
    assert said(bob) == [event]
    assert [m.name for m in room.members.values()] == ["Countess", "Bob"]


def test_an_empty_name_becomes_a_guest_name():
    room = ChatRoom()
    member = connect(room)
    send(member, type="join", name=" \x00 ")
    assert said(member)[0]["you"] == {"id": member.id, "name": "Guest %d" % member.id}


def test_leave_announces_and_closes_the_session():
    room, ada, bob = ada_and_bob()
    send(bob, type="leave")
    assert said(ada) == [{"type": "left", "member": {"id": bob.id, "name": "Bob"}}]
    assert bob.transport.closed == (3000, "Go away!")
    bob.connectionLost(None)   # the session then ends: no second announcement
    assert said(ada) == []
    assert list(room.members) == [ada.id]


def test_a_lost_connection_leaves():
    room, ada, bob = ada_and_bob()
    bob.connectionLost(None)
    assert said(ada) == [{"type": "left", "member": {"id": bob.id, "name": "Bob"}}]
    connect(room).connectionLost(None)   # never joined: nobody is told
    assert said(ada) == []


def test_bad_messages_are_answered_logged_once_and_the_session_stays():
    room = ChatRoom()
    events = []
    member = connect(room)
    member.log = Logger(namespace="txsockjs.demo", observer=events.append)
    member.dataReceived(b"not json")
    send(member, type="say", text="before joining")
    assert [event["type"] for event in said(member)] == ["error", "error"]
    assert len(events) == 1 and "not JSON" in events[0]["why"]
    assert member.transport.closed is None
    send(member, type="join", name="Ada")
    send(member, type="say", text="now")
    assert [event["type"] for event in said(member)] == ["welcome", "said"]


# -- the site ----------------------------------------------------------------------------------

def get(site, method, path):
    client = Client(site)
    client.send(request(method, path))
    return split_response(client.take())


def test_stats_json_is_the_factorys_stats_never_cached():
    site = demo_site("/sockjs.min.js", reactor=MemoryReactorClock())
    status, headers, body = get(site, "GET", "/stats.json")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"
    assert json.loads(body) == json.loads(json.dumps(site.stats()))
    assert set(json.loads(body)["services"]) == {"chat", "echo"}
    status, headers, _ = get(site, "POST", "/stats.json")
    assert (status, headers["allow"]) == (405, "GET, HEAD")


def test_the_page_loads_nothing_from_elsewhere():
    page = demo_page("https://cdn.example/sockjs.min.js?v=1&x=2").decode("utf-8")
    assert '<script src="https://cdn.example/sockjs.min.js?v=1&amp;x=2"></script>' in page
    assert 'name="viewport" content="width=device-width' in page
    addresses = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sorted(addresses) == sorted(["https://cdn.example/sockjs.min.js?v=1&amp;x=2", "data:,", "/stats.json"])
    assert "@import" not in page and "url(" not in page


def test_page_and_client_script_routes(tmp_path):
    script = tmp_path / "sockjs.min.js"
    script.write_bytes(b"/* client */")
    site = demo_site("https://cdn.example/ignored.js", str(script), MemoryReactorClock())
    status, headers, body = get(site, "GET", "/")
    assert status == 200 and headers["content-type"] == "text/html;charset=UTF-8"
    assert b'<script src="/sockjs.min.js"></script>' in body
    assert get(site, "GET", "/sockjs.min.js")[2] == b"/* client */"
    assert get(site, "HEAD", "/")[2] == b""
    assert get(site, "PUT", "/")[0] == 405


def test_echo_is_still_plain_echo():
    client = Client(demo_site("/sockjs.min.js", reactor=MemoryReactorClock()))
    client.send(request("POST", "/echo/000/abc/xhr", b""))
    assert split_response(client.take())[2] == b"o\n"
    client.send(request("POST", "/echo/000/abc/xhr_send", b'["not json {"]'))
    assert split_response(client.take())[0] == 204
    client.send(request("POST", "/echo/000/abc/xhr", b""))
    assert split_response(client.take())[2] == b'a["not json {"]\n'
