/*
 * Reply objects: the right to answer one Call (seL4 MCS). A receiver names a Reply
 * object when it waits (Recv, ReplyRecv); a Call it receives links the caller to
 * that object, and replying through a cap to it resumes the caller. A server may
 * keep the object (in another slot) and answer later.
 */
#ifndef WEFT_OBJ_REPLY_H
#define WEFT_OBJ_REPLY_H

#include "types.h"
#include "weft/objects.h"

struct tcb;

struct reply {
    struct tcb *caller;   /* the thread waiting for this reply (BLOCKED_REPLY), or NULL */
    struct tcb *receiver; /* the thread blocked in a receive that named it, or NULL */
    uint64_t reserved[2];
};
_Static_assert(sizeof(struct reply) <= (1u << WF_REPLY_BITS), "reply size");

/* Makes rp the reply object of receiver t (a receive names it): a caller still
 * waiting on rp is cancelled first, and another receiver that named it forgets it. */
void reply_bind_receiver(struct reply *rp, struct tcb *t);

/* Forgets the receiver link of t (it stopped receiving). */
void reply_unbind_receiver(struct tcb *t);

/* Links the caller c to rp (c becomes BLOCKED_REPLY on it). */
void reply_link_caller(struct reply *rp, struct tcb *c);

/* Unlinks rp's caller and returns it (NULL when none waits). */
struct tcb *reply_take_caller(struct reply *rp);

/* Destroys the reply object (its last cap is gone): a caller still waiting on it
 * is woken with WF_ERR_CANCELLED; a receiver that named it forgets it. O(1). */
void reply_finalize(struct reply *rp);

#endif
