"""The whole-server hot-path script still does what it says (a few messages):
it measures nothing here, but a change that breaks it is found in the smoke pass."""

import importlib.util
import os

from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_echo_hotpath_connection_echoes_each_frame_in_its_own_write():
    module = load("echo_hotpath")
    transport = StringTransport(hostAddress=IPv4Address("TCP", "127.0.0.1", 80),
                                peerAddress=IPv4Address("TCP", "127.0.0.1", 5555))
    protocol = module.echo_connection(transport)
    assert transport.value().startswith(b"HTTP/1.1 101 ")
    assert transport.value().endswith(b"\x81\x01o")
    transport.clear()
    protocol.dataReceived(module.client_frame(b'["one"]'))
    protocol.dataReceived(module.client_frame(b'["two"]'))
    assert transport.value() == b"\x81\x08a[\"one\"]\x81\x08a[\"two\"]"


def test_echo_hotpath_measures_every_message(monkeypatch):
    module = load("echo_hotpath")
    monkeypatch.setattr(module, "MESSAGES", 20)
    assert module.measure() > 0  # (measure() itself checks that all 20 came back)
