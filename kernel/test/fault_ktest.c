/*
 * Self-tests of notifications and of faults as messages, with real user-mode
 * threads (ktest_world.h).
 */
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "sched/sched.h"

#define SETUP() KT_ASSERT(kw_setup(), "no memory for the test world")

extern const uint8_t uprog_script[], uprog_script_ud2[];
#define UD2_ADDR (KW_CODE + (uint64_t)(uprog_script_ud2 - uprog_script))

/* Word i of the message thread th received at script entry e: words 0-3 in
 * registers, the rest in its IPC buffer (valid for its last message only). */
static wf_word_t msg_word(unsigned th, unsigned e, unsigned i)
{
    return i < WF_MSG_REG_WORDS ? kw_res(th, e)->w[i] : kw_ipcbuf(th)->msg[i];
}

KTEST(ntfn, signals_or_badges_and_wait_and_poll_take_the_word)
{
    SETUP();
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_NTFN(0), WF_RIGHT_WRITE, 0x1), WF_ERR_OK);
    KT_ASSERT_EQ(kw_mint(KW_FREE + 1, KW_NTFN(0), WF_RIGHT_WRITE, 0x4), WF_ERR_OK);
    KT_ASSERT_EQ(kw_mint(KW_FREE + 2, KW_NTFN(0), WF_RIGHT_WRITE, 0x10), WF_ERR_OK);
    /* Thread 0 polls (nothing), then signals twice and polls (0x5), then waits. */
    unsigned p0 = KW_SYS(0, WF_SYS_POLL, KW_NTFN(0));
    KW_SYS(0, WF_SYS_SIGNAL, KW_FREE);
    KW_SYS(0, WF_SYS_SIGNAL, KW_FREE + 1);
    KW_SYS(0, WF_SYS_SIGNAL, KW_FREE + 1);
    unsigned p1 = KW_SYS(0, WF_SYS_POLL, KW_NTFN(0));
    unsigned w = KW_SYS(0, WF_SYS_WAIT, KW_NTFN(0));
    unsigned nb = kw_op(0, WF_SYS_NBRECV, KW_NTFN(0), 0, 0, 0, 0, 0, 0); /* = Poll */
    KW_SUSPEND_SELF(0);
    /* Thread 1 (lower priority) signals once thread 0 waits. */
    unsigned s = KW_SYS(1, WF_SYS_SIGNAL, KW_FREE + 2);
    KW_SUSPEND_SELF(1);
    kw_start(0, 20);
    kw_start(1, 10);
    sched_run_until_idle();
    KT_ASSERT(kw_res(0, p0)->err == WF_ERR_OK && kw_res(0, p0)->badge == 0);
    KT_ASSERT_EQ(kw_res(0, p1)->badge, 0x5);
    KT_ASSERT_EQ(kw_res(0, w)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, w)->badge, 0x10);
    KT_ASSERT_EQ(kw_res(1, s)->err, WF_ERR_OK);
    /* The woken waiter has the higher priority: it runs before the signaller
     * returns. */
    KT_ASSERT(kw_res(0, w)->seq < kw_res(1, s)->seq, "the signaller was not preempted");
    KT_ASSERT(kw_res(0, nb)->err == WF_ERR_OK && kw_res(0, nb)->badge == 0);
    kw_teardown();
}

KTEST(ntfn, a_bound_notification_ends_a_recv_on_an_endpoint)
{
    SETUP();
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_NTFN(0), WF_RIGHT_WRITE, 0x8), WF_ERR_OK);
    const unsigned bind[1] = {KW_NTFN(0)};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_BIND_NOTIFICATION, NULL, 0, bind, 1, NULL),
                 WF_ERR_OK);
    unsigned r0 = KW_RECV(0, KW_EP(0), KW_REPLY(0)); /* blocks; woken by the signal */
    KW_SYS(0, WF_SYS_YIELD, 0);                      /* thread 1 signals again */
    unsigned r1 = KW_RECV(0, KW_EP(0), KW_REPLY(0)); /* pending bits: returns at once */
    KW_SUSPEND_SELF(0);
    KW_SYS(1, WF_SYS_SIGNAL, KW_FREE);
    KW_SYS(1, WF_SYS_SIGNAL, KW_FREE);
    KW_SUSPEND_SELF(1);
    kw_start(0, 10);
    kw_start(1, 10);
    sched_run_until_idle();
    for (unsigned e = r0; e <= r1; e += r1 - r0) {
        KT_ASSERT_EQ(kw_res(0, e)->err, WF_ERR_OK);
        KT_ASSERT_EQ(kw_res(0, e)->info, wf_msginfo(WF_MSG_LABEL_NOTIFICATION, 0, 0));
        KT_ASSERT_EQ(kw_res(0, e)->badge, 0x8);
    }
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
    kw_teardown();
}

