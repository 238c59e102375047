/*
 * The fast path of a foreign system call's round trip (decision 138): a
 * system call whose number is outside Weft's window becomes an UNKNOWN_SYSCALL
 * fault message on the thread's fault endpoint (ipc_fault: a Call the kernel
 * makes on the thread's behalf), and the handler's one-word reply becomes the
 * thread's rax. A Linux program under lx makes every system call this way, so
 * the two legs are the Linux personality's cost per call (docs/linux.md, Cost).
 *
 * Send leg (ipc_fastpath_foreign): the syscall entry hands it every number
 * below WF_SYS_BASE. When the thread's fault endpoint has a receiver waiting
 * with a Reply object, it builds the 20-word fault message straight into the
 * receiver (four words in its registers, sixteen in its IPC buffer through the
 * kernel's view of it, struct tcb_ipcbuf), links the thread to the Reply object
 * and switches to the receiver, as ipc_fault -> ipc_send -> transfer ->
 * reply_link_caller -> sched_switch_to would.
 *
 * Reply leg (ipc_fastpath_fault_reply_recv): the register variants of the IPC
 * fast path's ReplyRecv (fastpath.c) come here instead of the slow path when
 * the Reply object's caller is a faulting thread. A reply of at most one word
 * to a thread stopped by an UNKNOWN_SYSCALL fault sets its rax (fault_reply)
 * and switches back to it; the handler waits on its endpoint again
 * (ipc_reply, ipc_recv, sched_switch_to).
 *
 * Conditions, all checked before anything changes; otherwise the general path
 * runs with nothing touched (kernel_entry):
 *   - send: the fast path is on (ipc_fastpath_set; the entry's compare with
 *     ipc_fastpath_foreign_below tests it); the fault endpoint slot holds an
 *     endpoint cap (ipc_fault uses it whatever its rights, with its badge);
 *     a receiver waits on it (ENDPOINT_RECV) with a Reply object; no
 *     queued thread outranks the receiver; the receiver's IPC buffer view is
 *     valid (the slow path would write its words through the VSpace);
 *   - reply: the caller waits for the reply to an UNKNOWN_SYSCALL fault (other
 *     faults' replies set more registers); the reply has at most one word (a
 *     longer one sets more registers: lx's answer with every register, when a
 *     signal's handler is to run or rt_sigreturn restored them, goes the slow
 *     way); no queued thread outranks the caller; the endpoint cap has Read, no
 *     sender is queued on it, and the handler's bound notification has nothing
 *     pending (the same as fastpath.c's ReplyRecv).
 * Either leg ends in the IPC fast path's switch (ipc_fastpath_switch): page
 * tables, FPU, thread pointer, and the fast return when the partner's frame
 * allows it. Both legs run inside the kernel lock, which the entry took.
 *
 * Counts: a fault message sent here counts in ipc_stats.fault_fast (fault
 * messages are in neither of the other counts); a ReplyRecv completed here is
 * one the fast path completed (ipc_stats.fast), as in fastpath.c.
 */
#include "cap/cspace.h"
#include "ipc/ipc.h"
#include "ipc/syscall.h"
#include "mm/vm.h"
#include "obj/vspace.h"
#include "sched/sched.h"
#include "weft/syscalls.h"

#if ARCH_FAST_FOREIGN /* the ports whose syscall entry hands these over */

#define FAST static inline __attribute__((always_inline))

/* The cap cptr names in t's CSpace, or a null cap where the lookup fails (an
 * empty slot's cap is null too, so a type check covers both). slots, guard:
 * the root as fastpath.c decoded it (fast_one_level: a lookup is one XOR), or
 * slots NULL: the general resolver. */
FAST struct cap fault_lookup(struct tcb *t, wf_cptr_t cptr, const struct slot *slots,
                             uint64_t guard)
{
    if (slots) {
        unsigned radix = cap_cnode_radix(t->slots[WF_TCB_SLOT_CSPACE].cap);
        uint64_t index = cptr ^ guard;
        if (index >> radix)
            return (struct cap){0};
        return slots[index].cap;
    }
    struct lookup_ret lr = cspace_lookup_cap(t->slots[WF_TCB_SLOT_CSPACE].cap, cptr);
    return lr.slot ? lr.slot->cap : (struct cap){0};
}

struct arch_context *ipc_fastpath_foreign(struct arch_context *ctx)
{
    struct tcb *t = tcb_of_ctx(ctx);
    struct cap fep = t->slots[WF_TCB_SLOT_FAULT_EP].cap;
    if (cap_type(fep) != CAP_ENDPOINT)
        kernel_entry(ctx);
    struct endpoint *ep = cap_ptr_unpack(fep.w0);
    if (ep->state != ENDPOINT_RECV)
        kernel_entry(ctx);
    struct tcb *r = ep->q.head;
    struct reply *rp = r->recv_reply;
    if (!rp || !sched_none_above(r->prio) || r->cpu != t->cpu || r->ipcbuf.epoch != vm_unmap_epoch)
        kernel_entry(ctx);

