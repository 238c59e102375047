/*
 * Notifications: a word of signal bits and a queue of waiters; one may be bound
 * to a TCB (whose bound-notification slot then holds a cap to it). Signal ORs the
 * cap's badge into the word and wakes one waiter (or the bound thread, when it
 * waits in Recv on an endpoint); Wait and Poll take the word and clear it.
 */
#ifndef WEFT_OBJ_NOTIFICATION_H
#define WEFT_OBJ_NOTIFICATION_H

#include "obj/tcb.h"

struct notification {
    uint64_t word;      /* pending signal bits */
    struct tcb_queue q; /* threads blocked in Wait, oldest first */
    struct tcb *bound;  /* hint: the TCB bound to it; see notification_bound_tcb */
};
_Static_assert(sizeof(struct notification) <= (1u << WF_NOTIFICATION_BITS), "notification size");

/* The TCB this notification is bound to, or NULL. The binding is the cap in the
 * TCB's bound-notification slot; n->bound is a hint, valid while that slot holds
 * a cap to n (the cap can be revoked away behind the hint's back), and cleared
 * when the TCB is destroyed, so it never points at dead memory. */
struct tcb *notification_bound_tcb(struct notification *n);

/* The notification bound to t, or NULL. */
struct notification *tcb_bound_notification(struct tcb *t);

/* Signal: ORs badge into the word; then wakes the oldest waiter with the word
 * (clearing it), or, when nobody waits and the bound thread waits in Recv on an
 * endpoint, ends that Recv with the word (label WF_MSG_LABEL_NOTIFICATION). */
void notification_signal(struct notification *n, uint64_t badge);

/* Wait (blocking) or Poll: when the word is non-zero, or for Poll, returns true
 * with *word set and the word cleared; otherwise queues t (BLOCKED_NTFN) and
 * returns false. */
bool notification_wait(struct notification *n, struct tcb *t, bool blocking, uint64_t *word);

/* Destroys the notification (its last cap is gone): waiters are woken with
 * WF_ERR_CANCELLED. O(waiters). */
void notification_finalize(struct notification *n);

#endif
