/*
 * Linux executables and initial stacks (lxelf.h). Every field is read with
 * memcpy from inside the buffer after its bounds are checked; every sum that
 * could overflow is checked first.
 */
#include "lxelf.h"

#include <string.h>

enum {
    ET_EXEC = 2,
    ET_DYN = 3,
    EM_X86_64 = 62,
    PT_LOAD = 1,
    PT_INTERP = 3,
    PT_PHDR = 6,
    EHDR_SIZE = 64,
    PHDR_SIZE = 56,
    AT_NULL = 0,
    AT_RANDOM = 25,
    AT_EXECFN = 31,
};

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t page_down(uint64_t a)
{
    return a & ~(LX_PAGE - 1);
}

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, filesz, memsz, align;
};

static struct phdr read_phdr(const uint8_t *p)
{
    return (struct phdr){rd32(p),      rd32(p + 4),  rd64(p + 8), rd64(p + 16),
                         rd64(p + 32), rd64(p + 40), rd64(p + 48)};
}

static enum lx_elf_err check_header(const uint8_t *f, size_t len, uint16_t *type)
{
    if (len < EHDR_SIZE)
        return LX_ELF_TRUNCATED;
    if (f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F')
        return LX_ELF_MAGIC;
    if (f[4] != 2)
        return LX_ELF_CLASS;
    if (f[5] != 1)
        return LX_ELF_DATA;
    if (f[6] != 1 || rd32(f + 20) != 1)
        return LX_ELF_VERSION;
    if (f[7] != 0 && f[7] != 3)
        return LX_ELF_OSABI;
    *type = rd16(f + 16);
    if (*type != ET_EXEC && *type != ET_DYN)
        return LX_ELF_TYPE;
    if (rd16(f + 18) != EM_X86_64)
        return LX_ELF_MACHINE;
    uint64_t phoff = rd64(f + 32);
    unsigned phentsize = rd16(f + 54), phnum = rd16(f + 56);
    if (phentsize != PHDR_SIZE || phnum == 0 || phnum > LX_ELF_MAX_PHNUM || phoff > len ||
        (uint64_t)phnum * PHDR_SIZE > len - phoff)
        return LX_ELF_PHDRS;
    return LX_ELF_OK;
}

/* The loadable segments, unbiased, in file order; the largest alignment. */
static enum lx_elf_err collect(const uint8_t *f, size_t len, struct lx_elf *img, uint64_t *align,
                               uint64_t *phdr_vaddr, bool *has_phdr)
{
    uint64_t phoff = rd64(f + 32);
    unsigned phnum = rd16(f + 56);
    *align = LX_PAGE;
    *has_phdr = false;
    for (unsigned i = 0; i < phnum; i++) {
        struct phdr ph = read_phdr(f + phoff + (uint64_t)i * PHDR_SIZE);
        if (ph.type == PT_INTERP)
            return LX_ELF_INTERP;
        if (ph.type == PT_PHDR) {
            *phdr_vaddr = ph.vaddr;
            *has_phdr = true;
        }
        if (ph.type != PT_LOAD)
            continue;
        if (ph.filesz > ph.memsz || ph.offset > len || ph.filesz > len - ph.offset)
            return LX_ELF_SEG_FILE;
        if (ph.align > 1 && (ph.align & (ph.align - 1)))
            return LX_ELF_SEG_ALIGN;
        if ((ph.vaddr - ph.offset) & (LX_PAGE - 1))
            return LX_ELF_SEG_ALIGN;
        if (ph.memsz == 0)
            continue;
        if (img->nseg == LX_ELF_MAX_SEG)
            return LX_ELF_SEG_COUNT;
        if (ph.align > *align)
            *align = ph.align > (1ull << 30) ? (1ull << 30) : ph.align;
        img->seg[img->nseg++] =
            (struct lx_seg){ph.vaddr, ph.memsz, ph.offset, ph.filesz,
                            ((ph.flags & 1) ? LX_PERM_X : 0) | ((ph.flags & 2) ? LX_PERM_W : 0) |
                                ((ph.flags & 4) ? LX_PERM_R : 0)};
    }
    return img->nseg ? LX_ELF_OK : LX_ELF_NO_SEG;
}

enum lx_elf_err lx_elf_parse(const void *file, size_t len, struct lx_elf *img)
{
    const uint8_t *f = file;
    memset(img, 0, sizeof(*img));
    uint16_t type = 0;
    enum lx_elf_err e = check_header(f, len, &type);
    if (e != LX_ELF_OK)
        return e;
    uint64_t align, phdr_vaddr = 0;
    bool has_phdr;
    e = collect(f, len, img, &align, &phdr_vaddr, &has_phdr);
    if (e != LX_ELF_OK)
        return e;
    img->pie = type == ET_DYN;
    img->phnum = rd16(f + 56);
    if (img->pie) {
        uint64_t base = (LX_PIE_BASE + align - 1) & ~(align - 1);
        uint64_t first = page_down(img->seg[0].vaddr);
        if (first > base)
            return LX_ELF_SEG_RANGE;
        img->bias = base - first;
    }
    /* Ascending, disjoint, inside the user range once biased. */
    uint64_t prev_end = 0;
    for (unsigned i = 0; i < img->nseg; i++) {
        struct lx_seg *s = &img->seg[i];
        if (s->vaddr > UINT64_MAX - img->bias)
            return LX_ELF_SEG_RANGE;
        s->vaddr += img->bias;
        if (s->memsz > LX_USER_END || s->vaddr < LX_USER_MIN || s->vaddr > LX_USER_END - s->memsz ||
            page_down(s->vaddr + s->memsz + LX_PAGE - 1) > LX_USER_END)
            return LX_ELF_SEG_RANGE;
        if (i && s->vaddr < prev_end)
            return LX_ELF_SEG_ORDER;
        prev_end = s->vaddr + s->memsz;
        if ((s->perm & LX_PERM_W) && (s->perm & LX_PERM_X))
            img->wx++;
    }
    img->lo = page_down(img->seg[0].vaddr);
    img->hi = page_down(prev_end + LX_PAGE - 1);
    uint64_t entry = rd64(f + 24);
    if (entry > UINT64_MAX - img->bias)
        return LX_ELF_ENTRY;
    img->entry = entry + img->bias;
    bool entry_ok = false;
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct lx_seg *s = &img->seg[i];
        if ((s->perm & LX_PERM_X) && img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz)
            entry_ok = true;
    }
    if (!entry_ok)
        return LX_ELF_ENTRY;
    /* AT_PHDR: PT_PHDR's address, or where a segment maps the table's bytes
     * (Linux: the first segment's address less its offset, plus e_phoff). */
    uint64_t phoff = rd64(f + 32);
    if (has_phdr && phdr_vaddr <= UINT64_MAX - img->bias) {
        img->phdr = phdr_vaddr + img->bias;
    } else {
        const struct lx_seg *s = &img->seg[0];
        img->phdr = s->vaddr - s->offset + phoff; /* congruent: no borrow past 0 in range */
        for (unsigned i = 0; i < img->nseg; i++) {
            s = &img->seg[i];
            if (phoff >= s->offset && phoff - s->offset < s->filesz) {
                img->phdr = s->vaddr + (phoff - s->offset);
                break;
            }
        }
    }
    return LX_ELF_OK;
}

