"""A bare RedisBroker node in its own process, for tests that kill one.

    python -m tests.cluster.broker_node REDIS_URL PRESENCE_TTL TOPIC SESSION_ID...

Attaches the sessions (writes go to stdout), subscribes them to TOPIC, prints
``ready <node id>`` once Redis has it all, then runs until killed.
"""

import sys

from twisted.internet import defer, reactor

from txsockjs.redisbroker import RedisBroker


class Printer(object):
    def __init__(self, session_id):
        self.session_id = session_id

    def write(self, data):
        print("got %s %s" % (self.session_id, data.decode("utf-8")), flush=True)


@defer.inlineCallbacks
def main(url, ttl, topic, session_ids):
    broker = RedisBroker(url, presence_ttl=float(ttl))
    yield broker.start()
    for session_id in session_ids:
        broker.attach(session_id, Printer(session_id))
    yield defer.gatherResults([broker.subscribe(sid, topic) for sid in session_ids])
    print("ready %s" % (broker.node_id,), flush=True)


if __name__ == "__main__":
    reactor.callWhenRunning(lambda: main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
    reactor.run()
