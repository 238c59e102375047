/*
 * Self-tests of IPC with real ring-3 threads (the world is ktest_world.h): each
 * thread runs a script of system calls, the test runs them until none is
 * runnable and checks every result register. Sequence numbers (kw_result.seq)
 * give the order in which entries completed across threads.
 */
#include "cap/cdt.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "lib/string.h"
#include "sched/sched.h"

#define RIGHTS_RW (WF_RIGHT_READ | WF_RIGHT_WRITE)

/* Sets the world up or fails the test. */
#define SETUP() KT_ASSERT(kw_setup(), "no memory for the test world")

/* A client (thread 0) makes three Calls through an endpoint cap badged 0x2a; the
 * server (thread 1, higher priority) receives, replies with the words + 1. */
static void call_server_script(void)
{
    KW_RECV(1, KW_EP(0), KW_REPLY(0));
    for (unsigned k = 0; k < 3; k++)
        KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0x77, 3, 11 + k, 12 + k, 13 + k, 0);
    for (unsigned k = 0; k < 3; k++)
        KW_CALL(0, KW_FREE, 0x100 + k, 4, 1 + k, 2 + k, 3 + k, 4 + k);
    KW_SUSPEND_SELF(0);
}

KTEST(ipc, call_and_reply_recv_deliver_words_badge_and_label)
{
    SETUP();
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHTS_ALL, 0x2a), WF_ERR_OK);
    call_server_script();
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    for (unsigned k = 0; k < 3; k++) {
        struct kw_result *srv = kw_res(1, k), *cli = kw_res(0, k);
        KT_ASSERT(srv->seq && cli->seq, "call %u did not complete", k);
        KT_ASSERT_EQ(srv->err, WF_ERR_OK);
        KT_ASSERT_EQ(srv->info, wf_msginfo(0x100 + k, 0, 4));
        KT_ASSERT_EQ(srv->badge, 0x2a);
        KT_ASSERT(srv->w[0] == 1 + k && srv->w[3] == 4 + k, "server got %lu..%lu",
                  (unsigned long)srv->w[0], (unsigned long)srv->w[3]);
        KT_ASSERT_EQ(cli->err, WF_ERR_OK);
        KT_ASSERT_EQ(cli->info, wf_msginfo(0x77, 0, 3));
        KT_ASSERT_EQ(cli->badge, 0);
        KT_ASSERT(cli->w[0] == 11 + k && cli->w[2] == 13 + k, "client got %lu",
                  (unsigned long)cli->w[0]);
        KT_ASSERT(srv->seq < cli->seq, "the server ran first");
    }
    KT_ASSERT(ipc_stats.fast >= 5, "fast path taken %lu times", (unsigned long)ipc_stats.fast);
    KT_ASSERT_EQ(kw_tcb(1)->state, TCB_BLOCKED_RECV);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
    kw_teardown();
}

/* The same conversation with the fast path on and off gives identical registers
 * in every result of both threads. */
KTEST(ipc, fast_and_slow_paths_give_the_same_results)
{
    static struct kw_result fast[2][8];
    for (int pass = 0; pass < 2; pass++) {
        SETUP();
        ipc_fastpath_set(pass == 0);
        KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, 0x55),
                     WF_ERR_OK);
        call_server_script();
        /* Through the IPC buffers, in the same conversation: a 5-word message
         * and a Call with an extra cap (which the cap's missing Grant drops). */
        KW_CALL(0, KW_FREE, 0x200, 5, 9, 9, 9, 9);
        kw_op(0, WF_SYS_CALL, KW_FREE, wf_msginfo(0x201, 1, 1), 5, 0, 0, 0, 0);
        KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0x78, 1, 99, 0, 0, 0);
        KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0x79, 1, 98, 0, 0, 0);
        kw_start(1, 20);
        kw_start(0, 10);
        sched_run_until_idle();
        uint64_t nfast = ipc_stats.fast;
        if (pass == 0) {
            KT_ASSERT(nfast >= 5, "fast path taken %lu times", (unsigned long)nfast);
            for (unsigned th = 0; th < 2; th++)
                for (unsigned e = 0; e < 6; e++)
                    fast[th][e] = *kw_res(th, e);
        } else {
            KT_ASSERT_EQ(nfast, 0);
            for (unsigned th = 0; th < 2; th++)
                for (unsigned e = 0; e < 6; e++) {
                    struct kw_result *a = &fast[th][e], *b = kw_res(th, e);
                    KT_ASSERT(a->seq == b->seq, "thread %u entry %u: order differs", th, e);
                    KT_ASSERT(a->err == b->err && a->info == b->info && a->badge == b->badge,
                              "thread %u entry %u: err/info/badge %lx/%lx/%lx vs %lx/%lx/%lx", th,
                              e, (unsigned long)a->err, (unsigned long)a->info,
                              (unsigned long)a->badge, (unsigned long)b->err,
                              (unsigned long)b->info, (unsigned long)b->badge);
                    for (unsigned w = 0; w < 4; w++)
                        KT_ASSERT(a->w[w] == b->w[w], "thread %u entry %u word %u", th, e, w);
                }
        }
        kw_teardown();
    }
}

