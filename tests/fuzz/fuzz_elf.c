/*
 * libFuzzer target: ELF64 load plans over arbitrary bytes. Properties: no crash,
 * no read outside the input (ASan, exact-size copy), no undefined behaviour; a
 * plan, when one is returned, keeps every promise of lib/elf.h: segments inside
 * the file and the user range, page-congruent, ascending on disjoint pages, W^X,
 * and the entry in the file bytes of an executable segment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/elf.h"

#define PAGE 0xfffull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    struct elf_plan plan;
    int where;
    if (elf_plan(buf, size, NULL, &plan, &where) == ELF_OK) {
        uint64_t prev = 0;
        int entry_ok = 0;
        if (plan.nseg < 1 || plan.nseg > ELF_MAX_SEGMENTS || plan.wx)
            abort();
        for (unsigned i = 0; i < plan.nseg; i++) {
            const struct elf_segment *s = &plan.seg[i];
            uint64_t lo = s->vaddr & ~PAGE, hi = (s->vaddr + s->memsz + PAGE) & ~PAGE;
            if (!s->memsz || s->filesz > s->memsz || s->offset > size ||
                s->filesz > size - s->offset || (s->vaddr & PAGE) != (s->offset & PAGE))
                abort();
            if (lo < ELF_USER_MIN || hi > ELF_USER_END || hi <= lo || lo < prev)
                abort();
            if (!s->perm || (s->perm & ~7u) || ((s->perm & ELF_PERM_W) && (s->perm & ELF_PERM_X)))
                abort();
            if ((s->perm & ELF_PERM_X) && plan.entry >= s->vaddr &&
                plan.entry - s->vaddr < s->filesz)
                entry_ok = 1;
            prev = hi;
        }
        if (!entry_ok || plan.hi != prev || plan.lo != (plan.seg[0].vaddr & ~PAGE))
            abort();
    }
    free(buf);
    return 0;
}
