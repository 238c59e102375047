/*
 * Synchronous IPC from userspace (docs/architecture.md, IPC; docs/api.md):
 * Send/Recv, the non-blocking variants, Call/ReplyRecv with badges, long
 * messages through the IPC buffer, cap transfer only with Grant, Call only with
 * Grant or GrantReply, the error of every malformed system call, and which
 * path (fast or general) each kind of Call and ReplyRecv takes, read from the
 * kernel's counters (DEBUG_STAT): messages of every length 0-120 and with a
 * cap on both paths, and the kernel's cached view of an IPC buffer following
 * an Unmap of the page and a copy-on-write clone (decision 076). Servers
 * run the same code (uc_echo_serve) either as a thread in the root task's
 * address space or as the uchild program in a CNode and VSpace of its own.
 */
#include <string.h>

#include "tutil.h"
#include "weft/invocations.h"

#define RECV_SLOT test_slot(63) /* where a same-space server takes caps */

static int echo_thread(uintptr_t a)
{
    return uc_echo_serve(a & 0xfffff, a >> 20, WF_ROOT_CNODE, RECV_SLOT);
}

/* An echo server on a new endpoint: a thread here, or a child process. */
struct server {
    bool child;
    wf_cptr_t ep;
    struct wf_thread t;
    struct wf_process p;
};

static enum wf_error server_start(struct server *s, bool child, unsigned prio)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t rp = test_obj(WF_OBJ_REPLY, 0);
    memset(s, 0, sizeof(*s));
    s->child = child;
    s->ep = test_obj(WF_OBJ_ENDPOINT, 0);
    if (!e || !rp || !s->ep)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error err;
    if (!child) {
        err = wf_thread_create(e, &s->t, echo_thread, s->ep | rp << 20, prio);
        return err ? err : wf_thread_start(&s->t);
    }
    err = test_child(&s->p);
    if (!err)
        err = wf_process_give(e, &s->p, UC_SLOT_EP, s->ep, WF_RIGHT_READ, 0);
    if (!err)
        err = wf_process_give(e, &s->p, UC_SLOT_REPLY, rp, WF_RIGHTS_ALL, 0);
    if (!err)
        err = wf_tcb_set_priority(s->p.main.tcb, WF_ROOT_TCB, prio);
    return err ? err : test_child_start(&s->p, UC_ECHO, 0, 0, 0);
}

/* Stops the server with UC_OP_QUIT; returns its exit status (or 1000 + error). */
static wf_word_t server_stop(struct server *s)
{
    struct wf_msgregs m = {.info = wf_msginfo(UC_OP_QUIT, 0, 0)};
    wf_word_t e = wf_sys_call(s->ep, &m);
    if (e != WF_ERR_OK)
        return 1000 + e;
    struct wf_event ev;
    e = wf_thread_wait(s->child ? &s->p.main : &s->t, &ev);
    if (e != WF_ERR_OK || ev.label != WF_EXIT_LABEL)
        return 2000 + e + ev.label;
    return ev.w[0];
}

/* A copy of cap in a new scratch slot with rights and badge (0: a plain copy). */
static wf_cptr_t derive(wf_cptr_t cap, wf_word_t rights, wf_word_t badge)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t s = e ? wf_env_slot(e) : 0;
    if (!s)
        return 0;
    enum wf_error err =
        badge ? wf_cnode_mint(WF_ROOT_CNODE, s, 64, WF_ROOT_CNODE, cap, 64, rights, badge)
              : wf_cnode_copy(WF_ROOT_CNODE, s, 64, WF_ROOT_CNODE, cap, 64, rights);
    return err == WF_ERR_OK ? s : 0;
}

/* --- Send and Recv -------------------------------------------------------------- */

static struct {
    wf_word_t err, label, len, badge, w[4];
} got;

static int recv_once(uintptr_t ep)
{
    struct wf_msgregs m = {0};
    got.err = wf_sys_recv(ep, 0, &m);
    got.label = wf_msginfo_label(m.info);
    got.len = wf_msginfo_length(m.info);
    got.badge = m.badge;
    memcpy(got.w, m.w, sizeof(got.w));
    return 0;
}