/* One pass of long_messages_and_caps_agree_on_both_paths: thread 0 Calls
 * thread 1 with each length of `lens` (its last word marked by BUFSET), then
 * with one cap (a notification, into thread 1's receive slot), then with an
 * endpoint cap to the endpoint itself (unwrapped); thread 1 answers each with
 * one word fewer. */
static const unsigned agree_lens[] = {0, 4, 5, 6, 17, 64, 119, 120, 127};
#define AGREE_N (sizeof(agree_lens) / sizeof(agree_lens[0]))

static void long_caps_run(bool fast)
{
    ipc_fastpath_set(fast);
    const unsigned dest = KW_FREE + 2;
    kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE | WF_RIGHT_GRANT, 0x66);
    kw_mint(KW_FREE + 1, KW_EP(0), WF_RIGHT_WRITE, 0x99);
    for (unsigned i = 0; i < WF_MSG_MAX_WORDS; i++) {
        kw_ipcbuf(0)->msg[i] = 0xa000 + i;
        kw_ipcbuf(1)->msg[i] = 0xb000 + i;
    }
    kw_ipcbuf(1)->receive_cnode = 1;
    kw_ipcbuf(1)->receive_index = dest;
    kw_ipcbuf(1)->receive_depth = 64;
    KW_RECV(1, KW_EP(0), KW_REPLY(0));
    for (unsigned k = 0; k < AGREE_N + 2; k++) {
        unsigned n = k < AGREE_N ? agree_lens[k] : 1;
        KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0x70 + k, n ? n - 1 : 0, k, 0, 0, 0);
    }
    for (unsigned k = 0; k < AGREE_N; k++) {
        unsigned n = agree_lens[k];
        if (n > WF_MSG_REG_WORDS && n <= WF_MSG_MAX_WORDS)
            kw_op(0, KW_OP_BUFSET, n - 1, 0xc000 + k, 0, 0, 0, 0, 0);
        KW_CALL(0, KW_FREE, 0x40 + k, n, k, 1, 2, 3);
    }
    kw_op(0, KW_OP_BUFSET, WF_MSG_MAX_WORDS + 1, KW_NTFN(0), 0, 0, 0, 0, 0); /* caps[0] */
    kw_op(0, WF_SYS_CALL, KW_FREE, wf_msginfo(0x60, 1, 1), 7, 0, 0, 0, 0);
    kw_op(0, KW_OP_BUFSET, WF_MSG_MAX_WORDS + 1, KW_FREE + 1, 0, 0, 0, 0, 0);
    kw_op(0, WF_SYS_CALL, KW_FREE, wf_msginfo(0x61, 1, 1), 8, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
}

/* Long messages of every kind of length (register-only, just past the
 * registers, the whole buffer, beyond the maximum) and Calls carrying a cap and
 * an unwrapped cap: the fast path takes every Call and ReplyRecv (but those
 * with a length field above 120), the slow path none, and both give the same result registers, the same buffers and the same
 * received cap. */
