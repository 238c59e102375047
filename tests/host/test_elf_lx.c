/*
 * Linux executables for lx (user/lx/lxelf.c): a well-formed static executable
 * and a static PIE built here, each rule of the parser broken once, the page
 * pieces of segments sharing a page, and the initial stack read back as a
 * Linux program's start code reads it.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "elf_image.h"
#include "lxelf.h"

enum { PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_PHDR = 6, PT_TLS = 7 };
enum { PF_X = 1, PF_W = 2, PF_R = 4 };

#define FILE_SIZE 0x3000
static uint8_t file[FILE_SIZE];

static struct ehdr *eh(void)
{
    return (struct ehdr *)file;
}

static struct phdr *ph(unsigned i)
{
    return (struct phdr *)(file + sizeof(struct ehdr) + i * sizeof(struct phdr));
}

/* What ld makes of a static musl program: text r-x at 0x401000 and data rw- on
 * the page after it (sharing none), plus PT_PHDR and PT_TLS. */
static void build(uint16_t type, uint64_t base)
{
    memset(file, 0, sizeof(file));
    memcpy(eh()->ident,
           "\x7f"
           "ELF\x02\x01\x01",
           7);
    eh()->type = type;
    eh()->machine = 62;
    eh()->version = 1;
    eh()->entry = base + 0x1010;
    eh()->phoff = sizeof(struct ehdr);
    eh()->ehsize = sizeof(struct ehdr);
    eh()->phentsize = sizeof(struct phdr);
    eh()->phnum = 4;
    *ph(0) = (struct phdr){PT_PHDR, PF_R, 64, base + 64, 0, 4 * 56, 4 * 56, 8};
    *ph(1) = (struct phdr){PT_LOAD, PF_R | PF_X, 0, base, 0, 0x1800, 0x1800, 0x1000};
    *ph(2) = (struct phdr){PT_LOAD, PF_R | PF_W, 0x2000, base + 0x2000, 0, 0x100, 0x5000, 0x1000};
    *ph(3) = (struct phdr){PT_TLS, PF_R, 0x2000, base + 0x2000, 0, 8, 16, 8};
}

static enum lx_elf_err parse(struct lx_elf *img)
{
    return lx_elf_parse(file, sizeof(file), img);
}

Test(elf_lx, a_static_executable_loads_where_it_says)
{
    build(2, 0x400000);
    struct lx_elf img;
    cr_assert_eq(parse(&img), LX_ELF_OK);
    cr_assert(!img.pie);
    cr_assert_eq(img.bias, 0);
    cr_assert_eq(img.entry, 0x401010);
    cr_assert_eq(img.phdr, 0x400040);
    cr_assert_eq(img.phnum, 4);
    cr_assert_eq(img.nseg, 2);
    cr_assert_eq(img.seg[0].perm, LX_PERM_R | LX_PERM_X);
    cr_assert_eq(img.seg[1].perm, LX_PERM_R | LX_PERM_W);
    cr_assert_eq(img.seg[1].filesz, 0x100);
    cr_assert_eq(img.lo, 0x400000);
    cr_assert_eq(img.hi, 0x407000);
    cr_assert_eq(img.wx, 0);
}

Test(elf_lx, a_static_pie_loads_at_linuxs_base)
{
    build(3, 0);
    struct lx_elf img;
    cr_assert_eq(parse(&img), LX_ELF_OK);
    cr_assert(img.pie);
    cr_assert_eq(img.bias, LX_PIE_BASE);
    cr_assert_eq(img.entry, LX_PIE_BASE + 0x1010);
    cr_assert_eq(img.phdr, LX_PIE_BASE + 64);
    cr_assert_eq(img.seg[1].vaddr, LX_PIE_BASE + 0x2000);
    /* PT_DYNAMIC is what a static PIE has: still accepted. */
    ph(3)->type = PT_DYNAMIC;
    cr_assert_eq(parse(&img), LX_ELF_OK);
    /* A 2 MiB p_align moves the base up to the next 2 MiB boundary. */
    ph(1)->align = 0x200000;
    cr_assert_eq(parse(&img), LX_ELF_OK);
    cr_assert_eq(img.bias, (LX_PIE_BASE + 0x1fffff) & ~0x1fffffull);
}

