/*
 * Server protocols end to end (docs/protocols.md, wf/server.h): a server thread
 * runs the server loop with the test-only echo protocol (abi/protocols/test/
 * echo.proto) and handlers here; the test thread, and client threads it starts,
 * call it through the generated stubs. Checked: well-formed calls of every
 * shape answered (words, bytes both ways, a cap both ways), every malformed
 * shape answered with its error and no handler run (and a cap sent with a
 * rejected message not left in the server's slot), deferred replies (two
 * clients wait on Reply objects the server kept while it goes on serving, and
 * are answered later), and the protocol call's instruction cost next to a raw
 * wf_call of the same message (printed as a TAP comment; a figure only under
 * -icount shift=0, docs/protocols.md).
 */
#include <stdio.h>
#include <string.h>

#include "proto/echo.h"
#include "tarch.h"
#include "tutil.h"

#define SRV_RECV_SLOT test_slot(50) /* where the server takes caps */
#define SRV_KEEP_SLOT test_slot(51) /* where Bounce keeps its copy */
#define CLI_RECV_SLOT test_slot(52) /* where the client takes the reply's cap */
#define NREPLIES      4

/* The server's state (one server per test). */
static struct echo_state {
    unsigned handled; /* handler calls */
    wf_cptr_t waiting[NREPLIES];
    wf_word_t tokens[NREPLIES];
    unsigned nwaiting;
} st;

static wf_word_t on_add(struct wf_server *s, struct wf_server_req *r, wf_word_t a, wf_word_t b,
                        wf_word_t *sum, wf_word_t *diff)
{
    st.handled++;
    *sum = a + b;
    *diff = a - b;
    return WF_ERR_OK;
}

static wf_word_t on_text(struct wf_server *s, struct wf_server_req *r, wf_word_t prefix,
                         const char *text, wf_word_t text_len, char *out, wf_word_t *out_len)
{
    st.handled++;
    if (prefix > text_len)
        return WF_ERR_RANGE_ERROR;
    wf_word_t n = text_len - prefix;
    for (wf_word_t i = 0; i < n; i++)
        out[i] = text[text_len - 1 - i];
    *out_len = n;
    return WF_ERR_OK;
}

static wf_word_t on_bounce(struct wf_server *s, struct wf_server_req *r, wf_cptr_t cap,
                           wf_word_t *type, wf_cptr_t *copy)
{
    st.handled++;
#ifdef WEFT_DEBUG
    *type = wf_debug_cap_identify(cap);
#else
    *type = WF_OBJ_NOTIFICATION; /* no debug call in a release build (the test skips there) */
#endif
    wf_cnode_delete(WF_ROOT_CNODE, SRV_KEEP_SLOT, 64);
    if (wf_cnode_copy(WF_ROOT_CNODE, SRV_KEEP_SLOT, 64, WF_ROOT_CNODE, cap, 64, WF_RIGHTS_ALL))
        return WF_ERR_NOT_ENOUGH_MEMORY;
    *copy = SRV_KEEP_SLOT;
    return WF_ERR_OK;
}

static wf_word_t on_wait(struct wf_server *s, struct wf_server_req *r, wf_word_t token,
                         wf_word_t *token_back)
{
    st.handled++;
    wf_cptr_t rp = wf_server_defer(s, r);
    if (!rp)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    st.waiting[st.nwaiting] = rp;
    st.tokens[st.nwaiting++] = token;
    return WF_ERR_OK; /* not sent: the reply is deferred */
}

static wf_word_t on_kick(struct wf_server *s, struct wf_server_req *r, wf_word_t *woken)
{
    st.handled++;
    unsigned n = 0;
    for (unsigned i = 0; i < st.nwaiting; i++)
        if (wfp_echo_wait_answer(s, st.waiting[i], WF_ERR_OK, st.tokens[i] + 1) == WF_ERR_OK)
            n++;
    st.nwaiting = 0;
    *woken = n;
    return WF_ERR_OK;
}