KTEST(ipc, long_messages_and_caps_agree_on_both_paths)
{
#define AGREE_E 24 /* script entries compared per thread */
    static struct kw_result res[2][2][AGREE_E];
    static struct wf_ipc_buffer bufs[2][2];
    uint64_t nfast[2], nslow[2];
    for (int pass = 0; pass < 2; pass++) {
        SETUP();
        long_caps_run(pass == 0);
        nfast[pass] = ipc_stats.fast;
        nslow[pass] = ipc_stats.slow;
        for (unsigned th = 0; th < 2; th++) {
            for (unsigned e = 0; e < AGREE_E; e++)
                res[pass][th][e] = *kw_res(th, e);
            bufs[pass][th] = *kw_ipcbuf(th);
        }
        bool got = cap_type(kw_slot(KW_FREE + 2)->cap) == CAP_NOTIFICATION;
        kw_teardown();
        KT_ASSERT(got, "pass %d: the cap did not arrive", pass);
    }
    /* every Call and ReplyRecv but the 127-word Call and its 126-word reply,
     * whose length fields the slow path cuts */
    KT_ASSERT(nfast[0] == 2 * (AGREE_N + 2) - 2 && nslow[0] == 2, "fast pass: fast %lu slow %lu",
              (unsigned long)nfast[0], (unsigned long)nslow[0]);
    KT_ASSERT(nfast[1] == 0, "slow pass: fast %lu", (unsigned long)nfast[1]);
    for (unsigned th = 0; th < 2; th++) {
        for (unsigned e = 0; e < AGREE_E; e++) {
            struct kw_result *a = &res[0][th][e], *b = &res[1][th][e];
            KT_ASSERT(a->err == b->err && a->info == b->info && a->badge == b->badge &&
                          a->w[0] == b->w[0] && a->w[3] == b->w[3],
                      "thread %u entry %u: %lx/%lx vs %lx/%lx", th, e, (unsigned long)a->err,
                      (unsigned long)a->info, (unsigned long)b->err, (unsigned long)b->info);
        }
        KT_ASSERT(!memcmp(&bufs[0][th], &bufs[1][th], sizeof(bufs[0][th])),
                  "thread %u: the IPC buffers differ", th);
    }
    /* what arrived: every length (cut at 120), the marked last word, the caps */
    for (unsigned k = 0; k < AGREE_N; k++) {
        unsigned n = agree_lens[k] > WF_MSG_MAX_WORDS ? WF_MSG_MAX_WORDS : agree_lens[k];
        KT_ASSERT_EQ(res[0][1][k].info, wf_msginfo(0x40 + k, 0, n));
        KT_ASSERT_EQ(res[0][1][k].badge, 0x66);
    }
    KT_ASSERT_EQ(bufs[0][1].msg[119], 0xc000 + 7); /* the 120-word Call's mark */
    KT_ASSERT_EQ(bufs[0][0].msg[63], 0xc000 + 5);  /* the 64-word Call's, echoed */
    KT_ASSERT_EQ(res[0][1][AGREE_N].info, wf_msginfo(0x60, 1, 1));
    KT_ASSERT_EQ(res[0][1][AGREE_N + 1].info,
                 wf_msginfo(0x61, 1, 1) | 1u << WF_MSGINFO_UNWRAP_SHIFT);
    KT_ASSERT_EQ(bufs[0][1].caps_or_badges[0], 0x99);
}

/* A CPtr to root slot x through a two-level CSpace: the root CNode seen through
 * a guardless radix-6 cap (KW_FREE + 1, the CSpace) whose slot KW_FREE + 2 holds
 * the root again with a 52-bit guard of zeros. */
#define L2(x) ((uint64_t)(KW_FREE + 2) << 58 | (x))

/* One run of the conversation of fast_and_slow_paths_agree_where_the_rules_changed;
 * false if the register rewrite failed. */
static bool agree_run(bool fast)
{
    ipc_fastpath_set(fast);
    struct slot *root = kw_slot(0);
    cdt_insert_derived(kw_slot(1), kw_slot(KW_FREE + 1), cap_cnode_new(root, 6, 0, 0));
    cdt_insert_derived(kw_slot(1), kw_slot(KW_FREE + 2), cap_cnode_new(root, 6, 0, 52));
    kw_set_cspace(0, KW_FREE + 1);
    /* server (thread 1, priority 10): Recv, then ReplyRecv with the words + 100 */
    KW_RECV(1, KW_EP(0), KW_REPLY(0));
    for (unsigned k = 0; k < 4; k++)
        KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0x90 + k, 2, 100 + k, 200 + k, 0, 0);
    /* client (thread 0, priority 20, two-level CSpace) */
    KW_CALL(0, L2(KW_EP(0)), 0x10, 1, 1, 0, 0, 0); /* thread 2 (15) is queued: refused */
    KW_CALL(0, L2(KW_EP(0)), 0x11, 2, 2, 3, 0, 0); /* a receiver below the caller: taken */
    kw_op(0, WF_SYS_CALL, L2(KW_TCB(0)), wf_msginfo(WF_LABEL_TCB_SUSPEND, 0, 0), 0, 0, 0, 0, 0);
    KW_CALL(0, L2(KW_EP(0)), 0x12, 3, 4, 5, 6, 0); /* the server's frame was rewritten */
    KW_CALL(0, L2(KW_EP(0)) | 1ull << 20, 0x13, 1, 7, 0, 0, 0); /* guard mismatch */
    KW_CALL(0, L2(KW_EP(0)), 0x14, 4, 8, 9, 10, 11);
    kw_op(0, WF_SYS_CALL, L2(KW_TCB(0)), wf_msginfo(WF_LABEL_TCB_SUSPEND, 0, 0), 0, 0, 0, 0, 0);
    /* thread 2 (priority 15): spins, stops */
    kw_op(2, KW_OP_SPIN, 1000, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(2);
    kw_start(1, 10);
    sched_run_until_idle();
    kw_start(0, 20);
    kw_start(2, 15);
    sched_run_until_idle();
    /* the server waits in ReplyRecv: rewrite its flags (with privileged bits:
     * x86-64 IOPL 3 and NT), as a debugger would, then let the client go on */
    const wf_word_t w[6] = {WF_FAULT_WORD_FLAGS, 1, KTEST_FLAGS_REWRITE, 0, 0, 0};
    bool ok = kw_invoke(KW_TCB(1), WF_LABEL_TCB_WRITE_REGISTERS, w, 6, NULL, 0, NULL) == WF_ERR_OK;
    kw_invoke(KW_TCB(0), WF_LABEL_TCB_RESUME, NULL, 0, NULL, 0, NULL);
    sched_run_until_idle();
    return ok;
}

