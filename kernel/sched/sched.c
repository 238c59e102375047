/*
 * Run queues and the choice of the next thread (sched/sched.h has the design).
 *
 * Invariants: a RUNNABLE thread other than sched_current is in exactly the queue
 * of its priority; sched_current is in no queue; bit p of the bitmap is set
 * exactly when queue p is non-empty; sched_top_prio is the highest such p (-1:
 * none), kept up to date so that the IPC fast path reads one word. Every operation here is O(1) (the bitmap is
 * four words). Nothing here touches the CPU: leaving the kernel is
 * kernel/sched/switch.c.
 */
#include "sched/sched.h"

#include "arch.h"
#include "lib/avl.h"
#include "obj/notification.h"

struct arch_context sched_fpu_nobody; /* see sched.h; switch.c */

/* Where an architecture switches FP/SIMD state lazily, it keeps a context
 * whose state is still in the registers; a context that goes away is dropped
 * from there (aarch64). Others define none. */
void arch_fpu_forget(struct arch_context *ctx) __attribute__((weak));

static struct tcb_queue queues[WF_PRIO_MAX + 1];
static uint64_t bitmap[(WF_PRIO_MAX + 1) / 64];
static uint64_t summary; /* bit i: bitmap[i] is non-zero */
static bool rotate;      /* the current thread goes behind its peers on the way out */

static bool queued(const struct tcb *t)
{
    return t->state == TCB_RUNNABLE && t != sched_current && (t->prev || queues[t->prio].head == t);
}

static void put(struct tcb *t, bool at_head)
{
    struct tcb_queue *q = &queues[t->prio];
    if (at_head)
        tcbq_prepend(q, t);
    else
        tcbq_append(q, t);
    bitmap[t->prio / 64] |= 1ull << (t->prio % 64);
    summary |= 1ull << (t->prio / 64);
    if ((int)t->prio > sched_top_prio)
        sched_top_prio = t->prio;
}

/* The highest priority with a queued thread from the bitmap: two bit scans. */
static int scan(void)
{
    if (!summary)
        return -1;
    int i = 63 - __builtin_clzll(summary);
    return i * 64 + 63 - __builtin_clzll(bitmap[i]);
}

void sched_cpu_init(void)
{
    sched_current = NULL;
    sched_fpu_ctx = &sched_fpu_nobody;
    sched_top_prio = -1;
    this_cpu_local.vspace = NULL;
}

void sched_enqueue(struct tcb *t)
{
    assert(t->state == TCB_RUNNABLE && t != sched_current && !queued(t));
    put(t, false);
}

void sched_dequeue(struct tcb *t)
{
    if (!queued(t))
        return;
    struct tcb_queue *q = &queues[t->prio];
    tcbq_remove(q, t);
    if (!q->head) {
        bitmap[t->prio / 64] &= ~(1ull << (t->prio % 64));
        if (!bitmap[t->prio / 64])
            summary &= ~(1ull << (t->prio / 64));
        if ((int)t->prio == sched_top_prio)
            sched_top_prio = scan();
    }
}

int sched_highest(void)
{
    assert(sched_top_prio == scan());
    return sched_top_prio;
}

void sched_wake(struct tcb *t)
{
    t->state = TCB_RUNNABLE;
    t->blocked_on = NULL;
    if (t != sched_current)
        sched_enqueue(t);
}

void sched_switch_to(struct tcb *t)
{
    t->state = TCB_RUNNABLE;
    t->blocked_on = NULL;
    struct tcb *cur = sched_current;
    if (sched_highest() <= (int)t->prio && (!cur || cur->state != TCB_RUNNABLE)) {
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
        rotate = true;
    }
}

void sched_yield(void)
{
    if (sched_current)
        sched_current->slice = SCHED_SLICE_TICKS;
    rotate = true;
}

void sched_remove(struct tcb *t)
{
    sched_dequeue(t);
    if (t == sched_current)
        sched_current = NULL;
}

void sched_set_priority(struct tcb *t, unsigned prio)
{
    assert(prio <= WF_PRIO_MAX);
    bool q = queued(t);
    if (q)
        sched_dequeue(t);
    t->prio = (uint8_t)prio;
    if (q)
        put(t, false);
}

struct tcb *sched_choose(void)
{
    struct tcb *cur = sched_current;
    int best = sched_highest();
    if (cur && cur->state == TCB_RUNNABLE) {
        if (best < (int)cur->prio || (best == (int)cur->prio && !rotate)) {
            rotate = false;
            return cur;
        }
        /* Outranked: it keeps its turn (queue head); out of slice: the tail. */
        sched_current = NULL;
        put(cur, !rotate);
        best = sched_highest();
    }
    rotate = false;
    if (best < 0) {
        sched_current = NULL;
        return NULL;
    }
    struct tcb *t = queues[best].head;
    sched_dequeue(t);
    sched_current = t;
    return t;
}

void sched_forget_fpu(struct tcb *t)
{
    if (sched_fpu_ctx == &t->ctx)
        sched_fpu_ctx = &sched_fpu_nobody;
    if (arch_fpu_forget) /* an architecture that switches FP/SIMD lazily */
        arch_fpu_forget(&t->ctx);
}