static wf_word_t on_quit(struct wf_server *s, struct wf_server_req *r)
{
    st.handled++;
    s->stop = true;
    return WF_ERR_OK;
}

static const struct wfp_echo_handlers echo_handlers = {
    .on_add = on_add,
    .on_text = on_text,
    .on_bounce = on_bounce,
    .on_wait = on_wait,
    .on_kick = on_kick,
    .on_quit = on_quit,
};
static const struct wf_server_proto echo_protos[] = {WFP_ECHO_PROTO_ENTRY(&echo_handlers)};

static struct wf_server srv;
static wf_cptr_t srv_replies[NREPLIES];

static int server_main(uintptr_t arg)
{
    return (int)wf_server_run(&srv);
}

/* Starts the echo server on a new endpoint, returned in *ep. */
static enum wf_error server_start(struct wf_thread *t, wf_cptr_t *ep)
{
    struct wf_spawn_env *e = test_env();
    memset(&st, 0, sizeof(st));
    memset(&srv, 0, sizeof(srv));
    srv.ep = test_obj(WF_OBJ_ENDPOINT, 0);
    srv.recv_cnode = WF_ROOT_CNODE;
    srv.recv_slot = SRV_RECV_SLOT;
    srv.protos = echo_protos;
    srv.nprotos = 1;
    for (unsigned i = 0; i < NREPLIES; i++)
        srv_replies[i] = test_obj(WF_OBJ_REPLY, 0);
    if (!e || !srv.ep || !srv_replies[NREPLIES - 1])
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error err = wf_server_init(&srv, srv_replies, NREPLIES);
    if (!err)
        err = wf_thread_create(e, t, server_main, 0, TEST_CHILD_PRIO);
    if (!err)
        err = wf_thread_start(t);
    *ep = srv.ep;
    return err;
}

/* Stops the server with Quit; its exit status (the loop's result) must be OK. */
static wf_word_t server_stop(struct wf_thread *t, wf_cptr_t ep)
{
    wf_word_t e = wfp_echo_quit(ep);
    if (e != WF_ERR_OK)
        return 1000 + e;
    struct wf_event ev;
    e = wf_thread_wait(t, &ev);
    if (e != WF_ERR_OK || ev.label != WF_EXIT_LABEL)
        return 2000 + e;
    return ev.w[0];
}

