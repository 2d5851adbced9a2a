"""The demo's chat room: members with names, speaking a tiny JSON protocol.

Every SockJS message is one JSON object with a ``type``.

From a client::

    {"type": "join", "name": "Ada"}    enter the room; sent again later, it renames
    {"type": "say", "text": "hello"}   say something to everyone in the room
    {"type": "leave"}                  leave now; the server then closes the session
                                       (polling sessions would linger until they time out)

From the server (a member is ``{"id": 3, "name": "Ada"}``; ids are unique
per connection, names need not be)::

    {"type": "welcome", "you": member, "members": [member, ...]}  to the one who joined
    {"type": "joined", "member": member}                          to everyone else
    {"type": "renamed", "member": member, "was": "old name"}      to everyone
    {"type": "left", "member": member}                            to everyone left
    {"type": "said", "from": member, "text": "hello"}             to everyone, sender included
    {"type": "error", "error": "why"}                             to the sender only

A message the room cannot use gets an ``error`` reply and the session stays
open; the first one of each connection is logged.
"""

import itertools
import json
import unicodedata
from typing import Any, Dict, Iterator, Optional, Tuple

from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.python.failure import Failure
from twisted.logger import Logger

from txsockjs.utils import broadcast

__all__ = ["ChatRoom", "ChatMember", "BadRequest", "parse_request", "clean_name",
           "MAX_NAME_LENGTH", "MAX_TEXT_LENGTH"]

MAX_NAME_LENGTH = 24   # characters
MAX_TEXT_LENGTH = 1000


class BadRequest(ValueError):
    """A client message the room cannot use; ``str()`` is the reply's ``error``."""


def parse_request(data: bytes) -> Tuple[str, Optional[str]]:
    """``(kind, value)`` from one client message (UTF-8 bytes): ``("join",
    name)``, ``("say", text)`` or ``("leave", None)``; anything else raises
    :class:`BadRequest`."""
    try:
        request = json.loads(data.decode("utf-8"))
    except ValueError:
        raise BadRequest("not JSON: send {\"type\": \"say\", \"text\": \"...\"}")
    if not isinstance(request, dict):
        raise BadRequest("send a JSON object with a \"type\"")
    kind = request.get("type")
    if kind == "join":
        name = request.get("name", "")
        if not isinstance(name, str):
            raise BadRequest("\"name\" must be a string")
        return kind, clean_name(name)
    if kind == "say":
        text = request.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest("\"text\" must be a non-empty string")
        if len(text) > MAX_TEXT_LENGTH:
            raise BadRequest("\"text\" is longer than %d characters" % MAX_TEXT_LENGTH)
        return kind, text
    if kind == "leave":
        return kind, None
    raise BadRequest("unknown \"type\" %s: use \"join\", \"say\" or \"leave\""
                     % json.dumps(kind)[:40])


# Bidirectional overrides and isolates would let a name reorder the text after it.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_name(name: str) -> str:
    """The name as others see it: no control characters, lone surrogates or
    bidi overrides, spaces collapsed, at most MAX_NAME_LENGTH characters; may
    be empty.  (Zero-width joiners stay: emoji sequences need them.)"""
    kept = "".join(" " if char.isspace() else char for char in name
                   if char.isspace() or (unicodedata.category(char) not in ("Cc", "Cs")
                                         and char not in BIDI_CONTROLS))
    return " ".join(kept.split())[:MAX_NAME_LENGTH].strip()


def encode(event: Dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ChatMember(Protocol):
    """One connection to the room; a member once it has sent ``join``."""

    log = Logger(namespace="txsockjs.demo")
    # The ChatRoom, and an ITransport: Any to mypy (Factory.protocol's type
    # wants ``factory`` as wide as Twisted declares it; ITransport is a zope
    # interface).
    factory: Any
    transport: Any

    def __init__(self) -> None:
        self.id: Optional[int] = None
        self.name: Optional[str] = None  # None until the first join
        self.complained = False   # the first bad message is logged, later ones are not

    def card(self) -> Dict[str, Any]:
        return {"id": self.id, "name": self.name}

    def connectionMade(self) -> None:
        self.id = self.factory.new_id()

    def dataReceived(self, data: bytes) -> None:
        try:
            kind, value = parse_request(data)
            if kind == "say" and self.name is None:
                raise BadRequest("join first: {\"type\": \"join\", \"name\": \"...\"}")
        except BadRequest as error:
            self.refuse(str(error))
            return
        if kind == "join":
            assert self.id is not None  # (given in connectionMade)
            self.factory.join(self, value or "Guest %d" % self.id)
        elif kind == "say":
            self.factory.say(self, value)
        else:
            self.factory.leave(self)
            self.transport.loseConnection()

    def refuse(self, why: str) -> None:
        if not self.complained:
            self.complained = True
            self.log.info("Chat member {id}: {why} (later bad messages of this member are "
                          "answered but not logged)", id=self.id, why=why)
        self.transport.write(encode({"type": "error", "error": why}))

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.factory.leave(self)


class ChatRoom(Factory):
    """Who is in the room, and telling everyone about it."""

    protocol = ChatMember

    def __init__(self) -> None:
        self.members: Dict[Optional[int], ChatMember] = {}  # id -> member, in joining order
        self._ids: Iterator[int] = itertools.count(1)

    def new_id(self) -> int:
        return next(self._ids)

    def join(self, member: ChatMember, name: str) -> None:
        if member.id in self.members:
            was, member.name = member.name, name
            self.tell_all({"type": "renamed", "member": member.card(), "was": was})
            return
        member.name = name
        self.tell_all({"type": "joined", "member": member.card()})
        self.members[member.id] = member
        member.transport.write(encode({
            "type": "welcome", "you": member.card(),
            "members": [other.card() for other in self.members.values()]}))

    def say(self, member: ChatMember, text: Optional[str]) -> None:
        self.tell_all({"type": "said", "from": member.card(), "text": text})

    def leave(self, member: ChatMember) -> None:
        if self.members.pop(member.id, None) is not None:
            self.tell_all({"type": "left", "member": member.card()})

    def tell_all(self, event: Dict[str, Any]) -> None:
        broadcast(encode(event), [member.transport for member in self.members.values()])
