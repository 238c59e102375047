/*
 * strlcpy, in its own file so host builds can link it beside the host C
 * library (glibc 2.36 lacks it) without taking the kernel's memcpy and friends.
 */
#include "lib/string.h"

size_t strlcpy(char *d, const char *s, size_t n)
{
    size_t len = strlen(s);
    if (n) {
        size_t k = len < n - 1 ? len : n - 1;
        memcpy(d, s, k);
        d[k] = 0;
    }
    return len;
}
