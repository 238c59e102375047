/*
 * ELF64 executables: validation and the load plan. Shared by the kernel (which
 * loads init) and userspace (init loads the programs it starts); pure code over
 * a byte buffer with no kernel dependency, host-tested and fuzzed.
 *
 * elf_plan() accepts only what a static Weft program is: ELF64, little endian,
 * x86-64, ET_EXEC, no interpreter, PT_LOAD segments in ascending address order,
 * each inside the file and inside the user range, page-congruent (vaddr and
 * file offset equal modulo the page size), on pages no other segment touches,
 * and an entry point inside the file-backed part of an executable segment. A
 * successful plan is everything a loader needs: for each segment, map
 * [page_down(vaddr), page_up(vaddr + memsz)) with its permissions, copy filesz
 * bytes from the file offset to vaddr, and zero the rest.
 */
#ifndef WEFT_LIB_ELF_H
#define WEFT_LIB_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_PAGE_SIZE    4096u
#define ELF_MAX_PHNUM    64 /* program headers accepted (PN_XNUM is refused) */
#define ELF_MAX_SEGMENTS 16 /* PT_LOAD segments in one plan */

/* Segment permissions (the PF_X, PF_W, PF_R bits of the program header). */
#define ELF_PERM_X 1u
#define ELF_PERM_W 2u
#define ELF_PERM_R 4u

/* The x86-64 user half, less the null page: the default limits. */
#define ELF_USER_MIN 0x1000ull
#define ELF_USER_END 0x0000800000000000ull

enum elf_err {
    ELF_OK = 0,
    ELF_ERR_TRUNCATED,   /* shorter than the ELF header */
    ELF_ERR_MAGIC,       /* not \x7fELF */
    ELF_ERR_CLASS,       /* not ELFCLASS64 */
    ELF_ERR_DATA,        /* not little endian */
    ELF_ERR_VERSION,     /* EI_VERSION or e_version is not 1 */
    ELF_ERR_OSABI,       /* EI_OSABI neither SYSV nor GNU */
    ELF_ERR_TYPE,        /* not ET_EXEC (relocatable, shared/PIE, core) */
    ELF_ERR_MACHINE,     /* not EM_X86_64 */
    ELF_ERR_EHSIZE,      /* e_ehsize smaller than the ELF64 header */
    ELF_ERR_PHENTSIZE,   /* e_phentsize is not the ELF64 program header size */
    ELF_ERR_PHNUM,       /* no program headers, or more than ELF_MAX_PHNUM */
    ELF_ERR_PHDRS,       /* the program header table is not inside the file */
    ELF_ERR_INTERP,      /* a PT_INTERP or PT_DYNAMIC header (not static) */
    ELF_ERR_SEG_FILE,    /* segment bytes [offset, offset + filesz) not inside the file */
    ELF_ERR_SEG_FILESZ,  /* filesz > memsz */
    ELF_ERR_SEG_ALIGN,   /* p_align not 0/1/power of 2, or vaddr and offset not congruent */
    ELF_ERR_SEG_WRAP,    /* vaddr + memsz (page-rounded) overflows */
    ELF_ERR_SEG_RANGE,   /* segment outside [user_min, user_end) */
    ELF_ERR_SEG_ORDER,   /* PT_LOAD segments not in ascending order, or sharing a page */
    ELF_ERR_SEG_WX,      /* a segment both writable and executable (opts.allow_wx off) */
    ELF_ERR_SEG_PERM,    /* a segment with no permission at all */
    ELF_ERR_SEG_COUNT,   /* more than ELF_MAX_SEGMENTS PT_LOAD segments */
    ELF_ERR_NO_SEGMENTS, /* no PT_LOAD segment with a non-zero memsz */
    ELF_ERR_ENTRY,       /* entry not in the file-backed part of an executable segment */
    ELF_ERR_COUNT
};

struct elf_segment {
    uint64_t vaddr;  /* first byte's address (not necessarily page-aligned) */
    uint64_t memsz;  /* bytes in memory, > 0 */
    uint64_t offset; /* file offset of the first byte */
    uint64_t filesz; /* bytes from the file (<= memsz); the rest is zero */
    unsigned perm;   /* ELF_PERM_* */
};

struct elf_plan {
    uint64_t entry;
    unsigned nseg;
    struct elf_segment seg[ELF_MAX_SEGMENTS]; /* ascending, page-disjoint */
    uint64_t lo, hi;                          /* page-rounded extent of all segments */
    unsigned wx;                              /* number of W+X segments (allow_wx only) */
};

struct elf_opts {
    uint64_t user_min; /* lowest address a segment may touch (page-aligned) */
    uint64_t user_end; /* one past the highest (page-aligned) */
    bool allow_wx;     /* report W+X segments in plan->wx instead of refusing */
};

/* The default options: the x86-64 user half above the null page, W^X enforced. */
static inline struct elf_opts elf_default_opts(void)
{
    return (struct elf_opts){ELF_USER_MIN, ELF_USER_END, false};
}

/* Validates the len bytes at file as a static executable and fills *plan. opts may
 * be NULL (elf_default_opts()). Returns ELF_OK, or the first error found; then
 * *where (may be NULL) is the index of the program header at fault (or -1 for
 * the ELF header) and *plan is unspecified. */
enum elf_err elf_plan(const void *file, size_t len, const struct elf_opts *opts,
                      struct elf_plan *plan, int *where);

/* A short English description of an error. */
const char *elf_strerror(enum elf_err err);

#endif
