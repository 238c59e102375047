/*
 * A thread's user-mode context on x86_64 and the way into and out of user mode.
 *
 * Weft's kernel uses one kernel stack per CPU (as seL4): user registers are not
 * kept on a kernel stack but in the thread's own context. On entry from user
 * mode, traps (through TSS.rsp0) and syscalls (through the per-CPU block) push the
 * register file directly into the current thread's struct arch_context, then
 * switch to the CPU's kernel stack. Leaving the kernel means choosing a context
 * and calling arch_exit_to_user, which never returns.
 *
 * The FPU/SSE state is not touched by the kernel (it is built without SSE), so
 * it is saved and restored only when the CPU switches between threads.
 */
#ifndef WEFT_ARCH_CONTEXT_H
#define WEFT_ARCH_CONTEXT_H

/* vector value marking a frame saved by the syscall instruction path. */
#define VEC_SYSCALL 0x100

/* Offsets into struct percpu, for assembly. */
#define PERCPU_USER_RSP   0
#define PERCPU_KERNEL_RSP 8
#define PERCPU_REGS_TOP   16

#ifndef __ASSEMBLER__
#include "arch/trap.h"

struct arch_context {
    struct trap_frame regs;         /* user registers; written on every entry */
    uint64_t fault_addr;            /* CR2 of the last page fault from user mode */
    uint8_t fpu[512] __aligned(16); /* FXSAVE image */
};
_Static_assert(sizeof(struct trap_frame) % 16 == 0, "frame top must stay 16-aligned");

/* Per-CPU block, reached through %gs in the kernel (offsets used by assembly). */
struct percpu {
    uint64_t user_rsp;            /* 0: scratch for the syscall path */
    uint64_t kernel_rsp;          /* 8: top of this CPU's kernel stack */
    uint64_t regs_top;            /* 16: end of the current context's trap_frame */
    struct arch_context *current; /* 24: context user mode runs in */
};
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, kernel_rsp) == PERCPU_KERNEL_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, regs_top) == PERCPU_REGS_TOP, "percpu");

/* Initializes ctx for user mode: entry point, stack, flags (IF set), segments, a
 * clean FPU state. */
void arch_context_init(struct arch_context *ctx, vaddr_t entry, vaddr_t stack);

/* Makes ctx the context that the next entry from user mode saves into. */
void arch_context_activate(struct arch_context *ctx);

/* Saves / restores the FPU and SSE state of a context (on thread switch). */
void arch_fpu_save(struct arch_context *ctx);
void arch_fpu_restore(const struct arch_context *ctx);

/* Returns to user mode in the active context: by sysret when the context was
 * saved by a syscall and its return address is a canonical user address, by iret
 * otherwise. Never returns. */
__noreturn void arch_exit_to_user(struct arch_context *ctx);

/* Called (on the kernel stack) for every entry from user mode: a syscall
 * (regs.vector == VEC_SYSCALL) or a trap. Provided by generic code; until the
 * scheduler exists, the self-test runner's hook (arch_user_run) handles it. */
__noreturn void arch_user_entry(struct arch_context *ctx);

/* Self-test scaffold: runs ctx in user mode until its next entry into the kernel
 * and returns the entry's vector (VEC_SYSCALL or an exception number). */
uint64_t arch_user_run(struct arch_context *ctx);

/* True if va is a canonical lower-half (user) address. */
static inline bool arch_user_canonical(uint64_t va)
{
    return va < 0x0000800000000000ull;
}

#endif /* __ASSEMBLER__ */
#endif