/* Where the fast path's rules changed (decision 038), the fast path on and off
 * give the same results, in the same order, and the same final registers: a
 * Call to a receiver of lower priority than the caller (taken), the same while a
 * thread between the two is runnable (refused: that thread runs first), a
 * receiver whose registers were rewritten while it waited (taken; it leaves by
 * the general exit, which sanitizes its flags), a two-level CSpace (the general
 * lookup), and a CPtr whose guard does not match (a lookup error). */
KTEST(ipc, fast_and_slow_paths_agree_where_the_rules_changed)
{
    static struct kw_result res[2][3][8];
    static uint64_t regs[2][3][WF_REGS_COUNT + 1];
    uint64_t nfast = 0, nslow = 0;
    for (int pass = 0; pass < 2; pass++) {
        SETUP();
        bool rewritten = agree_run(pass == 0);
        for (unsigned th = 0; th < 3; th++) {
            for (unsigned e = 0; e < 8; e++)
                res[pass][th][e] = *kw_res(th, e);
            for (unsigned i = 0; i < WF_REGS_COUNT; i++)
                regs[pass][th][i] = ctx_reg(&kw_tcb(th)->ctx, i);
            regs[pass][th][WF_REGS_COUNT] = KTEST_CTX_ENTRY(&kw_tcb(th)->ctx);
        }
        if (pass == 0) {
            nfast = ipc_stats.fast;
            nslow = ipc_stats.slow;
        } else {
            KT_ASSERT_EQ(ipc_stats.fast, 0);
        }
        bool stopped = kw_tcb(0)->state == TCB_INACTIVE && kw_tcb(2)->state == TCB_INACTIVE &&
                       kw_tcb(1)->state == TCB_BLOCKED_RECV;
        kw_teardown();
        KT_ASSERT(rewritten, "TCB_WriteRegisters failed");
        KT_ASSERT(stopped, "the conversation did not finish");
    }
    /* fast: calls 2, 3 and 5 and the four ReplyRecvs; slow: call 1 (the lookup
     * error is counted by neither) */
    KT_ASSERT(nfast == 7 && nslow == 1, "fast %lu slow %lu", (unsigned long)nfast,
              (unsigned long)nslow);
    for (unsigned th = 0; th < 3; th++) {
        for (unsigned e = 0; e < 8; e++) {
            struct kw_result *a = &res[0][th][e], *b = &res[1][th][e];
            KT_ASSERT(a->seq == b->seq && a->err == b->err && a->info == b->info &&
                          a->badge == b->badge && a->w[0] == b->w[0] && a->w[1] == b->w[1] &&
                          a->w[2] == b->w[2] && a->w[3] == b->w[3],
                      "thread %u entry %u: seq %lu/%lu err %lx/%lx info %lx/%lx", th, e,
                      (unsigned long)a->seq, (unsigned long)b->seq, (unsigned long)a->err,
                      (unsigned long)b->err, (unsigned long)a->info, (unsigned long)b->info);
        }
        for (unsigned i = 0; i <= WF_REGS_COUNT; i++)
            KT_ASSERT(regs[0][th][i] == regs[1][th][i], "thread %u register %u: %lx vs %lx", th, i,
                      (unsigned long)regs[0][th][i], (unsigned long)regs[1][th][i]);
    }
    /* what the client saw, checked once (both passes agree) */
    KT_ASSERT(res[0][2][0].seq < res[0][1][0].seq, "thread 2 did not run before the server");
    KT_ASSERT_EQ(res[0][0][0].info, wf_msginfo(0x90, 0, 2));
    KT_ASSERT_EQ(res[0][0][0].w[0], 100);
    KT_ASSERT_EQ(res[0][0][3].info, wf_msginfo(0x92, 0, 2));
    KT_ASSERT_EQ(res[0][0][4].err, WF_ERR_FAILED_LOOKUP);
    KT_ASSERT_EQ(res[0][0][5].info, wf_msginfo(0x93, 0, 2));
    KT_ASSERT_EQ(res[0][1][3].info, wf_msginfo(0x14, 0, 4));
    KT_ASSERT_EQ(res[0][1][3].w[3], 11);
    /* the server's rewritten flags were sanitized on the way out (it saved its
     * flags again at its next syscall) */
    KT_ASSERT_EQ(regs[0][1][WF_FAULT_WORD_FLAGS] & KTEST_FLAGS_PRIVILEGED, 0);
}

