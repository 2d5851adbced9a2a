"""HTTP request heads: parse_request_head.

Input: 1 control byte (max_headers, buffer type), then the head.  Checked: the result is
(method, target, minor, headers) of the documented types, or HTTPError 400/431/505; both
paths agree on which, and on every field.
"""

import harness
from harness import BUFFER_TYPES, PATHS, HTTPError, allowed, outcome, same


def test_one_input(data):
    if not data:
        return
    limit, kind, head = data[0] & 0x3F, BUFFER_TYPES[(data[0] >> 6) % 3], data[1:]
    result = same("head", *(allowed(outcome(path.parse_request_head, kind(head), limit), HTTPError)
                            for path in PATHS))
    if result[0] == "error":
        assert result[2] in (400, 431, 505), result
        return
    method, target, minor, headers = result[1]
    assert minor in (0, 1) and type(method) is str and type(target) is str
    assert len(headers) <= limit and all(k == k.lower() for k in headers)


if __name__ == "__main__":
    harness.main(test_one_input)
