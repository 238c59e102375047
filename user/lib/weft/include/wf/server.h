/*
 * Server protocols at run time (user/lib/weft/server.c): the server loop, and
 * the helpers the generated protocol code (wf/proto/NAME.h, tools/protogen.py,
 * docs/protocols.md) stands on.
 *
 * A protocol is a set of messages between user programs over an endpoint, each a
 * label in the protocol's label range with named words, at most one cap, results
 * and errors, written once in abi/protocols/NAME.proto. A message's words are its
 * word arguments in order, then, if it carries bytes, a byte count and the bytes
 * packed eight to a word (little-endian, zero-padded). A reply's label is an enum
 * wf_error; on WF_ERR_OK its words are the results in the same layout, otherwise
 * the error's details (abi/weft.def), as a kernel invocation's reply.
 *
 * The server loop (wf_server_run) receives on the server's endpoint, finds the
 * protocol whose label range holds the label, and calls the protocol's generated
 * dispatch function, which checks the message's shape first (unknown label,
 * wrong word count, byte count beyond the maximum, missing, extra or unwrapped
 * cap: docs/protocols.md lists the error of each) and answers a malformed one
 * with the error, no handler running. A well-formed message reaches its
 * handler, whose return value and results become the reply, sent with the next
 * receive in one ReplyRecv.
 *
 * Deferred replies. A Call binds its caller to the Reply object the server named
 * when it received. A handler that cannot answer yet (a console Read waiting for
 * input) calls wf_server_defer: the loop hands it that Reply object's cap and
 * takes a spare one for its next receive, so the caller stays blocked on the
 * kept Reply while the server goes on serving others. The handler (or any later
 * code of the server thread) answers with the protocol's generated
 * wfp_P_M_answer(), which sends on the kept Reply cap (decision 032) and gives the
 * Reply object back to the spares. A server holds as many outstanding requests
 * as it has Reply objects, less one.
 *
 * Caps. A message's cap lands in the server's receive slot; the handler gets its
 * CPtr and must move it elsewhere (CNode_Move) to keep it: after the handler the
 * loop empties the slot, so no cap a client sends stays behind unasked.
 *
 * Notifications. A server that also waits for something else (a driver's
 * interrupt) binds a notification to its thread (TCB_BindNotification): a signal
 * then ends the loop's receive with label WF_MSG_LABEL_NOTIFICATION, no words and
 * the notification word in the badge register (docs/ipc.md). The loop hands the
 * word to on_notify and receives again with a plain Recv: there is no caller to
 * reply to. A client can send a message that looks the same (the label is not
 * reserved to the kernel); its Call is not answered, and the next receive,
 * naming the same Reply object, ends it with CANCELLED. on_notify must therefore
 * take a spurious call calmly (check the device, find nothing to do).
 */
#ifndef WF_SERVER_H
#define WF_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/errors.h"
#include "weft/ipc.h"
#include "wf/syscall.h"

/* Most Reply objects (current plus spares) one server keeps. */
#define WF_SERVER_MAX_REPLIES 16u

/* Words that n packed bytes take. */
#define WF_PROTO_WORDS(nbytes) (((nbytes) + 7u) / 8u)

/* A message buffer: the registers of a message (what the system calls take)
 * followed by the rest of its words, so that words 0-3 arrive in place. */
struct wf_server_msg {
    union {
        struct wf_msgregs regs;
        struct {
            wf_msginfo_t info;
            wf_word_t badge;
            wf_word_t w[WF_MSG_MAX_WORDS];
        };
    };
};

/* One received message, and the reply being built for it. Valid only while its
 * handler runs: a handler that defers copies what it needs. */
struct wf_server_req {
    wf_msginfo_t info;  /* the message's info word (length, caps: wf_msginfo_*) */
    wf_word_t label;    /* its label */
    wf_word_t badge;    /* badge of the cap the client called through */
    const wf_word_t *w; /* its words w[0..length) */
    wf_word_t *rw;      /* the reply's words (room for WF_MSG_MAX_WORDS) */
    wf_cptr_t cap;      /* CPtr of the received cap (the receive slot), or 0 */
    wf_word_t rlen;     /* reply words (results, or an error's details) */
    wf_cptr_t rcap;     /* a cap to send with the reply, or 0 */
    bool deferred;      /* set by wf_server_defer */
};

