"""The hot kernels: compiled where possible, pure-Python twins otherwise.

This module alone chooses, once, at import time:

* ``TXSOCKJS_NO_EXTENSIONS=1`` or a non-CPython interpreter: the pure path;
* otherwise the compiled modules, falling back to the pure path when they
  cannot be imported (no compiler when the package was installed);
* ``TXSOCKJS_REQUIRE_EXTENSIONS=1`` turns that fallback into an ImportError.

``IMPLEMENTATION`` is ``"compiled"`` or ``"pure"``; ``REASON`` says why, in
words; ``FALLBACK_REASON`` says why the pure path was taken, if it was (None
on the compiled path).  The public way to ask is
:func:`txsockjs.kernel_implementation`.
"""

import importlib
import os
import platform
import warnings
from types import ModuleType
from typing import TYPE_CHECKING, Optional, Tuple

from txsockjs._speedups.kernelerrors import HTTPError, PayloadError, WebSocketError
# The request reader's default limits (the same on both paths).
from txsockjs._speedups.constants import MAX_HEAD, MAX_REQUEST_LINE

_NO_EXTENSIONS = os.environ.get("TXSOCKJS_NO_EXTENSIONS", "") not in ("", "0")
_REQUIRE = os.environ.get("TXSOCKJS_REQUIRE_EXTENSIONS", "") not in ("", "0")


def _load_pure() -> Tuple[ModuleType, ...]:
    from txsockjs._speedups import (
        httphead_py, httpreader_py, httpresponse_py, mask_py, sockjsframes_py, wsframes_py,
        wshandshake_py)
    return (mask_py, wsframes_py, sockjsframes_py, httphead_py, httpreader_py, wshandshake_py,
            httpresponse_py)


def _load_compiled() -> Tuple[ModuleType, ...]:
    # import_module gives a plain "No module named ..." when one is missing.
    return tuple(importlib.import_module("txsockjs._speedups." + name)
                 for name in ("_mask", "wsframes_c", "sockjsframes_c", "httphead_c",
                               "httpreader_c", "wshandshake_c", "httpresponse_c"))


def _load_on_its_own(compiled: str, twin: str, what: str) -> ModuleType:
    """A kernel compiled beside the others but loaded on its own: one that may not build
    where the others do (deflate needs zlib's headers; the send kernel, ``send()``'s
    flags), whose twin is as correct."""
    if IMPLEMENTATION == "compiled":
        try:
            return importlib.import_module("txsockjs._speedups." + compiled)
        except ImportError as error:
            if _REQUIRE:
                raise ImportError("TXSOCKJS_REQUIRE_EXTENSIONS is set but the compiled "
                                  "%s kernel cannot be imported: %s" % (what, error))
    return importlib.import_module("txsockjs._speedups." + twin)


def _tell_slow_path(error: ImportError) -> None:
    """Say, once, that the install left us on the slow path.

    A RuntimeWarning for whoever runs Python with warnings on, and a log event
    for whoever reads the application's log: pip hides the build's own warning
    unless run with ``-v``, so this is often the first a user hears of it.
    twisted.logger keeps events emitted before logging starts and hands them
    to the observers when it does.
    """
    message = ("txsockjs: the compiled kernels are not available (%s); using the "
               "slower pure-Python twins. Reinstall with a C compiler for the fast "
               "path, or set TXSOCKJS_NO_EXTENSIONS=1 to choose the pure path "
               "silently." % (error,))
    warnings.warn(message, RuntimeWarning, stacklevel=3)
    # Imported here: on the compiled path the kernels import nothing from Twisted.
    from twisted.logger import Logger
    Logger(namespace="txsockjs.speedups").warn("{message}", message=message)


FALLBACK_REASON: Optional[str] = None
IMPLEMENTATION: str
REASON: str
if _NO_EXTENSIONS:
    FALLBACK_REASON = "TXSOCKJS_NO_EXTENSIONS is set"
elif platform.python_implementation() != "CPython":
    FALLBACK_REASON = "not CPython"

if FALLBACK_REASON is None:
    try:
        (_mask_mod, _ws_mod, _frames_mod, _http_mod, _reader_mod, _shake_mod,
         _response_mod) = _load_compiled()
        IMPLEMENTATION = "compiled"
    except ImportError as error:
        if _REQUIRE:
            raise ImportError(
                "TXSOCKJS_REQUIRE_EXTENSIONS is set but the compiled kernels "
                "cannot be imported: %s" % (error,))
        FALLBACK_REASON = "compiled kernels not importable (%s)" % (error,)
        _tell_slow_path(error)

