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
#include "arch/context.h"
#include "ipc/ipc.h"
#include "ipc/syscall.h"
#include "lib/string.h"
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

void arch_exit_frame(struct trap_frame *tf, bool use_sysret) __noreturn;

void arch_exit_to_user(struct arch_context *ctx)
{
    struct trap_frame *tf = &ctx->regs;
    if (!arch_user_canonical(tf->rip)) {
        /* Deliver the fault the hardware would have raised at the bad target. */
        tf->vector = 13;
        tf->error = 0;
        arch_user_entry(ctx);
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

/* Entry from user mode by a trap (traps.S): an interrupt is serviced here (a timer
 * tick is also a scheduler tick), then the entry goes on like any other. */
void arch_user_trap(struct arch_context *ctx);
void arch_user_trap(struct arch_context *ctx)
{
    if (ctx->regs.vector >= 32) {
        uint64_t ticks = arch_ticks();
        trap_dispatch(&ctx->regs);
        if (arch_user_redirect)
            arch_exit_to_user(ctx); /* the test image's scaffold: resume at once */
        if (arch_ticks() != ticks)
            sched_tick();
    } else if (ctx->regs.vector == 14) {
        ctx->fault_addr = read_cr2();
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
