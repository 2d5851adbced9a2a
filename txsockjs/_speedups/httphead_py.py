"""Strict HTTP/1.x request-head parsing, pure-Python twin of ``httphead_c``.

Strict on purpose (lenient parsers are how request smuggling happens): one
space between the request-line parts, token method and header names, no
whitespace before a colon, no obsolete line folding, no control characters
in values, and only HTTP/1.0 or HTTP/1.1.  Lines may end in CRLF or a bare
LF (as RFC 9112 section 2.2 allows a recipient to accept); a bare CR is an
error.
"""

import re
from typing import Dict, Tuple

from txsockjs._speedups.buffers import BytesLike
from txsockjs._speedups.kernelerrors import HTTPError

MAX_HEADERS = 100

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_TARGET = re.compile(rb"[\x21-\x7e]+\Z")
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])\Z")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def find_head_end(buf: BytesLike, start: int = 0) -> Tuple[int, int]:
    """Where the first blank line at or after ``start`` (``\\r?\\n\\r?\\n``)
    begins and ends in ``buf``, or (-1, -1): the head is ``buf[:begin]`` and
    what follows it starts at ``end``.  (A match starts at ``start`` or
    after, as a regular expression's search from ``start`` would.)"""
    start = max(start, 0)
    data = buf if isinstance(buf, (bytes, bytearray)) else bytes(buf)
    blank = data.find(b"\n\r\n", start)
    bare = data.find(b"\n\n", start, None if blank < 0 else blank + 1)
    if bare >= 0:
        blank, end = bare, bare + 2
    elif blank >= 0:
        end = blank + 3
    else:
        return -1, -1
    # (the blank line starts with the last header line's "\r\n" or "\n")
    return (blank - 1 if blank > start and data[blank - 1] == 13 else blank), end


def parse_request_head(head: BytesLike, max_headers: int = MAX_HEADERS
                       ) -> Tuple[str, str, int, Dict[str, str]]:
    """Parse the bytes of a request head, without the final empty line.

    Returns ``(method, target, minor_version, headers)``: ``method`` and
    ``target`` as str, ``minor_version`` 0 or 1, ``headers`` a dict of
    lower-case name to value (str, latin-1); repeated headers are joined with
    ", " (``Cookie`` fields with "; ").  Raises :class:`HTTPError` with the status to answer.
    """
    lines = bytes(head).split(b"\n")
    request_line = lines[0]
    if request_line.endswith(b"\r"):
        request_line = request_line[:-1]
    parts = request_line.split(b" ")
    if len(parts) != 3:
        raise HTTPError(400, "Malformed request line")
    method, target, version = parts
    if _TOKEN.match(method) is None:
        raise HTTPError(400, "Malformed method")
    if _TARGET.match(target) is None:
        raise HTTPError(400, "Malformed request target")
    found = _VERSION.match(version)
    if found is None:
        raise HTTPError(400, "Malformed HTTP version")
    if found.group(1) != b"1" or found.group(2) not in (b"0", b"1"):
        raise HTTPError(505, "HTTP version not supported")
    minor = 1 if found.group(2) == b"1" else 0

    headers: Dict[str, str] = {}
    count = 0
    for index in range(1, len(lines)):
        line = lines[index]
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            if index == len(lines) - 1:
                break
            raise HTTPError(400, "Empty header line")
        count += 1
        if count > max_headers:
            raise HTTPError(431, "Too many header fields")
        colon = line.find(b":")
        if colon <= 0:
            raise HTTPError(400, "Malformed header line")
        name = line[:colon]
        if _TOKEN.match(name) is None:
            raise HTTPError(400, "Malformed header name")
        value = line[colon + 1:].strip(b" \t")
        if _BAD_VALUE.search(value) is not None:
            raise HTTPError(400, "Invalid character in header value")
        key = name.decode("ascii").lower()
        text = value.decode("latin-1")
        if key in headers:
            if key in ("content-length", "host", "transfer-encoding") and headers[key] != text:
                raise HTTPError(400, "Conflicting %s headers" % key)
            if key not in ("content-length", "host"):
                # Cookie fields are ';'-separated pairs (RFC 6265 5.4)
                headers[key] = headers[key] + ("; " if key == "cookie" else ", ") + text
        else:
            headers[key] = text
    return method.decode("ascii"), target.decode("ascii"), minor, headers
