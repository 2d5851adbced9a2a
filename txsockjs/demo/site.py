"""The demo: a chat page at ``/`` using the ``/chat`` and ``/echo`` services,
with the server's live figures at ``/stats.json``.

The page itself is ``txsockjs/static/demo.html`` (plain HTML, CSS and
JavaScript, no external assets); ``/chat`` speaks the JSON protocol of
:mod:`txsockjs.demo.chatroom`; ``/echo`` sends back what it gets.
"""

import html
import json
from importlib import resources
from typing import Any, Optional

from twisted.internet.protocol import Factory

from txsockjs.demo.chatroom import ChatRoom
from txsockjs.factory import SockJSMultiFactory
from txsockjs.interfaces import SockJSOptions
from txsockjs.protocol.http import Request
from txsockjs.server.httpchannel.channel import HTTPChannel
from txsockjs.server.httpchannel.response import Response
from txsockjs.demo.sampleapps import EchoProtocol

__all__ = ["DemoSite", "demo_site", "demo_page", "CLIENT_PATH", "STATS_PATH"]

CLIENT_PATH = "/sockjs.min.js"
STATS_PATH = "/stats.json"


def demo_page(sockjs_url: str) -> bytes:
    """The page as UTF-8 bytes, loading the SockJS client from ``sockjs_url``."""
    # (one name per joinpath: Python 3.10's Traversable takes one)
    template = resources.files("txsockjs.demo").joinpath("static").joinpath("demo.html") \
        .read_text("utf-8")
    return template.replace("{{sockjs_url}}", html.escape(sockjs_url, quote=True)).encode("utf-8")


class DemoSite(SockJSMultiFactory):
    """The SockJS services plus the page at ``/``, the client script (when
    given) and the live figures."""

    def __init__(self, page: bytes, client_script: Optional[bytes] = None,
                 reactor: Any = None) -> None:
        SockJSMultiFactory.__init__(self, reactor)
        self.page = page
        self.client_script = client_script

    def handle(self, channel: HTTPChannel, request: Request, response: Response) -> None:
        if request.path == CLIENT_PATH and self.client_script is not None:
            return response.send(200, [("Content-Type", "application/javascript;charset=UTF-8"),
                                       ("Cache-Control", "public, max-age=3600")],
                                 self.client_script)
        if request.path in ("/", "/index.html", STATS_PATH):
            if request.method not in ("GET", "HEAD"):
                return response.send(405, [("Allow", "GET, HEAD")])
            if request.path == STATS_PATH:
                # Fresh every time: the page polls it and computes rates from the deltas.
                return response.send(200, [("Content-Type", "application/json"),
                                           ("Cache-Control", "no-store")],
                                     json.dumps(self.stats()).encode("ascii"))
            return response.send(200, [("Content-Type", "text/html;charset=UTF-8"),
                                       ("Cache-Control", "no-cache")], self.page)
        return SockJSMultiFactory.handle(self, channel, request, response)


def demo_site(sockjs_url: str, client_file: Optional[str] = None,
              reactor: Any = None) -> DemoSite:
    """The demo; with ``client_file`` (a local copy of sockjs-client) the
    page and the iframe transports load the client from this server."""
    client_script = None
    if client_file:
        with open(client_file, "rb") as script:
            client_script = script.read()
        sockjs_url = CLIENT_PATH
    site = DemoSite(demo_page(sockjs_url), client_script, reactor)
    options: SockJSOptions = {"sockjs_url": sockjs_url}
    site.addFactory(ChatRoom(), "chat", options)
    site.addFactory(Factory.forProtocol(EchoProtocol), "echo", options)
    return site
