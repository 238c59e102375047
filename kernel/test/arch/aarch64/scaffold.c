/*
 * The aarch64 test image's scaffold: running an EL0 context from a self-test
 * without a thread (ktest_arch.h), through arch_user_redirect.
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

/* The context is no thread's: the IPC fast path, which el0_sync enters
 * without asking who runs (vectors.S), is off meanwhile. */
void arch_user_run(struct arch_context *ctx)
{
    static bool fast;
    if (arch_setjmp(&run_jb) == 0) {
        fast = ipc_fastpath_set(false);
        arch_user_redirect = back_to_test;
        arch_exit_to_user(ctx);
    }
    arch_user_redirect = NULL;
    ipc_fastpath_set(fast);
}
