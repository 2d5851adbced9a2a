# cython: language_level=3, binding=False, boundscheck=False, wraparound=False
"""What every RFC 6455 handshake is checked for, and its Sec-WebSocket-Accept: compiled
twin of ``wshandshake_py.py`` (same names, same answers, same refusal objects).

Every WebSocket session opens through here, so the common case (ASCII header values) is
read in C, and the accept value's SHA-1 and base64 are computed here too: OpenSSL's
hashlib object and binascii cost more than a microsecond of each opening.  A value that
is not ASCII takes the twin's str methods, whose Unicode whitespace and case rules apply.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_1BYTE_DATA, PyUnicode_GET_LENGTH, Py_UNICODE_ISSPACE
from libc.stdint cimport uint32_t
from libc.string cimport memcpy, memset

from txsockjs._speedups import constants as _constants

# The refusals (the twin returns these very objects), as C globals: not module names.
cdef object NEEDS_HTTP11 = _constants.NEEDS_HTTP11
cdef object NOT_WEBSOCKET = _constants.NOT_WEBSOCKET
cdef object NO_CONNECTION_UPGRADE = _constants.NO_CONNECTION_UPGRADE
cdef object HAS_BODY = _constants.HAS_BODY
cdef object WRONG_VERSION = _constants.WRONG_VERSION
cdef object BAD_KEY = _constants.BAD_KEY

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)

cdef bytes _GUID = _constants.WEBSOCKET_GUID.encode("ascii")
cdef const char *_UPGRADE = b"upgrade"
cdef const char *_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


# -- SHA-1 (FIPS 180-4, section 6.1) -----------------------------------------------------

cdef extern from *:
    """
    #include <stdint.h>
    #define TXS_ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
    /* The round functions (FIPS 180-4, 4.1.1), in forms with fewer operations. */
    #define TXS_CH(b, c, d) ((((c) ^ (d)) & (b)) ^ (d))
    #define TXS_PARITY(b, c, d) ((b) ^ (c) ^ (d))
    #define TXS_MAJ(b, c, d) ((((b) | (c)) & (d)) | ((b) & (c)))
    /* The message schedule in a ring of sixteen words: W(t) for t >= 16. */
    #define TXS_NEXT(t) (w[(t) & 15] = TXS_ROTL(w[((t) + 13) & 15] ^ w[((t) + 8) & 15] \\
                                               ^ w[((t) + 2) & 15] ^ w[(t) & 15], 1))
    #define TXS_FIRST(t) (w[t])
    /* One round with the five working variables named in their roles: instead of moving
       each one along, the next round names them one place on (e becomes the new a, and
       b, rotated, the new c). */
    #define TXS_ROUND(f, k, a, b, c, d, e, wt) \\
        e += TXS_ROTL(a, 5) + f(b, c, d) + (k) + (wt); b = TXS_ROTL(b, 30);
    #define TXS_FIVE(f, k, t, W) \\
        TXS_ROUND(f, k, a, b, c, d, e, W(t)) TXS_ROUND(f, k, e, a, b, c, d, W(t + 1)) \\
        TXS_ROUND(f, k, d, e, a, b, c, W(t + 2)) TXS_ROUND(f, k, c, d, e, a, b, W(t + 3)) \\
        TXS_ROUND(f, k, b, c, d, e, a, W(t + 4))
    /* One 64-byte block into the state h: eighty rounds, unrolled. */
    static void txs_sha1_block(uint32_t *h, const unsigned char *p) {
        uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        int t;
        for (t = 0; t < 16; t++)
            w[t] = ((uint32_t)p[4 * t] << 24) | ((uint32_t)p[4 * t + 1] << 16)
                 | ((uint32_t)p[4 * t + 2] << 8) | (uint32_t)p[4 * t + 3];
        TXS_FIVE(TXS_CH, 0x5A827999u, 0, TXS_FIRST) TXS_FIVE(TXS_CH, 0x5A827999u, 5, TXS_FIRST)
        TXS_FIVE(TXS_CH, 0x5A827999u, 10, TXS_FIRST)
        TXS_ROUND(TXS_CH, 0x5A827999u, a, b, c, d, e, w[15])
        TXS_ROUND(TXS_CH, 0x5A827999u, e, a, b, c, d, TXS_NEXT(16))
        TXS_ROUND(TXS_CH, 0x5A827999u, d, e, a, b, c, TXS_NEXT(17))
        TXS_ROUND(TXS_CH, 0x5A827999u, c, d, e, a, b, TXS_NEXT(18))
        TXS_ROUND(TXS_CH, 0x5A827999u, b, c, d, e, a, TXS_NEXT(19))
        TXS_FIVE(TXS_PARITY, 0x6ED9EBA1u, 20, TXS_NEXT) TXS_FIVE(TXS_PARITY, 0x6ED9EBA1u, 25, TXS_NEXT)
        TXS_FIVE(TXS_PARITY, 0x6ED9EBA1u, 30, TXS_NEXT) TXS_FIVE(TXS_PARITY, 0x6ED9EBA1u, 35, TXS_NEXT)
        TXS_FIVE(TXS_MAJ, 0x8F1BBCDCu, 40, TXS_NEXT) TXS_FIVE(TXS_MAJ, 0x8F1BBCDCu, 45, TXS_NEXT)
        TXS_FIVE(TXS_MAJ, 0x8F1BBCDCu, 50, TXS_NEXT) TXS_FIVE(TXS_MAJ, 0x8F1BBCDCu, 55, TXS_NEXT)
        TXS_FIVE(TXS_PARITY, 0xCA62C1D6u, 60, TXS_NEXT) TXS_FIVE(TXS_PARITY, 0xCA62C1D6u, 65, TXS_NEXT)
        TXS_FIVE(TXS_PARITY, 0xCA62C1D6u, 70, TXS_NEXT) TXS_FIVE(TXS_PARITY, 0xCA62C1D6u, 75, TXS_NEXT)
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    """
    void _sha1_block "txs_sha1_block" (uint32_t *h, const unsigned char *block) nogil


cdef void _sha1(const unsigned char *data, Py_ssize_t n, unsigned char *digest) noexcept nogil:
    cdef uint32_t h[5]
    cdef unsigned char tail[128]
    cdef Py_ssize_t done = 0, rest, padded, i
    cdef unsigned long long bits = (<unsigned long long>n) * 8
    h[0], h[1], h[2], h[3], h[4] = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0
    while n - done >= 64:
        _sha1_block(h, data + done)
        done += 64
    # The last bytes, a 1 bit, zeros, and the length in bits (big-endian): one or two blocks.
    rest = n - done
    padded = 64 if rest < 56 else 128
    memset(tail, 0, 128)
    memcpy(tail, data + done, <size_t>rest)
    tail[rest] = 0x80
    for i in range(8):
        tail[padded - 1 - i] = <unsigned char>(bits >> (8 * i))
    _sha1_block(h, tail)
    if padded == 128:
        _sha1_block(h, tail + 64)
    for i in range(5):
        digest[4 * i] = <unsigned char>(h[i] >> 24)
        digest[4 * i + 1] = <unsigned char>(h[i] >> 16)
        digest[4 * i + 2] = <unsigned char>(h[i] >> 8)
        digest[4 * i + 3] = <unsigned char>h[i]


cdef bytes _accept(const unsigned char *key, Py_ssize_t n):
    """base64(SHA-1(key + GUID)): 28 ASCII bytes."""
    cdef unsigned char stack[128]
    cdef unsigned char digest[21]
    cdef char out[28]
    cdef bytes joined
    cdef const unsigned char *data
    cdef Py_ssize_t total = n + 36, i, o = 0
    cdef uint32_t v
    if total <= 128:
        memcpy(stack, key, <size_t>n)
        memcpy(stack + n, PyBytes_AS_STRING(_GUID), 36)
        data = stack
    else:  # (a key no client sends: only accept_key() is given one this long)
        joined = PyBytes_FromStringAndSize(<const char *>key, n) + _GUID
        data = <const unsigned char *>PyBytes_AS_STRING(joined)
    _sha1(data, total, digest)
    digest[20] = 0
    # 20 bytes: six whole groups of three, then two bytes and one "=".
    for i in range(0, 21, 3):
        v = (<uint32_t>digest[i] << 16) | (<uint32_t>digest[i + 1] << 8) | digest[i + 2]
        out[o] = _B64[(v >> 18) & 63]
        out[o + 1] = _B64[(v >> 12) & 63]
        out[o + 2] = _B64[(v >> 6) & 63]
        out[o + 3] = _B64[v & 63]
        o += 4
    out[27] = 61  # ("=")
    return PyBytes_FromStringAndSize(out, 28)


def accept_key(str key not None):
    """The Sec-WebSocket-Accept value of a Sec-WebSocket-Key, as the ASCII bytes of the
    101 head: base64 of the SHA-1 of the key and the RFC's GUID."""
    cdef bytes encoded
    if PyUnicode_IS_ASCII(key):
        return _accept(PyUnicode_1BYTE_DATA(key), PyUnicode_GET_LENGTH(key))
    encoded = key.encode("ascii")  # (raises UnicodeEncodeError, as the twin does)
    return _accept(<const unsigned char *>PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded))


