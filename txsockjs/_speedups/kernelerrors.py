"""Exceptions raised by the kernels.

They live in a plain module that is never compiled, so that the compiled
kernels and their pure-Python twins raise the very same classes.
"""


class WebSocketError(Exception):
    """A peer broke RFC 6455; ``code`` is the close code to answer with."""

    frames: "list[tuple[bool, int, bytes]]"

    def __init__(self, code: int, reason: str) -> None:
        Exception.__init__(self, code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return "%d %s" % (self.code, self.reason)


class HTTPError(Exception):
    """A request could not be parsed; ``status`` is the HTTP status to send."""

    def __init__(self, status: int, reason: str) -> None:
        Exception.__init__(self, status, reason)
        self.status = status
        self.reason = reason

    def __str__(self) -> str:
        return "%d %s" % (self.status, self.reason)


class PayloadError(ValueError):
    """A client body is not a JSON array of strings (or is empty)."""
