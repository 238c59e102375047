/*
 * Run queues and the choice of the next thread (sched/sched.h has the design).
 *
 * Invariants: a thread runs only on its CPU (t->cpu); a RUNNABLE thread that
 * is not the current thread of its CPU is in exactly the queue of its priority
 * in its CPU's run queues; a current thread is in no queue; bit p of a CPU's
 * bitmap is set exactly when its queue p is non-empty; that CPU's
 * sched_top_prio is the highest such p (-1: none), kept up to date so that the
 * IPC fast path reads one word. Every operation here is O(1) (the bitmap is
 * four words). Nothing here touches the CPU: leaving the kernel is
 * kernel/sched/switch.c.
 */
#include "sched/sched.h"

#include "arch.h"
#include "lib/avl.h"
#include "obj/notification.h"
#include "sched/smp.h"

struct sched_stats sched_stats;

/* Where this CPU's struct cpu_local is a plain global (one CPU, the host
 * tests), its address is the ordinary one. */
#ifndef this_cpu_local_flat
#define this_cpu_local_flat() (&this_cpu_local)
#endif

/* This CPU's id, from its struct cpu_local (one %gs-relative load on x86-64). */
static inline unsigned cl_id_self(void)
{
    return this_cpu_local.id;
}

struct arch_context sched_fpu_nobody; /* see sched.h; switch.c */

/* Where an architecture switches FP/SIMD state lazily, it keeps a context
 * whose state is still in the registers; a context that goes away is dropped
 * from there (aarch64). Others define none. */
void arch_fpu_forget(struct arch_context *ctx) __attribute__((weak));

/* One CPU's run queues (decision 148): a FIFO per priority, the bitmap of
 * non-empty ones, and whether its current thread goes behind its peers on the
 * way out. Indexed by CPU id; a thread is queued on the CPU it runs on
 * (t->cpu). Under the kernel lock like everything else. */
struct runq {
    struct tcb_queue queues[WF_PRIO_MAX + 1];
    uint64_t bitmap[(WF_PRIO_MAX + 1) / 64];
    uint64_t summary; /* bit i: bitmap[i] is non-zero */
    bool rotate;      /* the current thread goes behind its peers on the way out */
};
static struct runq runqs[SMP_MAX_CPUS];

/* Each CPU's struct cpu_local by id (set by sched_cpu_init). */
struct cpu_local *sched_cpus[SMP_MAX_CPUS];

static inline struct runq *rq_of(const struct tcb *t)
{
    return &runqs[t->cpu];
}

bool sched_is_current_elsewhere(const struct tcb *t)
{
    struct cpu_local *cl = sched_cpus[t->cpu];
    return cl && cl->current == t;
}

static bool queued(const struct tcb *t)
{
    return t->state == TCB_RUNNABLE && !sched_is_current(t) &&
           (t->prev || rq_of(t)->queues[t->prio].head == t);
}

/* The highest priority with a queued thread from q's bitmap: two bit scans. */
static int scan(const struct runq *q)
{
    if (!q->summary)
        return -1;
    int i = 63 - __builtin_clzll(q->summary);
    return i * 64 + 63 - __builtin_clzll(q->bitmap[i]);
}

/* Asks CPU id to choose again (it idles, or runs a thread of lower priority
 * than one just queued there): an IPI, unless one is on its way. */
static void poke(unsigned id)
{
    struct smp_cpu *c = &smp_cpus[id];
    if (__atomic_exchange_n(&c->kick, true, __ATOMIC_ACQ_REL))
        return;
    sched_stats.pokes++;
    arch_ipi_send(id);
}

/* put's part for a thread of another CPU: its top priority, and an IPI when
 * t should run there now. */
static __attribute__((noinline)) void put_elsewhere(struct tcb *t)
{
    struct cpu_local *cl = sched_cpus[t->cpu];
    if ((int)t->prio > cl->top_prio)
        cl->top_prio = t->prio;
    if (!cl->current || cl->current->prio < t->prio)
        poke(t->cpu);
}

static void put(struct tcb *t, bool at_head)
{
    struct runq *q = rq_of(t);
    if (at_head)
        tcbq_prepend(&q->queues[t->prio], t);
    else
        tcbq_append(&q->queues[t->prio], t);
    q->bitmap[t->prio / 64] |= 1ull << (t->prio % 64);
    q->summary |= 1ull << (t->prio / 64);
    if (t->cpu != cl_id_self())
        put_elsewhere(t);
    else if ((int)t->prio > sched_top_prio)
        sched_top_prio = t->prio;
}

void sched_cpu_init(void)
{
    unsigned id = arch_cpu_id();
    sched_current = NULL;
    sched_fpu_ctx = &sched_fpu_nobody;
    sched_top_prio = -1;
    this_cpu_local.vspace = NULL;
    this_cpu_local.id = id;
    this_cpu_local.bit = 1ull << id;
    sched_cpus[id] = this_cpu_local_flat();
}

void sched_enqueue(struct tcb *t)
{
    assert(t->state == TCB_RUNNABLE && !sched_is_current(t) && !queued(t));
    put(t, false);
}

void sched_dequeue(struct tcb *t)
{
    if (!queued(t))
        return;
    struct runq *rq = rq_of(t);
    struct tcb_queue *q = &rq->queues[t->prio];
    tcbq_remove(q, t);
    if (!q->head) {
        rq->bitmap[t->prio / 64] &= ~(1ull << (t->prio % 64));
        if (!rq->bitmap[t->prio / 64])
            rq->summary &= ~(1ull << (t->prio / 64));
        struct cpu_local *cl = sched_cpus[t->cpu];
        if ((int)t->prio == cl->top_prio)
            cl->top_prio = scan(rq);
    }
}

