"""One broadcast's delivery to its members: the frame built once, each member written once.

The ``a[...]`` frame is encoded once per broadcast and its wire bytes once per framing
(:class:`SharedFrame`); every session that can take it right now (a receiver attached,
nothing queued before it, its socket not full) gets those same bytes, the others queue
the messages as ``write()`` would, so order is kept.  This loop runs once per member of
every broadcast, so it does per member only what differs between members: the service's
counters are added to once per broadcast (per service), not per member.
"""

from typing import Any, Dict, List

from txsockjs.protocol.frames import encode_messages
from txsockjs.protocol.session import Session
from txsockjs.server.sessiontransport import SessionTransport


class SharedFrame(object):
    """What the receivers of one broadcast share (see ``Session.send_frame_bytes``):
    ``wires`` maps a framing (a receiver's frame function) to the wire bytes of the frame
    in it, built by the first receiver of that framing, and ``framing`` and ``wire`` are
    the last one used (most members share it: no lookup); ``eager`` says every member is
    written once in this batch, so its bytes may go straight to its socket."""

    __slots__ = ("wires", "framing", "wire", "eager")

    def __init__(self, eager: bool) -> None:
        self.wires: Dict[Any, bytes] = {}
        self.framing: Any = None
        self.wire = b""
        self.eager = eager


def deliver(messages: List[bytes], texts: List[str], size: int, transports: List[Any],
            eager: bool) -> None:
    """Send ``messages`` (UTF-8 bytes, ``texts`` decoded, ``size`` bytes in all) to
    every transport, in order; ``eager`` as in :class:`SharedFrame`."""
    count = len(texts)
    frame = encode_messages(texts)
    shared = SharedFrame(eager)
    stats = None
    counted = 0
    try:
        for transport in transports:
            session = transport.session if type(transport) is SessionTransport else None
            if type(session) is not Session:
                # Any other transport (a raw websocket session's, a plain Twisted one).
                for message in messages:
                    transport.write(message)
                continue
            if transport.stats is not stats:
                if stats is not None:
                    _count(stats, counted, count, size)
                stats = transport.stats
                counted = 0
            counted += 1
            if not session.send_frame_bytes(frame, shared):
                for text in texts:
                    session.send(text)
    finally:
        if stats is not None:
            _count(stats, counted, count, size)


def _count(stats: Any, members: int, count: int, size: int) -> None:
    stats.messages_out += members * count
    stats.bytes_out += members * size
