/*
 * The IPC fast path (ARCHITECTURE.md section 3; docs/ipc.md walks through it,
 * decision 038 records its design, docs/perf/ipc.md its cost).
 *
 * Most IPC in a microkernel system is a client's Call and a server's ReplyRecv
 * with a few words in registers. Liedtke's observation (and seL4's fastpath.c)
 * is that for this case the general machinery (cap transfer, IPC buffers, run
 * queues, the scheduler's choice) has nothing to do, so a short straight-line
 * path that checks the case and then switches directly to the partner makes IPC
 * cost little more than two kernel entries.
 *
 * The architecture's syscall entry calls ipc_fastpath for every system call,
 * with the registers saved in the thread's context and nothing else done. It
 * is one function with everything inlined (lookups, queue and Reply object
 * updates, the thread switch), and it leaves the kernel through the
 * architecture's fast return (sysret on x86-64) when the partner's context
 * allows it. Anything it does not handle goes to kernel_entry, the general
 * path, with nothing changed.
 *
 * Conditions, all checked before anything changes (otherwise the slow path runs
 * with nothing touched):
 *   - message of at most WF_MSG_REG_WORDS words and no extra caps;
 *   - Call: the cap is an endpoint cap with Write and Grant or GrantReply, and a
 *     receiver waits on it with a Reply object;
 *     ReplyRecv: the Reply cap has a caller waiting that is not a faulting thread,
 *     the endpoint cap has Read, no sender is queued on it, and the caller's bound
 *     notification has nothing pending;
 *   - no queued thread has a higher priority than the partner, so running it
 *     next is what the scheduler would choose (the current thread blocks, and
 *     the slow path's sched_switch_to makes the same choice).
 * Then: copy the words, link or unlink the Reply object, block the current thread
 * and make the partner current, without touching the run queues. The result in
 * every register is the slow path's (ipc_ktest.c compares them), and so is every
 * object's state: each commit step below names the slow-path function whose
 * effect it repeats.
 */
#include "ipc/ipc.h"
#include "ipc/syscall.h"
#include "mm/vm.h"
#include "sched/sched.h"
#include "weft/syscalls.h"

#define FAST static inline __attribute__((always_inline))

/* cspace_lookup_cap without the error details, for lookups of more than one
 * level (rare): the slot it finds, or NULL wherever it would fail. Each level
 * takes guard_size + radix <= 64 bits with radix >= 1, so no shift reaches 64. */
static __attribute__((noinline)) struct slot *fast_resolve_levels(struct cap node, wf_cptr_t cptr)
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
            return s;
        node = s->cap;
    }
}

/* The slot cptr names in t's CSpace (possibly empty: callers check the type),
 * or NULL where cspace_lookup_cap would fail. The common CSpace resolves every
 * CPtr in its root CNode (guard_size + radix = 64): then the CPtr is the guard
 * followed by the index, and one XOR checks the one and yields the other. */
FAST struct slot *fast_lookup(struct tcb *t, wf_cptr_t cptr)
{
    struct cap root = t->slots[WF_TCB_SLOT_CSPACE].cap;
    if (cap_type(root) != CAP_CNODE)
        return NULL;
    unsigned r = cap_cnode_radix(root);
    if (__builtin_expect(cap_cnode_guard_size(root) + r != 64, 0))
        return fast_resolve_levels(root, cptr);
    uint64_t index = cptr ^ (cap_cnode_guard(root) << r); /* the guard has 64 - r bits */
    if (index >> r)
        return NULL;
    return cap_cnode_slots(root) + index;
}

/* A message fits the fast path: at most WF_MSG_REG_WORDS words, no extra caps
 * (the caps field lies just above the length). */
FAST bool fast_message(wf_msginfo_t info)
{
    static_assert(WF_MSGINFO_XCAPS_SHIFT == WF_MSGINFO_LENGTH_BITS, "xcaps above the length");
    return (info & ((1u << (WF_MSGINFO_XCAPS_SHIFT + WF_MSGINFO_XCAPS_BITS)) - 1)) <=
           WF_MSG_REG_WORDS;
}

/* transfer (ipc.c) for a register-only message: the words, then the results. */
FAST void fast_transfer(struct tcb *s, struct tcb *r, wf_msginfo_t info, uint64_t badge)
{
    unsigned len = wf_msginfo_length(info);
    ctx_copy_mrs(&r->ctx, &s->ctx, len);
    ctx_set_result(&r->ctx, WF_ERR_OK, ipc_info_out(wf_msginfo_label(info), 0, len), badge);
}

/* Call: the receiver to switch to, with the message delivered, or NULL (nothing
 * changed). */