if FALLBACK_REASON is not None:
    if _REQUIRE and not _NO_EXTENSIONS:
        raise ImportError("TXSOCKJS_REQUIRE_EXTENSIONS is set: %s" % FALLBACK_REASON)
    (_mask_mod, _ws_mod, _frames_mod, _http_mod, _reader_mod, _shake_mod,
     _response_mod) = _load_pure()
    IMPLEMENTATION = "pure"

# The deflate streams, and the eager writes' send.
_deflate_mod = _load_on_its_own("deflate_c", "deflate_py", "deflate")
#: "compiled" or "pure": the deflate kernel alone may be pure on the compiled path
#: (built without zlib's headers).
DEFLATE_IMPLEMENTATION = "compiled" if _deflate_mod.__name__.endswith("_c") else "pure"
_sender_mod = _load_on_its_own("sendnow_c", "sendnow_py", "send")

if IMPLEMENTATION == "compiled":
    REASON = "the compiled kernels import (CPython; TXSOCKJS_NO_EXTENSIONS not set)"
else:
    REASON = FALLBACK_REASON or ""

if TYPE_CHECKING:
    # Both paths have one signature per name (the .pyi stubs of the compiled
    # modules say the same as the twins; tests/typing checks the stubs against
    # the compiled modules), so the twins' annotations stand for either.
    from txsockjs._speedups.httphead_py import find_head_end, parse_request_head
    from txsockjs._speedups.httpreader_py import Request, RequestReader, connection_tokens
    from txsockjs._speedups.httpresponse_py import (
        LAST_CHUNK, Response, chunk, head_lines, response_head)
    from txsockjs._speedups.mask_py import websocket_mask, websocket_mask_inplace
    from txsockjs._speedups.sockjsframes_py import (
        decode_messages, encode_messages, quote,
        wrap_eventsource, wrap_htmlfile, wrap_jsonp)
    from txsockjs._speedups.wsframes_py import FrameParser, build_frame
    from txsockjs._speedups.wshandshake_py import (
        accept_key, connection_upgrades, rfc6455_accept, upgrade_refusal, valid_key)
    from txsockjs._speedups.deflate_py import Deflater, EncoderBase, Inflater
    from txsockjs._speedups.sendnow_py import send_now
else:
    websocket_mask = _mask_mod.websocket_mask
    websocket_mask_inplace = _mask_mod.websocket_mask_inplace

    FrameParser = _ws_mod.FrameParser
    build_frame = _ws_mod.build_frame

    quote = _frames_mod.quote
    encode_messages = _frames_mod.encode_messages
    wrap_eventsource = _frames_mod.wrap_eventsource
    wrap_htmlfile = _frames_mod.wrap_htmlfile
    wrap_jsonp = _frames_mod.wrap_jsonp
    decode_messages = _frames_mod.decode_messages

    parse_request_head = _http_mod.parse_request_head
    find_head_end = _http_mod.find_head_end

    Request = _reader_mod.Request
    RequestReader = _reader_mod.RequestReader
    connection_tokens = _reader_mod.connection_tokens

    Response = _response_mod.Response
    head_lines = _response_mod.head_lines
    response_head = _response_mod.response_head
    chunk = _response_mod.chunk
    LAST_CHUNK = _response_mod.LAST_CHUNK

    accept_key = _shake_mod.accept_key
    valid_key = _shake_mod.valid_key
    connection_upgrades = _shake_mod.connection_upgrades
    upgrade_refusal = _shake_mod.upgrade_refusal
    rfc6455_accept = _shake_mod.rfc6455_accept

    Deflater = _deflate_mod.Deflater
    Inflater = _deflate_mod.Inflater
    EncoderBase = _deflate_mod.EncoderBase

    send_now = _sender_mod.send_now

__all__ = [
    "IMPLEMENTATION", "REASON", "FALLBACK_REASON", "HTTPError", "PayloadError", "WebSocketError",
    "websocket_mask", "websocket_mask_inplace", "FrameParser", "build_frame",
    "quote", "encode_messages",
    "wrap_eventsource", "wrap_htmlfile", "wrap_jsonp", "decode_messages",
    "parse_request_head", "find_head_end", "Request", "RequestReader", "connection_tokens",
    "MAX_HEAD", "MAX_REQUEST_LINE", "accept_key", "valid_key", "connection_upgrades",
    "upgrade_refusal", "rfc6455_accept", "Deflater", "Inflater", "EncoderBase",
    "DEFLATE_IMPLEMENTATION", "send_now", "Response", "head_lines", "response_head", "chunk",
    "LAST_CHUNK",
]
