/*
 * Linux executables for the personality server (user/lx, docs/linux.md): what
 * an x86-64 Linux kernel's binfmt_elf would load when the program needs no
 * interpreter, and the initial stack it builds. Pure code over byte buffers,
 * no system call: host-tested (tests/host/test_elf_lx.c) and fuzzed
 * (tests/fuzz/fuzz_elf_lx.c).
 *
 * lx_elf_parse() takes ELF64, little endian, x86-64 files of type ET_EXEC
 * (loaded where they say) or ET_DYN without PT_INTERP (a static PIE, loaded at
 * LX_PIE_BASE as Linux does with address randomisation off). Unlike the native
 * loader (kernel/lib/elf.c) it accepts what Linux accepts and Weft's own
 * programs never have: segments that share a page (the page gets the union of
 * their permissions), writable and executable segments, a PT_DYNAMIC header
 * (static PIE), PT_TLS, PT_GNU_* headers. It refuses an interpreter (a
 * dynamically linked program), 32-bit or foreign files, segments outside the
 * file or the user range, overlapping or descending segments and an entry point
 * outside every executable segment, each with its own error.
 */
#ifndef LX_ELF_H
#define LX_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LX_PAGE          4096ull
#define LX_ELF_MAX_PHNUM 64u               /* program headers accepted */
#define LX_ELF_MAX_SEG   16u               /* PT_LOAD segments with memory */
#define LX_PIE_BASE      0x555555554000ull /* Linux's ELF_ET_DYN_BASE (x86-64, no ASLR) */
#define LX_USER_MIN      0x10000ull        /* Linux's default vm.mmap_min_addr */
#define LX_USER_END      0x00007ffffffff000ull

#define LX_PERM_X 1u
#define LX_PERM_W 2u
#define LX_PERM_R 4u

enum lx_elf_err {
    LX_ELF_OK = 0,
    LX_ELF_TRUNCATED, /* shorter than the ELF header */
    LX_ELF_MAGIC,     /* not \x7fELF */
    LX_ELF_CLASS,     /* not 64-bit */
    LX_ELF_DATA,      /* not little endian */
    LX_ELF_VERSION,   /* version not 1 */
    LX_ELF_OSABI,     /* neither System V nor GNU/Linux */
    LX_ELF_TYPE,      /* neither ET_EXEC nor ET_DYN */
    LX_ELF_MACHINE,   /* not x86-64 */
    LX_ELF_PHDRS,     /* program header size, count or table not in the file */
    LX_ELF_INTERP,    /* PT_INTERP: dynamically linked, needs an interpreter */
    LX_ELF_SEG_FILE,  /* segment bytes not inside the file, or filesz > memsz */
    LX_ELF_SEG_ALIGN, /* vaddr and offset not congruent modulo the page, bad p_align */
    LX_ELF_SEG_ORDER, /* PT_LOAD segments overlap or descend */
    LX_ELF_SEG_RANGE, /* a segment (after the load bias) outside the user range */
    LX_ELF_SEG_COUNT, /* more than LX_ELF_MAX_SEG loadable segments */
    LX_ELF_NO_SEG,    /* no loadable segment */
    LX_ELF_ENTRY,     /* entry point not inside an executable segment */
    LX_ELF_ERR_COUNT
};

struct lx_seg {
    uint64_t vaddr, memsz;   /* in memory, load bias applied */
    uint64_t offset, filesz; /* from the file */
    unsigned perm;           /* LX_PERM_* */
};

/* A page-aligned range to map with one permission set (lx_elf_pieces). */
struct lx_piece {
    uint64_t lo, hi;
    unsigned perm;
};

struct lx_elf {
    bool pie;       /* ET_DYN: loaded at bias */
    uint64_t bias;  /* added to every address of the file (0 for ET_EXEC) */
    uint64_t entry; /* biased */
    uint64_t phdr;  /* where the program headers are in memory (AT_PHDR), biased */
    unsigned phnum; /* AT_PHNUM */
    unsigned nseg;
    struct lx_seg seg[LX_ELF_MAX_SEG]; /* ascending, disjoint bytes */
    uint64_t lo, hi;                   /* page-rounded extent of every segment */
    unsigned wx;                       /* segments both writable and executable */
};

/* Checks the len bytes at file and fills *img. Returns LX_ELF_OK or the first
 * error found (then *img is unspecified). */
enum lx_elf_err lx_elf_parse(const void *file, size_t len, struct lx_elf *img);

/* What an error means, in a few words ("dynamically linked: needs an interpreter"). */
const char *lx_elf_strerror(enum lx_elf_err e);

/* The page ranges to map for img: ascending, disjoint, covering every page of
 * every segment, a page two segments share with the union of their
 * permissions. Returns how many were written to out (at most max; 2 * nseg
 * always suffices). */
unsigned lx_elf_pieces(const struct lx_elf *img, struct lx_piece *out, unsigned max);

/* The initial stack of a new Linux process (the System V x86-64 ABI): from the
 * top down the strings of argv and envp, the program's name (AT_EXECFN), 16
 * random bytes (AT_RANDOM), padding, then auxv, envp, argv and argc, with the
 * final stack pointer 16-byte aligned and pointing at argc. buf holds the
 * stack's top size bytes, [top - size, top). aux holds naux (type, value)
 * pairs without AT_RANDOM, AT_EXECFN and AT_NULL, which this adds. Returns the
 * stack pointer, or 0 if it does not fit. */
struct lx_stack_args {
    int argc;
    const char *const *argv;
    int envc;
    const char *const *envp;
    const char *execfn;
    const uint8_t *random; /* 16 bytes */
    unsigned naux;
    const uint64_t *aux;
};
uint64_t lx_stack_build(uint8_t *buf, size_t size, uint64_t top, const struct lx_stack_args *a);

#endif
