"""RFC 6455 WebSocket (and the old hixie-76 handshake), sans I/O.

:class:`WebSocketStream` turns frames from the kernel parser into events:
whole text messages (UTF-8 checked as each fragment arrives, so invalid text
fails at once, not at the end of the message), pings, pongs and the close
handshake.  Errors raise :class:`WebSocketError` carrying the close code.
"""

import base64
import codecs
import functools
import hashlib
import struct
from typing import Any, Callable, List, Mapping, Optional, Protocol, Tuple

from txsockjs._speedups import FrameParser, WebSocketError, build_frame

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

TEXT, PING, PONG, CLOSE, ERROR = "text", "ping", "pong", "close", "error"

# Close codes a peer may send (RFC 6455 7.4, IANA registry); 1005, 1006 and
# 1015 are for reporting only and never appear on the wire.
_VALID_CLOSE_CODES = frozenset([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014])


_utf8_decoder = codecs.getincrementaldecoder("utf-8")

# One event from a stream's receive(): (TEXT, str), (PING, bytes), (PONG, bytes),
# (CLOSE, code or None, reason) or (ERROR, WebSocketError).
Event = Tuple[Any, ...]


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for a Sec-WebSocket-Key."""
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def valid_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key.encode("ascii"), validate=True)) == 16
    except Exception:
        return False


class HasHeaders(Protocol):
    """A request, as far as :func:`is_upgrade` reads it (on every front door)."""

    @property
    def headers(self) -> Mapping[str, str]: ...


def is_upgrade(request: HasHeaders) -> bool:
    """Does the request ask for a WebSocket upgrade (Connection + Upgrade)?"""
    upgrade = request.headers.get("upgrade", "").strip().lower()
    connection = [t.strip().lower() for t in request.headers.get("connection", "").split(",")]
    return upgrade == "websocket" and "upgrade" in connection


def hixie76_challenge(key1: str, key2: str, key3: bytes) -> bytes:
    """The 16-byte answer of the hixie-76 handshake; ValueError if keys are bad."""
    numbers = []
    for key in (key1, key2):
        digits = "".join(ch for ch in key if ch in "0123456789")
        spaces = key.count(" ")
        if not digits or spaces == 0:
            raise ValueError("bad hixie-76 key")
        number, rest = divmod(int(digits), spaces)
        if rest or number > 0xFFFFFFFF:  # the draft's keys are 32-bit numbers
            raise ValueError("bad hixie-76 key")
        numbers.append(number)
    return hashlib.md5(struct.pack(">II", numbers[0], numbers[1]) + key3).digest()


# text_frame(payload): a server text frame for UTF-8 ``payload`` bytes (a
# partial, not a def: it runs for every frame sent, and costs no Python frame).
text_frame: Callable[[bytes], bytes] = functools.partial(build_frame, OP_TEXT)


def close_frame(code: Optional[int] = None, reason: str = "") -> bytes:
    if code is None:
        return build_frame(OP_CLOSE, b"")
    return build_frame(OP_CLOSE, struct.pack(">H", code) + reason.encode("utf-8")[:123])


class WebSocketStream(object):
    """Bytes from the client in, events out."""

    __slots__ = ("_parser", "_max_message", "_fragments", "_size", "_decoder", "closed",
                 "_partial_decoder", "_partial_seen", "_partial_payload")

    def __init__(self, max_message: int = 1 << 20) -> None:
        self._parser = FrameParser(max_payload=max_message, allow_binary=False)
        self._partial_payload = self._parser.partial_payload
        self._partial_decoder: Optional[codecs.IncrementalDecoder] = None
        self._partial_seen = 0
        self._max_message = max_message
        self._fragments: Optional[List[str]] = None
        self._size = 0
        self._decoder: Optional[codecs.IncrementalDecoder] = None
        self.closed = False

    def receive(self, data: bytes) -> List[Event]:
        """A list of events: ``(TEXT, str)``, ``(PING, bytes)``, ``(PONG,
        bytes)``, ``(CLOSE, code or None, reason)``, ``(ERROR,
        WebSocketError)``.  Nothing follows CLOSE or ERROR.

        Everything the peer sent before a protocol error is delivered before
        the ERROR event, as RFC 6455 peers expect (a valid message, then a
        bad frame in the same packet: the message is echoed, then the close).
        """
        events: List[Event] = []
        if self.closed:
            return events
        error: Optional[WebSocketError] = None
        try:
            frames = self._parser.feed(data)
        except WebSocketError as raised:
            # The kernel attaches the frames it parsed before the bad one.
            frames = getattr(raised, "frames", None) or []
            error = raised
        try:
            for fin, opcode, payload in frames:
                if opcode == OP_TEXT and fin and self._fragments is None:
                    # A whole message in one frame: nearly every message.
                    try:
                        events.append((TEXT, payload.decode("utf-8")))
                    except UnicodeDecodeError:
                        raise WebSocketError(1007, "invalid UTF-8 in text message")
                elif opcode == OP_TEXT or opcode == OP_CONTINUATION:
                    message = self._data_frame(fin, opcode, payload)
                    if message is not None:
                        events.append((TEXT, message))
                elif opcode == OP_BINARY:
                    if self._fragments is not None:
                        raise WebSocketError(1002, "binary frame inside a fragmented message")
                    raise WebSocketError(1003, "binary messages are not supported")
                elif opcode == OP_PING:
                    events.append((PING, payload))
                elif opcode == OP_PONG:
                    events.append((PONG, payload))
                else:  # OP_CLOSE
                    events.append(self._close_frame(payload))
                    self.closed = True
                    return events
            if error is None and (self._partial_decoder is not None or self._parser.buffered):
                self._check_partial(bool(frames))
        except WebSocketError as raised:
            error = raised
        if error is not None:
            self.closed = True
            events.append((ERROR, error))
        return events

    def _check_partial(self, frames_completed: bool) -> None:
        """Fail fast on invalid UTF-8 in a text frame that is still arriving
        (a large frame comes in many packets; the bad byte may be early)."""
        if frames_completed:
            self._partial_decoder = None
            self._partial_seen = 0
        found = self._partial_payload(self._partial_seen)
        if found is None:
            self._partial_decoder = None
            self._partial_seen = 0
            return
        opcode, chunk = found
        decoder = self._partial_decoder
        if decoder is None:
            if opcode == OP_TEXT and self._fragments is None:
                decoder = _utf8_decoder()
            elif opcode == OP_CONTINUATION and self._fragments is not None:
                decoder = _utf8_decoder()
                assert self._decoder is not None  # (set with _fragments)
                decoder.setstate(self._decoder.getstate())
            else:
                return
            self._partial_decoder = decoder
        if chunk:
            try:
                decoder.decode(chunk, False)
            except UnicodeDecodeError:
                raise WebSocketError(1007, "invalid UTF-8 in text message")
            self._partial_seen += len(chunk)

    def _data_frame(self, fin: bool, opcode: int, payload: bytes) -> Optional[str]:
        if opcode == OP_TEXT:
            if self._fragments is not None:
                raise WebSocketError(1002, "new message inside a fragmented message")
            # (a whole message in one frame never comes here: receive() decodes it)
            self._fragments = []
            self._size = 0
            self._decoder = _utf8_decoder()
        elif self._fragments is None:
            raise WebSocketError(1002, "continuation frame without a message")
        self._size += len(payload)
        if self._size > self._max_message:
            raise WebSocketError(1009, "message over the size limit")
        assert self._decoder is not None  # (set with _fragments)
        try:
            self._fragments.append(self._decoder.decode(payload, fin))
        except UnicodeDecodeError:
            raise WebSocketError(1007, "invalid UTF-8 in text message")
        if not fin:
            return None
        message = "".join(self._fragments)
        self._fragments = None
        self._decoder = None
        return message

    @staticmethod
    def _close_frame(payload: bytes) -> Event:
        if not payload:
            return (CLOSE, None, "")
        if len(payload) == 1:
            raise WebSocketError(1002, "close frame with a 1-byte payload")
        code = struct.unpack(">H", payload[:2])[0]
        if code not in _VALID_CLOSE_CODES and not 3000 <= code <= 4999:
            raise WebSocketError(1002, "invalid close code %d" % code)
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise WebSocketError(1007, "invalid UTF-8 in close reason")
        return (CLOSE, code, reason)


class Hixie76Stream(object):
    """The pre-RFC framing: ``0x00 <utf-8> 0xFF`` messages, ``0xFF 0x00`` close."""

    __slots__ = ("_buf", "_max_message", "closed")

    def __init__(self, max_message: int = 1 << 20) -> None:
        self._buf = bytearray()
        self._max_message = max_message
        self.closed = False

    def receive(self, data: bytes) -> List[Event]:
        """Events as from :meth:`WebSocketStream.receive`: the messages before a bad
        frame first, then ``(ERROR, WebSocketError)``; nothing follows CLOSE or ERROR."""
        events: List[Event] = []
        if self.closed:
            return events
        try:
            self._parse(events, data)
        except WebSocketError as error:
            self.closed = True
            events.append((ERROR, error))
        return events

    def _parse(self, events: List[Event], data: bytes) -> None:
        buf = self._buf
        buf += data
        while buf:
            if buf[0] == 0x00:
                end = buf.find(b"\xff")
                # (measured whole or unfinished: the packets' sizes must not matter)
                if (len(buf) if end < 0 else end) > self._max_message + 1:
                    raise WebSocketError(1009, "message over the size limit")
                if end < 0:
                    break
                try:
                    events.append((TEXT, bytes(buf[1:end]).decode("utf-8")))
                except UnicodeDecodeError:
                    raise WebSocketError(1007, "invalid UTF-8")
                del buf[:end + 1]
            elif buf[0] == 0xFF:
                if len(buf) < 2:
                    break
                self.closed = True
                events.append((CLOSE, None, ""))
                break
            else:
                raise WebSocketError(1002, "bad hixie-76 frame")

    @staticmethod
    def text_frame(payload: bytes) -> bytes:
        return b"\x00" + payload + b"\xff"

    @staticmethod
    def close_frame(code: Optional[int] = None, reason: str = "") -> bytes:
        return b"\xff\x00"
