/* The one XOR kernel of RFC 6455 masking, shared by _mask.pyx and wsframes_c.pyx
   (both cimport it through xor.pxd). */
#ifndef TXS_XOR_H
#define TXS_XOR_H
#include <Python.h>
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

#endif
