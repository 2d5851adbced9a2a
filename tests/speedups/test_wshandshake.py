"""The WebSocket handshake kernel on both paths: the accept value (RFC 6455's own example,
and hashlib's SHA-1 for any key), what a Sec-WebSocket-Key is, and which refusal each
broken upgrade gets, in the order a client is told.  Then the two twins against each other
on random header values, Unicode whitespace and case folding included."""

import base64
import hashlib
import os
import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from txsockjs._speedups.constants import (
    BAD_KEY, HAS_BODY, NEEDS_HTTP11, NO_CONNECTION_UPGRADE, NOT_WEBSOCKET, WEBSOCKET_GUID,
    WRONG_VERSION,
)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
GOOD = {"upgrade": "websocket", "connection": "Upgrade", "sec-websocket-version": "13",
        "sec-websocket-key": KEY}


def reference_accept(key):
    return base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode("ascii")).digest())


def test_rfc6455_example(kernels):
    # RFC 6455 section 1.3.
    assert kernels.accept_key(KEY) == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert kernels.rfc6455_accept(GOOD) == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize("length", [0, 1, 3, 19, 20, 24, 55, 56, 63, 64, 92, 119, 120, 300])
def test_accept_key_is_sha1_for_every_length(kernels, length):
    # Lengths around SHA-1's one-block and two-block paddings (the key joined to the
    # 36-character GUID), and keys longer than any client sends.
    key = (os.urandom(length) * 2).hex()[:length]
    assert kernels.accept_key(key) == reference_accept(key)


def test_accept_key_of_a_non_ascii_key_raises(kernels):
    with pytest.raises(UnicodeEncodeError):
        kernels.accept_key("é" * 24)


@pytest.mark.parametrize("key,valid", [
    (KEY, True),
    ("AAAAAAAAAAAAAAAAAAAAAA==", True),
    ("AAAAAAAAAAAAAAAAAAAAAB==", True),   # spare bits set: strict base64 allows them
    ("+/+/+/+/+/+/+/+/+/+/+/==", True),
    ("AAAAAAAAAAAAAAAAAAAAAAA=", False),  # 17 bytes
    ("AAAAAAAAAAAAAAAAAAAAAAAA", False),  # 18 bytes
    ("AAAAAAAAAAAAAAAAAAAAA===", False),
    ("AAAAAAAAAAAAAAAAAAAA=A==", False),
    ("AAAAAAAAAAAAAAAAAAAA-_==", False),  # the URL-safe alphabet is not base64's
    ("AAAAAAAAAAAAAAAAAAAA AA=", False),
    ("AAAAAAAAAAAAAAAAAAAAAA=", False),
    ("AAAAAAAAAAAAAAAAAAAAAA===", False),
    ("", False),
    ("é" * 24, False),
    ("AAAAAAAAAAAAAAAAAAAAA\x00==", False),
])
def test_valid_key(kernels, key, valid):
    assert kernels.valid_key(key) is valid


@pytest.mark.parametrize("value,upgrades", [
    ("Upgrade", True), ("upgrade", True), ("UPGRADE", True), (" Upgrade\t", True),
    ("keep-alive, Upgrade", True), ("Upgrade,keep-alive", True), ("a,,upgrade,", True),
    ("", False), ("keep-alive", False), ("upgrades", False), ("up grade", False),
    (",", False), ("Upgrade;q=1", False),
    ("\u212aupgrade", False),           # (not ASCII: the twins' str rules)
    ("Upgrade\xa0", True),              # NBSP is whitespace to str.strip
    ("x,\u2003UPGRADE", True),
])
def test_connection_upgrades(kernels, value, upgrades):
    assert kernels.connection_upgrades(value) is upgrades


def with_(**changes):
    headers = dict(GOOD)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return headers


