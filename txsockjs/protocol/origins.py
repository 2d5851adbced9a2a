"""Which web origins may open sessions: parsing and matching per RFC 6454.

An origin is compared as the triple (scheme, host, port), scheme and host
lower-case and the scheme's default port filled in, so ``https://example.com``
and ``https://example.com:443`` are the same origin and ``http://example.com``
is another.  Anything that is not exactly one serialized origin (a path, a
trailing slash, userinfo, a comma-joined list, whitespace, an empty or
out-of-range port) is not an origin at all and is never allowed.

Patterns an operator may list:

- ``"https://example.com"``: that origin exactly;
- ``"https://*.example.com"``: ``*`` stands for one or more whole host labels,
  so ``a.example.com`` and ``a.b.example.com`` match but ``example.com``,
  ``evilexample.com`` and ``example.com.evil.com`` do not;
- ``"http://localhost:*"``: any port, the default one included;
- ``"null"``: the opaque origin browsers send from sandboxed frames and
  ``file:`` pages; allowed only when listed.

Strict on purpose: a trailing dot (``example.com.``) is another host, and
non-ASCII hosts never match (browsers send punycode).  IPv6 hosts keep their
brackets and are compressed (``[::1]``), so the triple stays unambiguous.
"""

import ipaddress
import re
from typing import Any, Iterable, List, Optional, Set, Tuple

DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}

_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*\Z")
# One or more dot-separated non-empty labels, optionally one trailing dot.
# Underscores appear in real host names (service records, intranets).
_REG_NAME = re.compile(r"[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*\.?\Z")
_PORT = re.compile(r"[0-9]{1,5}\Z")
# Characters that can never appear inside one serialized origin.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f/?#@,\\]")

_ANY_PORT: Any = object()

# (scheme, host, port): port None for schemes with no default port
Origin = Tuple[str, str, Optional[int]]


def _split(value: object) -> Optional[Tuple[str, str, Optional[str]]]:
    """Split ``scheme://host[:port]`` into lower-cased parts; None if malformed.

    The port part is returned as text ('' when absent, as given otherwise) so
    that patterns can carry ``*`` there.  ``*`` is let through in the host for
    the same reason; parse_origin refuses it.
    """
    if not isinstance(value, str) or not value.isascii():
        return None
    scheme, sep, rest = value.partition("://")
    scheme = scheme.lower()
    if not sep or not _SCHEME.match(scheme) or _FORBIDDEN.search(rest):
        return None
    rest = rest.lower()
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            return None
        host, tail = rest[: end + 1], rest[end + 1 :]
        if tail and not tail.startswith(":"):
            return None
        return scheme, host, tail[1:] if tail else None
    host, colon, port = rest.partition(":")
    return scheme, host, port if colon else None


def _host(text: str) -> Optional[str]:
    """The canonical form of a host (no wildcard), or None if it is not one."""
    if text.startswith("["):
        inner = text[1:-1]
        if "%" in inner:  # zone ids mean nothing to another machine
            return None
        try:
            return "[%s]" % ipaddress.IPv6Address(inner).compressed
        except ValueError:
            return None
    return text if _REG_NAME.match(text) else None


def _port(scheme: str, text: Optional[str]) -> Optional[int]:
    # (False, a bool and so an int, for a bad port)
    """The port number (default filled in); False if the text is not a port."""
    if text is None:
        return DEFAULT_PORTS.get(scheme)
    if not _PORT.match(text):
        return False
    number = int(text)
    return number if number <= 65535 else False


def parse_origin(value: object) -> Optional[Origin]:
    """``(scheme, host, port)`` for one serialized origin, else None.

    The port is the scheme's default when not given (80 for http/ws, 443 for
    https/wss, None for other schemes).  ``"null"`` is not a tuple origin and
    gives None too.
    """
    parts = _split(value)
    if parts is None:
        return None
    scheme, host_text, port_text = parts
    host = _host(host_text)
    port = _port(scheme, port_text)
    if host is None or port is False:
        return None
    return scheme, host, port


def _serialize(scheme: str, host: str, port: Optional[int]) -> str:
    """The form a browser sends for this origin (default port left out)."""
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return "%s://%s" % (scheme, host)
    return "%s://%s:%d" % (scheme, host, port)


