"""Cluster fixtures: the Twisted reactor in a thread (for in-process brokers) and a real
redis-server per test."""

import threading

import pytest
from twisted.internet import defer
from twisted.internet.threads import blockingCallFromThread

from tests.cluster.servers import RedisServer


class ReactorThread(object):
    """The global reactor, running in a daemon thread; ``call`` runs a function in it
    and waits for its (Deferred) result."""

    def __init__(self):
        from twisted.internet import reactor
        self.reactor = reactor
        self.thread = threading.Thread(target=reactor.run, kwargs={"installSignalHandlers": False},
                                       name="twisted-reactor", daemon=True)
        self.thread.start()

    def call(self, function, *args, timeout=15.0):
        def run():
            return defer.maybeDeferred(function, *args).addTimeout(timeout, self.reactor)
        return blockingCallFromThread(self.reactor, run)

    def stop(self):
        self.reactor.callFromThread(self.reactor.stop)
        self.thread.join(10)


@pytest.fixture(scope="session")
def reactor_thread():
    running = ReactorThread()
    yield running
    running.stop()


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(str(tmp_path)).start()
    yield server
    server.stop()
