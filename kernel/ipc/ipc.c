/*
 * The IPC slow path: message transfer, Send/Recv/Call/Reply on endpoints and
 * Reply objects, faults as messages (ipc/ipc.h).
 *
 * A message is a label, a length in words and up to three extra caps, described
 * by one info word (abi/include/weft/ipc.h). Words 0-3 travel in registers; the
 * rest are copied from the sender's IPC buffer to the receiver's: through the
 * kernel's view of each buffer page kept in the TCB while it is valid (struct
 * tcb_ipcbuf; decision 076), else through their VSpaces (vspace_read and
 * vspace_write, which fault the page in and after which the view is refilled),
 * so a bad buffer is an error for its owner and never a kernel fault. A blocked
 * sender keeps its message where it was: in
 * its saved registers and its IPC buffer; only the badge and rights of the cap it
 * used are recorded (t->badge, t->ipc_flags), because that cap may be deleted
 * before a receiver comes.
 *
 * Caps travel only when the sender's endpoint cap has Grant. Each extra cap the
 * sender names is either "unwrapped" (an endpoint cap to the very endpoint the
 * message goes through: the receiver gets its badge instead) or copied into the
 * one slot the receiver named in its IPC buffer; the first failure stops the
 * transfer (seL4's rules). The receiver learns how many went (info.xcaps) and
 * which were unwrapped.
 *
 * A Call is a send followed by waiting on a Reply object (seL4 MCS): the receiver
 * names the Reply object when it receives; the caller is linked to it until the
 * reply, a cancellation or the object's destruction. A fault is a Call the kernel
 * makes on the thread's behalf, whose words are built from its registers and
 * whose reply sets them.
 */
#include "ipc/ipc.h"

#include "cap/cdt.h"
#include "cap/cspace.h"
#include "cap/invoke.h"
#include "kprintf.h"
#include "mm/vm.h"
#include "obj/vspace.h"
#include "sched/sched.h"
#include "weft/syscalls.h"

#define BUF_MSG(i)    ((uint64_t)(i)*8)
#define BUF_CAPS      __builtin_offsetof(struct wf_ipc_buffer, caps_or_badges)
#define BUF_RECV_SLOT __builtin_offsetof(struct wf_ipc_buffer, receive_cnode)

uint64_t ipc_fastpath_sysno[2] = {WF_SYS_CALL, WF_SYS_REPLY_RECV};
uint64_t ipc_fastpath_foreign_below = WF_SYS_BASE;
struct ipc_stats ipc_stats;

/* Copies len bytes (whole words) at off in t's IPC buffer to or from buf:
 * through the cached kernel view, or else through its VSpace, which faults the
 * page in as t's own access would (and then caches it for the next message). */
static enum wf_error buf_copy(struct tcb *t, uint64_t off, void *buf, size_t len, bool to_buf)
{
    if (!t->ipc_buffer)
        return WF_ERR_INVALID_ARGUMENT;
    char *b = (char *)ipc_buffer_kptr(t);
    if (b) {
        if (to_buf)
            ipc_copy_words(buf, (const wf_word_t *)(b + off), len / 8);
        else
            ipc_copy_words((wf_word_t *)(b + off), buf, len / 8);
        return WF_ERR_OK;
    }
    enum wf_error e = to_buf ? vspace_read(tcb_vspace(t), t->ipc_buffer + off, buf, len)
                             : vspace_write(tcb_vspace(t), t->ipc_buffer + off, buf, len);
    if (e == WF_ERR_OK)
        ipc_buffer_kptr(t);
    return e;
}

static enum wf_error buf_read(struct tcb *t, uint64_t off, void *dst, size_t len)
{
    return buf_copy(t, off, dst, len, true);
}

static enum wf_error buf_write(struct tcb *t, uint64_t off, const void *src, size_t len)
{
    return buf_copy(t, off, (void *)(uintptr_t)src, len, false);
}

/* The empty slot where receiver r takes a cap, or NULL (none named, not empty,
 * or r's null slot). */
struct slot *ipc_receive_slot(struct tcb *r)
{
    wf_word_t rs[3]; /* receive_cnode, receive_index, receive_depth */
    if (buf_read(r, BUF_RECV_SLOT, rs, sizeof(rs)) != WF_ERR_OK || rs[2] < 1 || rs[2] > 64)
        return NULL;
    struct lookup_ret cn = cspace_lookup_cap(r->slots[WF_TCB_SLOT_CSPACE].cap, rs[0]);
    if (!cn.slot || cap_type(cn.slot->cap) != CAP_CNODE)
        return NULL;
    struct lookup_ret d = cspace_lookup_slot(cn.slot->cap, rs[1], (unsigned)rs[2]);
    if (!d.slot || inv_slot_reserved(r->slots[WF_TCB_SLOT_CSPACE].cap, d.slot))
        return NULL;
    return slot_is_empty(d.slot) ? d.slot : NULL;
}

