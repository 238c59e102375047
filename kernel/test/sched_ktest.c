/*
 * Self-tests of the scheduler and of the TCB invocations, with real ring-3
 * threads (ipc/ktest_world.h). Order is observed through the sequence numbers
 * the threads' results carry.
 */
#include "cap/decode_gen.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "ktest.h"
#include "sched/sched.h"

#define SETUP() KT_ASSERT(kw_setup(), "no memory for the test world")

KTEST(sched, higher_priorities_run_first_and_equal_ones_in_order)
{
    SETUP();
    unsigned e[3];
    for (unsigned th = 0; th < 3; th++) {
        e[th] = KW_SYS(th, WF_SYS_DEBUG_CAP_IDENTIFY, KW_EP(0));
        KW_SUSPEND_SELF(th);
    }
    kw_start(0, 10);
    kw_start(1, 200);
    kw_start(2, 200);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, e[1])->w[0], WF_OBJ_ENDPOINT);
    KT_ASSERT(kw_res(1, e[1])->seq == 1 && kw_res(2, e[2])->seq == 2 && kw_res(0, e[0])->seq == 3,
              "order %lu %lu %lu", (unsigned long)kw_res(0, e[0])->seq,
              (unsigned long)kw_res(1, e[1])->seq, (unsigned long)kw_res(2, e[2])->seq);
    kw_teardown();
}

KTEST(sched, yield_lets_a_peer_of_the_same_priority_run)
{
    SETUP();
    unsigned y = KW_SYS(0, WF_SYS_YIELD, 0);
    KW_SUSPEND_SELF(0);
    unsigned i = KW_SYS(1, WF_SYS_DEBUG_CAP_IDENTIFY, 0);
    KW_SUSPEND_SELF(1);
    kw_start(0, 50);
    kw_start(1, 50);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(0, y)->err, WF_ERR_OK);
    KT_ASSERT(kw_res(1, i)->seq < kw_res(0, y)->seq, "the peer did not run during the yield");
    kw_teardown();
}

KTEST(sched, time_slices_preempt_a_spinning_thread)
{
    SETUP();
    /* Thread 0 spins until thread 1, of the same priority, sets the flag: only a
     * time slice ending can let thread 1 run. */
    unsigned s = kw_op(0, KW_OP_SPIN_FLAG, 1ull << 40, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    unsigned f = kw_op(1, KW_OP_SET_FLAG, 1, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    kw_start(0, 50);
    kw_start(1, 50);
    sched_run_until_idle();
    KT_ASSERT(kw_res(0, s)->err != 0, "the spin ran out without seeing the flag");
    KT_ASSERT(kw_res(1, f)->seq < kw_res(0, s)->seq);
    kw_teardown();
}

KTEST(tcb, priorities_obey_the_mcp_of_the_authority)
{
    SETUP();
    /* Thread 0 runs at 40 with MCP 50 and uses its own TCB as authority. */
    kw_ipcbuf(0)->caps_or_badges[0] = KW_TCB(0);
#define SETP(prio)                                                                                 \
    kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_SET_PRIORITY, 1, 1), prio, 0, 0, 0, 0)
#define SETMCP(mcp)                                                                                \
    kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_SET_MCP, 1, 1), mcp, 0, 0, 0, 0)
    unsigned p51 = SETP(51), p50 = SETP(50), m51 = SETMCP(51), m50 = SETMCP(50);
    unsigned self = kw_op(0, WF_SYS_CALL, KW_TCB(0), wf_msginfo(WF_LABEL_TCB_SET_PRIORITY, 1, 1),
                          60, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    kw_start(0, 40);
    kw_tcb(0)->mcp = 50;
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(0, p51)->err, WF_ERR_RANGE_ERROR);
    KT_ASSERT(kw_res(0, p51)->w[0] == ARG_TCB_SET_PRIORITY_PRIORITY && kw_res(0, p51)->w[1] == 0 &&
              kw_res(0, p51)->w[2] == 50);
    KT_ASSERT_EQ(kw_res(0, p50)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, m51)->err, WF_ERR_RANGE_ERROR);
    KT_ASSERT_EQ(kw_res(0, m50)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, self)->err, WF_ERR_RANGE_ERROR); /* not even its own */
    KT_ASSERT(kw_tcb(1)->prio == 50 && kw_tcb(1)->mcp == 50 && kw_tcb(0)->prio == 40);
    kw_teardown();
}

