/*
 * Endpoint queues and their cancellation (obj/endpoint.h). Creation is zeroed
 * memory: idle, empty queue. The transfer of messages is kernel/ipc/ipc.c's.
 *
 * Cancelling a queue wakes every thread in it with WF_ERR_CANCELLED in one go
 * rather than in preemptible units: the queue is bounded by the number of threads
 * and each unit is a handful of stores (seL4 cancelAllIPC does the same;
 * decision 033).
 */
#include "obj/endpoint.h"

#include "sched/sched.h"

void endpoint_enqueue(struct endpoint *ep, struct tcb *t, enum endpoint_state as)
{
    assert(ep->state == ENDPOINT_IDLE || ep->state == as);
    ep->state = as;
    t->blocked_on = ep;
    tcbq_append(&ep->q, t);
}

void endpoint_remove(struct endpoint *ep, struct tcb *t)
{
    tcbq_remove(&ep->q, t);
    t->blocked_on = NULL;
    if (!ep->q.head)
        ep->state = ENDPOINT_IDLE;
}

struct tcb *endpoint_dequeue(struct endpoint *ep)
{
    struct tcb *t = ep->q.head;
    assert(t);
    endpoint_remove(ep, t);
    return t;
}

void endpoint_finalize(struct endpoint *ep)
{
    while (ep->q.head) {
        struct tcb *t = ep->q.head;
        tcb_cancel_ipc(t);
        sched_wake(t);
    }
    ep->state = ENDPOINT_IDLE;
}

void endpoint_cancel_badged(struct endpoint *ep, uint64_t badge)
{
    if (ep->state != ENDPOINT_SEND)
        return;
    for (struct tcb *t = ep->q.head, *next; t; t = next) {
        next = t->next;
        if (t->badge == badge) {
            tcb_cancel_ipc(t);
            sched_wake(t);
        }
    }
}
