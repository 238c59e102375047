/*
 * The riscv64 test image's scaffold: running a U-mode context from a
 * self-test without a thread (ktest_arch.h), through arch_user_redirect.
 */
#include "arch.h"
#include "arch/context.h"
#include "ipc/ipc.h"
#include "ktest_arch.h"

static struct arch_jmpbuf run_jb;

static __noreturn void back_to_test(struct arch_context *ctx)
{
    (void)ctx;
    arch_longjmp(&run_jb, 1);
}

/* The context is no thread's: the IPC fast path, which trap.S enters without
 * asking who runs, is off meanwhile. The FP registers are opened to it where
 * they hold its state and closed otherwise, as a thread switch does
 * (arch_fpu_restore); after the run its state, where it took them, is
 * stored into it (the test reads it there, and the context may go away with
 * the test) and they are closed again, so that no thread uses what the
 * context left. */
void arch_user_run(struct arch_context *ctx)
{
    static bool fast;
    if (arch_setjmp(&run_jb) == 0) {
        fast = ipc_fastpath_set(false);
        arch_user_redirect = back_to_test;
        arch_fpu_restore(ctx);
        arch_exit_to_user(ctx);
    }
    arch_user_redirect = NULL;
    ipc_fastpath_set(fast);
    arch_fpu_forget(ctx);
    if (riscv_fpu_open)
        riscv_fpu_gate(false);
}