KTEST(ipc, send_blocks_until_a_receiver_comes_and_nonblocking_calls_do_not)
{
    SETUP();
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE, 7), WF_ERR_OK);
    /* Thread 0 (high) sends first and blocks; thread 1 receives it later. */
    kw_op(0, WF_SYS_NBSEND, KW_FREE, wf_msginfo(1, 0, 1), 5, 0, 0, 0, 0);
    KW_SEND(0, KW_FREE, 2, 2, 6, 7, 0, 0);
    KW_SUSPEND_SELF(0);
    kw_op(1, WF_SYS_NBRECV, KW_EP(0), 0, 0, 0, 0, 0, 0);
    KW_RECV(1, KW_EP(0), 0);
    kw_op(1, WF_SYS_NBRECV, KW_EP(0), 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    kw_start(0, 30);
    kw_start(1, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(0, 0)->err, WF_ERR_WOULD_BLOCK);
    KT_ASSERT_EQ(kw_res(1, 0)->err, WF_ERR_OK); /* NBRecv took the queued send */
    KT_ASSERT_EQ(kw_res(1, 0)->info, wf_msginfo(2, 0, 2));
    KT_ASSERT(kw_res(1, 0)->w[0] == 6 && kw_res(1, 0)->w[1] == 7 && kw_res(1, 0)->badge == 7);
    KT_ASSERT_EQ(kw_res(0, 1)->err, WF_ERR_OK);
    /* The woken sender has the higher priority: it runs before the receiver
     * returns from its NBRecv. */
    KT_ASSERT(kw_res(0, 1)->seq < kw_res(1, 0)->seq, "the receiver was not preempted");
    KT_ASSERT_EQ(kw_tcb(1)->state, TCB_BLOCKED_RECV); /* nobody sends again */
    kw_teardown();
}

KTEST(ipc, long_messages_travel_through_the_ipc_buffers)
{
    SETUP();
    for (unsigned i = 4; i < WF_MSG_MAX_WORDS; i++)
        kw_ipcbuf(0)->msg[i] = 0x1000 + i;
    KW_SEND(0, KW_EP(0), 3, WF_MSG_MAX_WORDS, 0x1000, 0x1001, 0x1002, 0x1003);
    KW_SEND(0, KW_EP(0), 4, 127, 1, 2, 3, 4); /* lengths above 120 are cut */
    KW_SUSPEND_SELF(0);
    KW_RECV(1, KW_EP(0), 0);
    KW_RECV(1, KW_EP(0), 0);
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, 0)->info, wf_msginfo(3, 0, WF_MSG_MAX_WORDS));
    KT_ASSERT_EQ(kw_res(1, 1)->info, wf_msginfo(4, 0, WF_MSG_MAX_WORDS));
    for (unsigned i = 4; i < WF_MSG_MAX_WORDS; i++)
        KT_ASSERT(kw_ipcbuf(1)->msg[i] == 0x1000 + i, "word %u is %lx", i,
                  (unsigned long)kw_ipcbuf(1)->msg[i]);
    KT_ASSERT_EQ(kw_res(1, 0)->w[3], 0x1003);
    kw_teardown();
}

KTEST(ipc, a_long_message_from_a_thread_without_ipc_buffer_is_cut_and_reported)
{
    SETUP();
    KW_SEND(0, KW_EP(0), 3, 10, 1, 2, 3, 4);
    KW_SUSPEND_SELF(0);
    KW_RECV(1, KW_EP(0), 0);
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    kw_start(0, 10);
    tcb_set_ipc_buffer(kw_tcb(0), 0);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, 0)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(1, 0)->info, wf_msginfo(3, 0, 4));
    KT_ASSERT_EQ(kw_res(0, 0)->err, WF_ERR_INVALID_ARGUMENT);
    kw_teardown();
}

