/*
 * sched_run_until_idle (ipc/ktest_world.h): a self-test runs the runnable
 * threads and gets control back once none is. It keeps its own kernel frame
 * (arch_setjmp) and enters the scheduler; the scheduler, finding nothing
 * runnable, runs its sched_idle hooks (core/hook.h) before idling, and this
 * file's hook jumps back to the frame. The production image has no such hook
 * and simply idles.
 */
#include "arch.h"
#include "core/hook.h"
#include "ipc/ktest_world.h"
#include "ktest_arch.h"
#include "obj/vspace.h"
#include "sched/sched.h"

static struct arch_jmpbuf idle_jb;
static bool idle_return;
static bool (*idle_until)(void); /* sched_run_until's condition */

static void return_when_idle(void)
{
    if (idle_return && (!idle_until || idle_until())) {
        idle_return = false;
        arch_longjmp(&idle_jb, 1);
    }
}
HOOK(sched_idle, return_when_idle);

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

void sched_run_until(bool (*done)(void))
{
    idle_until = done;
    sched_run_until_idle();
    idle_until = NULL;
}
