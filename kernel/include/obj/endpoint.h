/*
 * Endpoints: synchronous rendezvous between threads (docs/architecture.md, IPC).
 *
 * An endpoint is idle (no queue), or holds a FIFO of blocked senders, or of
 * blocked receivers, never both: a sender that finds a receiver (or the reverse)
 * transfers at once. The message transfer itself is kernel/ipc/'s; this file owns
 * the queue and its cancellation.
 */
#ifndef WEFT_OBJ_ENDPOINT_H
#define WEFT_OBJ_ENDPOINT_H

#include "obj/tcb.h"

enum endpoint_state { ENDPOINT_IDLE = 0, ENDPOINT_SEND = 1, ENDPOINT_RECV = 2 };

struct endpoint {
    uint64_t state;     /* enum endpoint_state: what the queue holds */
    struct tcb_queue q; /* blocked threads, oldest first */
    uint64_t reserved;
};
_Static_assert(sizeof(struct endpoint) <= (1u << WF_ENDPOINT_BITS), "endpoint size");

/* Queues t (already in state BLOCKED_SEND or BLOCKED_RECV) at the tail. */
void endpoint_enqueue(struct endpoint *ep, struct tcb *t, enum endpoint_state as);

/* Takes the oldest queued thread off (the queue must not be empty). */
struct tcb *endpoint_dequeue(struct endpoint *ep);

/* Unlinks the queued thread t. */
void endpoint_remove(struct endpoint *ep, struct tcb *t);

/* Destroys the endpoint (its last cap is gone): every queued thread's IPC is
 * cancelled (its system call returns WF_ERR_CANCELLED) and it becomes runnable.
 * O(queued threads), as seL4's cancelAllIPC (decision 033). */
void endpoint_finalize(struct endpoint *ep);

/* Cancels the queued sends that carry badge (their system calls return
 * WF_ERR_CANCELLED): the badge's caps were revoked. O(queued threads). */
void endpoint_cancel_badged(struct endpoint *ep, uint64_t badge);

#endif
