/*
 * The riscv64 test image's scaffold: running a U-mode context from a
 * self-test without a thread (ktest_arch.h), through arch_user_redirect.
 */
#include "arch.h"
#include "arch/context.h"
#include "ktest_arch.h"

static struct arch_jmpbuf run_jb;

static __noreturn void back_to_test(struct arch_context *ctx)
{
    (void)ctx;
    arch_longjmp(&run_jb, 1);
}

void arch_user_run(struct arch_context *ctx)
{
    if (arch_setjmp(&run_jb) == 0) {
        arch_user_redirect = back_to_test;
        arch_exit_to_user(ctx);
    }
    arch_user_redirect = NULL;
}
