/*
 * The IPC fast path (docs/architecture.md, IPC; docs/ipc.md walks through
 * it, decisions 038 and 077 record its design, docs/perf/ipc.md its cost).
 *
 * Most IPC in a microkernel system is a client's Call and a server's ReplyRecv
 * with a few words. Liedtke's observation (and seL4's fastpath.c) is that for
 * this case the general machinery (run queues, the scheduler's choice, checks
 * for every odd case) has nothing to do, so a short straight-line path that
 * checks the case and then switches directly to the partner makes IPC cost
 * little more than two kernel entries.
 *
 * The architecture's syscall entry calls ipc_fastpath_call/_reply_recv for those
 * two system calls, with the registers saved in the thread's context and
 * nothing else done. Each is one function with everything inlined (lookups,
 * queue and Reply object updates, the thread switch, the page-table switch),
 * and it leaves the kernel through the architecture's fast return (sysret on
 * x86-64) when the partner's context allows it. Anything it does not handle
 * goes to kernel_entry, the general path, with nothing changed.
 *
 * Three kinds of message (enum fast_kind), each its own compiled variant so that
 * the register case carries no cost of the others:
 *   - FAST_REGS: at most WF_MSG_REG_WORDS words, no extra caps: registers only;
 *   - FAST_WORDS: up to WF_MSG_MAX_WORDS words, no caps: the words beyond the
 *     registers are copied from the sender's IPC buffer to the receiver's, kernel
 *     page to kernel page, through the views of both buffers that the TCBs keep
 *     (struct tcb_ipcbuf, decision 076): one compare each says the view is valid,
 *     so there is no page-table walk;
 *   - FAST_CAPS: extra caps (or a length field above the maximum, which is
 *     refused): as FAST_WORDS, then the caps by the slow path's rules (one cap
 *     inline, fast_one_cap; more through ipc_transfer_caps). A cap transfer
 *     cannot fail, only stop, so it happens after the checks like the rest.
 *
 * Conditions, all checked before anything changes (otherwise the slow path runs
 * with nothing touched):
 *   - FAST_WORDS and FAST_CAPS: both threads' IPC buffer views are valid, and
 *     the length is at most WF_MSG_MAX_WORDS;
 *   - Call: the cap is an endpoint cap with Write and Grant or GrantReply, and a
 *     receiver waits on it with a Reply object;
 *     ReplyRecv: the Reply cap has a caller waiting that is not a faulting thread,
 *     the endpoint cap has Read, no sender is queued on it, and the caller's bound
 *     notification has nothing pending;
 *   - no queued thread has a higher priority than the partner, so running it
 *     next is what the scheduler would choose (the current thread blocks, and
 *     the slow path's sched_switch_to makes the same choice), and the partner
 *     runs on this CPU (decision 148: between CPUs the slow path wakes it
 *     there).
 * Then: copy the words (and caps), link or unlink the Reply object, block the
 * current thread and make the partner current, without touching the run queues.
 * The result in every register, buffer word and slot is the slow path's
 * (ipc_ktest.c compares them), and so is every object's state: each commit step
 * below names the slow-path function whose effect it repeats.
 */
#include "arch/vm_cpu.h"
#include "cap/cdt.h"
#include "cap/cspace.h"
#include "ipc/ipc.h"
#include "ipc/syscall.h"
#include "mm/vm.h"
#include "obj/vspace.h"
#include "sched/sched.h"
#include "weft/syscalls.h"

#define FAST static inline __attribute__((always_inline))

/* What a failed lookup gives: an empty slot, which no type check accepts. */
static const struct slot fast_none;

/* kernel_entry (ipc/syscall.h) under another name and type, for a fast path
 * that gives up with nothing changed: declared to return the fast path's type
 * and not noreturn, so `return fast_slow(ctx)` is a jump to it (a call to a
 * noreturn function is never a tail call), and the fast path makes no call,
 * keeps no frame and saves no return address. It never returns. */
struct arch_context *fast_slow(struct arch_context *ctx) __asm__("kernel_entry");

/* True when c is a cap of type t (one whose caps carry rights: endpoints,
 * replies) with every right in need: the type field (w0 [4:0]) and those
 * rights (w0 [8:5], cap/cap.h) in one masked compare, instead of cap_type and
 * cap_rights, which asks the type again. */
