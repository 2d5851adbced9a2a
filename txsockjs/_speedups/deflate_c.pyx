# cython: language_level=3, binding=False, always_allow_keywords=False, boundscheck=False, wraparound=False
"""The compiled twin of deflate_py: one outgoing raw-deflate stream, zlib's C API called
directly (one ``deflate`` call per message into a stack buffer, no intermediate objects).

Why it is faster than the twin: short messages are deflated with zlib's ``Z_FIXED``
strategy (fixed Huffman codes: no tree to send in every sync-flushed block), long ones
with the default strategy, switched between messages on the same stream by
``deflateParams`` (the LZ77 window, and so context takeover, is kept); and the window is
read back from zlib (``deflateGetDictionary``) instead of being copied aside per message.
"""

from cpython.bytes cimport (PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromString,
                            PyBytes_FromStringAndSize,
                            PyBytes_GET_SIZE)
from cpython.mem cimport PyMem_RawCalloc, PyMem_RawFree
cimport cython

from txsockjs._speedups.constants import (CLOSE_INVALID_DATA, CLOSE_PROTOCOL_ERROR,
                                          CLOSE_TOO_BIG, RSV1)
from txsockjs._speedups.kernelerrors import WebSocketError

cdef extern from "zlib.h":
    ctypedef struct z_stream:
        unsigned char *next_in   # (const unless ZLIB_CONST)
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
    int inflateInit2(z_stream *, int)
    int inflateSetDictionary(z_stream *, const unsigned char *, unsigned int)
    int inflateGetDictionary(z_stream *, unsigned char *, unsigned int *)
    int inflateReset(z_stream *)
    int inflate(z_stream *, int) nogil
    int inflateEnd(z_stream *)
    int Z_OK, Z_BUF_ERROR, Z_SYNC_FLUSH, Z_DEFLATED, Z_FIXED, Z_DEFAULT_STRATEGY
    int Z_STREAM_END, Z_MEM_ERROR

# Messages shorter than this are deflated with Z_FIXED (benchmarks/deflate_bench.py:
# about the same ratio for 50-500 byte JSON, much more for a 30 KB one).
DEF _FIXED_BELOW = 1024
FIXED_BELOW = _FIXED_BELOW
DEF _STACK = 16384
# Inputs from this size on are deflated or inflated without the GIL (below it, dropping
# and taking the GIL back costs more than other threads could gain).
DEF _NOGIL_FROM = 65536
cdef unsigned char _EMPTY = 0   # (a valid next_in for empty input)


cdef void *_alloc(void *opaque, unsigned int items, unsigned int size) noexcept nogil:
    # (PyMem_Raw*: tracemalloc sees zlib's memory, as it does the pure twin's)
    return PyMem_RawCalloc(items, size)


cdef void _free(void *opaque, void *address) noexcept nogil:
    PyMem_RawFree(address)


ctypedef int (*_get_dictionary)(z_stream *, unsigned char *, unsigned int *)


cdef bytes _window(z_stream *zs, _get_dictionary get):
    """A stream's window as bytes (``get``: deflate's or inflate's GetDictionary)."""
    cdef unsigned int length = 0
    get(zs, NULL, &length)
    out = PyBytes_FromStringAndSize(NULL, length)
    if length:
        get(zs, <unsigned char *><char *>out, &length)
    return out


