/*
 * Notifications: a word of signal bits and a queue of waiters; one may be bound
 * to a TCB (whose bound-notification slot then holds a cap to it).
 */
#ifndef WEFT_OBJ_NOTIFICATION_H
#define WEFT_OBJ_NOTIFICATION_H

#include "types.h"
#include "weft/objects.h"

struct tcb;

struct notification {
    uint64_t word;    /* pending signal bits (the IPC issue) */
    struct tcb *head; /* waiting threads (the IPC issue) */
    struct tcb *tail;
    struct tcb *bound; /* hint: the TCB bound to it; see notification_bound_tcb */
};
_Static_assert(sizeof(struct notification) <= (1u << WF_NOTIFICATION_BITS), "notification size");

/* The TCB this notification is bound to, or NULL. The binding is the cap in the
 * TCB's bound-notification slot; n->bound is a hint, valid while that slot holds
 * a cap to n (the cap can be revoked away behind the hint's back), and cleared
 * when the TCB is destroyed, so it never points at dead memory. */
struct tcb *notification_bound_tcb(struct notification *n);

/* Destroys the notification (its last cap is gone): waiters are woken with an
 * error (with the IPC issue). O(1) per call. */
void notification_finalize(struct notification *n);

#endif
