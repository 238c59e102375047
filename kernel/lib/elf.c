/*
 * ELF64 load plans (see lib/elf.h).
 *
 * Source: the System V gABI (ELF header, program header table, "Program
 * Loading": p_vaddr congruent to p_offset modulo the page size, PT_LOAD entries
 * sorted by p_vaddr) and the x86-64 psABI (EM_X86_64 = 62, 4 KiB pages).
 *
 * The loader that follows a plan maps whole pages, so the checks are about
 * pages: a segment covers [page_down(vaddr), page_up(vaddr + memsz)), that range
 * must not wrap, must lie in the user range, and must not share a page with the
 * previous segment (two segments with different permissions on one page would
 * force one of them to lose; ld.lld with -z separate-loadable-segments never
 * produces that). File bytes are bounded the same way: [offset, offset + filesz)
 * inside the file, checked without overflow. Headers are copied out with a byte
 * loop so the file buffer needs no particular alignment.
 *
 * Segments with memsz == 0 are skipped (linkers emit them for empty sections);
 * program header types other than PT_LOAD, PT_INTERP and PT_DYNAMIC (PT_NOTE,
 * PT_GNU_STACK, PT_TLS, ...) are ignored.
 */
#include "lib/elf.h"

#define EI_NIDENT    16
#define ELFCLASS64   2
#define ELFDATA2LSB  1
#define EV_CURRENT   1
#define ELFOSABI_SYS 0
#define ELFOSABI_GNU 3
#define ET_EXEC      2
#define EM_X86_64    62
/* The machine programs must be built for: x86-64's unless the build names
 * another (mk/arch-aarch64.mk: EM_AARCH64, 183). */
#ifndef WEFT_ELF_MACHINE
#define WEFT_ELF_MACHINE EM_X86_64
#endif
#if WEFT_ELF_MACHINE == EM_X86_64
#define MACHINE_ERROR "not x86-64"
#else
#define MACHINE_ERROR "not for this machine"
#endif
#define PT_LOAD    1
#define PT_DYNAMIC 2
#define PT_INTERP  3

struct ehdr {
    uint8_t ident[EI_NIDENT];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
_Static_assert(sizeof(struct ehdr) == 64, "ELF64 header");

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
_Static_assert(sizeof(struct phdr) == 56, "ELF64 program header");

#define PAGE_MASK ((uint64_t)ELF_PAGE_SIZE - 1)

static void copy_bytes(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
}

static enum elf_err check_header(const uint8_t *f, size_t len, struct ehdr *h)
{
    if (len < sizeof(*h))
        return ELF_ERR_TRUNCATED;
    copy_bytes(h, f, sizeof(*h));
    if (h->ident[0] != 0x7f || h->ident[1] != 'E' || h->ident[2] != 'L' || h->ident[3] != 'F')
        return ELF_ERR_MAGIC;
    if (h->ident[4] != ELFCLASS64)
        return ELF_ERR_CLASS;
    if (h->ident[5] != ELFDATA2LSB)
        return ELF_ERR_DATA;
    if (h->ident[6] != EV_CURRENT || h->version != EV_CURRENT)
        return ELF_ERR_VERSION;
    if (h->ident[7] != ELFOSABI_SYS && h->ident[7] != ELFOSABI_GNU)
        return ELF_ERR_OSABI;
    if (h->type != ET_EXEC)
        return ELF_ERR_TYPE;
    if (h->machine != WEFT_ELF_MACHINE)
        return ELF_ERR_MACHINE;
    if (h->ehsize < sizeof(struct ehdr))
        return ELF_ERR_EHSIZE;
    if (h->phentsize != sizeof(struct phdr))
        return ELF_ERR_PHENTSIZE;
    if (h->phnum == 0 || h->phnum > ELF_MAX_PHNUM)
        return ELF_ERR_PHNUM;
    size_t table = (size_t)h->phnum * sizeof(struct phdr);
    if (h->phoff > len || table > len - h->phoff)
        return ELF_ERR_PHDRS;
    return ELF_OK;
}

/* Checks one PT_LOAD header against the file, the limits and the previous
 * segment's page-rounded end (prev_end), and describes it in *s. */
static enum elf_err check_load(const struct phdr *p, size_t len, const struct elf_opts *o,
                               uint64_t prev_end, struct elf_segment *s)
{
    if (p->offset > len || p->filesz > len - p->offset)
        return ELF_ERR_SEG_FILE;
    if (p->filesz > p->memsz)
        return ELF_ERR_SEG_FILESZ;
    if (p->align > 1 && (p->align & (p->align - 1)))
        return ELF_ERR_SEG_ALIGN;
    if ((p->vaddr & PAGE_MASK) != (p->offset & PAGE_MASK))
        return ELF_ERR_SEG_ALIGN;
    if (p->align > ELF_PAGE_SIZE && (p->vaddr - p->offset) & (p->align - 1))
        return ELF_ERR_SEG_ALIGN;
    /* page_up(vaddr + memsz) must not wrap: vaddr + memsz + PAGE_MASK fits. */
    if (p->memsz > UINT64_MAX - PAGE_MASK || p->vaddr > UINT64_MAX - PAGE_MASK - p->memsz)
        return ELF_ERR_SEG_WRAP;
    uint64_t lo = p->vaddr & ~PAGE_MASK;
    uint64_t hi = (p->vaddr + p->memsz + PAGE_MASK) & ~PAGE_MASK;
    if (lo < o->user_min || hi > o->user_end)
        return ELF_ERR_SEG_RANGE;
    if (lo < prev_end)
        return ELF_ERR_SEG_ORDER;
    unsigned perm = p->flags & (ELF_PERM_R | ELF_PERM_W | ELF_PERM_X);
    if (!perm)
        return ELF_ERR_SEG_PERM;
    if ((perm & ELF_PERM_W) && (perm & ELF_PERM_X) && !o->allow_wx)
        return ELF_ERR_SEG_WX;
    *s = (struct elf_segment){p->vaddr, p->memsz, p->offset, p->filesz, perm};
    return ELF_OK;
}

enum elf_err elf_plan(const void *file, size_t len, const struct elf_opts *opts,
                      struct elf_plan *plan, int *where)
{
    const uint8_t *f = file;
    struct elf_opts o = opts ? *opts : elf_default_opts();
    struct ehdr h = {0};
    int at = -1;
    enum elf_err err = f ? check_header(f, len, &h) : ELF_ERR_TRUNCATED;