    /* ipc_fault: the fault recorded (not its details, t->fault_detail: only
     * transfer reads them, and this is the transfer; a cancelled fault message
     * runs the system call again, which records them anew) */
    t->fault = WF_FAULT_TYPE_UNKNOWN_SYSCALL;
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
    /* transfer: the fault message, registers in enum wf_fault_word order, the
     * first WF_MSG_REG_WORDS in r's registers, the rest in its IPC buffer */
    static_assert(WF_MSG_REG_WORDS == 4 && WF_REGS_COUNT == 18 && WF_FAULT_MSG_WORDS == 20,
                  "the fault message's layout");
    ctx_set_mr(&r->ctx, 0, ctx_syscall_reg(ctx, 0));
    ctx_set_mr(&r->ctx, 1, ctx_syscall_reg(ctx, 1));
    ctx_set_mr(&r->ctx, 2, ctx_syscall_reg(ctx, 2));
    ctx_set_mr(&r->ctx, 3, ctx_syscall_reg(ctx, 3));
    uint64_t *w = r->ipcbuf.words - WF_MSG_REG_WORDS; /* w[i]: message word i */
    /* one by one, so that each ctx_reg is a load (a loop is a jump table) */
#define FAULT_WORD(i) w[i] = ctx_syscall_reg(ctx, i)
    FAULT_WORD(4);
    FAULT_WORD(5);
    FAULT_WORD(6);
    FAULT_WORD(7);
    FAULT_WORD(8);
    FAULT_WORD(9);
    FAULT_WORD(10);
    FAULT_WORD(11);
    FAULT_WORD(12);
    FAULT_WORD(13);
    FAULT_WORD(14);
    FAULT_WORD(15);
    FAULT_WORD(16);
    FAULT_WORD(17);
#undef FAULT_WORD
    w[WF_FAULT_WORD_DETAIL0] = t->abi;
    w[WF_FAULT_WORD_DETAIL1] = 0;
    ctx_set_result(&r->ctx, WF_ERR_OK,
                   ipc_info_out(WF_FAULT_TYPE_UNKNOWN_SYSCALL, 0, WF_FAULT_MSG_WORDS),
                   fep.w1 /* cap_badge */);
    /* reply_link_caller(rp, t) */
    assert(!rp->caller);
    rp->caller = t;
    t->state = TCB_BLOCKED_REPLY;
    t->blocked_on = rp;
    /* sched_switch_to(r) */
    r->state = TCB_RUNNABLE;
    ipc_stats.fault_fast++;
    return ipc_fastpath_switch(t, r);
}

/* ipc_fastpath_fault_reply_recv's body; slots NULL: the general lookup. */
FAST struct arch_context *fault_reply_recv(struct arch_context *ctx, struct reply *rp,
                                           const struct slot *slots, uint64_t guard)
{
    struct tcb *t = tcb_of_ctx(ctx);
    struct tcb *c = rp->caller;
    wf_msginfo_t info = ctx_info(ctx);
    unsigned len = wf_msginfo_length(info);
    if (!c || c->fault != WF_FAULT_TYPE_UNKNOWN_SYSCALL || len > 1 || !sched_none_above(c->prio) ||
        c->cpu != t->cpu)
        kernel_entry(ctx);
    struct cap e = fault_lookup(t, ctx_cap(ctx), slots, guard);
    if (cap_type(e) != CAP_ENDPOINT || !(cap_rights(e) & WF_RIGHT_READ))
        kernel_entry(ctx);
    struct endpoint *ep = cap_ptr_unpack(e.w0);
    if (ep->state == ENDPOINT_SEND)
        kernel_entry(ctx);
    struct cap nc = t->slots[WF_TCB_SLOT_BOUND_NTFN].cap;
    if (cap_type(nc) == CAP_NOTIFICATION && ((struct notification *)cap_ptr_unpack(nc.w0))->word)
        kernel_entry(ctx);

    /* reply_take_caller(rp) */
    rp->caller = NULL;
    c->blocked_on = NULL;
    /* fault_reply: word 0 is the system call's result register */
    if (len)
        ctx_set_syscall_result(&c->ctx, ctx_mr(ctx, 0));
    c->fault = WF_FAULT_TYPE_NONE;
    /* reply_bind_receiver(rp, t): with a caller, rp has no receiver, and t,
     * which runs, receives nothing */
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
    ipc_stats.fast++;
    return ipc_fastpath_switch(t, c);
}

/* The variant for a CSpace that needs the general lookup: out of line, so that
 * the one-level variant makes no call but its jumps to ipc_fastpath_switch and
 * kernel_entry, and keeps no register of its own across one. */
static __attribute__((noinline)) struct arch_context *
fault_reply_recv_levels(struct arch_context *ctx, struct reply *rp)
{
    return fault_reply_recv(ctx, rp, NULL, 0);
}

struct arch_context *ipc_fastpath_fault_reply_recv(struct arch_context *ctx, struct reply *rp,
                                                   const struct slot *slots, uint64_t guard)
{
    if (!slots)
        return fault_reply_recv_levels(ctx, rp);
    return fault_reply_recv(ctx, rp, slots, guard);
}

#endif /* ARCH_FAST_FOREIGN */
