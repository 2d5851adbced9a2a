# cython: language_level=3, binding=False, boundscheck=False, wraparound=False
"""One non-blocking write of bytes to a socket, compiled twin of ``sendnow_py.py``.

``send()`` with ``MSG_DONTWAIT`` cannot block, so the GIL stays held (releasing and taking
it back costs more than the call's own user-space work); ``MSG_NOSIGNAL``: a broken
connection is an error returned, never a SIGPIPE, whatever the process did with it.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_GET_SIZE
from libc.errno cimport EINTR, errno

cdef extern from *:
    """
    #include <sys/types.h>
    #include <sys/socket.h>
    #ifndef MSG_NOSIGNAL
    #define MSG_NOSIGNAL 0  /* (no such flag here: Python ignores SIGPIPE anyway) */
    #endif
    #ifndef MSG_DONTWAIT
    #define MSG_DONTWAIT 0  /* (the descriptor is non-blocking already) */
    #endif
    """
    ssize_t send(int fd, const void *buf, size_t n, int flags) nogil
    int MSG_DONTWAIT
    int MSG_NOSIGNAL


cdef inline Py_ssize_t _send(int fd, const char *buf, Py_ssize_t n):
    cdef ssize_t sent
    while True:
        sent = send(fd, buf, <size_t>n, MSG_DONTWAIT | MSG_NOSIGNAL)
        if sent >= 0:
            return sent
        if errno != EINTR:
            return 0


def send_now(int fd, object data):
    cdef Py_buffer view
    if PyBytes_CheckExact(data):
        return _send(fd, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        return _send(fd, <const char *>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)
