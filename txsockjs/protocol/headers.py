"""Reading a request's cookies, query string and headers for the application.

All of it is lenient and never raises: these values come straight from the
client, and a malformed cookie or query must not cost anyone a session.
"""

from collections.abc import Mapping
from typing import Dict, Iterator, List, Optional, Tuple, Union
from urllib.parse import parse_qsl

_OWS = " \t"


def parse_cookies(value: object) -> Dict[str, str]:
    """The Cookie header as a dict of name -> value (RFC 6265 section 5.4, server side).

    Pairs are separated by ";" only: a "," may be part of a value (dates, JSON)
    in cookies real sites set, so repeated Cookie fields must be joined with
    "; " before this.  The first occurrence of a name wins, because browsers
    send the most specific cookie (longest path) first.  A value wrapped in
    double quotes is unwrapped; nothing is percent-decoded.
    """
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("latin-1")
    if not isinstance(value, str):
        return {}
    cookies: Dict[str, str] = {}
    for pair in value.split(";"):
        name, equals, text = pair.partition("=")
        name = name.strip(_OWS)
        if not equals or not name or name in cookies:
            continue
        text = text.strip(_OWS)
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1]
        cookies[name] = text
    return cookies


def parse_query(query: object) -> Dict[str, Tuple[str, ...]]:
    """The raw query string (after '?') as a dict of name -> tuple of values.

    Percent-decoded as UTF-8 with bad sequences replaced, '+' as space, blank
    values kept, values in the order they appear.
    """
    if isinstance(query, (bytes, bytearray)):
        query = bytes(query).decode("utf-8", "replace")
    if not isinstance(query, str):
        return {}
    collected: Dict[str, List[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        collected.setdefault(name, []).append(value)
    return {name: tuple(values) for name, values in collected.items()}


class HeaderView(Mapping[str, str]):
    """A read-only, case-insensitive view of request headers.

    Built from a dict of lower-case name -> str (repeated fields already
    joined), which it copies, so later changes to that dict do not show.
    Iteration yields the lower-case names.
    """

    __slots__ = ("_headers", "_head")

    def __init__(self, headers: Union[Mapping[str, str], Dict[str, str]]) -> None:
        self._headers: Optional[Dict[str, str]] = {
            name.lower(): value for name, value in dict(headers).items()}
        self._head: Optional[bytes] = None

    @classmethod
    def of_head(cls, head: bytes) -> "HeaderView":
        """A view of the headers in a raw request head (``parse_request_head``
        input), parsed on first use: a session keeps these bytes rather than a
        dict of them, and most applications never read the headers."""
        view = cls.__new__(cls)
        view._headers = None
        view._head = head
        return view

    def _parsed(self) -> Dict[str, str]:
        headers = self._headers
        if headers is None:
            from txsockjs._speedups import parse_request_head
            assert self._head is not None  # one of the two is always set
            headers = self._headers = parse_request_head(self._head)[3]
            self._head = None
        return headers

    @classmethod
    def adopt(cls, headers: Dict[str, str]) -> "HeaderView":
        """A view of ``headers`` (lower-case names already) without copying
        it: for a dict its owner never changes again (a parsed request's)."""
        view = cls.__new__(cls)
        view._headers = headers
        view._head = None
        return view

    def __getitem__(self, name: str) -> str:
        if isinstance(name, str):
            headers = self._parsed()
            if name in headers:  # the common case: asked in lower case already
                return headers[name]
            lowered = name.lower()
            if lowered in headers:
                return headers[lowered]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())

    def __repr__(self) -> str:
        return "HeaderView(%r)" % (self._parsed(),)
