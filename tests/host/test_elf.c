/*
 * ELF64 load plans (kernel/lib/elf.c): a well-formed two-segment executable
 * built here, then one malformation per check (header fields, program header
 * table bounds, each segment rule, the entry point), the index of the header at
 * fault, the options (user range, W^X reported instead of refused), a dynamic
 * host executable refused, and random corruption checked against the plan's
 * promised invariants.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_image.h"
#include "lib/elf.h"

enum { PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4, PT_GNU_STACK = 0x6474e551 };
enum { R = ELF_PERM_R, W = ELF_PERM_W, X = ELF_PERM_X };

#define FILE_SIZE 0x3000
static uint8_t F[FILE_SIZE];
static struct ehdr *H;
static struct phdr *P;

/* A static executable: text RX at 0x400000 (file 0x1000, 0x800 bytes), data RW
 * at 0x402010 (file 0x2010, 0x100 bytes, 0x2000 in memory), a GNU_STACK header. */
static void sample(void)
{
    memset(F, 0, sizeof(F));
    H = (struct ehdr *)F;
    P = (struct phdr *)(F + 64);
    memcpy(H->ident,
           "\x7f"
           "ELF",
           4);
    H->ident[4] = 2;
    H->ident[5] = 1;
    H->ident[6] = 1;
    H->type = 2;
    H->machine = 62;
    H->version = 1;
    H->entry = 0x400010;
    H->phoff = 64;
    H->ehsize = 64;
    H->phentsize = 56;
    H->phnum = 3;
    P[0] = (struct phdr){PT_LOAD, R | X, 0x1000, 0x400000, 0x400000, 0x800, 0x800, 0x1000};
    P[1] = (struct phdr){PT_LOAD, R | W, 0x2010, 0x402010, 0x402010, 0x100, 0x2000, 0x1000};
    P[2] = (struct phdr){PT_GNU_STACK, R | W, 0, 0, 0, 0, 0, 16};
}

static struct elf_plan plan;
static int where;

static enum elf_err run(void)
{
    where = 12345;
    return elf_plan(F, sizeof(F), NULL, &plan, &where);
}

#define EXPECT(err, at)                                                                            \
    do {                                                                                           \
        enum elf_err e_ = run();                                                                   \
        cr_assert_eq(e_, err, "got %s (%d), want %s", elf_strerror(e_), e_, elf_strerror(err));    \
        cr_assert_eq(where, at, "where %d, want %d", where, at);                                   \
    } while (0)

Test(elf, valid_plan)
{
    sample();
    cr_assert_eq(run(), ELF_OK);
    cr_assert_eq(where, 12345, "where untouched on success");
    cr_assert_eq(plan.entry, 0x400010);
    cr_assert_eq(plan.nseg, 2);
    cr_assert_eq(plan.seg[0].vaddr, 0x400000);
    cr_assert_eq(plan.seg[0].memsz, 0x800);
    cr_assert_eq(plan.seg[0].offset, 0x1000);
    cr_assert_eq(plan.seg[0].filesz, 0x800);
    cr_assert_eq(plan.seg[0].perm, R | X);
    cr_assert_eq(plan.seg[1].vaddr, 0x402010);
    cr_assert_eq(plan.seg[1].filesz, 0x100);
    cr_assert_eq(plan.seg[1].memsz, 0x2000);
    cr_assert_eq(plan.seg[1].perm, R | W);
    cr_assert_eq(plan.lo, 0x400000);
    cr_assert_eq(plan.hi, 0x405000);
    cr_assert_eq(plan.wx, 0);
}

