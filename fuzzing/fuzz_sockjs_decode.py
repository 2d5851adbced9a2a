"""SockJS client bodies: decode_messages (xhr_send, jsonp_send, WebSocket text).

Input: the body itself; its length picks the buffer type.  Checked: a list of str or
PayloadError ("Payload expected." / "Broken JSON encoding."), the same on both paths
(the compiled fast path must read exactly what the JSON library reads); a decoded list
encodes and decodes back to itself.
"""

import harness
from harness import BUFFER_TYPES, PATHS, PayloadError, allowed, outcome, same


def test_one_input(data):
    kind = BUFFER_TYPES[len(data) % 3]
    result = same("decode", *(allowed(outcome(path.decode_messages, kind(data)), PayloadError)
                              for path in PATHS))
    if result[0] == "error":
        assert result[2] in ("Payload expected.", "Broken JSON encoding."), result
        return
    messages = result[1]
    assert type(messages) is list and all(type(m) is str for m in messages)
    if any("\ud800" <= c <= "\udfff" for m in messages for c in m):
        return  # a lone surrogate is escaped on the way out, not UTF-8: no round trip
    frame = same("encode", *(path.encode_messages(messages) for path in PATHS))
    assert PATHS[0].decode_messages(frame[1:]) == messages


if __name__ == "__main__":
    harness.main(test_one_input)
