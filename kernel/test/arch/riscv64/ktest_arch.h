/*
 * The riscv64 test image's architecture hooks (kernel/test/ktest.c): a
 * kernel setjmp/longjmp and the deliberate faults. The thread world of the
 * generic IPC, scheduler and fault self-tests (arch_ktest_map_user, a U-mode
 * script interpreter) is still to come for riscv64 (docs/arch-riscv64.md).
 */
#ifndef WEFT_KTEST_ARCH_H
#define WEFT_KTEST_ARCH_H

#include "types.h"

struct arch_context;

/* A saved kernel execution point: ra, sp, s0-s11. */
struct arch_jmpbuf {
    uint64_t ra, sp, s[12];
};

/* Saves the caller's point in jb and returns 0; arch_longjmp(jb, v) returns
 * there again with v (1 if v is 0). The caller's frame must still exist. */
int arch_setjmp(struct arch_jmpbuf *jb) __attribute__((returns_twice));
__noreturn void arch_longjmp(struct arch_jmpbuf *jb, int v);

/* Runs ctx in U-mode until its next exception (a system call or a fault; an
 * interrupt is serviced and U-mode resumed) and returns with ctx filled. */
void arch_user_run(struct arch_context *ctx);

/* Provokes the fault named by kind ("pf", "ud", "wx", "nx", "brk", "assert") so
 * the harness can check the exception report; returns only for an unknown kind. */
void arch_selftest_fault(const char *kind);

#endif