Test(elf_lx, an_interpreter_is_refused_with_its_own_error)
{
    build(3, 0);
    ph(3)->type = PT_INTERP;
    struct lx_elf img;
    cr_assert_eq(parse(&img), LX_ELF_INTERP);
    cr_assert(strstr(lx_elf_strerror(LX_ELF_INTERP), "dynamically linked"));
    build(2, 0x400000);
    ph(0)->type = PT_INTERP;
    cr_assert_eq(parse(&img), LX_ELF_INTERP);
}

Test(elf_lx, every_header_rule)
{
    struct lx_elf img;
    cr_assert_eq(lx_elf_parse(file, 63, &img), LX_ELF_TRUNCATED);
    build(2, 0x400000);
    file[1] = 'X';
    cr_assert_eq(parse(&img), LX_ELF_MAGIC);
    build(2, 0x400000);
    file[4] = 1;
    cr_assert_eq(parse(&img), LX_ELF_CLASS);
    build(2, 0x400000);
    file[5] = 2;
    cr_assert_eq(parse(&img), LX_ELF_DATA);
    build(2, 0x400000);
    eh()->version = 2;
    cr_assert_eq(parse(&img), LX_ELF_VERSION);
    build(2, 0x400000);
    file[7] = 9; /* FreeBSD */
    cr_assert_eq(parse(&img), LX_ELF_OSABI);
    build(2, 0x400000);
    file[7] = 3; /* GNU/Linux */
    cr_assert_eq(parse(&img), LX_ELF_OK);
    build(1, 0x400000); /* relocatable */
    cr_assert_eq(parse(&img), LX_ELF_TYPE);
    build(4, 0x400000); /* core */
    cr_assert_eq(parse(&img), LX_ELF_TYPE);
    build(2, 0x400000);
    eh()->machine = 3; /* i386 */
    cr_assert_eq(parse(&img), LX_ELF_MACHINE);
    build(2, 0x400000);
    eh()->phentsize = 32;
    cr_assert_eq(parse(&img), LX_ELF_PHDRS);
    build(2, 0x400000);
    eh()->phnum = 0;
    cr_assert_eq(parse(&img), LX_ELF_PHDRS);
    build(2, 0x400000);
    eh()->phnum = 65;
    cr_assert_eq(parse(&img), LX_ELF_PHDRS);
    build(2, 0x400000);
    eh()->phoff = FILE_SIZE - 100;
    cr_assert_eq(parse(&img), LX_ELF_PHDRS);
    build(2, 0x400000);
    eh()->phoff = UINT64_MAX - 10;
    cr_assert_eq(parse(&img), LX_ELF_PHDRS);
}

Test(elf_lx, every_segment_rule)
{
    struct lx_elf img;
    build(2, 0x400000);
    ph(2)->filesz = 0x6000; /* > memsz */
    cr_assert_eq(parse(&img), LX_ELF_SEG_FILE);
    build(2, 0x400000);
    ph(2)->offset = FILE_SIZE - 0x10; /* bytes past the end */
    ph(2)->vaddr = 0x402000 + ((FILE_SIZE - 0x10) & 0xfff);
    cr_assert_eq(parse(&img), LX_ELF_SEG_FILE);
    build(2, 0x400000);
    ph(2)->vaddr += 8; /* not page-congruent with its offset */
    cr_assert_eq(parse(&img), LX_ELF_SEG_ALIGN);
    build(2, 0x400000);
    ph(2)->align = 0x3000;
    cr_assert_eq(parse(&img), LX_ELF_SEG_ALIGN);
    build(2, 0x400000);
    ph(2)->vaddr = 0x401000; /* overlaps the text's bytes */
    ph(2)->offset = 0x1000;
    cr_assert_eq(parse(&img), LX_ELF_SEG_ORDER);
    build(2, 0x400000);
    ph(2)->vaddr = 0x300000; /* descends */
    cr_assert_eq(parse(&img), LX_ELF_SEG_ORDER);
    build(2, 0x1000); /* below mmap_min_addr */
    cr_assert_eq(parse(&img), LX_ELF_SEG_RANGE);
    build(2, 0x400000);
    ph(2)->vaddr = LX_USER_END - 0x1000;
    cr_assert_eq(parse(&img), LX_ELF_SEG_RANGE);
    build(2, 0x400000);
    ph(2)->memsz = UINT64_MAX - 0x1000;
    cr_assert_eq(parse(&img), LX_ELF_SEG_RANGE);
    build(2, 0x400000);
    ph(1)->type = ph(2)->type = 4; /* notes only */
    cr_assert_eq(parse(&img), LX_ELF_NO_SEG);
    build(2, 0x400000);
    eh()->entry = 0x402010; /* in the data */
    cr_assert_eq(parse(&img), LX_ELF_ENTRY);
    build(2, 0x400000);
    eh()->entry = 0x300000;
    cr_assert_eq(parse(&img), LX_ELF_ENTRY);
    build(3, 0);
    eh()->entry = UINT64_MAX - 4; /* overflows with the bias */
    cr_assert_eq(parse(&img), LX_ELF_ENTRY);
}

