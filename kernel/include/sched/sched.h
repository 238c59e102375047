/*
 * The scheduler (docs/architecture.md, Threads): fixed priorities 0-255 (255 highest),
 * round robin within a priority, a timer-driven time slice, idle when nothing
 * runs.
 *
 * One run queue per priority (doubly linked through struct tcb next/prev) and a
 * 256-bit bitmap of non-empty queues: picking the next thread is two bit scans.
 * The current thread is not in a run queue while it runs (as seL4), so IPC can
 * hand the CPU from one thread to another without touching the queues at all:
 * sched_switch_to makes a woken thread current directly when its priority allows.
 *
 * The kernel is not preemptible: it decides what runs next only on its way out
 * (sched_exit), after a system call, an exception or an interrupt from user mode.
 */
#ifndef WEFT_SCHED_SCHED_H
#define WEFT_SCHED_SCHED_H

#include "arch/percpu.h"
#include "obj/tcb.h"

/* Each CPU's struct cpu_local by CPU id (NULL: not online). */
extern struct cpu_local *sched_cpus[];

/* Counts for the self-tests and the figures (docs/smp.md). */
struct sched_stats {
    uint64_t pokes;      /* reschedule IPIs sent to another CPU */
    uint64_t migrations; /* threads moved to another CPU (sched_set_cpu) */
    uint64_t stops;      /* threads stopped on another CPU (smp_stop_thread) */
    uint64_t shootdowns; /* TLB shootdowns (remote calls for a VSpace) */
    uint64_t shot_cpus;  /* CPUs they reached */
};
extern struct sched_stats sched_stats;

/* Timer ticks in one time slice. */
#define SCHED_SLICE_TICKS 5

/* The thread that entered the kernel (and runs next unless the scheduler picks
 * another), or NULL while idle. This CPU's (sched/cpu_local.h). */
#define sched_current (this_cpu_local.current)

/* Sets up this CPU's scheduler state (sched/cpu_local.h): no current thread,
 * no FPU owner, the kernel's tables, nothing queued. Each CPU, once, first. */
void sched_cpu_init(void);

/* Puts the RUNNABLE thread t at the tail of its priority's run queue (not the
 * current thread; not already queued). */
void sched_enqueue(struct tcb *t);

/* Removes t from its run queue if it is in one (also fine when it is not). */
void sched_dequeue(struct tcb *t);

/* Makes the blocked or inactive t RUNNABLE and queues it. */
void sched_wake(struct tcb *t);

/* Makes the woken thread t (RUNNABLE, not queued) the one to run next instead
 * of the current thread, which has just blocked or stopped, when no queued
 * thread has a higher priority; otherwise queues t. The IPC hand-off. */
void sched_switch_to(struct tcb *t);

/* The highest priority with a queued thread, or -1 when every queue is empty. */
int sched_highest(void);

/* Called on every timer tick that interrupted user mode: fires the thread
 * timers that are due, charges the current thread; at the end of its slice it
 * goes to the back of its queue. */
void sched_tick(void);

/* Arms t's timer (TCB_SetDeadline): at the first tick at or after ns
 * (arch_clock_ns time) t's bound notification is signalled with bits. ns or
 * bits 0 disarms; arming again replaces. O(log n) in the armed timers. */
void sched_deadline_set(struct tcb *t, uint64_t ns, uint64_t bits);

/* Fires every armed timer due at now (from each tick, and after idling). */
void sched_deadline_expire(uint64_t now);

/* Yield: the current thread goes to the back of its priority's queue. */
void sched_yield(void);

/* t leaves the kernel's view of running: dequeued, and if it is current, the
 * scheduler picks another on the way out. */
void sched_remove(struct tcb *t);

/* Changes t's priority, requeueing it if it is queued (on another CPU that
 * CPU is asked to choose again when t may now be outranked or outrank). */
void sched_set_priority(struct tcb *t, unsigned prio);

/* True when t is the current thread of its CPU (t->cpu), this one or another. */
bool sched_is_current_elsewhere(const struct tcb *t);
static inline bool sched_is_current(const struct tcb *t)
{
    if (t->cpu == this_cpu_local.id)
        return t == this_cpu_local.current;
    return sched_is_current_elsewhere(t);
}

/* Moves t to CPU cpu (online; TCB_SetAffinity): a thread running on another
 * CPU is stopped there first (smp_stop_thread), a queued one requeued, and its
 * FPU state saved where it was live; the new CPU is asked to choose again when
 * t is runnable. The current thread moving itself leaves at the end of its
 * system call. */
void sched_set_cpu(struct tcb *t, unsigned cpu);

/* When t runs on another CPU: stops it there (its registers and FPU state
 * saved in its context) and queues it first among its peers, so that its
 * context can be read or written. Nothing for any other thread. */
void sched_preempt(struct tcb *t);

/* Picks what runs next: the current thread if still runnable and not outranked
 * (or out of slice), else the first thread of the highest non-empty queue; NULL
 * when none. Updates sched_current. */
struct tcb *sched_choose(void);

/* Leaves the kernel: runs the chosen thread (switching FPU state and address
 * space), or runs the sched_idle hooks (core/hook.h) and idles until an
 * interrupt makes one runnable. */
__noreturn void sched_exit(void);

/* Runs user threads forever (kernel_main, after the root task is made). */
__noreturn void sched_run(void);

/* Saves and forgets the thread FPU state loaded in this CPU if it is t's. */
void sched_forget_fpu(struct tcb *t);

/* Every CPU forgets t's FPU state (t dies, stopped everywhere already). */
void sched_forget_fpu_everywhere(struct tcb *t);

/*
 * For the IPC fast path (ipc/fastpath.c), which leaves the kernel itself: the
 * scheduler's state it checks and the switch it makes, inline.
 */

/* The highest priority with a queued thread, or -1 (sched_highest). */
#define sched_top_prio (this_cpu_local.top_prio)

/* The context whose FPU state the CPU holds: a thread's, or, when none,
 * sched_fpu_nobody (a save area nobody restores), so that it is never NULL. */
#define sched_fpu_ctx (this_cpu_local.fpu_ctx)
extern struct arch_context sched_fpu_nobody;

/* True when no queued thread has a priority above prio: running a thread of
 * priority prio next is what sched_choose would do (the current thread having
 * blocked). */
static inline bool sched_none_above(unsigned prio)
{
    return sched_top_prio <= (int)prio;
}

/* Loads t's FPU state into the CPU (saving the previous owner's) unless it is
 * there already. */
static inline __attribute__((always_inline)) void sched_fpu_switch(struct tcb *t)
{
    struct arch_context *o = sched_fpu_ctx;
    if (o != &t->ctx) {
        arch_fpu_save(o);
        arch_fpu_restore(&t->ctx);
        sched_fpu_ctx = &t->ctx;
    }
}

#endif
