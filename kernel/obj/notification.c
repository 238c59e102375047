/*
 * Notifications (obj/notification.h). Creation is zeroed memory (no bits, no
 * waiters, unbound). The binding to a TCB is the cap in the TCB's bound-
 * notification slot; the notification keeps only a hint, checked on use
 * (notification_bound_tcb).
 *
 * A signal never blocks and never fails: it ORs bits in. It completes one wait at
 * most: the oldest waiter gets the whole word (seL4 semantics: bits accumulate
 * until somebody takes them).
 */
#include "obj/notification.h"

#include "obj/endpoint.h"
#include "obj/reply.h"
#include "sched/sched.h"
#include "weft/ipc.h"

struct tcb *notification_bound_tcb(struct notification *n)
{
    struct tcb *t = n->bound;
    if (t && cap_object(t->slots[WF_TCB_SLOT_BOUND_NTFN].cap) == n)
        return t;
    return NULL;
}

struct notification *tcb_bound_notification(struct tcb *t)
{
    struct cap c = t->slots[WF_TCB_SLOT_BOUND_NTFN].cap;
    return cap_type(c) == CAP_NOTIFICATION ? cap_object(c) : NULL;
}

void notification_signal(struct notification *n, uint64_t badge)
{
    n->word |= badge;
    struct tcb *t = n->q.head;
    if (t) {
        tcbq_remove(&n->q, t);
        t->blocked_on = NULL;
        ctx_set_result(&t->ctx, WF_ERR_OK, 0, n->word);
        n->word = 0;
        sched_wake(t);
        return;
    }
    t = notification_bound_tcb(n);
    if (t && t->state == TCB_BLOCKED_RECV && n->word) {
        endpoint_remove(t->blocked_on, t);
        reply_unbind_receiver(t);
        ctx_set_result(&t->ctx, WF_ERR_OK, wf_msginfo(WF_MSG_LABEL_NOTIFICATION, 0, 0), n->word);
        n->word = 0;
        sched_wake(t);
    }
}

bool notification_wait(struct notification *n, struct tcb *t, bool blocking, uint64_t *word)
{
    if (n->word || !blocking) {
        *word = n->word;
        n->word = 0;
        return true;
    }
    t->state = TCB_BLOCKED_NTFN;
    t->blocked_on = n;
    tcbq_append(&n->q, t);
    return false;
}

void notification_finalize(struct notification *n)
{
    while (n->q.head) {
        struct tcb *t = n->q.head;
        tcb_cancel_ipc(t);
        sched_wake(t);
    }
    n->bound = NULL;
}
