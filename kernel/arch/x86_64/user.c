/*
 * User-mode contexts on x86_64 (see arch/context.h for the design).
 *
 * Everything a thread's context holds may have been written by userspace or by
 * a handler acting on its behalf (TCB register writes, fault replies), so
 * arch_exit_to_user sanitizes before leaving: the flags are forced to user
 * values (interrupts on, no IOPL, no NT/VM), the segments to the user ones, and
 * a non-canonical return address is never handed to sysret or iret (either
 * would fault in ring 0); it becomes a #GP delivered to the thread instead.
 * Frames saved by syscall and not rewritten since (vector VEC_SYSCALL: every
 * rewrite, ctx_set_reg or ctx_set_entry, marks the frame VEC_FULL_RESTORE) keep
 * their flags: the CPU took them from user mode, where IOPL, IF and VM cannot
 * change, and sysret itself clears RF and VM.
 */
#include "arch.h"
#include "arch/x86.h"
#include "arch/context.h"
#include "arch/mmu.h"
#include "ipc/ipc.h"
#include "ipc/syscall.h"
#include "lib/string.h"
#include "mm/vm.h"
#include "panic.h"
#include "sched/sched.h"

#define SEL_UCODE (GDT_UCODE | 3)
#define SEL_UDATA (GDT_UDATA | 3)

/* user_entry.S addresses the frame by these indexes (TF(i)). */
static_assert(__builtin_offsetof(struct trap_frame, rax) == 14 * 8 &&
                  __builtin_offsetof(struct trap_frame, vector) == 15 * 8 &&
                  __builtin_offsetof(struct trap_frame, rip) == 17 * 8 &&
                  __builtin_offsetof(struct trap_frame, rflags) == 19 * 8 &&
                  __builtin_offsetof(struct trap_frame, rsp) == 20 * 8,
              "trap frame layout");

/* ctx_reg and ctx_reg_slot (arch/context.h) number the registers so. */
static_assert(WF_FAULT_WORD_RAX == 0 && WF_FAULT_WORD_RIP == 1 && WF_FAULT_WORD_RSP == 2 &&
                  WF_FAULT_WORD_RFLAGS == CTX_REG_RFLAGS && WF_FAULT_WORD_RBX == 4 &&
                  WF_FAULT_WORD_RCX == CTX_REG_RCX && WF_FAULT_WORD_RDX == 6 &&
                  WF_FAULT_WORD_RSI == 7 && WF_FAULT_WORD_RDI == 8 && WF_FAULT_WORD_RBP == 9 &&
                  WF_FAULT_WORD_R8 == 10 && WF_FAULT_WORD_R9 == 11 && WF_FAULT_WORD_R10 == 12 &&
                  WF_FAULT_WORD_R11 == CTX_REG_R11 && WF_FAULT_WORD_R12 == 14 &&
                  WF_FAULT_WORD_R13 == 15 && WF_FAULT_WORD_R14 == 16 && WF_FAULT_WORD_R15 == 17 &&
                  WF_REGS_COUNT == 18,
              "register order of enum wf_fault_word");

void arch_exit_frame(struct trap_frame *tf, bool use_sysret) __noreturn;
__noreturn void arch_user_trap(struct arch_context *ctx);

void arch_load_tls(const struct arch_context *ctx)
{
    wrmsr(MSR_FS_BASE, ctx->tls_base);
    cpu0.fs_base = ctx->tls_base;
}

void arch_exit_to_user(struct arch_context *ctx)
{
    struct trap_frame *tf = &ctx->regs;
    if (!arch_user_canonical(tf->rip)) {
        /* Deliver the fault the hardware would have raised at the bad target. */
        ctx_syscall_frame_fill(ctx);
        tf->vector = 13;
        tf->error = 0;
        arch_user_trap(ctx);
    }
    if (tf->vector != VEC_SYSCALL) {
        /* The flags of a frame saved by syscall are the user's own, as the CPU
         * gave them (no IOPL, IF set), and sysret ignores the segments. */
        tf->rflags = (tf->rflags & RFLAGS_USER_MASK) | RFLAGS_USER_SET;
        tf->cs = SEL_UCODE;
        tf->ss = SEL_UDATA;
    }
    arch_context_activate(ctx);
    arch_exit_frame(tf, tf->vector == VEC_SYSCALL);
}

/* Decodes a page fault from user mode into ctx->fault (error code bit 0:
 * present, 1: write, 4: instruction fetch), and catches a fault that the VM
 * cannot cure because the page tables already allow its access (under QEMU with
 * SMAP, far returns read the stack as supervisor-mode accesses and fault for
 * ever). A fault on a page that is not present is the VM's (first touch: no
 * further cost). A protection fault is recorded (instruction, address); when the
 * same one comes again, the tables are walked: if they allow the access, the
 * page's TLB entry is dropped and the instruction retried once (a stale entry of
 * a mapping since extended faults once, then succeeds), and a third time the
 * fault is marked mapped and delivered to the thread instead of looping.
 * Decision 081. */
static void page_fault(struct arch_context *ctx, struct arch_fault *f)
{
    uint64_t err = ctx->regs.error, va = read_cr2();
    ctx->fault_addr = va;
    f->page = true;
    f->addr = va;
    f->access = err & 2 ? VM_WRITE : err & 16 ? VM_EXEC : VM_READ;
    f->present = err & 1;
    if (!f->present)
        return;
    if (ctx->retry_pc != ctx->regs.rip || ctx->retry_addr != va) {
        ctx->retry_pc = ctx->regs.rip;
        ctx->retry_addr = va;
        ctx->retry_count = 0;
        return;
    }
    unsigned access, level;
    paddr_t pa;
    if (!arch_pt_lookup(read_cr3() & PTE_ADDR, va, &pa, &access, &level) ||
        (access & f->access) != f->access)
        return;
    if (ctx->retry_count++ == 0) {
        invlpg(va);
        arch_exit_to_user(ctx);
    }
    ctx->retry_pc = ctx->retry_addr = ~0ull;
    f->mapped = true;
}

/* Turns the exception in ctx's frame into the neutral ctx->fault (arch.h). */
static void fault_decode(struct arch_context *ctx)
{
    struct arch_fault *f = &ctx->fault;
    unsigned v = (unsigned)ctx->regs.vector;
    *f = (struct arch_fault){.code = v | ctx->regs.error << 8, .exception = trap_exception_kind(v)};
    if (v == 14)
        page_fault(ctx, f);
}

/* Entry from user mode by a trap (traps.S), the compatibility-mode syscall
 * entry (user_entry.S) or a return to a bad address (above): an interrupt is
 * serviced here (a timer tick is also a scheduler tick), an exception decoded;
 * then the entry goes on like any other. */
void arch_user_trap(struct arch_context *ctx)
{
    assert(!cpu_features.smap || !(read_rflags() & RFLAGS_AC)); /* traps.S: clac */
    if (ctx->regs.vector >= 32) {
        uint64_t ticks = arch_ticks();
        trap_dispatch(&ctx->regs);
        if (arch_user_redirect)
            arch_exit_to_user(ctx); /* the test image's scaffold: resume at once */
        if (arch_ticks() != ticks)
            sched_tick();
    } else {
        fault_decode(ctx);
    }
    arch_user_entry(ctx);
}

void (*arch_user_redirect)(struct arch_context *ctx) __noreturn;

void arch_user_entry(struct arch_context *ctx)
{
    if (arch_user_redirect)
        arch_user_redirect(ctx); /* the test image's scaffold; does not return */
    kernel_entry(ctx);
}