const char *lx_elf_strerror(enum lx_elf_err e)
{
    static const char *const msg[LX_ELF_ERR_COUNT] = {
        [LX_ELF_OK] = "no error",
        [LX_ELF_TRUNCATED] = "too short for an ELF header",
        [LX_ELF_MAGIC] = "not an ELF file",
        [LX_ELF_CLASS] = "not a 64-bit ELF file",
        [LX_ELF_DATA] = "not little endian",
        [LX_ELF_VERSION] = "unknown ELF version",
        [LX_ELF_OSABI] = "not a System V or Linux ELF file",
        [LX_ELF_TYPE] = "not an executable (ET_EXEC or static-PIE ET_DYN)",
        [LX_ELF_MACHINE] = "not an x86-64 program",
        [LX_ELF_PHDRS] = "program header table malformed or outside the file",
        [LX_ELF_INTERP] = "dynamically linked: needs an interpreter (only static programs run)",
        [LX_ELF_SEG_FILE] = "a segment's bytes lie outside the file",
        [LX_ELF_SEG_ALIGN] = "a segment's address and file offset are not page-congruent",
        [LX_ELF_SEG_ORDER] = "loadable segments overlap or are out of order",
        [LX_ELF_SEG_RANGE] = "a segment lies outside the user address range",
        [LX_ELF_SEG_COUNT] = "too many loadable segments",
        [LX_ELF_NO_SEG] = "no loadable segment",
        [LX_ELF_ENTRY] = "entry point outside every executable segment",
    };
    return (unsigned)e < LX_ELF_ERR_COUNT ? msg[e] : "unknown error";
}