FAST bool fast_cap_is(struct cap c, enum cap_type t, uint64_t need)
{
    uint64_t mask = (uint64_t)CAP_ZOMBIE | need << 5;
    static_assert(CAP_ZOMBIE == 31, "the type field is w0 [4:0]");
    return (c.w0 & mask) == ((uint64_t)t | need << 5);
}

/* The rights of c, whose type fast_cap_is found to be one that carries them. */
FAST uint64_t fast_rights(struct cap c)
{
    return cap_field(c.w0, 5, 4);
}

/*
 * CPtr lookup: cspace_lookup_cap without the error details, giving the slot the
 * CPtr names (possibly empty: callers check the type) or &fast_none where the
 * lookup would fail.
 *
 * The common CSpace resolves every CPtr in its root CNode (guard_size + radix =
 * 64): then a CPtr is the guard followed by the index, and one XOR with the
 * guard shifted into place checks the one and yields the other. The fast path is
 * compiled twice: for that case (the root decoded once, into struct fast_cspace)
 * and, called when the root is anything else, with cspace_lookup_cap.
 */
struct fast_cspace {
    struct cap root;
    const struct slot *slots; /* one level: the root's slots */
    uint64_t guard;           /* one level: the guard, shifted to its place */
    unsigned radix;           /* one level: the root's radix */
};

/* Decodes t's CSpace root for one-level lookups: false when it is not a CNode
 * whose guard and radix take all 64 bits. */
FAST bool fast_one_level(struct tcb *t, struct fast_cspace *cs)
{
    struct cap root = t->slots[WF_TCB_SLOT_CSPACE].cap;
    unsigned r = cap_cnode_radix(root);
    if (cap_type(root) != CAP_CNODE || cap_cnode_guard_size(root) + r != 64)
        return false;
    cs->slots = cap_cnode_slots(root);
    cs->guard = cap_cnode_guard(root) << r; /* the guard has 64 - r bits */
    cs->radix = r;
    return true;
}

FAST struct cap fast_lookup(const struct fast_cspace *cs, bool one_level, wf_cptr_t cptr)
{
    if (!one_level) {
        /* Off the common path (its own noinline copy): the general resolver. */
        struct lookup_ret lr = cspace_lookup_cap(cs->root, cptr);
        return lr.slot ? lr.slot->cap : fast_none.cap;
    }
    uint64_t index = cptr ^ cs->guard;
    if (index >> cs->radix)
        return fast_none.cap;
    return cs->slots[index].cap;
}

/* The slot holding a cap that cptr names in the CSpace cs (as
 * cspace_lookup_cap), or NULL where that lookup fails (an empty slot included). */
FAST struct slot *fast_lookup_slot(const struct fast_cspace *cs, bool one_level, wf_cptr_t cptr)
{
    if (!one_level)
        return cspace_lookup_cap(cs->root, cptr).slot;
    uint64_t index = cptr ^ cs->guard;
    if (index >> cs->radix)
        return NULL;
    struct slot *sl = (struct slot *)&cs->slots[index];
    return cap_is_null(sl->cap) ? NULL : sl;
}

/* ipc_receive_slot for r, whose IPC buffer is rb: inline where r's CSpace and
 * the CNode it names are one-level and the depth is 64, the general lookups
 * otherwise. */
FAST struct slot *fast_receive_slot(struct tcb *r, const struct wf_ipc_buffer *rb)
{
    struct fast_cspace rcs;
    if (rb->receive_depth != 64 || !fast_one_level(r, &rcs))
        return ipc_receive_slot(r);
    struct slot *cn = fast_lookup_slot(&rcs, true, rb->receive_cnode);
    if (!cn || cap_type(cn->cap) != CAP_CNODE)
        return NULL;
    unsigned radix = cap_cnode_radix(cn->cap);
    if (cap_cnode_guard_size(cn->cap) + radix != 64)
        return ipc_receive_slot(r);
    uint64_t index = rb->receive_index ^ cap_cnode_guard(cn->cap) << radix;
    if (index >> radix)
        return NULL;
    struct slot *d = cap_cnode_slots(cn->cap) + index;
    return slot_is_empty(d) ? d : NULL;
}

/* ipc_transfer_caps for one cap, with both IPC buffers cached and the sender's
 * CSpace decoded (cs): the same rules, the same results. */