@cython.final
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

    def compress(self, data):
        """One message, compressed and sync-flushed, without the final ``00 00 ff ff``."""
        return self._compress(data)

    cdef bytes _compress(self, data):
        cdef unsigned char buf[_STACK]
        cdef const unsigned char *start
        cdef Py_ssize_t size
        cdef Py_ssize_t used
        cdef int strategy
        cdef int status
        if not PyBytes_CheckExact(data):
            data = bytes(data)   # (rare: the connection sends bytes)
        start = <const unsigned char *>PyBytes_AS_STRING(data)
        size = PyBytes_GET_SIZE(data)
        strategy = Z_FIXED if size < _FIXED_BELOW else Z_DEFAULT_STRATEGY
        if strategy != self._strategy:
            # Between messages nothing is pending (the last one ended with a sync flush),
            # so zlib switches without emitting anything; it wants an output buffer.
            self._zs.next_in = &_EMPTY
            self._zs.avail_in = 0
            self._zs.next_out = buf
            self._zs.avail_out = 0
            if deflateParams(&self._zs, self._level, strategy) == Z_OK:
                self._strategy = strategy
        self._zs.next_in = <unsigned char *>start
        self._zs.avail_in = <unsigned int>size
        self._zs.next_out = buf
        self._zs.avail_out = _STACK
        # One deflate call deflates and sync-flushes a message that fits the stack buffer
        # (every message under about 16 KiB: deflate never grows data by more than a
        # few bytes per 16 KiB block).
        if size < _NOGIL_FROM:
            status = deflate(&self._zs, Z_SYNC_FLUSH)
        else:
            with nogil:
                status = deflate(&self._zs, Z_SYNC_FLUSH)
        if status != Z_OK and status != Z_BUF_ERROR:
            raise ValueError("deflate failed (%d)" % status)
        used = _STACK - self._zs.avail_out
        if self._zs.avail_out != 0:
            if used == 0:
                # An empty message right after a flush: zlib does not flush twice.
                # A lone 0x00 (RFC 7692 7.2.3.6) is an empty stored block's header,
                # so the client's appended 00 00 ff ff completes it.
                return b"\x00"
            return PyBytes_FromStringAndSize(<char *>buf, used - 4)
        return self._compress_rest(buf)

    cdef bytes _compress_rest(self, unsigned char *buf):
        """The rest of a message that filled the stack buffer: more calls, then one join."""
        cdef int status
        pieces = [PyBytes_FromStringAndSize(<char *>buf, _STACK)]
        while self._zs.avail_out == 0:
            self._zs.next_out = buf
            self._zs.avail_out = _STACK
            with nogil:
                status = deflate(&self._zs, Z_SYNC_FLUSH)
            if status != Z_OK and status != Z_BUF_ERROR:
                raise ValueError("deflate failed (%d)" % status)
            pieces.append(PyBytes_FromStringAndSize(<char *>buf, _STACK - self._zs.avail_out))
        joined = b"".join(pieces)
        return joined[:len(joined) - 4]

    def window(self):
        """The last window of plaintext as zlib holds it: at most ``1 << bits`` bytes, at
        least all a match may reach (zlib slides its window by halves, so after a slide
        it holds a little less than a window; it never refers back further)."""
        return _window(&self._zs, deflateGetDictionary)


cdef const unsigned char *_TAIL = <const unsigned char *>b"\x00\x00\xff\xff"


