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
    #log { border: 1px solid #aaa; height: 12em; overflow-y: auto; padding: .5em; }
    #echo-log { border: 1px solid #aaa; height: 5em; overflow-y: auto; padding: .5em; }
    .msg { padding: .1em 0; } .sys { color: #777; font-style: italic; }
    #text, #echo-text { width: 75%%; }
  </style>
</head>
<body>
  <h1>txsockjs chat</h1>
  <p>Status: <span id="status">connecting</span></p>
  <div id="log"></div>
  <form id="form"><input id="text" autocomplete="off" placeholder="Say something">
  <button id="send" type="submit">Send</button></form>
  <h2>Echo</h2>
  <p>Status: <span id="echo-status">connecting</span>; the echo service sends back what you send.</p>
  <form id="echo-form"><input id="echo-text" autocomplete="off" placeholder="Echo this">
  <button id="echo-send" type="submit">Echo</button></form>
  <div id="echo-log"></div>
  <script>
  (function () {
    // In a function: a top-level `var status` would be the window's legacy string property.
    function show(logEl, text, cls) {
      var div = document.createElement('div');
      div.className = cls; div.textContent = text;
      logEl.appendChild(div); logEl.scrollTop = logEl.scrollHeight;
    }
    function connect(path, statusEl, logEl, formEl, inputEl) {
      var sock = new SockJS(path);
      sock.onopen = function () {
        statusEl.textContent = 'connected (' + sock.transport + ')';
        show(logEl, 'connected with ' + sock.transport, 'sys');
      };
      sock.onmessage = function (e) { show(logEl, e.data, 'msg'); };
      sock.onclose = function (e) {
        statusEl.textContent = 'closed';
        show(logEl, 'closed: ' + e.code + ' ' + e.reason, 'sys');
      };
      formEl.onsubmit = function (e) {
        e.preventDefault();
        if (inputEl.value && sock.readyState === SockJS.OPEN) {
          sock.send(inputEl.value); inputEl.value = '';
        }
      };
    }
    function $(id) { return document.getElementById(id); }
    connect('/chat', $('status'), $('log'), $('form'), $('text'));
    connect('/echo', $('echo-status'), $('echo-log'), $('echo-form'), $('echo-text'));
  })();
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
