/*
 * A thread's user-mode (U-mode) context on riscv64 and the way into and out
 * of U-mode (the contract is kernel/include/arch.h and docs/porting.md
 * section 2).
 *
 * The registers are kept in the order of the ABI's register file
 * (weft/arch/riscv64/abi.h: x10-x31, x1-x9, pc; CTX_X(c, n) is xn), so
 * ctx_reg is an index. While U-mode runs, sscratch holds the running
 * context: the trap entry (trap.S) swaps it with a0 and stores every register
 * straight into it (one kernel stack per CPU, as x86-64 and aarch64), then
 * decodes the entry (user.c) for arch_user_entry. In S-mode sscratch is 0.
 *
 * System calls are `ecall` with the registers of weft/arch/riscv64/abi.h
 * (decision 152): number a7, cap a0, message info a1, words a2-a5, Reply cap
 * a6; results in a7 (error), a1 (info), a0 (badge), a2-a5. The entry has
 * already moved the pc past the ecall when generic code sees it.
 *
 * The FP registers (f0-f31, fcsr) are not touched by the kernel (built
 * without F and D) and switched lazily (decision 175, as aarch64's decision
 * 151): they hold one context's state (riscv_fpu_live) until another context
 * uses them; U-mode reaches them only while the context running is that one
 * (sstatus.FS not Off), and the first FP instruction of another traps as an
 * illegal instruction (user.c), which stores the old state where it changed
 * and loads the new (fpu.c).
 */
#ifndef WEFT_ARCH_CONTEXT_H
#define WEFT_ARCH_CONTEXT_H

#include "arch.h"
#include "arch/percpu.h"
#include "arch/riscv.h"
#include "weft/arch.h"

/* The FP state: f0-f31 (64 bits each), then fcsr (fpu.S). */
struct arch_fpu {
    uint64_t f[32];
    uint64_t fcsr;
};

struct arch_context {
    uint64_t regs[32]; /* x10-x31, x1-x9, pc: WF_RISCV64_REG_* order */
    uint64_t sstatus;  /* of the last entry (reported; the exit writes its own) */
    uint64_t scause;   /* of the last entry */
    uint64_t stval;    /* of the last entry */
    enum arch_entry entry;
    struct arch_fault fault;       /* the last exception from U-mode, decoded */
    struct arch_fpu fpu;           /* saved while the thread is switched out */
    uint64_t retry_pc, retry_addr; /* the last permission fault (user.c) */
    uint64_t retry_count;          /* its repeats the page tables allowed */
    uint64_t ktp;                  /* the kernel's tp (its hart's block) while it runs */
};
_Static_assert(__builtin_offsetof(struct arch_context, ktp) == 608, "trap.S");
_Static_assert(WF_RISCV64_REG_PC == 31 && WF_RISCV64_REG_X(10) == 0 && WF_RISCV64_REG_X(1) == 22,
               "trap.S");
_Static_assert(__builtin_offsetof(struct arch_context, sstatus) == 256, "trap.S");
_Static_assert(__builtin_offsetof(struct arch_context, scause) == 264, "trap.S");
_Static_assert(__builtin_offsetof(struct arch_context, stval) == 272, "trap.S");
_Static_assert(__builtin_offsetof(struct arch_context, fpu) == 320, "fpu.S");

/* abi/weft.def's riscv64 register file names the same words (its generated
 * regs.h): x10-x31, x1-x9, pc, sstatus, then the fault message's two details. */
