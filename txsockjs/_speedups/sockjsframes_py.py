"""SockJS frame encoding and client-body decoding, pure-Python twin of
``sockjsframes_c``.

Server-to-client text follows the reference server byte for byte: standard
JSON quoting (``\\n``, ``\\"``, ``\\u001f``...), non-ASCII written as UTF-8,
except for the characters browsers mangle, which are written as lowercase
``\\uXXXX`` escapes: U+200C-200F, U+2028-202F, U+2060-206F, U+FFF0-FFFF, every
surrogate, and astral characters as an escaped surrogate pair (the reference
server works on UTF-16 strings, so that is what it sends).
"""

import json
import re
from types import ModuleType
from typing import Any, Callable, Dict, Iterable, List, Match
# The C string quoter that json.dumps(..., ensure_ascii=False) uses; called
# directly it skips the encoder's set-up (6x faster on one short message).
from json.encoder import encode_basestring as _quote_json

from txsockjs._speedups.buffers import BytesLike
from txsockjs._speedups.kernelerrors import PayloadError

_json_module: ModuleType

try:
    import ujson as _json_module
except ImportError:  # pragma: no cover - ujson is a declared dependency
    _json_module = json

_loads: Callable[[str], Any] = _json_module.loads
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

_ESCAPE_CLASS = (
    "[\u200c-\u200f\u2028-\u202f\u2060-\u206f\ufff0-\uffff"
    "\ud800-\udfff\U00010000-\U0010ffff]"
)
_ESCAPABLE = re.compile(_ESCAPE_CLASS)
# Splitting keeps the characters to escape at the odd indices: replacing
# them from a table costs far less than a Python callback per match.
_SPLIT = re.compile("(" + _ESCAPE_CLASS + ")")
_ESCAPES: Dict[str, str] = {}
for _low, _high in ((0x200C, 0x200F), (0x2028, 0x202F), (0x2060, 0x206F),
                    (0xD800, 0xDFFF), (0xFFF0, 0xFFFF)):
    for _code in range(_low, _high + 1):
        _ESCAPES[chr(_code)] = "\\u%04x" % _code
del _low, _high, _code
# In an HTML <script> block, these could end the block or start a comment.
_HTML_UNSAFE = re.compile("[<>&]")


_ESCAPES_MAX = len(_ESCAPES) + 4096


def _escape_astral(char: str) -> str:
    """An astral character as its escaped UTF-16 surrogate pair (and kept in
    the table, up to a bound, since the same emoji tend to come back)."""
    pair = char.encode("utf-16-be").hex()
    escaped = "\\u" + pair[:4] + "\\u" + pair[4:]
    if len(_ESCAPES) < _ESCAPES_MAX:
        _ESCAPES[char] = escaped
    return escaped


def _escape(out: str) -> str:
    """The SockJS escaping of the (non-ASCII) JSON text ``out``."""
    try:
        # Latin-1 text holds nothing to escape (the set starts at U+200C),
        # and this check is a copy at C speed, far cheaper than a scan.
        out.encode("latin-1")
        return out
    except UnicodeEncodeError:
        pass
    parts = _SPLIT.split(out)
    if len(parts) > 1:
        get = _ESCAPES.get
        parts[1::2] = [get(char) or _escape_astral(char) for char in parts[1::2]]
        out = "".join(parts)
    return out


def _escape_html_char(match: "Match[str]") -> str:
    return "\\u%04x" % ord(match.group())


def quote(text: object) -> str:
    """``text`` as a JSON string literal with the SockJS escaping, as str."""
    out = _quote_json(text) if isinstance(text, str) else _dumps(text)
    if out.isascii():
        return out
    return _escape(out)


def encode_messages(messages: Iterable[Any]) -> bytes:
    """The ``a[...]`` frame carrying ``messages`` (a sequence of str), as bytes."""
    if type(messages) is list and len(messages) == 1 and type(messages[0]) is str:
        out = _quote_json(messages[0])  # the common case: one message
        if out.isascii():
            return b"a[" + out.encode("ascii") + b"]"
        return b"a[" + _escape(out).encode("utf-8") + b"]"
    try:
        out = "[" + ",".join(map(_quote_json, messages)) + "]"
    except TypeError:  # not all str: any JSON value goes, as in the compiled twin
        out = _dumps(list(messages))
    if out.isascii():
        return b"a" + out.encode("ascii")
    return b"a" + _escape(out).encode("utf-8")


def wrap_eventsource(frame: BytesLike) -> bytes:
    """``data: <frame>\\r\\n\\r\\n``; the client decodeURI()s each line, so
    ``%``, CR, LF and NUL are percent-encoded."""
    data = bytes(frame)
    if b"%" in data:
        data = data.replace(b"%", b"%25")
    if b"\r" in data or b"\n" in data or b"\x00" in data:
        data = data.replace(b"\r", b"%0D").replace(b"\n", b"%0A").replace(b"\x00", b"%00")
    return b"data: " + data + b"\r\n\r\n"


def _frame_literal(frame: BytesLike) -> bytes:
    literal = quote(bytes(frame).decode("utf-8"))
    return _HTML_UNSAFE.sub(_escape_html_char, literal).encode("utf-8")


def wrap_htmlfile(frame: BytesLike) -> bytes:
    """One ``<script>`` block calling ``p()``; the frame cannot end the block."""
    return b"<script>\np(" + _frame_literal(frame) + b");\n</script>\r\n"


def wrap_jsonp(callback: bytes, frame: BytesLike) -> bytes:
    """``/**/callback("<frame>");``; ``callback`` is validated ASCII bytes."""
    return b"/**/" + callback + b"(" + _frame_literal(frame) + b");\r\n"


def decode_messages(body: BytesLike) -> List[str]:
    """The list of str a client sent as a JSON array of strings.

    Raises :class:`PayloadError` with the SockJS error text: ``Payload
    expected.`` for an empty body, ``Broken JSON encoding.`` for anything that
    is not UTF-8 JSON holding an array of strings.
    """
    if not body:
        raise PayloadError("Payload expected.")
    try:
        value = _loads(bytes(body).decode("utf-8"))
    except Exception:
        raise PayloadError("Broken JSON encoding.")
    if type(value) is not list:
        raise PayloadError("Broken JSON encoding.")
    for item in value:
        if type(item) is not str:
            raise PayloadError("Broken JSON encoding.")
    return value
