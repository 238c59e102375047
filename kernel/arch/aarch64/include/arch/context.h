/*
 * A thread's user-mode (EL0) context on aarch64 and the way into and out of
 * EL0 (the contract is kernel/include/arch.h and docs/porting.md section 2).
 *
 * Entering EL0 (arch_exit_to_user) loads x0-x30, SP_EL0, TPIDR_EL0, ELR_EL1 and
 * a sanitised SPSR_EL1 from the context and erets. A synchronous exception
 * from EL0 lands on the kernel stack (SP_EL1), is copied into the context of
 * the thread that was running (arch_user_ctx), decoded (ctx_entry, ctx_fault)
 * and handed to arch_user_entry. An interrupt from EL0 is serviced and EL0
 * resumed.
 *
 * System calls are `svc #0` with the registers of weft/arch/aarch64/abi.h
 * (decision 128): number x8, cap x0, message info x1, message words x2-x5,
 * Reply cap x6; results in x8 (error), x1 (info), x0 (badge), x2-x5.
 *
 * The FP/SIMD registers (v0-v31, FPSR, FPCR) are not touched by the kernel
 * (it is built with -mgeneral-regs-only) and switched lazily (decision 151):
 * they hold one context's state (aarch64_fpu_live) until another context uses
 * them; EL0 reaches them without a trap only while the context running is that
 * one (CPACR_EL1.FPEN), and the first use by another traps (fpu.c), which
 * stores the old state and loads the new.
 */
#ifndef WEFT_ARCH_CONTEXT_H
#define WEFT_ARCH_CONTEXT_H

#include "arch.h"
#include "arch/percpu.h"
#include "weft/arch.h"

/* What leaving for EL0 keeps of the saved PSTATE: the condition flags only;
 * the mode is EL0t (0) and D, A, I, F are clear. */
#define PSTATE_USER_MASK WF_AARCH64_PSTATE_WRITABLE

/* The FP/SIMD state: v0-v31 (128 bits each), then FPSR and FPCR (fpsimd.S). */
struct arch_fpu {
    uint64_t v[64];
    uint64_t fpsr, fpcr;
};

struct arch_context {
    uint64_t x[31];
    uint64_t sp;     /* SP_EL0 */
    uint64_t pc;     /* ELR_EL1 */
    uint64_t pstate; /* SPSR_EL1 */
    uint64_t tpidr;  /* TPIDR_EL0: the thread pointer */
    uint64_t esr;    /* ESR_EL1 of the last entry */
    uint64_t far;    /* FAR_EL1 of the last entry */
    enum arch_entry entry;
    struct arch_fault fault;           /* the last exception from EL0, decoded */
    struct arch_fpu fpu __aligned(16); /* saved while the thread is switched out */
    uint64_t retry_pc, retry_addr;     /* the last permission fault (user.c) */
    uint64_t retry_count;              /* its repeats the page tables allowed */
};
_Static_assert(__builtin_offsetof(struct arch_context, sp) == 248, "user_entry.S");
_Static_assert(__builtin_offsetof(struct arch_context, tpidr) == 272, "user_entry.S");
_Static_assert(__builtin_offsetof(struct arch_context, esr) == 280, "vectors.S");
_Static_assert(__builtin_offsetof(struct arch_context, far) == 288, "vectors.S");
_Static_assert(__builtin_offsetof(struct arch_context, entry) == 296, "vectors.S");
_Static_assert(__builtin_offsetof(struct arch_context, fpu) == 336, "fpsimd.S");
_Static_assert(PSTATE_USER_MASK == 0xf0000000, "user_entry.S");

/* The context EL0 runs in now on this CPU (set by arch_context_activate and
 * arch_exit_to_user); entries from EL0 save into it. A field of the per-CPU
 * block (arch/percpu.h). */
#define arch_user_ctx (aarch64_this_cpu()->user_ctx)

/* NULL, except while the test image's scaffold (kernel/test/arch/aarch64/
 * scaffold.c) runs a user context that is no thread's: then every entry from
 * EL0 goes to it. */
extern void (*arch_user_redirect)(struct arch_context *ctx) __noreturn;

/* Called for every entry from EL0 (a system call or an exception; interrupts
 * resume EL0 at once) once ctx holds the registers and the decoded entry. */
__noreturn void arch_user_entry(struct arch_context *ctx);

