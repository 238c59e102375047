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
/* vector value of a frame whose registers the kernel rewrote (TCB_WriteRegisters, a
 * fault reply): leave by iret, which restores rcx and r11 as well. */
#define VEC_FULL_RESTORE 0x101

/* What leaving for user mode does to the saved flags: keep the user-settable
 * CF PF AF ZF SF TF DF OF AC ID, set IF and the always-one bit (so no IOPL, NT,
 * RF, VM whatever the frame says). AC stays because the thread may set it
 * itself (popf); at CPL 3 it only turns on alignment checks. */
#define RFLAGS_USER_MASK 0x240dd5
#define RFLAGS_USER_SET  0x202
/* What a register write on a thread's behalf (TCB_WriteRegisters, a fault
 * reply) keeps of the flags it is given: the same, less AC, the kernel's SMAP
 * override, which nobody but the thread itself should set (ctx_set_reg). */
#define RFLAGS_WRITE_MASK 0x200dd5
#define RFLAGS_AC         0x40000

/* Offsets into struct percpu, for assembly. */
#define PERCPU_USER_RSP   0
#define PERCPU_KERNEL_RSP 8
#define PERCPU_REGS_TOP   24 /* tss.rsp[0] */
#define PERCPU_ID         16 /* the CPU's id (arch_cpu_id) */

#ifndef __ASSEMBLER__
#include "arch.h"
#include "arch/memlayout.h"
#include "arch/x86.h"
#include "arch/trap.h"
#include "arch/percpu.h"

struct arch_context {
    struct trap_frame regs;         /* user registers; written on every entry */
    struct arch_fault fault;        /* the last exception from user mode, decoded */
    uint64_t fault_addr;            /* CR2 of the last page fault from user mode */
    uint64_t retry_pc, retry_addr;  /* the last protection fault (user.c page_fault) */
    uint64_t retry_count;           /* its repeats the page tables allowed */
    uint64_t tls_base;              /* the thread pointer: FS base while it runs */
    uint8_t fpu[512] __aligned(16); /* FXSAVE image */
};
_Static_assert(sizeof(struct trap_frame) % 16 == 0, "frame top must stay 16-aligned");

/* Per-CPU block, reached through %gs in the kernel (offsets used by assembly).
 * It holds the CPU's TSS, whose rsp[0] (where a trap from user mode pushes its
 * frame) is also where the syscall entry stores the registers: the end of the
 * current context's trap_frame. */
struct percpu {
    uint64_t user_rsp;             /* 0: scratch for the syscall path */
    uint64_t kernel_rsp;           /* 8: top of this CPU's kernel stack */
    uint32_t id;                   /* 16: arch_cpu_id(); also puts tss.rsp[0] at 24, 8-aligned */
    struct tss tss;                /* 20: the task-state segment (cpu.c) */
    uint64_t fs_base;              /* the thread pointer loaded last (arch_context_activate) */
    uint32_t apic_id;              /* its local APIC's id */
    uint64_t gdt[8] __aligned(16); /* its GDT: the TSS descriptor differs per CPU */
    struct cpu_local local;        /* the scheduler's state of this CPU (arch/percpu.h) */
#if X86_PCID
    /* The address spaces this CPU's TLB may hold, by PCID (decision 174,
     * arch/vm_cpu.h): pcid_root[i] is the root PCID i + 1 tags (0: none). */
    uint64_t pcid_root[X86_PCID_SLOTS];
    uint32_t pcid_next;   /* the slot the next miss takes (round robin) */
    uint64_t pcid_misses; /* loads that flushed (a root not in the table) */
#endif
};
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, kernel_rsp) == PERCPU_KERNEL_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, tss.rsp[0]) == PERCPU_REGS_TOP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, id) == PERCPU_ID, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, local) == PERCPU_LOCAL, "percpu");
#if X86_PCID
_Static_assert(__builtin_offsetof(struct percpu, pcid_root) == PERCPU_PCID_ROOT, "percpu");
#endif

/* The boot CPU's per-CPU block (kernel/arch/x86_64/cpu.c). */
extern struct percpu cpu0;

/* This CPU's per-CPU block as an lvalue through %gs (clang's address space
 * 256): a field access is one %gs-relative instruction, as a global's was. */
#define this_percpu (*(struct percpu __attribute__((address_space(256))) *)0)

/* Initializes ctx for user mode: entry point, stack, flags (IF set), segments, a
 * clean FPU state (the FXSAVE image of a reset FPU: FCW 0x37f, all exceptions
 * masked, MXCSR 0x1f80). */
