/*
 * Leaving the kernel: running the chosen thread or idling (sched/sched.h).
 *
 * FPU and SSE state is switched eagerly but only when the CPU changes hands: the
 * CPU keeps the state of sched_fpu_ctx, so a thread that runs again after the
 * kernel or an interrupt (or a round trip through a server that never touched the
 * FPU... still two switches) pays nothing. Idle is `sti; hlt` on the kernel stack:
 * interrupts taken there are serviced by trap_dispatch and return to the loop.
 *
 * Self-tests run threads with sched_run_until_idle: it keeps its own kernel
 * frame (arch_setjmp) and the scheduler, finding nothing runnable, jumps back to
 * it instead of idling.
 */
#include "arch.h"
#include "mm/vm.h"
#include "obj/tcb.h"
#include "obj/vspace.h"
#include "sched/sched.h"

static struct arch_jmpbuf idle_jb;
static bool idle_return;

static __noreturn void run(struct tcb *t)
{
    sched_fpu_switch(t);
    vspace_activate(tcb_vspace(t));
    arch_exit_to_user(&t->ctx);
}

void sched_exit(void)
{
    for (;;) {
        struct tcb *t = sched_choose();
        if (t)
            run(t);
        if (idle_return) {
            idle_return = false;
            arch_longjmp(&idle_jb, 1);
        }
        arch_idle_wait();
    }
}

void sched_run(void)
{
    irq_disable();
    sched_exit();
}

void sched_run_until_idle(void)
{
    irq_disable();
    if (arch_setjmp(&idle_jb) == 0) {
        idle_return = true;
        sched_exit();
    }
    arch_fpu_save(sched_fpu_ctx);
    sched_fpu_ctx = &sched_fpu_nobody;
    vspace_activate(NULL);
    irq_enable();
}
