/*
 * Freestanding string and memory functions, one implementation for the kernel and
 * the user C library (mk/user.mk links this file into every program): plain byte
 * loops, small and obviously right rather than fast. The compiler may emit calls to
 * memset/memcpy/memmove/memcmp itself, so these must exist under these names.
 *
 * memcpy, memmove and memset move eight bytes a step where the two addresses
 * can be brought to 8-byte alignment together (the common case: pages, buffers,
 * structures), with bytes before and after; otherwise a byte at a time. Copies of
 * pages between VMOs and address spaces run through them, so a byte loop costs
 * several instructions per byte there (docs/perf/storage.md).
 *
 * WF_LIBC_NAME lets the host tests compile this file under other names and
 * compare each function with the host C library's (tests/host/test_ulibc.c).
 */
#include "lib/string.h"

#include <stdint.h>

#ifndef WF_LIBC_NAME
#define WF_LIBC_NAME(n) n
#endif

/* A word that may alias anything (the copies below read and write through it). */
typedef uint64_t __attribute__((may_alias)) word_t;

/* Copies n bytes upwards (d below s, or apart). */
static void copy_up(unsigned char *dp, const unsigned char *sp, size_t n)
{
    if (n >= 16 && (((uintptr_t)dp ^ (uintptr_t)sp) & 7) == 0) {
        while ((uintptr_t)dp & 7) {
            *dp++ = *sp++;
            n--;
        }
        word_t *dw = (word_t *)(void *)dp;
        const word_t *sw = (const word_t *)(const void *)sp;
        for (; n >= 32; n -= 32, dw += 4, sw += 4) {
            word_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
            dw[0] = a;
            dw[1] = b;
            dw[2] = c;
            dw[3] = e;
        }
        for (; n >= 8; n -= 8)
            *dw++ = *sw++;
        dp = (unsigned char *)dw;
        sp = (const unsigned char *)sw;
    }
    while (n--)
        *dp++ = *sp++;
}

void *WF_LIBC_NAME(memcpy)(void *restrict d, const void *restrict s, size_t n)
{
    copy_up(d, s, n);
    return d;
}

void *WF_LIBC_NAME(memmove)(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp == sp || n == 0)
        return d;
    if (dp < sp || dp >= sp + n) {
        copy_up(dp, sp, n);
        return d;
    }
    /* overlapping with d above s: downwards */
    if (n >= 16 && (((uintptr_t)dp ^ (uintptr_t)sp) & 7) == 0) {
        while ((uintptr_t)(dp + n) & 7) {
            n--;
            dp[n] = sp[n];
        }
        for (; n >= 8; n -= 8)
            *(word_t *)(void *)(dp + n - 8) = *(const word_t *)(const void *)(sp + n - 8);
    }
    while (n--)
        dp[n] = sp[n];
    return d;
}

void *WF_LIBC_NAME(memset)(void *d, int c, size_t n)
{
    unsigned char *dp = d;
    if (n >= 16) {
        while ((uintptr_t)dp & 7) {
            *dp++ = (unsigned char)c;
            n--;
        }
        word_t v = 0x0101010101010101ull * (unsigned char)c;
        word_t *dw = (word_t *)(void *)dp;
        for (; n >= 32; n -= 32, dw += 4) {
            dw[0] = v;
            dw[1] = v;
            dw[2] = v;
            dw[3] = v;
        }
        for (; n >= 8; n -= 8)
            *dw++ = v;
        dp = (unsigned char *)dw;
    }
    while (n--)
        *dp++ = (unsigned char)c;
    return d;
}

void *WF_LIBC_NAME(memchr)(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++)
        if (p[i] == (unsigned char)c)
            return (void *)(p + i);
    return NULL;
}

int WF_LIBC_NAME(memcmp)(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t WF_LIBC_NAME(strlen)(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t WF_LIBC_NAME(strnlen)(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int WF_LIBC_NAME(strcmp)(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x < *y ? -1 : *x > *y;
}

int WF_LIBC_NAME(strncmp)(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (; n; n--, x++, y++) {
        if (*x != *y)
            return *x < *y ? -1 : 1;
        if (!*x)
            return 0;
    }
    return 0;
}

char *WF_LIBC_NAME(strchr)(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}
