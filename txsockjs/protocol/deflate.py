"""permessage-deflate (RFC 7692): negotiation, and one connection's two zlib streams.

:class:`PerMessageDeflateFactory` answers a client's offer (RFC 7692 section 7) from the
service's ``compression`` settings; :class:`PerMessageDeflate` is the negotiated
extension the WebSocket connection runs data frames through
(:mod:`txsockjs.protocol.wsextensions` has the interface).

Three things matter more than the compression itself:

* **The decompressed size is the size that counts.**  Every frame is inflated with the
  message's remaining budget as zlib's ``max_length``: a deflate bomb stops after
  ``budget + 1`` bytes of output and the message is refused (1009) while it arrives,
  whatever its compressed size.
* **Idle connections cost little.**  zlib streams are large (a compressor at window 15 /
  memLevel 8 holds about 256 KiB).  :meth:`PerMessageDeflate.release` frees both and
  keeps only the last window of plaintext of each direction; the next message rebuilds
  the stream with that plaintext as its preset dictionary (``zdict``), so the peer's
  context (which it kept) and ours agree again: back-references reach only into the
  last window, and that is what the dictionary holds.
* **zlib does the work in C**: our messages go through the deflate kernel
  (``txsockjs._speedups.Deflater``: zlib's C API from Cython, one ``deflate`` call per
  message, or Python's ``zlib`` in the pure twin); the client's through the inflate
  kernel (``txsockjs._speedups.Inflater``: one ``inflate`` per frame into a stack
  buffer, the tail fed after the frame without a copy); nothing loops over bytes in
  Python.
"""

from typing import List, Mapping, Optional, Tuple

from txsockjs import _speedups
from txsockjs._speedups.constants import RSV1

__all__ = ["DeflateSettings", "PerMessageDeflate", "PerMessageDeflateFactory", "NAME",
           "DEFAULTS"]

NAME = "permessage-deflate"

# More than any message can be: a budget at least this large is no limit.
_BUDGET_CAP = 1 << 62

#: The settings of ``compression: True``; docs/reference/options.rst says how they were
#: measured.  Keys as in the ``compression`` dict.
DEFAULTS: Mapping[str, object] = {
    "level": 1,
    "server_max_window_bits": 12,
    "client_max_window_bits": 12,
    "mem_level": 5,
    "server_no_context_takeover": False,
    "client_no_context_takeover": False,
    "threshold": 32,
    "release_after": 10.0,
}


class DeflateSettings(object):
    """The server's side of the negotiation: what ``compression`` asked for."""

    __slots__ = ("level", "server_max_window_bits", "client_max_window_bits", "mem_level",
                 "server_no_context_takeover", "client_no_context_takeover", "threshold",
                 "release_after")

    def __init__(self, level: int = 1, server_max_window_bits: int = 12,
                 client_max_window_bits: int = 12, mem_level: int = 5,
                 server_no_context_takeover: bool = False,
                 client_no_context_takeover: bool = False, threshold: int = 32,
                 release_after: Optional[float] = 10.0) -> None:
        self.level = level
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits
        self.mem_level = mem_level
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.threshold = threshold
        self.release_after = release_after

    @classmethod
    def from_option(cls, value: object) -> Optional["DeflateSettings"]:
        """The settings for a ``compression`` option value (checked already by
        txsockjs.options): None for False."""
        if value is False or value is None:
            return None
        merged = dict(DEFAULTS)
        if isinstance(value, Mapping):
            merged.update(value)
        return cls(**merged)  # type: ignore[arg-type]


def _window_bits(value: Optional[str]) -> Optional[int]:
    """A window-bits parameter value (RFC 7692 7.1.2: 8-15, no leading zero), or None."""
    if value is None or len(value) > 2 or not value.isdigit() or value[0] == "0":
        return None
    bits = int(value)
    return bits if 8 <= bits <= 15 else None


class PerMessageDeflateFactory(object):
    """Negotiates permessage-deflate with one offer (``accept``), per RFC 7692 7.1."""

    name = NAME

    def __init__(self, settings: DeflateSettings) -> None:
        self.settings = settings

    def accept(self, params: List[Tuple[str, Optional[str]]]
               ) -> Optional[Tuple["PerMessageDeflate", str]]:
        """The extension and the response's parameters for one offer; None declines it
        (an unknown or repeated parameter, a value out of range: RFC 7692 7.1)."""
        settings = self.settings
        seen = set()
        server_nct = settings.server_no_context_takeover
        client_nct = settings.client_no_context_takeover
        server_bits = settings.server_max_window_bits
        client_bits = 15   # the client's window when it lets us say nothing (7.1.2.2)
        client_bits_offered = False
        server_bits_asked = False
        for name, value in params:
            if name in seen:
                return None
            seen.add(name)
            if name == "server_no_context_takeover":
                if value is not None:
                    return None
                server_nct = True
            elif name == "client_no_context_takeover":
                if value is not None:
                    return None
                client_nct = True   # (the client will reset anyway; saying so is free)
            elif name == "server_max_window_bits":
                bits = _window_bits(value)
                if bits is None:
                    return None
                server_asked = bits
                server_bits_asked = True
                server_bits = min(server_bits, server_asked)
            elif name == "client_max_window_bits":
                if value is not None:
                    bits = _window_bits(value)
                    if bits is None:
                        return None
                    client_bits = bits
                client_bits_offered = True
            else:
                return None
        answer = []
        if server_nct:
            answer.append("server_no_context_takeover")
        if client_nct:
            answer.append("client_no_context_takeover")
        if server_bits_asked:
            answer.append("server_max_window_bits=%d" % server_bits)
        if client_bits_offered:
            client_bits = min(client_bits, settings.client_max_window_bits)
            answer.append("client_max_window_bits=%d" % client_bits)
        extension = PerMessageDeflate(
            settings.level, settings.mem_level, server_bits, client_bits, server_nct, client_nct,
            settings.threshold)
        return extension, "; ".join(answer)