FAST unsigned fast_one_cap(struct tcb *s, struct tcb *r, const struct fast_cspace *cs,
                           bool one_level, struct endpoint *via, unsigned *unwrapped)
{
    struct wf_ipc_buffer *sb = ipc_buffer_cached(s), *rb = ipc_buffer_cached(r);
    *unwrapped = 0;
    struct slot *src = fast_lookup_slot(cs, one_level, sb->caps_or_badges[0]);
    if (!src)
        return 0;
    struct cap c = src->cap;
    if (via && cap_type(c) == CAP_ENDPOINT && cap_object(c) == via) {
        rb->caps_or_badges[0] = cap_badge(c);
        rb->caps_or_badges[1] = rb->caps_or_badges[2] = 0;
        *unwrapped = 1;
        return 1;
    }
    struct slot *dest = fast_receive_slot(r, rb);
    if (!dest || cap_type(c) == CAP_UNTYPED || cap_type(c) == CAP_ZOMBIE)
        return 0;
    cdt_insert_derived(src, dest, c);
    return 1;
}

/* The length and caps fields of info as one number (the caps above the
 * length): at most WF_MSG_REG_WORDS for FAST_REGS, at most WF_MSG_MAX_WORDS for
 * FAST_WORDS (then no caps and a length the slow path would not cut). */
#define FAST_LEN_CAPS(info)                                                                        \
    ((info) & ((1u << (WF_MSGINFO_XCAPS_SHIFT + WF_MSGINFO_XCAPS_BITS)) - 1))

/* A register message: at most WF_MSG_REG_WORDS words and no extra caps (the
 * caps field lies just above the length). Others take the buffer branch. */
FAST bool fast_message(wf_msginfo_t info)
{
    static_assert(WF_MSGINFO_XCAPS_SHIFT == WF_MSGINFO_LENGTH_BITS, "xcaps above the length");
    return FAST_LEN_CAPS(info) <= WF_MSG_REG_WORDS;
}

/* What a fast path variant handles: a register message (fast_message), one with
 * 5 to WF_MSG_MAX_WORDS words and no caps, or one with extra caps (or a length
 * above WF_MSG_MAX_WORDS, which fast_buffers refuses). */
enum fast_kind { FAST_REGS, FAST_WORDS, FAST_CAPS };

/* The info fields the transfer sets itself: caps transferred, unwrapped. */
#define FAST_OUT_FIELDS                                                                            \
    ((wf_msginfo_t)((1u << WF_MSGINFO_XCAPS_BITS) - 1) << WF_MSGINFO_XCAPS_SHIFT |                 \
     (wf_msginfo_t)((1u << WF_MSGINFO_UNWRAP_BITS) - 1) << WF_MSGINFO_UNWRAP_SHIFT)

/* transfer (ipc.c) for a message that fast_message accepted: the words, then the
 * results. The info delivered, ipc_info_out(label, 0, len), is the sender's with
 * the caps and unwrapped fields cleared. */
FAST void fast_transfer(struct tcb *s, struct tcb *r, wf_msginfo_t info, uint64_t badge)
{
    static_assert(WF_MSGINFO_UNWRAP_SHIFT + WF_MSGINFO_UNWRAP_BITS == WF_MSGINFO_LABEL_SHIFT,
                  "label above the unwrapped bits");
    /* The length and caps fields, which fast_message found at most
     * WF_MSG_REG_WORDS: no caps, and this is the length. */
    ctx_copy_reg_mrs(&r->ctx, &s->ctx, (unsigned)FAST_LEN_CAPS(info));
    ctx_set_result(&r->ctx, WF_ERR_OK, info & ~FAST_OUT_FIELDS, badge);
}

/* The buffer variants' checks, made before anything changes: both IPC buffer
 * views are valid (ipc_buffer_cached: an empty view has an epoch that never
 * matches), and for FAST_CAPS the message has at most WF_MSG_MAX_WORDS words
 * (for FAST_WORDS the entry checked it; longer ones are cut by the slow path).
 * False sends the call to the slow path, which refills the views. */
FAST bool fast_buffers(struct tcb *s, struct tcb *r, wf_msginfo_t info, enum fast_kind kind)
{
    uint64_t epoch = vm_unmap_epoch;
    if (kind == FAST_CAPS && wf_msginfo_length(info) > WF_MSG_MAX_WORDS)
        return false;
    return s->ipcbuf.epoch == epoch && r->ipcbuf.epoch == epoch;
}

