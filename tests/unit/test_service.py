"""SockJSService: listen on an endpoint; stopService stops listening and drains."""

import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.unit.helpers import RecorderFactory, make_site
from tests.unit.test_door import open_session
from txsockjs.factory import SockJSFactory
from txsockjs.service import SockJSService


def test_start_listens_and_stop_drains_before_it_fires():
    site, app, clock = make_site(echo=False)
    service = SockJSService("tcp:0:interface=127.0.0.1", site, grace=5, reactor=clock)
    service.privilegedStartService()
    service.startService()
    assert len(clock.tcpServers) == 1
    port, factory, backlog, interface = clock.tcpServers[0]
    assert factory is site and interface == "127.0.0.1"
    assert service.port is not None
    poller = open_session(site, "xhr")
    poller.take()
    app.instances[0].transport.write(b"last")
    stopped = []
    service.stopService().addCallback(stopped.append)
    assert stopped == []                      # the polling session still owes its close
    assert open_session(site, "xhr", sid="late").take().startswith(b"HTTP/1.1 503 ")
    open_session(site, "xhr").take()          # gets "last"
    open_session(site, "xhr").take()          # gets the close frame
    clock.advance(0.1)
    assert stopped == [None]


def test_stop_gives_up_after_grace():
    clock = MemoryReactorClock()
    site = SockJSFactory(RecorderFactory(), reactor=clock)
    service = SockJSService("tcp:0", site, grace=2, reactor=clock)
    service.privilegedStartService()
    open_session(site, "xhr").take()          # never comes back
    stopped = []
    service.stopService().addCallback(stopped.append)
    clock.advance(1.9)
    assert stopped == []
    clock.advance(0.2)
    assert stopped == [None]


def test_bad_grace_is_refused():
    with pytest.raises(ValueError):
        SockJSService("tcp:0", make_site()[0], grace=-1)


def test_start_service_alone_listens_as_any_iservice():
    # Not run by twistd: a MultiService started with startService() only.
    from twisted.application.service import MultiService
    site, app, clock = make_site()
    parent = MultiService()
    service = SockJSService("tcp:0:interface=127.0.0.1", site, reactor=clock)
    service.setServiceParent(parent)
    parent.startService()
    assert [server[1] for server in clock.tcpServers] == [site]
    assert service.port is not None
    stopped = []
    parent.stopService().addCallback(stopped.append)
    clock.advance(0.1)                        # (the drain looks once more)
    assert len(stopped) == 1 and service.port is None and not service.running


def test_it_is_twisteds_endpoint_service_and_reports_listen_failures_its_way():
    from twisted.application.internet import StreamServerEndpointService
    from twisted.internet import defer
    from twisted.internet.error import CannotListenError

    class Taken(object):
        def listen(self, factory):
            return defer.fail(CannotListenError("127.0.0.1", 80, OSError("in use")))

    site = make_site()[0]
    service = SockJSService(Taken(), site)
    assert isinstance(service, StreamServerEndpointService)
    service._raiseSynchronously = True        # what twisted.application.strports sets
    with pytest.raises(CannotListenError):
        service.startService()
    assert service.port is None
