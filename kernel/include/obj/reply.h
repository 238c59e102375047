/*
 * Reply objects: the right to answer one Call (seL4 MCS). A Call on an endpoint
 * links the caller to a Reply object the receiver named; replying through a cap
 * to it resumes the caller. This issue creates and destroys them.
 */
#ifndef WEFT_OBJ_REPLY_H
#define WEFT_OBJ_REPLY_H

#include "types.h"
#include "weft/objects.h"

struct tcb;

struct reply {
    struct tcb *caller; /* the thread waiting for this reply, or NULL (the IPC issue) */
    uint64_t reserved[3];
};
_Static_assert(sizeof(struct reply) <= (1u << WF_REPLY_BITS), "reply size");

/* Destroys the reply object (its last cap is gone): a caller still waiting on it
 * gets an error (with the IPC issue). O(1). */
void reply_finalize(struct reply *rp);

#endif
