"""SockJS frame encoding on arbitrary text: quote, encode_messages, encode_close and the
transport wrappers (eventsource, htmlfile, jsonp).

Input: 1 control byte (how to read the rest as text), then the text's bytes, read as
UTF-16 or UTF-8 with lone surrogates allowed, as Latin-1, or 3 bytes a code point over
the whole range, and split into messages at NUL.  Checked: both paths give the same
bytes; the frame is ASCII-safe JSON that reads back to the messages (lone surrogates
and astral characters included); the wrappers' bytes are the same on both paths, and
htmlfile/jsonp refuse a frame that is not UTF-8 the same way.
"""

import json

import harness
from harness import BUFFER_TYPES, PATHS, allowed, outcome, same


def text_of(control, raw):
    how = control & 3
    if how == 0:
        return raw.decode("utf-16-le", "surrogatepass") if len(raw) % 2 == 0 else raw.decode("latin-1")
    if how == 1:
        return raw.decode("utf-8", "surrogatepass") if _utf8(raw) else raw.decode("latin-1")
    if how == 2:
        return raw.decode("latin-1")
    return "".join(chr(int.from_bytes(raw[i:i + 3], "little") % 0x110000)
                   for i in range(0, len(raw) - 2, 3))


def utf16(value):
    """What a JavaScript client holds: UTF-16 code units (a high and a low surrogate
    written apart read back as the one astral character they spell, as in JS)."""
    if isinstance(value, list):
        return [utf16(item) for item in value]
    return value.encode("utf-16-le", "surrogatepass") if isinstance(value, str) else value


def _utf8(raw):
    try:
        raw.decode("utf-8", "surrogatepass")
        return True
    except UnicodeDecodeError:
        return False


def test_one_input(data):
    if not data:
        return
    control, raw = data[0], data[1:]
    text = text_of(control, raw)
    messages = text.split("\x00") if control & 4 else [text]
    container = tuple(messages) if control & 8 else messages
    frame = same("encode_messages", *(outcome(path.encode_messages, container) for path in PATHS))
    assert frame[0] == "ok", frame
    frame = frame[1]
    assert frame.startswith(b"a[") and frame.endswith(b"]")
    assert utf16(json.loads(frame[1:].decode("ascii" if frame.isascii() else "utf-8"))) \
        == utf16(messages)
    quoted = same("quote", *(path.quote(text) for path in PATHS))
    assert utf16(json.loads(quoted)) == utf16(text)
    # (the close frame is protocol.frames.encode_close: quote() of its reason, on each path)
    close = same("encode_close", *(("c[%d,%s]" % (3000 + control, path.quote(text))).encode("utf-8")
                                   for path in PATHS))
    assert utf16(json.loads(close[1:].decode("utf-8"))) == utf16([3000 + control, text])
    # The wrappers take frame bytes: the encoded frame, and the raw input as it is.
    for payload in (frame, raw):
        kind = BUFFER_TYPES[(control >> 4) % 3]
        same("eventsource", *(path.wrap_eventsource(kind(payload)) for path in PATHS))
        same("htmlfile", *(allowed(outcome(path.wrap_htmlfile, kind(payload)), UnicodeDecodeError)
                           for path in PATHS))
        same("jsonp", *(allowed(outcome(path.wrap_jsonp, b"cb_1", kind(payload)), UnicodeDecodeError)
                        for path in PATHS))


if __name__ == "__main__":
    harness.main(test_one_input)
