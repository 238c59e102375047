/*
 * Endpoints: creation is zeroed memory (idle, empty queues); destruction cancels
 * the queue. Message transfer comes with the IPC issue.
 */
#include "obj/endpoint.h"

#include "panic.h"

void endpoint_finalize(struct endpoint *ep)
{
    /* Until threads run, nothing can be queued. The IPC issue replaces this with
     * cancelling each queued thread's IPC, in preemptible units. */
    assert(ep->state == ENDPOINT_IDLE && !ep->head && !ep->tail);
}
