"""Helpers for applications."""

from typing import Any, Dict, Iterable, List, Optional, Union

from txsockjs.protocol.frames import encode_messages
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
    (encoded once) to each session that can take it now."""
    texts: List[str] = []
    size = 0
    for message in messages:
        # (unreachable to a type-checked caller; others get a clear error)
        if isinstance(message, str):  # type: ignore[unreachable]
            raise TypeError("broadcast takes bytes (UTF-8), not str")
        message = bytes(message)
        size += len(message)
        texts.append(message.decode("utf-8"))
    count = len(texts)
    frame: Optional[bytes] = None
    shared: Dict[Any, bytes] = {}
    for transport in transports:
        session = getattr(transport, "session", None) if type(transport) is SessionTransport else None
        if session is None or not hasattr(session, "send_frame_bytes"):
            for message in messages:
                transport.write(message)
            continue
        stats = transport.stats
        stats.messages_out += count
        stats.bytes_out += size
        if frame is None:
            frame = encode_messages(texts)
        if not session.send_frame_bytes(frame, shared):
            for text in texts:
                session.send(text)
