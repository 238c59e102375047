/*
 * libFuzzer target: the Linux personality's executable parser and page pieces
 * (user/lx/lxelf.c) over arbitrary bytes. Properties: no crash, no read outside
 * the input (ASan, exact-size copy), no undefined behaviour; an accepted file
 * keeps the promises of lxelf.h: segments inside the file and the user range,
 * ascending and disjoint, the entry in an executable segment, and pieces that
 * ascend without overlapping and cover every segment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lxelf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    struct lx_elf img;
    if (lx_elf_parse(buf, size, &img) == LX_ELF_OK) {
        int entry_ok = 0;
        if (img.nseg < 1 || img.nseg > LX_ELF_MAX_SEG)
            abort();
        for (unsigned i = 0; i < img.nseg; i++) {
            const struct lx_seg *s = &img.seg[i];
            if (!s->memsz || s->filesz > s->memsz || s->offset > size ||
                s->filesz > size - s->offset)
                abort();
            if (s->vaddr < LX_USER_MIN || s->vaddr + s->memsz > LX_USER_END)
                abort();
            if (i && s->vaddr < img.seg[i - 1].vaddr + img.seg[i - 1].memsz)
                abort();
            if ((s->perm & LX_PERM_X) && img.entry >= s->vaddr && img.entry - s->vaddr < s->memsz)
                entry_ok = 1;
        }
        if (!entry_ok)
            abort();
        struct lx_piece p[2 * LX_ELF_MAX_SEG];
        unsigned n = lx_elf_pieces(&img, p, 2 * LX_ELF_MAX_SEG);
        for (unsigned i = 0; i < n; i++)
            if (p[i].lo >= p[i].hi || (p[i].lo & (LX_PAGE - 1)) || (i && p[i].lo < p[i - 1].hi))
                abort();
        for (unsigned i = 0; i < img.nseg; i++) {
            uint64_t a = img.seg[i].vaddr, found = 0;
            for (unsigned j = 0; j < n; j++)
                if (a >= p[j].lo && a < p[j].hi && (p[j].perm & img.seg[i].perm) == img.seg[i].perm)
                    found = 1;
            if (!found)
                abort();
        }
    }
    free(buf);
    return 0;
}
