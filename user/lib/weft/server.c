/*
 * The server loop and the protocol runtime (wf/server.h; docs/protocols.md).
 *
 * One loop serves every protocol a server speaks: it receives a message into a
 * struct wf_server_req (registers, then the IPC buffer's words when the message
 * is longer than four), finds the protocol by label range and lets the
 * protocol's generated dispatch function check the message and call the
 * handler. The reply goes out with the next receive in one ReplyRecv, which the
 * kernel's fast path takes for short messages without caps.
 *
 * The Reply object the loop receives with is the one a Call binds to, so it
 * may not be named again while a deferred caller waits on it (that would cancel
 * the caller, decision 032). wf_server_defer therefore swaps it for a spare and
 * hands the bound one to the handler; wf_server_answer sends on it and puts it
 * back among the spares. After a deferral the next receive is a plain Recv:
 * there is nothing to reply to. The same holds after a signal of the thread's
 * bound notification, which the loop passes to on_notify instead of a
 * dispatch function.
 */
#include "wf/server.h"

#include <string.h>

#include "weft/invoke.h"
#include "wf/runtime.h"

enum wf_error wf_server_init(struct wf_server *s, const wf_cptr_t *replies, unsigned n)
{
    if (!s->ep || n < 1 || n > WF_SERVER_MAX_REPLIES)
        return WF_ERR_INVALID_ARGUMENT;
    for (unsigned i = 0; i < n; i++)
        if (!replies[i])
            return WF_ERR_INVALID_ARGUMENT;
    s->reply = replies[0];
    s->nspare = n - 1;
    for (unsigned i = 1; i < n; i++)
        s->spare[i - 1] = replies[i];
    s->stop = false;
    s->served = 0;
    return WF_ERR_OK;
}

enum wf_error wf_server_init_pool(struct wf_server *s, wf_cptr_t pool, wf_cptr_t cnode,
                                  wf_word_t first, unsigned n)
{
    wf_cptr_t replies[WF_SERVER_MAX_REPLIES];
    if (n == 0 || n > WF_SERVER_MAX_REPLIES)
        return WF_ERR_INVALID_ARGUMENT;
    for (unsigned i = 0; i < n; i++) {
        replies[i] = first + i;
        enum wf_error e = wf_pool_create(pool, WF_OBJ_REPLY, 0, cnode, replies[i], 64);
        if (e != WF_ERR_OK)
            return e;
    }
    return wf_server_init(s, replies, n);
}

wf_word_t wf_proto_truncated(struct wf_server_req *r, unsigned words, unsigned caps)
{
    r->rw[0] = words;
    r->rw[1] = caps;
    r->rlen = 2;
    return WF_ERR_TRUNCATED_MESSAGE;
}

wf_word_t wf_proto_too_long(struct wf_server_req *r, unsigned words)
{
    r->rw[0] = words; /* index of the first word beyond the message's shape */
    r->rlen = 1;
    return WF_ERR_INVALID_ARGUMENT;
}

wf_word_t wf_proto_range(struct wf_server_req *r, unsigned arg, wf_word_t max)
{
    r->rw[0] = arg;
    r->rw[1] = 0;
    r->rw[2] = max;
    r->rlen = 3;
    return WF_ERR_RANGE_ERROR;
}

wf_word_t wf_proto_bad_cap(struct wf_server_req *r, unsigned cap)
{
    r->rw[0] = cap;
    r->rlen = 1;
    return WF_ERR_INVALID_CAPABILITY;
}

wf_word_t wf_proto_check(struct wf_server_req *r, const struct wf_proto_shape *shape)
{
    unsigned words = shape->words, cap = shape->cap, want = words;
    if (wf_server_len(r) < words || wf_server_xcaps(r) < cap)
        return wf_proto_truncated(r, words, cap);
    if (shape->has_bytes) {
        unsigned k = words - 1; /* the byte count */
        if (r->w[k] > shape->bytes_max)
            return wf_proto_range(r, k, shape->bytes_max);
        want = words + (unsigned)WF_PROTO_WORDS(r->w[k]);
        if (wf_server_len(r) < want)
            return wf_proto_truncated(r, want, cap);
    }
    if (wf_server_len(r) > want)
        return wf_proto_too_long(r, want);
    if (wf_server_xcaps(r) > cap)
        return wf_proto_bad_cap(r, cap);
    if (!shape->has_bytes && (r->info & WF_PROTO_SHAPE_MASK) != WF_PROTO_SHAPE(words, cap))
        return wf_proto_bad_cap(r, 0); /* unwrapped */
    if (cap && !r->cap)                /* unwrapped, or the server takes no caps */
        return wf_proto_bad_cap(r, 0);
    return WF_ERR_OK;
}

