"""HTTP responses: Response.send, error, start_streaming/write/finish, head_lines.

Input: 1 control byte (bit 0: HTTP/1.0, bit 1: keep-alive, bit 2: a HEAD request; bits
3-4: send, error (closing when bit 5), or a stream; bits 6-7: how many header fields),
2 bytes of status (100-599), then the header values and the body separated by NUL (a value
is read as latin-1; the last field is the body, and for a stream it is split into pieces
at 0x01).  Checked: both paths tell their channel the same things in the same order, byte
for byte (the compiled twin joins the head, its Content-Length and the body in C); a
complete response ends its head as the request asks (close, keep-alive), its
Content-Length is its body's length (101, 204 and 304 carry neither), and only a HEAD
request's response leaves the body out.
"""

import harness
from harness import PATHS, same

NAMES = ("Content-Type", "Set-Cookie", "Access-Control-Allow-Origin")


class Request(object):
    def __init__(self, minor, keep_alive, method):
        self.minor, self.keep_alive, self.method = minor, keep_alive, method


class Errors(object):
    def __init__(self, calls):
        self.calls = calls

    def count(self, status):
        self.calls.append(("error", status))


class Channel(object):
    def __init__(self):
        self.calls = []
        self.site = self
        self.http_errors = Errors(self.calls)

    def write(self, data):
        self.calls.append(("write", data))

    def write_whole_response(self, data):
        self.calls.append(("whole", data))

    def response_finished(self, response, close):
        self.calls.append(("finished", close))


def answer(path, control, how, status, headers, body):
    request = Request(0 if control & 1 else 1, bool(control & 2),
                      "HEAD" if control & 4 else "POST")
    channel = Channel()
    response = path.Response(channel, request)
    if how == 0:
        response.send(status, headers, body)
    elif how == 1:
        response.error(status, body.decode("latin-1"), headers, close=bool(control & 32))
    else:
        response.start_streaming(status, headers)
        for piece in body.split(b"\x01"):
            response.write(piece)
        response.finish()
    return channel.calls, response.started, response.finished


def check_complete(control, how, status, body, calls):
    sent = body if how == 0 else (body.decode("latin-1").encode("utf-8") + b"\n" if body else b"")
    if not control & 2 or (how == 1 and control & 32):
        end = b"Connection: close\r\n\r\n"
    elif control & 1:
        end = b"Connection: keep-alive\r\n\r\n"
    else:
        end = b"\r\n"
    whole = [call[1] for call in calls if call[0] == "whole"]
    assert len(whole) == 1, calls
    # (no header value holds CR or LF: the first blank line ends the head)
    head, _, rest = whole[0].partition(b"\r\n\r\n")
    assert (head + b"\r\n\r\n").endswith(end), calls
    if status in (101, 204, 304):
        assert b"\r\nContent-Length: " not in head and rest == b"", calls
    else:
        length = int(head.rsplit(b"\r\nContent-Length: ", 1)[1].split(b"\r\n", 1)[0])
        assert length == len(sent) and rest == (b"" if control & 4 else sent), calls


def test_one_input(data):
    if len(data) < 3:
        return
    control, how = data[0], (data[0] >> 3) & 3
    status = 100 + int.from_bytes(data[1:3], "big") % 500
    fields = data[3:].split(b"\x00")
    count = min(control >> 6, len(fields) - 1)
    # (no CR or LF in a value: the request parser refuses them in what a client sends, and
    # the other values the server writes are its own)
    headers = [(NAMES[i % 3], fields[i].replace(b"\r", b" ").replace(b"\n", b" ")
                .decode("latin-1")) for i in range(count)]
    body = b"\x00".join(fields[count:])
    calls, started, finished = same(
        "response", *(answer(path, control, how, status, headers, body) for path in PATHS))
    assert started and finished, calls
    if how < 2:
        check_complete(control, how, status, body, calls)


if __name__ == "__main__":
    harness.main(test_one_input)