/* Thread 0 sends a notification cap (and an endpoint cap to the endpoint it sends
 * through, which is unwrapped into its badge) to thread 1's receive slot. */
static void cap_transfer(uint64_t rights, bool expect)
{
    SETUP();
    const unsigned sender = KW_FREE, wrapped = KW_FREE + 1, dest = KW_FREE + 2;
    KT_ASSERT_EQ(kw_mint(sender, KW_EP(0), rights, 0x11), WF_ERR_OK);
    KT_ASSERT_EQ(kw_mint(wrapped, KW_EP(0), WF_RIGHT_WRITE, 0x99), WF_ERR_OK);
    kw_ipcbuf(0)->caps_or_badges[0] = wrapped;
    kw_ipcbuf(0)->caps_or_badges[1] = KW_NTFN(0);
    kw_ipcbuf(1)->receive_cnode = 1;
    kw_ipcbuf(1)->receive_index = dest;
    kw_ipcbuf(1)->receive_depth = 64;
    kw_op(0, WF_SYS_SEND, sender, wf_msginfo(5, 2, 0), 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    KW_RECV(1, KW_EP(0), 0);
    KW_SYS(1, WF_SYS_DEBUG_CAP_IDENTIFY, dest);
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    struct kw_result *r = kw_res(1, 0);
    KT_ASSERT_EQ(r->err, WF_ERR_OK);
    if (expect) {
        KT_ASSERT_EQ(r->info, wf_msginfo(5, 2, 0) | 1u << WF_MSGINFO_UNWRAP_SHIFT);
        KT_ASSERT_EQ(kw_ipcbuf(1)->caps_or_badges[0], 0x99);
        KT_ASSERT_EQ(kw_res(1, 1)->w[0], WF_OBJ_NOTIFICATION);
        KT_ASSERT(cap_object(kw_slot(dest)->cap) == cap_object(kw_slot(KW_NTFN(0))->cap));
    } else {
        KT_ASSERT_EQ(r->info, wf_msginfo(5, 0, 0));
        KT_ASSERT_EQ(kw_res(1, 1)->w[0], 0); /* the slot stayed empty */
    }
    kw_teardown();
}

KTEST(ipc, caps_travel_only_with_grant_and_land_in_the_named_slot)
{
    cap_transfer(WF_RIGHT_WRITE | WF_RIGHT_GRANT, true);
    if (ktest_failed())
        return;
    cap_transfer(WF_RIGHT_WRITE, false);
}

/* The fast path takes a Call only through an endpoint cap with Write and
 * Grant or GrantReply (the type and Write in one masked compare, then the
 * grants: fastpath.c's fast_cap_is): with the receiver waiting, a Call without
 * Write and one with neither grant fail as the slow path fails them, nothing
 * delivered, and one with Write and GrantReply goes through the fast path, as
 * does the reply. */
KTEST(ipc, fast_path_takes_a_call_only_with_the_rights_it_needs)
{
    SETUP();
    ipc_fastpath_set(true);
    KT_ASSERT_EQ(
        kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_READ | WF_RIGHT_GRANT | WF_RIGHT_GRANT_REPLY, 0),
        WF_ERR_OK);                                                        /* no Write */
    KT_ASSERT_EQ(kw_mint(KW_FREE + 1, KW_EP(0), RIGHTS_RW, 0), WF_ERR_OK); /* no Grant* */
    KT_ASSERT_EQ(kw_mint(KW_FREE + 2, KW_EP(0), WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, 0x3c),
                 WF_ERR_OK);
    unsigned r0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0x77, 1, 5, 0, 0, 0);
    unsigned e0 = KW_CALL(0, KW_FREE, 0x100, 1, 1, 0, 0, 0);
    unsigned e1 = KW_CALL(0, KW_FREE + 1, 0x101, 1, 2, 0, 0, 0);
    unsigned e2 = KW_CALL(0, KW_FREE + 2, 0x102, 1, 3, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(0, e0)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(0, e1)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(1, r0)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(1, r0)->info, wf_msginfo(0x102, 0, 1)); /* the third Call, first in */
    KT_ASSERT_EQ(kw_res(1, r0)->badge, 0x3c);
    KT_ASSERT_EQ(kw_res(1, r0)->w[0], 3);
    KT_ASSERT_EQ(kw_res(0, e2)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, e2)->w[0], 5);
    KT_ASSERT(ipc_stats.fast == 2 && ipc_stats.slow == 0, "fast %lu, slow %lu",
              (unsigned long)ipc_stats.fast, (unsigned long)ipc_stats.slow);
    kw_teardown();
}

