"""The demo: a chat page at ``/`` using the ``/echo`` and ``/chat`` services."""

from twisted.internet.protocol import Factory

from txsockjs.__main__ import BroadcastFactory, EchoProtocol
from txsockjs.factory import SockJSMultiFactory

PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>txsockjs demo</title>
  <script src="%(sockjs_url)s"></script>
  <style>
    body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }
    #log { border: 1px solid #aaa; height: 20em; overflow-y: auto; padding: .5em; }
    .msg { padding: .1em 0; } .sys { color: #777; font-style: italic; }
    #text { width: 75%%; }
  </style>
</head>
<body>
  <h1>txsockjs chat</h1>
  <p>Status: <span id="status">connecting</span></p>
  <div id="log"></div>
  <form id="form"><input id="text" autocomplete="off" placeholder="Say something">
  <button id="send" type="submit">Send</button></form>
  <script>
    var log = document.getElementById('log');
    var status = document.getElementById('status');
    function show(text, cls) {
      var div = document.createElement('div');
      div.className = cls; div.textContent = text;
      log.appendChild(div); log.scrollTop = log.scrollHeight;
    }
    var chat = new SockJS('/chat');
    chat.onopen = function () {
      status.textContent = 'connected (' + chat.transport + ')';
      show('connected with ' + chat.transport, 'sys');
    };
    chat.onmessage = function (e) { show(e.data, 'msg'); };
    chat.onclose = function (e) {
      status.textContent = 'closed';
      show('closed: ' + e.code + ' ' + e.reason, 'sys');
    };
    document.getElementById('form').onsubmit = function (e) {
      e.preventDefault();
      var input = document.getElementById('text');
      if (input.value) { chat.send(input.value); input.value = ''; }
    };
  </script>
</body>
</html>
"""


class DemoSite(SockJSMultiFactory):
    """The SockJS services plus the page at ``/``."""

    def __init__(self, page, client_script=None, reactor=None):
        SockJSMultiFactory.__init__(self, reactor)
        self.page = page
        self.client_script = client_script

    def handle(self, channel, request, response):
        if request.path == CLIENT_PATH and self.client_script is not None:
            return response.send(200, [("Content-Type", "application/javascript;charset=UTF-8"),
                                       ("Cache-Control", "public, max-age=3600")],
                                 self.client_script)
        if request.path in ("/", "/index.html"):
            if request.method not in ("GET", "HEAD"):
                return response.send(405, [("Allow", "GET, HEAD")])
            return response.send(200, [("Content-Type", "text/html;charset=UTF-8"),
                                       ("Cache-Control", "no-cache")], self.page)
        return SockJSMultiFactory.handle(self, channel, request, response)


CLIENT_PATH = "/sockjs.min.js"


def demo_site(sockjs_url, client_file=None):
    """The demo; with ``client_file`` (a local copy of sockjs-client) the
    page and the iframe transports load the client from this server."""
    client_script = None
    if client_file:
        with open(client_file, "rb") as script:
            client_script = script.read()
        sockjs_url = CLIENT_PATH
    site = DemoSite((PAGE % {"sockjs_url": sockjs_url}).encode("utf-8"), client_script)
    options = {"sockjs_url": sockjs_url}
    site.addFactory(Factory.forProtocol(EchoProtocol), "echo", options)
    site.addFactory(BroadcastFactory(), "chat", options)
    return site
