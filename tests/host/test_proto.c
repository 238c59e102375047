/*
 * Server protocols on the host: the generated dispatch functions (the test-only
 * echo protocol, abi/protocols/test/echo.proto, and name and console), the
 * server loop (user/lib/weft/server.c) and the generated client stubs, against a
 * test double of the syscall instruction that plays the kernel: it logs what
 * each system call hands over (registers, IPC buffer words, caps, receive slot)
 * and answers from a script. Checked: every malformed message shape is answered
 * with its error and details and no handler runs; well-formed messages reach
 * their handler with their arguments and the results become the reply; the loop
 * replies with ReplyRecv, frees the receive slot after a cap, swaps Reply objects
 * for a deferred reply and answers it later with Send; the stubs pack bytes,
 * refuse what they must without a system call, and never copy more than the
 * reply holds or the caller's buffer takes.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/echo.h"
#include "weft/invoke.h"
#include "wf/proto/console.h"
#include "wf/proto/name.h"
#include "wf/runtime.h"

/* --- the kernel's part ------------------------------------------------------------ */

#define SCRIPT_MAX 16

struct logged {
    wf_word_t nr, cap, reply;
    struct wf_msgregs in;
    wf_word_t msg[WF_MSG_MAX_WORDS]; /* the IPC buffer's words at the call */
    wf_word_t cap0;                  /* caps_or_badges[0] */
    wf_word_t rcv[3];                /* receive_cnode, _index, _depth */
};

static struct {
    unsigned n, nscript;
    struct logged log[SCRIPT_MAX];
    struct {
        wf_word_t rax;
        struct wf_msgregs out;
        wf_word_t msg[WF_MSG_MAX_WORDS];
    } script[SCRIPT_MAX];
} K;

static struct wf_ipc_buffer ipcbuf __attribute__((aligned(4096)));

wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m)
{
    cr_assert_lt(K.n, SCRIPT_MAX);
    struct logged *l = &K.log[K.n];
    l->nr = nr;
    l->cap = cap;
    l->reply = reply;
    l->in = *m;
    memcpy(l->msg, ipcbuf.msg, sizeof(l->msg));
    l->cap0 = ipcbuf.caps_or_badges[0];
    l->rcv[0] = ipcbuf.receive_cnode;
    l->rcv[1] = ipcbuf.receive_index;
    l->rcv[2] = ipcbuf.receive_depth;
    if (K.n >= K.nscript) { /* the script is over: the receive fails */
        K.n++;
        return WF_ERR_CANCELLED;
    }
    *m = K.script[K.n].out;
    memcpy(&ipcbuf.msg[WF_MSG_REG_WORDS], &K.script[K.n].msg[WF_MSG_REG_WORDS],
           sizeof(ipcbuf.msg) - WF_MSG_REG_WORDS * sizeof(wf_word_t));
    return K.script[K.n++].rax;
}

/* Scripts the answer of the next system call: a message (label, xcaps with the
 * unwrapped mask, words), delivered with rax OK. */
static void script(wf_word_t label, unsigned xcaps, unsigned unwrapped, const wf_word_t *w,
                   unsigned n, wf_word_t badge)
{
    cr_assert_lt(K.nscript, SCRIPT_MAX);
    K.script[K.nscript].rax = WF_ERR_OK;
    K.script[K.nscript].out.info = wf_msginfo(label, xcaps, n) | (wf_word_t)unwrapped
                                                                     << WF_MSGINFO_UNWRAP_SHIFT;
    K.script[K.nscript].out.badge = badge;
    for (unsigned i = 0; i < n; i++) {
        if (i < WF_MSG_REG_WORDS)
            K.script[K.nscript].out.w[i] = w[i];
        else
            K.script[K.nscript].msg[i] = w[i];
    }
    K.nscript++;
}

/* The reply word i a logged system call sent (registers or IPC buffer). */
static wf_word_t sent_word(const struct logged *l, unsigned i)
{
    return i < WF_MSG_REG_WORDS ? l->in.w[i] : l->msg[i];
}

/* --- an echo server's handlers ------------------------------------------------------ */

static struct {
    unsigned calls;
    wf_word_t a, b, badge, prefix, len, cap;
    char text[WFP_ECHO_TEXT_MAX];
    wf_cptr_t kept[4];
    wf_word_t tokens[4];
    unsigned nkept;
    wf_word_t claim; /* on_text: the reply length it claims (0: the real one) */
} H;

