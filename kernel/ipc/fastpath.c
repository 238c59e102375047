/*
 * The IPC fast path (ARCHITECTURE.md section 3; docs/ipc.md walks through it).
 *
 * Most IPC in a microkernel system is a client's Call and a server's ReplyRecv
 * with a few words in registers. Liedtke's observation (and seL4's fastpath.c)
 * is that for this case the general machinery (cap transfer, IPC buffers, run
 * queues, the scheduler's choice) has nothing to do, so a short straight-line
 * path that checks the case and then switches directly to the partner makes IPC
 * cost little more than two kernel entries.
 *
 * Conditions, all checked before anything changes (otherwise the slow path runs
 * with nothing touched):
 *   - message of at most WF_MSG_REG_WORDS words and no extra caps;
 *   - Call: the cap is an endpoint cap with Write and Grant or GrantReply, and a
 *     receiver waits on it with a Reply object;
 *     ReplyRecv: the Reply cap has a caller waiting that is not a faulting thread,
 *     the endpoint cap has Read, no sender is queued on it, and the caller's bound
 *     notification has nothing pending;
 *   - the partner's priority is at least the highest queued one (and for Call at
 *     least the caller's), so running it next is what the scheduler would choose.
 * Then: copy the words, link or unlink the Reply object, block the current thread
 * and make the partner current, without touching the run queues. The result in
 * every register is the slow path's (ipc_ktest.c compares them).
 */
#include "ipc/ipc.h"
#include "sched/sched.h"

/* cspace_lookup_cap without the error details: the slot it finds, or NULL
 * wherever it would fail (the slow path then reports why). Each level takes
 * guard_size + radix <= 64 bits with radix >= 1, so no shift reaches 64. */
static inline struct slot *fast_resolve(struct cap node, wf_cptr_t cptr)
{
    unsigned left = 64;
    for (;;) {
        if (cap_type(node) != CAP_CNODE)
            return NULL;
        unsigned g = cap_cnode_guard_size(node), r = cap_cnode_radix(node);
        if (g + r > left)
            return NULL;
        unsigned shift = left - g - r;
        if (g && ((cptr >> (shift + r)) & ((1ull << g) - 1)) != cap_cnode_guard(node))
            return NULL;
        struct slot *s = cap_cnode_slots(node) + ((cptr >> shift) & ((1ull << r) - 1));
        left = shift;
        if (left == 0 || cap_type(s->cap) != CAP_CNODE)
            return cap_is_null(s->cap) ? NULL : s;
        node = s->cap;
    }
}

/* The cap cptr names in t's CSpace if it has type and all of rights, else NULL. */
static inline struct slot *fast_lookup(struct tcb *t, wf_cptr_t cptr, enum cap_type type,
                                       uint64_t rights)
{
    struct slot *s = fast_resolve(t->slots[WF_TCB_SLOT_CSPACE].cap, cptr);
    if (!s || cap_type(s->cap) != type || (cap_rights(s->cap) & rights) != rights)
        return NULL;
    return s;
}

/* Copies the len register words of t's message to r and sets r's results. */
static inline void fast_transfer(struct tcb *t, struct tcb *r, wf_msginfo_t info, unsigned len,
                                 uint64_t badge)
{
    ctx_copy_mrs(&r->ctx, &t->ctx, len);
    ctx_set_result(&r->ctx, WF_ERR_OK, ipc_info_out(wf_msginfo_label(info), 0, len), badge);
}

bool ipc_fastpath_call(struct tcb *t)
{
    wf_msginfo_t info = ctx_info(&t->ctx);
    unsigned len = wf_msginfo_length(info);
    if (wf_msginfo_xcaps(info) || len > WF_MSG_REG_WORDS)
        return false;
    struct slot *s = fast_lookup(t, ctx_cap(&t->ctx), CAP_ENDPOINT, WF_RIGHT_WRITE);
    if (!s || !(cap_rights(s->cap) & (WF_RIGHT_GRANT | WF_RIGHT_GRANT_REPLY)))
        return false;
    struct endpoint *ep = cap_object(s->cap);
    if (ep->state != ENDPOINT_RECV)
        return false;
    struct tcb *r = ep->q.head;
    struct reply *rp = r->recv_reply;
    if (!rp || r->prio < t->prio || sched_highest() > (int)r->prio)
        return false;

    endpoint_remove(ep, r);
    reply_unbind_receiver(r);
    fast_transfer(t, r, info, len, cap_badge(s->cap));
    reply_link_caller(rp, t);
    r->state = TCB_RUNNABLE;
    sched_current = r;
    ipc_stats.fast++;
    return true;
}

bool ipc_fastpath_reply_recv(struct tcb *t)
{
    wf_msginfo_t info = ctx_info(&t->ctx);
    unsigned len = wf_msginfo_length(info);
    if (wf_msginfo_xcaps(info) || len > WF_MSG_REG_WORDS)
        return false;
    struct slot *rs = fast_lookup(t, ctx_reply_cap(&t->ctx), CAP_REPLY, 0);
    if (!rs)
        return false;
    struct reply *rp = cap_object(rs->cap);
    struct tcb *c = rp->caller;
    if (!c || c->fault || sched_highest() > (int)c->prio)
        return false;
    struct slot *es = fast_lookup(t, ctx_cap(&t->ctx), CAP_ENDPOINT, WF_RIGHT_READ);
    if (!es)
        return false;
    struct endpoint *ep = cap_object(es->cap);
    struct notification *n = tcb_bound_notification(t);
    if (ep->state == ENDPOINT_SEND || (n && n->word))
        return false;

    reply_take_caller(rp);
    fast_transfer(t, c, info, len, WF_BADGE_NONE);
    reply_bind_receiver(rp, t);
    t->state = TCB_BLOCKED_RECV;
    endpoint_enqueue(ep, t, ENDPOINT_RECV);
    c->state = TCB_RUNNABLE;
    sched_current = c;
    ipc_stats.fast++;
    return true;
}