unsigned ipc_transfer_caps(struct tcb *s, struct tcb *r, struct endpoint *via, unsigned n,
                           unsigned *unwrapped)
{
    wf_cptr_t cptrs[WF_MSG_MAX_XCAPS];
    wf_word_t badges[WF_MSG_MAX_XCAPS] = {0};
    struct slot *dest = NULL;
    bool dest_looked_up = false;
    unsigned done = 0;
    *unwrapped = 0;
    if (buf_read(s, BUF_CAPS, cptrs, n * sizeof(wf_cptr_t)) != WF_ERR_OK)
        return 0;
    for (; done < n; done++) {
        struct lookup_ret lr = cspace_lookup_cap(s->slots[WF_TCB_SLOT_CSPACE].cap, cptrs[done]);
        if (!lr.slot)
            break;
        struct cap c = lr.slot->cap;
        if (via && cap_type(c) == CAP_ENDPOINT && cap_object(c) == via) {
            badges[done] = cap_badge(c);
            *unwrapped |= 1u << done;
            continue;
        }
        if (!dest_looked_up) {
            dest = ipc_receive_slot(r);
            dest_looked_up = true;
        }
        if (!dest || cap_type(c) == CAP_UNTYPED || cap_type(c) == CAP_ZOMBIE)
            break;
        cdt_insert_derived(lr.slot, dest, c);
        dest = NULL; /* one slot: a second real cap stops the transfer */
    }
    if (*unwrapped)
        buf_write(r, BUF_CAPS, badges, sizeof(badges));
    return done;
}

/* Copies s's message (or its fault message) to r and sets r's receive results.
 * Returns the error for s: WF_ERR_INVALID_ARGUMENT when s's buffer could not be
 * read (the message was cut to its register words). */
static enum wf_error transfer(struct tcb *s, struct tcb *r, uint64_t badge, bool can_grant,
                              struct endpoint *via)
{
    wf_word_t words[WF_MSG_MAX_WORDS];
    wf_word_t label;
    unsigned len, xcaps = 0, unwrapped = 0;
    enum wf_error serr = WF_ERR_OK, rerr = WF_ERR_OK;
    if (s->fault) {
        label = s->fault;
        len = WF_FAULT_MSG_WORDS;
        for (unsigned i = 0; i < WF_REGS_COUNT; i++)
            words[i] = ctx_reg(&s->ctx, i);
        words[WF_FAULT_WORD_DETAIL0] = s->fault_detail[0];
        words[WF_FAULT_WORD_DETAIL1] = s->fault_detail[1];
    } else {
        wf_msginfo_t info = ctx_info(&s->ctx);
        label = wf_msginfo_label(info);
        len = MIN(wf_msginfo_length(info), WF_MSG_MAX_WORDS);
        for (unsigned i = 0; i < MIN(len, WF_MSG_REG_WORDS); i++)
            words[i] = ctx_mr(&s->ctx, i);
        if (len > WF_MSG_REG_WORDS &&
            buf_read(s, BUF_MSG(WF_MSG_REG_WORDS), &words[WF_MSG_REG_WORDS],
                     (len - WF_MSG_REG_WORDS) * 8) != WF_ERR_OK) {
            len = WF_MSG_REG_WORDS;
            serr = WF_ERR_INVALID_ARGUMENT;
        }
        if (can_grant && wf_msginfo_xcaps(info))
            xcaps = ipc_transfer_caps(s, r, via, wf_msginfo_xcaps(info), &unwrapped);
    }
    for (unsigned i = 0; i < MIN(len, WF_MSG_REG_WORDS); i++)
        ctx_set_mr(&r->ctx, i, words[i]);
    if (len > WF_MSG_REG_WORDS && buf_write(r, BUF_MSG(WF_MSG_REG_WORDS), &words[WF_MSG_REG_WORDS],
                                            (len - WF_MSG_REG_WORDS) * 8) != WF_ERR_OK) {
        len = WF_MSG_REG_WORDS;
        rerr = WF_ERR_INVALID_ARGUMENT;
    }
    wf_word_t info = ipc_info_out(label, xcaps, len) | (wf_word_t)unwrapped
                                                           << WF_MSGINFO_UNWRAP_SHIFT;
    ctx_set_result(&r->ctx, rerr, info, badge);
    return serr;
}

bool ipc_fastpath_set(bool on)
{
    bool was = ipc_fastpath_sysno[0] == WF_SYS_CALL;
    ipc_fastpath_sysno[0] = on ? WF_SYS_CALL : ~0ull;
    ipc_fastpath_sysno[1] = on ? WF_SYS_REPLY_RECV : ~0ull;
    ipc_fastpath_foreign_below = on ? WF_SYS_BASE : 0;
#ifdef ARCH_FASTPATH_SYSNO_COPIES
    arch_fastpath_sysno_changed(); /* riscv64: each hart's copy, for its entry */
#endif
    return was;
}

/* The sender s of a Call whose message went to a receiver without a Reply
 * object: nobody can answer, so its Call ends now (WF_ERR_CANCELLED). */
static void call_unanswerable(struct tcb *s)
{
    tcb_ipc_cancelled(s);
    if (s != sched_current)
        sched_wake(s);
}