static wf_word_t on_add(struct wf_server *s, struct wf_server_req *r, wf_word_t a, wf_word_t b,
                        wf_word_t *sum, wf_word_t *diff)
{
    H.calls++;
    H.a = a;
    H.b = b;
    H.badge = r->badge;
    *sum = a + b;
    *diff = a - b;
    return WF_ERR_OK;
}

static wf_word_t on_text(struct wf_server *s, struct wf_server_req *r, wf_word_t prefix,
                         const char *text, wf_word_t len, char *out, wf_word_t *out_len)
{
    H.calls++;
    H.prefix = prefix;
    H.len = len;
    memcpy(H.text, text, len);
    if (prefix > len)
        return WF_ERR_RANGE_ERROR;
    for (wf_word_t i = 0; i < len - prefix; i++)
        out[i] = text[len - 1 - i];
    *out_len = H.claim ? H.claim : len - prefix;
    return WF_ERR_OK;
}

static wf_word_t on_bounce(struct wf_server *s, struct wf_server_req *r, wf_cptr_t cap,
                           wf_word_t *type, wf_cptr_t *copy)
{
    H.calls++;
    H.cap = cap;
    *type = 77;
    *copy = 0x99;
    return WF_ERR_OK;
}

static wf_word_t on_wait(struct wf_server *s, struct wf_server_req *r, wf_word_t token,
                         wf_word_t *back)
{
    H.calls++;
    wf_cptr_t rp = wf_server_defer(s, r);
    if (!rp)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    H.kept[H.nkept] = rp;
    H.tokens[H.nkept++] = token;
    return WF_ERR_OK;
}

static wf_word_t on_kick(struct wf_server *s, struct wf_server_req *r, wf_word_t *woken)
{
    H.calls++;
    for (unsigned i = 0; i < H.nkept; i++)
        cr_assert_eq(wfp_echo_wait_answer(s, H.kept[i], WF_ERR_OK, H.tokens[i] + 1), WF_ERR_OK);
    *woken = H.nkept;
    H.nkept = 0;
    return WF_ERR_OK;
}

static wf_word_t on_quit(struct wf_server *s, struct wf_server_req *r)
{
    H.calls++;
    s->stop = true;
    return WF_ERR_OK;
}

static const struct wfp_echo_handlers echo_h = {on_add,  on_text, on_bounce,
                                                on_wait, on_kick, on_quit};
static const struct wfp_name_handlers name_h = {0}; /* no handlers: ILLEGAL_OPERATION */
static const struct wfp_console_handlers console_h = {0};
static const struct wf_server_proto protos[] = {
    WFP_NAME_PROTO_ENTRY(&name_h),
    WFP_CONSOLE_PROTO_ENTRY(&console_h),
    WFP_ECHO_PROTO_ENTRY(&echo_h),
};

#define EP        0x10
#define RECV_NODE 0x20
#define RECV_SLOT 0x30
static const wf_cptr_t replies[3] = {0x41, 0x42, 0x43};
static struct wf_server srv;

static void setup(void)
{
    memset(&K, 0, sizeof(K));
    memset(&H, 0, sizeof(H));
    memset(&ipcbuf, 0xcc, sizeof(ipcbuf));
    wf_set_ipc_buffer(&ipcbuf);
    srv = (struct wf_server){
        .ep = EP, .recv_cnode = RECV_NODE, .recv_slot = RECV_SLOT, .protos = protos, .nprotos = 3};
    cr_assert_eq(wf_server_init(&srv, replies, 3), WF_ERR_OK);
}

TestSuite(proto, .init = setup);

/* --- dispatch: one message, no system call ------------------------------------------ */

static struct wf_server_msg in_buf, out_buf;
static struct wf_server_req R;

/* Dispatches a message (label, words, xcaps, unwrapped mask, the cap's CPtr as the
 * loop would set it) and returns the reply label; R holds the reply. */
static wf_word_t dispatch(wf_word_t label, const wf_word_t *w, unsigned n, unsigned xcaps,
                          unsigned unwrapped, wf_cptr_t cap)
{
    memset(&out_buf, 0xdd, sizeof(out_buf));
    if (n)
        memcpy(in_buf.w, w, n * sizeof(wf_word_t));
    R = (struct wf_server_req){.info = wf_msginfo(label, xcaps, n) | (wf_word_t)unwrapped
                                                                         << WF_MSGINFO_UNWRAP_SHIFT,
                               .label = label,
                               .badge = 0x5a,
                               .w = in_buf.w,
                               .rw = out_buf.w,
                               .cap = cap};
    return wf_server_dispatch(&srv, &R);
}