/* The low 12 bits of a message info word: length, extra caps, unwrapped mask.
 * A message of fixed shape (words, caps, nothing unwrapped) is one compare. */
#define WF_PROTO_SHAPE_MASK 0xfffu
#define WF_PROTO_SHAPE(words, caps)                                                                \
    ((wf_word_t)(words) | (wf_word_t)(caps) << WF_MSGINFO_XCAPS_SHIFT)

/* Words, extra caps (transferred or unwrapped) and unwrapped mask of r. */
static inline unsigned wf_server_len(const struct wf_server_req *r)
{
    return wf_msginfo_length(r->info);
}

static inline unsigned wf_server_xcaps(const struct wf_server_req *r)
{
    return wf_msginfo_xcaps(r->info);
}

struct wf_server;

/* One protocol a server serves: its label range, its generated dispatch
 * function and the handler table the dispatch function calls. */
struct wf_server_proto {
    wf_word_t first, last;
    wf_word_t (*dispatch)(struct wf_server *s, struct wf_server_req *r, const void *handlers);
    const void *handlers;
};

/* A server: set the fields marked "in", then call wf_server_run. */
struct wf_server {
    wf_cptr_t ep;                           /* in: endpoint received on (Read right) */
    wf_cptr_t recv_cnode;                   /* in: CNode of the receive slot, 0: take no caps */
    wf_word_t recv_slot;                    /* in: its index (depth 64; also its CPtr) */
    const struct wf_server_proto *protos;   /* in: protocols served */
    unsigned nprotos;                       /* in */
    void *ctx;                              /* in: the handlers' own state */
    wf_cptr_t reply;                        /* Reply object the next receive binds */
    wf_cptr_t spare[WF_SERVER_MAX_REPLIES]; /* free Reply objects */
    unsigned nspare;
    bool stop;        /* set by a handler: the loop replies, then returns */
    wf_word_t served; /* messages dispatched (well-formed or not) */
    /* in, optional: called with the word when a receive returns a signal of the
     * thread's bound notification (NULL: such a receive is ignored). It runs on
     * the server thread between messages, so it may answer deferred requests
     * (wf_server_answer) and set stop. */
    void (*on_notify)(struct wf_server *s, wf_word_t bits);
};

/* Prepares s (its "in" fields already set) with the Reply objects replies[0..n)
 * (n >= 1, at most WF_SERVER_MAX_REPLIES): the first binds the first receive,
 * the rest are spares for deferred replies. Returns WF_ERR_OK, or
 * WF_ERR_INVALID_ARGUMENT for a bad count or a null endpoint or Reply cap. */
enum wf_error wf_server_init(struct wf_server *s, const wf_cptr_t *replies, unsigned n);

/* wf_server_init with n Reply objects (1 to WF_SERVER_MAX_REPLIES) made from
 * pool (Pool_Create) into slots first .. first + n - 1 of cnode (a CNode cap
 * whose CPtrs are slot indexes at depth 64, as a program's own CNode). Returns
 * the first failing invocation's error, WF_ERR_INVALID_ARGUMENT for a bad n. */
enum wf_error wf_server_init_pool(struct wf_server *s, wf_cptr_t pool, wf_cptr_t cnode,
                                  wf_word_t first, unsigned n);

/* Serves until a handler (or on_notify) sets s->stop (after that message's
 * reply) or a receive fails. Returns WF_ERR_OK after a stop, else the receive's
 * error. Must run on a thread with an IPC buffer (words 4 and up, caps). */
wf_word_t wf_server_run(struct wf_server *s);

/* The part of the loop after a receive, exposed for host tests: dispatches r
 * (info, label, badge, w, rw and cap set) by label through s->protos and leaves
 * the reply in r (label returned; r->rlen, r->rw, r->rcap). Returns
 * WF_SERVER_NO_REPLY when the handler deferred its reply. */
wf_word_t wf_server_dispatch(struct wf_server *s, struct wf_server_req *r);
#define WF_SERVER_NO_REPLY (~(wf_word_t)0)