/* transfer (ipc.c) for a message that fast_buffers accepted: register words,
 * buffer words kernel page to kernel page, extra caps (FAST_CAPS, only with
 * grant, by the slow path's own rules: they cannot fail, only stop), then the
 * results. */
FAST void fast_transfer_buffers(struct tcb *s, struct tcb *r, wf_msginfo_t info, uint64_t badge,
                                enum fast_kind kind, bool grant, struct endpoint *via,
                                const struct fast_cspace *cs, bool one_level)
{
    unsigned len = wf_msginfo_length(info), xcaps = wf_msginfo_xcaps(info);
    wf_msginfo_t out = info & ~FAST_OUT_FIELDS;
    if (kind == FAST_WORDS) { /* 5 words or more */
        ctx_copy_mrs(&r->ctx, &s->ctx, WF_MSG_REG_WORDS);
        ipc_copy_words(r->ipcbuf.words, s->ipcbuf.words, len - WF_MSG_REG_WORDS);
    } else {
        ctx_copy_mrs(&r->ctx, &s->ctx, len);
        if (len > WF_MSG_REG_WORDS)
            ipc_copy_words(r->ipcbuf.words, s->ipcbuf.words, len - WF_MSG_REG_WORDS);
        if (grant) {
            unsigned unwrapped;
            unsigned done = xcaps == 1 ? fast_one_cap(s, r, cs, one_level, via, &unwrapped)
                                       : ipc_transfer_caps(s, r, via, xcaps, &unwrapped);
            out |= (wf_msginfo_t)done << WF_MSGINFO_XCAPS_SHIFT | (wf_msginfo_t)unwrapped
                                                                      << WF_MSGINFO_UNWRAP_SHIFT;
        }
    }
    ctx_set_result(&r->ctx, WF_ERR_OK, out, badge);
}

static __attribute__((noinline)) struct arch_context *
ipc_fastpath_call_levels(struct arch_context *ctx);
static __attribute__((noinline)) struct arch_context *
ipc_fastpath_reply_recv_levels(struct arch_context *ctx);

/* arch_exit_to_user under another name and type, as fast_slow is
 * kernel_entry: fast_leave's last step, so that the compiler does not find
 * fast_leave never returning either (it would then call it, not jump). */
struct arch_context *fast_exit_to_user(struct arch_context *ctx) __asm__("arch_exit_to_user");

/* The rest of fast_switch where it finds anything unusual (to's VSpace slot
 * holds no VSpace, a thread pointer to load, a frame the fast return cannot
 * restore): the scheduler's run (sched/switch.c) and the general exit. Out of
 * line and never returning, and reached by a jump as fast_slow is (`return
 * fast_leave(to)`), so that the fast path keeps no value across a call and
 * saves no register of its own, nor keeps a frame. */
static __attribute__((noinline, cold)) struct arch_context *fast_leave(struct tcb *to)
{
    vspace_activate(tcb_vspace(to));
    sched_fpu_switch(to);
    return fast_exit_to_user(&to->ctx);
}

/* Leaves for thread to (made current, RUNNABLE) from t: run (sched/switch.c)
 * inline. Returns to's context for the fast return, or leaves by the general
 * exit (fast_leave). Counts nothing (fast_switch counts). tls: a thread pointer
 * to load is loaded inline (the fast path of foreign system calls, where both
 * threads have one) rather than by the general exit. */
FAST struct arch_context *fast_switch_to(struct tcb *t, struct tcb *to, bool tls)
{
    struct cap vs = to->slots[WF_TCB_SLOT_VSPACE].cap;
    sched_current = to;
    /* t's VSpace is the active one (vspace_current): when to's slot holds the
     * same cap there is nothing to do, and when it holds another cap to a VSpace,
     * vspace_activate's compare is left out: a second cap to the same VSpace
     * (other rights) costs a root register load that changes nothing. */
    if (vs.w0 != t->slots[WF_TCB_SLOT_VSPACE].cap.w0) {
        if (cap_type(vs) != CAP_VSPACE)
            return fast_leave(to);
        struct vspace *v = cap_ptr_unpack(vs.w0);
        arch_vspace_load(v->root, &v->asid);
        vspace_current = v;
        v->cpus |= this_cpu_local.bit; /* the old one's bit goes lazily (vspace_tlb_shoot) */
    }
    sched_fpu_switch(to);
#if ARCH_FAST_FOREIGN
    if (tls) {
        if (!arch_context_activate_fast(&to->ctx))
            arch_context_load_tls_inline(&to->ctx);
        if (!ctx_fast_resume(&to->ctx))
            return fast_leave(to);
        return &to->ctx;
    }
#endif
    if (!arch_context_activate_fast(&to->ctx) || !ctx_fast_resume(&to->ctx))
        return fast_leave(to);
    return &to->ctx;
}

