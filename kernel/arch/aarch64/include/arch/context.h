/*
 * A thread's user-mode (EL0) context on aarch64 and the way into and out of
 * EL0 -- the part of the contract's arch/context.h that exists so far: the
 * register file, entry kind, decoded fault and the exit. The system call
 * register convention, message-register accessors, FP/SIMD state and the
 * fast path come with the ABI (docs/arch-aarch64.md).
 *
 * Entering EL0 (arch_exit_to_user) loads x0-x30, SP_EL0, TPIDR_EL0, ELR_EL1 and
 * a sanitised SPSR_EL1 from the context and erets. A synchronous exception
 * from EL0 lands on the kernel stack (SP_EL1), is copied into the context of
 * the thread that was running (arch_user_ctx), decoded (ctx_entry, ctx_fault)
 * and handed on: to arch_user_redirect when the test image's scaffold set it,
 * else it is reported like a kernel exception (no generic user entry is
 * linked on aarch64 yet). An interrupt from EL0 is serviced and EL0 resumed.
 */
#ifndef WEFT_ARCH_CONTEXT_H
#define WEFT_ARCH_CONTEXT_H

#include "arch.h"

/* What leaving for EL0 keeps of the saved PSTATE: the condition flags only;
 * the mode is EL0t (0) and D, A, I, F are clear. */
#define PSTATE_USER_MASK 0xf0000000ull

struct arch_context {
    uint64_t x[31];
    uint64_t sp;     /* SP_EL0 */
    uint64_t pc;     /* ELR_EL1 */
    uint64_t pstate; /* SPSR_EL1 */
    uint64_t tpidr;  /* TPIDR_EL0: the thread pointer */
    uint64_t esr;    /* ESR_EL1 of the last entry */
    uint64_t far;    /* FAR_EL1 of the last entry */
    enum arch_entry entry;
    struct arch_fault fault; /* the last exception from EL0, decoded */
};

/* The context EL0 runs in now (set by arch_exit_to_user). */
extern struct arch_context *arch_user_ctx;

/* Where an entry from EL0 goes instead of the report (the test scaffold). */
extern void (*arch_user_redirect)(struct arch_context *ctx) __noreturn;

static inline enum arch_entry ctx_entry(const struct arch_context *c)
{
    return c->entry;
}

static inline const struct arch_fault *ctx_fault(const struct arch_context *c)
{
    return &c->fault;
}

static inline uint64_t ctx_pc(const struct arch_context *c)
{
    return c->pc;
}

/* pc, stack and first argument of a new thread. */
static inline void ctx_set_entry(struct arch_context *c, uint64_t pc, uint64_t sp, uint64_t arg)
{
    c->pc = pc;
    c->sp = sp;
    c->x[0] = arg;
}

/* An empty context: every register zero, EL0t. */
void arch_context_init(struct arch_context *c);

/* Enters EL0 in c. A pc outside the user half does not reach the CPU: it is a
 * PROTECTION fault of the thread, handled as if EL0 had raised it. */
__noreturn void arch_exit_to_user(struct arch_context *c);

#endif
