/*
 * elfcheck: runs the kernel's own ELF load-plan validation (kernel/lib/elf.c)
 * over user programs at build time, so a program the kernel or init would
 * refuse never reaches the initramfs, and prints each plan.
 *
 *     elfcheck [-q] FILE...      exit 0 if every file is a valid static executable
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/elf.h"

static int check(const char *path, int quiet)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "elfcheck: %s: out of memory\n", path);
        return 1;
    }
    struct elf_plan plan;
    int where = -1;
    enum elf_err err = elf_plan(buf, len, NULL, &plan, &where);
    free(buf);
    if (err != ELF_OK) {
        fprintf(stderr, "elfcheck: %s: %s (program header %d)\n", path, elf_strerror(err), where);
        return 1;
    }
    if (!quiet) {
        printf("%s: entry %#llx, %u segments\n", path, (unsigned long long)plan.entry, plan.nseg);
        for (unsigned i = 0; i < plan.nseg; i++) {
            const struct elf_segment *s = &plan.seg[i];
            printf("  [%#10llx, %#10llx) %c%c%c  file %#llx + %#llx\n",
                   (unsigned long long)s->vaddr, (unsigned long long)(s->vaddr + s->memsz),
                   s->perm & ELF_PERM_R ? 'r' : '-', s->perm & ELF_PERM_W ? 'w' : '-',
                   s->perm & ELF_PERM_X ? 'x' : '-', (unsigned long long)s->offset,
                   (unsigned long long)s->filesz);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int quiet = argc > 1 && !strcmp(argv[1], "-q");
    int bad = 0;
    for (int i = 1 + quiet; i < argc; i++)
        bad |= check(argv[i], quiet);
    return bad;
}