# -- reading header values -----------------------------------------------------------------

cdef inline bint _is_b64(unsigned char c) noexcept nogil:
    return (65 <= c <= 90) or (97 <= c <= 122) or (48 <= c <= 57) or c == 43 or c == 47  # A-Z a-z 0-9 + /


cdef inline bint _ascii(object value):
    """An exact, ASCII str: read in C."""
    return type(value) is str and PyUnicode_IS_ASCII(value)


cdef inline void _strip(const unsigned char *s, Py_ssize_t *start, Py_ssize_t *end) noexcept:
    """Narrow ``s[start:end]`` as ``str.strip()`` does (for ASCII characters)."""
    while start[0] < end[0] and Py_UNICODE_ISSPACE(s[start[0]]):
        start[0] += 1
    while end[0] > start[0] and Py_UNICODE_ISSPACE(s[end[0] - 1]):
        end[0] -= 1


cdef inline bint _equals(const unsigned char *s, Py_ssize_t n, const char *lowered,
                         Py_ssize_t m, bint fold_case) noexcept:
    """``s[:n] == lowered[:m]``, A-Z read as a-z with ``fold_case``."""
    cdef Py_ssize_t i
    cdef unsigned char c
    if n != m:
        return False
    for i in range(n):
        c = s[i]
        if fold_case and 65 <= c <= 90:  # (A-Z)
            c += 32
        if c != <unsigned char>lowered[i]:
            return False
    return True