/* fast_switch_to for a Call or ReplyRecv that the fast path completed. */
FAST struct arch_context *fast_switch(struct tcb *t, struct tcb *to)
{
    ipc_stats.fast++;
    return fast_switch_to(t, to, false);
}

/* The same switch for the fast path of foreign system calls (fastpath_fault.c),
 * which counts its own. */
struct arch_context *ipc_fastpath_switch(struct tcb *t, struct tcb *to)
{
    return fast_switch_to(t, to, true);
}

/* Call: delivers the message to the waiting receiver and switches to it, or
 * goes to kernel_entry with nothing changed. */
FAST struct arch_context *fast_call(struct arch_context *ctx, bool one_level, enum fast_kind kind)
{
    struct tcb *t = tcb_of_ctx(ctx);
    wf_msginfo_t info = ctx_info(ctx);
    struct fast_cspace cs = {.root = t->slots[WF_TCB_SLOT_CSPACE].cap};
    if (one_level && !fast_one_level(t, &cs))
        return ipc_fastpath_call_levels(ctx);
    struct cap c = fast_lookup(&cs, one_level, ctx_cap(ctx));
    if (!fast_cap_is(c, CAP_ENDPOINT, WF_RIGHT_WRITE))
        return fast_slow(ctx);
    if (!(fast_rights(c) & (WF_RIGHT_GRANT | WF_RIGHT_GRANT_REPLY)))
        return fast_slow(ctx);
    struct endpoint *ep = cap_ptr_unpack(c.w0);
    if (ep->state != ENDPOINT_RECV)
        return fast_slow(ctx);
    struct tcb *r = ep->q.head;
    struct reply *rp = r->recv_reply;
    if (!rp || !sched_none_above(r->prio) || r->cpu != t->cpu)
        return fast_slow(ctx);
    if (kind != FAST_REGS && !fast_buffers(t, r, info, kind))
        return fast_slow(ctx);

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
    if (kind == FAST_REGS)
        fast_transfer(t, r, info, c.w1 /* cap_badge */);
    else
        fast_transfer_buffers(t, r, info, c.w1, kind, fast_rights(c) & WF_RIGHT_GRANT, ep, &cs,
                              one_level);
    /* reply_link_caller(rp, t) */
    assert(!rp->caller);
    rp->caller = t;
    t->state = TCB_BLOCKED_REPLY;
    t->blocked_on = rp;
    /* sched_switch_to(r) */
    r->state = TCB_RUNNABLE;
    return fast_switch(t, r);
}

/* ReplyRecv: delivers the reply to the waiting caller, queues t on the endpoint
 * and switches to the caller, or goes to kernel_entry with nothing changed. */
FAST struct arch_context *fast_reply_recv(struct arch_context *ctx, bool one_level,
                                          enum fast_kind kind)
{
    struct tcb *t = tcb_of_ctx(ctx);
    wf_msginfo_t info = ctx_info(ctx);
    struct fast_cspace cs = {.root = t->slots[WF_TCB_SLOT_CSPACE].cap};
    if (one_level && !fast_one_level(t, &cs))
        return ipc_fastpath_reply_recv_levels(ctx);
    struct cap rc = fast_lookup(&cs, one_level, ctx_reply_cap(ctx));
    if (cap_type(rc) != CAP_REPLY)
        return fast_slow(ctx);
    struct reply *rp = cap_ptr_unpack(rc.w0);
    struct tcb *c = rp->caller;
    if (!c || c->fault || !sched_none_above(c->prio) || c->cpu != t->cpu) {
        /* a reply to a fault: the fast path of foreign system calls
         * (fastpath_fault.c) takes what it can, the slow path the rest */
#if ARCH_FAST_FOREIGN
        if (kind == FAST_REGS)
            return ipc_fastpath_fault_reply_recv(ctx, rp, one_level ? cs.slots : NULL,
                                                 one_level ? cs.guard : 0);
#endif
        return fast_slow(ctx);
    }
    struct cap e = fast_lookup(&cs, one_level, ctx_cap(ctx));
    if (!fast_cap_is(e, CAP_ENDPOINT, WF_RIGHT_READ))
        return fast_slow(ctx);
    struct endpoint *ep = cap_ptr_unpack(e.w0);
    if (ep->state == ENDPOINT_SEND)
        return fast_slow(ctx);
    struct cap nc = t->slots[WF_TCB_SLOT_BOUND_NTFN].cap;
    if (cap_type(nc) == CAP_NOTIFICATION && ((struct notification *)cap_ptr_unpack(nc.w0))->word)
        return fast_slow(ctx);
    if (kind != FAST_REGS && !fast_buffers(t, c, info, kind))
        return fast_slow(ctx);