unsigned lx_elf_pieces(const struct lx_elf *img, struct lx_piece *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < img->nseg && i < LX_ELF_MAX_SEG; i++) {
        const struct lx_seg *s = &img->seg[i];
        uint64_t lo = page_down(s->vaddr), hi = page_down(s->vaddr + s->memsz + LX_PAGE - 1);
        if (n && lo < out[n - 1].hi) {
            /* The first page is the previous segment's last: split it off. */
            struct lx_piece *p = &out[n - 1];
            if (p->hi - LX_PAGE == p->lo) {
                p->perm |= s->perm;
            } else {
                if (n == max)
                    return n;
                p->hi -= LX_PAGE;
                out[n++] = (struct lx_piece){p->hi, p->hi + LX_PAGE, p->perm | s->perm};
            }
            lo += LX_PAGE;
            if (lo >= hi)
                continue;
        }
        if (n == max)
            return n;
        out[n++] = (struct lx_piece){lo, hi, s->perm};
    }
    return n;
}

/* --- the initial stack ------------------------------------------------------------- */

uint64_t lx_stack_build(uint8_t *buf, size_t size, uint64_t top, const struct lx_stack_args *a)
{
    if (a->argc < 0 || a->envc < 0 || size > top || (top & 15))
        return 0;
    uint64_t base = top - size, sp = top;
#define PUSH_BYTES(src, n)                                                                         \
    do {                                                                                           \
        if ((n) > sp - base)                                                                       \
            return 0;                                                                              \
        sp -= (n);                                                                                 \
        memcpy(buf + (sp - base), (src), (n));                                                     \
    } while (0)
    sp -= 16; /* a null word at the very top, as Linux leaves */
    memset(buf + (sp - base), 0, 16);
    uint64_t execfn = 0, random;
    if (a->execfn) {
        PUSH_BYTES(a->execfn, strlen(a->execfn) + 1);
        execfn = sp;
    }
    /* The strings, envp's above argv's (each array in order). */
    uint64_t strs_end = sp;
    size_t total = 0;
    for (int i = 0; i < a->envc; i++)
        total += strlen(a->envp[i]) + 1;
    for (int i = 0; i < a->argc; i++)
        total += strlen(a->argv[i]) + 1;
    if (total > sp - base)
        return 0;
    uint64_t p = sp - total;
    uint64_t arg_at = p, env_at = p;
    for (int i = 0; i < a->argc; i++)
        env_at += strlen(a->argv[i]) + 1;
    sp = p;
    uint64_t q = p;
    for (int i = 0; i < a->argc; i++) {
        size_t n = strlen(a->argv[i]) + 1;
        memcpy(buf + (q - base), a->argv[i], n);
        q += n;
    }
    for (int i = 0; i < a->envc; i++) {
        size_t n = strlen(a->envp[i]) + 1;
        memcpy(buf + (q - base), a->envp[i], n);
        q += n;
    }
    (void)strs_end;
    sp &= ~15ull;
    PUSH_BYTES(a->random, 16);
    random = sp;
    /* The words: argc, argv[], 0, envp[], 0, auxv pairs, AT_NULL pair. */
    uint64_t nwords =
        1 + (uint64_t)a->argc + 1 + (uint64_t)a->envc + 1 + 2 * ((uint64_t)a->naux + 3);
    if (nwords * 8 + 16 > sp - base)
        return 0;
    sp = (sp - nwords * 8) & ~15ull;
    uint64_t w = sp;
#define PUT(v)                                                                                     \
    do {                                                                                           \
        uint64_t v_ = (v);                                                                         \
        memcpy(buf + (w - base), &v_, 8);                                                          \
        w += 8;                                                                                    \
    } while (0)
    PUT((uint64_t)a->argc);
    q = arg_at;
    for (int i = 0; i < a->argc; i++) {
        PUT(q);
        q += strlen(a->argv[i]) + 1;
    }
    PUT(0);
    q = env_at;
    for (int i = 0; i < a->envc; i++) {
        PUT(q);
        q += strlen(a->envp[i]) + 1;
    }
    PUT(0);
    for (unsigned i = 0; i < a->naux; i++) {
        PUT(a->aux[2 * i]);
        PUT(a->aux[2 * i + 1]);
    }
    PUT(AT_RANDOM);
    PUT(random);
    PUT(AT_EXECFN);
    PUT(execfn);
    PUT(AT_NULL);
    PUT(0);
#undef PUT
#undef PUSH_BYTES
    return sp;
}
