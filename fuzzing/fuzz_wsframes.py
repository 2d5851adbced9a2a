"""WebSocket frame parser (FrameParser.feed, partial_payload) and build_frame.

Input: 3 control bytes (parser options, split seed), then the byte stream from the peer.
The stream is fed to both kernels in the same random splits and buffer types; checked:
only WebSocketError escapes; both paths give the same frames, errors and partial
payloads after every feed; the frames do not depend on the splits; no payload is over
max_payload; build_frame's output parses back to what it was given.
"""

import random
import sys

import harness
from harness import BUFFER_TYPES, PATHS, WebSocketError, allowed, as_buffer, outcome, same

# Where partial_payload starts: mostly small, sometimes far past anything buffered.
STARTS = (-1, 0, 3, 125, 1 << 31, 1 << 62, sys.maxsize - 13, sys.maxsize)
LIMITS = (0, 1, 125, 126, 127, 65535, 65536, 1 << 20, (1 << 63) - 1, 1 << 64, -1)


def run(parser_class, options, chunks):
    """Everything one parser says about the stream: per feed, its outcome and state."""
    parser = parser_class(**options)
    said = []
    for kind, chunk in chunks:
        result = allowed(outcome(parser.feed, as_buffer(kind, chunk)), WebSocketError)
        if result[0] == "error":  # (the parser's state after an error is unspecified)
            said.append((result, None, None))
            break
        start = STARTS[len(chunk) % len(STARTS)] if chunk[:1] == b"\xff" else len(chunk) % 7
        said.append((result, parser.buffered, parser.partial_payload(start)))
    return said


def frames_of(said):
    frames = []
    for (result, _, _) in said:
        frames += result[1] if result[0] == "ok" else result[4]
    return frames, said[-1][0][:4] if said and said[-1][0][0] == "error" else None


def test_one_input(data):
    if len(data) < 3:
        return
    control, seed, stream = data[0], data[1:3], data[3:]
    options = {"max_payload": LIMITS[control % len(LIMITS)],
               "require_mask": bool(control & 0x40), "allow_binary": bool(control & 0x80)}
    rng = random.Random(seed)
    chunks, pos = [], 0
    while pos < len(stream):
        step = rng.choice((1, 2, 3, 7, 64, len(stream)))
        chunks.append((rng.choice(BUFFER_TYPES), stream[pos:pos + step]))
        pos += step
    said = same("feed", *(run(path.FrameParser, options, chunks) for path in PATHS))
    # The splits change nothing: one feed of the whole stream gives the same frames.
    whole = same("whole", *(run(path.FrameParser, options, [(bytes, stream)]) for path in PATHS))
    same("splits", frames_of(whole), frames_of(said))
    frames, _ = frames_of(said)
    for fin, opcode, payload in frames:
        limit = options["max_payload"]
        assert limit >= 0 and len(payload) <= limit, (limit, len(payload))
        assert opcode in (0, 1, 2, 8, 9, 10) and type(payload) is bytes
        # build_frame on what was parsed: the unmasked frame parses back to the same.
        built = same("build_frame", *(outcome(path.build_frame, opcode, payload, fin)
                                      for path in PATHS))[1]
        back = PATHS[1].FrameParser(max_payload=1 << 64, require_mask=False).feed(built)
        assert back == [(fin, opcode, payload)], (back, fin, opcode)


if __name__ == "__main__":
    harness.main(test_one_input)
