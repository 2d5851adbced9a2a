import ast
import pathlib

import pytest
from twisted.internet.protocol import Factory, Protocol

from txsockjs.factory import SockJSFactory, SockJSMultiFactory
from txsockjs.options import Options


def test_defaults_match_the_documentation():
    options = Options.from_dict(None)
    assert options.websocket is True and options.cookie_needed is False
    assert options.heartbeat == 25 and options.timeout == 5
    assert options.streaming_limit == 128 * 1024
    assert options.sockjs_url.startswith("https://")


@pytest.mark.parametrize("bad,key", [
    ({"websockets": True}, "websockets"),
    ({"heartbeat": 0}, "heartbeat"),
    ({"timeout": -1}, "timeout"),
    ({"timeout": "5"}, "timeout"),
    ({"streaming_limit": 0}, "streaming_limit"),
    ({"streaming_limit": 1.5}, "streaming_limit"),
    ({"websocket": 1}, "websocket"),
    ({"sockjs_url": "ftp://x"}, "sockjs_url"),
    ({"sockjs_url": '/x"><script>'}, "sockjs_url"),
    ({"heartbeat": float("nan")}, "heartbeat"),
])
def test_bad_options_raise_naming_the_key(bad, key):
    with pytest.raises(ValueError) as info:
        SockJSFactory(Factory.forProtocol(Protocol), bad)
    assert key in str(info.value)


# One bad value for every option (and an unknown key): the error starts with the key.
BAD_VALUES = [
    ("websockets", True), ("websocket", 1), ("cookie_needed", "yes"), ("heartbeat", 0),
    ("timeout", "5"), ("streaming_limit", 1.5), ("sockjs_url", "ftp://x"),
    ("max_message_size", 0), ("authorize", "me"), ("authorize_timeout", 31),
    ("allowed_origins", ["https://ex*.com"]), ("allowed_origins", "https://example.com"),
    ("trusted_proxies", ["not-an-address"]), ("trusted_proxies", [5]),
    ("session_binding", "ip"), ("max_sessions", 0), ("max_sessions_per_client", True),
    ("send_buffer_limit", -1), ("send_overflow", "drop"), ("broker", object()),
    ("base_url", "/relative"), ("compression", {"level": 10}),
]


def test_every_option_is_covered_by_a_bad_value():
    import dataclasses
    assert {field.name for field in dataclasses.fields(Options)} <= {key for key, _ in BAD_VALUES}


@pytest.mark.parametrize("key, value", BAD_VALUES)
def test_option_errors_start_with_the_option_name(key, value):
    with pytest.raises(ValueError) as info:
        Options.from_dict({key: value})
    assert str(info.value).startswith(key + ": "), str(info.value)


@pytest.mark.parametrize("prefix", ["a b", "a//b", "../x", "a/./b", "é", "a?b", 5])
def test_bad_prefixes_raise_naming_them(prefix):
    multi = SockJSMultiFactory()
    with pytest.raises(ValueError) as info:
        multi.addFactory(Factory.forProtocol(Protocol), prefix)
    assert repr(prefix) in str(info.value) or str(prefix) in str(info.value)


def test_prefixes_with_slashes_route_and_overlaps_are_refused():
    multi = SockJSMultiFactory()
    multi.addFactory(Factory.forProtocol(Protocol), "a/b/echo")
    multi.addFactory(Factory.forProtocol(Protocol), "/chat/")
    assert multi.find_service("/a/b/echo/info")[1] == "/info"
    assert multi.find_service("/chat")[1] == ""
    assert multi.find_service("/a/b/echoes")[0] is None
    with pytest.raises(ValueError):
        multi.addFactory(Factory.forProtocol(Protocol), "a/b")
    with pytest.raises(ValueError):
        multi.addFactory(Factory.forProtocol(Protocol), "chat")


def test_one_segment_prefixes_route():
    multi = SockJSMultiFactory()
    echo = multi.addFactory(Factory.forProtocol(Protocol), "echo")
    chat = multi.addFactory(Factory.forProtocol(Protocol), "chat")
    assert multi.find_service("/echo/000/s/xhr") == (echo, "/000/s/xhr")
    assert multi.find_service("/echo") == (echo, "")
    assert multi.find_service("/chat/") == (chat, "/")
    for path in ("/echoes/info", "/", "", "echo/info", "/ech", "//echo/info"):
        assert multi.find_service(path) == (None, None), path


def test_pure_core_imports_nothing_from_twisted():
    core = pathlib.Path(__file__).resolve().parents[2] / "txsockjs" / "protocol"
    for path in core.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(("twisted", "zope")), (path.name, name)


def test_base_url_is_announced_in_info():
    import json
    from tests.unit.helpers import Client, make_site, request, split_response
    site, app, clock = make_site({"base_url": "http://127.0.0.1:9000/node1/chat"})
    client = Client(site)
    client.send(request("GET", "/info"))
    assert json.loads(split_response(client.take())[2])["base_url"] == "http://127.0.0.1:9000/node1/chat"
    site, app, clock = make_site()
    client = Client(site)
    client.send(request("GET", "/info"))
    assert "base_url" not in json.loads(split_response(client.take())[2])
    for bad in ("/relative", "ftp://x", "http://a b", 5):
        with pytest.raises(ValueError):
            make_site({"base_url": bad})
