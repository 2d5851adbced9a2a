#!/usr/bin/env python3
"""Run ``python -m txsockjs`` with candidate speed-ups patched in at run time.

    python benchmarks/e2e/experiments.py nodelay,eager,syncflush conformance --port 8081

Used by run.py for server names like ``txsockjs+nodelay,eager`` so that a
suggestion in PROFILE.md can be measured before anyone changes txsockjs/.
These patches are experiments, not the library's code:

nodelay    TCP_NODELAY on every accepted connection (HTTPChannel.connectionMade).
eager      HTTPChannel.write sends straight to the socket when Twisted's
           write buffer is empty, and hands Twisted only what the kernel did
           not take: no startWriting/stopWriting (two epoll_ctl calls) and no
           extra reactor turn per message.
syncflush  sessions written to while a connection's data is being handled
           are flushed when dataReceived returns, not by callLater(0) on the
           next reactor turn.
sharedeager a broadcast frame goes to every member's socket at once (eagerly
           when safe), not through Twisted's buffer on the next turn.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def patch_nodelay():
    from txsockjs.server.httpchannel.channel import HTTPChannel
    orig = HTTPChannel.connectionMade

    def connectionMade(self):
        try:
            self.transport.setTcpNoDelay(True)
        except (AttributeError, OSError):
            pass
        orig(self)

    HTTPChannel.connectionMade = connectionMade


def patch_eager():
    from txsockjs.server.httpchannel.channel import HTTPChannel

    def write(self, data):
        t = self.transport
        if (not t.dataBuffer and not t._tempDataBuffer and t.connected
                and not t.disconnecting and not getattr(t, "TLS", False)):
            try:
                n = t.socket.send(data)
            except BlockingIOError:
                n = 0
            except OSError:
                n = 0  # let Twisted's own write path find and report the error
            if n == len(data):
                return
            data = data[n:]
        t.write(data)

    HTTPChannel.write = write


_state = {"in_read": 0}


def patch_syncflush():
    from txsockjs.server import servicecore as service
    from txsockjs.server.httpchannel.channel import HTTPChannel
    Flusher = service.Flusher

    def schedule(self, session):
        self._pending.append(session)
        if self._call is None and not _state["in_read"]:
            self._call = self._clock.callLater(0, self._run)

    Flusher.schedule = schedule
    orig = HTTPChannel.dataReceived

    def dataReceived(self, data):
        _state["in_read"] += 1
        try:
            orig(self, data)
        finally:
            _state["in_read"] -= 1
            if not _state["in_read"]:
                flusher = self.site.flusher
                if flusher._pending and flusher._call is None:
                    flusher._run()

    HTTPChannel.dataReceived = dataReceived


def patch_sharedeager():
    # A broadcast's frame goes to each member's socket at once (eagerly when
    # safe) instead of through Twisted's buffer on the next turn.
    from txsockjs.server.wsbridge import WebSocketBridge
    original = WebSocketBridge.send_shared

    def send_shared(self, frame, shared):
        channel = self.wire
        write = channel.write
        channel.write = channel._eager_write
        try:
            original(self, frame, shared)
        finally:
            channel.write = write
    WebSocketBridge.send_shared = send_shared


PATCHES = {"nodelay": patch_nodelay, "eager": patch_eager, "syncflush": patch_syncflush,
           "sharedeager": patch_sharedeager}


def main():
    names = [n for n in sys.argv[1].split(",") if n]
    for name in names:
        PATCHES[name]()
    sys.stderr.write("experiments: %s\n" % ",".join(names))
    from txsockjs.__main__ import main as txmain
    sys.argv = ["python -m txsockjs"] + sys.argv[2:]
    txmain()


if __name__ == "__main__":
    main()