Test(proto, good_messages_reach_their_handlers)
{
    const wf_word_t add[2] = {40, 2};
    cr_assert_eq(dispatch(WFP_ECHO_ADD, add, 2, 0, 0, 0), WF_ERR_OK);
    cr_assert_eq(H.calls, 1);
    cr_assert_eq(H.a, 40);
    cr_assert_eq(H.b, 2);
    cr_assert_eq(H.badge, 0x5a);
    cr_assert_eq(R.rlen, 2);
    cr_assert_eq(R.rw[0], 42);
    cr_assert_eq(R.rw[1], 38);

    wf_word_t text[2 + 3] = {2, 19};
    wf_proto_pack(&text[2], "abcdefghijklmnopqrs", 19);
    cr_assert_eq(dispatch(WFP_ECHO_TEXT, text, 5, 0, 0, 0), WF_ERR_OK);
    cr_assert_eq(H.len, 19);
    cr_assert_eq(H.prefix, 2);
    cr_assert_eq(memcmp(H.text, "abcdefghijklmnopqrs", 19), 0);
    cr_assert_eq(R.rw[0], 17);
    cr_assert_eq(R.rlen, 1 + 3);
    cr_assert_eq(memcmp(&R.rw[1], "srqponmlkjihgfedc", 17), 0);
    /* An empty text: the count word alone. */
    const wf_word_t empty[2] = {0, 0};
    cr_assert_eq(dispatch(WFP_ECHO_TEXT, empty, 2, 0, 0, 0), WF_ERR_OK);
    cr_assert_eq(R.rlen, 1);
    cr_assert_eq(R.rw[0], 0);

    cr_assert_eq(dispatch(WFP_ECHO_BOUNCE, 0, 0, 1, 0, RECV_SLOT), WF_ERR_OK);
    cr_assert_eq(H.cap, RECV_SLOT);
    cr_assert_eq(R.rlen, 1);
    cr_assert_eq(R.rw[0], 77);
    cr_assert_eq(R.rcap, 0x99);
    cr_assert_eq(H.calls, 4);
    cr_assert_eq(srv.served, 4);
}