Test(elf_lx, too_many_segments_are_counted)
{
    build(2, 0x400000);
    eh()->phnum = 20;
    for (unsigned i = 0; i < 20; i++)
        *ph(i) = (struct phdr){PT_LOAD, PF_R | PF_X, 0, 0x400000 + i * 0x1000, 0, 0, 0x10, 0x1000};
    struct lx_elf img;
    cr_assert_eq(parse(&img), LX_ELF_SEG_COUNT);
}

Test(elf_lx, writable_and_executable_segments_are_counted_not_refused)
{
    build(2, 0x400000);
    ph(2)->flags = PF_R | PF_W | PF_X;
    struct lx_elf img;
    cr_assert_eq(parse(&img), LX_ELF_OK);
    cr_assert_eq(img.wx, 1);
}

Test(elf_lx, phdr_without_pt_phdr_is_found_in_a_segment)
{
    build(2, 0x400000);
    ph(0)->type = 4;
    struct lx_elf img;
    cr_assert_eq(parse(&img), LX_ELF_OK);
    cr_assert_eq(img.phdr, 0x400040);
}

Test(elf_lx, a_page_two_segments_share_gets_both_permissions)
{
    build(2, 0x400000);
    /* data starts in the text's last page (0x401000-0x402000) */
    ph(2)->vaddr = 0x401900;
    ph(2)->offset = 0x1900;
    ph(2)->filesz = 0x100;
    ph(2)->memsz = 0x2000;
    struct lx_elf img;
    cr_assert_eq(parse(&img), LX_ELF_OK);
    struct lx_piece p[4];
    unsigned n = lx_elf_pieces(&img, p, 4);
    cr_assert_eq(n, 3);
    cr_assert(p[0].lo == 0x400000 && p[0].hi == 0x401000 && p[0].perm == (LX_PERM_R | LX_PERM_X));
    cr_assert(p[1].lo == 0x401000 && p[1].hi == 0x402000 &&
              p[1].perm == (LX_PERM_R | LX_PERM_X | LX_PERM_W));
    cr_assert(p[2].lo == 0x402000 && p[2].hi == 0x404000 && p[2].perm == (LX_PERM_R | LX_PERM_W));
    /* Disjoint pages: one piece each. */
    build(2, 0x400000);
    cr_assert_eq(parse(&img), LX_ELF_OK);
    n = lx_elf_pieces(&img, p, 4);
    cr_assert_eq(n, 2);
    cr_assert(p[0].hi == 0x402000 && p[1].lo == 0x402000 && p[1].hi == 0x407000);
    /* Room for one only: no write past max. */
    cr_assert_eq(lx_elf_pieces(&img, p, 1), 1);
}

