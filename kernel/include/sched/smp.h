/*
 * Several CPUs under one kernel lock (decision 129; docs/smp.md).
 *
 * The kernel runs under one big lock, as seL4's does: a CPU holds it from the
 * moment it enters the kernel (a system call, an exception or an interrupt from
 * user mode) until it returns to user mode, and gives it up only to idle. So
 * every kernel structure (caps, objects, queues, the run queues, the VM) is
 * protected by it, and the kernel stays the single-threaded program it was.
 * The architecture takes and drops the lock in its entry and exit code (x86-64:
 * user_entry.S, traps.S); generic code takes it only where a CPU leaves or
 * re-enters its idle wait and when an interrupt arrives while it idles.
 *
 * The lock is a ticket lock (fair: CPUs get it in arrival order): next is the
 * ticket the next arrival takes, serving the ticket that holds it. It starts
 * held by the boot CPU, which enters kernel_main with it.
 */
#ifndef WEFT_SCHED_SMP_H
#define WEFT_SCHED_SMP_H

#include "arch.h"
#include "types.h"

/* CPUs the kernel brings up at most: firmware may list more (the rest stay
 * off). Up to 64; a build may lower it (-DSMP_MAX_CPUS=N). */
#ifndef SMP_MAX_CPUS
#define SMP_MAX_CPUS 64
#endif
_Static_assert(SMP_MAX_CPUS >= 1 && SMP_MAX_CPUS <= 64, "SMP_MAX_CPUS must be 1..64");

struct kernel_lock {
    uint32_t next;    /* offset 0: the ticket the next CPU to arrive takes */
    uint32_t serving; /* offset 4: the ticket of the holder */
};
extern struct kernel_lock kernel_lock;

static inline void kernel_lock_acquire(void)
{
    uint32_t t = __atomic_fetch_add(&kernel_lock.next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&kernel_lock.serving, __ATOMIC_ACQUIRE) != t)
        cpu_relax();
}

/* Only the holder writes serving. */
static inline void kernel_lock_release(void)
{
    __atomic_store_n(&kernel_lock.serving, kernel_lock.serving + 1, __ATOMIC_RELEASE);
}

/* True when some CPU holds the lock (for assertions: which one is not recorded,
 * to keep the entry paths short). */
static inline bool kernel_lock_held(void)
{
    return __atomic_load_n(&kernel_lock.next, __ATOMIC_RELAXED) !=
           __atomic_load_n(&kernel_lock.serving, __ATOMIC_RELAXED);
}

/* What the kernel knows of each CPU, indexed by arch_cpu_id() (0: the boot CPU). */
struct smp_cpu {
    bool online;         /* it runs the kernel (set by the CPU itself) */
    bool idle_unlocked;  /* it waits for an interrupt without the lock */
    uint64_t ipis;       /* IPIs it has handled (under the lock) */
    uint64_t idle_waits; /* times it has woken from its idle wait */
};
extern struct smp_cpu smp_cpus[SMP_MAX_CPUS];

/* CPUs online (the boot CPU included). */
extern unsigned smp_online;

/* Starts every other CPU the firmware lists (arch_cpu_count), up to
 * SMP_MAX_CPUS, through arch_cpu_start, each into its idle loop; logs how
 * many came up. Boot CPU, under the lock, before the root task. */
void smp_boot(void);

/* The idle wait of this CPU: gives up the lock, waits for an interrupt
 * (arch_idle_wait; an interrupt taken there takes the lock itself:
 * smp_irq_enter), and takes the lock again. */
void smp_idle_wait(void);

/* Around the handling of an interrupt that arrived in kernel mode (the
 * architecture's interrupt path): takes the lock when this CPU was idling
 * without it, and says so; smp_irq_exit(that) gives it back. */
bool smp_irq_enter(void);
void smp_irq_exit(bool took);

/* An IPI arrived at this CPU (the architecture's handler, lock held). */
void smp_ipi(void);

#endif /* WEFT_SCHED_SMP_H */