void wf_proto_pack(wf_word_t *w, const void *p, size_t n)
{
    if (n % 8)
        w[n / 8] = 0;
    if (n)
        memcpy(w, p, n);
}

/* Finds the protocol of r's label and runs its dispatch function. */
static inline wf_word_t dispatch(struct wf_server *s, struct wf_server_req *r)
{
    r->rlen = 0;
    r->rcap = 0;
    r->deferred = false;
    s->served++;
    for (unsigned i = 0; i < s->nprotos; i++) {
        const struct wf_server_proto *p = &s->protos[i];
        if (r->label - p->first <= p->last - p->first) {
            wf_word_t e = p->dispatch(s, r, p->handlers);
            return r->deferred ? WF_SERVER_NO_REPLY : e;
        }
    }
    return WF_ERR_ILLEGAL_OPERATION;
}

wf_word_t wf_server_dispatch(struct wf_server *s, struct wf_server_req *r)
{
    return dispatch(s, r);
}

wf_cptr_t wf_server_defer(struct wf_server *s, struct wf_server_req *r)
{
    if (r->deferred || s->nspare == 0)
        return 0;
    wf_cptr_t kept = s->reply;
    s->reply = s->spare[--s->nspare];
    r->deferred = true;
    return kept;
}

/* Puts reply words 4.. and the reply cap in the IPC buffer; the info word. */
static wf_msginfo_t reply_out(struct wf_ipc_buffer *b, wf_word_t label, const wf_word_t *w,
                              unsigned n, wf_cptr_t cap)
{
    for (unsigned i = WF_MSG_REG_WORDS; i < n; i++)
        b->msg[i] = w[i];
    if (cap)
        b->caps_or_badges[0] = cap;
    return wf_msginfo(label, cap ? 1 : 0, n);
}

enum wf_error wf_server_answer(struct wf_server *s, wf_cptr_t reply, wf_word_t label,
                               const wf_word_t *w, unsigned n, wf_cptr_t cap)
{
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    if (!reply || reply == s->reply || s->nspare >= WF_SERVER_MAX_REPLIES || n > WF_MSG_MAX_WORDS ||
        (!b && (n > WF_MSG_REG_WORDS || cap)))
        return WF_ERR_INVALID_ARGUMENT;
    for (unsigned i = 0; i < s->nspare; i++)
        if (s->spare[i] == reply)
            return WF_ERR_INVALID_ARGUMENT;
    struct wf_msgregs m = {.info = reply_out(b, label, w, n, cap)};
    for (unsigned i = 0; i < n && i < WF_MSG_REG_WORDS; i++)
        m.w[i] = w[i];
    wf_word_t e = wf_sys_send(reply, &m);
    s->spare[s->nspare++] = reply;
    return (enum wf_error)e;
}

_Static_assert(__builtin_offsetof(struct wf_server_msg, w) ==
                   __builtin_offsetof(struct wf_msgregs, w),
               "a message buffer's words 0-3 are its registers' words");