TEST(ipc, send_recv_with_badge)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(ep);
    wf_cptr_t sender = derive(ep, WF_RIGHT_WRITE, 0x2a);
    TEST_ASSERT(sender);
    struct wf_thread t;
    memset(&got, 0, sizeof(got));
    TEST_ASSERT_ERR(wf_thread_create(e, &t, recv_once, ep, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    /* No receiver yet (the thread runs only when we block): Send blocks, then
     * the receiver takes the message. */
    struct wf_msgregs m = {.info = wf_msginfo(7, 0, 3), .w = {11, 22, 33, 44}};
    TEST_ASSERT_ERR(wf_sys_send(sender, &m), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_ERR(got.err, WF_ERR_OK);
    TEST_ASSERT_EQ(got.label, 7);
    TEST_ASSERT_EQ(got.len, 3);
    TEST_ASSERT_EQ(got.badge, 0x2a);
    TEST_ASSERT_EQ(got.w[0], 11);
    TEST_ASSERT_EQ(got.w[1], 22);
    TEST_ASSERT_EQ(got.w[2], 33);
}

TEST(ipc, nonblocking_send_and_recv)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(ep);
    struct wf_msgregs m = {.info = wf_msginfo(1, 0, 1), .w = {0xdead}};
    TEST_ASSERT_ERR(wf_sys_nbsend(ep, &m), WF_ERR_WOULD_BLOCK);
    m = (struct wf_msgregs){0};
    TEST_ASSERT_ERR(wf_sys_nbrecv(ep, 0, &m), WF_ERR_WOULD_BLOCK);
    /* With a receiver waiting NBSend delivers; the dropped message is gone. */
    struct wf_thread t;
    memset(&got, 0, sizeof(got));
    TEST_ASSERT_ERR(wf_thread_create(e, &t, recv_once, ep, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    m = (struct wf_msgregs){.info = wf_msginfo(2, 0, 1), .w = {0xbeef}};
    TEST_ASSERT_ERR(wf_sys_nbsend(ep, &m), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(got.label, 2);
    TEST_ASSERT_EQ(got.w[0], 0xbeef);
    m = (struct wf_msgregs){0};
    TEST_ASSERT_ERR(wf_sys_nbrecv(ep, 0, &m), WF_ERR_WOULD_BLOCK);
}

/* --- Call and ReplyRecv ---------------------------------------------------------- */

static void check_call_badges(bool child)
{
    struct server s;
    TEST_ASSERT_ERR(server_start(&s, child, TEST_CHILD_PRIO), WF_ERR_OK);
    static const wf_word_t badges[] = {0x11, 0x22, 0};
    for (unsigned i = 0; i < 3; i++) {
        wf_cptr_t c = derive(s.ep, WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, badges[i]);
        TEST_ASSERT(c);
        struct wf_msgregs m = {.info = wf_msginfo(UC_OP_INC, 0, 3), .w = {1, 2, 3 + i, 99}};
        TEST_ASSERT_ERR(wf_sys_call(c, &m), WF_ERR_OK);
        TEST_ASSERT_EQ(wf_msginfo_label(m.info), UC_OP_INC + 1);
        TEST_ASSERT_EQ(wf_msginfo_length(m.info), 3);
        TEST_ASSERT_EQ(m.w[0], 2);
        TEST_ASSERT_EQ(m.w[1], 3);
        TEST_ASSERT_EQ(m.w[2], 4 + i);
        wf_word_t r[5];
        TEST_ASSERT_EQ(wf_call(c, UC_OP_CAPS, 0, 0, 0, 0, r, 5), UC_OP_CAPS + 1);
        TEST_ASSERT_EQ(r[0], badges[i]);
    }
    TEST_ASSERT_EQ(server_stop(&s), 0);
}

TEST(ipc, call_reply_badges_same_space)
{
    check_call_badges(false);
}

TEST(ipc, call_reply_badges_cross_space)
{
    check_call_badges(true);
}

static void check_long(bool child)
{
    struct server s;
    TEST_ASSERT_ERR(server_start(&s, child, TEST_CHILD_PRIO), WF_ERR_OK);
    static wf_word_t w[WF_MSG_MAX_WORDS], r[WF_MSG_MAX_WORDS];
    for (unsigned n = 64; n <= WF_MSG_MAX_WORDS; n += WF_MSG_MAX_WORDS - 64) {
        for (unsigned i = 0; i < n; i++)
            w[i] = 0x1000 * n + i;
        memset(r, 0, sizeof(r));
        TEST_ASSERT_EQ(wf_call(s.ep, UC_OP_INC, w, n, 0, 0, r, n), UC_OP_INC + 1);
        for (unsigned i = 0; i < n; i++)
            TEST_ASSERT(r[i] == w[i] + 1, "%u words: word %u is %#llx", n, i,
                        (unsigned long long)r[i]);
    }
    /* A length field beyond the maximum is cut to WF_MSG_MAX_WORDS. */
    struct wf_msgregs m = {.info = wf_msginfo(UC_OP_INC, 0, 127)};
    TEST_ASSERT_ERR(wf_sys_call(s.ep, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_msginfo_length(m.info), WF_MSG_MAX_WORDS);
    TEST_ASSERT_EQ(server_stop(&s), 0);
}

TEST(ipc, long_messages_same_space)
{
    check_long(false);
}

TEST(ipc, long_messages_cross_space)
{
    check_long(true);
}

/* --- cap transfer and rights ----------------------------------------------------- */

static void check_grant(bool child)
{
#ifndef WEFT_DEBUG
    TEST_SKIP("the echo server names the received cap's type with DEBUG_CAP_IDENTIFY");
#endif
    struct server s;
    TEST_ASSERT_ERR(server_start(&s, child, TEST_CHILD_PRIO), WF_ERR_OK);
    wf_cptr_t ntfn = test_obj(WF_OBJ_NOTIFICATION, 0);
    wf_cptr_t grant = derive(s.ep, WF_RIGHT_WRITE | WF_RIGHT_GRANT, 0x55);
    wf_cptr_t nogrant = derive(s.ep, WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, 0x66);
    wf_cptr_t self = derive(s.ep, WF_RIGHT_WRITE, 0x77);
    TEST_ASSERT(ntfn && grant && nogrant && self);
    wf_word_t r[5];
    /* With Grant: the cap lands in the slot the receiver named. */
    TEST_ASSERT_EQ(wf_call(grant, UC_OP_CAPS, 0, 0, &ntfn, 1, r, 5), UC_OP_CAPS + 1);
    TEST_ASSERT_EQ(r[0], 0x55);
    TEST_ASSERT_EQ(r[1], 1);
    TEST_ASSERT_EQ(r[2], 0);
    TEST_ASSERT_EQ(r[3], WF_OBJ_NOTIFICATION);
    /* Without Grant the message goes, the cap does not. */
    TEST_ASSERT_EQ(wf_call(nogrant, UC_OP_CAPS, 0, 0, &ntfn, 1, r, 5), UC_OP_CAPS + 1);
    TEST_ASSERT_EQ(r[0], 0x66);
    TEST_ASSERT_EQ(r[1], 0);
    TEST_ASSERT_EQ(r[3], 0);
    /* A cap to the endpoint itself is unwrapped: its badge arrives instead. */
    TEST_ASSERT_EQ(wf_call(grant, UC_OP_CAPS, 0, 0, &self, 1, r, 5), UC_OP_CAPS + 1);
    TEST_ASSERT_EQ(r[1], 1);
    TEST_ASSERT_EQ(r[2], 1);
    TEST_ASSERT_EQ(r[3], 0);
    TEST_ASSERT_EQ(r[4], 0x77);
    /* Our cap is still ours after the transfer. */
    TEST_ASSERT_EQ(wf_debug_cap_identify(ntfn), WF_OBJ_NOTIFICATION);
    TEST_ASSERT_EQ(server_stop(&s), 0);
}

TEST(ipc, cap_transfer_needs_grant_same_space)
{
    check_grant(false);
}

TEST(ipc, cap_transfer_needs_grant_cross_space)
{
    check_grant(true);
}

TEST(ipc, call_needs_grant_or_grant_reply)
{
    struct server s;
    TEST_ASSERT_ERR(server_start(&s, true, TEST_CHILD_PRIO), WF_ERR_OK);
    wf_cptr_t w = derive(s.ep, WF_RIGHT_WRITE, 0);
    wf_cptr_t wg = derive(s.ep, WF_RIGHT_WRITE | WF_RIGHT_GRANT, 0);
    wf_cptr_t wgr = derive(s.ep, WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, 0);
    wf_cptr_t ro = derive(s.ep, WF_RIGHT_READ | WF_RIGHT_GRANT_REPLY, 0);
    TEST_ASSERT(w && wg && wgr && ro);
    struct wf_msgregs m = {.info = wf_msginfo(UC_OP_INC, 0, 1), .w = {5}};
    TEST_ASSERT_ERR(wf_sys_call(w, &m), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_EQ(m.w[0], WF_CAP_INVOKED);
    m = (struct wf_msgregs){.info = wf_msginfo(UC_OP_INC, 0, 1), .w = {5}};
    TEST_ASSERT_ERR(wf_sys_call(ro, &m), WF_ERR_INVALID_CAPABILITY);
    m = (struct wf_msgregs){.info = wf_msginfo(UC_OP_INC, 0, 1), .w = {5}};
    TEST_ASSERT_ERR(wf_sys_call(wg, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(m.w[0], 6);
    m = (struct wf_msgregs){.info = wf_msginfo(UC_OP_INC, 0, 1), .w = {6}};
    TEST_ASSERT_ERR(wf_sys_call(wgr, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(m.w[0], 7);
    /* Send needs Write, Recv needs Read. */
    m = (struct wf_msgregs){.info = wf_msginfo(UC_OP_INC, 0, 1)};
    TEST_ASSERT_ERR(wf_sys_nbsend(ro, &m), WF_ERR_INVALID_CAPABILITY);
    m = (struct wf_msgregs){0};
    TEST_ASSERT_ERR(wf_sys_nbrecv(w, 0, &m), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_EQ(server_stop(&s), 0);
}

TEST(ipc, malformed_system_calls_fail_cleanly)
{
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(ep);
    struct wf_msgregs m = {.info = wf_msginfo(1, 0, 0)};
    /* An empty slot; a CPtr whose high bits miss the root CNode's guard. */
    TEST_ASSERT_ERR(wf_sys_nbsend(test_slot(10), &m), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(m.w[0], WF_CAP_INVOKED);
    TEST_ASSERT_EQ(m.w[1], WF_LOOKUP_FAULT_EMPTY_SLOT);
    m = (struct wf_msgregs){0};
    TEST_ASSERT_ERR(wf_sys_nbsend((wf_cptr_t)1 << 40, &m), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(m.w[1], WF_LOOKUP_FAULT_GUARD_MISMATCH);
    /* Wrong cap types. */
    m = (struct wf_msgregs){0};
    TEST_ASSERT_ERR(wf_sys_nbsend(WF_ROOT_TCB, &m), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_EQ(m.w[0], WF_CAP_INVOKED);
    m = (struct wf_msgregs){0};
    TEST_ASSERT_ERR(wf_sys_nbrecv(ep, WF_ROOT_TCB, &m), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_EQ(m.w[0], WF_CAP_REPLY_ARG);
    m = (struct wf_msgregs){0};
    TEST_ASSERT_ERR(wf_syscall(WF_SYS_REPLY_RECV, ep, 0, &m), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(m.w[0], WF_CAP_REPLY_ARG);
    TEST_ASSERT_ERR(wf_sys_signal(ep), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_sys_poll(ep, 0), WF_ERR_INVALID_CAPABILITY);
    /* Invocations: an unknown method, too few words, an extra cap that does
     * not resolve. */
    wf_word_t r[4];
    TEST_ASSERT_EQ(wf_call(WF_ROOT_TCB, 0x3ff, 0, 0, 0, 0, r, 4), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_EQ(wf_call(WF_ROOT_TCB, WF_LABEL_TCB_SET_PRIORITY, 0, 0, 0, 0, r, 2),
                   WF_ERR_TRUNCATED_MESSAGE);
    TEST_ASSERT_EQ(r[0], 1);
    TEST_ASSERT_EQ(r[1], 1);
    TEST_ASSERT_ERR(wf_tcb_set_priority(WF_ROOT_TCB, test_slot(11), 1), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(wf_tcb_set_priority(WF_ROOT_TCB, ep, 1), WF_ERR_INVALID_CAPABILITY);
    /* The system call layer is still fine, and nothing changed. */
    TEST_ASSERT_ERR(wf_sys_yield(), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(test_slot(10)), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(ep), WF_OBJ_ENDPOINT);
}

/* The fast path (register-only Call and ReplyRecv, receiver waiting at a
 * priority at least the caller's) and the slow path give the same results. */
TEST(ipc, fast_and_slow_paths_agree)
{
    static const unsigned prios[] = {WF_PRIO_MAX, TEST_CHILD_PRIO};
    wf_word_t res[2][2][8];
    for (unsigned c = 0; c < 2; c++) {
        for (unsigned p = 0; p < 2; p++) {
            struct server s;
            TEST_ASSERT_ERR(server_start(&s, c, prios[p]), WF_ERR_OK);
            wf_cptr_t b = derive(s.ep, WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, 0x42);
            TEST_ASSERT(b);
            for (unsigned i = 0; i < 2; i++) { /* the second Call finds the server waiting */
                struct wf_msgregs m = {.info = wf_msginfo(UC_OP_INC, 0, 4), .w = {i, 8, 9, 10}};
                TEST_ASSERT_ERR(wf_sys_call(b, &m), WF_ERR_OK);
                wf_word_t *o = res[c][p] + 4 * i;
                o[0] = m.info;
                o[1] = m.w[0] + m.w[1];
                o[2] = m.w[2] + m.w[3];
                o[3] = m.badge;
            }
            TEST_ASSERT_EQ(server_stop(&s), 0);
        }
    }
    for (unsigned c = 0; c < 2; c++)
        for (unsigned i = 0; i < 8; i++)
            TEST_ASSERT(res[c][0][i] == res[c][1][i], "server %s: word %u: %#llx vs %#llx",
                        c ? "process" : "thread", i, (unsigned long long)res[c][0][i],
                        (unsigned long long)res[c][1][i]);
    TEST_ASSERT_EQ(res[0][0][0], wf_msginfo(UC_OP_INC + 1, 0, 4));
    TEST_ASSERT_EQ(res[0][0][1], 1 + 9);
    TEST_ASSERT_EQ(res[1][0][5], 2 + 9);
    TEST_ASSERT_EQ(res[1][0][6], 10 + 11);
}

/* A server thread that answers n Calls with the label and words it received
 * (ReplyRecv), recording each label. */
static wf_word_t echoed_labels[4];

static int label_echo(uintptr_t arg)
{
    wf_cptr_t ep = arg & 0xfffff, rp = arg >> 20;
    struct wf_msgregs m = {0};
    wf_word_t e = wf_sys_recv(ep, rp, &m);
    for (unsigned i = 0; e == WF_ERR_OK; i++) {
        echoed_labels[i & 3] = wf_msginfo_label(m.info);
        if (i == 3)
            return (int)wf_sys_send(rp, &m);
        e = wf_sys_reply_recv(ep, rp, &m);
    }
    return (int)e;
}

/* Labels use every bit above the info word's low fields, on the fast path as on
 * the slow one: a fast path that kept only 32 bits of the info word cut them. */
TEST(ipc, wide_labels_survive_both_paths)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0), rp = test_obj(WF_OBJ_REPLY, 0);
    TEST_ASSERT(ep && rp);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, label_echo, ep | rp << 20, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    static const wf_word_t labels[4] = {0x4e455854, 0xfffffffffffffull, 1ull << 40, 0x12345};
    for (unsigned i = 0; i < 4; i++) {
        /* 4 words: the register fast path; 1 word with a cap would go slow. */
        struct wf_msgregs m = {.info = wf_msginfo(labels[i], 0, 1), .w = {i}};
        TEST_ASSERT_ERR(wf_sys_call(ep, &m), WF_ERR_OK);
        TEST_ASSERT(wf_msginfo_label(m.info) == labels[i], "reply label %#llx, sent %#llx",
                    (unsigned long long)wf_msginfo_label(m.info), (unsigned long long)labels[i]);
        TEST_ASSERT_EQ(m.w[0], i);
    }
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.w[0], 0);
    for (unsigned i = 0; i < 4; i++)
        TEST_ASSERT(echoed_labels[i] == labels[i], "received label %#llx, sent %#llx",
                    (unsigned long long)echoed_labels[i], (unsigned long long)labels[i]);
}

/* A thread whose TCB names no IPC buffer: its long messages are cut to the
 * register words, with WF_ERR_INVALID_ARGUMENT for it (weft/ipc.h). */
static int send_long_unbuffered(uintptr_t ep)
{
    struct wf_msgregs m = {.info = wf_msginfo(3, 0, 10), .w = {1, 2, 3, 4}};
    return (int)wf_sys_send(ep, &m);
}

static int recv_long_unbuffered(uintptr_t ep)
{
    return recv_once(ep);
}

TEST(ipc, long_message_without_ipc_buffer)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(ep);
    const wf_word_t g = WF_GUARD(0, 64 - e->cnode_radix);
    /* Sender without a buffer. */
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, send_long_unbuffered, ep, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(
        wf_tcb_configure(t.tcb, e->cnode, e->tcb, g, 0, TEST_CHILD_PRIO, TEST_CHILD_PRIO),
        WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    struct wf_msgregs m = {0};
    TEST_ASSERT_ERR(wf_sys_recv(ep, 0, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_msginfo_label(m.info), 3);
    TEST_ASSERT_EQ(wf_msginfo_length(m.info), WF_MSG_REG_WORDS);
    TEST_ASSERT_EQ(m.w[3], 4);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_ERR(ev.w[0], WF_ERR_INVALID_ARGUMENT);
    /* Receiver without a buffer. */
    struct wf_thread r;
    memset(&got, 0, sizeof(got));
    TEST_ASSERT_ERR(wf_thread_create(e, &r, recv_long_unbuffered, ep, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(
        wf_tcb_configure(r.tcb, e->cnode, e->tcb, g, 0, TEST_CHILD_PRIO, TEST_CHILD_PRIO),
        WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&r), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    static wf_word_t w[10] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    for (unsigned i = 4; i < 10; i++)
        b->msg[i] = w[i];
    m = (struct wf_msgregs){.info = wf_msginfo(4, 0, 10), .w = {9, 8, 7, 6}};
    TEST_ASSERT_ERR(wf_sys_send(ep, &m), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&r, &ev), WF_ERR_OK);
    TEST_ASSERT_ERR(got.err, WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(got.label, 4);
    TEST_ASSERT_EQ(got.len, WF_MSG_REG_WORDS);
    TEST_ASSERT_EQ(got.w[0], 9);
}

/* --- which path ran (DEBUG_STAT) ------------------------------------------------- */

struct ipc_count {
    wf_word_t fast, slow;
};

/* Reads the two IPC counters; false if the kernel refuses. */
static bool ipc_count(struct ipc_count *c)
{
    return wf_debug_stat(WF_STAT_IPC_FAST, &c->fast) == WF_ERR_OK &&
           wf_debug_stat(WF_STAT_IPC_SLOW, &c->slow) == WF_ERR_OK;
}

/* Counts how many of the Calls and ReplyRecvs since *a took each path into
 * *d, and makes *a the new reading. */
static bool ipc_delta(struct ipc_count *a, struct ipc_count *d)
{
    struct ipc_count b;
    if (!ipc_count(&b))
        return false;
    d->fast = b.fast - a->fast;
    d->slow = b.slow - a->slow;
    *a = b;
    return true;
}

#define PAGE 4096ull

static void check_paths_counted(bool child)
{
    struct server s;
    TEST_ASSERT_ERR(server_start(&s, child, TEST_CHILD_PRIO), WF_ERR_OK);
    wf_word_t r[5];
    /* The first Call finds the server not yet waiting; afterwards it waits in
     * ReplyRecv. */
    TEST_ASSERT_EQ(wf_call(s.ep, UC_OP_INC, 0, 0, 0, 0, r, 0), UC_OP_INC + 1);
    struct ipc_count a, d;
    TEST_ASSERT(ipc_count(&a));
    /* Register-only both ways, the partner waiting: every Call and every
     * ReplyRecv on the fast path. */
    for (unsigned i = 0; i < 10; i++) {
        struct wf_msgregs m = {.info = wf_msginfo(UC_OP_INC, 0, 4), .w = {i, 1, 2, 3}};
        TEST_ASSERT_ERR(wf_sys_call(s.ep, &m), WF_ERR_OK);
        TEST_ASSERT_EQ(m.w[0], i + 1);
    }
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT_EQ(d.fast, 20);
    TEST_ASSERT_EQ(d.slow, 0);
    /* Five words each way: the first such Call and ReplyRecv may refill the
     * kernel's view of the IPC buffers (decision 076); from then on both take
     * the fast path. */
    static const wf_word_t w[5] = {1, 2, 3, 4, 5};
    TEST_ASSERT_EQ(wf_call(s.ep, UC_OP_INC, w, 5, 0, 0, r, 5), UC_OP_INC + 1);
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT_EQ(d.fast + d.slow, 2);
    TEST_ASSERT_EQ(wf_call(s.ep, UC_OP_INC, w, 5, 0, 0, r, 5), UC_OP_INC + 1);
    TEST_ASSERT_EQ(r[4], 6);
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT_EQ(d.fast, 2);
    TEST_ASSERT_EQ(d.slow, 0);
    /* A Call carrying a cap takes the fast path too; so does the five-word reply. */
    wf_cptr_t ntfn = test_obj(WF_OBJ_NOTIFICATION, 0);
    wf_cptr_t grant = derive(s.ep, WF_RIGHT_WRITE | WF_RIGHT_GRANT, 0);
    TEST_ASSERT(ntfn && grant);
    TEST_ASSERT(ipc_delta(&a, &d)); /* making them invoked objects: not IPC */
    TEST_ASSERT_EQ(d.fast, 0);
    TEST_ASSERT_EQ(d.slow, 0);
    TEST_ASSERT_EQ(wf_call(grant, UC_OP_CAPS, 0, 0, &ntfn, 1, r, 5), UC_OP_CAPS + 1);
    TEST_ASSERT_EQ(r[1], 1);
    TEST_ASSERT_EQ(r[3], WF_OBJ_NOTIFICATION);
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT_EQ(d.fast, 2);
    TEST_ASSERT_EQ(d.slow, 0);
    /* A register-only Call with a five-word reply: both fast. */
    TEST_ASSERT_EQ(wf_call(grant, UC_OP_CAPS, 0, 0, 0, 0, r, 5), UC_OP_CAPS + 1);
    TEST_ASSERT_EQ(r[1], 0);
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT_EQ(d.fast, 2);
    TEST_ASSERT_EQ(d.slow, 0);
    /* After any Unmap or Protect the kernel's view of the buffers is stale: the
     * next long Call takes the general path, which refills it (the server's
     * reply then finds both views valid again). */
    wf_cptr_t v = test_vmo(PAGE);
    TEST_ASSERT(v);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA, 0, PAGE, WF_VM_READ), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_protect(WF_ROOT_VSPACE, TEST_VA, PAGE, WF_VM_READ), WF_ERR_OK);
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT_EQ(wf_call(s.ep, UC_OP_INC, w, 5, 0, 0, r, 5), UC_OP_INC + 1);
    TEST_ASSERT_EQ(r[4], 6);
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT_EQ(d.fast, 1);
    TEST_ASSERT_EQ(d.slow, 1);
    /* Send, Recv and object invocations count on neither. */
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(ep);
    TEST_ASSERT(ipc_delta(&a, &d));
    struct wf_msgregs m = {.info = wf_msginfo(1, 0, 1)};
    TEST_ASSERT_ERR(wf_sys_nbsend(ep, &m), WF_ERR_WOULD_BLOCK);
    m = (struct wf_msgregs){0};
    TEST_ASSERT_ERR(wf_sys_nbrecv(ep, 0, &m), WF_ERR_WOULD_BLOCK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(ep), WF_OBJ_ENDPOINT);
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT_EQ(d.fast, 0);
    TEST_ASSERT_EQ(d.slow, 0);
    TEST_ASSERT_EQ(server_stop(&s), 0);
}

TEST(ipc, counters_name_the_path_same_space)
{
    check_paths_counted(false);
}

TEST(ipc, counters_name_the_path_cross_space)
{
    check_paths_counted(true);
}

TEST(ipc, debug_stat_refuses_unknown_counters)
{
    for (wf_word_t i = 0; i < WF_STAT_COUNT; i++) {
        wf_word_t v = ~0ull;
        TEST_ASSERT_ERR(wf_debug_stat(i, &v), WF_ERR_OK);
        TEST_ASSERT(v != ~0ull, "counter %llu", (unsigned long long)i);
    }
    wf_word_t v = 5;
    TEST_ASSERT_ERR(wf_debug_stat(WF_STAT_COUNT, &v), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(v, 0);
    TEST_ASSERT_ERR(wf_debug_stat(~0ull, &v), WF_ERR_INVALID_ARGUMENT);
    /* The error's detail: argument 0 is the offending one. */
    struct wf_msgregs m = {.w = {WF_STAT_COUNT + 100, 7, 7, 7}};
    TEST_ASSERT_ERR(wf_syscall(WF_SYS_DEBUG_STAT, 0, 0, &m), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(wf_msginfo_label(m.info), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(wf_msginfo_length(m.info), 1);
    TEST_ASSERT_EQ(m.w[0], 0);
}

/* --- every length on both paths; the IPC buffer's page changing under IPC -------- */

/* Makes the kernel's views of IPC buffers stale (decision 076): a Protect
 * somewhere else in the root VSpace (v mapped at TEST_VA). */
static bool stale_views(void)
{
    return wf_vspace_protect(WF_ROOT_VSPACE, TEST_VA, PAGE, WF_VM_READ) == WF_ERR_OK;
}

static void check_every_length(bool child)
{
    struct server s;
    TEST_ASSERT_ERR(server_start(&s, child, TEST_CHILD_PRIO), WF_ERR_OK);
    wf_cptr_t v = test_vmo(PAGE);
    TEST_ASSERT(v);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA, 0, PAGE, WF_VM_READ), WF_ERR_OK);
    static wf_word_t w[WF_MSG_MAX_WORDS], r[WF_MSG_MAX_WORDS];
    TEST_ASSERT_EQ(wf_call(s.ep, UC_OP_INC, w, WF_MSG_MAX_WORDS, 0, 0, r, 0), UC_OP_INC + 1);
    struct ipc_count a, d;
    TEST_ASSERT(ipc_count(&a));
    for (unsigned n = 0; n <= WF_MSG_MAX_WORDS; n++) {
        /* round 0: the Call on the general path (stale views; register messages
         * do not need them), round 1: everything on the fast path */
        for (unsigned round = 0; round < 2; round++) {
            for (unsigned i = 0; i < n; i++)
                w[i] = (wf_word_t)n << 32 | round << 16 | i;
            memset(r, 0, sizeof(r));
            if (round == 0)
                TEST_ASSERT(stale_views());
            TEST_ASSERT(ipc_delta(&a, &d));
            TEST_ASSERT_EQ(wf_call(s.ep, UC_OP_INC, w, n, 0, 0, r, n), UC_OP_INC + 1);
            for (unsigned i = 0; i < n; i++)
                TEST_ASSERT(r[i] == w[i] + 1, "%u words, round %u: word %u is %#llx", n, round, i,
                            (unsigned long long)r[i]);
            TEST_ASSERT(ipc_delta(&a, &d));
            bool slow = round == 0 && n > WF_MSG_REG_WORDS;
            TEST_ASSERT(d.slow == slow && d.fast == 2 - slow,
                        "%u words, round %u: fast %llu slow %llu", n, round,
                        (unsigned long long)d.fast, (unsigned long long)d.slow);
        }
    }
    TEST_ASSERT_EQ(server_stop(&s), 0);
}

TEST(ipc, every_length_on_both_paths_same_space)
{
    check_every_length(false);
}

TEST(ipc, every_length_on_both_paths_cross_space)
{
    check_every_length(true);
}

/* The IPC buffer thread of the tests below: its buffer is the page at
 * TEST_VA + PAGE (a VMO of its own). It serves `ep` with the Reply object
 * `rp`: ReplyRecv with no words, forever. */
static wf_cptr_t buf_ep, buf_rp;

static int buffer_server(uintptr_t arg)
{
    (void)arg;
    struct wf_msgregs m = {0};
    wf_sys_recv(buf_ep, buf_rp, &m);
    for (;;) {
        m = (struct wf_msgregs){.info = wf_msginfo(1, 0, 0)};
        wf_sys_reply_recv(buf_ep, buf_rp, &m);
    }
    return 0;
}

/* The buffer client: Calls `buf_ep` twice with 10 words, without touching its
 * buffer (which may be gone by the second); returns the second reply's error. */
static int buffer_client(uintptr_t arg)
{
    (void)arg;
    wf_word_t e = 0;
    for (unsigned i = 0; i < 2; i++) {
        struct wf_msgregs m = {.info = wf_msginfo(1, 0, 10), .w = {1, 2, 3, 4}};
        e = wf_sys_call(buf_ep, &m);
    }
    return (int)e;
}

/* Calls buf_ep with 10 words, msg[4..9] = base + i, from this thread's buffer. */
static wf_word_t call_ten(wf_word_t base)
{
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    for (unsigned i = 4; i < 10; i++)
        b->msg[i] = base + i;
    struct wf_msgregs m = {.info = wf_msginfo(1, 0, 10), .w = {base, 1, 2, 3}};
    return wf_sys_call(buf_ep, &m);
}

/* Starts thread t running fn with its IPC buffer at va. */
static enum wf_error start_with_buffer(struct wf_thread *t, int (*fn)(uintptr_t), wf_word_t va)
{
    struct wf_spawn_env *e = test_env();
    enum wf_error err = wf_thread_create(e, t, fn, 0, TEST_CHILD_PRIO);
    if (!err)
        err = wf_tcb_configure(t->tcb, e->cnode, e->tcb, WF_GUARD(0, 64 - e->cnode_radix), va,
                               TEST_CHILD_PRIO, TEST_CHILD_PRIO);
    return err ? err : wf_thread_start(t);
}

/* A receiver's IPC buffer page cloned copy-on-write while it waits: the
 * message words go to its own copy, never into the shared page the clone sees
 * (the kernel's cached view of the page was dropped by the clone). */
TEST(ipc, a_cow_cloned_ipc_buffer_gets_the_words_in_its_own_copy)
{
    TEST_ENV(e);
    wf_cptr_t v = test_vmo(PAGE), c = wf_env_slot(e);
    buf_ep = test_obj(WF_OBJ_ENDPOINT, 0);
    buf_rp = test_obj(WF_OBJ_REPLY, 0);
    TEST_ASSERT(v && c && buf_ep && buf_rp);
    const wf_word_t va = TEST_VA + PAGE;
    volatile wf_word_t *page = (volatile wf_word_t *)va;
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, va, 0, PAGE, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    page[0] = 1; /* mapped and writable before the thread is configured */
    struct wf_thread t;
    TEST_ASSERT_ERR(start_with_buffer(&t, buffer_server, va), WF_ERR_OK);
    struct ipc_count a, d;
    TEST_ASSERT(ipc_count(&a));
    TEST_ASSERT_ERR(call_ten(0x100), WF_ERR_OK);
    TEST_ASSERT_ERR(call_ten(0x200), WF_ERR_OK); /* the server waits: the fast path */
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT(d.fast >= 2, "fast %llu", (unsigned long long)d.fast);
    TEST_ASSERT_EQ(page[9], 0x209);
    /* Clone: v's page is now shared read-only between v and the clone. */
    TEST_ASSERT_ERR(wf_vmo_clone(v, e->pool, WF_ROOT_CNODE, c, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(call_ten(0x300), WF_ERR_OK);
    TEST_ASSERT_ERR(call_ten(0x400), WF_ERR_OK);
    TEST_ASSERT(ipc_delta(&a, &d));
    TEST_ASSERT(d.fast >= 2, "fast %llu", (unsigned long long)d.fast);
    TEST_ASSERT_EQ(page[4], 0x404);
    TEST_ASSERT_EQ(page[9], 0x409);
    static wf_word_t cw[10];
    TEST_ASSERT_ERR(wf_vmo_read(c, 0, sizeof(cw), WF_ROOT_VSPACE, (uintptr_t)cw), WF_ERR_OK);
    TEST_ASSERT(cw[4] == 0x204 && cw[9] == 0x209, "the clone sees %#llx %#llx",
                (unsigned long long)cw[4], (unsigned long long)cw[9]);
    TEST_ASSERT_ERR(wf_tcb_suspend(t.tcb), WF_ERR_OK);
}

/* A sender's IPC buffer page unmapped (and its VMO destroyed) after the
 * kernel cached it: its next long Call is cut to the register words, as for a
 * thread without a buffer; the kernel never reads the freed page. */
TEST(ipc, a_call_after_the_ipc_buffer_page_is_unmapped_is_cut_cleanly)
{
    TEST_ENV(e);
    wf_cptr_t v = test_vmo(PAGE);
    buf_ep = test_obj(WF_OBJ_ENDPOINT, 0);
    buf_rp = test_obj(WF_OBJ_REPLY, 0);
    TEST_ASSERT(v && buf_ep && buf_rp);
    const wf_word_t va = TEST_VA + PAGE;
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, va, 0, PAGE, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    volatile wf_word_t *page = (volatile wf_word_t *)va;
    for (unsigned i = 4; i < 10; i++)
        page[i] = 0x500 + i;
    /* This thread receives (with its own buffer); the client's buffer is the
     * page at va, cached when the client is configured. */
    struct wf_thread cl;
    TEST_ASSERT_ERR(start_with_buffer(&cl, buffer_client, va), WF_ERR_OK);
    struct wf_msgregs m = {0};
    TEST_ASSERT_ERR(wf_sys_recv(buf_ep, buf_rp, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_msginfo_length(m.info), 10);
    TEST_ASSERT_EQ(wf_ipc_buffer()->msg[9], 0x509);
    /* The page goes while the client waits for the reply; then the client makes
     * its second long Call. */
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, va, PAGE), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_delete(WF_ROOT_CNODE, v, 64), WF_ERR_OK);
    wf_ipc_buffer()->msg[9] = 0;
    m = (struct wf_msgregs){.info = wf_msginfo(1, 0, 0)};
    TEST_ASSERT_ERR(wf_sys_reply_recv(buf_ep, buf_rp, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_msginfo_length(m.info), WF_MSG_REG_WORDS);
    TEST_ASSERT_EQ(m.w[3], 4);
    TEST_ASSERT_EQ(wf_ipc_buffer()->msg[9], 0);
    m = (struct wf_msgregs){.info = wf_msginfo(1, 0, 0)};
    TEST_ASSERT_ERR(wf_sys_send(buf_rp, &m), WF_ERR_OK); /* the second reply */
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&cl, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
}
