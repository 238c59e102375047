/*
 * Self-tests of the fast path of foreign system calls (ipc/fastpath_fault.c,
 * decision 138): it gives the same results as the slow path, register by
 * register and word by word, and every condition it does not take falls back
 * to the slow path, which then does what it always did. Real ring-3 threads
 * (ktest_world.h): thread 0 makes the foreign calls (fault endpoint KW_EP(0),
 * badge 0xfa), thread 1 is its handler.
 */
#include "cap/cdt.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "ktest.h"
#include "lib/string.h"
#include "mm/vm.h"
#include "sched/sched.h"

#define SETUP() KT_ASSERT(kw_setup(), "no memory for the test world")

extern const uint8_t uprog_script[], uprog_script_ud2[];
#define UD2_ADDR (KW_CODE + (uint64_t)(uprog_script_ud2 - uprog_script))

static void handler_setup(bool foreign)
{
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE, 0xfa), WF_ERR_OK);
    const unsigned fep[1] = {KW_FREE};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_FAULT_ENDPOINT, NULL, 0, fep, 1, NULL),
                 WF_ERR_OK);
    const wf_word_t mode[1] = {foreign ? WF_ABI_MODE_FOREIGN : WF_ABI_MODE_NATIVE};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_ABI, mode, 1, NULL, 0, NULL), WF_ERR_OK);
}

#define AGREE_CALLS 5

/* Thread 0 makes AGREE_CALLS foreign calls with distinct arguments; the handler
 * receives the first by Recv and answers each by ReplyRecv with one word (the
 * third with none: rax keeps the number), the last by Send. */
static void agree_run(bool fast)
{
    ipc_fastpath_set(fast);
    handler_setup(true);
    for (unsigned k = 0; k < AGREE_CALLS; k++)
        kw_op(0, 39 + k, 0x110 + k, 0x220 + k, 0x330 + k, 0x440 + k, 0x550 + k, 0x660 + k,
              0x770 + k);
    KW_SUSPEND_SELF(0);
    KW_RECV(1, KW_EP(0), KW_REPLY(0));
    for (unsigned k = 0; k + 1 < AGREE_CALLS; k++)
        KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, k == 2 ? 0 : 1, 4240 + k, 0, 0, 0);
    kw_op(1, WF_SYS_SEND, KW_REPLY(0), wf_msginfo(0, 0, 1), 4299, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    ipc_fastpath_set(true);
}

/* Both paths: the same fault messages (registers, badge, info, the 16 buffer
 * words), the same results in the calling thread; the fast pass takes every
 * fault message and every ReplyRecv, the slow pass none. */