/* Initializes ctx for EL0: every register zero, entry point and stack, EL0t
 * with interrupts unmasked, a clean FP/SIMD state (FPCR 0: round to nearest,
 * no traps). */
static inline void arch_context_init(struct arch_context *ctx, vaddr_t entry, vaddr_t stack)
{
    __builtin_memset(ctx, 0, sizeof(*ctx));
    ctx->pc = entry;
    ctx->sp = stack;
}

/* Makes ctx the context the next entry from EL0 saves into. The thread
 * pointer (TPIDR_EL0, which EL0 may write itself) is saved on every entry and
 * loaded by every exit, so there is nothing more to do here. */
static inline __attribute__((always_inline)) void arch_context_activate(struct arch_context *ctx)
{
    arch_user_ctx = ctx;
}

/* arch_context_activate for the IPC fast path: never a thread pointer to load
 * separately (the exit loads it), so always true. */
static inline __attribute__((always_inline)) bool
arch_context_activate_fast(struct arch_context *ctx)
{
    arch_user_ctx = ctx;
    return true;
}

/* Sets ctx's thread pointer (TCB_SetTLS): TPIDR_EL0 when it next runs. */
static inline void arch_context_set_tls(struct arch_context *ctx, uint64_t base)
{
    ctx->tpidr = base;
}

/* Lazy FP/SIMD switching (decision 151; fpu.c). aarch64_fpu_live: the context
 * whose state the registers hold (NULL: nobody's); aarch64_fpu_open: EL0 may
 * use them without a trap (CPACR_EL1.FPEN = 3; else 1, a trap from EL0 only).
 * Each CPU has its own pair (arch/percpu.h); a context whose state is live
 * on another CPU is stored there first when it traps here (fpu.c). */
#define aarch64_fpu_live (aarch64_this_cpu()->fpu_live)
#define aarch64_fpu_open (aarch64_this_cpu()->fpu_open)
extern uint64_t aarch64_fpu_takes; /* traps taken (the self-tests count them) */
void aarch64_fpu_gate(bool open);
/* Stores / loads ctx's FP/SIMD state from / into the registers (fpsimd.S). */
void aarch64_fpu_store(struct arch_context *ctx);
void aarch64_fpu_load(const struct arch_context *ctx);
/* A use of FP/SIMD by ctx at EL0 trapped: the live state stored, ctx's loaded,
 * EL0 let in (fpu.c). */
void aarch64_fpu_take(struct arch_context *ctx);

/* The CPU switches away from ctx: its state stays in the registers until
 * another context uses them, so nothing is saved now. */
static inline __attribute__((always_inline)) void arch_fpu_save(struct arch_context *ctx)
{
    (void)ctx;
}

/* The CPU switches to ctx: EL0 is let in where the registers hold ctx's state,
 * else its first use traps (aarch64_fpu_take). */
static inline __attribute__((always_inline)) void arch_fpu_restore(const struct arch_context *ctx)
{
    bool open = ctx == aarch64_fpu_live;
    if (open != aarch64_fpu_open)
        aarch64_fpu_gate(open);
}

/* ctx goes away (its thread is destroyed): its state, if live, is dropped. */
void arch_fpu_forget(struct arch_context *ctx);

/* True when ctx can leave by the fast path's return: aarch64 has one way out
 * (eret from the saved registers), which needs only a user-half pc. */
static inline bool ctx_fast_resume(const struct arch_context *ctx)
{
    return ctx->pc < USER_TOP;
}

/* Enters EL0 in c. A pc outside the user half does not reach the CPU: it is a
 * PROTECTION fault of the thread, handled as if EL0 had raised it. */
__noreturn void arch_exit_to_user(struct arch_context *c);

/* Waits for an interrupt, takes it, and masks interrupts again (the idle
 * loop's step): wfi wakes on a pending interrupt even while masked. */
static inline void arch_idle_wait(void)
{
    __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
}

/*
 * The system call registers (weft/arch/aarch64/abi.h) and the register file in
 * the order of enum wf_fault_word (x0-x30, SP, PC, PSTATE), for generic code.
 */
static inline uint64_t ctx_sysno(const struct arch_context *c)
{
    return c->x[WF_AARCH64_REG_SYSNO];
}

static inline uint64_t ctx_cap(const struct arch_context *c)
{
    return c->x[WF_AARCH64_REG_CAP];
}

