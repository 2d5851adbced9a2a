# cython: language_level=3, binding=False, boundscheck=False, wraparound=False, cdivision=True
"""RFC 6455 frame parsing and writing, compiled twin of ``wsframes_py.py``.

Same behaviour, same exceptions, same messages.  The parser works on a raw
pointer with typed indices: when nothing is pending it parses the caller's
buffer in place and keeps only the incomplete tail, and each payload is
unmasked while it is copied into its ``bytes`` object (one pass, one copy).
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from cpython.bytes cimport (PyBytes_AS_STRING, PyBytes_CheckExact,
                            PyBytes_FromStringAndSize, PyBytes_GET_SIZE)
from cpython.list cimport PyList_Append
from cpython.number cimport PyNumber_Index
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.ref cimport Py_INCREF
from libc.stdint cimport uint64_t
from libc.string cimport memcpy
cimport cython

from txsockjs._speedups.kernelerrors import WebSocketError

cdef extern from "Python.h":
    Py_ssize_t PyByteArray_GET_SIZE(object)
    object PyBool_FromLong(long)
    object PyLong_FromLong(long)

from txsockjs._speedups.constants import (
    CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG, CLOSE_UNSUPPORTED,
)

cdef object _TRUE = True
cdef object _FALSE = False
# A frame's ``op``: its header's first byte without FIN (RSV bits and opcode).
cdef tuple _OPS = tuple(range(128))


from txsockjs._speedups.xor cimport xor_copy


# Not tracked by the cyclic garbage collector: it holds a bytearray and the numbers it
# was given, so it is in no cycle, and every idle WebSocket keeps one (one object less
# for each collection to visit).
@cython.no_gc
cdef class FrameParser:
    """Turns a byte stream into ``(fin, op, payload)`` tuples.

    ``op`` is the frame header's first byte without FIN: the opcode
    (``op & 0x0F``) and the reserved bits (``op & 0x70``).  Only the RSV bits
    in ``allowed_rsv`` (those of the negotiated extensions; none by default)
    are accepted, so without an extension ``op`` is the opcode.

    Raises :class:`WebSocketError` (with the close code to send) on a frame
    that breaks the framing rules: reserved bits or opcodes, a fragmented or
    oversized control frame, an unmasked client frame, a 64-bit length with
    the top bit set, or a payload over ``max_payload``.  After an error the
    parser must not be fed again.
    """

    # What arrived of an unfinished frame; None when nothing is pending (most of the
    # time: an idle connection keeps no buffer).
    cdef bytearray _buf
    cdef public object max_payload
    cdef public object require_mask
    cdef public object allow_binary
    cdef public object allowed_rsv

    def __init__(self, max_payload=1 << 20, require_mask=True, allow_binary=True,
                 allowed_rsv=0):
        self._buf = None
        self.max_payload = max_payload
        self.require_mask = require_mask
        self.allow_binary = allow_binary
        self.allowed_rsv = allowed_rsv

    cdef Py_ssize_t _parse(self, const unsigned char *p, Py_ssize_t size,
                           list frames) except -1:
        """Parse complete frames from p[0:size]; return the bytes consumed."""
        cdef Py_ssize_t pos = 0, header, start
        cdef unsigned char first, second, opcode
        cdef bint fin, masked
        cdef bint require_mask = bool(self.require_mask)
        cdef bint allow_binary = bool(self.allow_binary)
        cdef unsigned char refused_rsv = 0x70 & ~(<unsigned char>(<int>self.allowed_rsv & 0x70))
        cdef uint64_t length
        cdef uint64_t limit
        cdef object max_payload = self.max_payload
        cdef bytes payload
        cdef tuple frame
        cdef object fin_obj
        # mode 0: compare with the C limit; 1: every frame is too big (a
        # negative limit); 2: not an int, compare in Python like the twin.
        cdef int mode = 0
        limit = 0
        if type(max_payload) is int or type(max_payload) is bool:
            if max_payload < 0:
                mode = 1
            elif max_payload >= (1 << 63):
                limit = 0xFFFFFFFFFFFFFFFF
            else:
                limit = <uint64_t>(<long long>max_payload)
        else:
            mode = 2
        while size - pos >= 2:
            first = p[pos]
            second = p[pos + 1]
            fin = (first & 0x80) != 0
            opcode = first & 0x0F
            if first & refused_rsv:
                raise WebSocketError(CLOSE_PROTOCOL_ERROR, "reserved bits set")
            if (2 < opcode < 8) or opcode > 10:
                raise WebSocketError(CLOSE_PROTOCOL_ERROR, "reserved opcode %d" % opcode)
            if opcode == 2 and not allow_binary:
                raise WebSocketError(CLOSE_UNSUPPORTED, "binary messages are not supported")
            masked = (second & 0x80) != 0
            length = second & 0x7F
            if opcode >= 8:
                if not fin:
                    raise WebSocketError(CLOSE_PROTOCOL_ERROR, "fragmented control frame")
                if length > 125:
                    raise WebSocketError(CLOSE_PROTOCOL_ERROR, "control frame too long")
            if require_mask and not masked:
                raise WebSocketError(CLOSE_PROTOCOL_ERROR, "client frame not masked")
            header = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (<uint64_t>p[pos + 2] << 8) | p[pos + 3]
                header = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = ((<uint64_t>p[pos + 2] << 56) | (<uint64_t>p[pos + 3] << 48)
                          | (<uint64_t>p[pos + 4] << 40) | (<uint64_t>p[pos + 5] << 32)
                          | (<uint64_t>p[pos + 6] << 24) | (<uint64_t>p[pos + 7] << 16)
                          | (<uint64_t>p[pos + 8] << 8) | <uint64_t>p[pos + 9])
                if length >> 63:
                    raise WebSocketError(CLOSE_PROTOCOL_ERROR, "invalid frame length")
                header = 10
            if ((mode == 0 and length > limit) or mode == 1
                    or (mode == 2 and length > max_payload)):
                raise WebSocketError(
                        CLOSE_TOO_BIG, "frame of %d bytes is over the limit" % length)
            if masked:
                header += 4
            # length < 2**63 and size - pos < 2**63: no overflow, no sign trap.
            if size - pos < header or <uint64_t>(size - pos - header) < length:
                break
            start = pos + header
            payload = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>length)
            if masked:
                xor_copy(p + start, <unsigned char *>PyBytes_AS_STRING(payload),
                         <Py_ssize_t>length, p + start - 4)
            else:
                memcpy(PyBytes_AS_STRING(payload), p + start, <size_t>length)
            frame = PyTuple_New(3)
            fin_obj = _TRUE if fin else _FALSE
            Py_INCREF(fin_obj)
            PyTuple_SET_ITEM(frame, 0, fin_obj)
            op_obj = _OPS[first & 0x7F]
            Py_INCREF(op_obj)
            PyTuple_SET_ITEM(frame, 1, op_obj)
            Py_INCREF(payload)
            PyTuple_SET_ITEM(frame, 2, payload)
            PyList_Append(frames, frame)
            pos = start + <Py_ssize_t>length
        return pos

    def feed(self, data):
        cdef list frames = []
        try:
            return self._feed(data, frames)
        except WebSocketError as error:
            error.frames = frames
            raise

    cdef list _feed(self, data, list frames):
        cdef Py_buffer view
        cdef Py_ssize_t used, size
        cdef bytearray buf = self._buf
        if buf is None:
            # Nothing pending: parse the caller's buffer where it lies.
            if PyBytes_CheckExact(data):
                size = PyBytes_GET_SIZE(data)
                used = self._parse(<const unsigned char *>PyBytes_AS_STRING(data), size, frames)
                if used < size:
                    self._buf = PyByteArray_FromStringAndSize(
                        PyBytes_AS_STRING(data) + used, size - used)
                return frames
            PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
            try:
                used = self._parse(<const unsigned char *>view.buf, view.len, frames)
                if used < view.len:
                    self._buf = PyByteArray_FromStringAndSize(
                        <const char *>view.buf + used, view.len - used)
            finally:
                PyBuffer_Release(&view)
            return frames
        buf += data
        # Exported while parsing: a feed from inside this one (a max_payload object's
        # comparison) cannot move the bytes under the pointer; it gets BufferError.
        PyObject_GetBuffer(buf, &view, PyBUF_SIMPLE)
        try:
            used = self._parse(<const unsigned char *>view.buf, view.len, frames)
        finally:
            PyBuffer_Release(&view)
        if used == PyByteArray_GET_SIZE(buf):
            if self._buf is buf:
                self._buf = None
        elif used:
            del buf[:used]
        return frames

    @property
    def buffered(self):
        """Bytes received but not yet part of a complete frame."""
        return 0 if self._buf is None else PyByteArray_GET_SIZE(self._buf)

    def partial_payload(self, Py_ssize_t start=0):
        """``(opcode, payload[start:available])`` of the data frame still
        arriving (unmasked), or None when no data frame's header is complete."""
        cdef bytearray buf = self._buf
        cdef Py_ssize_t size = 0 if buf is None else PyByteArray_GET_SIZE(buf)
        cdef const unsigned char *p
        cdef Py_ssize_t header, begin
        cdef unsigned char mask[4]
        cdef int opcode, length7, i, shift
        cdef bint masked
        cdef bytes out
        if size < 2 or start < 0:
            return None
        p = <const unsigned char *>PyByteArray_AS_STRING(buf)
        opcode = p[0] & 0x0F
        if opcode > 2:
            return None
        length7 = p[1] & 0x7F
        header = 2 if length7 < 126 else (4 if length7 == 126 else 10)
        masked = (p[1] & 0x80) != 0
        if masked:
            header += 4
        if size < header:
            return None
        if start >= size - header:  # (header + start could overflow)
            return (_OPS[p[0] & 0x7F], b"")
        begin = header + start
        out = PyBytes_FromStringAndSize(NULL, size - begin)
        if masked:
            shift = start % 4
            for i in range(4):
                mask[i] = p[header - 4 + (shift + i) % 4]
            xor_copy(p + begin, <unsigned char *>PyBytes_AS_STRING(out), size - begin, mask)
        else:
            memcpy(PyBytes_AS_STRING(out), p + begin, <size_t>(size - begin))
        return (_OPS[p[0] & 0x7F], out)