KTEST(fault_fast, foreign_calls_agree_on_both_paths)
{
#define AGREE_E (AGREE_CALLS + 1)
    static struct kw_result res[2][2][AGREE_E];
    static struct wf_ipc_buffer bufs[2];
    struct ipc_stats st[2];
    for (int pass = 0; pass < 2; pass++) {
        SETUP();
        agree_run(pass == 0);
        st[pass] = ipc_stats;
        for (unsigned th = 0; th < 2; th++)
            for (unsigned e = 0; e < AGREE_E; e++)
                res[pass][th][e] = *kw_res(th, e);
        bufs[pass] = *kw_ipcbuf(1);
        bool done = kw_tcb(0)->state == TCB_INACTIVE && kw_tcb(1)->state == TCB_INACTIVE;
        kw_teardown();
        KT_ASSERT(done, "pass %d: a thread did not finish", pass);
    }
    KT_ASSERT(st[0].fault_fast == AGREE_CALLS && st[0].fast == AGREE_CALLS - 1 && st[0].slow == 0,
              "fast pass: fault_fast %lu fast %lu slow %lu", (unsigned long)st[0].fault_fast,
              (unsigned long)st[0].fast, (unsigned long)st[0].slow);
    KT_ASSERT(st[1].fault_fast == 0 && st[1].fast == 0 && st[1].slow == AGREE_CALLS - 1,
              "slow pass: fault_fast %lu fast %lu slow %lu", (unsigned long)st[1].fault_fast,
              (unsigned long)st[1].fast, (unsigned long)st[1].slow);
    for (unsigned th = 0; th < 2; th++) {
        for (unsigned e = 0; e < AGREE_E; e++) {
            struct kw_result *a = &res[0][th][e], *b = &res[1][th][e];
            KT_ASSERT(a->err == b->err && a->info == b->info && a->badge == b->badge &&
                          !memcmp(a->w, b->w, sizeof(a->w)),
                      "thread %u entry %u: %lx/%lx vs %lx/%lx", th, e, (unsigned long)a->err,
                      (unsigned long)a->info, (unsigned long)b->err, (unsigned long)b->info);
        }
    }
    KT_ASSERT(!memcmp(&bufs[0], &bufs[1], sizeof(bufs[0])), "the handler's IPC buffers differ");
    /* what arrived and what came back */
    for (unsigned k = 0; k < AGREE_CALLS; k++) {
        struct kw_result *m = &res[0][1][k];
        KT_ASSERT_EQ(m->info, wf_msginfo(WF_FAULT_TYPE_UNKNOWN_SYSCALL, 0, WF_FAULT_MSG_WORDS));
        KT_ASSERT_EQ(m->badge, 0xfa);
        KT_ASSERT_EQ(m->w[WF_FAULT_WORD_RAX], 39 + k);
        KT_ASSERT_EQ(m->w[WF_FAULT_WORD_RIP] - KW_CODE < 0x100, 1);
        wf_word_t want = k + 1 == AGREE_CALLS ? 4299 : k == 2 ? 39 + k : 4240 + k;
        KT_ASSERT_EQ(res[0][0][k].err, want);
        KT_ASSERT(res[0][0][k].badge == 0x110 + k && res[0][0][k].info == 0x220 + k &&
                      res[0][0][k].w[0] == 0x330 + k && res[0][0][k].w[3] == 0x660 + k,
                  "call %u: the other registers changed", k);
    }
    const wf_word_t *mr = bufs[0].msg; /* the last fault message */
    KT_ASSERT_EQ(mr[WF_FAULT_WORD_RDI], 0x110 + AGREE_CALLS - 1);
    KT_ASSERT_EQ(mr[WF_FAULT_WORD_RSI], 0x220 + AGREE_CALLS - 1);
    KT_ASSERT_EQ(mr[WF_FAULT_WORD_R12], 0x770 + AGREE_CALLS - 1);
    KT_ASSERT_EQ(mr[WF_FAULT_WORD_RCX], res[0][1][AGREE_CALLS - 1].w[WF_FAULT_WORD_RIP]);
    KT_ASSERT_EQ(mr[WF_FAULT_WORD_R11], res[0][1][AGREE_CALLS - 1].w[WF_FAULT_WORD_RFLAGS]);
    KT_ASSERT_EQ(mr[WF_FAULT_WORD_DETAIL0], WF_ABI_MODE_FOREIGN);
    KT_ASSERT_EQ(mr[WF_FAULT_WORD_DETAIL1], 0);
#undef AGREE_E
}

/* A native-mode thread's number below the window is the same fault, with its
 * mode in DETAIL0, on the fast path too. */
KTEST(fault_fast, a_native_threads_foreign_number_takes_it_too)
{
    SETUP();
    handler_setup(false);
    unsigned g = kw_op(0, 7, 0, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    unsigned h = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 77, 0, 0, 0);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(ipc_stats.fault_fast, 1);
    KT_ASSERT_EQ(ipc_stats.fast, 1);
    KT_ASSERT_EQ(kw_ipcbuf(1)->msg[WF_FAULT_WORD_DETAIL0], WF_ABI_MODE_NATIVE);
    KT_ASSERT_EQ(kw_res(1, h)->w[WF_FAULT_WORD_RAX], 7);
    KT_ASSERT_EQ(kw_res(0, g)->err, 77);
    kw_teardown();
}

/* Send leg: no fault endpoint: the slow path suspends the thread. */
KTEST(fault_fast, falls_back_without_a_fault_endpoint)
{
    SETUP();
    const wf_word_t mode[1] = {WF_ABI_MODE_FOREIGN};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_ABI, mode, 1, NULL, 0, NULL), WF_ERR_OK);
    unsigned g = kw_op(0, 39, 0, 0, 0, 0, 0, 0, 0);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(ipc_stats.fault_fast, 0);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
    KT_ASSERT_EQ(kw_res(0, g)->seq, 0);
    kw_teardown();
}