FAST struct tcb *fast_call(struct tcb *t)
{
    wf_msginfo_t info = ctx_info(&t->ctx);
    if (!fast_message(info))
        return NULL;
    struct slot *s = fast_lookup(t, ctx_cap(&t->ctx));
    if (!s)
        return NULL;
    struct cap c = s->cap;
    if (cap_type(c) != CAP_ENDPOINT || !(cap_rights(c) & WF_RIGHT_WRITE) ||
        !(cap_rights(c) & (WF_RIGHT_GRANT | WF_RIGHT_GRANT_REPLY)))
        return NULL;
    struct endpoint *ep = cap_ptr_unpack(c.w0);
    if (ep->state != ENDPOINT_RECV)
        return NULL;
    struct tcb *r = ep->q.head;
    struct reply *rp = r->recv_reply;
    if (!rp || !sched_none_above(r->prio))
        return NULL;

    /* endpoint_dequeue: r is the head, so its prev is NULL */
    struct tcb *next = r->next;
    ep->q.head = next;
    if (next) {
        next->prev = NULL;
    } else {
        ep->q.tail = NULL;
        ep->state = ENDPOINT_IDLE;
    }
    r->next = NULL;
    r->blocked_on = NULL;
    /* reply_unbind_receiver(r) */
    rp->receiver = NULL;
    r->recv_reply = NULL;
    fast_transfer(t, r, info, cap_badge(c));
    /* reply_link_caller(rp, t) */
    assert(!rp->caller);
    rp->caller = t;
    t->state = TCB_BLOCKED_REPLY;
    t->blocked_on = rp;
    /* sched_switch_to(r) */
    r->state = TCB_RUNNABLE;
    return r;
}

/* ReplyRecv: the caller to switch to, with the reply delivered and t waiting on
 * the endpoint, or NULL (nothing changed). */
FAST struct tcb *fast_reply_recv(struct tcb *t)
{
    wf_msginfo_t info = ctx_info(&t->ctx);
    if (!fast_message(info))
        return NULL;
    struct slot *rs = fast_lookup(t, ctx_reply_cap(&t->ctx));
    if (!rs || cap_type(rs->cap) != CAP_REPLY)
        return NULL;
    struct reply *rp = cap_ptr_unpack(rs->cap.w0);
    struct tcb *c = rp->caller;
    if (!c || c->fault || !sched_none_above(c->prio))
        return NULL;
    struct slot *es = fast_lookup(t, ctx_cap(&t->ctx));
    if (!es)
        return NULL;
    struct cap e = es->cap;
    if (cap_type(e) != CAP_ENDPOINT || !(cap_rights(e) & WF_RIGHT_READ))
        return NULL;
    struct endpoint *ep = cap_ptr_unpack(e.w0);
    if (ep->state == ENDPOINT_SEND)
        return NULL;
    struct cap nc = t->slots[WF_TCB_SLOT_BOUND_NTFN].cap;
    if (cap_type(nc) == CAP_NOTIFICATION && ((struct notification *)cap_ptr_unpack(nc.w0))->word)
        return NULL;

    /* reply_take_caller(rp) */
    rp->caller = NULL;
    c->blocked_on = NULL;
    fast_transfer(t, c, info, WF_BADGE_NONE);
    /* reply_bind_receiver(rp, t): with a caller, rp has no receiver, and t, which
     * runs, receives nothing (reply.c keeps both links in pairs) */
    assert(!rp->receiver && !t->recv_reply);
    rp->receiver = t;
    t->recv_reply = rp;
    /* endpoint_enqueue(ep, t, ENDPOINT_RECV) */
    t->state = TCB_BLOCKED_RECV;
    ep->state = ENDPOINT_RECV;
    t->blocked_on = ep;
    tcbq_append(&ep->q, t);
    /* ipc_reply, sched_switch_to(c) */
    c->state = TCB_RUNNABLE;
    return c;
}

struct arch_context *ipc_fastpath(struct arch_context *ctx)
{
    struct tcb *t = tcb_of_ctx(ctx), *to = NULL;
    uint64_t nr = ctx_sysno(ctx);
    if (ipc_fastpath_enabled) {
        if (nr == WF_SYS_CALL)
            to = fast_call(t);
        else if (nr == WF_SYS_REPLY_RECV)
            to = fast_reply_recv(t);
    }
    if (!to)
        kernel_entry(ctx);
    ipc_stats.fast++;
    sched_current = to;
    /* run (sched/switch.c): FPU, address space, context */
    sched_fpu_switch(to);
    struct cap vs = to->slots[WF_TCB_SLOT_VSPACE].cap;
    if (vs.w0 != t->slots[WF_TCB_SLOT_VSPACE].cap.w0) /* t's VSpace is the active one */
        vspace_activate(cap_type(vs) == CAP_VSPACE ? cap_ptr_unpack(vs.w0) : NULL);
    arch_context_activate(&to->ctx);
    if (!ctx_fast_resume(&to->ctx))
        arch_exit_to_user(&to->ctx);
    return &to->ctx;
}