/* Thread 0 faults; thread 1 is its handler (fault endpoint KW_EP(0), badge 0xfa). */
static void handler_setup(void)
{
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE, 0xfa), WF_ERR_OK);
    const unsigned fep[1] = {KW_FREE};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_FAULT_ENDPOINT, NULL, 0, fep, 1, NULL),
                 WF_ERR_OK);
}

KTEST(fault, foreign_syscalls_reach_the_handler_and_the_reply_sets_the_result)
{
    SETUP();
    handler_setup();
    const wf_word_t foreign[1] = {WF_ABI_MODE_FOREIGN};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_ABI, foreign, 1, NULL, 0, NULL), WF_ERR_OK);
    /* Linux getpid (39) and write(1, buf, 5) (1), then a native call still works. */
    unsigned g = kw_op(0, 39, 0x111, 0x222, 0x333, 0x444, 0x555, 0x666, 0x777);
    unsigned wr = kw_op(0, 1, 1, 0x1000, 5, 0, 0, 0, 0);
    unsigned y = KW_SYS(0, WF_SYS_YIELD, 0);
    KW_SUSPEND_SELF(0);
    /* The handler answers getpid with 4242 (one register: word 0, the result) and
     * write with 5. It stops after each receive, so that the test reads each
     * message's words in its IPC buffer, where the words beyond the fourth arrive. */
    unsigned h0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    KW_SUSPEND_SELF(1);
    unsigned h1 = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 4242, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 5, 0, 0, 0);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    struct kw_result *m = kw_res(1, h0);
    KT_ASSERT_EQ(m->info, wf_msginfo(WF_FAULT_TYPE_UNKNOWN_SYSCALL, 0, WF_FAULT_MSG_WORDS));
    KT_ASSERT_EQ(m->badge, 0xfa);
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_SYSNO), 39);
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_PC) - KW_CODE < 0x100, 1);
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_CAP), 0x111);
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_MR3), 0x666);
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_DETAIL0), WF_ABI_MODE_FOREIGN);
    tcb_resume(kw_tcb(1));
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, h1)->info,
                 wf_msginfo(WF_FAULT_TYPE_UNKNOWN_SYSCALL, 0, WF_FAULT_MSG_WORDS));
    KT_ASSERT_EQ(msg_word(1, h1, WF_FAULT_WORD_CAP), 1); /* the message of the second fault */
    KT_ASSERT_EQ(msg_word(1, h1, WF_FAULT_WORD_INFO), 0x1000);
    KT_ASSERT_EQ(msg_word(1, h1, WF_FAULT_WORD_MR0), 5);
    KT_ASSERT_EQ(msg_word(1, h1, WF_FAULT_WORD_SYSNO), 1);
    KT_ASSERT_EQ(msg_word(1, h1, WF_FAULT_WORD_DETAIL0), WF_ABI_MODE_FOREIGN);
    tcb_resume(kw_tcb(1));
    sched_run_until_idle();
    /* The reply's word 0 became the result; every other register is kept. */
    KT_ASSERT_EQ(kw_res_word(kw_res(0, g), WF_FAULT_WORD_RESULT), 4242);
    const unsigned kept[] = {WF_FAULT_WORD_SYSNO, WF_FAULT_WORD_CAP, WF_FAULT_WORD_INFO,
                             WF_FAULT_WORD_MR0,   WF_FAULT_WORD_MR1, WF_FAULT_WORD_MR2,
                             WF_FAULT_WORD_MR3};
    const uint64_t was[] = {39, 0x111, 0x222, 0x333, 0x444, 0x555, 0x666};
    for (unsigned i = 0; i < 7; i++)
        KT_ASSERT(kept[i] == WF_FAULT_WORD_RESULT || kw_res_word(kw_res(0, g), kept[i]) == was[i],
                  "register %u changed", kept[i]);
    KT_ASSERT_EQ(kw_res_word(kw_res(0, wr), WF_FAULT_WORD_RESULT), 5);
    KT_ASSERT_EQ(kw_res(0, y)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
    kw_teardown();
}

