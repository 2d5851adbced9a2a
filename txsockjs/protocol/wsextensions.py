"""WebSocket extensions (RFC 6455 section 9): reading a client's ``Sec-WebSocket-Extensions``
offers, choosing among them, and the interface a negotiated extension gives the connection.

The header is read by hand, character by character (no regular expressions: a hostile
header costs linear time), strictly by the RFC's grammar::

    extension-list = 1#( extension-token *( ";" extension-param ) )
    extension-param = token [ "=" ( token | quoted-string ) ]   ; a quoted value must be a token

A header that breaks the grammar is no offer at all: every extension is declined and the
handshake goes on (RFC 6455 lets a server decline what it does not understand).
"""

from typing import List, Optional, Protocol, Sequence, Tuple

__all__ = ["Extension", "ExtensionFactory", "Offer", "negotiate", "parse_offers"]

# (name, [(parameter, value or None), ...]) for one offered extension.
Offer = Tuple[str, List[Tuple[str, Optional[str]]]]

# RFC 7230 tchar: the characters a token may hold.
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SPACE = " \t"
# Far more than any real client sends; a longer header is declined, not parsed.
MAX_HEADER = 8192


class Extension(Protocol):
    """One negotiated extension, as the WebSocket connection uses it.

    Frames reach it with their RSV bits: the connection's frame parser accepts only the
    bits of negotiated extensions, so a frame with others set is a protocol error (1002)
    before any extension sees it."""

    #: The extension's name in Sec-WebSocket-Extensions, e.g. "permessage-deflate".
    name: str
    #: The RSV bits (0x40, 0x20, 0x10) its frames may carry.
    rsv: int

    def decode(self, op: int, payload: bytes, fin: bool, budget: int) -> bytes:
        """The payload of one data frame of a message, decoded.  ``op`` is the message's
        first frame's RSV bits and opcode; ``budget`` is how many bytes the whole message
        may still grow by: more raises ``WebSocketError(1009)`` as soon as it is known,
        never after producing them.  Raises ``WebSocketError`` for bad input."""

    def encode(self, opcode: int, payload: bytes) -> Tuple[int, bytes]:
        """``(rsv bits, payload)`` for one outgoing message."""


class ExtensionFactory(Protocol):
    """What the server offers to negotiate: one extension by name."""

    name: str

    def accept(self, params: List[Tuple[str, Optional[str]]]) -> Optional[Tuple[Extension, str]]:
        """Accept one offer: the extension and its response parameters (the part after the
        name, e.g. ``"server_no_context_takeover"``, or ``""``); None declines it."""


def _token(text: str, pos: int) -> Tuple[str, int]:
    start = pos
    while pos < len(text) and text[pos] in _TCHAR:
        pos += 1
    if pos == start:
        raise ValueError("a token was expected at %d" % start)
    return text[start:pos], pos


def _quoted(text: str, pos: int) -> Tuple[str, int]:
    # pos is at the opening quote.
    out: List[str] = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == '"':
            value = "".join(out)
            if not value or any(c not in _TCHAR for c in value):
                raise ValueError("a quoted parameter value must be a token")
            return value, pos + 1
        if char == "\\":
            pos += 1
            if pos >= len(text):
                break
            char = text[pos]
        out.append(char)
        pos += 1
    raise ValueError("unterminated quoted string")


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def parse_offers(header: str) -> List[Offer]:
    """The extensions a ``Sec-WebSocket-Extensions`` value offers, in the client's order
    of preference; ValueError if it breaks the grammar."""
    if len(header) > MAX_HEADER:
        raise ValueError("Sec-WebSocket-Extensions is too long")
    offers: List[Offer] = []
    pos = _skip_space(header, 0)
    end = len(header)
    while pos < end:
        if header[pos] == ",":  # empty list elements are allowed (RFC 7230 7)
            pos = _skip_space(header, pos + 1)
            continue
        name, pos = _token(header, pos)
        params: List[Tuple[str, Optional[str]]] = []
        pos = _skip_space(header, pos)
        while pos < end and header[pos] == ";":
            pos = _skip_space(header, pos + 1)
            param, pos = _token(header, pos)
            pos = _skip_space(header, pos)
            value: Optional[str] = None
            if pos < end and header[pos] == "=":
                pos = _skip_space(header, pos + 1)
                if pos < end and header[pos] == '"':
                    value, pos = _quoted(header, pos)
                else:
                    value, pos = _token(header, pos)
                pos = _skip_space(header, pos)
            params.append((param.lower(), value))
        offers.append((name.lower(), params))
        if pos < end:
            if header[pos] != ",":
                raise ValueError("',' or ';' was expected at %d" % pos)
            pos = _skip_space(header, pos + 1)
    return offers


def negotiate(header: Optional[str], factories: Sequence[ExtensionFactory]
              ) -> Tuple[List[Extension], Optional[str]]:
    """The extensions to use, in the client's order, and the response's
    ``Sec-WebSocket-Extensions`` value (None: no extension).  The first acceptable offer of
    each name wins; an extension whose RSV bits another already uses is declined."""
    if not header or not factories:
        return [], None
    try:
        offers = parse_offers(header)
    except ValueError:
        return [], None
    by_name = {factory.name: factory for factory in factories}
    chosen: List[Extension] = []
    answers: List[str] = []
    used_rsv = 0
    for name, params in offers:
        factory = by_name.get(name)
        if factory is None or any(extension.name == name for extension in chosen):
            continue
        accepted = factory.accept(params)
        if accepted is None:
            continue
        extension, answer = accepted
        if extension.rsv & used_rsv:
            continue
        used_rsv |= extension.rsv
        chosen.append(extension)
        answers.append(name + ("; " + answer if answer else ""))
    return chosen, (", ".join(answers) if answers else None)