static inline void arch_context_init(struct arch_context *ctx, vaddr_t entry, vaddr_t stack)
{
    __builtin_memset(ctx, 0, sizeof(*ctx));
    ctx->regs.rip = entry;
    ctx->regs.rsp = stack;
    ctx->regs.rflags = 0x202; /* IF */
    ctx->regs.cs = GDT_UCODE | 3;
    ctx->regs.ss = GDT_UDATA | 3;
    ctx->fpu[0] = 0x7f;
    ctx->fpu[1] = 0x03;
    ctx->fpu[24] = 0x80; /* MXCSR 0x00001f80, little endian */
    ctx->fpu[25] = 0x1f;
}

/* Loads ctx's thread pointer into the CPU (arch_context_activate's cold part). */
__attribute__((noinline, cold)) void arch_load_tls(const struct arch_context *ctx);

/* Makes ctx the context that the next entry from user mode (a syscall or a
 * trap) saves into. */
static inline __attribute__((always_inline)) void arch_context_activate(struct arch_context *ctx)
{
    this_percpu.tss.rsp[0] = (uint64_t)(uintptr_t)(&ctx->regs + 1);
    /* The thread pointer. User mode can change the FS base only by loading a
     * selector, whose base is 0 in every descriptor it may name: the base the CPU
     * holds is this CPU's fs_base or 0. So nothing is written while both are 0:
     * threads without TLS pay a load, an or and a branch (decision 097). */
    if (unlikely(ctx->tls_base | this_percpu.fs_base))
        arch_load_tls(ctx);
}

/* arch_context_activate without the thread pointer's load: false where one is
 * due (then the caller leaves through arch_exit_to_user, which loads it, or
 * loads it with arch_context_load_tls_inline). */
static inline __attribute__((always_inline)) bool
arch_context_activate_fast(struct arch_context *ctx)
{
    this_percpu.tss.rsp[0] = (uint64_t)(uintptr_t)(&ctx->regs + 1);
    return likely(!(ctx->tls_base | this_percpu.fs_base));
}

/* The thread pointer's load (arch_load_tls) inline: a wrmsr and a store, no
 * call, so that the fast path of foreign system calls, whose two threads (a
 * Linux program and lx) both have one, still leaves by the fast return and
 * saves no register (decision 138). */
static inline __attribute__((always_inline)) void
arch_context_load_tls_inline(const struct arch_context *ctx)
{
    wrmsr(MSR_FS_BASE, ctx->tls_base);
    this_percpu.fs_base = ctx->tls_base; /* this CPU's (arch_load_tls) */
}

/* Sets ctx's thread pointer (TCB_SetTLS): loaded whenever ctx becomes current. */
static inline void arch_context_set_tls(struct arch_context *ctx, uint64_t base)
{
    ctx->tls_base = base;
}

/* Saves / restores the FPU and SSE state of a context (on thread switch). */
static inline void arch_fpu_save(struct arch_context *ctx)
{
    __asm__ volatile("fxsave64 %0" : "=m"(ctx->fpu));
}

static inline void arch_fpu_restore(const struct arch_context *ctx)
{
    __asm__ volatile("fxrstor64 %0" : : "m"(ctx->fpu));
}

/* True when ctx can leave by the fast return (arch_fast_exit, user_entry.S): it
 * was saved by the syscall instruction and not rewritten since (so its flags
 * and segments are what the CPU gave at that syscall), and its return address
 * is a canonical user address (sysret to a non-canonical one faults in ring 0
 * on Intel CPUs; arch_exit_to_user turns that into a #GP for the thread). */
static inline bool ctx_fast_resume(const struct arch_context *ctx)
{
    return ctx->regs.vector == VEC_SYSCALL && (ctx->regs.rip >> 47) == 0;
}

/* Returns to user mode in the active context: by sysret when the context was
 * saved by a syscall and its return address is a canonical user address, by iret
 * otherwise. Never returns. */
__noreturn void arch_exit_to_user(struct arch_context *ctx);

/* Called (on the kernel stack) for every entry from user mode: a syscall
 * (regs.vector == VEC_SYSCALL) or a trap (after an interrupt's handler ran). Hands
 * the entry to arch_user_redirect when it is set, else to the generic
 * kernel_entry (ipc/syscall.h). */
__noreturn void arch_user_entry(struct arch_context *ctx);

/* NULL, except while the test image's scaffold (kernel/test/arch/x86_64/
 * scaffold.c) runs a user context that is no thread's: then every entry from
 * user mode goes to it (an interrupt's context is resumed at once instead).
 * Nothing in the production image sets it (core/hook.h explains why this one
 * test attachment is a run-time pointer: it is on every entry's path). */
