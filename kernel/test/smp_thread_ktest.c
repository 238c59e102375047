/*
 * User threads on the other CPUs (decisions 148, 149, 157), through the test
 * world (ipc/ktest_world.h), on every architecture: a thread placed on each
 * other CPU runs there (nobody else would run it), makes a system call
 * through that CPU's entry under the kernel lock, and is stopped there while
 * it runs (in user mode, looping, as a rule) and moved back to the boot CPU,
 * where it goes on with its registers as they were.
 */
#include "arch.h"
#include "ipc/ktest_world.h"
#include "ktest.h"
#include "sched/sched.h"
#include "sched/smp.h"

#define SPINS (1ull << 40) /* never runs out: the flag ends the loop */

/* Gives up the lock (interrupts off here, requests served) until done(t)
 * or about two seconds passed; true when done. */
static bool unlocked_wait(bool (*done)(struct tcb *t), struct tcb *t)
{
    uint64_t until = arch_clock_ns() + 2000000000ull;
    irq_disable();
    kernel_lock_release();
    bool ok = false;
    while (!(ok = done(t)) && arch_clock_ns() < until) {
        smp_serve(); /* a CPU holding the lock may need this one */
        cpu_relax();
    }
    kernel_lock_acquire();
    irq_enable();
    return ok;
}

static bool called(struct tcb *t)
{
    (void)t;
    return __atomic_load_n(&kw_res(0, 0)->seq, __ATOMIC_ACQUIRE) != 0;
}

static bool spinning(struct tcb *t)
{
    return __atomic_load_n(&sched_cpus[t->cpu]->current, __ATOMIC_ACQUIRE) == t;
}

static uint64_t wait_until;

static bool later(struct tcb *t)
{
    (void)t;
    return arch_clock_ns() >= wait_until;
}

KTEST(smp, a_thread_runs_on_each_cpu_and_is_moved_back_while_it_runs)
{
    if (smp_online < 2)
        TAP_SKIP("one CPU");
    for (unsigned id = 1; id < smp_online; id++) {
        KT_ASSERT(kw_setup(), "no memory for the test world");
        KW_CALL(0, KW_FREE + 5, 0x1, 0, 0, 0, 0, 0); /* an empty slot: an error */
        kw_op(0, KW_OP_SPIN_FLAG, SPINS, 0, 0, 0, 0, 0, 0);
        KW_SUSPEND_SELF(0);
        kw_shared()[1] = 0;
        struct tcb *t = kw_tcb(0);
        sched_set_cpu(t, id);
        uint64_t stops = sched_stats.stops, ipis = smp_cpus[id].ipis;
        kw_start(0, 10);
        KT_ASSERT(unlocked_wait(called, t), "CPU %u did not run its thread", id);
        KT_ASSERT_EQ(kw_res(0, 0)->err, WF_ERR_FAILED_LOOKUP);
        KT_ASSERT(smp_cpus[id].ipis > ipis, "CPU %u was not poked", id);
        KT_ASSERT(unlocked_wait(spinning, t), "the thread does not run on CPU %u", id);
        wait_until = arch_clock_ns() + 20000000ull; /* let it loop a while */
        unlocked_wait(later, t);
        /* It runs there (looping in user mode, unless that CPU was slow to
         * get there): stopping it takes it off that CPU with its registers
         * saved; here it finishes the loop once the flag is set, with the
         * count it had left. */
        sched_set_cpu(t, 0);
        KT_ASSERT_EQ(t->cpu, 0u);
        KT_ASSERT_EQ(sched_stats.stops, stops + 1);
        KT_ASSERT(!sched_is_current(t), "still running on CPU %u", id);
        KT_ASSERT_EQ(kw_res(0, 1)->seq, 0);
        kw_shared()[1] = 1;
        sched_run_until_idle();
        struct kw_result *r = kw_res(0, 1);
        KT_ASSERT(r->seq != 0, "the loop did not end on CPU 0");
        KT_ASSERT(r->err > 0 && r->err <= SPINS, "iterations left %#llx",
                  (unsigned long long)r->err);
        KT_ASSERT_EQ(t->state, TCB_INACTIVE);
        kw_teardown();
    }
}