Test(elf, header_checks)
{
    sample();
    cr_assert_eq(elf_plan(F, 63, NULL, &plan, &where), ELF_ERR_TRUNCATED);
    cr_assert_eq(where, -1);
    cr_assert_eq(elf_plan(NULL, 0, NULL, &plan, &where), ELF_ERR_TRUNCATED);
    F[1] = 'e';
    EXPECT(ELF_ERR_MAGIC, -1);
    sample();
    H->ident[4] = 1;
    EXPECT(ELF_ERR_CLASS, -1);
    sample();
    H->ident[5] = 2;
    EXPECT(ELF_ERR_DATA, -1);
    sample();
    H->ident[6] = 0;
    EXPECT(ELF_ERR_VERSION, -1);
    sample();
    H->version = 2;
    EXPECT(ELF_ERR_VERSION, -1);
    sample();
    H->ident[7] = 9; /* FreeBSD */
    EXPECT(ELF_ERR_OSABI, -1);
    H->ident[7] = 3; /* GNU: accepted */
    EXPECT(ELF_OK, 12345);
    const uint16_t types[] = {0, 1, 3, 4, 0xfe00};
    for (unsigned i = 0; i < 5; i++) {
        sample();
        H->type = types[i];
        EXPECT(ELF_ERR_TYPE, -1);
    }
    sample();
    H->machine = 3; /* i386 */
    EXPECT(ELF_ERR_MACHINE, -1);
    sample();
    H->ehsize = 52;
    EXPECT(ELF_ERR_EHSIZE, -1);
    sample();
    H->phentsize = 32;
    EXPECT(ELF_ERR_PHENTSIZE, -1);
    H->phentsize = 64;
    EXPECT(ELF_ERR_PHENTSIZE, -1);
    sample();
    H->phnum = 0;
    EXPECT(ELF_ERR_PHNUM, -1);
    H->phnum = ELF_MAX_PHNUM + 1;
    EXPECT(ELF_ERR_PHNUM, -1);
    H->phnum = 0xffff; /* PN_XNUM */
    EXPECT(ELF_ERR_PHNUM, -1);
}

Test(elf, program_header_table_bounds)
{
    sample();
    H->phoff = FILE_SIZE - 56 * 3 + 1;
    EXPECT(ELF_ERR_PHDRS, -1);
    H->phoff = FILE_SIZE + 1;
    EXPECT(ELF_ERR_PHDRS, -1);
    H->phoff = UINT64_MAX - 8; /* phoff + size would wrap */
    EXPECT(ELF_ERR_PHDRS, -1);
    sample();
    memmove(F + FILE_SIZE - 56 * 3, F + 64, 56 * 3);
    H->phoff = FILE_SIZE - 56 * 3; /* last bytes of the file: fine */
    P = (struct phdr *)(F + H->phoff);
    EXPECT(ELF_OK, 12345);
}

Test(elf, dynamic_executables_refused)
{
    sample();
    P[2].type = PT_INTERP;
    EXPECT(ELF_ERR_INTERP, 2);
    P[2].type = PT_DYNAMIC;
    EXPECT(ELF_ERR_INTERP, 2);
    P[2].type = PT_NOTE;
    EXPECT(ELF_OK, 12345);
}

Test(elf, segment_inside_the_file)
{
    sample();
    P[1].offset = FILE_SIZE + 0x10; /* congruent, past the end */
    P[1].vaddr = 0x403010;
    EXPECT(ELF_ERR_SEG_FILE, 1);
    sample();
    P[1].filesz = FILE_SIZE - 0x2010 + 1;
    EXPECT(ELF_ERR_SEG_FILE, 1);
    P[1].filesz = FILE_SIZE - 0x2010; /* up to the last byte: fine */
    EXPECT(ELF_OK, 12345);
    sample();
    P[0].offset = UINT64_MAX & ~0xfffull; /* offset + filesz wraps */
    EXPECT(ELF_ERR_SEG_FILE, 0);
    sample();
    P[0].filesz = UINT64_MAX;
    P[0].memsz = UINT64_MAX;
    EXPECT(ELF_ERR_SEG_FILE, 0);
}

Test(elf, filesz_above_memsz)
{
    sample();
    P[1].filesz = 0x101;
    P[1].memsz = 0x100;
    EXPECT(ELF_ERR_SEG_FILESZ, 1);
}

Test(elf, alignment_and_congruence)
{
    sample();
    P[0].offset = 0x1008; /* vaddr 0x400000 */
    EXPECT(ELF_ERR_SEG_ALIGN, 0);
    sample();
    P[1].align = 0x3000;
    EXPECT(ELF_ERR_SEG_ALIGN, 1);
    sample();
    P[1].align = 0x200000; /* vaddr - offset = 0x400000: congruent mod 2 MiB */
    EXPECT(ELF_OK, 12345);
    P[1].vaddr = 0x403010; /* still page-congruent, not 2 MiB-congruent */
    EXPECT(ELF_ERR_SEG_ALIGN, 1);
    sample();
    P[0].align = 0;
    P[1].align = 1;
    EXPECT(ELF_OK, 12345);
}