/* Send leg: nobody waits on the fault endpoint (the caller queues as a
 * sender); a receiver without a Reply object (the call cannot be answered: the
 * thread makes its call again, which then finds the handler's Recv with one);
 * a receiver outranked by a queued thread. The slow path delivers each. */
KTEST(fault_fast, falls_back_without_a_waiting_receiver_a_reply_object_or_the_priority)
{
    SETUP();
    handler_setup(true);
    unsigned g0 = kw_op(0, 39, 0, 0, 0, 0, 0, 0, 0);
    unsigned g1 = kw_op(0, 40, 0, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    /* nobody receives yet: thread 0 (higher) runs first */
    unsigned h0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    kw_op(1, WF_SYS_SEND, KW_REPLY(0), wf_msginfo(0, 0, 1), 100, 0, 0, 0, 0);
    unsigned h1 = KW_RECV(1, KW_EP(0), 0); /* no Reply object */
    unsigned h2 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    kw_op(1, WF_SYS_SEND, KW_REPLY(0), wf_msginfo(0, 0, 1), 101, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    kw_start(0, 20);
    kw_start(1, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, h0)->w[WF_FAULT_WORD_RAX], 39);
    KT_ASSERT_EQ(kw_res(1, h1)->w[WF_FAULT_WORD_RAX], 40);
    KT_ASSERT_EQ(kw_res(1, h2)->w[WF_FAULT_WORD_RAX], 40);
    KT_ASSERT_EQ(kw_res(0, g0)->err, 100);
    KT_ASSERT_EQ(kw_res(0, g1)->err, 101);
    KT_ASSERT_EQ(ipc_stats.fault_fast, 0);
    kw_teardown();

    /* the receiver (5) is outranked by thread 2 (8), runnable behind the caller (10) */
    SETUP();
    handler_setup(true);
    unsigned g = kw_op(0, 39, 0, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    unsigned h = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    kw_op(1, WF_SYS_SEND, KW_REPLY(0), wf_msginfo(0, 0, 1), 102, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    unsigned y = KW_SYS(2, WF_SYS_YIELD, 0);
    KW_SUSPEND_SELF(2);
    kw_start(1, 5);
    sched_run_until_idle();
    kw_start(0, 10);
    kw_start(2, 8);
    sched_run_until_idle();
    KT_ASSERT_EQ(ipc_stats.fault_fast, 0);
    KT_ASSERT_EQ(kw_res(1, h)->w[WF_FAULT_WORD_RAX], 39);
    KT_ASSERT_EQ(kw_res(0, g)->err, 102);
    /* thread 2 ran before the handler, as the scheduler chose */
    KT_ASSERT(kw_res(2, y)->seq < kw_res(1, h)->seq, "the handler ran before thread 2");
    kw_teardown();
}

/* Send leg: the receiver's IPC buffer view is stale (an unmap happened since
 * it was filled): the slow path writes the words and refills it, and the next
 * fault takes the fast path. */
KTEST(fault_fast, falls_back_when_the_receivers_buffer_view_is_stale)
{
    SETUP();
    handler_setup(true);
    unsigned g0 = kw_op(0, 39, 0x1, 0, 0, 0, 0, 0, 0);
    unsigned g1 = kw_op(0, 40, 0x2, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    unsigned h0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    unsigned h1 = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 200, 0, 0, 0);
    kw_op(1, WF_SYS_SEND, KW_REPLY(0), wf_msginfo(0, 0, 1), 201, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    sched_run_until_idle();
    vm_unmap_epoch++; /* as an unmap anywhere does */
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(ipc_stats.fault_fast, 1);
    KT_ASSERT_EQ(kw_res(1, h0)->w[WF_FAULT_WORD_RAX], 39);
    KT_ASSERT_EQ(kw_res(1, h1)->w[WF_FAULT_WORD_RAX], 40);
    KT_ASSERT_EQ(kw_ipcbuf(1)->msg[WF_FAULT_WORD_RDI], 0x2);
    KT_ASSERT_EQ(kw_res(0, g0)->err, 200);
    KT_ASSERT_EQ(kw_res(0, g1)->err, 201);
    kw_teardown();
}

/* Reply leg: a reply of two words (rax and rip: the slow path sets both),
 * the reply to an exception (one word: rax, and the thread runs its ud2 again,
 * whose next reply moves it on), an endpoint cap without Read (an error,
 * nothing answered), a pending bound notification (the reply goes, the receive
 * returns the notification). No ReplyRecv takes the fast path. */
KTEST(fault_fast, the_reply_falls_back_for_more_words_an_exception_or_the_endpoint)
{
    SETUP();
    handler_setup(true);
    unsigned g = kw_op(0, 39, 0, 0, 0, 0, 0, 0, 0);
    unsigned u = kw_op(0, KW_OP_UD2, 0, 0, 0, 0, 0, 0, 0);
    unsigned g2 = kw_op(0, 41, 0, 0, 0, 0, 0, 0, 0);
    unsigned g3 = kw_op(0, 42, 0, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    KT_ASSERT_EQ(kw_mint(KW_FREE + 1, KW_EP(0), WF_RIGHT_WRITE, 0), WF_ERR_OK);
    KT_ASSERT_EQ(kw_mint(KW_FREE + 2, KW_NTFN(0), WF_RIGHT_WRITE, 0x8), WF_ERR_OK);
    const unsigned bind[1] = {KW_NTFN(0)};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(1), WF_LABEL_TCB_BIND_NOTIFICATION, NULL, 0, bind, 1, NULL),
                 WF_ERR_OK);
    unsigned h0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    /* the syscall and the ud2 both go on at UD2_ADDR + 2 (jmp to the results) */
    unsigned h1 = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 2, 300, UD2_ADDR + 2, 0, 0);
    unsigned h2 = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 301, 0, 0, 0);
    unsigned h3 = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 2, 305, UD2_ADDR + 2, 0, 0);
    unsigned bad = KW_REPLY_RECV(1, KW_FREE + 1, KW_REPLY(0), 0, 1, 302, 0, 0, 0);
    KW_SYS(1, WF_SYS_SIGNAL, KW_FREE + 2);
    unsigned n = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 303, 0, 0, 0);
    unsigned h4 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    kw_op(1, WF_SYS_SEND, KW_REPLY(0), wf_msginfo(0, 0, 1), 304, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, h0)->w[WF_FAULT_WORD_RAX], 39);
    KT_ASSERT_EQ(kw_res(0, g)->err, 300);
    KT_ASSERT_EQ(kw_res(1, h1)->info,
                 wf_msginfo(WF_FAULT_TYPE_USER_EXCEPTION, 0, WF_FAULT_MSG_WORDS));
    KT_ASSERT_EQ(kw_res(1, h2)->w[WF_FAULT_WORD_RAX], 301); /* the ud2 again, rax set */
    KT_ASSERT_EQ(kw_res(0, u)->err, 305);
    KT_ASSERT_EQ(kw_res(1, h3)->w[WF_FAULT_WORD_RAX], 41);
    KT_ASSERT_EQ(kw_res(1, bad)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_tcb(0)->state == TCB_BLOCKED_REPLY || kw_res(0, g2)->seq > kw_res(1, bad)->seq,
                 1);
    KT_ASSERT_EQ(kw_res(1, n)->info, wf_msginfo(WF_MSG_LABEL_NOTIFICATION, 0, 0));
    KT_ASSERT_EQ(kw_res(1, n)->badge, 0x8);
    KT_ASSERT_EQ(kw_res(0, g2)->err, 303);
    KT_ASSERT_EQ(kw_res(1, h4)->w[WF_FAULT_WORD_RAX], 42);
    KT_ASSERT_EQ(kw_res(0, g3)->err, 304);
    KT_ASSERT_EQ(ipc_stats.fast, 0);
    kw_teardown();
}

