"""Helpers for applications."""

from typing import Any, Iterable, List, Tuple, Union

from txsockjs.server.fanout import deliver
from txsockjs.server.gathering import HELD
from txsockjs.server.sessiontransport import SessionTransport

__all__ = ["broadcast", "broadcast_many"]


# Any transport: a SockJS session's, or any Twisted ITransport (``write``).
Transports = Iterable[Any]


def broadcast(message: bytes, transports: Transports) -> None:
    """Send ``message`` (UTF-8 bytes) to every transport in ``transports``.

    The ``a[...]`` frame is encoded once; every session that can take it
    right now (a receiver attached and nothing queued before it) gets those
    same bytes, the others queue the message as ``write()`` would, so order
    is kept.  Websocket sessions get the very same wire bytes (server frames
    are unmasked).  Transports that are not SockJS sessions get
    ``write(message)``.
    """
    broadcast_many([message], transports)


def broadcast_many(messages: Iterable[Union[bytes, bytearray, memoryview]],
                   transports: Transports) -> None:
    """``broadcast`` for several messages in order, as ONE ``a[...]`` frame
    (encoded once) to each session that can take it now.

    Made while a read is being handled (see servicecore.Flusher), the
    broadcast is held to the end of the reactor turn (after every read the
    turn handles): the broadcasts of one turn to the same transports leave
    as one frame per member, written once, eagerly.  A session's own write in the same batch
    still comes after it (see server/gathering.py)."""
    texts: List[str] = []
    data: List[bytes] = []
    size = 0
    for message in messages:
        # (unreachable to a type-checked caller; others get a clear error)
        if isinstance(message, str):  # type: ignore[unreachable]
            raise TypeError("broadcast takes bytes (UTF-8), not str")
        message = bytes(message)
        size += len(message)
        texts.append(message.decode("utf-8"))
        data.append(message)
    members = list(transports)  # (the caller may change its list before the batch ends)
    if not members or not texts:
        return
    first = members[0]
    if not HELD.delivering and type(first) is SessionTransport and first.service is not None:
        flusher = first.service.flusher
        if flusher.batch_open:
            if not _held:
                HELD.hold(_deliver_held)
                flusher.at_end_of_turn(HELD.deliver)
            _held.append((data, texts, size, members))
            return
    _deliver(data, texts, size, members)


# Broadcasts held to the end of the batch: (messages, texts, size, transports), in order.
_held: List[Tuple[List[bytes], List[str], int, List[Any]]] = []


def _deliver_held() -> None:
    held = _held[:]
    del _held[:]
    i = 0
    while i < len(held):
        data, texts, size, members = held[i]
        i += 1
        # Consecutive broadcasts to the same transports leave as one frame.
        if i < len(held) and held[i][3] == members:
            data, texts = data[:], texts[:]
            while i < len(held) and held[i][3] == members:
                data += held[i][0]
                texts += held[i][1]
                size += held[i][2]
                i += 1
        _deliver(data, texts, size, members)


def _deliver(messages: List[bytes], texts: List[str], size: int, transports: List[Any]) -> None:
    # Eagerly while the flusher ends a batch: each connection is written once then.
    first = transports[0]
    eager = (type(first) is SessionTransport and first.service is not None
             and first.service.flusher.flushing)
    deliver(messages, texts, size, transports, eager)
