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

#ifdef WEFT_DEBUG
void (*kernel_lock_misuse_hook)(unsigned cpu, enum kernel_lock_misuse_kind kind);

bool kernel_lock_misuse(enum kernel_lock_misuse_kind kind)
{
    unsigned id = arch_cpu_id();
    if (kernel_lock_misuse_hook) {
        kernel_lock_misuse_hook(id, kind);
        return true;
    }
    if (kind == KLOCK_RECURSION)
        panic("kernel lock: CPU %u takes the lock it holds (recursion)", id);
    panic("kernel lock: CPU %u gives up the lock it does not hold", id);
}

bool kernel_lock_check_acquire(void)
{
    struct smp_cpu *c = &smp_cpus[arch_cpu_id()];
    if (!c->lock_out && kernel_lock_misuse(KLOCK_RECURSION))
        return false;
    c->lock_out = false;
    return true;
}

bool kernel_lock_check_release(void)
{
    struct smp_cpu *c = &smp_cpus[arch_cpu_id()];
    if ((c->lock_out || !kernel_lock_held()) && kernel_lock_misuse(KLOCK_RELEASE_UNHELD))
        return false;
    c->lock_out = true;
    return true;
}
#endif

void smp_idle_wait(void)
{
    unsigned id = arch_cpu_id();
    struct smp_cpu *c = &smp_cpus[id];
    c->idle_unlocked = true;
    c->woken = false;
    kernel_lock_release();
    /* The boot CPU chooses again after every interrupt (its tick fires the
     * thread timers); the others only once a handler ran under the lock (a
     * reschedule IPI, a device interrupt), so that their ticks alone do not
     * take the lock. */
    do {
        arch_idle_wait();
        __atomic_store_n(&c->idle_waits, c->idle_waits + 1, __ATOMIC_RELEASE);
    } while (id != 0 && !__atomic_load_n(&c->woken, __ATOMIC_ACQUIRE));
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
    if (took) {
        smp_cpus[arch_cpu_id()].woken = true;
        kernel_lock_release();
    }
}

void smp_ipi(void)
{
    struct smp_cpu *c = &smp_cpus[arch_cpu_id()];
    c->ipis++;
    __atomic_store_n(&c->kick, false, __ATOMIC_RELEASE); /* the next poke sends another */
}

/* smp_stop_thread's request, on the CPU that runs t, without the lock, in the
 * wait for it of an entry from user mode (t's registers are saved). */
static void stop_here(void *arg)
{
    struct tcb *t = arg;
    struct smp_cpu *c = &smp_cpus[arch_cpu_id()];
    assert(sched_current == t);
    if (sched_fpu_ctx == &t->ctx) {
        arch_fpu_save(&t->ctx);
        sched_fpu_ctx = &sched_fpu_nobody;
    }
    c->lost_token = arch_entry_abandon(&t->ctx);
    sched_current = NULL;
    c->lost = true;
}

void smp_stop_thread(struct tcb *t)
{
    assert(t->cpu != arch_cpu_id() && sched_is_current(t));
    smp_call_many(1ull << t->cpu, stop_here, t);
    assert(!sched_is_current(t));
    sched_stats.stops++;
}

static void flush_fpu_here(void *arg)
{
    struct tcb *t = arg;
    if (sched_fpu_ctx == &t->ctx) {
        arch_fpu_save(&t->ctx);
        sched_fpu_ctx = &sched_fpu_nobody;
    }
}

void smp_flush_fpu(struct tcb *t)
{
    if (t->cpu == arch_cpu_id())
        flush_fpu_here(t);
    else if (sched_cpus[t->cpu] && sched_cpus[t->cpu]->fpu_ctx == &t->ctx)
        smp_call_many(1ull << t->cpu, flush_fpu_here, t);
}

void smp_entry_check(void)
{
    struct smp_cpu *c = &smp_cpus[arch_cpu_id()];
    if (!c->lost)
        return;
    c->lost = false;
    arch_entry_replay(c->lost_token);
    sched_exit();
}

void smp_entry_wait(uint32_t ticket)
{
    kernel_lock_wait(ticket);
    smp_entry_check();
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

/* Walks the mask's bits, not every slot of smp_cpus: a shootdown that asks
 * one other CPU posts and waits once (docs/perf/smp.md, "Unmap"). A CPU of
 * the mask that is not online is left out; none can come online meanwhile
 * (it takes the lock to do so, and the caller holds it). */
void smp_call_many(uint64_t mask, void (*fn)(void *arg), void *arg)
{
    unsigned me = arch_cpu_id();
    uint64_t asked = 0;
    for (uint64_t m = mask & ~(1ull << me); m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctzll(m);
        struct smp_cpu *c = &smp_cpus[i];
        if (!c->online)
            continue;
        c->req_fn = fn;
        c->req_arg = arg;
        __atomic_store_n(&c->req_seq, c->req_seq + 1, __ATOMIC_RELEASE);
        arch_ipi_send(i);
        asked |= 1ull << i;
    }
    if (mask & (1ull << me))
        fn(arg);
    for (; asked; asked &= asked - 1) {
        struct smp_cpu *c = &smp_cpus[__builtin_ctzll(asked)];
        while (__atomic_load_n(&c->req_done, __ATOMIC_ACQUIRE) != c->req_seq)
            cpu_relax();
    }
}

/* A CPU other than the boot CPU, on its own stack with its own tables and
 * timer, interrupts off, without the lock. It takes the lock, says it is
 * online and runs its scheduler: the threads whose CPU it is (decision 148),
 * idling without the lock while there are none (smp_idle_wait). */
static __noreturn void secondary_main(void)
{
    unsigned id = arch_cpu_id();
    struct smp_cpu *c = &smp_cpus[id];
    kernel_lock_acquire();
    sched_cpu_init();
    smp_online++;
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    sched_exit();
}

void smp_boot(void)
{
    smp_cpus[0].online = true;
    unsigned n = arch_cpu_count();
    if (n > SMP_MAX_CPUS)
        n = SMP_MAX_CPUS;
    for (unsigned id = 1; id < n; id++) {
        smp_cpus[id].lock_out = true; /* it starts without the lock */
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
