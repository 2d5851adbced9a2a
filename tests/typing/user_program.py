"""A small application using txsockjs's public API, as a user would write it.

tests/typing/test_mypy.py type-checks this file with plain ``mypy --strict``
(no plugins, no configuration) against the installed package.  It is never
run: it only has to be a correct, typed program.

It calls only txsockjs and typed parts of Twisted: some of Twisted's own
constructors (``Resource()``, ``Site()``, ``Application()``) and
``setServiceParent`` carry no annotations, and without the mypy-zope plugin
mypy cannot see that a ``Resource`` provides ``IResource``; a strict program
calling those needs ``# type: ignore[no-untyped-call]`` whatever txsockjs does.
"""

from twisted.internet.protocol import Factory, Protocol

from txsockjs import Handshake, Rejected
from txsockjs.factory import SockJSFactory, SockJSMultiFactory
from txsockjs.interfaces import SockJSOptions, SockJSTransport, sockjs_transport
from txsockjs.multiplex import MultiplexFactory
from txsockjs.service import SockJSService
from txsockjs.web import SockJSResource


class Echo(Protocol):
    def connectionMade(self) -> None:
        transport: SockJSTransport = sockjs_transport(self)
        handshake: Handshake = transport.handshake
        greeting = "hello %s over %s" % (handshake.client_ip, handshake.transport)
        transport.write(greeting.encode("utf-8"))
        transport.setCompression(handshake.transport != "raw_websocket")

    def binaryMessageReceived(self, data: bytes) -> None:
        sockjs_transport(self).writeBinary(data)

    def dataReceived(self, data: bytes) -> None:
        transport = sockjs_transport(self)
        if data == b"bye":
            transport.close(4000, "bye")
        else:
            transport.write(data)


def authorize(handshake: Handshake) -> str:
    user = handshake.cookies.get("user")
    if user is None:
        raise Rejected(401, "log in first")
    return user


options: SockJSOptions = {"heartbeat": 10.0, "authorize": authorize, "compression": {"level": 6},
                          "allowed_origins": ["https://example.com"]}

single = SockJSFactory(Factory.forProtocol(Echo), options)

multi = SockJSMultiFactory()
multi.addFactory(Factory.forProtocol(Echo), "echo", options)
multi.addFactory(Factory.forProtocol(Echo), "plain")

resource = SockJSResource(Factory.forProtocol(Echo), {"websocket": False})

# The commonest line: a factory in a variable (mypy infers Factory[Echo], not
# from the call it goes to), and a Factory subclass.
echo = Factory.forProtocol(Echo)


class EchoFactory(Factory):
    protocol = Echo


for factory in (echo, EchoFactory()):
    SockJSFactory(factory)
    multi.addFactory(factory, "variable")
    SockJSResource(factory)
    MultiplexFactory({"echo": factory})
MultiplexFactory({"echo": Factory.forProtocol(Echo), "plain": EchoFactory()})
SockJSFactory(MultiplexFactory({"echo": echo}))

# (setServiceParent and startService are Twisted's own, unannotated: see above)
service = SockJSService("tcp:0:interface=127.0.0.1", single, grace=5.0)
