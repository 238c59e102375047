/*
 * Self-tests of the other CPUs (sched/smp.h, decision 129): they all came up,
 * each answers an IPI as itself, under the kernel lock, and each one's timer
 * wakes it. The boot CPU holds the lock while a test runs, so a test gives it
 * up for a bounded wait when another CPU must get in.
 */
#include "arch.h"
#include "core/boot.h"
#include "kprintf.h"
#include "ktest.h"
#include "sched/sched.h"
#include "sched/smp.h"

/* Gives up the lock until *word differs from old or about a second passes
 * (interrupts stay off on this CPU); true when it changed. */
static bool unlocked_wait_change(const uint64_t *word, uint64_t old)
{
    uint64_t until = arch_clock_ns() + 1000000000ull;
    kernel_lock_release();
    bool changed = false;
    while (!(changed = __atomic_load_n(word, __ATOMIC_ACQUIRE) != old) && arch_clock_ns() < until)
        cpu_relax();
    kernel_lock_acquire();
    return changed;
}

/* ktest.cpus=N: QEMU was started with -smp N; all N must be online. */
KTEST(smp, every_listed_cpu_is_online)
{
    uint64_t want;
    KT_ASSERT(ktest_cmdline_u64("ktest.cpus", 0, &want), "bad ktest.cpus");
    KT_ASSERT(kernel_lock_held(), "the boot CPU runs the tests under the lock");
    KT_ASSERT_EQ(arch_cpu_id(), 0u);
    unsigned n = arch_cpu_count() < SMP_MAX_CPUS ? arch_cpu_count() : SMP_MAX_CPUS;
    KT_ASSERT_EQ(smp_online, n);
    if (want)
        KT_ASSERT_EQ(smp_online, want);
    for (unsigned i = 0; i < n; i++)
        KT_ASSERT(smp_cpus[i].online, "CPU %u is not online", i);
}

/* Each CPU handles an IPI sent to it, counting it as its own (its arch_cpu_id),
 * and not while this CPU holds the lock. */
KTEST(smp, ipi_reaches_each_cpu_under_the_lock)
{
    for (unsigned id = 1; id < smp_online; id++) {
        uint64_t before[SMP_MAX_CPUS];
        for (unsigned i = 0; i < smp_online; i++)
            before[i] = smp_cpus[i].ipis;
        arch_ipi_send(id);
        /* Held here: the IPI is taken but waits for the lock. */
        uint64_t until = arch_clock_ns() + 20000000ull;
        while (arch_clock_ns() < until)
            cpu_relax();
        KT_ASSERT(smp_cpus[id].ipis == before[id], "CPU %u ran without the lock", id);
        KT_ASSERT(unlocked_wait_change(&smp_cpus[id].ipis, before[id]),
                  "CPU %u did not handle its IPI", id);
        KT_ASSERT_EQ(smp_cpus[id].ipis, before[id] + 1);
        for (unsigned i = 0; i < smp_online; i++)
            if (i != id)
                KT_ASSERT(smp_cpus[i].ipis == before[i], "CPU %u counted CPU %u's IPI", i, id);
    }
}

/* Every other CPU idles and its own timer wakes it: its count of wake-ups
 * grows while the boot CPU waits without the lock. */
KTEST(smp, each_cpu_timer_wakes_it)
{
    for (unsigned id = 1; id < smp_online; id++) {
        uint64_t before = smp_cpus[id].idle_waits;
        KT_ASSERT(unlocked_wait_change(&smp_cpus[id].idle_waits, before),
                  "CPU %u never woke from its idle wait", id);
    }
}

struct where_ran {
    unsigned cpu[SMP_MAX_CPUS]; /* slot i: the id of the CPU that ran request i, + 1 */
};

static void note_cpu(void *arg)
{
    struct where_ran *w = arg;
    unsigned id = arch_cpu_id();
    __atomic_store_n(&w->cpu[id], id + 1, __ATOMIC_RELEASE);
}

/* smp_call_many runs the function on every CPU asked, each on itself, while
 * this CPU holds the lock throughout (nobody else took it meanwhile: the
 * ticket being served did not move); CPUs not asked run nothing. */
KTEST(smp, remote_calls_run_on_each_cpu_asked_while_the_lock_is_held)
{
    struct where_ran w = {0};
    uint64_t all = smp_online == 64 ? ~0ull : (1ull << smp_online) - 1;
    uint32_t serving = kernel_lock.serving;
    smp_call_many(all & ~2ull, note_cpu, &w); /* every CPU but 1 */
    KT_ASSERT_EQ(kernel_lock.serving, serving);
    for (unsigned i = 0; i < smp_online; i++)
        KT_ASSERT(w.cpu[i] == (i == 1 ? 0 : i + 1), "CPU %u: ran on %u", i, w.cpu[i]);
    if (smp_online > 1) {
        struct where_ran w1 = {0};
        smp_call_many(2, note_cpu, &w1);
        KT_ASSERT(w1.cpu[1] == 2 && w1.cpu[0] == 0, "CPU 1's own request");
    }
    KT_ASSERT_EQ(kernel_lock.serving, serving);
}

/* smp_call_many walks the mask's bits: bits of CPUs that are not online
 * (up to bit 63) are left out, neither posted to nor waited for (a wait for
 * one would never end), and every online CPU of the mask runs the call. */