    plan->nseg = 0;
    plan->wx = 0;
    uint64_t prev_end = 0;
    for (unsigned i = 0; err == ELF_OK && i < h.phnum; i++) {
        struct phdr p;
        copy_bytes(&p, f + h.phoff + (size_t)i * sizeof(p), sizeof(p));
        at = (int)i;
        if (p.type == PT_INTERP || p.type == PT_DYNAMIC) {
            err = ELF_ERR_INTERP;
        } else if (p.type == PT_LOAD && p.memsz) {
            if (plan->nseg == ELF_MAX_SEGMENTS) {
                err = ELF_ERR_SEG_COUNT;
                break;
            }
            struct elf_segment *s = &plan->seg[plan->nseg];
            err = check_load(&p, len, &o, prev_end, s);
            if (err == ELF_OK) {
                prev_end = (s->vaddr + s->memsz + PAGE_MASK) & ~PAGE_MASK;
                plan->wx += (s->perm & ELF_PERM_W) && (s->perm & ELF_PERM_X);
                plan->nseg++;
            }
        }
    }
    if (err == ELF_OK) {
        at = -1;
        if (plan->nseg == 0)
            err = ELF_ERR_NO_SEGMENTS;
    }
    if (err == ELF_OK) {
        err = ELF_ERR_ENTRY;
        for (unsigned i = 0; i < plan->nseg; i++) {
            const struct elf_segment *s = &plan->seg[i];
            if ((s->perm & ELF_PERM_X) && h.entry >= s->vaddr && h.entry - s->vaddr < s->filesz)
                err = ELF_OK;
        }
    }
    if (err != ELF_OK) {
        if (where)
            *where = at;
        return err;
    }
    plan->entry = h.entry;
    plan->lo = plan->seg[0].vaddr & ~PAGE_MASK;
    plan->hi = prev_end;
    return ELF_OK;
}

const char *elf_strerror(enum elf_err err)
{
    static const char *const msg[ELF_ERR_COUNT] = {
        [ELF_OK] = "no error",
        [ELF_ERR_TRUNCATED] = "shorter than an ELF64 header",
        [ELF_ERR_MAGIC] = "not an ELF file",
        [ELF_ERR_CLASS] = "not ELF64",
        [ELF_ERR_DATA] = "not little endian",
        [ELF_ERR_VERSION] = "unknown ELF version",
        [ELF_ERR_OSABI] = "unsupported OS ABI",
        [ELF_ERR_TYPE] = "not a static executable (ET_EXEC)",
        [ELF_ERR_MACHINE] = MACHINE_ERROR,
        [ELF_ERR_EHSIZE] = "ELF header size too small",
        [ELF_ERR_PHENTSIZE] = "program header size is not 56",
        [ELF_ERR_PHNUM] = "no program headers or too many",
        [ELF_ERR_PHDRS] = "program header table outside the file",
        [ELF_ERR_INTERP] = "dynamically linked (PT_INTERP or PT_DYNAMIC)",
        [ELF_ERR_SEG_FILE] = "segment bytes outside the file",
        [ELF_ERR_SEG_FILESZ] = "segment file size above its memory size",
        [ELF_ERR_SEG_ALIGN] = "segment address and offset not congruent, or bad alignment",
        [ELF_ERR_SEG_WRAP] = "segment wraps around the address space",
        [ELF_ERR_SEG_RANGE] = "segment outside the user address range",
        [ELF_ERR_SEG_ORDER] = "segments out of order or sharing a page",
        [ELF_ERR_SEG_WX] = "segment both writable and executable",
        [ELF_ERR_SEG_PERM] = "segment with no permissions",
        [ELF_ERR_SEG_COUNT] = "too many loadable segments",
        [ELF_ERR_NO_SEGMENTS] = "no loadable segment",
        [ELF_ERR_ENTRY] = "entry point not in an executable segment's file bytes",
    };
    return (unsigned)err < ELF_ERR_COUNT ? msg[err] : "unknown error";
}
