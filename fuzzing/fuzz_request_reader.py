"""The incremental request reader (txsockjs.protocol.http.RequestReader: the kernel
twins httpreader_py and httpreader_c).

Input: 2 control bytes (limits, split seed), then the bytes a client sends on one
connection.  The stream is fed in random splits, taking every request out after each
feed, once with each kernel path's reader (the pure one with the pure head parser, the
compiled one with the compiled parser).  Checked: only HTTPError escapes, with a status
the reader documents; both kernel paths give the same requests and error; the splits
change nothing (one feed of the whole stream gives the same); no body is over max_body.
"""

import random

import harness
from harness import PATHS, HTTPError

STATUSES = (400, 413, 414, 431, 501, 505)


def read_all(reader_class, limits, chunks):
    reader = reader_class(**limits)
    seen = []
    try:
        for chunk in chunks:
            reader.feed(chunk)
            while True:
                request = reader.next_request()
                if request is None:
                    break
                seen.append((request.method, request.target, request.path, request.query,
                             request.minor, request.headers, request.body, request.keep_alive))
                assert len(request.body) <= limits["max_body"]
    except HTTPError as error:
        assert error.status in STATUSES, error
        return seen, ("error", error.status, error.reason)
    return seen, ("ok", reader.buffered)


def test_one_input(data):
    if len(data) < 2:
        return
    control, stream = data[0], data[2:]
    limits = {"max_body": (0, 5, 100, 1 << 20)[control & 3],
              "max_head": (64, 1024, 64 * 1024)[(control >> 2) % 3],
              "max_request_line": (16, 8192)[control >> 7]}
    rng = random.Random(data[1])
    chunks, pos = [], 0
    while pos < len(stream):
        step = rng.choice((1, 2, 5, 17, len(stream)))
        chunks.append(stream[pos:pos + step])
        pos += step
    split = harness.same("kernel paths", *(read_all(path.RequestReader, limits, chunks)
                                           for path in PATHS))
    whole = read_all(PATHS[1].RequestReader, limits, [stream])
    if split[1][0] == whole[1][0] == "ok":
        harness.same("splits", whole, split)
    else:  # an error may come earlier on a split stream (a bad request line, early)
        assert split[0] == whole[0][:len(split[0])] or whole[0] == split[0][:len(whole[0])]


if __name__ == "__main__":
    harness.main(test_one_input)
