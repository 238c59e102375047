/*
 * riscv64's register file end to end through a thread of the self-tests'
 * world (ipc/ktest_world.h): TCB_WriteRegisters, the hardware registers, a
 * fault message, TCB_ReadRegisters and a fault reply of every register
 * (decision 153). The thread tests every port shares are
 * kernel/test/umode_ktest.c's.
 */
#include "arch.h"
#include "arch/context.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "ktest_umode.h"
#include "obj/tcb.h"
#include "weft/objects.h"

/* The world runs on the kernel's own root, whatever the scaffold's tests
 * (ktest_umode.h) left loaded. */
#define SETUP()                                                                                    \
    do {                                                                                           \
        ku_leave();                                                                                \
        KT_ASSERT(kw_setup(), "no memory for the test world");                                     \
    } while (0)

extern const uint8_t uprog_script[];

/* The register file end to end (WF_REGS_COUNT = 33, fault messages of
 * WF_FAULT_MSG_WORDS = 35): thread 0's 33 registers written through
 * TCB_WriteRegisters read back through TCB_ReadRegisters (sstatus as 0: the
 * kernel keeps none of it); the thread runs uprog_regwalk, which adds n to
 * hardware register xn, and its ebreak's fault message carries each written
 * value plus its register's number at the word weft.def names for it, the
 * ebreak's pc, sstatus as U-mode left it, BREAKPOINT and scause 3; so does
 * TCB_ReadRegisters then. A reply of all 33 words sets every register again
 * (pc included), and the next fault message shows them the same way. */
extern const uint8_t uprog_regwalk[], uprog_regwalk_brk[];
#define REGWALK     (KW_CODE + (uint64_t)(uprog_regwalk - uprog_script))
#define REGWALK_BRK (KW_CODE + (uint64_t)(uprog_regwalk_brk - uprog_script))

/* The value written to register word i in round k (0: TCB_WriteRegisters, 1:
 * the fault reply); the pc starts uprog_regwalk, sstatus asks for every bit. */
static uint64_t regval(unsigned k, unsigned i)
{
    if (i == WF_FAULT_WORD_PC)
        return REGWALK;
    if (i == WF_FAULT_WORD_FLAGS)
        return ~0ull;
    return (0x1100000000000000ull << k) + 0x10001ull * i;
}

/* What word i of the fault message after round k must hold: the written
 * value plus n for xn (uprog_regwalk), the ebreak's pc, no privileged sstatus
 * bit. */
static bool regword_ok(unsigned k, unsigned i, uint64_t got)
{
    if (i == WF_FAULT_WORD_PC)
        return got == REGWALK_BRK;
    if (i == WF_FAULT_WORD_FLAGS)
        return (got & KTEST_FLAGS_PRIVILEGED) == 0;
    for (unsigned n = 1; n < 32; n++)
        if (WF_RISCV64_REG_X(n) == i)
            return got == regval(k, i) + n;
    return false;
}

/* Word i of the message thread th received at script entry e. */
static wf_word_t msg_word(unsigned th, unsigned e, unsigned i)
{
    return i < WF_MSG_REG_WORDS ? kw_res(th, e)->w[i] : kw_ipcbuf(th)->msg[i];
}

/* Every register of thread th through TCB_ReadRegisters, four at a time. */
static bool read_all(unsigned th, uint64_t *regs)
{
    for (unsigned first = 0; first < WF_REGS_COUNT; first += 4) {
        unsigned f = MIN(first, WF_REGS_COUNT - 4);
        const wf_word_t w[1] = {f};
        wf_word_t r[4];
        if (kw_invoke(KW_TCB(th), WF_LABEL_TCB_READ_REGISTERS, w, 1, NULL, 0, r) != WF_ERR_OK)
            return false;
        for (unsigned j = 0; j < 4; j++)
            regs[f + j] = r[j];
    }
    return true;
}