    /* reply_take_caller(rp) */
    rp->caller = NULL;
    c->blocked_on = NULL;
    if (kind == FAST_REGS)
        fast_transfer(t, c, info, WF_BADGE_NONE);
    else
        fast_transfer_buffers(t, c, info, WF_BADGE_NONE, kind, fast_rights(rc) & WF_RIGHT_GRANT,
                              NULL, &cs, one_level);
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
    return fast_switch(t, c);
}

/* The kind of the message in info. */
FAST enum fast_kind fast_kind_of(wf_msginfo_t info)
{
    if (fast_message(info))
        return FAST_REGS;
    return FAST_LEN_CAPS(info) <= WF_MSG_MAX_WORDS ? FAST_WORDS : FAST_CAPS;
}

/* Variants of each: a one-level CSpace (fast_one_level) or another, and the
 * three kinds of message. The common one (one level, registers) is inline in
 * the entry point and holds no buffer code, and only FAST_CAPS calls out (so
 * only it saves registers); the others are noinline functions it jumps to. */
#define FAST_VARIANT(op, kind, name)                                                               \
    static __attribute__((noinline)) struct arch_context *name(struct arch_context *ctx)           \
    {                                                                                              \
        return fast_##op(ctx, true, kind);                                                         \
    }
FAST_VARIANT(call, FAST_WORDS, ipc_fastpath_call_words)
FAST_VARIANT(call, FAST_CAPS, ipc_fastpath_call_caps)
FAST_VARIANT(reply_recv, FAST_WORDS, ipc_fastpath_reply_recv_words)
FAST_VARIANT(reply_recv, FAST_CAPS, ipc_fastpath_reply_recv_caps)

struct arch_context *ipc_fastpath_call(struct arch_context *ctx)
{
    wf_msginfo_t info = ctx_info(ctx);
    if (__builtin_expect(!fast_message(info), 0))
        return FAST_LEN_CAPS(info) <= WF_MSG_MAX_WORDS ? ipc_fastpath_call_words(ctx)
                                                       : ipc_fastpath_call_caps(ctx);
    return fast_call(ctx, true, FAST_REGS);
}

struct arch_context *ipc_fastpath_reply_recv(struct arch_context *ctx)
{
    wf_msginfo_t info = ctx_info(ctx);
    if (__builtin_expect(!fast_message(info), 0))
        return FAST_LEN_CAPS(info) <= WF_MSG_MAX_WORDS ? ipc_fastpath_reply_recv_words(ctx)
                                                       : ipc_fastpath_reply_recv_caps(ctx);
    return fast_reply_recv(ctx, true, FAST_REGS);
}

static __attribute__((noinline)) struct arch_context *
ipc_fastpath_call_levels(struct arch_context *ctx)
{
    switch (fast_kind_of(ctx_info(ctx))) {
    case FAST_REGS:
        return fast_call(ctx, false, FAST_REGS);
    case FAST_WORDS:
        return fast_call(ctx, false, FAST_WORDS);
    default:
        return fast_call(ctx, false, FAST_CAPS);
    }
}

static __attribute__((noinline)) struct arch_context *
ipc_fastpath_reply_recv_levels(struct arch_context *ctx)
{
    switch (fast_kind_of(ctx_info(ctx))) {
    case FAST_REGS:
        return fast_reply_recv(ctx, false, FAST_REGS);
    case FAST_WORDS:
        return fast_reply_recv(ctx, false, FAST_WORDS);
    default:
        return fast_reply_recv(ctx, false, FAST_CAPS);
    }
}
