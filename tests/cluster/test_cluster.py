"""Three txsockjs nodes (deploy/chat_node.py) sharing one Redis, behind HAProxy and again
behind nginx (configured from deploy/), with sockjs-client under Node over every transport it
has there.  Each session subscribes to the topic "chat"; what a client sends is published.
"""

import os
import time

import pytest

from tests.cluster.servers import ChatNode, Proxy, RedisServer
from tests.cluster.sockjs_clients import NodeClients, require_node_client

PRESENCE_TTL = 1.5
SESSION_TIMEOUT = 5.0  # the library default, which chat_node keeps
TRANSPORTS = ["websocket", "xhr-streaming", "eventsource", "xhr-polling"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def run_cluster(kind, tmp_path, static_routes=False):
    """Redis, three chat nodes and ``kind`` in front; yields (proxy, nodes, clients) and
    stops everything.  With ``static_routes`` the nodes announce base_url
    http://proxy/nodeK/chat, which the proxy routes to node K."""
    require_node_client()
    started = []
    try:
        redis = RedisServer(str(tmp_path))
        started.append(redis.start())
        nodes = [ChatNode(str(tmp_path), "node%d" % n, redis.url, PRESENCE_TTL) for n in (1, 2, 3)]
        proxy = Proxy(kind, str(tmp_path), [node.port for node in nodes])
        for number, node in enumerate(nodes, 1):
            if static_routes:
                node.extra += ["--base-url", "%s/node%d/chat" % (proxy.url, number)]
            started.append(node.start())
        started.append(proxy.start())
        clients = NodeClients(str(tmp_path / "node-clients.log"))
        yield proxy, nodes, clients
        clients.stop()
    finally:
        for process in reversed(started):
            process.stop()
    for node in nodes:
        assert "Traceback" not in node.log(), node.log()


@pytest.fixture(params=["haproxy", "nginx"])
def cluster(request, tmp_path):
    yield from run_cluster(request.param, tmp_path)


class Members(object):
    """The test's view of the chat: client name -> (session id, node, generation)."""

    def __init__(self, clients, url):
        self.clients = clients
        self.url = url
        self.where = {}
        self.transports = {}

    def open(self, name, transport):
        mark = len(self.clients.events)
        self.clients.command(op="open", name=name, url=self.url, transports=[transport], reconnect=True)
        opened = self.clients.wait(
            lambda events: [e for e in events[mark:] if e["name"] == name and e["event"] == "open"],
            what="%s to open" % name)[0]
        assert opened["transport"] == transport
        self.transports[name] = transport
        self.identify(name)

    def identify(self, name):
        reply = self.clients.ask(name, "/id")
        self.where[name] = (reply["id"], reply["node"])

    def on(self, node):
        return [name for name, (_, at) in self.where.items() if at == node]

    def session_ids(self):
        return {sid for sid, _ in self.where.values()}


def test_cluster_publish_send_presence_and_node_loss(cluster):
    proxy, nodes, clients = cluster
    members = Members(clients, proxy.url + "/chat")

    # Every transport, and clients on every node (sessions land by hash: open until each
    # node holds some, 60 at most; a miss is (2/3)**57 unlikely).
    for n in range(60):
        members.open("c%d" % n, TRANSPORTS[n % len(TRANSPORTS)])
        if n >= 7 and all(members.on(node.name) for node in nodes):
            break
    assert all(members.on(node.name) for node in nodes), members.where
    names = sorted(members.where)

    # Published on one node, received on all three, in order, the publisher too.
    publisher = members.on("node1")[0]
    mark = len(clients.events)
    sent = ["from %s #%d \u2713" % (publisher, n) for n in range(20)]
    for text in sent:
        clients.command(op="send", name=publisher, data=text)
    clients.wait(lambda events: all(len(clients.messages(name, mark)) >= len(sent) for name in names),
                 what="every client to get the 20 messages")
    for name in names:
        assert clients.messages(name, mark)[:len(sent)] == sent, (name, members.where[name])

    # send() reaches a session on another node.
    target = members.on("node3")[0]
    mark = len(clients.events)
    assert clients.ask(publisher, "/send %s just for you" % members.where[target][0]) == {"sent": True}
    clients.wait(lambda events: "just for you" in clients.messages(target, mark), what="the send")
    assert all("just for you" not in clients.messages(name, mark) for name in names if name != target)
    assert clients.ask(publisher, "/send no-such-session hello") == {"sent": False}

    # Presence is the same, and right, from every node.
    for node in nodes:
        assert set(clients.ask(members.on(node.name)[0], "/presence")["presence"]) == \
            members.session_ids()

    # Kill node2: its clients reconnect through the proxy to the other nodes and get later
    # messages; its sessions leave presence within the TTL.
    lost = members.on("node2")
    old_ids = {members.where[name][0] for name in lost}
    nodes[1].kill()
    killed = time.monotonic()
    # Browsers notice a cut streaming response; sockjs-client under Node does not (its
    # http driver ignores a response's 'aborted'), so there a client notices when it next
    # sends: the send reaches a node without its session and fails, as a chat would do.
    for name in lost:
        clients.command(op="send", name=name, data="anyone there?")
    clients.wait(lambda events: all(
        any(e["name"] == name and e["event"] == "open" and e["generation"] >= 2 for e in events)
        for name in lost), timeout=30, what="node2's clients to reconnect")
    for name in lost:
        members.identify(name)
        assert members.where[name][1] in ("node1", "node3")
    mark = len(clients.events)
    clients.command(op="send", name=lost[0], data="after the loss")
    clients.wait(lambda events: all("after the loss" in clients.messages(name, mark) for name in names),
                 what="every client, reconnected ones too, to get a later message")
    # node2's sessions go by expiry (PRESENCE_TTL).  Sessions that a dying connection's
    # last request opened on another node (the client closed them at once: "Server lost
    # session") stay until that node's session timeout (5 s), then go too.
    asker = members.on("node1")[0]
    while set(clients.ask(asker, "/presence")["presence"]) & old_ids:
        assert time.monotonic() - killed < PRESENCE_TTL + 2, "node2's sessions outlived the TTL"
        time.sleep(0.2)
    while set(clients.ask(asker, "/presence")["presence"]) != members.session_ids():
        assert time.monotonic() - killed < SESSION_TIMEOUT + 3, "presence did not settle"
        time.sleep(0.2)


@pytest.fixture(params=["haproxy", "nginx"])
def static_routes(request, tmp_path):
    """After /info, every request of a connection goes to one node by a static route."""
    yield from run_cluster(request.param, tmp_path, static_routes=True)


def test_base_url_sends_every_request_of_a_connection_to_its_node(static_routes):
    import json
    import urllib.request
    proxy, nodes, clients = static_routes
    announced = {json.loads(urllib.request.urlopen(proxy.url + "/chat/info").read())["base_url"]
                 for _ in range(9)}
    assert announced <= {"%s/node%d/chat" % (proxy.url, n) for n in (1, 2, 3)} and len(announced) > 1
    members = Members(clients, proxy.url + "/chat")
    for n in range(24):
        members.open("s%d" % n, TRANSPORTS[n % len(TRANSPORTS)])
        if n >= 7 and all(members.on(node.name) for node in nodes):
            break
    assert all(members.on(node.name) for node in nodes), members.where
    names = sorted(members.where)
    mark = len(clients.events)
    clients.command(op="send", name=names[0], data="over static routes")
    clients.wait(lambda events: all("over static routes" in clients.messages(name, mark)
                                    for name in names), what="every client to get the message")