static inline uint64_t ctx_info(const struct arch_context *c)
{
    return c->x[WF_AARCH64_REG_INFO];
}

static inline uint64_t ctx_reply_cap(const struct arch_context *c)
{
    return c->x[WF_AARCH64_REG_REPLY_CAP];
}

/* Message word i (0-3) as the thread passed it. */
static inline uint64_t ctx_mr(const struct arch_context *c, unsigned i)
{
    return c->x[WF_AARCH64_REG_MR0 + (i & 3)];
}

static inline void ctx_set_mr(struct arch_context *c, unsigned i, uint64_t v)
{
    c->x[WF_AARCH64_REG_MR0 + (i & 3)] = v;
}

/* Copies the first n (0-4; more counts as 4) message words of src's registers
 * to dst's. */
static inline void ctx_copy_mrs(struct arch_context *dst, const struct arch_context *src,
                                unsigned n)
{
    if (n > 4)
        n = 4;
    for (unsigned i = 0; i < n; i++)
        dst->x[WF_AARCH64_REG_MR0 + i] = src->x[WF_AARCH64_REG_MR0 + i];
}

/* ctx_copy_mrs for n known to be at most 4 (the IPC fast path's register
 * messages). */
static inline __attribute__((always_inline)) void
ctx_copy_reg_mrs(struct arch_context *dst, const struct arch_context *src, unsigned n)
{
    switch (n) {
    case 4:
        dst->x[5] = src->x[5];
        /* fall through */
    case 3:
        dst->x[4] = src->x[4];
        /* fall through */
    case 2:
        dst->x[3] = src->x[3];
        /* fall through */
    case 1:
        dst->x[2] = src->x[2];
        /* fall through */
    case 0:
        break;
    default:
        __builtin_unreachable();
    }
}

/* Sets the results of a system call: error, message info, badge. */
static inline void ctx_set_result(struct arch_context *c, uint64_t err, uint64_t info,
                                  uint64_t badge)
{
    c->x[WF_AARCH64_REG_SYSNO] = err;
    c->x[WF_AARCH64_REG_INFO] = info;
    c->x[WF_AARCH64_REG_CAP] = badge;
}

static inline void ctx_set_error(struct arch_context *c, uint64_t err)
{
    c->x[WF_AARCH64_REG_SYSNO] = err;
}

/* Makes the thread execute its system call again when it next runs (the
 * number is still in x8: results are written only when a call completes). */
static inline void ctx_restart_syscall(struct arch_context *c)
{
    c->pc -= 4; /* svc is one 4-byte instruction */
}

static inline uint64_t ctx_pc(const struct arch_context *c)
{
    return c->pc;
}

/* What the entry that saved c was (called on entry, before any rewrite). */
static inline enum arch_entry ctx_entry(const struct arch_context *c)
{
    return c->entry;
}

/* The exception of an ARCH_ENTRY_FAULT entry, decoded (user.c). */
static inline const struct arch_fault *ctx_fault(const struct arch_context *c)
{
    return &c->fault;
}

/* Register i (enum wf_fault_word order, below WF_AARCH64_REGS_COUNT). */
static inline uint64_t ctx_reg(struct arch_context *c, unsigned i)
{
    if (i < 31)
        return c->x[i];
    switch (i) {
    case WF_AARCH64_REG_SP:
        return c->sp;
    case WF_AARCH64_REG_PC:
        return c->pc;
    default:
        return c->pstate;
    }
}

/* Sets register i. PSTATE keeps only the condition flags (EL0t, D A I F
 * clear: nothing a thread could not set itself). */
static inline void ctx_set_reg(struct arch_context *c, unsigned i, uint64_t v)
{
    if (i < 31) {
        c->x[i] = v;
        return;
    }
    switch (i) {
    case WF_AARCH64_REG_SP:
        c->sp = v;
        break;
    case WF_AARCH64_REG_PC:
        c->pc = v;
        break;
    default:
        c->pstate = v & WF_AARCH64_PSTATE_WRITABLE;
        break;
    }
}

/* Start state of a new thread: pc, stack, first argument. */
static inline void ctx_set_entry(struct arch_context *c, uint64_t pc, uint64_t sp, uint64_t arg0)
{
    c->pc = pc;
    c->sp = sp;
    c->x[0] = arg0;
}

/* True if va is a user-half address. */
static inline bool arch_user_canonical(uint64_t va)
{
    return va < USER_TOP;
}

#endif
