/*
 * The self-test scaffold (user_ktest.c, vm_user.c): a self-test runs a user
 * context that belongs to no thread with arch_user_run, and gets control back
 * at the context's next entry into the kernel. The production entry path knows
 * nothing of it but one pointer, arch_user_redirect (arch/context.h), which
 * only this file sets, and only while arch_user_run is active.
 *
 * At an entry the redirect saves the FPU state and returns to the arch_user_run
 * caller; after an interrupt (already serviced) the entry code resumes the
 * context at once, with no scheduler tick: the context is no thread's. For the
 * same reason the IPC fast path (which the syscall entry calls while it is on)
 * is off while the scaffold runs.
 */
#include "arch.h"
#include "ipc/ipc.h"
#include "ktest_arch.h"

__noreturn void arch_user_run_return(uint64_t vector);
void arch_user_run_enter(struct arch_context *ctx);
static bool scaffold_fastpath;

static __noreturn void scaffold_entry(struct arch_context *ctx)
{
    arch_user_redirect = NULL;
    arch_fpu_save(ctx);
    ipc_fastpath_set(scaffold_fastpath);
    arch_user_run_return(ctx->regs.vector);
}

/* Called by arch_user_run (scaffold.S) on the kernel stack: enters ctx. */
void arch_user_run_enter(struct arch_context *ctx)
{
    scaffold_fastpath = ipc_fastpath_set(false);
    arch_user_redirect = scaffold_entry;
    arch_fpu_restore(ctx);
    arch_exit_to_user(ctx);
}
