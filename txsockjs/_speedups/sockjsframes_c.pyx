# cython: language_level=3, binding=False, boundscheck=False, wraparound=False, cdivision=True
"""SockJS frame encoding and client-body decoding, compiled twin of
``sockjsframes_py.py`` (see there for the escaping rules).

The encoder reads the str objects' own storage (1, 2 or 4 bytes a code
point) and writes UTF-8 into one preallocated ``bytes``: a first pass sizes
the output (for ASCII text, a vectorisable scan that usually proves there is
nothing to escape, and the text is then copied with ``memcpy``), a second
pass writes it.  Anything that is not a str goes through the pure twin, so
the two stay identical for every input.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport (PyBytes_AS_STRING, PyBytes_CheckExact,
                            PyBytes_FromStringAndSize, PyBytes_GET_SIZE)
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_CheckExact
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport Py_INCREF, PyObject
from libc.stdint cimport uint8_t, uint16_t, uint32_t
from libc.string cimport memcpy

from txsockjs._speedups import sockjsframes_py as _py
from txsockjs._speedups.kernelerrors import PayloadError

cdef extern from "Python.h":
    int PyUnicode_KIND(object)
    void *PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    bint PyUnicode_IS_ASCII(object)
    bint PyUnicode_Check(object)
    bint PyUnicode_CheckExact(object)
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    object PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)
    bint PyList_CheckExact(object)
    Py_ssize_t PyByteArray_GET_SIZE(object)
    bint PyTuple_CheckExact(object)
    Py_ssize_t PyList_GET_SIZE(object)
    Py_ssize_t PyTuple_GET_SIZE(object)
    PyObject *PySequence_Fast_GET_ITEM(object, Py_ssize_t)

_loads = _py._loads

cdef const char *HEX = b"0123456789abcdef"

# Extra output bytes for an ASCII code point (0 = copied as is); [1] adds
# the HTML-unsafe <, > and & (escaped as \u003c... inside <script>).
cdef uint8_t EXTRA[2][128]
# For 2-character escapes, the letter after the backslash; 0 means \u00XX.
cdef char SHORT[128]


cdef void _init_tables():
    cdef int c, h
    for h in range(2):
        for c in range(128):
            EXTRA[h][c] = 0
    for c in range(128):
        SHORT[c] = 0
    for c in range(32):
        EXTRA[0][c] = 5
    for c, letter in ((8, 98), (9, 116), (10, 110), (12, 102), (13, 114),
                      (0x22, 0x22), (0x5c, 0x5c)):
        EXTRA[0][c] = 1
        SHORT[c] = letter
    for c in range(128):
        EXTRA[1][c] = EXTRA[0][c]
    for c in (0x3c, 0x3e, 0x26):
        EXTRA[1][c] = 5

_init_tables()


cdef inline bint _escapable(uint32_t c) noexcept nogil:
    """A BMP code point >= 0x800 written as a \\uXXXX escape."""
    if c < 0x200c:
        return False
    if c <= 0x206f:
        return c <= 0x200f or 0x2028 <= c <= 0x202f or c >= 0x2060
    return (0xd800 <= c <= 0xdfff) or c >= 0xfff0


cdef inline Py_ssize_t _size_ascii(const uint8_t *d, Py_ssize_t n, int html) noexcept nogil:
    """Escaped length of n ASCII bytes."""
    cdef Py_ssize_t i, total = n
    cdef uint8_t flag = 0, c
    if not html:
        # Vectorisable: is there anything at all to escape?
        for i in range(n):
            c = d[i]
            flag |= (c < 0x20) | (c == 0x22) | (c == 0x5c)
        if not flag:
            return n
    for i in range(n):
        total += EXTRA[html][d[i]]
    return total


cdef inline Py_ssize_t _size(object s, int html) noexcept:
    """Escaped UTF-8 length of the str s, without the quotes."""
    cdef int kind = PyUnicode_KIND(s)
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(s), i, total
    cdef const uint8_t *d1
    cdef const uint16_t *d2
    cdef const uint32_t *d4
    cdef uint32_t c
    if kind == 1:
        d1 = <const uint8_t *>PyUnicode_DATA(s)
        if PyUnicode_IS_ASCII(s):
            return _size_ascii(d1, n, html)
        total = n
        for i in range(n):
            c = d1[i]
            if c < 0x80:
                total += EXTRA[html][c]
            else:
                total += 1
        return total
    total = 0
    if kind == 2:
        d2 = <const uint16_t *>PyUnicode_DATA(s)
        for i in range(n):
            c = d2[i]
            if c < 0x80:
                total += 1 + EXTRA[html][c]
            elif c < 0x800:
                total += 2
            elif _escapable(c):
                total += 6
            else:
                total += 3
        return total
    d4 = <const uint32_t *>PyUnicode_DATA(s)
    for i in range(n):
        c = d4[i]
        if c < 0x80:
            total += 1 + EXTRA[html][c]
        elif c < 0x800:
            total += 2
        elif c > 0xffff:
            total += 12
        elif _escapable(c):
            total += 6
        else:
            total += 3
    return total


cdef inline uint8_t *_write_u(uint8_t *o, uint32_t c) noexcept nogil:
    o[0] = b'\\'
    o[1] = b'u'
    o[2] = HEX[(c >> 12) & 0xF]
    o[3] = HEX[(c >> 8) & 0xF]
    o[4] = HEX[(c >> 4) & 0xF]
    o[5] = HEX[c & 0xF]
    return o + 6


cdef inline uint8_t *_write_ascii(uint8_t *o, uint32_t c, int html) noexcept nogil:
    if not EXTRA[html][c]:
        o[0] = <uint8_t>c
        return o + 1
    if SHORT[c]:
        o[0] = b'\\'
        o[1] = SHORT[c]
        return o + 2
    return _write_u(o, c)


cdef inline uint8_t *_write(uint8_t *o, object s, Py_ssize_t size, int html) noexcept:
    """Write the escaped UTF-8 of s (whose _size is size); return the end."""
    cdef int kind = PyUnicode_KIND(s)
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(s), i
    cdef const uint8_t *d1
    cdef const uint16_t *d2
    cdef const uint32_t *d4
    cdef uint32_t c
    if kind == 1:
        d1 = <const uint8_t *>PyUnicode_DATA(s)
        if size == n and PyUnicode_IS_ASCII(s):
            memcpy(o, d1, <size_t>n)
            return o + n
        for i in range(n):
            c = d1[i]
            if c < 0x80:
                o = _write_ascii(o, c, html)
            else:
                o[0] = <uint8_t>(0xc0 | (c >> 6))
                o[1] = <uint8_t>(0x80 | (c & 0x3f))
                o += 2
        return o
    if kind == 2:
        d2 = <const uint16_t *>PyUnicode_DATA(s)
        for i in range(n):
            c = d2[i]
            if c < 0x80:
                o = _write_ascii(o, c, html)
            elif c < 0x800:
                o[0] = <uint8_t>(0xc0 | (c >> 6))
                o[1] = <uint8_t>(0x80 | (c & 0x3f))
                o += 2
            elif _escapable(c):
                o = _write_u(o, c)
            else:
                o[0] = <uint8_t>(0xe0 | (c >> 12))
                o[1] = <uint8_t>(0x80 | ((c >> 6) & 0x3f))
                o[2] = <uint8_t>(0x80 | (c & 0x3f))
                o += 3
        return o
    d4 = <const uint32_t *>PyUnicode_DATA(s)
    for i in range(n):
        c = d4[i]
        if c < 0x80:
            o = _write_ascii(o, c, html)
        elif c < 0x800:
            o[0] = <uint8_t>(0xc0 | (c >> 6))
            o[1] = <uint8_t>(0x80 | (c & 0x3f))
            o += 2
        elif c > 0xffff:
            c -= 0x10000
            o = _write_u(o, 0xd800 | (c >> 10))
            o = _write_u(o, 0xdc00 | (c & 0x3ff))
        elif _escapable(c):
            o = _write_u(o, c)
        else:
            o[0] = <uint8_t>(0xe0 | (c >> 12))
            o[1] = <uint8_t>(0x80 | ((c >> 6) & 0x3f))
            o[2] = <uint8_t>(0x80 | (c & 0x3f))
            o += 3
    return o


cdef bytes _quoted(object s, int html, bytes prefix, bytes suffix):
    """prefix + '"' + escaped s + '"' + suffix, in one allocation."""
    cdef Py_ssize_t size = _size(s, html)
    cdef Py_ssize_t lp = PyBytes_GET_SIZE(prefix), ls = PyBytes_GET_SIZE(suffix)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, lp + size + 2 + ls)
    cdef uint8_t *o = <uint8_t *>PyBytes_AS_STRING(out)
    memcpy(o, PyBytes_AS_STRING(prefix), <size_t>lp)
    o += lp
    o[0] = b'"'
    o = _write(o + 1, s, size, html)
    o[0] = b'"'
    memcpy(o + 1, PyBytes_AS_STRING(suffix), <size_t>ls)
    return out


def quote(text):
    """``text`` as a JSON string literal with the SockJS escaping, as str."""
    if not PyUnicode_Check(text):
        return _py.quote(text)
    cdef bytes raw = _quoted(text, 0, b"", b"")
    return PyUnicode_DecodeUTF8(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), NULL)


cdef enum:
    STACK_SIZES = 32


def encode_messages(messages):
    """The ``a[...]`` frame carrying ``messages`` (a sequence of str), as bytes."""
    cdef Py_ssize_t count, i, total
    cdef Py_ssize_t stack[STACK_SIZES]
    cdef Py_ssize_t *sizes = stack
    cdef object item
    cdef bytes out
    cdef uint8_t *o
    if not (PyList_CheckExact(messages) or PyTuple_CheckExact(messages)):
        messages = list(messages)
    if PyList_CheckExact(messages):
        count = PyList_GET_SIZE(messages)
    else:
        count = PyTuple_GET_SIZE(messages)
    if count > STACK_SIZES:
        sizes = <Py_ssize_t *>PyMem_Malloc(count * sizeof(Py_ssize_t))
        if sizes == NULL:
            raise MemoryError()
    try:
        total = 3 + (count - 1 if count else 0)
        for i in range(count):
            item = <object>PySequence_Fast_GET_ITEM(messages, i)
            if not PyUnicode_Check(item):
                return _py.encode_messages(messages)
            sizes[i] = _size(item, 0)
            total += sizes[i] + 2
        out = PyBytes_FromStringAndSize(NULL, total)
        o = <uint8_t *>PyBytes_AS_STRING(out)
        o[0] = b'a'
        o[1] = b'['
        o += 2
        for i in range(count):
            item = <object>PySequence_Fast_GET_ITEM(messages, i)
            if i:
                o[0] = b','
                o += 1
            o[0] = b'"'
            o = _write(o + 1, item, sizes[i], 0)
            o[0] = b'"'
            o += 1
        o[0] = b']'
        return out
    finally:
        if sizes != stack:
            PyMem_Free(sizes)


def wrap_eventsource(frame):
    """``data: <frame>\\r\\n\\r\\n``; the client decodeURI()s each line, so
    ``%``, CR, LF and NUL are percent-encoded."""
    cdef Py_buffer view
    cdef const uint8_t *d
    cdef Py_ssize_t n, i, extra = 0
    cdef uint8_t c
    cdef bytes out
    cdef uint8_t *o
    PyObject_GetBuffer(frame, &view, PyBUF_SIMPLE)
    try:
        d = <const uint8_t *>view.buf
        n = view.len
        for i in range(n):
            c = d[i]
            if c == b'%' or c == b'\r' or c == b'\n' or c == 0:
                extra += 2
        out = PyBytes_FromStringAndSize(NULL, 6 + n + extra + 4)
        o = <uint8_t *>PyBytes_AS_STRING(out)
        memcpy(o, b"data: ", 6)
        o += 6
        if not extra:
            memcpy(o, d, <size_t>n)
            o += n
        else:
            for i in range(n):
                c = d[i]
                if c == b'%' or c == b'\r' or c == b'\n' or c == 0:
                    o[0] = b'%'
                    o[1] = HEX[c >> 4] if c != b'\r' else b'0'
                    o[2] = b'D' if c == b'\r' else (b'A' if c == b'\n' else HEX[c & 0xF])
                    o += 3
                else:
                    o[0] = c
                    o += 1
        memcpy(o, b"\r\n\r\n", 4)
    finally:
        PyBuffer_Release(&view)
    return out


cdef object _frame_text(frame):
    if PyBytes_CheckExact(frame):
        return (<bytes>frame).decode("utf-8")
    return bytes(frame).decode("utf-8")


def wrap_htmlfile(frame):
    """One ``<script>`` block calling ``p()``; the frame cannot end the block."""
    return _quoted(_frame_text(frame), 1, b"<script>\np(", b");\n</script>\r\n")


def wrap_jsonp(callback, frame):
    """``/**/callback("<frame>");``; ``callback`` is validated ASCII bytes."""
    prefix = b"/**/" + callback + b"("
    return _quoted(_frame_text(frame), 1, prefix, b");\r\n")


cdef inline Py_ssize_t _skip_ws(const uint8_t *d, Py_ssize_t i, Py_ssize_t n) noexcept:
    while i < n and (d[i] == b' ' or d[i] == b'\t' or d[i] == b'\n' or d[i] == b'\r'):
        i += 1
    return i


cdef inline int _hex_digit(uint8_t c) noexcept:
    if 0x30 <= c <= 0x39:  # 0-9
        return c - 0x30
    if 0x61 <= c <= 0x66:  # a-f
        return c - 0x61 + 10
    if 0x41 <= c <= 0x46:  # A-F
        return c - 0x41 + 10
    return -1


cdef object _decode_escaped(const uint8_t *d, Py_ssize_t start, Py_ssize_t n,
                            Py_ssize_t *end):
    """The JSON string whose body starts at d[start] and holds a backslash:
    unescaped into UTF-8, then decoded strictly.  None for anything but the
    plain escapes (\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX outside the surrogate
    range), so that surrogates and errors stay the JSON library's to judge.
    ``end[0]`` is set to the index of the closing quote."""
    cdef Py_ssize_t i = start, o = 0, k
    cdef uint8_t c
    cdef int digit
    cdef uint32_t code
    # Escapes only ever shrink: the output fits in the input's length.
    cdef uint8_t *out = <uint8_t *>PyMem_Malloc(n - start + 1)
    cdef object text = None
    if out == NULL:
        raise MemoryError()
    try:
        while i < n:
            c = d[i]
            if c == b'"':
                end[0] = i
                try:
                    text = PyUnicode_DecodeUTF8(<const char *>out, o, NULL)
                except UnicodeDecodeError:
                    return None
                return text
            if c < 0x20:
                return None
            if c != b'\\':
                out[o] = c
                o += 1
                i += 1
                continue
            if i + 1 >= n:
                return None
            c = d[i + 1]
            if c == b'"' or c == b'\\' or c == b'/':
                out[o] = c
            elif c == b'b':
                out[o] = 0x08
            elif c == b'f':
                out[o] = 0x0C
            elif c == b'n':
                out[o] = 0x0A
            elif c == b'r':
                out[o] = 0x0D
            elif c == b't':
                out[o] = 0x09
            elif c == b'u':
                if i + 6 > n:
                    return None
                code = 0
                for k in range(2, 6):
                    digit = _hex_digit(d[i + k])
                    if digit < 0:
                        return None
                    code = (code << 4) | <uint32_t>digit
                if 0xD800 <= code <= 0xDFFF:
                    return None
                if code < 0x80:
                    out[o] = <uint8_t>code
                elif code < 0x800:
                    out[o] = <uint8_t>(0xC0 | (code >> 6))
                    out[o + 1] = <uint8_t>(0x80 | (code & 0x3F))
                    o += 1
                else:
                    out[o] = <uint8_t>(0xE0 | (code >> 12))
                    out[o + 1] = <uint8_t>(0x80 | ((code >> 6) & 0x3F))
                    out[o + 2] = <uint8_t>(0x80 | (code & 0x3F))
                    o += 2
                o += 1
                i += 6
                continue
            else:
                return None
            o += 1
            i += 2
        return None
    finally:
        PyMem_Free(out)


cdef object _decode_simple(const uint8_t *d, Py_ssize_t n):
    """The list for a body of JSON strings; None when the body is anything
    else, for the JSON library to judge.

    Only bodies that are certainly valid JSON with one obvious reading take
    this path: the strings' bytes must be valid UTF-8 without control
    characters, and escapes must be the plain ones (no surrogates): exactly
    what the library would turn into the same str."""
    cdef Py_ssize_t i, start, k
    cdef uint8_t c, high
    cdef list result = []
    cdef object text
    i = _skip_ws(d, 0, n)
    if i >= n or d[i] != b'[':
        return None
    i = _skip_ws(d, i + 1, n)
    if i < n and d[i] == b']':
        return result if _skip_ws(d, i + 1, n) == n else None
    while True:
        if i >= n or d[i] != b'"':
            return None
        i += 1
        start = i
        high = 0
        while i < n:
            c = d[i]
            if c == b'"' or c == b'\\':
                break
            if c < 0x20:
                return None
            high |= c
            i += 1
        if i >= n:
            return None
        if c == b'\\':
            text = _decode_escaped(d, start, n, &i)
            if text is None:
                return None
        elif high < 0x80:
            text = PyUnicode_New(i - start, 127)
            memcpy(PyUnicode_DATA(text), d + start, <size_t>(i - start))
        else:
            try:
                text = PyUnicode_DecodeUTF8(<const char *>(d + start), i - start, NULL)
            except UnicodeDecodeError:
                return None
        result.append(text)
        i = _skip_ws(d, i + 1, n)
        if i >= n:
            return None
        if d[i] == b']':
            return result if _skip_ws(d, i + 1, n) == n else None
        if d[i] != b',':
            return None
        i = _skip_ws(d, i + 1, n)


def decode_messages(body):
    """The list of str a client sent as a JSON array of strings.

    Raises :class:`PayloadError` with the SockJS error text: ``Payload
    expected.`` for an empty body, ``Broken JSON encoding.`` for anything that
    is not UTF-8 JSON holding an array of strings.
    """
    cdef object value
    cdef Py_buffer view
    if not body:
        raise PayloadError("Payload expected.")
    if PyBytes_CheckExact(body):
        value = _decode_simple(<const uint8_t *>PyBytes_AS_STRING(body),
                               PyBytes_GET_SIZE(body))
        if value is not None:
            return value
    elif PyByteArray_CheckExact(body):
        value = _decode_simple(<const uint8_t *>PyByteArray_AS_STRING(body),
                               PyByteArray_GET_SIZE(body))
        if value is not None:
            return value
    try:
        value = _loads(bytes(body).decode("utf-8"))
    except Exception:
        raise PayloadError("Broken JSON encoding.")
    if type(value) is not list:
        raise PayloadError("Broken JSON encoding.")
    for item in value:
        if type(item) is not str:
            raise PayloadError("Broken JSON encoding.")
    return value
