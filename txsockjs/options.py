"""The per-service options: one frozen object, built from the documented dict."""

import dataclasses
import math
from typing import Any, Callable, Iterable, Mapping, Optional, Tuple, Union

from txsockjs.protocol.deflate import DEFAULTS as COMPRESSION_DEFAULTS
from txsockjs.protocol.sendbuffer import POLICIES

# A request waits for ``authorize`` at most this long (the option may only lower it).
MAX_AUTHORIZE_TIMEOUT = 30
SESSION_BINDINGS = ("client", "none")

DEFAULT_SOCKJS_URL = "https://cdn.jsdelivr.net/npm/sockjs-client@1/dist/sockjs.min.js"


BROKER_CALLS = ("attach", "detach", "subscribe", "unsubscribe", "publish", "send", "presence",
                "start", "stop")


class OptionError(ValueError):
    """A bad option: ``str()`` starts with the option's name as the user wrote it
    (``"heartbeat: must be ..."``); ``option`` and ``problem`` are the two parts,
    so a command line can say it as its flag (``--heartbeat: must be ...``)."""

    def __init__(self, option: str, problem: str) -> None:
        ValueError.__init__(self, "%s: %s" % (option, problem))
        self.option = option
        self.problem = problem

    def written_as(self, option: str) -> "OptionError":
        """The same problem, naming the option as ``option``."""
        return OptionError(option, self.problem)