@pytest.mark.parametrize("headers,minor,body,refusal", [
    (GOOD, 1, b"", None),
    (with_(upgrade=" WebSocket "), 1, b"", None),
    (GOOD, 0, b"", NEEDS_HTTP11),
    (with_(upgrade=None, connection=None), 0, b"x", NEEDS_HTTP11),   # the first one wins
    (with_(upgrade=None), 1, b"", NOT_WEBSOCKET),
    (with_(upgrade="h2c"), 1, b"", NOT_WEBSOCKET),
    (with_(upgrade="websocket2"), 1, b"", NOT_WEBSOCKET),
    (with_(upgrade="WEBSOC\u212aET"), 1, b"", None),   # str.lower folds the Kelvin sign to k
    (with_(connection=None), 1, b"", NO_CONNECTION_UPGRADE),
    (with_(connection="keep-alive"), 1, b"", NO_CONNECTION_UPGRADE),
    (with_(connection="keep-alive, upgrade"), 1, b"", None),
    (GOOD, 1, b"x", HAS_BODY),
    (with_(transfer_encoding="chunked"), 1, b"", HAS_BODY),
])
def test_upgrade_refusal(kernels, headers, minor, body, refusal):
    assert kernels.upgrade_refusal(headers, minor, body) is refusal


@pytest.mark.parametrize("headers,refusal", [
    (with_(sec_websocket_version=None), WRONG_VERSION),
    (with_(sec_websocket_version="8"), WRONG_VERSION),
    (with_(sec_websocket_version="13, 8"), WRONG_VERSION),
    (with_(sec_websocket_version="130"), WRONG_VERSION),
    (with_(sec_websocket_version=" 13 "), None),
    (with_(sec_websocket_version="\xa013"), None),
    (with_(sec_websocket_key=None), BAD_KEY),
    (with_(sec_websocket_key="short"), BAD_KEY),
    (with_(sec_websocket_key=KEY[:-2] + "A="), BAD_KEY),
    (with_(sec_websocket_key=" %s\t" % KEY), None),
    (with_(sec_websocket_key="\u3000%s" % KEY), None),   # ideographic space: str.strip
    (with_(sec_websocket_key="é" + KEY[1:]), BAD_KEY),
    (with_(sec_websocket_version="8", sec_websocket_key="bad"), WRONG_VERSION),
])
def test_rfc6455_accept_refusals(kernels, headers, refusal):
    result = kernels.rfc6455_accept(headers)
    if refusal is None:
        assert result == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    else:
        assert result is refusal


def test_any_mapping_of_headers(kernels):
    # A front door may hand over a mapping that is not a dict.
    from types import MappingProxyType
    assert kernels.rfc6455_accept(MappingProxyType(GOOD)) == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert kernels.upgrade_refusal(MappingProxyType(with_(upgrade="x")), 1, b"") is NOT_WEBSOCKET


# -- the twins against each other ---------------------------------------------------------

_SPACE = st.sampled_from([" ", "\t", "\x0b", "\x0c", "\r", "\x1c", "\x1f", "\x85", "\xa0",
                          "\u2003", "\u3000", ""])
_WORDS = st.sampled_from(["websocket", "WebSocket", "WEBSOC\u212aET", "upgrade", "Upgrade",
                          "keep-alive", "13", "8", KEY, KEY.lower(), "AAAAAAAAAAAAAAAAAAAAAA==",
                          "", ",", "é", "\x00", "=="])
_VALUE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=string.ascii_letters + string.digits + "+/=", min_size=20, max_size=26),
    st.builds(lambda a, words, b: a + ",".join(words) + b, _SPACE,
              st.lists(st.builds(lambda x, w, y: x + w + y, _SPACE, _WORDS, _SPACE), max_size=3),
              _SPACE),
)
_HEADERS = st.dictionaries(
    st.sampled_from(["upgrade", "connection", "sec-websocket-version", "sec-websocket-key",
                     "transfer-encoding", "host"]), _VALUE)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # (twins: read only)
@given(headers=_HEADERS, minor=st.integers(-1, 2), body=st.sampled_from([b"", b"x"]))
def test_twins_agree(twins, headers, minor, body):
    pure, compiled = twins
    assert compiled.upgrade_refusal(headers, minor, body) is \
        pure.upgrade_refusal(headers, minor, body)
    assert compiled.rfc6455_accept(headers) == pure.rfc6455_accept(headers)
    for value in headers.values():
        assert compiled.connection_upgrades(value) is pure.connection_upgrades(value)
        assert compiled.valid_key(value) is pure.valid_key(value)
        try:
            expected = pure.accept_key(value)
        except UnicodeEncodeError:
            with pytest.raises(UnicodeEncodeError):
                compiled.accept_key(value)
        else:
            assert compiled.accept_key(value) == expected