/* Reply leg: a sender queued on the endpoint, and a queued thread that outranks
 * the caller: the slow path answers (and takes the sender's message at once). */
KTEST(fault_fast, the_reply_falls_back_for_a_queued_sender_or_the_priority)
{
    SETUP();
    handler_setup(true);
    unsigned g0 = kw_op(0, 39, 0, 0, 0, 0, 0, 0, 0);
    unsigned g1 = kw_op(0, 40, 0, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    KW_RECV(1, KW_EP(0), KW_REPLY(0));
    KW_SYS(1, WF_SYS_WAIT, KW_NTFN(1));
    /* thread 2 has sent meanwhile: the reply's receive takes its message */
    unsigned r = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 400, 0, 0, 0);
    unsigned h1 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    /* wakes thread 3 (12), which is then queued above thread 0 (10) */
    KW_SYS(1, WF_SYS_SIGNAL, KW_NTFN(0));
    KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 401, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    unsigned s2 = KW_SEND(2, KW_EP(0), 0x77, 1, 0x99, 0, 0, 0);
    KW_SUSPEND_SELF(2);
    KW_SYS(3, WF_SYS_SIGNAL, KW_NTFN(1));
    KW_SYS(3, WF_SYS_WAIT, KW_NTFN(0));
    unsigned y = KW_SYS(3, WF_SYS_YIELD, 0);
    KW_SUSPEND_SELF(3);
    kw_start(1, 20);
    sched_run_until_idle();
    kw_start(0, 10);
    sched_run_until_idle(); /* the handler has the first call and waits */
    kw_start(2, 15);        /* sends: nobody receives, it queues */
    kw_start(3, 12);        /* signals the handler */
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(0, g0)->err, 400);
    KT_ASSERT_EQ(kw_res(1, r)->info, wf_msginfo(0x77, 0, 1));
    KT_ASSERT_EQ(kw_res(1, r)->w[0], 0x99);
    KT_ASSERT_EQ(kw_res(2, s2)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(1, h1)->w[WF_FAULT_WORD_RAX], 40);
    KT_ASSERT_EQ(kw_res(0, g1)->err, 401);
    KT_ASSERT(kw_res(3, y)->seq < kw_res(0, g1)->seq, "thread 0 ran before thread 3");
    KT_ASSERT_EQ(ipc_stats.fault_fast, 2);
    KT_ASSERT_EQ(ipc_stats.fast, 0);
    kw_teardown();
}

