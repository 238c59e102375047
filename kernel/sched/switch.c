/*
 * Leaving the kernel: running the chosen thread or idling (sched/sched.h).
 *
 * FPU and SSE state is switched eagerly but only when the CPU changes hands: the
 * CPU keeps the state of sched_fpu_ctx, so a thread that runs again after the
 * kernel or an interrupt (or a round trip through a server that never touched the
 * FPU... still two switches) pays nothing. Idle is `sti; hlt` on the kernel stack:
 * interrupts taken there are serviced by trap_dispatch and return to the loop.
 * Before idling the loop runs the sched_idle hooks (core/hook.h): none in the
 * production image; the test image's sched_run_until_idle returns from there.
 */
#include "arch.h"
#include "core/hook.h"
#include "mm/vm.h"
#include "obj/tcb.h"
#include "obj/vspace.h"
#include "sched/sched.h"
#include "sched/smp.h"

static __noreturn void run(struct tcb *t)
{
    sched_fpu_switch(t);
    vspace_activate(vspace_from_cap(t->slots[WF_TCB_SLOT_VSPACE].cap)); /* tcb_vspace */
    arch_exit_to_user(&t->ctx);
}

/* Out of line, so that the hook loop costs sched_exit's common case nothing. */
static __attribute__((noinline)) void idle(void)
{
    if (arch_cpu_id() == 0) /* the self-tests' hooks are the boot CPU's */
        HOOKS_RUN(sched_idle);
    smp_idle_wait();
    sched_deadline_expire(arch_clock_ns()); /* the tick may have woken no one else */
}

void sched_exit(void)
{
    for (;;) {
        struct tcb *t = sched_choose();
        if (t)
            run(t);
        idle();
    }
}

void sched_run(void)
{
    irq_disable();
    sched_exit();
}