_Static_assert(WF_REGS_COUNT == 33 && WF_FAULT_MSG_WORDS == 35 && WF_FAULT_WORD_DETAIL1 == 34,
               "riscv64's register file");

KTEST(riscv64, registers_read_back_through_tcb_and_fault_messages)
{
    SETUP();
    KT_ASSERT_EQ(ku_world_fault_endpoint(0xfb), WF_ERR_OK);
    /* The handler: Recv, stop (the test reads the message and writes the
     * reply's words 4-32), ReplyRecv with all 33, stop. */
    unsigned h0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    KW_SUSPEND_SELF(1);
    unsigned h1 = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, WF_REGS_COUNT, regval(1, 0),
                                regval(1, 1), regval(1, 2), regval(1, 3));
    KW_SUSPEND_SELF(1);
    kw_start(1, 20);
    sched_run_until_idle(); /* the handler waits */

    kw_start_at(0, 10, KW_CODE);
    static uint64_t regs[WF_REGS_COUNT];
    for (unsigned first = 0; first < WF_REGS_COUNT; first += 4) {
        unsigned count = MIN(4, WF_REGS_COUNT - first);
        wf_word_t w[6] = {first, count, 0, 0, 0, 0};
        for (unsigned j = 0; j < count; j++)
            w[2 + j] = regval(0, first + j);
        KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_WRITE_REGISTERS, w, 6, NULL, 0, NULL),
                     WF_ERR_OK);
    }
    KT_ASSERT(read_all(0, regs), "ReadRegisters failed");
    for (unsigned i = 0; i < WF_REGS_COUNT; i++)
        KT_ASSERT(regs[i] == (i == WF_FAULT_WORD_FLAGS ? 0 : regval(0, i)),
                  "written word %u reads %#llx", i, (unsigned long long)regs[i]);

    sched_run_until_idle(); /* thread 0 runs uprog_regwalk and faults */
    KT_ASSERT_EQ(kw_res(1, h0)->info,
                 wf_msginfo(WF_FAULT_TYPE_USER_EXCEPTION, 0, WF_FAULT_MSG_WORDS));
    KT_ASSERT_EQ(kw_res(1, h0)->badge, 0xfb);
    for (unsigned i = 0; i < WF_REGS_COUNT; i++)
        KT_ASSERT(regword_ok(0, i, msg_word(1, h0, i)), "fault message word %u: %#llx", i,
                  (unsigned long long)msg_word(1, h0, i));
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_DETAIL0), WF_EXCEPTION_BREAKPOINT);
    KT_ASSERT_EQ(wf_riscv64_exception_cause(msg_word(1, h0, WF_FAULT_WORD_DETAIL1)), 3);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_BLOCKED_REPLY);
    KT_ASSERT(read_all(0, regs), "ReadRegisters failed");
    for (unsigned i = 0; i < WF_REGS_COUNT; i++)
        KT_ASSERT(regs[i] == msg_word(1, h0, i), "word %u: %#llx read, %#llx in the message", i,
                  (unsigned long long)regs[i], (unsigned long long)msg_word(1, h0, i));

    /* The reply: all 33 registers (words 4-32 from the handler's buffer). */
    for (unsigned i = WF_MSG_REG_WORDS; i < WF_REGS_COUNT; i++)
        kw_ipcbuf(1)->msg[i] = regval(1, i);
    tcb_resume(kw_tcb(1));
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, h1)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(1, h1)->info,
                 wf_msginfo(WF_FAULT_TYPE_USER_EXCEPTION, 0, WF_FAULT_MSG_WORDS));
    for (unsigned i = 0; i < WF_REGS_COUNT; i++)
        KT_ASSERT(regword_ok(1, i, msg_word(1, h1, i)), "after the reply, word %u: %#llx", i,
                  (unsigned long long)msg_word(1, h1, i));
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_BLOCKED_REPLY);
    kw_teardown();
}
