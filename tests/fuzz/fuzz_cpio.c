/*
 * libFuzzer target: the CPIO newc reader over arbitrary bytes. Properties: no
 * crash, no read outside the input (ASan, on an exact-size copy), no undefined
 * behaviour (UBSan); every entry returned lies inside the input with its name
 * NUL-terminated at namelen; cpio_validate agrees with a full iteration; a name
 * cpio_find reports found is one the iteration met.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cpio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    struct cpio_iter it;
    struct cpio_entry e, first = {0};
    enum cpio_err err;
    size_t n = 0;
    cpio_iter_init(&it, buf, size);
    while ((err = cpio_next(&it, &e)) == CPIO_OK) {
        const uint8_t *d = e.data, *nm = (const uint8_t *)e.name;
        if (d < buf || e.size > size || d + e.size > buf + size)
            abort();
        if (nm < buf || e.namelen >= size || nm + e.namelen >= buf + size || e.name[e.namelen])
            abort();
        if (strlen(e.name) != e.namelen)
            abort();
        if (n++ == 0)
            first = e;
    }
    size_t count = 0;
    enum cpio_err v = cpio_validate(buf, size, &count, NULL);
    if ((err == CPIO_END) != (v == CPIO_OK) || (v == CPIO_OK && count != n))
        abort();
    if (v != CPIO_OK && v != err)
        abort();
    if (n) {
        struct cpio_entry f;
        enum cpio_err r = cpio_find(buf, size, first.name, &f);
        if (v == CPIO_OK && r != CPIO_OK && r != CPIO_ERR_DUPLICATE)
            abort();
        if (r == CPIO_OK && (f.offset != first.offset || f.size != first.size))
            abort();
    }
    free(buf);
    return 0;
}