/* Called by a handler: the reply to r will be sent later. Returns the Reply cap
 * to answer through (keep it; pass it to the generated wfp_P_M_answer), or 0 when
 * no spare Reply object is left: the handler must then answer now (return an
 * error, e.g. WF_ERR_NOT_ENOUGH_MEMORY). */
wf_cptr_t wf_server_defer(struct wf_server *s, struct wf_server_req *r);

/* Answers a deferred request through reply (a cap wf_server_defer returned) with
 * label and words w[0..n) (n <= WF_MSG_MAX_WORDS), plus cap if not 0, and returns
 * the Reply object to s's spares. Returns the Send's error (WF_ERR_OK also when
 * the caller is gone), or WF_ERR_INVALID_ARGUMENT for a cap that is not one of
 * s's deferred replies or a bad count (nothing sent). */
enum wf_error wf_server_answer(struct wf_server *s, wf_cptr_t reply, wf_word_t label,
                               const wf_word_t *w, unsigned n, wf_cptr_t cap);

/* The shape of a protocol message, which its generated dispatch function checks
 * with wf_proto_check before the handler runs: words fixed words (the word
 * arguments, then the byte count when it carries bytes), at most bytes_max bytes
 * after them (has_bytes), one cap or none. */
struct wf_proto_shape {
    uint16_t words;
    uint16_t bytes_max;
    uint8_t has_bytes;
    uint8_t cap;
};

/* Checks r against shape: WF_ERR_OK when the handler may run, else the first
 * error (docs/protocols.md lists them), its details filled in r. */
wf_word_t wf_proto_check(struct wf_server_req *r, const struct wf_proto_shape *shape);

/* The well-formed case, inline: r has exactly its shape (its words, as many
 * bytes as its count says and no more than the maximum, the cap transferred,
 * nothing unwrapped): one compare of the info word, after a bound check of the
 * byte count. When it is false, wf_proto_check finds the error (a tail call: the
 * dispatch function's hot path saves no registers for it). Reading the count
 * word of a message shorter than its shape is harmless: the buffer holds
 * WF_MSG_MAX_WORDS words, and the compare fails on the length. */
static inline bool wf_proto_fits(const struct wf_server_req *r, const struct wf_proto_shape *shape)
{
    wf_word_t want = shape->words;
    if (shape->has_bytes) {
        wf_word_t n = r->w[shape->words - 1];
        if (n > shape->bytes_max)
            return false;
        want += WF_PROTO_WORDS(n);
    }
    return (r->info & WF_PROTO_SHAPE_MASK) == WF_PROTO_SHAPE(want, shape->cap) &&
           (!shape->cap || r->cap);
}

/* Generated dispatch helpers: each fills r with the error's details and returns
 * the error, so that a check is one line. */
wf_word_t wf_proto_truncated(struct wf_server_req *r, unsigned words, unsigned caps);
wf_word_t wf_proto_too_long(struct wf_server_req *r, unsigned words);
wf_word_t wf_proto_range(struct wf_server_req *r, unsigned arg, wf_word_t max);
wf_word_t wf_proto_bad_cap(struct wf_server_req *r, unsigned cap);

/* Packs n bytes of p into words w[0..WF_PROTO_WORDS(n)) (the last zero-padded). */
void wf_proto_pack(wf_word_t *w, const void *p, size_t n);

/* A client's call of a protocol message that needs the IPC buffer (bytes, caps,
 * more than four words): sends label with w[0..n) and cap (if not 0), takes a
 * reply cap into recv (cnode, index, depth; cnode 0: none), and copies at most
 * nout reply words into out. Returns the reply's label (an enum wf_error) or the
 * system call's error; *outlen (may be NULL) gets the reply words received, 0 on
 * a failed system call; *outcaps (may be NULL) the caps that came with the reply
 * (0 or 1). WF_ERR_INVALID_ARGUMENT without a system call when the
 * thread has no IPC buffer or n is too large. */
wf_word_t wf_proto_call(wf_cptr_t ep, wf_word_t label, const wf_word_t *w, unsigned n,
                        wf_cptr_t cap, const wf_word_t recv[3], wf_word_t *out, unsigned nout,
                        unsigned *outlen, unsigned *outcaps);

#endif