_Static_assert(
    WF_FAULT_WORD_A0 == WF_RISCV64_REG_X(10) && WF_FAULT_WORD_A7 == WF_RISCV64_REG_X(17) &&
        WF_FAULT_WORD_S2 == WF_RISCV64_REG_X(18) && WF_FAULT_WORD_S11 == WF_RISCV64_REG_X(27) &&
        WF_FAULT_WORD_T3 == WF_RISCV64_REG_X(28) && WF_FAULT_WORD_T6 == WF_RISCV64_REG_X(31) &&
        WF_FAULT_WORD_RA == WF_RISCV64_REG_X(1) && WF_FAULT_WORD_SP == WF_RISCV64_REG_X(2) &&
        WF_FAULT_WORD_GP == WF_RISCV64_REG_X(3) && WF_FAULT_WORD_TP == WF_RISCV64_REG_X(4) &&
        WF_FAULT_WORD_T0 == WF_RISCV64_REG_X(5) && WF_FAULT_WORD_T2 == WF_RISCV64_REG_X(7) &&
        WF_FAULT_WORD_S0 == WF_RISCV64_REG_X(8) && WF_FAULT_WORD_S1 == WF_RISCV64_REG_X(9) &&
        WF_FAULT_WORD_PC == WF_RISCV64_REG_PC && WF_FAULT_WORD_SSTATUS == WF_RISCV64_REG_SSTATUS &&
        WF_REGS_COUNT == WF_RISCV64_REGS_COUNT && WF_FAULT_WORD_DETAIL0 == WF_REGS_COUNT &&
        WF_FAULT_WORD_DETAIL1 == WF_REGS_COUNT + 1 && WF_FAULT_MSG_WORDS == WF_REGS_COUNT + 2,
    "the context's register order is abi/weft.def's");
_Static_assert(WF_FAULT_WORD_SYSNO == WF_RISCV64_REG_SYSNO &&
                   WF_FAULT_WORD_CAP == WF_RISCV64_REG_CAP &&
                   WF_FAULT_WORD_INFO == WF_RISCV64_REG_INFO &&
                   WF_FAULT_WORD_MR0 == WF_RISCV64_REG_MR0 &&
                   WF_FAULT_WORD_MR3 == WF_RISCV64_REG_MR0 + 3 &&
                   WF_FAULT_WORD_REPLY_CAP == WF_RISCV64_REG_REPLY_CAP &&
                   WF_FAULT_WORD_ARG0 == WF_RISCV64_REG_A(0) &&
                   WF_FAULT_WORD_ARG1 == WF_RISCV64_REG_A(1) &&
                   WF_FAULT_WORD_RESULT == WF_RISCV64_REG_A(0),
               "the system call registers are weft.def's neutral words");

/* Register xn (1-31) of c. */
#define CTX_X(c, n) ((c)->regs[WF_RISCV64_REG_X(n)])

/* The context U-mode runs in now on this hart (set by arch_context_activate
 * and arch_exit_to_user): a field of the per-hart block (arch/percpu.h). */
#define arch_user_ctx (riscv_this_cpu()->user_ctx)

/* ipc_fastpath_set changed ipc_fastpath_sysno: each hart's block has a copy
 * (arch/percpu.h, for trap.S), written again (smp.c). */
#define ARCH_FASTPATH_SYSNO_COPIES 1
void arch_fastpath_sysno_changed(void);

/* NULL, except while the test image's scaffold runs a user context that is no
 * thread's: then every entry from U-mode goes to it. */
extern void (*arch_user_redirect)(struct arch_context *ctx) __noreturn;

/* Called for every entry from U-mode (a system call or an exception;
 * interrupts resume U-mode or reach it as ARCH_ENTRY_INTERRUPT) once ctx holds
 * the registers and the decoded entry. */
__noreturn void arch_user_entry(struct arch_context *ctx);

/* Initializes ctx for U-mode: every register zero, entry point and stack, a
 * clean FP state (fcsr 0: round to nearest, no flags). */
static inline void arch_context_init(struct arch_context *ctx, vaddr_t entry, vaddr_t stack)
{
    __builtin_memset(ctx, 0, sizeof(*ctx));
    ctx->regs[WF_RISCV64_REG_PC] = entry;
    ctx->regs[WF_RISCV64_REG_SP] = stack;
}

/* Makes ctx the context the next entry from U-mode saves into. The thread
 * pointer (tp, which U-mode may write itself) is an ordinary register, saved
 * on every entry and loaded by every exit. */
static inline __attribute__((always_inline)) void arch_context_activate(struct arch_context *ctx)
{
    arch_user_ctx = ctx;
}

static inline __attribute__((always_inline)) bool
arch_context_activate_fast(struct arch_context *ctx)
{
    arch_user_ctx = ctx;
    return true;
}

/* Sets ctx's thread pointer (TCB_SetTLS): tp, x4. */
static inline void arch_context_set_tls(struct arch_context *ctx, uint64_t base)
{
    ctx->regs[WF_RISCV64_REG_TP] = base;
}

