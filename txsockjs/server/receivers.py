"""Receivers: what carries a session's frames to the client over HTTP."""

from typing import Callable, Optional

from txsockjs.protocol.session import Session
from txsockjs.server.contracts import Headers, ResponseLike


class HTTPReceiver(object):
    """A polling or streaming HTTP response attached to a session.

    Polling (``headers`` given): the first frame becomes the whole response.
    Streaming: each frame is written as it comes; once ``limit`` bytes of
    frames went out the response ends and the client opens another.
    """

    __slots__ = ("response", "session", "wrap", "limit", "sent", "headers")

    def __init__(self, response: ResponseLike, session: Session, wrap: Callable[[bytes], bytes],
                 limit: int, headers: Optional[Headers] = None) -> None:
        self.response = response
        self.session = session
        self.wrap = wrap
        self.limit = limit
        self.sent = 0
        self.headers = headers
        response.on_lost = self._lost

    def send_frame(self, frame: bytes) -> bool:
        response = self.response
        if response.finished:
            return False
        data = self.wrap(frame)
        if self.headers is not None:
            response.send(200, self.headers, data)
            return False
        response.write(data)
        self.sent += len(data)
        if self.sent >= self.limit:
            response.finish()
            return False
        return True

    def send_shared(self, frame: bytes, shared: object) -> bool:
        # (each HTTP transport wraps frames its own way: nothing to share)
        return self.send_frame(frame)

    def finish(self) -> None:
        response = self.response
        if not response.finished:
            if self.headers is not None:
                response.send(200, self.headers, b"")
            else:
                response.finish()

    def _lost(self) -> None:
        self.session.receiver_lost(self)