/* Every malformed shape: label, words, caps; the error, its details; no handler. */
static const struct bad {
    const char *what;
    wf_word_t label;
    wf_word_t w[6];
    unsigned n, xcaps, unwrapped;
    wf_cptr_t cap;
    wf_word_t err;
    unsigned ndetail;
    wf_word_t detail[3];
} bad[] = {
    {"label in the range, no message",
     WFP_ECHO_FIRST + 0x10,
     {0},
     0,
     0,
     0,
     0,
     WF_ERR_ILLEGAL_OPERATION,
     0,
     {0}},
    {"label in no protocol", 5, {0}, 0, 0, 0, 0, WF_ERR_ILLEGAL_OPERATION, 0, {0}},
    {"label past the last range",
     WFP_ECHO_LAST + 1,
     {0},
     2,
     0,
     0,
     0,
     WF_ERR_ILLEGAL_OPERATION,
     0,
     {0}},
    {"no handler", WFP_NAME_LOOKUP, {1, 'a'}, 2, 0, 0, 0, WF_ERR_ILLEGAL_OPERATION, 0, {0}},
    {"too few words", WFP_ECHO_ADD, {1}, 1, 0, 0, 0, WF_ERR_TRUNCATED_MESSAGE, 2, {2, 0}},
    {"no words", WFP_ECHO_ADD, {0}, 0, 0, 0, 0, WF_ERR_TRUNCATED_MESSAGE, 2, {2, 0}},
    {"too many words", WFP_ECHO_ADD, {1, 2, 3}, 3, 0, 0, 0, WF_ERR_INVALID_ARGUMENT, 1, {2}},
    {"words where none go", WFP_ECHO_QUIT, {1}, 1, 0, 0, 0, WF_ERR_INVALID_ARGUMENT, 1, {0}},
    {"an unwanted cap",
     WFP_ECHO_ADD,
     {1, 2},
     2,
     1,
     0,
     RECV_SLOT,
     WF_ERR_INVALID_CAPABILITY,
     1,
     {0}},
    {"an unwanted unwrapped cap",
     WFP_ECHO_ADD,
     {1, 2},
     2,
     1,
     1,
     0,
     WF_ERR_INVALID_CAPABILITY,
     1,
     {0}},
    {"no byte count", WFP_ECHO_TEXT, {0}, 1, 0, 0, 0, WF_ERR_TRUNCATED_MESSAGE, 2, {2, 0}},
    {"byte count above the maximum",
     WFP_ECHO_TEXT,
     {0, WFP_ECHO_TEXT_MAX + 1, 0},
     3,
     0,
     0,
     0,
     WF_ERR_RANGE_ERROR,
     3,
     {1, 0, WFP_ECHO_TEXT_MAX}},
    {"huge byte count",
     WFP_ECHO_TEXT,
     {0, ~(wf_word_t)0, 0},
     3,
     0,
     0,
     0,
     WF_ERR_RANGE_ERROR,
     3,
     {1, 0, WFP_ECHO_TEXT_MAX}},
    {"fewer bytes than counted",
     WFP_ECHO_TEXT,
     {0, 20, 0, 0},
     4,
     0,
     0,
     0,
     WF_ERR_TRUNCATED_MESSAGE,
     2,
     {5, 0}},
    {"more words than counted",
     WFP_ECHO_TEXT,
     {0, 8, 0, 0},
     4,
     0,
     0,
     0,
     WF_ERR_INVALID_ARGUMENT,
     1,
     {3}},
    {"a cap with bytes",
     WFP_ECHO_TEXT,
     {0, 0},
     2,
     1,
     0,
     RECV_SLOT,
     WF_ERR_INVALID_CAPABILITY,
     1,
     {0}},
    {"missing cap", WFP_ECHO_BOUNCE, {0}, 0, 0, 0, 0, WF_ERR_TRUNCATED_MESSAGE, 2, {0, 1}},
    {"words with the cap",
     WFP_ECHO_BOUNCE,
     {1},
     1,
     1,
     0,
     RECV_SLOT,
     WF_ERR_INVALID_ARGUMENT,
     1,
     {0}},
    {"two caps", WFP_ECHO_BOUNCE, {0}, 0, 2, 0, RECV_SLOT, WF_ERR_INVALID_CAPABILITY, 1, {1}},
    {"unwrapped cap", WFP_ECHO_BOUNCE, {0}, 0, 1, 1, 0, WF_ERR_INVALID_CAPABILITY, 1, {0}},
    {"cap the server does not take",
     WFP_ECHO_BOUNCE,
     {0},
     0,
     1,
     0,
     0,
     WF_ERR_INVALID_CAPABILITY,
     1,
     {0}},
    {"name too long",
     WFP_NAME_REGISTER,
     {0, WFP_NAME_NAME_MAX + 1},
     2,
     1,
     0,
     RECV_SLOT,
     WF_ERR_RANGE_ERROR,
     3,
     {1, 0, WFP_NAME_NAME_MAX}},
    {"register without a cap",
     WFP_NAME_REGISTER,
     {0, 1, 'a'},
     3,
     0,
     0,
     0,
     WF_ERR_TRUNCATED_MESSAGE,
     2,
     {2, 1}},
    {"read without max", WFP_CONSOLE_READ, {0}, 0, 0, 0, 0, WF_ERR_TRUNCATED_MESSAGE, 2, {1, 0}},
};

Test(proto, every_malformed_shape_rejected_before_a_handler)
{
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const struct bad *b = &bad[i];
        wf_word_t e = dispatch(b->label, b->w, b->n, b->xcaps, b->unwrapped, b->cap);
        cr_assert_eq(e, b->err, "%s: %s, expected %s", b->what, wf_error_name(e),
                     wf_error_name(b->err));
        cr_assert_eq(R.rlen, b->ndetail, "%s: %u details", b->what, (unsigned)R.rlen);
        for (unsigned k = 0; k < b->ndetail; k++)
            cr_assert_eq(R.rw[k], b->detail[k], "%s: detail %u is %#llx", b->what, k,
                         (unsigned long long)R.rw[k]);
        cr_assert_eq(R.rcap, 0, "%s", b->what);
        cr_assert_eq(H.calls, 0, "%s: a handler ran", b->what);
    }
}

Test(proto, handler_errors_and_result_bounds)
{
    /* A handler's error: no results, no cap. */
    wf_word_t text[3] = {9, 5};
    wf_proto_pack(&text[2], "short", 5);
    cr_assert_eq(dispatch(WFP_ECHO_TEXT, text, 3, 0, 0, 0), WF_ERR_RANGE_ERROR);
    cr_assert_eq(R.rlen, 0);
    /* A handler that claims more result bytes than the maximum is cut to it. */
    H.claim = 5000;
    text[0] = 0;
    cr_assert_eq(dispatch(WFP_ECHO_TEXT, text, 3, 0, 0, 0), WF_ERR_OK);
    cr_assert_eq(R.rw[0], WFP_ECHO_TEXT_MAX);
    cr_assert_eq(R.rlen, 1 + WF_PROTO_WORDS(WFP_ECHO_TEXT_MAX));
    cr_assert_leq(R.rlen, WF_MSG_MAX_WORDS);
}

