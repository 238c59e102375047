/*
 * The restart policy (restart.h; decision 110): exponential backoff from a short
 * delay, bounded per sliding window. Pure: no system call, no clock of its own.
 */
#include "restart.h"

struct restart_decision restart_decide(const struct restart_policy *p, struct restart_history *h,
                                       uint64_t now)
{
    unsigned bound = p->max_restarts;
    if (bound == 0 || bound > RESTART_MAX_BOUND)
        bound = RESTART_MAX_BOUND;
    if (h->n > RESTART_MAX_BOUND)
        h->n = RESTART_MAX_BOUND;
    /* Forget restarts that left the window (times are oldest first). */
    unsigned drop = 0;
    while (drop < h->n && now - h->at[drop] >= p->window)
        drop++;
    for (unsigned i = drop; i < h->n; i++)
        h->at[i - drop] = h->at[i];
    h->n -= drop;
    if (h->n >= bound)
        return (struct restart_decision){.give_up = true};
    uint64_t delay = p->base_delay;
    for (unsigned i = 0; i < h->n && delay < p->max_delay; i++)
        delay <<= 1;
    if (delay > p->max_delay)
        delay = p->max_delay;
    h->at[h->n++] = now;
    return (struct restart_decision){.give_up = false, .when = now + delay};
}
