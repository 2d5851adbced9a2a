"""One node of a clustered chat: every session subscribes to the topic "chat", and what
a client sends is published to every session on every node.

    python deploy/chat_node.py --port 9001 --redis redis://127.0.0.1:6379/0 [--name node1]
        [--base-url http://proxy:8080/node1/chat]

Serves the SockJS service at /chat.  A few commands show the rest of the broker API (the
replies are JSON objects, chat messages are passed as they are):

    /id                    {"id": <this session's id>, "node": <--name>}
    /send <session> <text> sends <text> to one session, wherever it is: {"sent": true|false}
    /presence              {"presence": [session ids subscribed to "chat", on every node]}

A publish that fails (Redis unreachable) is answered {"error": ...}; the sessions of this
node got the message all the same.
"""

import argparse
import json
import sys

from twisted.internet import reactor
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import globalLogBeginner, textFileLogObserver

from txsockjs.factory import SockJSMultiFactory
from txsockjs.redisbroker import RedisBroker

TOPIC = "chat"


class ChatMember(Protocol):
    def connectionMade(self):
        self.session_id = self.transport.handshake.session_id
        self.transport.subscribe(TOPIC).addErrback(self.failed)

    def dataReceived(self, data):
        service = self.factory.service        # publish, send and presence for everyone
        text = data.decode("utf-8")
        if text == "/id":
            self.reply({"id": self.session_id, "node": self.factory.name})
        elif text.startswith("/send "):
            _, target, message = (text + " ").split(" ", 2)
            service.send(target, message[:-1].encode("utf-8")).addCallbacks(
                lambda sent: self.reply({"sent": sent}), self.failed)
        elif text == "/presence":
            service.presence(TOPIC).addCallbacks(
                lambda ids: self.reply({"presence": sorted(ids)}), self.failed)
        else:
            self.transport.publish(TOPIC, data).addErrback(self.failed)

    def reply(self, value):
        self.transport.write(json.dumps(value).encode("utf-8"))

    def failed(self, failure):
        self.reply({"error": failure.getErrorMessage()})


class ChatFactory(Factory):
    protocol = ChatMember

    def __init__(self, name):
        self.name = name
        self.service = None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--name", default="node")
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--heartbeat", type=float, default=25.0)
    parser.add_argument("--presence-ttl", type=float, default=30.0)
    args = parser.parse_args(argv)
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)])
    options = {"heartbeat": args.heartbeat,
               "broker": RedisBroker(args.redis, presence_ttl=args.presence_ttl)}
    if args.base_url:
        options["base_url"] = args.base_url
    site = SockJSMultiFactory()
    chat = ChatFactory(args.name)
    chat.service = site.addFactory(chat, TOPIC, options)
    port = reactor.listenTCP(args.port, site, interface=args.host)
    print("listening on http://%s:%d/%s" % (args.host, port.getHost().port, TOPIC), flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