/* Lazy FP switching (decision 175; fpu.c). riscv_fpu_live: the context whose
 * state the registers hold (NULL: nobody's); riscv_fpu_open: U-mode may use
 * them (sstatus.FS Clean or Dirty; else Off, and U-mode's first FP
 * instruction traps); riscv_fpu_dirty: FS was Dirty when it was last turned
 * Off, so the registers hold changes the live context's memory lacks. Each
 * hart has its own (arch/percpu.h); a context whose state is live on another
 * hart is stored there first when it takes the registers here. */
#define riscv_fpu_live  (riscv_this_cpu()->fpu_live)
#define riscv_fpu_open  (riscv_this_cpu()->fpu_open)
#define riscv_fpu_dirty (riscv_this_cpu()->fpu_dirty)
extern uint64_t riscv_fpu_takes; /* first uses taken (the self-tests count them) */
/* Stores the registers into ctx (sstatus.FS unchanged) / loads ctx's state
 * into them (FS Clean after): fpu.S. */
void riscv_fpu_store(struct arch_context *ctx);
void riscv_fpu_load(const struct arch_context *ctx);
/* U-mode's first FP instruction in ctx trapped (the registers closed to it):
 * the live state stored where it changed, ctx's loaded, U-mode let in. */
void riscv_fpu_take(struct arch_context *ctx);

/* Opens the registers to U-mode (FS Off -> Clean) or closes them (FS Off,
 * remembering a Dirty FS in riscv_fpu_dirty). */
static inline __attribute__((always_inline)) void riscv_fpu_gate(bool open)
{
    if (open) {
        csr_set(sstatus, SSTATUS_FS_CLEAN);
    } else {
        uint64_t was;
        __asm__ volatile("csrrc %0, sstatus, %1" : "=r"(was) : "r"(SSTATUS_FS) : "memory");
        if ((was & SSTATUS_FS) == SSTATUS_FS_DIRTY)
            riscv_fpu_dirty = true;
    }
    riscv_fpu_open = open;
}

/* The CPU switches away from ctx: its state stays in the registers until
 * another context uses them, so nothing is saved now. */
static inline __attribute__((always_inline)) void arch_fpu_save(struct arch_context *ctx)
{
    (void)ctx;
}

/* The CPU switches to ctx: U-mode is let in where the registers hold ctx's
 * state, else its first FP instruction traps (riscv_fpu_take). */
static inline __attribute__((always_inline)) void arch_fpu_restore(const struct arch_context *ctx)
{
    /* the common case, to a context whose state is not live with the
     * registers closed, in one compare each */
    if (__builtin_expect(ctx != riscv_fpu_live && !riscv_fpu_open, 1))
        return;
    bool open = ctx == riscv_fpu_live;
    if (open != riscv_fpu_open)
        riscv_fpu_gate(open);
}

/* ctx goes away or moves to another hart: wherever its state is live it is
 * stored into ctx and no hart names ctx any more (fpu.c). */
void arch_fpu_forget(struct arch_context *ctx);

/* True when ctx can leave by the fast path's return: one way out (sret from
 * the saved registers), which needs only a user-half pc. Sv48's top, a
 * constant, serves under Sv39 too (decision 177): a pc between 2^38 and 2^47
 * is no address there, and its fetch faults in U-mode as an unmapped one does. */
static inline bool ctx_fast_resume(const struct arch_context *ctx)
{
    return ctx->regs[WF_RISCV64_REG_PC] < USER_TOP_SV48;
}

/* Enters U-mode in c. A pc outside the user half does not reach the CPU: it
 * is a PROTECTION fault of the thread, handled as if U-mode had raised it. */
__noreturn void arch_exit_to_user(struct arch_context *c);

/* Waits for an interrupt, takes it, and masks interrupts again (the idle
 * loop's step): wfi wakes on a pending enabled interrupt even while masked. */
static inline void arch_idle_wait(void)
{
    __asm__ volatile("wfi\n\tcsrsi sstatus, 2\n\tcsrci sstatus, 2" ::: "memory");
}

static inline uint64_t ctx_sysno(const struct arch_context *c)
{
    return c->regs[WF_RISCV64_REG_SYSNO];
}

static inline uint64_t ctx_cap(const struct arch_context *c)
{
    return c->regs[WF_RISCV64_REG_CAP];
}

