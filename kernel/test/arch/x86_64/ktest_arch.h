/*
 * The x86_64 test image's scaffolding (scaffold.c, scaffold.S): running a user
 * context from a self-test without a thread, and a kernel setjmp/longjmp.
 */
#ifndef WEFT_KTEST_ARCH_H
#define WEFT_KTEST_ARCH_H

#include "arch/context.h"

/* Runs ctx in user mode until its next entry into the kernel and returns the
 * entry's vector (VEC_SYSCALL or an exception number). Interrupts taken
 * meanwhile are serviced and ctx resumed at once. */
uint64_t arch_user_run(struct arch_context *ctx);

/* A saved kernel execution point (callee-saved registers, stack, return address). */
struct arch_jmpbuf {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

/* Saves the caller's point in jb and returns 0; a later arch_longjmp(jb, v) returns
 * here again with v (non-zero). The caller's frame must still exist then. */
int arch_setjmp(struct arch_jmpbuf *jb) __attribute__((returns_twice));
__noreturn void arch_longjmp(struct arch_jmpbuf *jb, int v);

/* Maps the kernel page kpage (page-aligned, in the kernel image) at user address
 * va (0x500000 to 0x5fffff) in the kernel's own tables, user-accessible,
 * writable if write, executable if exec (user_ktest.c). */
void arch_ktest_map_user(vaddr_t va, void *kpage, bool write, bool exec);

/* Provokes the fault named by kind ("pf", "ud", ...) so the harness can check
 * the exception report; returns only for an unknown kind. */
void arch_selftest_fault(const char *kind);

/* The thread self-tests' architecture facts (fault_ktest.c, ipc_ktest.c): the
 * length of the script's undefined instruction (ud2), a flags value with
 * privileged bits (IOPL 3, NT) and those bits, and what identifies a context's
 * last entry into the kernel (its vector). */
#define KTEST_UD_LEN           2
#define KTEST_FLAGS_REWRITE    0x7202
#define KTEST_FLAGS_PRIVILEGED 0x7000
#define KTEST_CTX_ENTRY(ctx)   ctx_vector(ctx)

/* The platform self-tests (platform_ktest.c): the machine is described by ACPI
 * tables (genarch/platform.c). */
#define KTEST_PLATFORM_ACPI 1

#endif
