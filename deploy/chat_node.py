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


def session_id_of(transport):
    return transport.session.session_id


class ChatMember(Protocol):
    def connectionMade(self):
        broker = self.factory.broker
        self.session_id = session_id_of(self.transport)
        broker.attach(self.session_id, self.transport)
        broker.subscribe(self.session_id, TOPIC).addErrback(self.failed)

    def dataReceived(self, data):
        broker = self.factory.broker
        text = data.decode("utf-8")
        if text == "/id":
            self.reply({"id": self.session_id, "node": self.factory.name})
        elif text.startswith("/send "):
            _, target, message = (text + " ").split(" ", 2)
            broker.send(target, message[:-1].encode("utf-8")).addCallbacks(
                lambda sent: self.reply({"sent": sent}), self.failed)
        elif text == "/presence":
            broker.presence(TOPIC).addCallbacks(
                lambda ids: self.reply({"presence": sorted(ids)}), self.failed)
        else:
            broker.publish(TOPIC, data).addErrback(self.failed)

    def reply(self, value):
        self.transport.write(json.dumps(value).encode("utf-8"))

    def failed(self, failure):
        self.reply({"error": failure.getErrorMessage()})

    def connectionLost(self, reason):
        self.factory.broker.detach(self.session_id)


class ChatFactory(Factory):
    protocol = ChatMember

    def __init__(self, broker, name):
        self.broker = broker
        self.name = name


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
    broker = RedisBroker(args.redis, presence_ttl=args.presence_ttl)
    options = {"heartbeat": args.heartbeat}
    if args.base_url:
        options["base_url"] = args.base_url
    site = SockJSMultiFactory()
    site.addFactory(ChatFactory(broker, args.name), TOPIC, options)
    port = reactor.listenTCP(args.port, site, interface=args.host)
    broker.start()
    reactor.addSystemEventTrigger("before", "shutdown", broker.stop)
    print("listening on http://%s:%d/%s" % (args.host, port.getHost().port, TOPIC), flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