KTEST(smp, remote_calls_leave_out_the_cpus_of_the_mask_not_online)
{
    struct where_ran w = {0};
    smp_call_many(~0ull, note_cpu, &w);
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
        KT_ASSERT(w.cpu[i] == (smp_cpus[i].online ? i + 1 : 0), "CPU %u: ran on %u", i, w.cpu[i]);
    if (!smp_cpus[SMP_MAX_CPUS - 1].online) {
        struct where_ran w1 = {0};
        smp_call_many(1ull << (SMP_MAX_CPUS - 1), note_cpu, &w1);
        for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
            KT_ASSERT(w1.cpu[i] == 0, "CPU %u ran a call for a CPU not online", i);
    }
}

/* A thread made runnable for another CPU (decision 148) is queued there, not
 * here: that CPU's top priority rises, this one's does not, and that CPU gets
 * one reschedule IPI (another wake-up meanwhile sends none) which it takes
 * once this CPU lets go of the lock. The thread is taken off the queue first:
 * it has no context to run. */
KTEST(smp, a_thread_woken_for_another_cpu_is_queued_there_and_pokes_it)
{
    if (smp_online < 2)
        TAP_SKIP("one CPU");
    static struct tcb t __aligned(64);
    __builtin_memset(&t, 0, sizeof(t));
    tcb_init(&t);
    t.prio = 7;
    int here = sched_top_prio;
    sched_set_cpu(&t, 1);
    KT_ASSERT_EQ(t.cpu, 1u);
    KT_ASSERT(sched_cpus[1]->top_prio < 7, "CPU 1 has work queued already");
    uint64_t pokes = sched_stats.pokes, ipis = smp_cpus[1].ipis;
    sched_wake(&t);
    KT_ASSERT_EQ(sched_cpus[1]->top_prio, 7);
    KT_ASSERT_EQ(sched_top_prio, here);
    KT_ASSERT(sched_is_current(&t) == false, "queued, not running");
    KT_ASSERT_EQ(sched_stats.pokes, pokes + 1);
    sched_remove(&t); /* dequeue: CPU 1 must not run it */
    t.state = TCB_INACTIVE;
    KT_ASSERT(sched_cpus[1]->top_prio < 7, "still queued on CPU 1");
    sched_wake(&t); /* kick still set: no second IPI */
    KT_ASSERT(sched_stats.pokes == pokes + 1, "a second IPI while one is in flight");
    sched_remove(&t);
    t.state = TCB_INACTIVE;
    KT_ASSERT(unlocked_wait_change(&smp_cpus[1].ipis, ipis), "CPU 1 took no IPI");
    KT_ASSERT(!smp_cpus[1].kick, "CPU 1's IPI did not clear its flag");
    sched_set_cpu(&t, 0);
    KT_ASSERT_EQ(t.cpu, 0u);
}

#ifdef WEFT_DEBUG
static unsigned misuse_count[2], misuse_cpu;

static void note_misuse(unsigned cpu, enum kernel_lock_misuse_kind kind)
{
    misuse_count[kind]++;
    misuse_cpu = cpu;
}
#endif

/* Debug builds report a CPU that takes the kernel lock it holds (it would wait
 * for itself for ever) and one that gives up a lock it does not hold (sched/
 * smp.h): the boot CPU, which holds the lock here, takes it again, and, having
 * given it up, gives it up again; each is reported once, as this CPU's, and the
 * lock is as before (the same ticket served, none taken). The legal sequence
 * around it (give up, take) reports nothing. Without the hook either is a panic
 * (make check-guest-smp's klock boot). */
KTEST(smp, debug_build_reports_taking_the_lock_held_and_giving_up_one_not_held)
{
#ifndef WEFT_DEBUG
    TAP_SKIP("release build: no lock checks");
#else
    misuse_count[0] = misuse_count[1] = 0;
    misuse_cpu = ~0u;
    /* Only the holder moves serving (other CPUs may take tickets meanwhile). */
    uint32_t serving = kernel_lock.serving;
    kernel_lock_misuse_hook = note_misuse;
    kernel_lock_acquire(); /* held already: recursion (without the check: a hang) */
    uint32_t serving_after = kernel_lock.serving;
    unsigned rec = misuse_count[KLOCK_RECURSION], cpu = misuse_cpu;
    kernel_lock_release(); /* legal: this CPU holds it */
    kernel_lock_release(); /* not held any more */
    unsigned unheld = misuse_count[KLOCK_RELEASE_UNHELD];
    kernel_lock_acquire(); /* legal: given up */
    uint32_t serving_again = kernel_lock.serving;
    kernel_lock_release(); /* legal */
    kernel_lock_acquire(); /* legal */
    kernel_lock_misuse_hook = NULL;
    KT_ASSERT_EQ(rec, 1u);
    KT_ASSERT_EQ(cpu, 0u);
    KT_ASSERT_EQ(serving_after, serving);
    KT_ASSERT_EQ(unheld, 1u);
    KT_ASSERT_EQ(misuse_count[KLOCK_RECURSION], 1u);
    KT_ASSERT_EQ(misuse_count[KLOCK_RELEASE_UNHELD], 1u);
    KT_ASSERT(serving_again != serving, "the legal release let the ticket go");
    KT_ASSERT(kernel_lock_held(), "the boot CPU holds the lock again");
#endif
}
