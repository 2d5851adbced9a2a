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

from libc.string cimport memcpy


cdef extern from "Python.h":
    Py_ssize_t PyByteArray_GET_SIZE(object)


from txsockjs._speedups.xor cimport xor_copy, xor_inplace


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
