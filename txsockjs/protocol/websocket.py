"""One server-side WebSocket, sans I/O: RFC 6455, and the old hixie-76 framing behind the
same interface.

A connection object owns the whole protocol state of one upgraded socket (open, closing,
closed; the close handshake both ways; ping and pong; failing with a code; the wait for
the peer's end after we are done, and its deadline).  Nothing here touches a socket or a
clock: the caller (the session bridge, one for every front door) feeds bytes in and gets
events back, and writes what the connection gives it to write::

    for event in conn.receive(data):
        if event[0] is TEXT:           # (TEXT, bytes): one whole message, valid UTF-8
            ...
        else:                          # control events move the state; write the answer
            write(conn.answer(event))
            act_on(conn.after)         # None, AWAIT_CLOSE, EXPECT_EOF or CLOSE_TRANSPORT

Frames keep their reserved bits: data frames pass through the negotiated extensions
(:mod:`txsockjs.protocol.wsextensions`) between the frame parser and the message, and the
message size limit is counted after them, in bytes, while the message arrives.
"""

import codecs
import functools
import hashlib
import struct
from types import MappingProxyType
from typing import Any, Callable, List, Mapping, Optional, Protocol, Sequence, Tuple, Union

from txsockjs._speedups import FrameParser, WebSocketError, build_frame
# The handshake's key check and accept value are kernels: every session opens through them.
from txsockjs._speedups import (  # noqa: F401  (valid_key: re-exported)
    accept_key as accept_key_bytes, connection_upgrades, valid_key,
)
from txsockjs._speedups.constants import (
    CLOSE_INVALID_DATA, CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG, CLOSE_UNSUPPORTED, RSV_BITS,
    WEBSOCKET_GUID,
)
from txsockjs.protocol.wsextensions import Extension

from txsockjs._speedups.constants import (  # noqa: F401  (re-exported)
    OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT, VALID_CLOSE_CODES,
)

GUID = WEBSOCKET_GUID

# Events (the first item of each event tuple; compare with ``is``).
TEXT, BINARY, PING, PONG, CLOSE, ERROR, OPENED = (
    "text", "binary", "ping", "pong", "close", "error", "opened")

# What the caller does with the transport after an answer (``conn.after``):
#: keep reading until the peer's close frame comes; drop the socket after ``close_timeout``
AWAIT_CLOSE = "await_close"
#: we are done but the peer may still be sending: close our write side (after what was
#: written), read and drop until the peer's end, drop the socket after ``close_timeout``
EXPECT_EOF = "expect_eof"
#: the close handshake is complete (or cannot be): close the socket after what was written
CLOSE_TRANSPORT = "close_transport"

#: How long (seconds) a peer has to end the connection after we are done with it.
CLOSE_TIMEOUT = 5.0

#: A message may come in this many frames at most (1009 beyond): each frame costs a
#: parse and, compressed, a zlib call, so 100,000 one-byte frames must not be free.
#: Autobahn|Testsuite 9.3.1 and 9.4.1 send 4 MiB in 64-byte frames (a few more than 65,536
#: frames: 1 << 16 refused them); 100,000 frames must be refused.
MAX_FRAGMENTS = 80_000

#: Inflated bytes one receive() call turns into messages at most (plus the message that
#: crosses it): a 64 KiB read of small compressed messages can inflate a thousand times
#: over (deflate's best ratio), and every message of a read is alive until the caller has
#: delivered them, or held for as long as the application pauses.  Past it, the frames
#: left wait (compressed) for the next receive() (see ``has_more``).
INFLATE_PER_RECEIVE = 1 << 20



_utf8_decoder = codecs.getincrementaldecoder("utf-8")

# _partial_seen of a frame that is not checked while it arrives: past any payload, so the
# parser gives none of it (each look copied and unmasked all that had come of the frame).
_UNCHECKED = 1 << 62