KTEST(fault, an_exception_reply_can_move_the_thread_on)
{
    SETUP();
    handler_setup();
    unsigned u = kw_op(0, KW_OP_UD2, 0, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    unsigned h0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    KW_SUSPEND_SELF(1); /* the test reads the message */
    /* Reply: word 0 = 7, the pc past the undefined instruction; the words
     * between (those in the IPC buffer) are the message's, the registers as
     * they were. */
    const unsigned n = WF_FAULT_WORD_PC + 1;
    wf_word_t w[4] = {7, 0, 0, 0};
    if (WF_FAULT_WORD_PC < 4)
        w[WF_FAULT_WORD_PC] = UD2_ADDR + KTEST_UD_LEN;
    else
        kw_op(1, KW_OP_BUFSET, WF_FAULT_WORD_PC, UD2_ADDR + KTEST_UD_LEN, 0, 0, 0, 0, 0);
    KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, n, w[0], w[1], w[2], w[3]);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    struct kw_result *m = kw_res(1, h0);
    KT_ASSERT_EQ(m->info, wf_msginfo(WF_FAULT_TYPE_USER_EXCEPTION, 0, WF_FAULT_MSG_WORDS));
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_PC), UD2_ADDR);
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_DETAIL0), WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    KT_ASSERT_EQ(kw_res(0, u)->seq, 0);
    tcb_resume(kw_tcb(1));
    sched_run_until_idle();
    KT_ASSERT(kw_res(0, u)->seq != 0, "the thread did not go on");
    KT_ASSERT_EQ(kw_res_word(kw_res(0, u), WF_FAULT_WORD_RESULT), 7);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
    kw_teardown();
}

KTEST(fault, an_unresolved_page_fault_is_a_message_and_the_handler_may_destroy_the_thread)
{
    SETUP();
    handler_setup();
    unsigned l = kw_op(0, KW_OP_LOAD, KW_UNMAPPED + 8, 0, 0, 0, 0, 0, 0);
    unsigned h0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    unsigned d = KW_CALL(1, 1, WF_LABEL_CNODE_DELETE, 2, KW_TCB(0), 64, 0, 0);
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, h0)->info, wf_msginfo(WF_FAULT_TYPE_VM_FAULT, 0, WF_FAULT_MSG_WORDS));
    KT_ASSERT_EQ(kw_ipcbuf(1)->msg[WF_FAULT_WORD_DETAIL0], KW_UNMAPPED + 8);
    KT_ASSERT_EQ(kw_ipcbuf(1)->msg[WF_FAULT_WORD_DETAIL1], 1); /* read, not present */
    KT_ASSERT_EQ(kw_res(1, d)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, l)->seq, 0);
    KT_ASSERT(slot_is_empty(kw_slot(KW_TCB(0))), "the TCB cap is still there");
    kw_teardown();
}

KTEST(fault, without_a_fault_endpoint_the_thread_is_suspended)
{
    SETUP();
    unsigned l = kw_op(0, KW_OP_LOAD, KW_UNMAPPED, 0, 0, 0, 0, 0, 0);
    unsigned n = kw_op(0, 0x12345, 0, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
    KT_ASSERT_EQ(kw_res(0, l)->seq, 0);
    /* Resumed with the pointer fixed, it goes on; an unknown number suspends it. */
    struct tcb *t = kw_tcb(0);
    KT_ASSERT_EQ(ctx_reg(&t->ctx, WF_FAULT_WORD_PC) - KW_CODE < 0x100, 1);
    ctx_set_reg(&t->ctx, WF_FAULT_WORD_CAP, KW_SHARED);
    tcb_resume(t);
    sched_run_until_idle();
    KT_ASSERT(kw_res(0, l)->seq != 0, "the load did not complete");
    KT_ASSERT_EQ(kw_res(0, n)->seq, 0);
    KT_ASSERT_EQ(t->state, TCB_INACTIVE);
    kw_teardown();
}

KTEST(fault, a_cancelled_fault_message_runs_the_instruction_again)
{
    SETUP();
    handler_setup();
    unsigned l = kw_op(0, KW_OP_LOAD, KW_UNMAPPED, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_BLOCKED_SEND); /* nobody receives faults */
    KT_ASSERT_EQ(kw_revoke(KW_EP(0)), WF_ERR_OK);     /* the fault endpoint goes */
    KT_ASSERT_EQ(kw_delete(KW_EP(0)), WF_ERR_OK);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_RUNNABLE);
    kw_shared()[2] = 0x5a5a;
    ctx_set_reg(&kw_tcb(0)->ctx, WF_FAULT_WORD_CAP, KW_SHARED + 16);
    sched_run_until_idle();
    KT_ASSERT(kw_res(0, l)->seq != 0, "the load did not run again");
    KT_ASSERT_EQ(kw_res(0, l)->err, 0x5a5a);
    kw_teardown();
}