wf_word_t wf_server_run(struct wf_server *s)
{
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    if (!b)
        return WF_ERR_INVALID_ARGUMENT;
    const wf_cptr_t ep = s->ep, cnode = s->recv_cnode;
    const wf_word_t slot = s->recv_slot;
    /* The message received and the reply built; ReplyRecv sends the reply and
     * receives into the same buffer, after which the two swap. */
    struct wf_server_msg bufs[2];
    struct wf_server_msg *in = &bufs[0], *out = &bufs[1];
    struct wf_server_req r;
    bufs[0].regs = (struct wf_msgregs){0};
    bool answer = false;
    /* Set once: wf_proto_call, the one runtime call that names a receive slot,
     * puts back what it found. */
    b->receive_cnode = cnode;
    b->receive_index = slot;
    b->receive_depth = 64;
    for (;;) {
        wf_word_t e;
        if (answer) {
            e = wf_sys_reply_recv(ep, s->reply, &out->regs);
            struct wf_server_msg *t = in;
            in = out;
            out = t;
        } else {
            e = wf_sys_recv(ep, s->reply, &in->regs);
        }
        if (e != WF_ERR_OK)
            return e;
        wf_msginfo_t info = in->info;
        if (info == wf_msginfo(WF_MSG_LABEL_NOTIFICATION, 0, 0)) {
            if (s->on_notify)
                s->on_notify(s, in->badge);
            answer = false;
            if (s->stop)
                return WF_ERR_OK;
            continue;
        }
        r.info = info;
        r.label = wf_msginfo_label(info);
        r.badge = in->badge;
        r.w = in->w;
        r.rw = out->w;
        r.cap = 0;
        if (info & (WF_PROTO_SHAPE_MASK & ~0x7fu)) { /* caps */
            if (cnode && wf_msginfo_xcaps(info) && !(wf_msginfo_unwrapped(info) & 1))
                r.cap = slot;
        }
        unsigned len = wf_msginfo_length(info);
        for (unsigned i = WF_MSG_REG_WORDS; i < len; i++)
            in->w[i] = b->msg[i];

        wf_word_t label = dispatch(s, &r);
        if (r.cap) /* kept caps were moved away: this only frees the slot */
            wf_cnode_delete(cnode, slot, 64);
        answer = label != WF_SERVER_NO_REPLY;
        if (answer) {
            unsigned n = (unsigned)(r.rlen <= WF_MSG_MAX_WORDS ? r.rlen : WF_MSG_MAX_WORDS);
            if (n > WF_MSG_REG_WORDS || r.rcap)
                out->info = reply_out(b, label, out->w, n, label == WF_ERR_OK ? r.rcap : 0);
            else
                out->info = wf_msginfo(label, 0, n);
        }
        if (s->stop) {
            if (answer)
                wf_sys_send(s->reply, &out->regs);
            return WF_ERR_OK;
        }
    }
}

wf_word_t wf_proto_call(wf_cptr_t ep, wf_word_t label, const wf_word_t *w, unsigned n,
                        wf_cptr_t cap, const wf_word_t recv[3], wf_word_t *out, unsigned nout,
                        unsigned *outlen, unsigned *outcaps)
{
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    if (outlen)
        *outlen = 0;
    if (outcaps)
        *outcaps = 0;
    if (!b || n > WF_MSG_MAX_WORDS)
        return WF_ERR_INVALID_ARGUMENT;
    struct wf_msgregs m = {.info = wf_msginfo(label, cap ? 1 : 0, n)};
    for (unsigned i = 0; i < n; i++) {
        if (i < WF_MSG_REG_WORDS)
            m.w[i] = w[i];
        else
            b->msg[i] = w[i];
    }
    if (cap)
        b->caps_or_badges[0] = cap;
    /* The receive slot for the reply's cap; a server thread's own is restored. */
    const wf_word_t saved[3] = {b->receive_cnode, b->receive_index, b->receive_depth};
    b->receive_cnode = recv ? recv[0] : 0;
    b->receive_index = recv ? recv[1] : 0;
    b->receive_depth = recv ? recv[2] : 0;
    wf_word_t e = wf_sys_call(ep, &m);
    b->receive_cnode = saved[0];
    b->receive_index = saved[1];
    b->receive_depth = saved[2];
    if (e != WF_ERR_OK)
        return e;
    unsigned len = wf_msginfo_length(m.info);
    if (len > WF_MSG_MAX_WORDS)
        len = WF_MSG_MAX_WORDS;
    for (unsigned i = 0; i < nout; i++)
        out[i] = i >= len ? 0 : i < WF_MSG_REG_WORDS ? m.w[i] : b->msg[i];
    if (outlen)
        *outlen = len;
    if (outcaps)
        *outcaps = wf_msginfo_xcaps(m.info) && !(wf_msginfo_unwrapped(m.info) & 1) ? 1 : 0;
    return wf_msginfo_label(m.info);
}
