/*
 * Endpoints: synchronous rendezvous between threads (ARCHITECTURE.md section 3).
 *
 * This issue creates and destroys them; the queues are the IPC issue's. An
 * endpoint is idle (no queue), or holds a queue of senders, or of receivers.
 */
#ifndef WEFT_OBJ_ENDPOINT_H
#define WEFT_OBJ_ENDPOINT_H

#include "types.h"
#include "weft/objects.h"

struct tcb;

enum endpoint_state { ENDPOINT_IDLE = 0, ENDPOINT_SEND = 1, ENDPOINT_RECV = 2 };

struct endpoint {
    uint64_t state;   /* enum endpoint_state */
    struct tcb *head; /* first queued thread (oldest) */
    struct tcb *tail; /* last queued thread */
    uint64_t reserved;
};
_Static_assert(sizeof(struct endpoint) <= (1u << WF_ENDPOINT_BITS), "endpoint size");

/* Destroys the endpoint (its last cap is gone): every queued thread's IPC is
 * cancelled. Must stay O(1) per call: with the IPC issue, a long queue is
 * cancelled in units with preemption points. */
void endpoint_finalize(struct endpoint *ep);

#endif