KTEST(tcb, configure_write_registers_and_resume_start_a_thread)
{
    SETUP();
    struct wf_ipc_buffer *b = kw_ipcbuf(0);
    unsigned e = 0;
    /* Configure(TCB 1): cspace = root CNode (guard 58 zero bits), buffer, prio 30, mcp 30. */
    b->caps_or_badges[0] = 1;
    b->caps_or_badges[1] = KW_TCB(0);
    unsigned cfg = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_CONFIGURE, 2, 4),
                         WF_GUARD(0, 58), KW_IPCBUF(1), 30, 30, 0);
    unsigned mis = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_CONFIGURE, 2, 4),
                         WF_GUARD(0, 58), KW_IPCBUF(1) + 8, 30, 30, 0);
    unsigned hi = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_CONFIGURE, 2, 4),
                        WF_GUARD(0, 58), 0xfffff00000000000ull, 30, 30, 0);
    /* WriteRegisters(first PC, count 1), (first SP, count 1), (first ARG0, count 1). */
    kw_op(0, KW_OP_BUFSET, 4, 0, 0, 0, 0, 0, 0);
    kw_op(0, KW_OP_BUFSET, 5, 0, 0, 0, 0, 0, 0);
    unsigned w1 = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_WRITE_REGISTERS, 0, 6),
                        WF_FAULT_WORD_PC, 1, KW_CODE, 0, 0);
    unsigned w1s = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_WRITE_REGISTERS, 0, 6),
                         WF_FAULT_WORD_SP, 1, KW_BASE(1) + 0x4000, 0, 0);
    unsigned w2 = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_WRITE_REGISTERS, 0, 6),
                        WF_FAULT_WORD_ARG0, 1, KW_BASE(1), 0, 0);
    unsigned w0 = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_WRITE_REGISTERS, 0, 6),
                        WF_REGS_COUNT - 1, 5, 0, 0, 0);
    unsigned wr = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_WRITE_REGISTERS, 0, 6),
                        WF_REGS_COUNT - 1, 2, 0, 0, 0);
    /* Four registers with PC among them, then four with SP (the two may be
     * further apart than four words: riscv64's are). */
    const unsigned first_pc = MIN(WF_FAULT_WORD_PC, WF_REGS_COUNT - 4);
    const unsigned first_sp = MIN(WF_FAULT_WORD_SP, WF_REGS_COUNT - 4);
    _Static_assert(WF_FAULT_WORD_PC < WF_REGS_COUNT && WF_FAULT_WORD_SP < WF_REGS_COUNT,
                   "PC and SP are registers");
    unsigned rd = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_READ_REGISTERS, 0, 1),
                        first_pc, 0, 0, 0, 0);
    unsigned rds = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_READ_REGISTERS, 0, 1),
                         first_sp, 0, 0, 0, 0);
    unsigned rr = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_READ_REGISTERS, 0, 1),
                        WF_REGS_COUNT - 3, 0, 0, 0, 0);
    unsigned rs = kw_op(0, WF_SYS_CALL, KW_TCB(0), wf_msginfo(WF_LABEL_TCB_READ_REGISTERS, 0, 1), 0,
                        0, 0, 0, 0);
    b->caps_or_badges[2] = KW_EP(0);
    unsigned vs = kw_op(0, KW_OP_BUFSET, 121, KW_EP(0), 0, 0, 0, 0, 0);
    vs = kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_SET_VSPACE, 1, 0), 0, 0, 0, 0, 0);
    unsigned abi =
        kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_SET_ABI, 0, 1), 7, 0, 0, 0, 0);
    unsigned res =
        kw_op(0, WF_SYS_CALL, KW_TCB(1), wf_msginfo(WF_LABEL_TCB_RESUME, 0, 0), 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    /* Thread 1's script: one identify, then it suspends itself. */
    e = KW_SYS(1, WF_SYS_DEBUG_CAP_IDENTIFY, 1);
    KW_SUSPEND_SELF(1);
    kw_start(0, 20);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(0, cfg)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, mis)->err, WF_ERR_ALIGNMENT_ERROR);
    KT_ASSERT_EQ(kw_res(0, hi)->err, WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(kw_res(0, w1)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, w1s)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, w2)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, w0)->err, WF_ERR_RANGE_ERROR);
    KT_ASSERT_EQ(kw_res(0, wr)->err, WF_ERR_RANGE_ERROR);
    KT_ASSERT(kw_res(0, wr)->w[0] == ARG_TCB_WRITE_REGISTERS_FIRST &&
              kw_res(0, wr)->w[2] == WF_REGS_COUNT - 2);
    KT_ASSERT_EQ(kw_res(0, rd)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, rd)->info, wf_msginfo(WF_ERR_OK, 0, 4));
    KT_ASSERT_EQ(kw_res(0, rds)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, rds)->info, wf_msginfo(WF_ERR_OK, 0, 4));
    KT_ASSERT(kw_res(0, rd)->w[(WF_FAULT_WORD_PC - first_pc) & 3] == KW_CODE &&
                  kw_res(0, rds)->w[(WF_FAULT_WORD_SP - first_sp) & 3] == KW_BASE(1) + 0x4000,
              "pc %lx sp %lx", (unsigned long)kw_res(0, rd)->w[(WF_FAULT_WORD_PC - first_pc) & 3],
              (unsigned long)kw_res(0, rds)->w[(WF_FAULT_WORD_SP - first_sp) & 3]);
    KT_ASSERT_EQ(kw_res(0, rr)->err, WF_ERR_RANGE_ERROR);
    KT_ASSERT_EQ(kw_res(0, rs)->err, WF_ERR_ILLEGAL_OPERATION);
    KT_ASSERT_EQ(kw_res(0, vs)->err, WF_ERR_INVALID_CAPABILITY);
    KT_ASSERT_EQ(kw_res(0, abi)->err, WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(kw_res(0, res)->err, WF_ERR_OK);
    /* Thread 1 (priority 30) ran as soon as it was resumed, before thread 0 went on. */
    KT_ASSERT_EQ(kw_res(1, e)->w[0], WF_OBJ_CNODE);
    KT_ASSERT(kw_res(1, e)->seq < kw_res(0, res)->seq, "the resumed thread did not preempt");
    struct tcb *t1 = kw_tcb(1);
    KT_ASSERT(t1->prio == 30 && t1->mcp == 30 && t1->ipc_buffer == KW_IPCBUF(1));
    kw_teardown();
}

KTEST(tcb, suspend_cancels_the_ipc_and_resume_returns_cancelled)
{
    SETUP();
    unsigned r = KW_RECV(1, KW_EP(0), 0);
    KW_SUSPEND_SELF(1);
    KW_CALL(0, KW_TCB(1), WF_LABEL_TCB_SUSPEND, 0, 0, 0, 0, 0);
    KW_CALL(0, KW_TCB(1), WF_LABEL_TCB_RESUME, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, r)->err, WF_ERR_CANCELLED);
    KT_ASSERT(kw_tcb(1)->state == TCB_INACTIVE && kw_tcb(0)->state == TCB_INACTIVE);
    kw_teardown();
}
