"""What every RFC 6455 handshake is checked for, and its Sec-WebSocket-Accept: pure-Python
twin of ``wshandshake_c``.

``headers`` is the request's dict of lower-case name -> str (repeated fields joined).  A
refusal is one of the tuples in :mod:`txsockjs._speedups.constants` (``NEEDS_HTTP11`` ...
``BAD_KEY``), which both twins return as the same objects.
"""

import base64
import binascii
import functools
import hashlib
import sys
from typing import Any, Callable, Mapping, Optional, Tuple, Union

from txsockjs._speedups.constants import (
    BAD_KEY, HAS_BODY, NEEDS_HTTP11, NO_CONNECTION_UPGRADE, NOT_WEBSOCKET, WEBSOCKET_GUID,
    WRONG_VERSION,
)

Refusal = Tuple[int, str, Tuple[Tuple[str, str], ...]]

if sys.version_info >= (3, 11):
    _strict_b64decode: Callable[[str], bytes] = functools.partial(
        binascii.a2b_base64, strict_mode=True)
else:  # (strict_mode is new in 3.11)
    def _strict_b64decode(data: str) -> bytes:
        return base64.b64decode(data.encode("ascii"), validate=True)


def accept_key(key: str) -> bytes:
    """The Sec-WebSocket-Accept value of a Sec-WebSocket-Key, as the ASCII bytes of the
    101 head: base64 of the SHA-1 of the key and the RFC's GUID."""
    return binascii.b2a_base64(hashlib.sha1((key + WEBSOCKET_GUID).encode("ascii")).digest(),
                               newline=False)


def valid_key(key: str) -> bool:
    """Is ``key`` a Sec-WebSocket-Key: base64 of 16 bytes (24 characters)?"""
    if len(key) != 24:
        return False
    try:
        return len(_strict_b64decode(key)) == 16
    except ValueError:  # (binascii.Error, a non-ASCII str, UnicodeEncodeError on 3.10)
        return False


def connection_upgrades(connection: str) -> bool:
    """Does a Connection header's value name ``upgrade``?"""
    lowered = connection.lower()
    if "," not in lowered:
        return lowered.strip() == "upgrade"
    return "upgrade" in [token.strip() for token in lowered.split(",")]


def upgrade_refusal(headers: Mapping[str, str], minor: int, body: Any) -> Optional[Refusal]:
    """What is wrong with a request as a WebSocket upgrade (any version of it), in the
    order a client is told: None when nothing is."""
    if minor < 1:
        return NEEDS_HTTP11
    if headers.get("upgrade", "").strip().lower() != "websocket":
        return NOT_WEBSOCKET
    if not connection_upgrades(headers.get("connection", "")):
        return NO_CONNECTION_UPGRADE
    if body or "transfer-encoding" in headers:
        return HAS_BODY
    return None


def rfc6455_accept(headers: Mapping[str, str]) -> Union[bytes, Refusal]:
    """The Sec-WebSocket-Accept value (bytes) of an RFC 6455 handshake, or its refusal: a
    version other than 13, or a key that is not base64 of 16 bytes."""
    if headers.get("sec-websocket-version", "").strip() != "13":
        return WRONG_VERSION
    key = headers.get("sec-websocket-key", "").strip()
    if not valid_key(key):
        return BAD_KEY
    return accept_key(key)