Test(elf, wrap_and_user_range)
{
    sample();
    P[1].vaddr = 0xfffffffffffff010;
    P[1].offset = 0x2010;
    EXPECT(ELF_ERR_SEG_WRAP, 1);
    sample();
    P[1].memsz = UINT64_MAX - 0x800;
    EXPECT(ELF_ERR_SEG_WRAP, 1);
    sample();
    P[1].vaddr = 0xffff800000002010; /* kernel half */
    EXPECT(ELF_ERR_SEG_RANGE, 1);
    sample();
    P[1].vaddr = 0x7ffffffff010; /* ends past the user half */
    EXPECT(ELF_ERR_SEG_RANGE, 1);
    P[1].memsz = 0xff0; /* ends exactly at its top: fine */
    EXPECT(ELF_OK, 12345);
    sample();
    P[0].vaddr = 0x0; /* the null page */
    P[0].offset = 0x1000;
    H->entry = 0x10;
    EXPECT(ELF_ERR_SEG_RANGE, 0);
    P[0].vaddr = 0x1000; /* just above it: fine */
    H->entry = 0x1010;
    EXPECT(ELF_OK, 12345);
}

Test(elf, options_change_the_range)
{
    sample();
    struct elf_opts o = {0x500000, 0x600000, false};
    cr_assert_eq(elf_plan(F, sizeof(F), &o, &plan, &where), ELF_ERR_SEG_RANGE);
    cr_assert_eq(where, 0);
    o = (struct elf_opts){0x400000, 0x405000, false};
    cr_assert_eq(elf_plan(F, sizeof(F), &o, &plan, &where), ELF_OK);
    o.user_end = 0x404000;
    cr_assert_eq(elf_plan(F, sizeof(F), &o, &plan, &where), ELF_ERR_SEG_RANGE);
    cr_assert_eq(where, 1);
}

Test(elf, order_and_shared_pages)
{
    sample();
    P[1].vaddr = 0x3ff010; /* below the text */
    EXPECT(ELF_ERR_SEG_ORDER, 1);
    sample();
    P[1].vaddr = 0x400810; /* on the text's last page */
    P[1].offset = 0x2810;
    EXPECT(ELF_ERR_SEG_ORDER, 1);
    sample();
    P[1].vaddr = 0x401010; /* the next page: fine */
    EXPECT(ELF_OK, 12345);
    cr_assert_eq(plan.hi, 0x404000);
}

Test(elf, write_xor_execute)
{
    sample();
    P[1].flags = R | W | X;
    EXPECT(ELF_ERR_SEG_WX, 1);
    struct elf_opts o = elf_default_opts();
    o.allow_wx = true;
    cr_assert_eq(elf_plan(F, sizeof(F), &o, &plan, &where), ELF_OK);
    cr_assert_eq(plan.wx, 1);
    cr_assert_eq(plan.seg[1].perm, R | W | X);
    P[1].flags = 0;
    EXPECT(ELF_ERR_SEG_PERM, 1);
    P[1].flags = 0xf0000000 | R; /* processor-specific bits are ignored */
    EXPECT(ELF_OK, 12345);
    cr_assert_eq(plan.seg[1].perm, R);
}

Test(elf, empty_segments_skipped_and_limits)
{
    sample();
    P[2] = (struct phdr){PT_LOAD, R, 0, 0x300000, 0, 0, 0, 0x1000}; /* memsz 0: skipped */
    EXPECT(ELF_OK, 12345);
    cr_assert_eq(plan.nseg, 2);
    sample();
    P[0].memsz = 0;
    P[0].filesz = 0;
    P[1].memsz = 0;
    P[1].filesz = 0;
    EXPECT(ELF_ERR_NO_SEGMENTS, -1);
    /* ELF_MAX_SEGMENTS read-only pages, then one more. */
    sample();
    H->phnum = ELF_MAX_SEGMENTS + 1;
    for (unsigned i = 0; i <= ELF_MAX_SEGMENTS; i++)
        P[i] = (struct phdr){PT_LOAD, i ? R : R | X, 0x1000, 0x400000 + 0x1000 * (uint64_t)i,
                             0,       0x100,         0x100,  0x1000};
    EXPECT(ELF_ERR_SEG_COUNT, ELF_MAX_SEGMENTS);
    H->phnum = ELF_MAX_SEGMENTS;
    EXPECT(ELF_OK, 12345);
    cr_assert_eq(plan.nseg, ELF_MAX_SEGMENTS);
}