class PerMessageDeflate(_speedups.EncoderBase):
    """One connection's permessage-deflate: inflates the client's compressed messages and
    deflates ours (longer than ``threshold`` bytes, unless turned off for the session).
    ``encode`` is the kernel's (EncoderBase): a message through the live compressor
    passes no Python frame; everything else comes to :meth:`_encode_first`.

    ``out_bits`` is our compressor's window (what the client's inflater keeps),
    ``in_bits`` the client's; with ``*_reset`` (no context takeover) that direction starts
    every message afresh and keeps nothing between messages."""

    # (threshold, active and _compressor are EncoderBase's)
    __slots__ = ("level", "mem_level", "out_bits", "in_bits", "out_reset", "in_reset",
                 "enabled", "_decompressor", "_out_window", "_in_window", "_in_message")

    name = NAME
    rsv = RSV1

    def __init__(self, level: int = 1, mem_level: int = 5, out_bits: int = 12,
                 in_bits: int = 15, out_reset: bool = False, in_reset: bool = False,
                 threshold: int = 0) -> None:
        self.level = level
        self.mem_level = mem_level
        self.out_bits = out_bits
        self.in_bits = in_bits
        self.out_reset = out_reset
        self.in_reset = in_reset
        self.threshold = threshold
        #: False: send every message uncompressed (the application's choice, per session;
        #: always with an 8-bit window, which zlib cannot compress with: RFC 7692 lets
        #: any message go uncompressed)
        self.enabled = out_bits >= 9
        #: Set by every message; the idle sweep clears it (see :meth:`idle`).
        self.active = False
        self._compressor: Optional["_speedups.Deflater"] = None
        self._decompressor: Optional["_speedups.Inflater"] = None
        # The plaintext each direction may refer back to, while the streams are released.
        self._out_window = b""
        self._in_window = b""
        self._in_message = False

    # -- the client's messages ------------------------------------------------------------

    def decode(self, op: int, payload: bytes, fin: bool, budget: int) -> bytes:
        """One frame of a compressed message, inflated; at most ``budget`` bytes, or
        WebSocketError(1009) before producing more (the inflate kernel: see there)."""
        self.active = True
        inflater = self._decompressor
        if inflater is None:
            inflater = self._new_decompressor()
        self._in_message = not fin
        # (max_message_size may be any int; the compiled kernel's budget is a C integer)
        data = inflater.inflate(payload, fin, budget if budget < _BUDGET_CAP else _BUDGET_CAP)
        if fin and self.in_reset:
            self._decompressor = None
        return data

    def _new_decompressor(self) -> "_speedups.Inflater":
        # (zlib inflates raw deflate with an 8-bit window, but 9 is as safe: a larger
        # window only holds more history)
        inflater = _speedups.Inflater(max(self.in_bits, 9), self._in_window)
        self._in_window = b""
        self._decompressor = inflater
        return inflater

    # -- ours ------------------------------------------------------------------------------

    def _encode_first(self, payload: bytes) -> Tuple[int, bytes]:
        """encode() with no live compressor: disabled, a short message, the first message
        (or the first after a release), or every message without context takeover."""
        if len(payload) < self.threshold or not self.enabled:
            return 0, payload
        self.active = True
        data = self._new_compressor().compress(payload)
        if self.out_reset:
            self._compressor = None
        return RSV1, data

    def _new_compressor(self) -> "_speedups.Deflater":
        deflater = _speedups.Deflater(self.level, self.out_bits, self.mem_level,
                                      self._out_window)
        self._out_window = b""
        self._compressor = deflater
        return deflater

    # -- idle connections ------------------------------------------------------------------

    def set_enabled(self, enabled: bool) -> None:
        """Compress our messages, or stop (for one session: see SessionTransport)."""
        self.enabled = enabled and self.out_bits >= 9
        if not enabled:
            self._release_out()

    def idle(self) -> bool:
        """Called by the idle sweep: release the streams if no message passed since the
        last call; True once nothing is held."""
        if self.active:
            self.active = False
            return False
        self.release()
        return self.released

    def release(self) -> None:
        """Free both zlib streams, keeping the last window of plaintext of each direction
        (as the preset dictionary of the next stream).  Not the inflater while a
        fragmented message is still arriving: it is midway through a block."""
        self._release_out()
        inflater = self._decompressor
        if inflater is not None and not self._in_message:
            if not self.in_reset:
                self._in_window = inflater.window()
            self._decompressor = None

    def _release_out(self) -> None:
        if self._compressor is not None:
            self._out_window = self._compressor.window()
            self._compressor = None

    @property
    def released(self) -> bool:
        """No zlib stream is held."""
        return self._compressor is None and self._decompressor is None