def _parse_pattern(pattern: object) -> Tuple[str, str, Any, bool]:
    # (the port may be _ANY_PORT)
    """``(scheme, host_or_suffix, port_or_ANY, is_wildcard)``; ValueError says why not."""
    if not isinstance(pattern, str):
        raise ValueError("allowed origin %r is not a str" % (pattern,))
    parts = _split(pattern)
    if parts is None:
        if "://" in pattern:
            rest = pattern.partition("://")[2]
            if "/" in rest or "?" in rest or "#" in rest:
                raise ValueError(
                    "allowed origin %r has a path; an origin is scheme://host[:port] "
                    "with nothing after it" % (pattern,))
            if "@" in rest:
                raise ValueError("allowed origin %r has userinfo; browsers never send it" % (pattern,))
        raise ValueError(
            "allowed origin %r is not of the form scheme://host[:port] (or \"null\")" % (pattern,))
    scheme, host_text, port_text = parts
    wildcard = host_text.startswith("*.")
    host = _host(host_text[2:] if wildcard else host_text)
    if host is None or (wildcard and host.startswith("[")):
        if "*" in host_text:
            raise ValueError(
                "allowed origin %r: a wildcard must be a whole leading label, as in "
                "https://*.example.com" % (pattern,))
        raise ValueError("allowed origin %r has a bad host" % (pattern,))
    if wildcard and host.rstrip(".").rpartition(".")[2].isdigit():
        # "*.0.0.1" would be a wildcard over IPv4 addresses: not a name suffix.
        raise ValueError("allowed origin %r: a wildcard needs a domain name after it" % (pattern,))
    if port_text == "*":
        port = _ANY_PORT
    else:
        port = _port(scheme, port_text)
        if port is False:
            raise ValueError("allowed origin %r has a bad port (digits 0..65535, or *)" % (pattern,))
    return scheme, host, port, wildcard


class OriginPolicy(object):
    """The allowed origins of one service; None allows every origin."""

    __slots__ = ("restricted", "_patterns", "_null", "_exact_text", "_exact",
                 "_any_port", "_wildcards")

    def __init__(self, allowed: Optional[Iterable[str]]) -> None:
        if allowed is None:
            self.restricted = False
            self._patterns: Optional[Tuple[str, ...]] = None
            return
        if isinstance(allowed, (str, bytes)):
            raise ValueError(
                "allowed origins must be a list of origins, not the single string %r "
                "(write [%r])" % (allowed, allowed))
        try:
            patterns = tuple(allowed)
        except TypeError:
            raise ValueError("allowed origins must be None or a list of origins, not %r" % (allowed,))
        self.restricted = True
        self._patterns = patterns
        self._null = False
        self._exact_text: Set[str] = set()  # serialized forms, checked before any parsing
        self._exact: Set[Origin] = set()
        self._any_port: Set[Tuple[str, str]] = set()  # (scheme, host)
        self._wildcards: List[Tuple[str, str, Any]] = []  # (scheme, ".suffix", port or _ANY_PORT)
        for pattern in patterns:
            if pattern == "null":
                self._null = True
                continue
            scheme, host, port, wildcard = _parse_pattern(pattern)
            if wildcard:
                self._wildcards.append((scheme, "." + host, port))
            elif port is _ANY_PORT:
                self._any_port.add((scheme, host))
            else:
                self._exact.add((scheme, host, port))
                self._exact_text.add(_serialize(scheme, host, port))

    def allows(self, origin: Optional[str]) -> bool:
        """Whether a request carrying this raw Origin header (None: absent) may proceed."""
        if not self.restricted:
            return True
        if origin is None:
            return False
        if origin in self._exact_text:
            return True
        if origin == "null":
            return self._null
        parsed = parse_origin(origin)
        if parsed is None:
            return False
        scheme, host, port = parsed
        if parsed in self._exact or (scheme, host) in self._any_port:
            return True
        for w_scheme, suffix, w_port in self._wildcards:
            # endswith(".suffix") with a non-empty rest: whole labels only, since
            # parse_origin has already refused empty labels.
            if (w_scheme == scheme and host.endswith(suffix) and len(host) > len(suffix)
                    and (w_port is _ANY_PORT or w_port == port)):
                return True
        return False

    def __repr__(self) -> str:
        return "OriginPolicy(%r)" % (None if self._patterns is None else list(self._patterns),)