Test(elf, entry_point)
{
    sample();
    H->entry = 0x402010; /* data */
    EXPECT(ELF_ERR_ENTRY, -1);
    H->entry = 0x400800; /* one past the text's file bytes */
    EXPECT(ELF_ERR_ENTRY, -1);
    H->entry = 0x4007ff;
    EXPECT(ELF_OK, 12345);
    P[0].memsz = 0x1000; /* text with a zero-filled tail: entry must be in the file part */
    H->entry = 0x400900;
    EXPECT(ELF_ERR_ENTRY, -1);
    H->entry = 0x3fffff;
    EXPECT(ELF_ERR_ENTRY, -1);
    H->entry = 0;
    EXPECT(ELF_ERR_ENTRY, -1);
}

Test(elf, host_dynamic_executable_refused)
{
    static uint8_t buf[1 << 20];
    FILE *f = fopen("/proc/self/exe", "rb");
    cr_assert(f);
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    enum elf_err e = elf_plan(buf, n, NULL, &plan, &where);
    cr_assert(e == ELF_ERR_TYPE || e == ELF_ERR_INTERP, "host binary: %s", elf_strerror(e));
}

/* Random corruption of the sample: errors are fine; a plan must keep every
 * promise the header makes. */
Test(elf, random_corruption)
{
    srand(62);
    for (int round = 0; round < 50000; round++) {
        sample();
        int flips = 1 + rand() % 3;
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)rand() % (64 + 56 * 3);
            F[at] = (rand() & 1) ? (uint8_t)rand() : F[at] ^ (uint8_t)(1u << (rand() % 8));
        }
        size_t len = (rand() % 8) ? FILE_SIZE : (size_t)rand() % (FILE_SIZE + 1);
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, F, len);
        enum elf_err e = elf_plan(copy, len, NULL, &plan, &where);
        cr_assert(e >= ELF_OK && e < ELF_ERR_COUNT);
        if (e == ELF_OK) {
            cr_assert(plan.nseg >= 1 && plan.nseg <= ELF_MAX_SEGMENTS);
            bool entry_ok = false;
            uint64_t prev = 0;
            for (unsigned i = 0; i < plan.nseg; i++) {
                const struct elf_segment *s = &plan.seg[i];
                uint64_t lo = s->vaddr & ~0xfffull, hi = (s->vaddr + s->memsz + 0xfff) & ~0xfffull;
                cr_assert(s->memsz > 0 && s->filesz <= s->memsz);
                cr_assert(s->offset <= len && s->filesz <= len - s->offset);
                cr_assert((s->vaddr & 0xfff) == (s->offset & 0xfff));
                cr_assert(lo >= ELF_USER_MIN && hi <= ELF_USER_END && hi > lo);
                cr_assert(lo >= prev);
                cr_assert(!((s->perm & W) && (s->perm & X)));
                cr_assert(s->perm && !(s->perm & ~7u));
                prev = hi;
                if ((s->perm & X) && plan.entry >= s->vaddr && plan.entry < s->vaddr + s->filesz)
                    entry_ok = true;
            }
            cr_assert(entry_ok);
            cr_assert_eq(plan.hi, prev);
        } else {
            cr_assert(where >= -1 && where < 0x10000);
        }
        free(copy);
    }
}

Test(elf, error_strings)
{
    for (int e = 0; e < ELF_ERR_COUNT; e++)
        cr_assert(elf_strerror(e) && *elf_strerror(e), "error %d", e);
    cr_assert_str_eq(elf_strerror(ELF_ERR_COUNT), "unknown error");
}