static inline uint64_t ctx_info(const struct arch_context *c)
{
    return c->regs[WF_RISCV64_REG_INFO];
}

static inline uint64_t ctx_reply_cap(const struct arch_context *c)
{
    return c->regs[WF_RISCV64_REG_REPLY_CAP];
}

/* Message word i (0-3) as the thread passed it. */
static inline uint64_t ctx_mr(const struct arch_context *c, unsigned i)
{
    return c->regs[WF_RISCV64_REG_MR0 + (i & 3)];
}

static inline void ctx_set_mr(struct arch_context *c, unsigned i, uint64_t v)
{
    c->regs[WF_RISCV64_REG_MR0 + (i & 3)] = v;
}

/* Copies the first n (0-4; more counts as 4) message words of src's registers
 * to dst's. */
static inline void ctx_copy_mrs(struct arch_context *dst, const struct arch_context *src,
                                unsigned n)
{
    if (n > 4)
        n = 4;
    for (unsigned i = 0; i < n; i++)
        dst->regs[WF_RISCV64_REG_MR0 + i] = src->regs[WF_RISCV64_REG_MR0 + i];
}

/* ctx_copy_mrs for n known to be at most 4 (the IPC fast path's): compares
 * rather than a switch, whose jump table costs riscv64 six instructions
 * (an address built, loaded, jumped through) where one word costs two. */
static inline __attribute__((always_inline)) void
ctx_copy_reg_mrs(struct arch_context *dst, const struct arch_context *src, unsigned n)
{
    uint64_t *d = &dst->regs[WF_RISCV64_REG_MR0];
    const uint64_t *s = &src->regs[WF_RISCV64_REG_MR0];
    if (n == 0)
        return;
    d[0] = s[0];
    if (n == 1)
        return;
    d[1] = s[1];
    if (n == 2)
        return;
    d[2] = s[2];
    if (n == 3)
        return;
    d[3] = s[3];
}

/* Sets the results of a system call: error, message info, badge. */
static inline void ctx_set_result(struct arch_context *c, uint64_t err, uint64_t info,
                                  uint64_t badge)
{
    c->regs[WF_RISCV64_REG_SYSNO] = err;
    c->regs[WF_RISCV64_REG_INFO] = info;
    c->regs[WF_RISCV64_REG_CAP] = badge;
}

static inline void ctx_set_error(struct arch_context *c, uint64_t err)
{
    c->regs[WF_RISCV64_REG_SYSNO] = err;
}

/* Makes the thread execute its system call again when it next runs (the
 * entry moved the pc past the 4-byte ecall; the number is still in a7). */
static inline void ctx_restart_syscall(struct arch_context *c)
{
    c->regs[WF_RISCV64_REG_PC] -= 4;
}

static inline uint64_t ctx_pc(const struct arch_context *c)
{
    return c->regs[WF_RISCV64_REG_PC];
}

static inline enum arch_entry ctx_entry(const struct arch_context *c)
{
    return c->entry;
}

static inline const struct arch_fault *ctx_fault(const struct arch_context *c)
{
    return &c->fault;
}

/* Register i (enum wf_fault_word order, below WF_RISCV64_REGS_COUNT). */
static inline uint64_t ctx_reg(struct arch_context *c, unsigned i)
{
    return i < 32 ? c->regs[i] : c->sstatus;
}

/* Sets register i. sstatus keeps nothing a thread could not set itself
 * (WF_RISCV64_SSTATUS_WRITABLE: none of its bits). */
static inline void ctx_set_reg(struct arch_context *c, unsigned i, uint64_t v)
{
    if (i < 32)
        c->regs[i] = v;
    else
        c->sstatus = v & WF_RISCV64_SSTATUS_WRITABLE;
}

/* Start state of a new thread: pc, stack, first argument. */
static inline void ctx_set_entry(struct arch_context *c, uint64_t pc, uint64_t sp, uint64_t arg0)
{
    c->regs[WF_RISCV64_REG_PC] = pc;
    c->regs[WF_RISCV64_REG_SP] = sp;
    c->regs[WF_RISCV64_REG_A(0)] = arg0;
}

/* True if va is a user-half address. */
static inline bool arch_user_canonical(uint64_t va)
{
    return va < USER_TOP;
}

#endif