KTEST(ipc, malformed_system_calls_return_errors_and_change_nothing)
{
    SETUP();
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE, 0), WF_ERR_OK);       /* no Grant* */
    KT_ASSERT_EQ(kw_mint(KW_FREE + 1, KW_EP(0), WF_RIGHT_READ, 0), WF_ERR_OK);    /* no Write */
    KT_ASSERT_EQ(kw_mint(KW_FREE + 2, KW_NTFN(0), WF_RIGHT_WRITE, 1), WF_ERR_OK); /* no Read */
    unsigned e0 = KW_CALL(0, KW_FREE + 10, 1, 0, 0, 0, 0, 0);                     /* empty slot */
    unsigned e1 = KW_CALL(0, KW_FREE, 1, 0, 0, 0, 0, 0);           /* no Grant(Reply) */
    unsigned e2 = KW_SEND(0, KW_FREE + 1, 1, 0, 0, 0, 0, 0);       /* no Write */
    unsigned e3 = KW_SEND(0, KW_NTFN(0), 1, 0, 0, 0, 0, 0);        /* not an endpoint */
    unsigned e4 = KW_RECV(0, KW_FREE, 0);                          /* no Read */
    unsigned e5 = KW_RECV(0, KW_EP(0), KW_EP(1));                  /* r12 not a Reply */
    unsigned e6 = KW_RECV(0, KW_EP(0), KW_FREE + 11);              /* r12 empty */
    unsigned e7 = KW_REPLY_RECV(0, KW_EP(0), 0, 0, 0, 0, 0, 0, 0); /* no Reply cap */
    unsigned e8 = KW_SYS(0, WF_SYS_WAIT, KW_FREE + 2);             /* no Read */
    unsigned e9 = KW_SYS(0, WF_SYS_SIGNAL, KW_EP(0));              /* not a notification */
    unsigned e10 = KW_CALL(0, KW_NTFN(0), WF_LABEL_TCB_RESUME, 0, 0, 0, 0, 0); /* wrong object */
    unsigned e11 = KW_CALL(0, KW_TCB(1), WF_LABEL_TCB_SET_PRIORITY, 1, 5, 0, 0, 0); /* no cap */
    kw_op(0, KW_OP_BUFSET, 121, KW_FREE + 12, 0, 0, 0, 0, 0); /* extra cap: an empty slot */
    unsigned e12 = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_SET_PRIORITY, 1, 1), 5,
                         0, 0, 0, 0);
    kw_op(0, KW_OP_BUFSET, 121, KW_TCB(2), 0, 0, 0, 0, 0); /* now a TCB with MCP 255 */
    unsigned e13 = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_SET_PRIORITY, 1, 1), 5,
                         0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    tcb_set_priority(kw_tcb(2), 0, WF_PRIO_MAX);
    kw_start(0, 10);
    sched_run_until_idle();
    struct kw_result *r;
    r = kw_res(0, e0);
    KT_ASSERT_EQ(r->err, WF_ERR_FAILED_LOOKUP);
    KT_ASSERT_EQ(r->info, wf_msginfo(WF_ERR_FAILED_LOOKUP, 0, 4));
    KT_ASSERT(r->w[0] == WF_CAP_INVOKED && r->w[1] == WF_LOOKUP_FAULT_EMPTY_SLOT && r->w[2] == 1,
              "details %lx %lx %lx", (unsigned long)r->w[0], (unsigned long)r->w[1],
              (unsigned long)r->w[2]);
    KT_ASSERT_EQ(kw_res(0, e1)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(0, e1)->w[0], WF_CAP_INVOKED);
    KT_ASSERT_EQ(kw_res(0, e2)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(0, e3)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(0, e4)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(0, e5)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(0, e5)->w[0], WF_CAP_REPLY_ARG);
    KT_ASSERT_EQ(kw_res(0, e6)->err, WF_ERR_FAILED_LOOKUP);
    KT_ASSERT_EQ(kw_res(0, e6)->w[0], WF_CAP_REPLY_ARG);
    KT_ASSERT_EQ(kw_res(0, e7)->err, WF_ERR_FAILED_LOOKUP);
    KT_ASSERT_EQ(kw_res(0, e8)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(0, e9)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(0, e10)->err, WF_ERR_ILLEGAL_OPERATION);
    KT_ASSERT_EQ(kw_res(0, e11)->err, WF_ERR_TRUNCATED_MESSAGE);
    KT_ASSERT(kw_res(0, e11)->w[0] == 1 && kw_res(0, e11)->w[1] == 1);
    KT_ASSERT_EQ(kw_res(0, e12)->err, WF_ERR_FAILED_LOOKUP);
    KT_ASSERT_EQ(kw_res(0, e12)->w[0], 0);
    KT_ASSERT_EQ(kw_res(0, e13)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_tcb(1)->prio, 5);
    kw_teardown();
}

