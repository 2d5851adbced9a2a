"""Eager writes (txsockjs/server/httpchannel/eagerwrite.py) on a real TCP socket pair.

The transport is a real ``twisted.internet.tcp.Server`` around an accepted
loopback socket, driven by hand on a MemoryReactor (no reactor runs): the
test sees exactly what reached the kernel and what Twisted still holds.
"""

import os
import socket
import subprocess
import sys

import pytest
from twisted.internet import tcp
from twisted.internet.protocol import Protocol
from twisted.internet.testing import MemoryReactor, StringTransport

from tests.unit.helpers import CountingProducer
from txsockjs.server.httpchannel import eagerwrite


@pytest.fixture
def pair(monkeypatch):
    """(tcp.Server transport, the peer's socket, the reactor)."""
    monkeypatch.setattr(eagerwrite, "DISABLED", False)
    # (each test a new process, as far as the class probe goes)
    monkeypatch.setattr(eagerwrite, "_class_verdict", [])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    peer = socket.create_connection(listener.getsockname())
    accepted, address = listener.accept()
    listener.close()
    reactor = MemoryReactor()
    transport = tcp.Server(accepted, Protocol(), address, None, 1, reactor)
    yield transport, peer, reactor
    peer.close()
    accepted.close()


def read_exactly(peer, count):
    peer.settimeout(5)
    data = b""
    while len(data) < count:
        chunk = peer.recv(count - len(data))
        assert chunk, "the connection closed early"
        data += chunk
    return data


def drain_twisted(transport, peer, expected):
    """Let Twisted send what it holds (as the reactor would when the socket
    is writable) while the peer reads; returns what the peer got."""
    got = b""
    peer.settimeout(5)
    while len(got) < expected:
        if transport.dataBuffer or transport._tempDataBuffer:
            transport.doWrite()
        got += peer.recv(1 << 20)
    return got


def test_a_plain_tcp_server_is_written_to_at_once(pair):
    transport, peer, reactor = pair
    write = eagerwrite.writer_for(transport)
    assert write != transport.write
    write(b"hello")
    # In the kernel already: no reactor turn, and Twisted never started writing.
    assert read_exactly(peer, 5) == b"hello"
    assert transport not in reactor.getWriters()
    assert not transport.dataBuffer and not transport._tempDataBuffer


def test_bytes_twisted_holds_go_first(pair):
    transport, peer, reactor = pair
    write = eagerwrite.writer_for(transport)
    transport.write(b"first ")
    write(b"second")
    assert transport in reactor.getWriters()
    assert drain_twisted(transport, peer, 12) == b"first second"


def test_what_the_kernel_does_not_take_is_buffered_in_order_and_pauses_the_producer(pair):
    transport, peer, reactor = pair
    producer = CountingProducer()
    transport.registerProducer(producer, True)
    write = eagerwrite.writer_for(transport)
    # The peer reads nothing: the kernel's buffers fill and Twisted takes the rest.
    data = bytes(range(256)) * 40000  # 10 MB, more than loopback buffers hold
    write(data)
    assert transport._tempDataBuffer, "the kernel took everything; the test needs more data"
    assert producer.calls == ["pause"]
    write(b"after")
    assert transport in reactor.getWriters()
    got = drain_twisted(transport, peer, len(data) + 5)
    assert got == data + b"after"
    # Twisted pauses again on each write while its buffer is full.
    assert producer.calls == ["pause", "pause", "resume"]


def test_a_closing_connection_is_left_to_twisted(pair):
    transport, peer, reactor = pair
    write = eagerwrite.writer_for(transport)
    transport.loseConnection()
    write(b"last words")
    # Not sent yet: Twisted sends it, then closes.
    assert transport._tempDataBuffer == [b"last words"]


def test_a_broken_connection_raises_nothing(pair):
    transport, peer, reactor = pair
    write = eagerwrite.writer_for(transport)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    peer.close()  # RST
    for _ in range(3):
        write(b"x" * 1000)
    # Twisted's own write path meets the error and reports it as connection lost.
    assert transport._tempDataBuffer


def test_the_variable_turns_it_off(pair, monkeypatch):
    transport, peer, reactor = pair
    monkeypatch.setattr(eagerwrite, "DISABLED", True)
    assert "TXSOCKJS_NO_EAGER_WRITE" in eagerwrite.probe(transport)
    assert eagerwrite.writer_for(transport) == transport.write


@pytest.mark.parametrize("value,off", [("1", True), ("yes", True), ("0", False), ("", False),
                                       (None, False)])
def test_the_variable_is_read_when_the_module_is_imported(value, off):
    env = {k: v for k, v in os.environ.items() if k != eagerwrite.DISABLE_VARIABLE}
    if value is not None:
        env[eagerwrite.DISABLE_VARIABLE] = value
    done = subprocess.run(
        [sys.executable, "-c", "from txsockjs.server.httpchannel import eagerwrite; "
         "print(eagerwrite.DISABLED, eagerwrite.disabled())"],
        env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(off), str(off)]


def test_other_transports_write_as_before(pair):
    transport, peer, reactor = pair

    class Wrapped(tcp.Server):
        pass

    string = StringTransport()
    assert eagerwrite.writer_for(string) == string.write
    assert "StringTransport" in eagerwrite.probe(string)
    transport.__class__ = Wrapped
    assert "Wrapped" in eagerwrite.probe(transport)


def test_a_missing_or_changed_attribute_turns_it_off(pair, monkeypatch):
    transport, peer, reactor = pair
    transport._tempDataBuffer = ()
    assert "_tempDataBuffer" in eagerwrite.probe(transport)
    # The class is probed once, on the first connection: what it found holds for the
    # process (every tcp.Server is made by the same __init__).
    transport._tempDataBuffer = []
    assert "_tempDataBuffer" in eagerwrite.probe(transport)
    monkeypatch.setattr(eagerwrite, "_class_verdict", [])  # (another process)
    assert eagerwrite.probe(transport) is None
    transport._tempDataBuffer = ()
    assert eagerwrite.probe(transport) is None  # (not probed again)
    monkeypatch.setattr(eagerwrite, "_class_verdict", [])
    assert "_tempDataBuffer" in eagerwrite.probe(transport)
    transport._tempDataBuffer = []


def test_a_connection_under_tls_is_left_to_twisted(pair):
    # (checked on every connection: startTLS is one connection's)
    transport, peer, reactor = pair
    assert eagerwrite.probe(transport) is None
    transport.TLS = True
    assert "TLS" in eagerwrite.probe(transport)
    del transport.TLS
    assert eagerwrite.probe(transport) is None


def test_the_flags_set_on_the_connection_keep_their_values_and_follow_twisted(pair):
    transport, peer, reactor = pair
    before = {name: getattr(transport, name) for name in eagerwrite._CLASS_FLAGS}
    write = eagerwrite.writer_for(transport)
    assert {name: getattr(transport, name) for name in eagerwrite._CLASS_FLAGS} == before
    assert not any(before.values())
    transport.loseWriteConnection()  # (half-close: Twisted sets the flag on the instance)
    write(b"after the half-close")
    assert transport._tempDataBuffer == [b"after the half-close"]
