/*
 * Threads on riscv64 through the generic kernel: the thread world of
 * ipc/ktest_world.h (real U-mode threads running the script interpreter of
 * world_progs.S) makes system calls by the riscv64 convention (decision 152)
 * through the ecall entry, the IPC fast path and kernel_entry, is scheduled by
 * priority, takes timer interrupts while it runs, and its faults become
 * fault messages.
 */
#include "arch.h"
#include "arch/riscv.h"
#include "arch/context.h"
#include "genarch/fdt.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "kprintf.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "obj/tcb.h"
#include "weft/objects.h"

#define SETUP() KT_ASSERT(kw_setup(), "no memory for the test world")

extern const uint8_t uprog_script[];

/* A client (thread 0) makes three Calls to a server (thread 1, higher
 * priority) through a cap badged 0x2a: the words, label and badge arrive, the
 * replies come back, and the fast path takes the Calls and ReplyRecvs. */
KTEST(riscv64, threads_call_and_reply_recv)
{
    SETUP();
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHTS_ALL, 0x2a), WF_ERR_OK);
    KW_RECV(1, KW_EP(0), KW_REPLY(0));
    for (unsigned k = 0; k < 3; k++)
        KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0x77, 3, 11 + k, 12 + k, 13 + k, 0);
    for (unsigned k = 0; k < 3; k++)
        KW_CALL(0, KW_FREE, 0x100 + k, 4, 1 + k, 2 + k, 3 + k, 4 + k);
    KW_SUSPEND_SELF(0);
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
        KT_ASSERT(cli->w[0] == 11 + k && cli->w[2] == 13 + k, "client got %lu",
                  (unsigned long)cli->w[0]);
        KT_ASSERT(srv->seq < cli->seq, "the server ran first");
    }
    KT_ASSERT(ipc_stats.fast >= 5, "fast path taken %lu times", (unsigned long)ipc_stats.fast);
    KT_ASSERT_EQ(kw_tcb(1)->state, TCB_BLOCKED_RECV);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
    kw_teardown();
}

/* The same conversation with the fast path off: the general path
 * (kernel_entry) gives the same results. */
KTEST(riscv64, threads_call_through_the_general_path)
{
    SETUP();
    ipc_fastpath_set(false);
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHTS_ALL, 0x2b), WF_ERR_OK);
    KW_RECV(1, KW_EP(0), KW_REPLY(0));
    KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0x78, 1, 99, 0, 0, 0);
    KW_CALL(0, KW_FREE, 0x200, 2, 5, 6, 0, 0);
    KW_SUSPEND_SELF(0);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, 0)->info, wf_msginfo(0x200, 0, 2));
    KT_ASSERT_EQ(kw_res(1, 0)->badge, 0x2b);
    KT_ASSERT_EQ(kw_res(1, 0)->w[1], 6);
    KT_ASSERT_EQ(kw_res(0, 0)->info, wf_msginfo(0x78, 0, 1));
    KT_ASSERT_EQ(kw_res(0, 0)->w[0], 99);
    KT_ASSERT_EQ(ipc_stats.fast, 0);
    KT_ASSERT(ipc_stats.slow >= 2, "slow path taken %lu times", (unsigned long)ipc_stats.slow);
    kw_teardown();
}

/* A system call on a cap that is not there comes back as an error in a7; an
 * unknown system call number is an UNKNOWN_SYSCALL fault (no fault endpoint:
 * the thread is suspended). */
KTEST(riscv64, threads_system_call_errors)
{
    SETUP();
    KW_CALL(0, KW_FREE + 5, 0x1, 0, 0, 0, 0, 0); /* an empty slot */
    kw_op(0, 0x1234, 0, 0, 0, 0, 0, 0, 0);       /* no such system call */
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT(kw_res(0, 0)->seq, "the call did not return");
    KT_ASSERT_EQ(kw_res(0, 0)->err, WF_ERR_FAILED_LOOKUP);
    KT_ASSERT_EQ(kw_res(0, 1)->seq, 0);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
    KT_ASSERT_EQ(ctx_sysno(&kw_tcb(0)->ctx), 0x1234);
    kw_teardown();
}

/* A higher-priority thread spinning in U-mode is preempted by nobody, a lower
 * one runs only after it; a long spin takes timer interrupts (ticks advance
 * while U-mode runs, and the thread resumes where it was). */
