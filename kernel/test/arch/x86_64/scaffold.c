/*
 * The self-test scaffold (user_ktest.c, vm_user.c): a self-test runs a user
 * context that belongs to no thread with arch_user_run, and gets control back
 * at the context's next entry into the kernel. The production entry path knows
 * nothing of it: the scaffold attaches through the user_entry and
 * user_interrupt hooks (core/hook.h), which act only while arch_user_run is
 * active (user_run_rsp, scaffold.S, is the caller's saved stack).
 *
 * At an entry the hook saves the FPU state and returns to the arch_user_run
 * caller; after an interrupt (already serviced) it resumes the context at once,
 * with no scheduler tick: the context is no thread's. For the same reason the
 * IPC fast path (which the syscall entry calls while it is on) is off while the
 * scaffold runs.
 */
#include "arch.h"
#include "core/hook.h"
#include "ipc/ipc.h"
#include "ktest_arch.h"

__noreturn void arch_user_run_return(uint64_t vector);
void arch_user_run_enter(struct arch_context *ctx);
extern uint64_t user_run_rsp;
static bool scaffold_fastpath;

/* Called by arch_user_run (scaffold.S) on the kernel stack: enters ctx. */
void arch_user_run_enter(struct arch_context *ctx)
{
    scaffold_fastpath = ipc_fastpath_set(false);
    arch_fpu_restore(ctx);
    arch_exit_to_user(ctx);
}

static void scaffold_entry(struct arch_context *ctx)
{
    if (!user_run_rsp)
        return;
    arch_fpu_save(ctx);
    ipc_fastpath_set(scaffold_fastpath);
    arch_user_run_return(ctx->regs.vector);
}
HOOK(user_entry, scaffold_entry);

static void scaffold_interrupt(struct arch_context *ctx)
{
    if (user_run_rsp)
        arch_exit_to_user(ctx);
}
HOOK(user_interrupt, scaffold_interrupt);
