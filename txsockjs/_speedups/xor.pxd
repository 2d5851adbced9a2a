# The XOR kernel of RFC 6455 masking (xor.h), for the kernels that cimport it.

cdef extern from "xor.h":
    void xor_copy "txs_xor_copy" (const unsigned char *src, unsigned char *dst,
                                  Py_ssize_t n, const unsigned char *mask) noexcept nogil
    void xor_inplace "txs_xor_inplace" (unsigned char *buf, Py_ssize_t n,
                                        const unsigned char *mask) noexcept nogil
