# cython: language_level=3, boundscheck=False, wraparound=False
"""The compiled twin of deflate_py: one outgoing raw-deflate stream, zlib's C API called
directly (one ``deflate`` call per message into a stack buffer, no intermediate objects).

Why it is faster than the twin: short messages are deflated with zlib's ``Z_FIXED``
strategy (fixed Huffman codes: no tree to send in every sync-flushed block), long ones
with the default strategy, switched between messages on the same stream by
``deflateParams`` (the LZ77 window, and so context takeover, is kept); and the window is
read back from zlib (``deflateGetDictionary``) instead of being copied aside per message.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_RawCalloc, PyMem_RawFree

cdef extern from "zlib.h":
    ctypedef struct z_stream:
        const unsigned char *next_in
        unsigned int avail_in
        unsigned char *next_out
        unsigned int avail_out
        const char *msg
        void *(*zalloc)(void *, unsigned int, unsigned int) noexcept nogil
        void (*zfree)(void *, void *) noexcept nogil
        void *opaque
    int deflateInit2(z_stream *, int, int, int, int, int)
    int deflateSetDictionary(z_stream *, const unsigned char *, unsigned int)
    int deflateGetDictionary(z_stream *, unsigned char *, unsigned int *)
    int deflateParams(z_stream *, int, int)
    int deflate(z_stream *, int) nogil
    int deflateEnd(z_stream *)
    int Z_OK, Z_BUF_ERROR, Z_SYNC_FLUSH, Z_DEFLATED, Z_FIXED, Z_DEFAULT_STRATEGY

# Messages shorter than this are deflated with Z_FIXED (benchmarks/deflate_bench.py:
# about the same ratio for 50-500 byte JSON, much more for a 30 KB one).
FIXED_BELOW = 1024
DEF _STACK = 16384


cdef void *_alloc(void *opaque, unsigned int items, unsigned int size) noexcept nogil:
    # (PyMem_Raw*: tracemalloc sees zlib's memory, as it does the pure twin's)
    return PyMem_RawCalloc(items, size)


cdef void _free(void *opaque, void *address) noexcept nogil:
    PyMem_RawFree(address)


cdef class Deflater:
    """A raw-deflate stream (``level``, a ``bits`` window, ``mem_level``), optionally
    started over ``zdict`` (the window of an earlier stream)."""

    cdef z_stream _zs
    cdef bint _ready
    cdef int _level
    cdef int _strategy

    def __cinit__(self, int level, int bits, int mem_level, const unsigned char[:] zdict=b""):
        self._zs.zalloc = _alloc
        self._zs.zfree = _free
        self._zs.opaque = NULL
        self._level = level
        self._strategy = Z_DEFAULT_STRATEGY
        if deflateInit2(&self._zs, level, Z_DEFLATED, -bits, mem_level, Z_DEFAULT_STRATEGY) != Z_OK:
            raise ValueError("zlib refused the deflate settings (level %d, window %d, "
                             "memLevel %d)" % (level, bits, mem_level))
        self._ready = True
        if zdict.shape[0] and deflateSetDictionary(&self._zs, &zdict[0], zdict.shape[0]) != Z_OK:
            raise ValueError("zlib refused the preset dictionary")

    def __dealloc__(self):
        if self._ready:
            deflateEnd(&self._zs)

    def compress(self, const unsigned char[:] data):
        """One message, compressed and sync-flushed, without the final ``00 00 ff ff``."""
        cdef unsigned char buf[_STACK]
        cdef Py_ssize_t size = data.shape[0]
        cdef int strategy = Z_FIXED if size < FIXED_BELOW else Z_DEFAULT_STRATEGY
        cdef int status
        cdef Py_ssize_t used
        cdef unsigned char empty = 0
        if strategy != self._strategy:
            # Between messages nothing is pending (the last one ended with a sync flush),
            # so zlib switches without emitting anything; it wants an output buffer.
            self._zs.next_in = &empty
            self._zs.avail_in = 0
            self._zs.next_out = buf
            self._zs.avail_out = 0
            if deflateParams(&self._zs, self._level, strategy) == Z_OK:
                self._strategy = strategy
        self._zs.next_in = &data[0] if size else &empty
        self._zs.avail_in = <unsigned int>size
        pieces = None
        while True:
            self._zs.next_out = buf
            self._zs.avail_out = _STACK
            with nogil:
                status = deflate(&self._zs, Z_SYNC_FLUSH)
            if status != Z_OK and status != Z_BUF_ERROR:
                raise ValueError("deflate failed (%d)" % status)
            used = _STACK - self._zs.avail_out
            if self._zs.avail_out != 0 and pieces is None:
                if used == 0:
                    # An empty message right after a flush: zlib does not flush twice.
                    # A lone 0x00 (RFC 7692 7.2.3.6) is an empty stored block's header,
                    # so the client's appended 00 00 ff ff completes it.
                    return b"\x00"
                return PyBytes_FromStringAndSize(<char *>buf, used - 4)
            if pieces is None:
                pieces = []
            pieces.append(PyBytes_FromStringAndSize(<char *>buf, used))
            if self._zs.avail_out != 0:
                return b"".join(pieces)[:-4]

    def window(self):
        """The last window of plaintext as zlib holds it: at most ``1 << bits`` bytes, at
        least all a match may reach (zlib slides its window by halves, so after a slide
        it holds a little less than a window; it never refers back further)."""
        cdef unsigned int length = 0
        deflateGetDictionary(&self._zs, NULL, &length)
        out = PyBytes_FromStringAndSize(NULL, length)
        if length:
            deflateGetDictionary(&self._zs, <unsigned char *><char *>out, &length)
        return out