int sched_highest(void)
{
    assert(sched_top_prio == scan(&runqs[cl_id_self()]));
    return sched_top_prio;
}

void sched_wake(struct tcb *t)
{
    t->state = TCB_RUNNABLE;
    t->blocked_on = NULL;
    if (!sched_is_current(t))
        sched_enqueue(t);
}

void sched_switch_to(struct tcb *t)
{
    t->state = TCB_RUNNABLE;
    t->blocked_on = NULL;
    struct tcb *cur = sched_current;
    if (t->cpu == cl_id_self() && sched_highest() <= (int)t->prio &&
        (!cur || cur->state != TCB_RUNNABLE)) {
        sched_current = t;
        return;
    }
    sched_enqueue(t);
}

/* Armed thread timers (TCB_SetDeadline), keyed by deadline. Several threads may
 * share a deadline: equal keys go right on insertion, removal is by node, and
 * the first node is always a minimum, which is all this tree is asked. */
static struct avl_tree deadlines;

void sched_deadline_set(struct tcb *t, uint64_t ns, uint64_t bits)
{
    if (t->deadline_bits) {
        avl_remove(&deadlines, &t->deadline);
        t->deadline_bits = 0;
    }
    if (!ns || !bits)
        return;
    t->deadline.key = ns;
    t->deadline_bits = bits;
    avl_insert(&deadlines, &t->deadline);
}

void sched_deadline_expire(uint64_t now)
{
    struct avl_node *n;
    while ((n = avl_first(&deadlines)) && n->key <= now) {
        struct tcb *t = container_of(n, struct tcb, deadline);
        uint64_t bits = t->deadline_bits;
        avl_remove(&deadlines, n);
        t->deadline_bits = 0;
        struct notification *nt = cap_object(t->slots[WF_TCB_SLOT_BOUND_NTFN].cap);
        if (nt)
            notification_signal(nt, bits);
    }
}

void sched_tick(void)
{
    sched_deadline_expire(arch_clock_ns());
    struct tcb *cur = sched_current;
    if (cur && --cur->slice == 0) {
        cur->slice = SCHED_SLICE_TICKS;
        runqs[cl_id_self()].rotate = true;
    }
}

void sched_yield(void)
{
    if (sched_current)
        sched_current->slice = SCHED_SLICE_TICKS;
    runqs[cl_id_self()].rotate = true;
}

void sched_remove(struct tcb *t)
{
    sched_dequeue(t);
    if (t == sched_current)
        sched_current = NULL;
    else if (sched_is_current(t))
        smp_stop_thread(t);
}

void sched_set_priority(struct tcb *t, unsigned prio)
{
    assert(prio <= WF_PRIO_MAX);
    bool q = queued(t);
    if (q)
        sched_dequeue(t);
    unsigned old = t->prio;
    t->prio = (uint8_t)prio;
    if (q)
        put(t, false);
    else if (prio < old && t->cpu != cl_id_self() && sched_is_current(t))
        poke(t->cpu); /* it may be outranked there now */
}

void sched_set_cpu(struct tcb *t, unsigned cpu)
{
    assert(cpu < SMP_MAX_CPUS && sched_cpus[cpu]);
    if (cpu == t->cpu)
        return;
    bool was_current = sched_is_current(t);
    if (t == sched_current) {
        sched_current = NULL; /* it leaves this CPU at the end of its system call */
        sched_forget_fpu(t);
    } else if (was_current) {
        smp_stop_thread(t); /* its registers and FPU state are in its context now */
    } else {
        sched_dequeue(t);
        smp_flush_fpu(t); /* its FPU state may still be live on its old CPU */
    }
    t->cpu = cpu;
    if (t->state == TCB_RUNNABLE)
        put(t, false);
    sched_stats.migrations++;
}

void sched_preempt(struct tcb *t)
{
    if (t == sched_current || !sched_is_current(t))
        return;
    smp_stop_thread(t);
    if (t->state == TCB_RUNNABLE)
        put(t, true); /* it keeps its turn */
}

struct tcb *sched_choose(void)
{
    struct runq *rq = &runqs[cl_id_self()];
    struct tcb *cur = sched_current;
    int best = sched_highest();
    if (cur && cur->state == TCB_RUNNABLE) {
        if (best < (int)cur->prio || (best == (int)cur->prio && !rq->rotate)) {
            rq->rotate = false;
            return cur;
        }
        /* Outranked: it keeps its turn (queue head); out of slice: the tail. */
        sched_current = NULL;
        put(cur, !rq->rotate);
        best = sched_highest();
    }
    rq->rotate = false;
    if (best < 0) {
        sched_current = NULL;
        return NULL;
    }
    struct tcb *t = rq->queues[best].head;
    sched_dequeue(t);
    sched_current = t;
    return t;
}

void sched_forget_fpu(struct tcb *t)
{
    if (sched_fpu_ctx == &t->ctx) {
        arch_fpu_save(&t->ctx); /* it may run again elsewhere (sched_set_cpu) */
        sched_fpu_ctx = &sched_fpu_nobody;
    }
    if (arch_fpu_forget) /* an architecture that switches FP/SIMD lazily */
        arch_fpu_forget(&t->ctx);
}

void sched_forget_fpu_everywhere(struct tcb *t)
{
    /* A CPU reads its FPU owner only under the lock: forgetting it is a store. */
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
        if (sched_cpus[i] && sched_cpus[i]->fpu_ctx == &t->ctx)
            sched_cpus[i]->fpu_ctx = &sched_fpu_nobody;
    if (arch_fpu_forget)
        arch_fpu_forget(&t->ctx);
}
