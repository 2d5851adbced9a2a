"""WebSocket handshakes: upgrade_refusal, rfc6455_accept, valid_key, connection_upgrades,
accept_key.

Input: 1 control byte (bit 0: the values are latin-1, else UTF-8 with replacement; bits
1-2: the HTTP minor version, from -1; bit 3: a body), then the values of Upgrade,
Connection, Sec-WebSocket-Version, Sec-WebSocket-Key and Transfer-Encoding separated by NUL
(a value not given is a header not sent).  Checked: both paths give the same refusal (the
same object) or the same accept value, which is base64 of 20 bytes and, for a key the two
call valid, hashlib's SHA-1 of it; the helpers agree on every value.
"""

import base64
import hashlib

import harness
from harness import PATHS, allowed, outcome, same

NAMES = ("upgrade", "connection", "sec-websocket-version", "sec-websocket-key",
         "transfer-encoding")
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def test_one_input(data):
    if not data:
        return
    control, fields = data[0], data[1:].split(b"\x00")
    decode = (lambda raw: raw.decode("latin-1")) if control & 1 else \
        (lambda raw: raw.decode("utf-8", "replace"))
    headers = {name: decode(raw) for name, raw in zip(NAMES, fields)}
    minor, body = ((control >> 1) & 3) - 1, b"x" if control & 8 else b""
    refusals = [path.upgrade_refusal(headers, minor, body) for path in PATHS]
    assert refusals[0] is refusals[1], ("upgrade_refusal", refusals)
    accepts = [path.rfc6455_accept(headers) for path in PATHS]
    if isinstance(accepts[0], bytes):
        accept = same("rfc6455_accept", *accepts)
        assert len(base64.b64decode(accept, validate=True)) == 20
        key = headers["sec-websocket-key"].strip().encode("ascii")
        assert accept == base64.b64encode(hashlib.sha1(key + GUID).digest())
    else:
        assert accepts[0] is accepts[1], ("rfc6455_accept", accepts)
    for value in headers.values():
        same("valid_key", *(path.valid_key(value) for path in PATHS))
        same("connection_upgrades", *(path.connection_upgrades(value) for path in PATHS))
        same("accept_key", *(allowed(outcome(path.accept_key, value), UnicodeEncodeError)
                             for path in PATHS))


if __name__ == "__main__":
    harness.main(test_one_input)
