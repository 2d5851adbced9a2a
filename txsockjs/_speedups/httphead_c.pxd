# What the compiled request reader (httpreader_c) calls of the head kernel, in C.
cdef tuple _parse(const unsigned char *p, Py_ssize_t n, Py_ssize_t max_headers)
cdef Py_ssize_t _find_head_end(const unsigned char *p, Py_ssize_t n, Py_ssize_t start,
                               Py_ssize_t *begin) noexcept
