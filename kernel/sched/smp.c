/*
 * Bringing up the other CPUs and the kernel lock (sched/smp.h; decision 129).
 *
 * Other CPUs start through the architecture (arch_cpu_start) one at a time,
 * while the boot CPU holds the lock; each sets up its own state, says it is
 * online and enters its idle loop, where it waits for interrupts without the
 * lock and takes it to handle one.
 */
#include "sched/smp.h"

#include "arch/context.h"
#include "kprintf.h"
#include "panic.h"
#include "sched/sched.h"

/* Held by the boot CPU from the start: ticket 0 is served, 1 is the next. */
struct kernel_lock kernel_lock __aligned(64) = {.next = 1, .serving = 0};

struct smp_cpu smp_cpus[SMP_MAX_CPUS];
unsigned smp_online = 1;

void smp_idle_wait(void)
{
    struct smp_cpu *c = &smp_cpus[arch_cpu_id()];
    c->idle_unlocked = true;
    kernel_lock_release();
    arch_idle_wait();
    __atomic_store_n(&c->idle_waits, c->idle_waits + 1, __ATOMIC_RELEASE);
    kernel_lock_acquire();
    c->idle_unlocked = false;
}

bool smp_irq_enter(void)
{
    if (!smp_cpus[arch_cpu_id()].idle_unlocked)
        return false;
    kernel_lock_acquire();
    return true;
}

void smp_irq_exit(bool took)
{
    if (took)
        kernel_lock_release();
}

void smp_ipi(void)
{
    smp_cpus[arch_cpu_id()].ipis++;
}

void smp_serve(void)
{
    struct smp_cpu *c = &smp_cpus[arch_cpu_id()];
    uint64_t seq = __atomic_load_n(&c->req_seq, __ATOMIC_ACQUIRE);
    if (seq == c->req_done)
        return;
    c->req_fn(c->req_arg);
    __atomic_store_n(&c->req_done, seq, __ATOMIC_RELEASE);
}

void smp_call_many(uint64_t mask, void (*fn)(void *arg), void *arg)
{
    unsigned me = arch_cpu_id();
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++) {
        struct smp_cpu *c = &smp_cpus[i];
        if (i == me || !(mask & (1ull << i)) || !c->online)
            continue;
        c->req_fn = fn;
        c->req_arg = arg;
        __atomic_store_n(&c->req_seq, c->req_seq + 1, __ATOMIC_RELEASE);
        arch_ipi_send(i);
    }
    if (mask & (1ull << me))
        fn(arg);
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++) {
        struct smp_cpu *c = &smp_cpus[i];
        if (i == me || !(mask & (1ull << i)) || !c->online)
            continue;
        while (__atomic_load_n(&c->req_done, __ATOMIC_ACQUIRE) != c->req_seq)
            cpu_relax();
    }
}

/* A CPU other than the boot CPU, on its own stack with its own tables and
 * timer, interrupts off, without the lock. It has nothing to schedule yet:
 * it idles without the lock for good, and only an interrupt whose handler
 * needs the lock takes it (smp_irq_enter; its timer's does not). */
static __noreturn void secondary_main(void)
{
    unsigned id = arch_cpu_id();
    struct smp_cpu *c = &smp_cpus[id];
    kernel_lock_acquire();
    sched_cpu_init();
    smp_online++;
    c->idle_unlocked = true;
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    kernel_lock_release();
    for (;;) {
        arch_idle_wait();
        __atomic_store_n(&c->idle_waits, c->idle_waits + 1, __ATOMIC_RELEASE);
    }
}

void smp_boot(void)
{
    smp_cpus[0].online = true;
    unsigned n = arch_cpu_count();
    if (n > SMP_MAX_CPUS)
        n = SMP_MAX_CPUS;
    for (unsigned id = 1; id < n; id++) {
        if (!arch_cpu_start(id, secondary_main)) {
            kprintf("smp: CPU %u did not start\n", id);
            continue;
        }
        /* It is running; it counts itself online once it gets the lock. */
        kernel_lock_release();
        while (!__atomic_load_n(&smp_cpus[id].online, __ATOMIC_ACQUIRE))
            cpu_relax();
        kernel_lock_acquire();
    }
    kprintf("smp: %u of %u CPU%s online (at most %u)\n", smp_online, arch_cpu_count(),
            arch_cpu_count() == 1 ? "" : "s", SMP_MAX_CPUS);
}
