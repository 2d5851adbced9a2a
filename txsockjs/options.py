"""The per-service options: one frozen object, built from the documented dict."""

import dataclasses

DEFAULT_SOCKJS_URL = "https://cdn.jsdelivr.net/npm/sockjs-client@1/dist/sockjs.min.js"


@dataclasses.dataclass(frozen=True)
class Options:
    """Validated options of one SockJS service.

    websocket        offer the websocket transports (and raw /websocket)
    cookie_needed    set JSESSIONID, for load balancers with sticky sessions
    heartbeat        seconds between ``h`` frames while a receiver is attached
    timeout          seconds a session lives with no receiver attached
    streaming_limit  bytes a streaming response carries before it ends
    sockjs_url       the client script the iframe page loads
    max_message_size largest client body or websocket message, in bytes
    """

    websocket: bool = True
    cookie_needed: bool = False
    heartbeat: float = 25.0
    timeout: float = 5.0
    streaming_limit: int = 128 * 1024
    sockjs_url: str = DEFAULT_SOCKJS_URL
    max_message_size: int = 1 << 20

    def __post_init__(self):
        for name in ("websocket", "cookie_needed"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError("option %r must be True or False, not %r" % (name, getattr(self, name)))
        for name in ("heartbeat", "timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError("option %r must be a number of seconds > 0, not %r" % (name, value))
            if value != value or value == float("inf"):
                raise ValueError("option %r must be finite, not %r" % (name, value))
        for name in ("streaming_limit", "max_message_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError("option %r must be a whole number of bytes >= 1, not %r" % (name, value))
        url = self.sockjs_url
        if not isinstance(url, str) or not (url.startswith("/") or url.startswith("http")):
            raise ValueError("option 'sockjs_url' must start with '/' or 'http', not %r" % (url,))
        if any(ch in url for ch in '"<>\\') or not url.isprintable():
            raise ValueError("option 'sockjs_url' has characters that cannot go in an HTML attribute: %r" % (url,))

    @classmethod
    def from_dict(cls, options=None):
        """Build from the documented dict; unknown keys raise, naming the key."""
        if options is None:
            return cls()
        if isinstance(options, cls):
            return options
        if not isinstance(options, dict):
            raise TypeError("options must be a dict, not %r" % (type(options).__name__,))
        known = {field.name for field in dataclasses.fields(cls)}
        for key in options:
            if key not in known:
                raise ValueError("unknown option %r (known: %s)" % (key, ", ".join(sorted(known))))
        return cls(**options)
