"""Twisted plugins of txsockjs: the ``sockjs:`` server endpoint and ``twistd sockjs``.

This directory has no ``__init__.py`` on purpose: ``twisted.plugins`` gathers
plugin modules from every ``twisted/plugins`` directory on ``sys.path``.
"""

from typing import TYPE_CHECKING, Type

from twisted.application.service import IServiceMaker
from twisted.plugin import IPlugin
from zope.interface import implementer

from txsockjs.endpoint import SockJSServerParser

if TYPE_CHECKING:
    from twisted.python import usage

    from txsockjs.cli.tap import SockJSServerService, TwistdOptions


@implementer(IServiceMaker, IPlugin)
class SockJSServiceMaker(object):
    tapname = "sockjs"
    description = "Serve a protocol factory, or bridge to a TCP service, over SockJS."

    @property
    def options(self) -> "Type[TwistdOptions]":
        from txsockjs.cli.tap import TwistdOptions
        return TwistdOptions

    def makeService(self, options: "usage.Options") -> "SockJSServerService":
        from txsockjs.cli.tap import make_service_or_exit
        return make_service_or_exit("twistd sockjs", options)


sockjsServerParser = SockJSServerParser()
sockjsServiceMaker = SockJSServiceMaker()