extern void (*arch_user_redirect)(struct arch_context *ctx) __noreturn;

/* Waits for an interrupt with interrupts enabled, then disables them again: the idle
 * loop's step (interrupts are serviced in between). */
static inline void arch_idle_wait(void)
{
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

/*
 * The system call registers (abi/include/weft/ipc.h) and the register file in the
 * order of enum wf_fault_word, for generic code.
 */
static inline uint64_t ctx_sysno(const struct arch_context *c)
{
    return c->regs.rax;
}

static inline uint64_t ctx_cap(const struct arch_context *c)
{
    return c->regs.rdi;
}

static inline uint64_t ctx_info(const struct arch_context *c)
{
    return c->regs.rsi;
}

static inline uint64_t ctx_reply_cap(const struct arch_context *c)
{
    return c->regs.r12;
}

/* Message word i (0-3) as the thread passed it. */
static inline uint64_t ctx_mr(const struct arch_context *c, unsigned i)
{
    switch (i) {
    case 0:
        return c->regs.rdx;
    case 1:
        return c->regs.r10;
    case 2:
        return c->regs.r8;
    default:
        return c->regs.r9;
    }
}

static inline void ctx_set_mr(struct arch_context *c, unsigned i, uint64_t v)
{
    switch (i) {
    case 0:
        c->regs.rdx = v;
        break;
    case 1:
        c->regs.r10 = v;
        break;
    case 2:
        c->regs.r8 = v;
        break;
    default:
        c->regs.r9 = v;
        break;
    }
}

/* Copies the first n (0-4) message words of src's registers to dst's. */
static inline void ctx_copy_mrs(struct arch_context *dst, const struct arch_context *src,
                                unsigned n)
{
    switch (n) {
    default:
        dst->regs.r9 = src->regs.r9;
        /* fall through */
    case 3:
        dst->regs.r8 = src->regs.r8;
        /* fall through */
    case 2:
        dst->regs.r10 = src->regs.r10;
        /* fall through */
    case 1:
        dst->regs.rdx = src->regs.rdx;
        /* fall through */
    case 0:
        break;
    }
}

/* ctx_copy_mrs for n known to be at most 4 (the IPC fast path's register
 * messages): one indirect jump, no range check. */
static inline __attribute__((always_inline)) void
ctx_copy_reg_mrs(struct arch_context *dst, const struct arch_context *src, unsigned n)
{
    switch (n) {
    case 4:
        dst->regs.r9 = src->regs.r9;
        /* fall through */
    case 3:
        dst->regs.r8 = src->regs.r8;
        /* fall through */
    case 2:
        dst->regs.r10 = src->regs.r10;
        /* fall through */
    case 1:
        dst->regs.rdx = src->regs.rdx;
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
    c->regs.rax = err;
    c->regs.rsi = info;
    c->regs.rdi = badge;
}

static inline void ctx_set_error(struct arch_context *c, uint64_t err)
{
    c->regs.rax = err;
}

/* Makes the thread execute its system call again when it next runs. */
static inline void ctx_restart_syscall(struct arch_context *c)
{
    c->regs.rip -= 2; /* syscall is 0f 05 */
}

static inline uint64_t ctx_pc(const struct arch_context *c)
{
    return c->regs.rip;
}

/* The x86 vector of the last entry (VEC_SYSCALL for a system call): for the
 * architecture's own code and self-tests; generic code uses ctx_entry. */
static inline uint64_t ctx_vector(const struct arch_context *c)
{
    return c->regs.vector;
}

/* What the entry that saved c was (called on entry, before any rewrite). */
static inline enum arch_entry ctx_entry(const struct arch_context *c)
{
    if (__builtin_expect(c->regs.vector == VEC_SYSCALL, 1))
        return ARCH_ENTRY_SYSCALL;
    return c->regs.vector < 32 ? ARCH_ENTRY_FAULT : ARCH_ENTRY_INTERRUPT;
}

/* The exception of an ARCH_ENTRY_FAULT entry, decoded (arch_user_trap). */
static inline const struct arch_fault *ctx_fault(const struct arch_context *c)
{
    return &c->fault;
}

/* Indexes of the flags, rcx and r11 in that order (WF_FAULT_WORD_RFLAGS, _RCX,
 * _R11; checked in user.c). */
#define CTX_REG_RFLAGS 3
#define CTX_REG_RCX    5
#define CTX_REG_R11    13

static inline uint64_t *ctx_reg_slot(struct arch_context *c, unsigned i)
{
    struct trap_frame *f = &c->regs;
    uint64_t *const regs[18] = {&f->rax, &f->rip, &f->rsp, &f->rflags, &f->rbx, &f->rcx,
                                &f->rdx, &f->rsi, &f->rdi, &f->rbp,    &f->r8,  &f->r9,
                                &f->r10, &f->r11, &f->r12, &f->r13,    &f->r14, &f->r15};
    return regs[i];
}

/* The syscall entry does not store rcx and r11 (user_entry.S): the syscall
 * instruction put the return address and the flags there, which the frame holds
 * as rip and rflags, and sysret gives the thread them back in rcx and r11. So in
 * a frame of vector VEC_SYSCALL they read as rip and rflags (ctx_reg), and this
 * writes them so before the frame becomes another kind (a register write, a new
 * entry point, a fault), which restores them from the frame. */
static inline void ctx_syscall_frame_fill(struct arch_context *c)
{
    if (c->regs.vector == VEC_SYSCALL) {
        c->regs.rcx = c->regs.rip;
        c->regs.r11 = c->regs.rflags;
    }
}

/* Register i (enum wf_fault_word order, below WF_REGS_COUNT). A switch, not
 * ctx_reg_slot's table, so that a loop over all of them (a fault message)
 * becomes straight loads. */
static inline uint64_t ctx_reg(struct arch_context *c, unsigned i)
{
    const struct trap_frame *f = &c->regs;
    bool sys = f->vector == VEC_SYSCALL;
    switch (i) {
    case 0:
        return f->rax;
    case 1:
        return f->rip;
    case 2:
        return f->rsp;
    case CTX_REG_RFLAGS:
        return f->rflags;
    case 4:
        return f->rbx;
    case CTX_REG_RCX:
        return sys ? f->rip : f->rcx;
    case 6:
        return f->rdx;
    case 7:
        return f->rsi;
    case 8:
        return f->rdi;
    case 9:
        return f->rbp;
    case 10:
        return f->r8;
    case 11:
        return f->r9;
    case 12:
        return f->r10;
    case CTX_REG_R11:
        return sys ? f->rflags : f->r11;
    case 14:
        return f->r12;
    case 15:
        return f->r13;
    case 16:
        return f->r14;
    default:
        return f->r15;
    }
}

/* Register i of a frame the syscall entry saved, not rewritten since (rcx and
 * r11 are rip and rflags there): ctx_reg without its test of the frame's kind,
 * for the fast path of foreign system calls. */
static inline __attribute__((always_inline)) uint64_t ctx_syscall_reg(struct arch_context *c,
                                                                      unsigned i)
{
    if (i == CTX_REG_RCX)
        return c->regs.rip;
    if (i == CTX_REG_R11)
        return c->regs.rflags;
    return ctx_reg(c, i);
}

/* Sets the result register of a thread stopped in a system call (fault word
 * 0, rax) as a fault reply's first word does, without making the frame one
 * that only iret restores (ctx_set_reg does; the thread gets the same
 * registers either way). */
static inline void ctx_set_syscall_result(struct arch_context *c, uint64_t v)
{
    c->regs.rax = v;
}

/* This port's syscall entry hands foreign system calls to
 * ipc_fastpath_foreign and provides ctx_syscall_reg, ctx_set_syscall_result
 * and arch_context_load_tls_inline (kernel/ipc/fastpath_fault.c, decision
 * 138). */
#define ARCH_FAST_FOREIGN 1

/* Sets register i; the next exit restores every register (iret). The flags
 * keep only the bits of RFLAGS_WRITE_MASK (IF and bit 1 set). */
static inline void ctx_set_reg(struct arch_context *c, unsigned i, uint64_t v)
{
    if (i == CTX_REG_RFLAGS)
        v = (v & RFLAGS_WRITE_MASK) | RFLAGS_USER_SET;
    ctx_syscall_frame_fill(c);
    *ctx_reg_slot(c, i) = v;
    c->regs.vector = VEC_FULL_RESTORE;
}

/* Start state of a new thread: pc, stack, first argument. */
static inline void ctx_set_entry(struct arch_context *c, uint64_t pc, uint64_t sp, uint64_t arg0)
{
    ctx_syscall_frame_fill(c);
    c->regs.rip = pc;
    c->regs.rsp = sp;
    c->regs.rdi = arg0;
    c->regs.vector = VEC_FULL_RESTORE;
}

/* True if va is a canonical lower-half (user) address. */
static inline bool arch_user_canonical(uint64_t va)
{
    return va < USER_TOP;
}

#endif /* __ASSEMBLER__ */
#endif