/* Threads blocked on objects that are destroyed get WF_ERR_CANCELLED. */
KTEST(ipc, destroying_endpoints_notifications_and_replies_cancels_waiters)
{
    SETUP();
    KW_RECV(0, KW_EP(0), 0); /* endpoint destroyed */
    KW_SUSPEND_SELF(0);
    KW_SYS(1, WF_SYS_WAIT, KW_NTFN(0)); /* notification destroyed */
    KW_SUSPEND_SELF(1);
    KW_CALL(2, KW_EP(1), 9, 0, 0, 0, 0, 0); /* reply object destroyed */
    KW_SUSPEND_SELF(2);
    KW_RECV(3, KW_EP(1), KW_REPLY(0)); /* takes the Call, keeps the reply */
    KW_SUSPEND_SELF(3);
    kw_start(3, 20);
    kw_start(0, 10);
    kw_start(1, 10);
    kw_start(2, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_tcb(2)->state, TCB_BLOCKED_REPLY);
    KT_ASSERT_EQ(kw_res(3, 0)->info, wf_msginfo(9, 0, 0));
    KT_ASSERT_EQ(kw_delete(KW_EP(0)), WF_ERR_OK);
    KT_ASSERT_EQ(kw_delete(KW_NTFN(0)), WF_ERR_OK);
    KT_ASSERT_EQ(kw_delete(KW_REPLY(0)), WF_ERR_OK);
    sched_run_until_idle();
    for (unsigned th = 0; th < 3; th++) {
        KT_ASSERT(kw_res(th, 0)->seq, "thread %u still waits", th);
        KT_ASSERT(kw_res(th, 0)->err == WF_ERR_CANCELLED, "thread %u: error %lu", th,
                  (unsigned long)kw_res(th, 0)->err);
        KT_ASSERT_EQ(kw_tcb(th)->state, TCB_INACTIVE);
    }
    kw_teardown();
}

KTEST(ipc, revoking_a_badge_cancels_the_sends_queued_with_it)
{
    SETUP();
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE, 0x10), WF_ERR_OK);
    KT_ASSERT_EQ(kw_mint(KW_FREE + 1, KW_EP(0), WF_RIGHT_WRITE, 0x20), WF_ERR_OK);
    KW_SEND(0, KW_FREE, 1, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    KW_SEND(1, KW_FREE + 1, 2, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    kw_start(0, 10);
    kw_start(1, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_revoke(KW_FREE), WF_ERR_OK);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(0, 0)->err, WF_ERR_CANCELLED);
    KT_ASSERT_EQ(kw_res(1, 0)->seq, 0); /* the other badge still waits */
    KT_ASSERT_EQ(kw_tcb(1)->state, TCB_BLOCKED_SEND);
    kw_teardown();
}

KTEST(ipc, a_call_to_a_receiver_without_reply_object_is_cancelled)
{
    SETUP();
    KW_CALL(0, KW_EP(0), 4, 1, 42, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    KW_RECV(1, KW_EP(0), 0);
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, 0)->w[0], 42);
    KT_ASSERT_EQ(kw_res(0, 0)->err, WF_ERR_CANCELLED);
    kw_teardown();
}

KTEST(ipc, a_reply_object_can_be_answered_later_through_send)
{
    SETUP();
    KW_CALL(0, KW_EP(0), 4, 1, 42, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    KW_RECV(1, KW_EP(0), KW_REPLY(0));
    KW_SYS(1, WF_SYS_YIELD, 0);
    KW_SEND(1, KW_REPLY(0), 6, 2, 43, 44, 0, 0);
    KW_SEND(1, KW_REPLY(0), 6, 2, 43, 44, 0, 0); /* nobody waits any more: no-op */
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(0, 0)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, 0)->info, wf_msginfo(6, 0, 2));
    KT_ASSERT(kw_res(0, 0)->w[0] == 43 && kw_res(0, 0)->w[1] == 44);
    KT_ASSERT_EQ(kw_res(1, 3)->err, WF_ERR_OK);
    kw_teardown();
}
