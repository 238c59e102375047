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

void smp_serve(void);

/*
 * Debug builds check how C code uses the lock (docs/smp.md, "One lock: what
 * debug builds check"). With one lock there is no order to get wrong; what can
 * go wrong is a CPU taking the lock it holds (it would wait for itself for
 * ever: its ticket comes after its own) or giving up one it does not hold (the
 * holder's ticket would be skipped). Each CPU records whether it gave the lock
 * up in C (kernel_lock_release) and has not taken it again since (lock_out,
 * struct smp_cpu below): C takes the lock only in the idle wait, in an
 * interrupt taken there and when a CPU starts, each after giving it up or
 * before ever holding it; the entry from user mode (architecture code) takes
 * it only from user mode, so it cannot recurse. A misuse is reported through
 * kernel_lock_misuse: a panic naming the CPU and what it did, unless a
 * self-test set kernel_lock_misuse_hook, which then gets the report and the
 * call does nothing (the caller goes on holding, or not holding, the lock).
 * Release builds check nothing: no instruction is added.
 */
#ifdef WEFT_DEBUG
enum kernel_lock_misuse_kind { KLOCK_RECURSION, KLOCK_RELEASE_UNHELD };
extern void (*kernel_lock_misuse_hook)(unsigned cpu, enum kernel_lock_misuse_kind kind);
/* True when the caller must not go on with the acquire or release. */
bool kernel_lock_misuse(enum kernel_lock_misuse_kind kind);
bool kernel_lock_check_acquire(void);
bool kernel_lock_check_release(void);
#endif

/* Waits until ticket is served (the lock is the caller's then), serving
 * requests (smp_call_many) meanwhile; the architecture's cpu_relax between
 * looks. The one wait of the lock: kernel_lock_acquire's and, out of line,
 * smp_entry_wait's. */
static inline void kernel_lock_wait(uint32_t ticket)
{
    while (__atomic_load_n(&kernel_lock.serving, __ATOMIC_ACQUIRE) != ticket) {
        smp_serve();
        cpu_relax();
    }
}

/* Waits for the lock, serving requests (smp_call_many) meanwhile. */
static inline void kernel_lock_acquire(void)
{
#ifdef WEFT_DEBUG
    if (!kernel_lock_check_acquire())
        return;
#endif
    kernel_lock_wait(__atomic_fetch_add(&kernel_lock.next, 1, __ATOMIC_RELAXED));
}

/* Only the holder writes serving. Unchecked: for architecture entry code that
 * took the lock without the debug build's record (the way its assembly exit
 * drops it). */
static inline void kernel_lock_release_unchecked(void)
{
    __atomic_store_n(&kernel_lock.serving, kernel_lock.serving + 1, __ATOMIC_RELEASE);
}

static inline void kernel_lock_release(void)
{
#ifdef WEFT_DEBUG
    if (!kernel_lock_check_release())
        return;
#endif
    kernel_lock_release_unchecked();
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
    /* A request for this CPU (smp_call): fn(arg) to run, numbered; done is
     * the number of the last one it ran. Written by the requester under the
     * lock, served by this CPU without it. */
    void (*req_fn)(void *arg);
    void *req_arg;
    uint64_t req_seq, req_done;
    bool online;         /* it runs the kernel (set by the CPU itself) */
    bool idle_unlocked;  /* it waits for an interrupt without the lock */
    bool kick;           /* a reschedule IPI is on its way (sched.c poke) */
    bool woken;          /* a handler ran under the lock while it idled */
    bool lost;           /* its thread was taken while it waited for the lock */
    bool lock_out;       /* debug builds: it gave the lock up in C (or never
                            held it) and has not taken it since; that CPU's */
    uint64_t lost_token; /* arch_entry_abandon's, for arch_entry_replay */
    uint64_t ipis;       /* IPIs it has handled (under the lock) */
    uint64_t idle_waits; /* times it has woken from its idle wait (written by
                            that CPU alone, without the lock) */
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
 * without it, and says so; smp_irq_exit(that) gives it back. The timer's
 * handler, which touches only this CPU's state (and the boot CPU's tick
 * count), runs without: idle CPUs do not contend for the lock 100 times a
 * second. */
bool smp_irq_enter(void);
void smp_irq_exit(bool took);

/* An IPI arrived at this CPU (the architecture's handler, lock held). */
void smp_ipi(void);

/*
 * Work another CPU must do before the lock holder can go on (TLB shootdown,
 * leaving a dying address space, giving up a thread): the holder asks, sends
 * an IPI and waits; the CPU serves the request wherever it is: while it waits
 * for the lock (the out-of-line part of the entry's lock, kernel_lock_acquire
 * from C) or as the IPI arrives while it idles, before it takes the lock (a
 * handler that took the lock first would wait for the requester, which waits
 * for it). fn runs on that CPU with interrupts off and without the lock, so it
 * may touch only that CPU's own state.
 */
/* Runs fn(arg) on every online CPU in mask (bit i: CPU i; this CPU's bit runs
 * it here) and returns when all have: the IPIs go out first, then the wait.
 * Lock held. */
void smp_call_many(uint64_t mask, void (*fn)(void *arg), void *arg);
/* Runs the request for this CPU if there is one (the waits above). */
void smp_serve(void);

struct tcb;

/* Stops t, the current thread of another CPU (t->cpu), lock held: that CPU
 * enters the kernel (an IPI) and, while it waits for the lock, saves t's FPU
 * state, makes its entry as if not made (arch_entry_abandon) and forgets t;
 * on getting the lock it finishes the interrupt that entry was and chooses
 * again (smp_entry_check), never touching t. On return t is no CPU's current
 * thread, and its context holds all its state. */
void smp_stop_thread(struct tcb *t);

/* Saves t's FPU state into its context where it is live on another CPU (t
 * does not run: it is about to move there or die). */
void smp_flush_fpu(struct tcb *t);

/* Called by the architecture's contended lock path (x86-64 kernel_lock_spin,
 * smp_entry_wait) once it holds the lock, for an entry from user mode: when
 * its thread was taken meanwhile (smp_stop_thread) it does not return. */
void smp_entry_check(void);

/* The contended wait of an entry from user mode, called from the
 * architecture's entry (aarch64: vectors.S and aarch64_lock_entry; riscv64:
 * trap.S) with the ticket it took, its registers saved in the context: serves
 * requests until the lock is this CPU's (kernel_lock_wait), then
 * smp_entry_check (it does not return when the entry's thread was taken
 * meanwhile). */
void smp_entry_wait(uint32_t ticket);

#endif /* WEFT_SCHED_SMP_H */
