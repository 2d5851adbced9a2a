"""Helpers for applications."""

from txsockjs.protocol.frames import encode_messages
from txsockjs.server.sessiontransport import SessionTransport

__all__ = ["broadcast"]


def broadcast(message, transports):
    """Send ``message`` (UTF-8 bytes) to every transport in ``transports``.

    The ``a[...]`` frame is encoded once; every session that can take it
    right now (a receiver attached and nothing queued before it) gets those
    same bytes, the others queue the message as ``write()`` would, so order
    is kept.  Websocket sessions get the very same wire bytes (server frames
    are unmasked).  Transports that are not SockJS sessions get
    ``write(message)``.
    """
    if isinstance(message, str):
        raise TypeError("broadcast takes bytes (UTF-8), not str")
    text = bytes(message).decode("utf-8")
    frame = None
    shared = {}
    for transport in transports:
        session = getattr(transport, "session", None) if type(transport) is SessionTransport else None
        if session is None or not hasattr(session, "send_frame_bytes"):
            transport.write(message)
            continue
        if frame is None:
            frame = encode_messages([text])
        if not session.send_frame_bytes(frame, shared):
            session.send(text)
