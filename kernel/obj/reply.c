/*
 * Reply objects (obj/reply.h). Creation is zeroed memory: no caller, no receiver.
 *
 * Both links are plain pointers kept consistent in pairs: rp->caller == c exactly
 * when c is BLOCKED_REPLY with c->blocked_on == rp, and rp->receiver == t exactly
 * when t->recv_reply == rp. Whoever ends one side clears both, so neither object
 * ever points at a destroyed one.
 */
#include "obj/reply.h"

#include "obj/tcb.h"
#include "sched/sched.h"

void reply_link_caller(struct reply *rp, struct tcb *c)
{
    assert(!rp->caller);
    rp->caller = c;
    c->state = TCB_BLOCKED_REPLY;
    c->blocked_on = rp;
}

struct tcb *reply_take_caller(struct reply *rp)
{
    struct tcb *c = rp->caller;
    if (c) {
        rp->caller = NULL;
        c->blocked_on = NULL;
    }
    return c;
}

void reply_unbind_receiver(struct tcb *t)
{
    struct reply *rp = t->recv_reply;
    if (rp) {
        rp->receiver = NULL;
        t->recv_reply = NULL;
    }
}

void reply_bind_receiver(struct reply *rp, struct tcb *t)
{
    if (rp->caller) {
        struct tcb *old = rp->caller;
        tcb_cancel_ipc(old);
        sched_wake(old);
    }
    if (rp->receiver && rp->receiver != t)
        reply_unbind_receiver(rp->receiver);
    reply_unbind_receiver(t);
    rp->receiver = t;
    t->recv_reply = rp;
}

void reply_finalize(struct reply *rp)
{
    if (rp->caller) {
        struct tcb *c = rp->caller;
        tcb_cancel_ipc(c);
        sched_wake(c);
    }
    if (rp->receiver)
        reply_unbind_receiver(rp->receiver);
}
