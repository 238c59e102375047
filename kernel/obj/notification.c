/*
 * Notifications: creation is zeroed memory (no bits, no waiters, unbound). The
 * binding to a TCB is the cap in the TCB's bound-notification slot; the
 * notification keeps only a hint, checked on use (notification_bound_tcb).
 */
#include "obj/notification.h"

#include "obj/tcb.h"

struct tcb *notification_bound_tcb(struct notification *n)
{
    struct tcb *t = n->bound;
    if (t && cap_object(t->slots[WF_TCB_SLOT_BOUND_NTFN].cap) == n)
        return t;
    return NULL;
}

void notification_finalize(struct notification *n)
{
    /* Until threads run nothing waits; the IPC issue wakes waiters here. */
    assert(!n->head && !n->tail);
    n->bound = NULL;
}