KTEST(riscv64, threads_scheduled_by_priority_across_ticks)
{
    SETUP();
    kw_op(0, KW_OP_SPIN, 1u << 26, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(0);
    kw_op(1, KW_OP_SPIN, 10, 0, 0, 0, 0, 0, 0);
    KW_SUSPEND_SELF(1);
    uint64_t t0 = arch_ticks();
    kw_start(1, 10);
    kw_start(0, 20);
    sched_run_until_idle();
    KT_ASSERT(kw_res(0, 0)->seq && kw_res(1, 0)->seq, "a thread did not finish");
    KT_ASSERT(kw_res(0, 0)->seq < kw_res(1, 0)->seq, "the lower priority ran first");
    KT_ASSERT(arch_ticks() > t0, "no tick while the threads ran");
    kw_teardown();
}

/* An illegal instruction in a thread with a fault endpoint becomes a
 * USER_EXCEPTION message in the riscv64 register order (word 0 is a0, word 7
 * a7, word 31 the pc) with scause in DETAIL1; a reply of one word sets a0 and
 * resumes the thread at the same instruction, which faults again with that
 * a0. */
KTEST(riscv64, threads_faults_become_messages)
{
    SETUP();
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE, 0xfa), WF_ERR_OK);
    const unsigned fep[1] = {KW_FREE};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_FAULT_ENDPOINT, NULL, 0, fep, 1, NULL),
                 WF_ERR_OK);
    kw_op(0, KW_OP_UD2, 0, 0, 0, 0, 0, 0, 0);
    unsigned h0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    unsigned h1 = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 0x4242, 0, 0, 0);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    struct kw_result *m = kw_res(1, h0);
    KT_ASSERT_EQ(m->info, wf_msginfo(WF_FAULT_TYPE_USER_EXCEPTION, 0, WF_FAULT_MSG_WORDS));
    KT_ASSERT_EQ(m->badge, 0xfa);
    KT_ASSERT_EQ(m->w[0], KW_BASE(0)); /* a0: the interpreter's argument */
    KT_ASSERT_EQ(kw_res(1, h1)->w[0], 0x4242);
    const wf_word_t *mr = kw_ipcbuf(1)->msg;
    KT_ASSERT_EQ(mr[WF_RISCV64_REG_SYSNO], KW_OP_UD2); /* a7 held the op */
    KT_ASSERT_EQ(mr[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    KT_ASSERT_EQ(wf_riscv64_exception_cause(mr[WF_FAULT_WORD_DETAIL1]), 2); /* illegal */
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_BLOCKED_REPLY);
    KT_ASSERT_EQ(CTX_X(&kw_tcb(0)->ctx, 10), 0x4242); /* the reply set a0 */
    kw_teardown();
}

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
    KT_ASSERT_EQ(kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE, 0xfb), WF_ERR_OK);
    const unsigned fep[1] = {KW_FREE};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_FAULT_ENDPOINT, NULL, 0, fep, 1, NULL),
                 WF_ERR_OK);
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

/* Runs n Call + ReplyRecv round trips between a client (thread 0) and a
 * server (thread 1, higher priority) in the uprog_bcall/uprog_bserver loops;
 * returns the generic counter's ticks the run took. */
extern const uint8_t uprog_bcall[], uprog_bserver[];

static uint64_t counter(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

static uint64_t round_trips(uint64_t n)
{
    uint64_t *c = kw_params(0), *s = kw_params(1);
    c[0] = n;
    c[1] = WF_SYS_CALL;
    c[2] = KW_EP(0);
    c[3] = wf_msginfo(0x5, 0, 1);
    c[4] = KW_TCB(0);
    c[5] = wf_msginfo(WF_LABEL_TCB_SUSPEND, 0, 0);
    s[0] = WF_SYS_RECV;
    s[1] = WF_SYS_REPLY_RECV;
    s[2] = KW_EP(0);
    s[3] = KW_REPLY(0);
    s[4] = wf_msginfo(0, 0, 1);
    kw_start_at(1, 20, KW_CODE + (uint64_t)(uprog_bserver - uprog_script));
    sched_run_until_idle(); /* the server waits in Recv */
    uint64_t t0 = counter();
    kw_start_at(0, 10, KW_CODE + (uint64_t)(uprog_bcall - uprog_script));
    sched_run_until_idle();
    return counter() - t0;
}

/* Call + ReplyRecv round trips through the fast path, same address space: the
 * guest instructions per round trip (U-mode loop included: 13) under -icount
 * shift=0, where the time CSR (the timebase, 10 MHz on virt) advances with the instructions at
 * 1 GHz: `make bench-ipc-riscv64`. Elsewhere the figure is time, not
 * instructions. Two runs (n and 2n) cancel the start and the end. */
KTEST(riscv64, bench_call_reply_recv_round_trip)
{
    const uint64_t n = 2000;
    uint64_t t[2];
    for (unsigned k = 0; k < 2; k++) {
        SETUP();
        t[k] = round_trips(n << k);
        KT_ASSERT_EQ(ipc_stats.fast, 2 * (n << k));
        KT_ASSERT_EQ(ipc_stats.slow, 0);
        KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
        kw_teardown();
    }
    uint64_t freq = boot_fdt.timer.frequency;
    uint64_t dt = t[1] - t[0], q = 1000000000000ull / freq, r = 1000000000000ull % freq;
    uint64_t per_1000 = (dt * q + dt * r / freq) / n; /* ns * 1000 per round trip */
    kprintf("# riscv64 Call + ReplyRecv round trip, fast path: %llu.%03llu ns "
            "(instructions under -icount shift=0)\n",
            (unsigned long long)(per_1000 / 1000), (unsigned long long)(per_1000 % 1000));
}
