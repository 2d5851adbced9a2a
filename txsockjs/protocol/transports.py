"""Per-transport facts: methods, content type, prelude, framing, streaming."""

from typing import Callable, Optional, Tuple

from txsockjs.protocol.frames import wrap_eventsource, wrap_htmlfile

JAVASCRIPT = "application/javascript;charset=UTF-8"
PLAIN = "text/plain;charset=UTF-8"
HTML = "text/html;charset=UTF-8"
EVENT_STREAM = "text/event-stream"

# How each receiving transport writes a frame.
def wrap_xhr(frame: bytes) -> bytes:
    return frame + b"\n"


XHR_STREAMING_PRELUDE = b"h" * 2048 + b"\n"
EVENTSOURCE_PRELUDE = b"\r\n"

_HTMLFILE_HEAD = """<!doctype html>
<html><head>
  <meta http-equiv="X-UA-Compatible" content="IE=edge" />
  <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
</head><body><h2>Don't panic!</h2>
  <script>
    document.domain = document.domain;
    var c = parent.%s;
    c.start();
    function p(d) {c.message(d);};
    window.onload = function() {c.stop();};
  </script>
"""


def htmlfile_prelude(callback: str) -> bytes:
    """The htmlfile head page, padded past 1024 bytes so browsers render
    (and run) the scripts that follow as they arrive."""
    head = (_HTMLFILE_HEAD % callback).encode("ascii")
    return head + b" " * max(0, 1025 - len(head)) + b"\r\n\r\n"


class Transport(object):
    """What is fixed about one transport."""

    __slots__ = ("name", "methods", "receiving", "streaming", "content_type",
                 "cors", "needs_callback", "prelude", "wrap")

    def __init__(self, name: str, methods: Tuple[str, ...], receiving: bool = False,
                 streaming: bool = False, content_type: Optional[str] = None, cors: bool = True,
                 needs_callback: bool = False, prelude: Optional[bytes] = None,
                 wrap: Optional[Callable[[bytes], bytes]] = None) -> None:
        self.name = name
        self.methods = methods
        self.receiving = receiving
        self.streaming = streaming
        self.content_type = content_type
        self.cors = cors
        self.needs_callback = needs_callback
        self.prelude = prelude
        self.wrap = wrap


TRANSPORTS = {t.name: t for t in [
    Transport("websocket", ("GET",)),
    Transport("xhr", ("POST", "OPTIONS"), receiving=True, content_type=JAVASCRIPT, wrap=wrap_xhr),
    Transport("xhr_streaming", ("POST", "OPTIONS"), receiving=True, streaming=True,
              content_type=JAVASCRIPT, prelude=XHR_STREAMING_PRELUDE, wrap=wrap_xhr),
    Transport("eventsource", ("GET",), receiving=True, streaming=True,
              content_type=EVENT_STREAM, prelude=EVENTSOURCE_PRELUDE, wrap=wrap_eventsource),
    Transport("htmlfile", ("GET",), receiving=True, streaming=True, content_type=HTML,
              needs_callback=True, wrap=wrap_htmlfile),
    Transport("jsonp", ("GET",), receiving=True, content_type=JAVASCRIPT, needs_callback=True),
    Transport("xhr_send", ("POST", "OPTIONS"), content_type=PLAIN),
    Transport("jsonp_send", ("POST",), content_type=PLAIN),
]}
