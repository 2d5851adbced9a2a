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