Test(proto, defer_swaps_the_reply_object)
{
    const wf_word_t tok[1] = {7};
    cr_assert_eq(dispatch(WFP_ECHO_WAIT, tok, 1, 0, 0, 0), WF_SERVER_NO_REPLY);
    cr_assert_eq(H.kept[0], replies[0]);
    cr_assert_neq(srv.reply, replies[0]);
    cr_assert_eq(srv.nspare, 1);
    cr_assert_eq(dispatch(WFP_ECHO_WAIT, tok, 1, 0, 0, 0), WF_SERVER_NO_REPLY);
    cr_assert_eq(srv.nspare, 0);
    /* No spare left: the handler answers at once. */
    cr_assert_eq(dispatch(WFP_ECHO_WAIT, tok, 1, 0, 0, 0), WF_ERR_NOT_ENOUGH_MEMORY);
    cr_assert_eq(H.nkept, 2);
    /* A second defer of one request, an answer through a cap that is not kept. */
    cr_assert_eq(wf_server_defer(&srv, &R), 0);
    cr_assert_eq(wf_server_answer(&srv, srv.reply, 0, 0, 0, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_server_answer(&srv, 0, 0, 0, 0, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(K.n, 0);
    /* Answers go out with Send on the kept Reply caps, which become spares again. */
    K.nscript = 2;
    K.script[0].rax = K.script[1].rax = WF_ERR_OK;
    cr_assert_eq(dispatch(WFP_ECHO_KICK, 0, 0, 0, 0, 0), WF_ERR_OK);
    cr_assert_eq(R.rw[0], 2);
    cr_assert_eq(K.n, 2);
    for (unsigned i = 0; i < 2; i++) {
        cr_assert_eq(K.log[i].nr, WF_SYS_SEND);
        cr_assert_eq(K.log[i].cap, H.kept[i]);
        cr_assert_eq(wf_msginfo_label(K.log[i].in.info), WF_ERR_OK);
        cr_assert_eq(wf_msginfo_length(K.log[i].in.info), 1);
        cr_assert_eq(K.log[i].in.w[0], 8);
    }
    cr_assert_eq(srv.nspare, 2);
    /* The same cap twice is refused (it is a spare now). */
    cr_assert_eq(wf_server_answer(&srv, H.kept[0], 0, 0, 0, 0), WF_ERR_INVALID_ARGUMENT);
}

/* --- the loop ------------------------------------------------------------------------- */

Test(proto, loop_replies_with_reply_recv)
{
    const wf_word_t add[3] = {40, 2, 1};
    script(WFP_ECHO_ADD, 0, 0, add, 2, 0x77); /* answers the first Recv */
    script(WFP_ECHO_ADD, 0, 0, add, 3, 0);    /* malformed */
    /* A long Text: words 4.. come from the IPC buffer, the reply's go there. */
    wf_word_t text[2 + 5] = {0, 40};
    wf_proto_pack(&text[2], "0123456789abcdefghijklmnopqrstuvwxyzABCD", 40);
    script(WFP_ECHO_TEXT, 0, 0, text, 7, 0);
    script(WFP_ECHO_BOUNCE, 1, 0, 0, 0, 0); /* a cap: the slot is emptied after */
    K.script[K.nscript++].rax = WF_ERR_OK;  /* the CNode_Delete */
    script(WFP_ECHO_QUIT, 0, 0, 0, 0, 0);
    cr_assert_eq(wf_server_run(&srv), WF_ERR_OK);
    cr_assert_eq(K.n, 7);
    /* The first receive: Recv on the endpoint with the Reply object, the slot named. */
    cr_assert_eq(K.log[0].nr, WF_SYS_RECV);
    cr_assert_eq(K.log[0].cap, EP);
    cr_assert_eq(K.log[0].reply, replies[0]);
    cr_assert_eq(K.log[0].rcv[0], RECV_NODE);
    cr_assert_eq(K.log[0].rcv[1], RECV_SLOT);
    cr_assert_eq(K.log[0].rcv[2], 64);
    cr_assert_eq(H.badge, 0x77);
    /* Add's reply. */
    cr_assert_eq(K.log[1].nr, WF_SYS_REPLY_RECV);
    cr_assert_eq(K.log[1].reply, replies[0]);
    cr_assert_eq(K.log[1].in.info, wf_msginfo(WF_ERR_OK, 0, 2));
    cr_assert_eq(K.log[1].in.w[0], 42);
    cr_assert_eq(K.log[1].in.w[1], 38);
    /* The malformed Add's error reply. */
    cr_assert_eq(K.log[2].nr, WF_SYS_REPLY_RECV);
    cr_assert_eq(K.log[2].in.info, wf_msginfo(WF_ERR_INVALID_ARGUMENT, 0, 1));
    cr_assert_eq(K.log[2].in.w[0], 2);
    /* Text: the handler saw all 40 bytes; 40 reversed bytes went back. */
    cr_assert_eq(H.len, 40);
    cr_assert_eq(memcmp(H.text, "0123456789abcdefghijklmnopqrstuvwxyzABCD", 40), 0);
    cr_assert_eq(K.log[3].in.info, wf_msginfo(WF_ERR_OK, 0, 6));
    cr_assert_eq(sent_word(&K.log[3], 0), 40);
    wf_word_t got[5];
    for (unsigned i = 0; i < 5; i++)
        got[i] = sent_word(&K.log[3], 1 + i);
    cr_assert_eq(memcmp(got, "DCBAzyxwvutsrqponmlkjihgfedcba9876543210", 40), 0);
    /* Bounce: the handler got the slot's CPtr; the slot was emptied (CNode_Delete);
     * the reply carries the result cap. */
    cr_assert_eq(H.cap, RECV_SLOT);
    cr_assert_eq(K.log[4].nr, WF_SYS_CALL);
    cr_assert_eq(K.log[4].cap, RECV_NODE);
    cr_assert_eq(wf_msginfo_label(K.log[4].in.info), WF_LABEL_CNODE_DELETE);
    cr_assert_eq(K.log[4].in.w[0], RECV_SLOT);
    cr_assert_eq(K.log[5].nr, WF_SYS_REPLY_RECV);
    cr_assert_eq(K.log[5].in.info, wf_msginfo(WF_ERR_OK, 1, 1));
    cr_assert_eq(K.log[5].cap0, 0x99);
    /* Quit: its reply goes with Send, then the loop returns. */
    cr_assert_eq(K.log[6].nr, WF_SYS_SEND);
    cr_assert_eq(K.log[6].cap, replies[0]);
    cr_assert_eq(K.log[6].in.info, wf_msginfo(WF_ERR_OK, 0, 0));
}

Test(proto, loop_defers_and_answers_later)
{
    const wf_word_t tok[1] = {5};
    script(WFP_ECHO_WAIT, 0, 0, tok, 1, 0); /* deferred: the next receive is a Recv */
    script(WFP_ECHO_KICK, 0, 0, 0, 0, 0);
    K.script[K.nscript++].rax = WF_ERR_OK; /* the answer's Send */
    /* The script ends: the next receive fails and the loop returns its error. */
    cr_assert_eq(wf_server_run(&srv), WF_ERR_CANCELLED);
    cr_assert_eq(K.log[0].nr, WF_SYS_RECV);
    cr_assert_eq(K.log[0].reply, replies[0]);
    cr_assert_eq(K.log[1].nr, WF_SYS_RECV); /* nothing to reply to */
    cr_assert_neq(K.log[1].reply, replies[0]);
    cr_assert_eq(K.log[2].nr, WF_SYS_SEND); /* the deferred answer */
    cr_assert_eq(K.log[2].cap, replies[0]);
    cr_assert_eq(K.log[2].in.w[0], 6);
    cr_assert_eq(K.log[3].nr, WF_SYS_REPLY_RECV); /* Kick's own reply */
    cr_assert_eq(K.log[3].reply, K.log[1].reply);
    cr_assert_eq(K.log[3].in.w[0], 1);
    cr_assert_eq(srv.nspare, 2);
}

static struct {
    unsigned calls;
    wf_word_t bits[4];
    unsigned stop_at; /* the call that sets stop (0: none) */
} N;

static void on_notify(struct wf_server *s, wf_word_t bits)
{
    cr_assert_lt(N.calls, 4);
    N.bits[N.calls++] = bits;
    if (N.calls == N.stop_at)
        s->stop = true;
}

/* Scripts a signal of the bound notification: label NOTIFICATION, no words, the
 * word in the badge register. */
static void script_signal(wf_word_t bits)
{
    script(WF_MSG_LABEL_NOTIFICATION, 0, 0, 0, 0, bits);
}

Test(proto, loop_hands_notifications_to_on_notify)
{
    memset(&N, 0, sizeof(N));
    srv.on_notify = on_notify;
    const wf_word_t add[2] = {40, 2};
    script_signal(0x10);                      /* before any message */
    script(WFP_ECHO_ADD, 0, 0, add, 2, 0x77); /* a message... */
    script_signal(0x3);                       /* ...whose reply goes with ReplyRecv */
    /* A message with the label but a word is a message: no handler, an error. */
    script(WF_MSG_LABEL_NOTIFICATION, 0, 0, add, 1, 0x5);
    cr_assert_eq(wf_server_run(&srv), WF_ERR_CANCELLED);
    cr_assert_eq(N.calls, 2);
    cr_assert_eq(N.bits[0], 0x10);
    cr_assert_eq(N.bits[1], 0x3);
    cr_assert_eq(K.n, 5);
    cr_assert_eq(K.log[0].nr, WF_SYS_RECV);
    cr_assert_eq(K.log[1].nr, WF_SYS_RECV); /* after a signal: nothing to reply to */
    cr_assert_eq(K.log[1].reply, replies[0]);
    cr_assert_eq(K.log[2].nr, WF_SYS_REPLY_RECV); /* Add's reply */
    cr_assert_eq(K.log[2].in.w[0], 42);
    cr_assert_eq(K.log[3].nr, WF_SYS_RECV); /* the signal again: no reply */
    cr_assert_eq(K.log[4].nr, WF_SYS_REPLY_RECV);
    cr_assert_eq(K.log[4].in.info, wf_msginfo(WF_ERR_ILLEGAL_OPERATION, 0, 0));
    cr_assert_eq(srv.served, 2); /* signals are not messages */
    cr_assert_eq(H.calls, 1);
}

Test(proto, loop_without_on_notify_ignores_signals_and_on_notify_can_stop)
{
    script_signal(0x1);
    script_signal(0x2);
    cr_assert_eq(wf_server_run(&srv), WF_ERR_CANCELLED);
    cr_assert_eq(K.n, 3);
    for (unsigned i = 0; i < 3; i++)
        cr_assert_eq(K.log[i].nr, WF_SYS_RECV);
    cr_assert_eq(srv.served, 0);

    /* on_notify sets stop: the loop returns at once, sending nothing. */
    memset(&K, 0, sizeof(K));
    memset(&N, 0, sizeof(N));
    N.stop_at = 1;
    srv.on_notify = on_notify;
    script_signal(0x8);
    script_signal(0x9);
    cr_assert_eq(wf_server_run(&srv), WF_ERR_OK);
    cr_assert_eq(N.calls, 1);
    cr_assert_eq(K.n, 1);
}

Test(proto, loop_needs_an_ipc_buffer_and_replies)
{
    wf_set_ipc_buffer(NULL);
    cr_assert_eq(wf_server_run(&srv), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(K.n, 0);
    struct wf_server s = {.ep = EP};
    cr_assert_eq(wf_server_init(&s, replies, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_server_init(&s, replies, WF_SERVER_MAX_REPLIES + 1), WF_ERR_INVALID_ARGUMENT);
    const wf_cptr_t zero[2] = {0x41, 0};
    cr_assert_eq(wf_server_init(&s, zero, 2), WF_ERR_INVALID_ARGUMENT);
    s.ep = 0;
    cr_assert_eq(wf_server_init(&s, replies, 1), WF_ERR_INVALID_ARGUMENT);
}

/* --- client stubs --------------------------------------------------------------------- */

Test(proto, stubs_pack_words_and_bytes)
{
    wf_word_t res[2] = {42, 38};
    script(WF_ERR_OK, 0, 0, res, 2, 0);
    wf_word_t sum = 0, diff = 0;
    cr_assert_eq(wfp_echo_add(EP, 40, 2, &sum, &diff), WF_ERR_OK);
    cr_assert_eq(K.log[0].nr, WF_SYS_CALL);
    cr_assert_eq(K.log[0].in.info, wf_msginfo(WFP_ECHO_ADD, 0, 2));
    cr_assert_eq(sum, 42);
    cr_assert_eq(diff, 38);
    /* An error reply: results zero. */
    script(WF_ERR_RANGE_ERROR, 0, 0, res, 2, 0);
    cr_assert_eq(wfp_echo_add(EP, 1, 2, &sum, &diff), WF_ERR_RANGE_ERROR);
    cr_assert_eq(sum, 0);
    /* A reply shorter than the results: zeros, not stale registers. */
    script(WF_ERR_OK, 0, 0, res, 1, 0);
    cr_assert_eq(wfp_echo_add(EP, 1, 2, &sum, &diff), WF_ERR_OK);
    cr_assert_eq(sum, 0);
    cr_assert_eq(diff, 0);

    /* Bytes: count then packed bytes, words 4.. in the IPC buffer. */
    wf_word_t rep[3] = {11};
    wf_proto_pack(&rep[1], "hello world", 11);
    script(WF_ERR_OK, 0, 0, rep, 3, 0);
    char out[64] = {0};
    wf_word_t n = 0;
    cr_assert_eq(wfp_echo_text(EP, 3, "abcdefghijklmnopqrstuvwxyz", 26, out, sizeof(out), &n),
                 WF_ERR_OK);
    const struct logged *l = &K.log[3];
    cr_assert_eq(l->in.info, wf_msginfo(WFP_ECHO_TEXT, 0, 2 + 4));
    cr_assert_eq(sent_word(l, 0), 3);
    cr_assert_eq(sent_word(l, 1), 26);
    wf_word_t packed[4];
    for (unsigned i = 0; i < 4; i++)
        packed[i] = sent_word(l, 2 + i);
    cr_assert_eq(memcmp(packed, "abcdefghijklmnopqrstuvwxyz", 26), 0);
    cr_assert_eq(((const char *)packed)[26], 0); /* zero padding */
    cr_assert_eq(n, 11);
    cr_assert_str_eq(out, "hello world");
}

Test(proto, stubs_bound_what_the_reply_claims)
{
    /* A reply that claims 1000 bytes but carries one word of them. */
    wf_word_t rep[2] = {1000, 0x4847464544434241ull};
    script(WF_ERR_OK, 0, 0, rep, 2, 0);
    char out[32];
    memset(out, 0, sizeof(out));
    wf_word_t n = 0;
    cr_assert_eq(wfp_echo_text(EP, 0, "x", 1, out, sizeof(out), &n), WF_ERR_OK);
    cr_assert_eq(n, 8);
    cr_assert_eq(memcmp(out, "ABCDEFGH", 8), 0);
    /* A caller buffer smaller than the reply. */
    rep[0] = 8;
    script(WF_ERR_OK, 0, 0, rep, 2, 0);
    char small[3] = {0};
    cr_assert_eq(wfp_echo_text(EP, 0, "x", 1, small, 3, &n), WF_ERR_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(memcmp(small, "ABC", 3), 0);
    /* No bytes either way: no buffers needed. */
    rep[0] = 0;
    script(WF_ERR_OK, 0, 0, rep, 1, 0);
    cr_assert_eq(wfp_echo_text(EP, 0, NULL, 0, NULL, 0, &n), WF_ERR_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(wf_msginfo_length(K.log[2].in.info), 2);
}

Test(proto, stubs_refuse_without_a_system_call)
{
    static char big[WFP_ECHO_TEXT_MAX + 1];
    wf_word_t n;
    cr_assert_eq(wfp_echo_text(EP, 0, big, sizeof(big), big, sizeof(big), &n), WF_ERR_RANGE_ERROR);
    cr_assert_eq(wfp_name_register(EP, 0, "svc", 3, 0), WF_ERR_INVALID_CAPABILITY);
    cr_assert_eq(wfp_echo_bounce(EP, 0, &n, 1, 2, 64), WF_ERR_INVALID_CAPABILITY);
    wf_set_ipc_buffer(NULL);
    cr_assert_eq(wfp_echo_text(EP, 0, "a", 1, big, 1, &n), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(K.n, 0);
}

Test(proto, stubs_take_a_reply_cap_and_restore_the_receive_slot)
{
    ipcbuf.receive_cnode = 7;
    ipcbuf.receive_index = 8;
    ipcbuf.receive_depth = 9;
    wf_word_t type = 77;
    script(WF_ERR_OK, 1, 0, &type, 1, 0);
    wf_word_t t = 0;
    cr_assert_eq(wfp_echo_bounce(EP, 0x55, &t, 0x60, 0x61, 64), WF_ERR_OK);
    cr_assert_eq(K.log[0].in.info, wf_msginfo(WFP_ECHO_BOUNCE, 1, 0));
    cr_assert_eq(K.log[0].cap0, 0x55);
    cr_assert_eq(K.log[0].rcv[0], 0x60);
    cr_assert_eq(K.log[0].rcv[1], 0x61);
    cr_assert_eq(K.log[0].rcv[2], 64);
    cr_assert_eq(t, 77);
    cr_assert_eq(ipcbuf.receive_cnode, 7);
    cr_assert_eq(ipcbuf.receive_index, 8);
    cr_assert_eq(ipcbuf.receive_depth, 9);
    /* A reply without the cap the message promises. */
    script(WF_ERR_OK, 0, 0, &type, 1, 0);
    cr_assert_eq(wfp_echo_bounce(EP, 0x55, &t, 0x60, 0x61, 64), WF_ERR_TRUNCATED_MESSAGE);
}
