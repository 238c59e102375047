/*
 * The aarch64 test image's architecture hooks (kernel/test/ktest.c) and
 * scaffolding (scaffold.c, scaffold.S): running an EL0 context from a
 * self-test without a thread, and a kernel setjmp/longjmp.
 */
#ifndef WEFT_KTEST_ARCH_H
#define WEFT_KTEST_ARCH_H

#include "types.h"

struct arch_context;

/* Runs ctx at EL0 until its next exception (a system call or a fault; an
 * interrupt is serviced and EL0 resumed) and returns with ctx filled: the
 * registers, ctx_entry and ctx_fault. */
void arch_user_run(struct arch_context *ctx);

/* A saved kernel execution point: x19-x30 and the stack pointer. */
struct arch_jmpbuf {
    uint64_t x19_x30[12];
    uint64_t sp;
};

/* Saves the caller's point in jb and returns 0; arch_longjmp(jb, v) returns
 * there again with v (1 if v is 0). The caller's frame must still exist. */
int arch_setjmp(struct arch_jmpbuf *jb) __attribute__((returns_twice));
__noreturn void arch_longjmp(struct arch_jmpbuf *jb, int v);

/* Maps the kernel page kpage (page-aligned) at user address va (0x500000 to
 * 0x5fffff) in the kernel's own lower half, EL0-accessible, writable if write,
 * executable if exec, and loads that half (world.c). */
void arch_ktest_map_user(vaddr_t va, void *kpage, bool write, bool exec);

/* Provokes the fault named by kind ("pf", "ud", "wx", "nx", "brk", "assert") so
 * the harness can check the exception report; returns only for an unknown kind. */
void arch_selftest_fault(const char *kind);

/* The thread self-tests' architecture facts (fault_ktest.c, ipc_ktest.c): the
 * length of the script's undefined instruction (udf), a PSTATE value with
 * privileged bits (D A I F masked, EL1h) and those bits, and what identifies a
 * context's last entry into the kernel (ctx_entry). */
#define KTEST_UD_LEN           4
#define KTEST_FLAGS_REWRITE    0xf00003c5ull
#define KTEST_FLAGS_PRIVILEGED 0x3cfull
#define KTEST_CTX_ENTRY(ctx)   ctx_entry(ctx)

#endif