TEST(proto, well_formed_calls_answered)
{
    struct wf_thread t;
    wf_cptr_t ep;
    TEST_ASSERT_ERR(server_start(&t, &ep), WF_ERR_OK);
    wf_word_t sum = 0, diff = 0;
    TEST_ASSERT_ERR(wfp_echo_add(ep, 40, 2, &sum, &diff), WF_ERR_OK);
    TEST_ASSERT_EQ(sum, 42);
    TEST_ASSERT_EQ(diff, 38);

    /* Bytes both ways, long enough to need the IPC buffer. */
    static char text[WFP_ECHO_TEXT_MAX], out[WFP_ECHO_TEXT_MAX];
    for (unsigned i = 0; i < sizeof(text); i++)
        text[i] = (char)('a' + i % 26);
    wf_word_t n = 0;
    TEST_ASSERT_ERR(wfp_echo_text(ep, 3, text, sizeof(text), out, sizeof(out), &n), WF_ERR_OK);
    TEST_ASSERT_EQ(n, sizeof(text) - 3);
    for (unsigned i = 0; i < n; i++)
        TEST_ASSERT(out[i] == text[sizeof(text) - 1 - i], "byte %u", i);
    /* A handler's own error; a client buffer smaller than the reply. */
    TEST_ASSERT_ERR(wfp_echo_text(ep, 9, "short", 5, out, sizeof(out), &n), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_echo_text(ep, 0, "abcdef", 6, out, 2, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(n, 2);
    TEST_ASSERT(out[0] == 'f' && out[1] == 'e');
    /* The stub refuses too many bytes itself. */
    unsigned before = st.handled;
    TEST_ASSERT_ERR(wfp_echo_text(ep, 0, text, WFP_ECHO_TEXT_MAX + 1, out, sizeof(out), &n),
                    WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(st.handled, before);

    /* A cap there and back: the server keeps a copy, the client gets one. */
    wf_cptr_t ntfn = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(ntfn);
    wf_word_t type = 0;
    TEST_ASSERT_ERR(wfp_echo_bounce(ep, ntfn, &type, WF_ROOT_CNODE, CLI_RECV_SLOT, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(CLI_RECV_SLOT), WF_OBJ_NOTIFICATION);
    TEST_ASSERT_EQ(type, WF_OBJ_NOTIFICATION);
    TEST_ASSERT_EQ(wf_debug_cap_identify(SRV_KEEP_SLOT), WF_OBJ_NOTIFICATION);
    TEST_ASSERT_EQ(wf_debug_cap_identify(SRV_RECV_SLOT), 0); /* the loop emptied it */
    TEST_ASSERT_EQ(wf_debug_cap_identify(ntfn), WF_OBJ_NOTIFICATION);
    TEST_ASSERT_EQ(st.handled, 5);
    TEST_ASSERT_EQ(server_stop(&t, ep), WF_ERR_OK);
}

/* A raw Call of label with words w[0..n) and cap (0: none); the reply's words. */
static wf_word_t raw(wf_cptr_t ep, wf_word_t label, const wf_word_t *w, unsigned n, wf_cptr_t cap,
                     wf_word_t *rep)
{
    memset(rep, 0xee, 4 * sizeof(wf_word_t));
    return wf_call(ep, label, w, n, cap ? &cap : 0, cap ? 1 : 0, rep, 4);
}

TEST(proto, malformed_calls_rejected_before_handlers)
{
    struct wf_thread t;
    wf_cptr_t ep;
    TEST_ASSERT_ERR(server_start(&t, &ep), WF_ERR_OK);
    wf_cptr_t ntfn = test_obj(WF_OBJ_NOTIFICATION, 0);
    wf_cptr_t self = test_slot(53); /* a badged copy of the server's endpoint */
    TEST_ASSERT(ntfn);
    TEST_ASSERT_ERR(wf_cnode_mint(WF_ROOT_CNODE, self, 64, WF_ROOT_CNODE, ep, 64, WF_RIGHTS_ALL, 7),
                    WF_ERR_OK);
    wf_word_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[4];

    /* Unknown labels: inside the protocol's range, and outside every range. */
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_FIRST + 0x10, w, 2, 0, r), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(raw(ep, 5, w, 2, 0, r), WF_ERR_ILLEGAL_OPERATION);
    /* Wrong lengths. */
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_ADD, w, 1, 0, r), WF_ERR_TRUNCATED_MESSAGE);
    TEST_ASSERT_EQ(r[0], 2);
    TEST_ASSERT_EQ(r[1], 0);
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_ADD, w, 3, 0, r), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(r[0], 2);
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_QUIT, w, 1, 0, r), WF_ERR_INVALID_ARGUMENT);
    /* Bytes: a count above the maximum, a count the words do not hold, too many words. */
    wf_word_t tw[4] = {0, WFP_ECHO_TEXT_MAX + 1, 0, 0};
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_TEXT, tw, 4, 0, r), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(r[0], 1);
    TEST_ASSERT_EQ(r[2], WFP_ECHO_TEXT_MAX);
    tw[1] = 20; /* needs 3 words of bytes: 5 in all */
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_TEXT, tw, 4, 0, r), WF_ERR_TRUNCATED_MESSAGE);
    TEST_ASSERT_EQ(r[0], 5);
    tw[1] = 8;
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_TEXT, tw, 4, 0, r), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(r[0], 3);
    /* Caps: missing, unwanted (and not left in the server's slot), unwrapped. */
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_BOUNCE, w, 0, 0, r), WF_ERR_TRUNCATED_MESSAGE);
    TEST_ASSERT_EQ(r[0], 0);
    TEST_ASSERT_EQ(r[1], 1);
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_ADD, w, 2, ntfn, r), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_EQ(r[0], 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(SRV_RECV_SLOT), 0);
    TEST_ASSERT_ERR(raw(ep, WFP_ECHO_BOUNCE, w, 0, self, r), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_EQ(r[0], 0);
    /* No handler ran; the server still answers well-formed calls. */
    TEST_ASSERT_EQ(st.handled, 0);
    wf_word_t sum = 0;
    TEST_ASSERT_ERR(wfp_echo_add(ep, 1, 2, &sum, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(sum, 3);
    TEST_ASSERT_EQ(srv.served, 12);
    TEST_ASSERT_EQ(server_stop(&t, ep), WF_ERR_OK);
}

/* Client threads that call Wait; their results land in waits[]. */
#define NWAITERS (NREPLIES - 1)
static struct {
    wf_word_t err, back;
} waits[NWAITERS];

static int waiter(uintptr_t arg)
{
    wf_cptr_t ep = arg & 0xfffff;
    unsigned i = (unsigned)(arg >> 20);
    waits[i].err = wfp_echo_wait(ep, 100 * (i + 1), &waits[i].back);
    return 0;
}

TEST(proto, deferred_replies_answered_later)
{
    TEST_ENV(e);
    struct wf_thread t, c[NWAITERS];
    wf_cptr_t ep;
    TEST_ASSERT_ERR(server_start(&t, &ep), WF_ERR_OK);
    memset(waits, 0xff, sizeof(waits));
    for (unsigned i = 0; i < NWAITERS; i++) {
        TEST_ASSERT_ERR(
            wf_thread_create(e, &c[i], waiter, ep | (wf_word_t)i << 20, TEST_CHILD_PRIO),
            WF_ERR_OK);
        TEST_ASSERT_ERR(wf_thread_start(&c[i]), WF_ERR_OK);
    }
    /* Every waiter is blocked on a Reply object the server kept... */
    TEST_ASSERT(test_settle());
    TEST_ASSERT_EQ(st.nwaiting, NWAITERS);
    TEST_ASSERT_EQ(srv.nspare, 0);
    for (unsigned i = 0; i < NWAITERS; i++)
        TEST_ASSERT_EQ(waits[i].err, ~(wf_word_t)0);
    /* ...while the server goes on answering others. */
    wf_word_t sum = 0;
    TEST_ASSERT_ERR(wfp_echo_add(ep, 5, 6, &sum, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(sum, 11);
    /* With no spare Reply object left, one more Wait is refused at once, not lost. */
    wf_word_t back = 0;
    TEST_ASSERT_ERR(wfp_echo_wait(ep, 1, &back), WF_ERR_NOT_ENOUGH_MEMORY);
    /* Kick answers them all; the Reply objects go back to the spares. */
    wf_word_t woken = 0;
    TEST_ASSERT_ERR(wfp_echo_kick(ep, &woken), WF_ERR_OK);
    TEST_ASSERT_EQ(woken, NWAITERS);
    TEST_ASSERT_EQ(srv.nspare, NREPLIES - 1);
    struct wf_event ev;
    for (unsigned i = 0; i < NWAITERS; i++) {
        TEST_ASSERT_ERR(wf_thread_wait(&c[i], &ev), WF_ERR_OK);
        TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
        TEST_ASSERT_ERR(waits[i].err, WF_ERR_OK);
        TEST_ASSERT_EQ(waits[i].back, 100 * (i + 1) + 1);
    }
    /* An answer through a cap that is not a deferred reply is refused. */
    TEST_ASSERT_ERR(wfp_echo_wait_answer(&srv, srv.spare[0], WF_ERR_OK, 0),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(server_stop(&t, ep), WF_ERR_OK);
}

/* --- cost of a protocol call ------------------------------------------------------- */

#ifdef __x86_64__
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* The same Add served by hand: Recv, then ReplyRecv with the two results. */
static int raw_server(uintptr_t arg)
{
    wf_cptr_t ep = arg & 0xfffff, rp = arg >> 20;
    struct wf_msgregs m = {0};
    wf_word_t e = wf_sys_recv(ep, rp, &m);
    for (;;) {
        if (e != WF_ERR_OK)
            return (int)e;
        if (wf_msginfo_label(m.info) == WFP_ECHO_QUIT) {
            m.info = wf_msginfo(0, 0, 0);
            wf_sys_send(rp, &m);
            return 0;
        }
        wf_word_t a = m.w[0], b = m.w[1];
        m.w[0] = a + b;
        m.w[1] = a - b;
        m.info = wf_msginfo(WF_ERR_OK, 0, 2);
        e = wf_sys_reply_recv(ep, rp, &m);
    }
}

#define BENCH_CALLS 200

TEST(proto, call_cost_against_raw_call)
{
    TEST_ENV(e);
    struct wf_thread t, rt;
    wf_cptr_t ep;
    TEST_ASSERT_ERR(server_start(&t, &ep), WF_ERR_OK);
    wf_cptr_t rep = test_obj(WF_OBJ_ENDPOINT, 0), rrp = test_obj(WF_OBJ_REPLY, 0);
    TEST_ASSERT(rep && rrp);
    TEST_ASSERT_ERR(wf_thread_create(e, &rt, raw_server, rep | rrp << 20, TEST_CHILD_PRIO),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&rt), WF_ERR_OK);
    wf_word_t sum = 0, diff = 0, r[2];
    const wf_word_t w[2] = {7, 3};
    uint64_t best_stub = ~0ull, best_raw = ~0ull, best_sys = ~0ull;
    for (unsigned round = 0; round < 3; round++) {
        uint64_t t0 = rdtsc();
        for (unsigned i = 0; i < BENCH_CALLS; i++)
            wfp_echo_add(ep, 7, 3, &sum, &diff);
        uint64_t t1 = rdtsc();
        for (unsigned i = 0; i < BENCH_CALLS; i++)
            wf_call(rep, WFP_ECHO_ADD, w, 2, 0, 0, r, 2);
        uint64_t t2 = rdtsc();
        /* The floor: the bare system call, no library at all on either side. */
        for (unsigned i = 0; i < BENCH_CALLS; i++) {
            struct wf_msgregs m = {.info = wf_msginfo(WFP_ECHO_ADD, 0, 2), .w = {7, 3}};
            wf_sys_call(rep, &m);
        }
        uint64_t t3 = rdtsc();
        if (t1 - t0 < best_stub)
            best_stub = t1 - t0;
        if (t2 - t1 < best_raw)
            best_raw = t2 - t1;
        if (t3 - t2 < best_sys)
            best_sys = t3 - t2;
    }
    TEST_ASSERT_EQ(sum, 10);
    TEST_ASSERT_EQ(diff, 4);
    TEST_ASSERT_EQ(r[0], 10);
    TEST_ASSERT_EQ(r[1], 4);
    long long stub = (long long)(best_stub / BENCH_CALLS),
              rawc = (long long)(best_raw / BENCH_CALLS), sys = (long long)(best_sys / BENCH_CALLS);
    printf("# proto: Add round trip (TSC per call = instructions under -icount shift=0): "
           "stub + server loop %lld, wf_call + hand loop %lld (overhead %lld), "
           "inline wf_sys_call + hand loop %lld (overhead %lld)\n",
           stub, rawc, stub - rawc, sys, stub - sys);
    TEST_ASSERT_EQ(wf_call(rep, WFP_ECHO_QUIT, 0, 0, 0, 0, 0, 0), 0);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&rt, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.w[0], 0);
    TEST_ASSERT_EQ(server_stop(&t, ep), WF_ERR_OK);
}

#else

TEST_X86_64_ONLY(proto, call_cost_against_raw_call, "timed by the TSC (rdtsc)")

#endif