cdef class Inflater:
    """A raw-inflate stream with a ``bits`` window, optionally started over ``zdict``.

    Output goes to a stack buffer, then (past 16 KiB) to 16 KiB pieces: one bytes object
    for a short message, and zlib is never given room for more than ``budget + 1`` bytes,
    so a bomb costs at most its budget of memory."""

    cdef z_stream _zs
    cdef bint _ready

    def __cinit__(self, int bits, const unsigned char[:] zdict=b""):
        self._zs.zalloc = _alloc
        self._zs.zfree = _free
        self._zs.opaque = NULL
        self._zs.next_in = NULL
        self._zs.avail_in = 0
        if inflateInit2(&self._zs, -bits) != Z_OK:
            raise ValueError("zlib refused the inflate window (%d)" % bits)
        self._ready = True
        self._set_dictionary(&zdict[0] if zdict.shape[0] else NULL, zdict.shape[0])

    def __dealloc__(self):
        if self._ready:
            inflateEnd(&self._zs)

    cdef int _set_dictionary(self, const unsigned char *zdict, Py_ssize_t size) except -1:
        if size and inflateSetDictionary(&self._zs, zdict, <unsigned int>size) != Z_OK:
            raise ValueError("zlib refused the preset dictionary")
        return 0

    def inflate(self, data, bint fin, Py_ssize_t budget):
        """One frame of a message, inflated (``fin``: the message's last, so the tail goes
        back on); at most ``budget`` bytes, or WebSocketError(1009) before producing more;
        WebSocketError(1007) for what is not deflate data."""
        cdef unsigned char buf[_STACK]
        cdef const unsigned char *start
        cdef Py_ssize_t size
        cdef Py_ssize_t room = budget + 1     # what zlib may still write
        cdef Py_ssize_t filled = 0            # in buf
        cdef unsigned int give
        cdef int status
        cdef bint tail = False
        cdef bint nogil_ = False
        cdef bint pending = False             # zlib filled buf: it may hold more output
        pieces = None
        if not PyBytes_CheckExact(data):
            data = bytes(data)   # (rare: frames arrive as bytes)
        start = <const unsigned char *>PyBytes_AS_STRING(data)
        size = PyBytes_GET_SIZE(data)
        nogil_ = size >= _NOGIL_FROM
        while True:
            if self._zs.avail_in == 0 and not pending:
                if size:
                    # (avail_in is 32 bits wide)
                    give = <unsigned int>(size if size < (1 << 30) else (1 << 30))
                    self._zs.next_in = <unsigned char *>start
                    self._zs.avail_in = give
                    start += give
                    size -= give
                elif fin and not tail:
                    self._zs.next_in = <unsigned char *>_TAIL
                    self._zs.avail_in = 4
                    tail = True
                else:
                    break
            if filled == _STACK:
                if pieces is None:
                    pieces = []
                pieces.append(PyBytes_FromStringAndSize(<char *>buf, _STACK))
                filled = 0
            self._zs.next_out = buf + filled
            self._zs.avail_out = <unsigned int>(_STACK - filled if _STACK - filled < room
                                                else room)
            give = self._zs.avail_out
            if nogil_:
                with nogil:
                    status = inflate(&self._zs, Z_SYNC_FLUSH)
            else:
                status = inflate(&self._zs, Z_SYNC_FLUSH)
            pending = self._zs.avail_out == 0
            give -= self._zs.avail_out
            filled += give
            room -= give
            if room == 0:
                self._zs.avail_in = 0
                raise WebSocketError(CLOSE_TOO_BIG, "message over the size limit (inflated)")
            if status == Z_STREAM_END:
                # (what of the frame follows the final block, and its first byte)
                if tail or not (self._zs.avail_in or size):
                    self._restart(0, fin, 0)
                else:
                    self._restart(size + self._zs.avail_in, fin,
                                  self._zs.next_in[0] if self._zs.avail_in else start[0])
                break
            if status != Z_OK and status != Z_BUF_ERROR:
                self._zs.avail_in = 0
                if status == Z_MEM_ERROR:
                    raise MemoryError()
                raise WebSocketError(CLOSE_INVALID_DATA, "invalid compressed data (%s)" % (
                    PyBytes_FromString(self._zs.msg).decode("ascii", "replace")
                    if self._zs.msg != NULL else "zlib error %d" % status))
        if pieces is None:
            return PyBytes_FromStringAndSize(<char *>buf, filled)
        pieces.append(PyBytes_FromStringAndSize(<char *>buf, filled))
        return b"".join(pieces)

    cdef int _restart(self, Py_ssize_t left, bint fin, unsigned char first) except -1:
        """After a final block (RFC 7692 7.2.3.4 allows one): nothing may follow it but
        what 7.2.1 leaves there (``left`` bytes of the frame, the first ``first``: in the
        last frame, the header byte of the empty stored block the sender appended; see
        the twin's only_the_empty_block); the next frame starts a new stream over the
        same history."""
        cdef unsigned int length = 0
        cdef unsigned char window[1 << 15]
        self._zs.avail_in = 0
        if left and not (fin and left == 1 and not first & 0x06):
            raise WebSocketError(CLOSE_PROTOCOL_ERROR, "data after the final deflate block")
        inflateGetDictionary(&self._zs, window, &length)
        inflateReset(&self._zs)
        self._set_dictionary(window, length)
        return 0

    def window(self):
        """The last window of plaintext as zlib holds it (at most ``1 << bits`` bytes)."""
        return _window(&self._zs, inflateGetDictionary)


cdef class EncoderBase:
    """The message path of PerMessageDeflate.encode (txsockjs.protocol.deflate subclasses
    this): a message of ``threshold`` bytes or more, with a live compressor, is compressed
    here without passing through a Python frame; anything else goes to the subclass's
    ``_encode_first``."""

    cdef public object _compressor
    cdef public Py_ssize_t threshold
    #: Set by every message; the idle sweep clears it.
    cdef public bint active

    def encode(self, int opcode, payload):
        """(RSV1, the compressed payload), or (0, payload) for a message sent as it is."""
        compressor = self._compressor
        if compressor is not None and len(payload) >= self.threshold:
            self.active = True
            if type(compressor) is Deflater:
                return (RSV1, (<Deflater>compressor)._compress(payload))
            return (RSV1, compressor.compress(payload))
        return self._encode_first(payload)