Test(elf_lx, random_corruption_never_breaks_a_promise)
{
    srand(121);
    for (int round = 0; round < 20000; round++) {
        build(round & 1 ? 3 : 2, round & 1 ? 0 : 0x400000);
        for (int k = 0; k < 1 + round % 4; k++)
            file[rand() % (64 + 4 * 56)] = (uint8_t)rand();
        struct lx_elf img;
        if (parse(&img) != LX_ELF_OK)
            continue;
        cr_assert(img.nseg >= 1 && img.nseg <= LX_ELF_MAX_SEG);
        for (unsigned i = 0; i < img.nseg; i++) {
            const struct lx_seg *s = &img.seg[i];
            cr_assert(s->filesz <= s->memsz && s->offset + s->filesz <= FILE_SIZE);
            cr_assert(s->vaddr >= LX_USER_MIN && s->vaddr + s->memsz <= LX_USER_END);
            cr_assert(i == 0 || s->vaddr >= img.seg[i - 1].vaddr + img.seg[i - 1].memsz);
        }
        struct lx_piece p[2 * LX_ELF_MAX_SEG];
        unsigned n = lx_elf_pieces(&img, p, 2 * LX_ELF_MAX_SEG);
        for (unsigned i = 0; i < n; i++)
            cr_assert(p[i].lo < p[i].hi && (i == 0 || p[i].lo >= p[i - 1].hi));
    }
}

/* --- the initial stack --- */

static uint64_t word_at(const uint8_t *buf, uint64_t base, uint64_t addr)
{
    uint64_t v;
    memcpy(&v, buf + (addr - base), 8);
    return v;
}

Test(elf_lx, the_stack_reads_back_as_a_linux_start_reads_it)
{
    static uint8_t buf[8192];
    const uint64_t top = 0x7ffffffff000ull, base = top - sizeof(buf);
    const char *argv[] = {"/bin/prog", "one", "two words"};
    const char *envp[] = {"HOME=/", "PATH=/bin"};
    const uint8_t rnd[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const uint64_t aux[] = {6, 4096, 9, 0x401000};
    struct lx_stack_args a = {3, argv, 2, envp, "/bin/prog", rnd, 2, aux};
    uint64_t sp = lx_stack_build(buf, sizeof(buf), top, &a);
    cr_assert_neq(sp, 0);
    cr_assert_eq(sp & 15, 0);
    cr_assert_eq(word_at(buf, base, sp), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_str_eq((const char *)buf + (word_at(buf, base, sp + 8 + 8 * i) - base), argv[i]);
    cr_assert_eq(word_at(buf, base, sp + 32), 0);
    uint64_t e = sp + 40;
    for (int i = 0; i < 2; i++)
        cr_assert_str_eq((const char *)buf + (word_at(buf, base, e + 8 * i) - base), envp[i]);
    cr_assert_eq(word_at(buf, base, e + 16), 0);
    uint64_t x = e + 24;
    cr_assert_eq(word_at(buf, base, x), 6);
    cr_assert_eq(word_at(buf, base, x + 8), 4096);
    cr_assert_eq(word_at(buf, base, x + 16), 9);
    cr_assert_eq(word_at(buf, base, x + 32), 25); /* AT_RANDOM */
    cr_assert_eq(memcmp(buf + (word_at(buf, base, x + 40) - base), rnd, 16), 0);
    cr_assert_eq(word_at(buf, base, x + 48), 31); /* AT_EXECFN */
    cr_assert_str_eq((const char *)buf + (word_at(buf, base, x + 56) - base), "/bin/prog");
    cr_assert_eq(word_at(buf, base, x + 64), 0); /* AT_NULL */
    /* Every pointer lies inside the stack. */
    cr_assert(word_at(buf, base, x + 40) > sp && word_at(buf, base, x + 40) < top);
}

Test(elf_lx, a_stack_too_small_is_refused)
{
    static uint8_t buf[64];
    const char *argv[] = {"a-rather-long-program-name-that-cannot-fit-in-sixty-four-bytes-x"};
    const uint8_t rnd[16] = {0};
    struct lx_stack_args a = {1, argv, 0, NULL, "x", rnd, 0, NULL};
    cr_assert_eq(lx_stack_build(buf, sizeof(buf), 0x7ffffffff000ull, &a), 0);
    static uint8_t big[256];
    struct lx_stack_args b = {0, NULL, 0, NULL, NULL, rnd, 0, NULL};
    cr_assert_neq(lx_stack_build(big, sizeof(big), 0x7ffffffff000ull, &b), 0);
    cr_assert_eq(lx_stack_build(big, sizeof(big), 0x7ffffffff008ull, &b), 0); /* misaligned top */
}