void ipc_send(struct tcb *t, struct endpoint *ep, uint64_t badge, unsigned flags, bool blocking)
{
    if (ep->state == ENDPOINT_RECV) {
        struct tcb *r = endpoint_dequeue(ep);
        struct reply *rp = r->recv_reply;
        reply_unbind_receiver(r);
        enum wf_error e = transfer(t, r, badge, flags & TCB_IPC_GRANT, ep);
        if (!(flags & TCB_IPC_CALL)) {
            ctx_set_error(&t->ctx, e);
            sched_wake(r);
        } else if (rp) {
            reply_link_caller(rp, t);
            sched_switch_to(r);
        } else {
            call_unanswerable(t);
            sched_wake(r);
        }
        return;
    }
    if (!blocking) {
        ctx_set_error(&t->ctx, WF_ERR_WOULD_BLOCK);
        return;
    }
    t->state = TCB_BLOCKED_SEND;
    t->badge = badge;
    t->ipc_flags = (uint8_t)flags;
    endpoint_enqueue(ep, t, ENDPOINT_SEND);
}

void ipc_recv(struct tcb *t, struct endpoint *ep, struct reply *rp, bool blocking)
{
    struct notification *n = tcb_bound_notification(t);
    if (n && n->word) {
        ctx_set_result(&t->ctx, WF_ERR_OK, ipc_info_out(WF_MSG_LABEL_NOTIFICATION, 0, 0), n->word);
        n->word = 0;
        return;
    }
    if (ep->state == ENDPOINT_SEND) {
        struct tcb *s = endpoint_dequeue(ep);
        unsigned flags = s->ipc_flags;
        s->ipc_flags = 0;
        enum wf_error e = transfer(s, t, s->badge, flags & TCB_IPC_GRANT, ep);
        if (!(flags & TCB_IPC_CALL)) {
            ctx_set_error(&s->ctx, e);
            sched_wake(s);
        } else if (rp) {
            reply_bind_receiver(rp, t); /* cancels a caller still waiting on rp */
            reply_unbind_receiver(t);
            reply_link_caller(rp, s);
        } else {
            call_unanswerable(s);
        }
        return;
    }
    if (!blocking) {
        ctx_set_result(&t->ctx, WF_ERR_WOULD_BLOCK, 0, 0);
        return;
    }
    if (rp)
        reply_bind_receiver(rp, t);
    t->state = TCB_BLOCKED_RECV;
    endpoint_enqueue(ep, t, ENDPOINT_RECV);
}

/* Sets the faulting thread c's registers from t's reply (n words). */
static void fault_reply(struct tcb *t, struct tcb *c, unsigned n)
{
    wf_word_t words[WF_REGS_COUNT];
    n = MIN(n, WF_REGS_COUNT);
    for (unsigned i = 0; i < MIN(n, WF_MSG_REG_WORDS); i++)
        words[i] = ctx_mr(&t->ctx, i);
    if (n > WF_MSG_REG_WORDS && buf_read(t, BUF_MSG(WF_MSG_REG_WORDS), &words[WF_MSG_REG_WORDS],
                                         (n - WF_MSG_REG_WORDS) * 8) != WF_ERR_OK)
        n = WF_MSG_REG_WORDS;
    for (unsigned i = 0; i < n; i++)
        ctx_set_reg(&c->ctx, i, words[i]);
    c->fault = WF_FAULT_TYPE_NONE;
}

struct tcb *ipc_reply(struct tcb *t, struct reply *rp, bool can_grant)
{
    struct tcb *c = reply_take_caller(rp);
    if (!c)
        return NULL;
    if (c->fault)
        fault_reply(t, c, wf_msginfo_length(ctx_info(&t->ctx)));
    else
        transfer(t, c, WF_BADGE_NONE, can_grant, NULL);
    c->state = TCB_RUNNABLE;
    return c;
}

void ipc_fault(struct tcb *t, uint64_t type, uint64_t d0, uint64_t d1)
{
    struct cap fep = t->slots[WF_TCB_SLOT_FAULT_EP].cap;
    if (cap_type(fep) != CAP_ENDPOINT) {
        kprintf("fault: thread %p: fault type %lu (%#lx, %#lx) at pc %p, no fault endpoint: "
                "suspended\n",
                (void *)t, (unsigned long)type, (unsigned long)d0, (unsigned long)d1,
                (void *)ctx_pc(&t->ctx));
        tcb_suspend(t);
        return;
    }
    t->fault = type;
    t->fault_detail[0] = d0;
    t->fault_detail[1] = d1;
    ipc_send(t, cap_object(fep), cap_badge(fep), TCB_IPC_CALL, true);
}

void ipc_exception(struct tcb *t)
{
    const struct arch_fault *f = ctx_fault(&t->ctx);
    if (!f->page) {
        ipc_fault(t, WF_FAULT_TYPE_USER_EXCEPTION, f->exception, f->code);
        return;
    }
    if (!f->mapped && vm_fault(tcb_vspace(t), f->addr, f->access) == VM_FAULT_RESOLVED)
        return;
    ipc_fault(t, WF_FAULT_TYPE_VM_FAULT, f->addr,
              f->access | (f->present ? WF_VM_FAULT_PRESENT : 0) |
                  (f->mapped ? WF_VM_FAULT_MAPPED : 0));
}
