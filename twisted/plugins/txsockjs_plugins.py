"""Twisted plugins of txsockjs: the ``sockjs:`` server endpoint and ``twistd sockjs``.

This directory has no ``__init__.py`` on purpose: ``twisted.plugins`` gathers
plugin modules from every ``twisted/plugins`` directory on ``sys.path``.
"""

from twisted.application.service import IServiceMaker
from twisted.plugin import IPlugin
from zope.interface import implementer

from txsockjs.endpoint import SockJSServerParser


@implementer(IServiceMaker, IPlugin)
class SockJSServiceMaker(object):
    tapname = "sockjs"
    description = "Serve a protocol factory, or bridge to a TCP service, over SockJS."

    @property
    def options(self):
        from txsockjs.tap import TwistdOptions
        return TwistdOptions

    def makeService(self, options):
        from txsockjs.tap import make_service_or_exit
        return make_service_or_exit("twistd sockjs", options)


sockjsServerParser = SockJSServerParser()
sockjsServiceMaker = SockJSServiceMaker()
