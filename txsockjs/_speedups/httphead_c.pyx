# cython: language_level=3, binding=False, boundscheck=False, wraparound=False, cdivision=True
"""Strict HTTP/1.x request-head parsing, compiled twin of ``httphead_py.py``.

One pass over the bytes with table lookups, checking the lines in the same
order as the twin so that a head with several faults fails on the same one.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem, PyDict_SetItem
from cpython.unicode cimport PyUnicode_DecodeLatin1
from cpython.ref cimport PyObject
from libc.string cimport memchr

from txsockjs._speedups.kernelerrors import HTTPError

cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void *PyUnicode_DATA(object)

MAX_HEADERS = 100

# 1: token character (RFC 9110 tchar).
cdef unsigned char TOKEN[256]
# 1: byte forbidden in a header value (controls but HT, and DEL).
cdef unsigned char BAD_VALUE[256]
# lower-case ASCII.
cdef unsigned char LOWER[256]


cdef void _init_tables():
    cdef int c
    for c in range(256):
        TOKEN[c] = 0
        BAD_VALUE[c] = 1 if ((c <= 0x08) or (0x0a <= c <= 0x1f) or c == 0x7f) else 0
        LOWER[c] = c + 32 if (0x41 <= c <= 0x5a) else c
    for c in b"!#$%&'*+-.^_`|~0123456789":
        TOKEN[c] = 1
    for c in range(ord("A"), ord("Z") + 1):
        TOKEN[c] = 1
        TOKEN[c + 32] = 1

_init_tables()


cdef inline str _ascii(const unsigned char *p, Py_ssize_t n, bint lower):
    cdef str text = PyUnicode_New(n, 127)
    cdef unsigned char *out = <unsigned char *>PyUnicode_DATA(text)
    cdef Py_ssize_t i
    if lower:
        for i in range(n):
            out[i] = LOWER[p[i]]
    else:
        for i in range(n):
            out[i] = p[i]
    return text


cdef tuple _parse(const unsigned char *p, Py_ssize_t n, Py_ssize_t max_headers):
    cdef const unsigned char *eol
    cdef Py_ssize_t line_end, rl_end, sp1, sp2, i, pos, end, colon, vstart, vend
    cdef Py_ssize_t count = 0
    cdef bint last
    cdef int minor
    cdef dict headers
    cdef str key, text
    cdef object old
    cdef PyObject *found

    eol = <const unsigned char *>memchr(p, b'\n', <size_t>n)
    line_end = (eol - p) if eol != NULL else n
    rl_end = line_end
    if rl_end > 0 and p[rl_end - 1] == b'\r':
        rl_end -= 1
    sp1 = -1
    sp2 = -1
    for i in range(rl_end):
        if p[i] == b' ':
            if sp1 < 0:
                sp1 = i
            elif sp2 < 0:
                sp2 = i
            else:
                raise HTTPError(400, "Malformed request line")
    if sp2 < 0:
        raise HTTPError(400, "Malformed request line")
    if sp1 == 0:
        raise HTTPError(400, "Malformed method")
    for i in range(sp1):
        if not TOKEN[p[i]]:
            raise HTTPError(400, "Malformed method")
    if sp2 == sp1 + 1:
        raise HTTPError(400, "Malformed request target")
    for i in range(sp1 + 1, sp2):
        if p[i] < 0x21 or p[i] > 0x7e:
            raise HTTPError(400, "Malformed request target")
    i = sp2 + 1
    if (rl_end - i != 8 or p[i] != b'H' or p[i + 1] != b'T' or p[i + 2] != b'T'
            or p[i + 3] != b'P' or p[i + 4] != b'/' or p[i + 6] != b'.'
            or not (b'0' <= p[i + 5] <= b'9') or not (b'0' <= p[i + 7] <= b'9')):
        raise HTTPError(400, "Malformed HTTP version")
    if p[i + 5] != b'1' or (p[i + 7] != b'0' and p[i + 7] != b'1'):
        raise HTTPError(505, "HTTP version not supported")
    minor = 1 if p[i + 7] == b'1' else 0
    method = _ascii(p, sp1, False)
    target = _ascii(p + sp1 + 1, sp2 - sp1 - 1, False)

    headers = {}
    if eol == NULL:
        return method, target, minor, headers
    pos = line_end + 1
    while True:
        eol = <const unsigned char *>memchr(p + pos, b'\n', <size_t>(n - pos))
        if eol == NULL:
            last = True
            end = n
        else:
            last = False
            end = eol - p
        line_end = end
        if end > pos and p[end - 1] == b'\r':
            end -= 1
        if end == pos:
            if last:
                break
            raise HTTPError(400, "Empty header line")
        count += 1
        if count > max_headers:
            raise HTTPError(431, "Too many header fields")
        colon = -1
        for i in range(pos, end):
            if p[i] == b':':
                colon = i
                break
        if colon <= pos:
            raise HTTPError(400, "Malformed header line")
        for i in range(pos, colon):
            if not TOKEN[p[i]]:
                raise HTTPError(400, "Malformed header name")
        vstart = colon + 1
        vend = end
        while vstart < vend and (p[vstart] == b' ' or p[vstart] == b'\t'):
            vstart += 1
        while vend > vstart and (p[vend - 1] == b' ' or p[vend - 1] == b'\t'):
            vend -= 1
        for i in range(vstart, vend):
            if BAD_VALUE[p[i]]:
                raise HTTPError(400, "Invalid character in header value")
        key = _ascii(p + pos, colon - pos, True)
        text = PyUnicode_DecodeLatin1(<char *>(p + vstart), vend - vstart, NULL)
        found = PyDict_GetItem(headers, key)
        if found == NULL:
            PyDict_SetItem(headers, key, text)
        else:
            old = <object>found
            if key in ("content-length", "host", "transfer-encoding") and old != text:
                raise HTTPError(400, "Conflicting %s headers" % key)
            if key != "content-length" and key != "host":
                # Cookie fields are ';'-separated pairs (RFC 6265 5.4)
                PyDict_SetItem(headers, key, old + ("; " if key == "cookie" else ", ") + text)
        if last:
            break
        pos = line_end + 1
    return method, target, minor, headers


cdef Py_ssize_t _find_head_end(const unsigned char *p, Py_ssize_t n, Py_ssize_t start,
                               Py_ssize_t *begin) noexcept:
    # find_head_end on n bytes at p: the end (and *begin), or -1
    cdef const unsigned char *nl
    cdef Py_ssize_t i, j
    if start < 0:
        start = 0
    i = start
    while i < n:
        nl = <const unsigned char *>memchr(p + i, b'\n', <size_t>(n - i))
        if nl == NULL:
            break
        i = nl - p
        j = i + 1
        if j < n and p[j] == b'\r':
            j += 1
        if j < n and p[j] == b'\n':
            begin[0] = i - 1 if i > start and p[i - 1] == b'\r' else i
            return j + 1
        i += 1
    return -1


def find_head_end(buf, Py_ssize_t start=0):
    """Where the first blank line at or after ``start`` (``\\r?\\n\\r?\\n``)
    begins and ends in ``buf``, or (-1, -1): the head is ``buf[:begin]`` and
    what follows it starts at ``end``.  (A match starts at ``start`` or
    after, as a regular expression's search from ``start`` would.)"""
    cdef Py_buffer view
    cdef Py_ssize_t begin = -1, end
    PyObject_GetBuffer(buf, &view, PyBUF_SIMPLE)
    try:
        end = _find_head_end(<const unsigned char *>view.buf, view.len, start, &begin)
    finally:
        PyBuffer_Release(&view)
    if end < 0:
        return -1, -1
    return begin, end


def parse_request_head(head, max_headers=MAX_HEADERS):
    """Parse the bytes of a request head, without the final empty line.

    Returns ``(method, target, minor_version, headers)``: ``method`` and
    ``target`` as str, ``minor_version`` 0 or 1, ``headers`` a dict of
    lower-case name to value (str, latin-1); repeated headers are joined with
    ", " (``Cookie`` fields with "; ").  Raises :class:`HTTPError` with the status to answer.
    """
    cdef Py_buffer view
    cdef Py_ssize_t limit = max_headers
    if PyBytes_CheckExact(head):
        return _parse(<const unsigned char *>PyBytes_AS_STRING(head),
                      PyBytes_GET_SIZE(head), limit)
    PyObject_GetBuffer(head, &view, PyBUF_SIMPLE)
    try:
        return _parse(<const unsigned char *>view.buf, view.len, limit)
    finally:
        PyBuffer_Release(&view)