@dataclasses.dataclass(frozen=True)
class Options:
    """Validated options of one SockJS service (docs/reference/options.rst has the
    table); each line names an option and what it means::

        websocket        offer the websocket transports (and raw /websocket)
        cookie_needed    set JSESSIONID, for load balancers with sticky sessions
        heartbeat        seconds between ``h`` frames while a receiver is attached
        timeout          seconds a session lives with no receiver attached
        streaming_limit  bytes a streaming response carries before it ends
        sockjs_url       the client script the iframe page loads
        max_message_size largest client body or websocket message, in bytes

        Who may connect (see README "Know who connects"):

        authorize        None, or a callable taking the Handshake and returning the
                         principal (``True`` if there is nothing better), or a
                         Deferred / coroutine of one; False or ``Rejected`` refuses
        authorize_timeout seconds an authorize may take before the request gets 503
                         (at most 30)
        allowed_origins  None (any origin) or a list of origin patterns
        trusted_proxies  addresses / CIDR networks whose forwarding headers are read
        session_binding  "client" (a session belongs to who created it) or "none"
        max_sessions     open sessions of this service at most (None: no limit)
        max_sessions_per_client  open sessions per client_ip at most (None: no limit)

        Bounded memory (see txsockjs.protocol.sendbuffer):

        send_buffer_limit bytes held for one session at most (default 1 MiB)
        send_overflow    "close" (default), "drop_oldest" or "drop_newest"

        base_url         None, or this node's own URL of the service, announced in /info:
                         sockjs-client then sends every request of the connection
                         there (per-node routes behind a load balancer)

        Topics across sessions and nodes (see txsockjs.broker):

        compression      permessage-deflate on both WebSocket endpoints: False (the
                         default), True (our measured settings) or a dict of level,
                         server_max_window_bits, client_max_window_bits, mem_level,
                         server_no_context_takeover, client_no_context_takeover,
                         threshold, release_after (see docs/reference/options.rst)

        broker           None (a MemoryBroker of the service's own) or a broker:
                         txsockjs.broker.MemoryBroker(), or (txsockjs.redisbroker)
                         RedisBroker("redis://host:port/db") for several processes;
                         one broker per service
    """

    websocket: bool = True
    cookie_needed: bool = False
    heartbeat: float = 25.0
    timeout: float = 5.0
    streaming_limit: int = 128 * 1024
    sockjs_url: str = DEFAULT_SOCKJS_URL
    max_message_size: int = 1 << 20
    authorize: Optional[Callable[..., Any]] = None
    authorize_timeout: float = 10.0
    allowed_origins: Optional[Tuple[str, ...]] = None
    trusted_proxies: Tuple[str, ...] = ()
    session_binding: str = "client"
    max_sessions: Optional[int] = None
    max_sessions_per_client: Optional[int] = None
    send_buffer_limit: int = 1 << 20
    send_overflow: str = "close"
    broker: Optional[Any] = None
    base_url: Optional[str] = None
    compression: Union[bool, Mapping[str, Any]] = False

    # (The field annotations stay as they are: txsockjs.cli.optiontext reads them at run
    # time to parse options given as text.)

    def __post_init__(self) -> None:
        for name in ("websocket", "cookie_needed"):
            if not isinstance(getattr(self, name), bool):
                raise OptionError(name, "must be True or False, not %r" % (getattr(self, name),))
        for name in ("heartbeat", "timeout", "authorize_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise OptionError(name, "must be a number of seconds > 0, not %r" % (value,))
            if value != value or value == float("inf"):
                raise OptionError(name, "must be finite, not %r" % (value,))
        if self.send_overflow not in POLICIES:
            raise OptionError("send_overflow", "must be one of %s, not %r"
                              % (", ".join(map(repr, POLICIES)), self.send_overflow))
        for name in ("streaming_limit", "max_message_size", "send_buffer_limit"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(name, "must be a whole number of bytes >= 1, not %r" % (value,))
        if self.authorize_timeout > MAX_AUTHORIZE_TIMEOUT:
            raise OptionError("authorize_timeout", "must be at most %d seconds, not %r"
                              % (MAX_AUTHORIZE_TIMEOUT, self.authorize_timeout))
        self._check_who_may_connect()
        object.__setattr__(self, "compression", _compression(self.compression))
        missing = [name for name in BROKER_CALLS if not callable(getattr(self.broker, name, None))]
        if self.broker is not None and missing:
            raise OptionError("broker", "must be a broker (txsockjs.broker), not %r: it has no %s"
                              % (self.broker, ", ".join(missing)))
        base = self.base_url
        if base is not None and (not isinstance(base, str) or not base.startswith(("http://", "https://"))
                                 or not base.isprintable() or " " in base):
            raise OptionError("base_url", "must be None or an http:// or https:// URL, not %r"
                              % (base,))
        url = self.sockjs_url
        if not isinstance(url, str) or not (url.startswith("/") or url.startswith("http")):
            raise OptionError("sockjs_url", "must start with '/' or 'http', not %r" % (url,))
        if any(ch in url for ch in '"<>\\') or not url.isprintable():
            raise OptionError("sockjs_url", "has characters that cannot go in an HTML attribute: %r"
                              % (url,))

    def _check_who_may_connect(self) -> None:
        # Imported here: the policies live in the pure core, options must not
        # import the server.
        from txsockjs.protocol.forwarded import ProxyPolicy
        from txsockjs.protocol.origins import OriginPolicy

        if self.authorize is not None and not callable(self.authorize):
            raise OptionError("authorize", "must be callable, not %r" % (self.authorize,))
        if self.allowed_origins is not None:
            object.__setattr__(self, "allowed_origins", _str_tuple("allowed_origins", self.allowed_origins))
        object.__setattr__(self, "trusted_proxies", _str_tuple("trusted_proxies", self.trusted_proxies))
        for name, policy in (("allowed_origins", OriginPolicy), ("trusted_proxies", ProxyPolicy)):
            try:
                policy(getattr(self, name))
            except ValueError as error:
                raise OptionError(name, str(error))
        if self.session_binding not in SESSION_BINDINGS:
            raise OptionError("session_binding", "must be one of %s, not %r"
                              % (", ".join(map(repr, SESSION_BINDINGS)), self.session_binding))
        for name in ("max_sessions", "max_sessions_per_client"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise OptionError(name, "must be None or a whole number >= 1, not %r" % (value,))

    @property
    def retry_after(self) -> int:
        """Seconds a refused client should wait (the Retry-After of a 503):
        by then a session that was closing has been forgotten."""
        return max(1, int(math.ceil(self.timeout)))

    @classmethod
    def from_dict(cls, options: Union["Options", Mapping[str, Any], None] = None) -> "Options":
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
                raise OptionError(key, "unknown option (known: %s)" % (", ".join(sorted(known)),))
        return cls(**options)


# compression dict keys: (lowest, highest) for whole numbers, bool, or seconds (None: never).
_COMPRESSION_RANGES = {"level": (0, 9), "mem_level": (1, 9),
                       # (zlib cannot deflate with an 8-bit window; the client's may be 8)
                       "server_max_window_bits": (9, 15), "client_max_window_bits": (8, 15),
                       "threshold": (0, 1 << 30)}
_COMPRESSION_FLAGS = ("server_no_context_takeover", "client_no_context_takeover")


def _compression(value: Any) -> Union[bool, Mapping[str, Any]]:
    """The ``compression`` option checked: a bool, or a dict of known keys (a copy)."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, Mapping):
        raise OptionError("compression", "must be True, False or a dict of settings, not %r"
                          % (value,))
    for key, setting in value.items():
        if key not in COMPRESSION_DEFAULTS:
            raise OptionError("compression", "unknown setting %r (known: %s)"
                              % (key, ", ".join(COMPRESSION_DEFAULTS)))
        if key in _COMPRESSION_RANGES:
            low, high = _COMPRESSION_RANGES[key]
            if isinstance(setting, bool) or not isinstance(setting, int) \
                    or not low <= setting <= high:
                raise OptionError("compression", "%s must be a whole number from %d to %d, not %r"
                                  % (key, low, high, setting))
        elif key in _COMPRESSION_FLAGS:
            if not isinstance(setting, bool):
                raise OptionError("compression", "%s must be True or False, not %r"
                                  % (key, setting))
        elif setting is not None and (isinstance(setting, bool)
                                      or not isinstance(setting, (int, float))
                                      or not 0 < setting < float("inf")):
            raise OptionError("compression", "%s must be None or a number of seconds > 0, not %r"
                              % (key, setting))
    return dict(value)


def _str_tuple(name: str, value: Iterable[str]) -> Tuple[str, ...]:
    if isinstance(value, (str, bytes)):
        raise OptionError(name, "must be a list of str, not a single %s: %r"
                          % (type(value).__name__, value))
    try:
        items = tuple(value)
    except TypeError:
        raise OptionError(name, "must be a list of str, not %r" % (value,))
    for item in items:
        if not isinstance(item, str):
            raise OptionError(name, "must hold only str, not %r" % (item,))
    return items