# One event from receive(): (TEXT, bytes), (BINARY, bytes), (PING, bytes), (PONG, bytes),
# (CLOSE, code or None, reason), (ERROR, WebSocketError), (OPENED,) (hixie-76 only).
Event = Tuple[Any, ...]


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for a Sec-WebSocket-Key."""
    return accept_key_bytes(key).decode("ascii")


class HasHeaders(Protocol):
    """A request, as far as :func:`is_upgrade` reads it (on every front door)."""

    @property
    def headers(self) -> Mapping[str, str]: ...


def is_upgrade(request: HasHeaders) -> bool:
    """Does the request ask for a WebSocket upgrade (Connection + Upgrade)?"""
    headers = request.headers
    return headers.get("upgrade", "").strip().lower() == "websocket" \
        and connection_upgrades(headers.get("connection", ""))


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
    """An RFC 6455 close frame; the reason is cut to fit a control frame (125 bytes) at a
    character boundary, so that it stays valid UTF-8."""
    if code is None:
        return build_frame(OP_CLOSE, b"")
    data = reason.encode("utf-8")
    if len(data) > 123:
        data = data[:123].decode("utf-8", "ignore").encode("utf-8")
    return build_frame(OP_CLOSE, struct.pack(">H", code) + data)


def _is_utf8(payload: bytes) -> bool:
    if payload.isascii():  # (C, a word at a time: most SockJS traffic is ASCII JSON)
        return True
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# The connection's states, as ``conn.state`` tells them.
OPEN, CLOSING, CLOSED = "open", "closing", "closed"


class _Closing(object):
    """The close-handshake state both framings share: what we sent, what we got, and what
    the caller should do with the transport after the last answer."""

    __slots__ = ("reading", "close_sent", "close_received", "failed", "after", "close_timeout")

    def _open_state(self, close_timeout: float) -> None:
        self.reading = True
        self.close_sent = False
        self.close_received = False
        self.failed = False
        self.after: Optional[str] = None
        self.close_timeout = close_timeout

    @property
    def state(self) -> str:
        """OPEN; CLOSING (our close frame is out, the peer's has not come); CLOSED (the
        handshake is complete, or we failed the connection: nothing more is read)."""
        if self.close_received or self.failed:
            return CLOSED
        return CLOSING if self.close_sent else OPEN

    @staticmethod
    def _close_frame(code: int, reason: str) -> bytes:
        raise NotImplementedError

    def fail(self, code: int, reason: str) -> bytes:
        """Fail the connection (RFC 6455 7.1.7): our close frame with ``code``, then nothing
        more is read; the peer has ``close_timeout`` to end the connection."""
        self.failed = True
        self.reading = False
        self.after = EXPECT_EOF
        if self.close_sent:
            return b""
        self.close_sent = True
        return self._close_frame(code, reason)


_NO_EXTENSIONS: Mapping[int, Extension] = MappingProxyType({})


class WebSocketConnection(_Closing):
    """One RFC 6455 connection, server side.

    ``receive(data)`` turns the client's bytes into events: ``(TEXT, bytes)`` (a whole
    message, valid UTF-8: checked once, as each part arrives, so bad text fails at once),
    ``(BINARY, bytes)`` (only with ``allow_binary``; otherwise a binary message is refused
    with 1003 from its first frame header), ``(PING, payload)``, ``(PONG, payload)``,
    ``(CLOSE, code or None, reason)`` and ``(ERROR, WebSocketError)``.  Everything the
    peer sent before a close or an error is delivered before it; nothing follows it, and
    nothing more is read.

    Control events are answered with :meth:`answer`, which moves the state and returns
    the bytes to write (a pong, our close frame); ``after`` then says what to do with the
    transport.  :meth:`close` and :meth:`fail` do the same for the server's own decisions.
    """

    __slots__ = ("_parser", "_max_message", "_frame_limit",
                 "_allow_binary", "_extensions", "_message", "_message_op", "_size",
                 "_decoder", "_partial_decoder", "_partial_seen", "text_frame", "extensions",
                 "_fragments", "_max_fragments", "_inflated", "_more", "_more_error", "has_more")

    hixie76 = False
    _close_frame = staticmethod(close_frame)
    #: hixie-76 waits for its key after the head; RFC 6455 connections open at once.
    expects_handshake = False

    def __init__(self, max_message: int = 1 << 20, allow_binary: bool = False,
                 extensions: Sequence[Extension] = (),
                 close_timeout: float = CLOSE_TIMEOUT, max_fragments: int = MAX_FRAGMENTS) -> None:
        rsv = 0
        for extension in extensions:
            rsv |= extension.rsv
        # An extension may make a message's frames longer than the message (incompressible
        # data deflated): the frame limit leaves room, the message limit counts after it.
        frame_limit = max_message + (max_message >> 6) + 1024 if extensions else max_message
        self._frame_limit = frame_limit
        # (max_payload, require_mask, allow_binary, allowed_rsv: positional, as keywords
        # cost the kernel's argument parsing more than the rest of its making)
        self._parser = FrameParser(frame_limit, True, allow_binary, rsv)
        self._max_message = max_message
        self._allow_binary = allow_binary
        self.extensions: Tuple[Extension, ...] = tuple(extensions)
        # RSV bits -> extension (the shared empty dict without any: most connections)
        self._extensions: Mapping[int, Extension] = {extension.rsv: extension for extension in extensions} \
            if extensions else _NO_EXTENSIONS
        # The message being assembled from fragments (None between messages).
        self._message: Optional[bytearray] = None
        self._message_op = 0
        self._size = 0
        self._fragments = 0
        self._max_fragments = max_fragments
        self._decoder: Optional[codecs.IncrementalDecoder] = None
        # UTF-8 checking of a large text frame while it arrives (see _check_partial).
        self._partial_decoder: Optional[codecs.IncrementalDecoder] = None
        self._partial_seen = 0
        # Inflated bytes since receive() last stopped at INFLATE_PER_RECEIVE; the parsed
        # frames it left (and the parser's error after them), or None.
        self._inflated = 0
        self._more: Optional[List[Any]] = None
        # Did receive() stop at INFLATE_PER_RECEIVE with frames left?  Then receive(b"")
        # gives their events (before anything read later); once nothing more is read (a
        # failed connection) that receive() drops them, so a caller looping on it ends.
        # (An attribute, not a property: the bridge reads it after every read.)
        self.has_more = False
        self._more_error: Optional[WebSocketError] = None
        self._open_state(close_timeout)
        # text_frame(payload) -> the wire bytes of one text message (see send_text).
        self.text_frame: Callable[[bytes], bytes] = (
            self._encoded_frame_of(OP_TEXT) if extensions else text_frame)

    @property
    def allow_binary(self) -> bool:
        """Are binary messages delivered (``(BINARY, bytes)``), or refused with 1003?  Set
        when the application is known (it may take them), before any frame is read."""
        return self._allow_binary

    @allow_binary.setter
    def allow_binary(self, allowed: bool) -> None:
        self._allow_binary = allowed
        self._parser.allow_binary = allowed

    # -- from the peer ---------------------------------------------------------------------

    def receive(self, data: bytes) -> List[Event]:
        events: List[Event] = []
        if not self.reading:
            self._more = None  # (what a receive() left goes with the rest)
            self.has_more = False
            return events  # read and dropped: we are waiting for the peer's end
        error: Optional[WebSocketError] = None
        frames = self._more
        if frames is None:
            try:
                frames = self._parser.feed(data)
            except WebSocketError as raised:
                # The kernel attaches the frames it parsed before the bad one.
                frames = getattr(raised, "frames", None) or []
                error = raised
        else:
            frames, error = self._continue(data)
        try:
            for frame in frames:
                fin, op, payload = frame
                if op == OP_TEXT and fin and self._message is None:
                    # A whole message in one frame: nearly every message.
                    if payload.isascii() or _is_utf8(payload):
                        events.append((TEXT, payload))
                    else:
                        raise WebSocketError(CLOSE_INVALID_DATA, "invalid UTF-8 in text message")
                elif op & 0x08:  # a control frame
                    if op & RSV_BITS:
                        raise WebSocketError(CLOSE_PROTOCOL_ERROR, "reserved bits on a control frame")
                    if op == OP_PING:
                        events.append((PING, payload))
                    elif op == OP_PONG:
                        events.append((PONG, payload))
                    else:  # OP_CLOSE
                        events.append(_close_event(payload))
                        self.reading = False
                        self._more = None
                        self.has_more = False
                        return events
                else:
                    message = self._data_frame(fin, op, payload)
                    if message is not None:
                        events.append(message)
                        if self._inflated > INFLATE_PER_RECEIVE:
                            self._inflated = 0
                            rest = _after(frames, frame)
                            if rest:
                                self._more = rest
                                self._more_error = error
                                self.has_more = True
                                return events
            if error is None and (self._partial_decoder is not None or self._parser.buffered):
                self._check_partial(bool(frames))
        except WebSocketError as raised:
            error = raised
        if error is not None:
            self.reading = False
            self._more = None
            self.has_more = False
            # The traceback holds this frame, whose ``events`` holds the error: a cycle that
            # would keep the failed message's buffers (up to the size limit: a bomb's
            # output) alive until the garbage collector happens to run.
            error.__traceback__ = None
            events.append((ERROR, error))
        return events

    def _continue(self, data: bytes) -> Tuple[List[Any], Optional[WebSocketError]]:
        """The frames a receive() left, then those of ``data``; and the error after them."""
        frames: List[Any] = self._more  # type: ignore[assignment]  # (receive checked it)
        error = self._more_error
        self._more = self._more_error = None
        self.has_more = False
        if data and error is None:
            try:
                frames += self._parser.feed(data)
            except WebSocketError as raised:
                frames += getattr(raised, "frames", None) or []
                error = raised
        return frames, error

    def _data_frame(self, fin: bool, op: int, payload: bytes) -> Optional[Event]:
        opcode = op & 0x0F
        message = self._message
        if opcode != OP_CONTINUATION:
            if message is not None:
                raise WebSocketError(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented message")
            if opcode == OP_BINARY and not self._allow_binary:
                raise WebSocketError(CLOSE_UNSUPPORTED, "binary messages are not supported")
            message = self._message = bytearray()
            self._message_op = op
            self._size = 0
            self._fragments = 1
            self._decoder = _utf8_decoder() if opcode == OP_TEXT else None
        elif message is None:
            raise WebSocketError(CLOSE_PROTOCOL_ERROR, "continuation frame without a message")
        elif op & RSV_BITS:
            # (extensions set their bits on a message's first frame only)
            raise WebSocketError(CLOSE_PROTOCOL_ERROR, "reserved bits on a continuation frame")
        else:
            self._fragments += 1
            if self._fragments > self._max_fragments:
                raise WebSocketError(CLOSE_TOO_BIG, "message in too many fragments")
        message_op = self._message_op
        if message_op & RSV_BITS:
            extension = self._extensions[message_op & RSV_BITS]
            payload = extension.decode(message_op, payload, fin, self._max_message - self._size)
            self._inflated += len(payload)
        self._size += len(payload)
        if self._size > self._max_message:
            raise WebSocketError(CLOSE_TOO_BIG, "message over the size limit")
        decoder = self._decoder
        if decoder is not None:
            try:
                decoder.decode(payload, fin)  # (checked here; the text stays bytes)
            except UnicodeDecodeError:
                raise WebSocketError(CLOSE_INVALID_DATA, "invalid UTF-8 in text message")
        message += payload
        if not fin:
            if not message_op & RSV_BITS:
                # The next frames of this message may carry only what is left of the limit
                # (refused from their header, before they are buffered); control frames
                # between them keep their own 125 bytes (never more than the frame limit:
                # a split stream must end as the same stream read at once).
                self._parser.max_payload = min(self._frame_limit,
                                               max(self._max_message - self._size, 125))
            return None
        self._message = None
        self._decoder = None
        self._parser.max_payload = self._frame_limit
        return (TEXT if message_op & 0x0F == OP_TEXT else BINARY, bytes(message))

    def _check_partial(self, frames_completed: bool) -> None:
        """Fail fast on invalid UTF-8 in a text frame that is still arriving
        (a large frame comes in many packets; the bad byte may be early)."""
        if frames_completed:
            self._partial_decoder = None
            self._partial_seen = 0
        found = self._parser.partial_payload(self._partial_seen)
        if found is None:
            self._partial_decoder = None
            self._partial_seen = 0
            return
        op, chunk = found
        decoder = self._partial_decoder
        if decoder is None:
            if op == OP_TEXT and self._message is None:
                decoder = _utf8_decoder()
            elif op == OP_CONTINUATION and self._decoder is not None \
                    and not self._message_op & RSV_BITS:
                decoder = _utf8_decoder()
                decoder.setstate(self._decoder.getstate())
            else:
                # Binary, or encoded by an extension: checked when decoded, and not looked
                # at again until the frame is complete (each look copied and unmasked all
                # of it that had come: quadratic in a frame trickled in small reads).
                self._partial_seen = _UNCHECKED
                return
            self._partial_decoder = decoder
        if chunk:
            try:
                decoder.decode(chunk, False)
            except UnicodeDecodeError:
                raise WebSocketError(CLOSE_INVALID_DATA, "invalid UTF-8 in text message")
            self._partial_seen += len(chunk)

    # -- state changes, and what they write ---------------------------------------------

    def answer(self, event: Event) -> bytes:
        """Take a control event from :meth:`receive`: the bytes to write (maybe none);
        ``after`` then says what to do with the transport."""
        kind = event[0]
        self.after = None
        if kind is PING:
            return b"" if self.close_sent else build_frame(OP_PONG, event[1])
        if kind is CLOSE:
            self.close_received = True
            self.reading = False
            self.after = CLOSE_TRANSPORT  # (RFC 6455 7.1.1: the server closes TCP first)
            if self.close_sent:
                return b""
            self.close_sent = True
            return close_frame(event[1])  # the peer's code, echoed
        if kind is ERROR:
            error: WebSocketError = event[1]
            return self.fail(error.code, error.reason)
        return b""  # PONG: nothing to do

    def close(self, code: int, reason: str) -> bytes:
        """Start the close handshake (the server's decision): our close frame, once."""
        if self.close_sent:
            self.after = None
            return b""
        self.close_sent = True
        self.after = CLOSE_TRANSPORT if self.close_received else AWAIT_CLOSE
        return close_frame(code, reason)

    # -- to the peer -----------------------------------------------------------------------

    def send_text(self, payload: bytes) -> Optional[bytes]:
        """The wire bytes of one text message (UTF-8 ``payload``), or None once our close
        frame is out (nothing may follow it)."""
        return None if self.close_sent else self.text_frame(payload)

    def send_binary(self, payload: bytes) -> Optional[bytes]:
        if self.close_sent:
            return None
        if self.extensions:
            return self._encoded_frame_of(OP_BINARY)(payload)
        return build_frame(OP_BINARY, payload)

    def _encoded_frame_of(self, opcode: int) -> Callable[[bytes], bytes]:
        extensions = self.extensions

        def encoded_frame(payload: bytes) -> bytes:
            op = opcode
            for extension in extensions:
                rsv, payload = extension.encode(opcode, payload)
                op |= rsv
            return build_frame(op, payload)

        return encoded_frame


def _after(frames: List[Any], frame: Any) -> List[Any]:
    """The frames after ``frame`` (each parsed frame is a tuple of its own)."""
    for index, each in enumerate(frames):
        if each is frame:
            return frames[index + 1:]
    raise AssertionError("the frame is not among the frames")  # (receive gives one that is)


def _close_event(payload: bytes) -> Event:
    if not payload:
        return (CLOSE, None, "")
    if len(payload) == 1:
        raise WebSocketError(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload")
    code = struct.unpack(">H", payload[:2])[0]
    if code not in VALID_CLOSE_CODES and not 3000 <= code <= 4999:
        raise WebSocketError(CLOSE_PROTOCOL_ERROR, "invalid close code %d" % code)
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise WebSocketError(CLOSE_INVALID_DATA, "invalid UTF-8 in close reason")
    return (CLOSE, code, reason)


def _hixie76_text_frame(payload: bytes) -> bytes:
    return b"\x00" + payload + b"\xff"


_HIXIE76_CLOSE = b"\xff\x00"


class Hixie76Connection(_Closing):
    """The pre-RFC framing (``0x00 <utf-8> 0xFF`` messages, ``0xFF 0x00`` to close) behind
    the same interface.  Its handshake ends after the head: the client's 8-byte key comes
    first, and the ``(OPENED,)`` event's answer is the 16-byte challenge response.  No
    pings, no binary, no close codes (a close frame says only "close")."""

    __slots__ = ("_keys", "_buf", "_searched", "_max_message", "expects_handshake", "_answer")

    hixie76 = True
    extensions: Tuple[Extension, ...] = ()
    #: (no extension inflates a hixie-76 message: receive() never stops early)
    has_more = False

    @staticmethod
    def _close_frame(code: int, reason: str) -> bytes:
        return _HIXIE76_CLOSE  # (the draft's close carries no code)
    text_frame = staticmethod(_hixie76_text_frame)

    def __init__(self, key1: str, key2: str, max_message: int = 1 << 20,
                 close_timeout: float = CLOSE_TIMEOUT) -> None:
        self._keys = (key1, key2)
        self._buf = bytearray()
        # How far the message still arriving was searched for its end (trickled input
        # costs linear time, not quadratic).
        self._searched = 1
        self._max_message = max_message
        self._answer = b""
        self.expects_handshake = True
        self._open_state(close_timeout)

    def receive(self, data: bytes) -> List[Event]:
        events: List[Event] = []
        if not self.reading:
            return events
        buf = self._buf
        buf += data
        if self.expects_handshake:
            if len(buf) < 8:
                return events
            try:
                self._answer = hixie76_challenge(self._keys[0], self._keys[1], bytes(buf[:8]))
            except ValueError:
                self.reading = False
                events.append((ERROR, WebSocketError(CLOSE_PROTOCOL_ERROR, "bad hixie-76 key")))
                return events
            del buf[:8]
            self.expects_handshake = False
            events.append((OPENED,))
        try:
            while buf:
                if buf[0] == 0x00:
                    end = buf.find(b"\xff", self._searched)
                    # (a message that arrives whole in one read is limited too)
                    if (end if end >= 0 else len(buf)) - 1 > self._max_message:
                        raise WebSocketError(CLOSE_TOO_BIG, "message over the size limit")
                    if end < 0:
                        self._searched = len(buf)
                        break
                    self._searched = 1
                    payload = bytes(buf[1:end])
                    if not _is_utf8(payload):
                        raise WebSocketError(CLOSE_INVALID_DATA, "invalid UTF-8 in text message")
                    events.append((TEXT, payload))
                    del buf[:end + 1]
                elif buf[0] == 0xFF:
                    if len(buf) < 2:
                        break
                    self.reading = False
                    events.append((CLOSE, None, ""))
                    break
                else:
                    raise WebSocketError(CLOSE_PROTOCOL_ERROR, "bad hixie-76 frame")
        except WebSocketError as error:
            self.reading = False
            events.append((ERROR, error))
        return events

    def answer(self, event: Event) -> bytes:
        kind = event[0]
        self.after = None
        if kind is OPENED:
            return self._answer
        if kind is CLOSE:
            self.close_received = True
            self.after = CLOSE_TRANSPORT
            if self.close_sent:
                return b""
            self.close_sent = True
            return _HIXIE76_CLOSE
        if kind is ERROR:
            if self.expects_handshake or not self._answer:
                # A bad key: the handshake never completed, there is nothing to close.
                self.failed = True
                self.after = CLOSE_TRANSPORT
                return b""
            return self.fail(event[1].code, event[1].reason)
        return b""

    def close(self, code: int, reason: str) -> bytes:
        # No close handshake to wait for: the draft's peers just close.
        if self.close_sent:
            self.after = None
            return b""
        self.close_sent = True
        self.after = CLOSE_TRANSPORT
        return _HIXIE76_CLOSE

    def send_text(self, payload: bytes) -> Optional[bytes]:
        return None if self.close_sent else _hixie76_text_frame(payload)

    def send_binary(self, payload: bytes) -> Optional[bytes]:
        raise TypeError("hixie-76 WebSocket connections carry text only")


AnyConnection = Union[WebSocketConnection, Hixie76Connection]