/* A CPtr to root slot x through a two-level CSpace (as ipc_ktest.c): the root
 * CNode seen through a guardless radix-6 cap (KW_FREE + 3, the CSpace) whose
 * slot KW_FREE + 4 holds the root again with a 52-bit guard of zeros. */
#define L2(x) ((uint64_t)(KW_FREE + 4) << 58 | (x))

/* Reply leg: a handler whose CSpace is not one CNode of 64 bits still answers
 * on the fast path (the general resolver's variant). */
KTEST(fault_fast, a_handler_with_a_two_level_cspace_answers_on_it)
{
    SETUP();
    handler_setup(true);
    struct slot *root = kw_slot(0);
    cdt_insert_derived(kw_slot(1), kw_slot(KW_FREE + 3), cap_cnode_new(root, 6, 0, 0));
    cdt_insert_derived(kw_slot(1), kw_slot(KW_FREE + 4), cap_cnode_new(root, 6, 0, 52));
    kw_set_cspace(1, KW_FREE + 3);
    unsigned g0 = kw_op(0, 39, 0, 0, 0, 0, 0, 0, 0);
    unsigned g1 = kw_op(0, 40, 0, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    unsigned h0 = KW_RECV(1, L2(KW_EP(0)), L2(KW_REPLY(0)));
    unsigned h1 = KW_REPLY_RECV(1, L2(KW_EP(0)), L2(KW_REPLY(0)), 0, 1, 500, 0, 0, 0);
    kw_op(1, WF_SYS_SEND, L2(KW_REPLY(0)), wf_msginfo(0, 0, 1), 501, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, h0)->w[WF_FAULT_WORD_RAX], 39);
    KT_ASSERT_EQ(kw_res(1, h1)->w[WF_FAULT_WORD_RAX], 40);
    KT_ASSERT_EQ(kw_res(0, g0)->err, 500);
    KT_ASSERT_EQ(kw_res(0, g1)->err, 501);
    KT_ASSERT_EQ(ipc_stats.fault_fast, 2);
    KT_ASSERT_EQ(ipc_stats.fast, 1);
    kw_teardown();
}
