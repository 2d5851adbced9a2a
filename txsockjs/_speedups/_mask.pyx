# cython: language_level=3, binding=False, boundscheck=False, wraparound=False, cdivision=True
"""RFC 6455 payload masking, compiled twin of ``mask_py.py``.

XOR a machine word (8 bytes) at a time, in plain C loops the compiler
vectorises; the byte order does not matter because the mask word is loaded
from memory exactly like the data words.
"""

from cpython.buffer cimport (PyBUF_SIMPLE, PyBUF_WRITABLE, PyBuffer_Release,
                             PyObject_GetBuffer)
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_CheckExact
from cpython.bytes cimport (PyBytes_AS_STRING, PyBytes_CheckExact,
                            PyBytes_FromStringAndSize, PyBytes_GET_SIZE)
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memcpy


cdef extern from "Python.h":
    Py_ssize_t PyByteArray_GET_SIZE(object)


cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    /* XOR with the repeating 4-byte mask.  The mask word is loaded from
       memory like the data, so the byte order does not matter.  With GCC or
       clang, 64 bytes a step in four 16-byte vectors (SSE2/NEON baseline);
       elsewhere 8 bytes a step.  memcpy keeps unaligned loads legal. */
    #if defined(__GNUC__) || defined(__clang__)
    typedef uint64_t txs_v16 __attribute__((vector_size(16)));
    #define TXS_VECTOR 1
    #endif
    static inline uint64_t txs_mask_word(const unsigned char *mask) {
        uint32_t m32;
        memcpy(&m32, mask, 4);
        return ((uint64_t)m32 << 32) | m32;
    }
    static inline void txs_xor_copy(const unsigned char *__restrict src,
                                    unsigned char *__restrict dst,
                                    Py_ssize_t n, const unsigned char *mask) {
        uint64_t m64 = txs_mask_word(mask), w;
        const unsigned char *end = src + n;
    #ifdef TXS_VECTOR
        txs_v16 vm = {m64, m64}, a, b, c, d;
        while (end - src >= 64) {
            memcpy(&a, src, 16); memcpy(&b, src + 16, 16);
            memcpy(&c, src + 32, 16); memcpy(&d, src + 48, 16);
            a ^= vm; b ^= vm; c ^= vm; d ^= vm;
            memcpy(dst, &a, 16); memcpy(dst + 16, &b, 16);
            memcpy(dst + 32, &c, 16); memcpy(dst + 48, &d, 16);
            src += 64; dst += 64;
        }
    #endif
        while (end - src >= 8) {
            memcpy(&w, src, 8);
            w ^= m64;
            memcpy(dst, &w, 8);
            src += 8; dst += 8;
        }
        /* Everything so far was a multiple of 8 bytes: the phase is 0. */
        for (Py_ssize_t i = 0; src + i < end; i++)
            dst[i] = src[i] ^ mask[i & 3];
    }
    static inline void txs_xor_inplace(unsigned char *buf, Py_ssize_t n,
                                       const unsigned char *mask) {
        uint64_t m64 = txs_mask_word(mask), w;
        unsigned char *end = buf + n;
    #ifdef TXS_VECTOR
        txs_v16 vm = {m64, m64}, a, b, c, d;
        while (end - buf >= 64) {
            memcpy(&a, buf, 16); memcpy(&b, buf + 16, 16);
            memcpy(&c, buf + 32, 16); memcpy(&d, buf + 48, 16);
            a ^= vm; b ^= vm; c ^= vm; d ^= vm;
            memcpy(buf, &a, 16); memcpy(buf + 16, &b, 16);
            memcpy(buf + 32, &c, 16); memcpy(buf + 48, &d, 16);
            buf += 64;
        }
    #endif
        while (end - buf >= 8) {
            memcpy(&w, buf, 8);
            w ^= m64;
            memcpy(buf, &w, 8);
            buf += 8;
        }
        for (Py_ssize_t i = 0; buf + i < end; i++)
            buf[i] ^= mask[i & 3];
    }
    """
    void xor_copy "txs_xor_copy" (const unsigned char *src, unsigned char *dst,
                                  Py_ssize_t n, const unsigned char *mask) noexcept nogil
    void xor_inplace "txs_xor_inplace" (unsigned char *buf, Py_ssize_t n,
                                        const unsigned char *mask) noexcept nogil


cdef inline int read_mask(object mask, unsigned char *out) except -1:
    cdef Py_buffer view
    if PyBytes_CheckExact(mask):
        if PyBytes_GET_SIZE(mask) != 4:
            raise ValueError("mask must be 4 bytes")
        memcpy(out, PyBytes_AS_STRING(mask), 4)
        return 0
    PyObject_GetBuffer(mask, &view, PyBUF_SIMPLE)
    try:
        if view.len != 4:
            raise ValueError("mask must be 4 bytes")
        memcpy(out, view.buf, 4)
    finally:
        PyBuffer_Release(&view)
    return 0


def websocket_mask(mask, data):
    """Return ``data`` XORed with the repeating 4-byte ``mask``, as bytes."""
    cdef unsigned char m[4]
    cdef Py_buffer view
    cdef bytes out
    read_mask(mask, m)
    if PyBytes_CheckExact(data):
        out = PyBytes_FromStringAndSize(NULL, PyBytes_GET_SIZE(data))
        xor_copy(<const unsigned char *>PyBytes_AS_STRING(data),
                 <unsigned char *>PyBytes_AS_STRING(out), PyBytes_GET_SIZE(data), m)
        return out
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        out = PyBytes_FromStringAndSize(NULL, view.len)
        xor_copy(<const unsigned char *>view.buf,
                 <unsigned char *>PyBytes_AS_STRING(out), view.len, m)
    finally:
        PyBuffer_Release(&view)
    return out


def websocket_mask_inplace(mask, buf):
    """XOR the writable buffer ``buf`` (a bytearray) with ``mask`` in place."""
    cdef unsigned char m[4]
    cdef Py_buffer view
    cdef unsigned char *p
    read_mask(mask, m)
    if PyByteArray_CheckExact(buf):
        p = <unsigned char *>PyByteArray_AS_STRING(buf)
        xor_inplace(p, PyByteArray_GET_SIZE(buf), m)
        return None
    try:
        PyObject_GetBuffer(buf, &view, PyBUF_WRITABLE)
    except BufferError as error:
        raise TypeError("buffer is not writable: %s" % (error,))
    try:
        xor_inplace(<unsigned char *>view.buf, view.len, m)
    finally:
        PyBuffer_Release(&view)
    return None