cdef inline bint _is_key(const unsigned char *s, Py_ssize_t n) noexcept:
    """Base64 of 16 bytes: 22 characters and "==" (the last character's spare bits are not
    checked: binascii's strict mode does not check them either)."""
    cdef int i
    if n != 24:
        return False
    for i in range(22):
        if not _is_b64(s[i]):
            return False
    return s[22] == 61 and s[23] == 61  # ("==")


cdef inline bint _stripped_equals(object value, const char *lowered, Py_ssize_t n,
                                  bint fold_case):
    """``value.strip()`` (``.lower()`` too with ``fold_case``) == ``lowered``, for an
    ASCII str."""
    cdef const unsigned char *s = PyUnicode_1BYTE_DATA(value)
    cdef Py_ssize_t start = 0, end = PyUnicode_GET_LENGTH(value)
    _strip(s, &start, &end)
    return _equals(s + start, end - start, lowered, n, fold_case)


cdef inline object _header(object headers, str name):
    if type(headers) is dict:
        return (<dict>headers).get(name, "")
    return headers.get(name, "")


def valid_key(str key not None):
    """Is ``key`` a Sec-WebSocket-Key: base64 of 16 bytes (24 characters)?"""
    return PyUnicode_IS_ASCII(key) and _is_key(PyUnicode_1BYTE_DATA(key),
                                               PyUnicode_GET_LENGTH(key))


def connection_upgrades(str connection not None):
    """Does a Connection header's value name ``upgrade``?"""
    cdef const unsigned char *s
    cdef Py_ssize_t n, start, end, i, j
    if not PyUnicode_IS_ASCII(connection):
        lowered = connection.lower()
        return "upgrade" in [token.strip() for token in lowered.split(",")]
    s = PyUnicode_1BYTE_DATA(connection)
    n = PyUnicode_GET_LENGTH(connection)
    start = 0
    while start <= n:
        end = start
        while end < n and s[end] != 44:  # (",")
            end += 1
        i, j = start, end
        _strip(s, &i, &j)
        if _equals(s + i, j - i, _UPGRADE, 7, True):
            return True
        start = end + 1
    return False


def upgrade_refusal(headers, int minor, body):
    """What is wrong with a request as a WebSocket upgrade (any version of it), in the
    order a client is told: None when nothing is."""
    if minor < 1:
        return NEEDS_HTTP11
    upgrade = _header(headers, "upgrade")
    if _ascii(upgrade):
        if not _stripped_equals(upgrade, b"websocket", 9, True):
            return NOT_WEBSOCKET
    elif upgrade.strip().lower() != "websocket":
        return NOT_WEBSOCKET
    if not connection_upgrades(_header(headers, "connection")):
        return NO_CONNECTION_UPGRADE
    if body or "transfer-encoding" in headers:
        return HAS_BODY
    return None


def rfc6455_accept(headers):
    """The Sec-WebSocket-Accept value (bytes) of an RFC 6455 handshake, or its refusal: a
    version other than 13, or a key that is not base64 of 16 bytes."""
    cdef const unsigned char *s
    cdef Py_ssize_t start, end
    version = _header(headers, "sec-websocket-version")
    if _ascii(version):
        if not _stripped_equals(version, b"13", 2, False):
            return WRONG_VERSION
    elif version.strip() != "13":
        return WRONG_VERSION
    key = _header(headers, "sec-websocket-key")
    if not _ascii(key):
        key = key.strip()
        if not valid_key(key):
            return BAD_KEY
        return accept_key(key)
    s = PyUnicode_1BYTE_DATA(key)
    start, end = 0, PyUnicode_GET_LENGTH(key)
    _strip(s, &start, &end)
    if not _is_key(s + start, end - start):
        return BAD_KEY
    return _accept(s + start, 24)