def build_frame(opcode, payload, fin=True):
    """One unmasked (server-to-client) frame."""
    cdef Py_buffer view
    cdef int op
    cdef int first
    cdef Py_ssize_t length, header
    cdef bytes out
    cdef unsigned char *o
    cdef uint64_t big
    cdef int k
    length = len(payload)
    # Checked as a Python object first, like the twin: a C int would overflow on a big
    # one and take 1.5 for 1.
    if not 0 <= opcode <= 0x7F:
        raise ValueError("opcode must be in range(128) (RSV bits | opcode)")
    op = PyNumber_Index(opcode)
    first = (0x80 if fin else 0) | op
    PyObject_GetBuffer(payload, &view, PyBUF_SIMPLE)
    try:
        length = view.len
        if length < 126:
            header = 2
        elif length < 65536:
            header = 4
        else:
            header = 10
        out = PyBytes_FromStringAndSize(NULL, header + length)
        o = <unsigned char *>PyBytes_AS_STRING(out)
        o[0] = <unsigned char>first
        if header == 2:
            o[1] = <unsigned char>length
        elif header == 4:
            o[1] = 126
            o[2] = <unsigned char>(length >> 8)
            o[3] = <unsigned char>(length & 0xFF)
        else:
            o[1] = 127
            big = <uint64_t>length
            for k in range(8):
                o[9 - k] = <unsigned char>(big & 0xFF)
                big >>= 8
        memcpy(o + header, view.buf, <size_t>length)
    finally:
        PyBuffer_Release(&view)
    return out
