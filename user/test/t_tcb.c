/*
 * TCB invocations from userspace: reading and writing another thread's
 * registers, suspend (cancelling the IPC it waits in) and resume, priorities
 * that decide who runs first, seL4's MCP rule (nothing above the authority's
 * maximum controlled priority), and the argument errors of Configure,
 * SetVSpace and the register calls; TCB_Describe (parameters, and the state of
 * threads created, ready, blocked in Recv, Send, Call and Wait, suspended).
 */
#include "tarch.h"
#include "tutil.h"

#include <string.h>

static int return_arg(uintptr_t arg)
{
    return (int)arg;
}

TEST(tcb, read_and_write_registers)
{
    TEST_ENV(e);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, return_arg, 5, TEST_CHILD_PRIO), WF_ERR_OK);
    /* What the spawn library wrote: the stack pointer inside its stack slot, the
     * pc set, the second argument register (rsi, x1) the argument. */
    wf_word_t pc, sp;
    TEST_ASSERT_ERR(test_reg_read(t.tcb, WF_FAULT_WORD_SP, &sp), WF_ERR_OK);
    TEST_ASSERT_ERR(test_reg_read(t.tcb, WF_FAULT_WORD_PC, &pc), WF_ERR_OK);
    TEST_ASSERT(sp > t.stack && sp < t.stack + WF_THREAD_STACK_SIZE, "sp %#llx",
                (unsigned long long)sp);
    TEST_ASSERT(pc != 0);
    wf_word_t arg;
    TEST_ASSERT_ERR(test_reg_read(t.tcb, WF_FAULT_WORD_ARG1, &arg), WF_ERR_OK);
    TEST_ASSERT_EQ(arg, 5);
    /* A new argument: the thread returns it. */
    TEST_ASSERT_ERR(wf_tcb_write_registers(t.tcb, WF_FAULT_WORD_ARG1, 1, 77, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(test_reg_read(t.tcb, WF_FAULT_WORD_ARG1, &arg), WF_ERR_OK);
    TEST_ASSERT_EQ(arg, 77);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 77);
    /* Errors: the caller itself, ranges. */
    TEST_ASSERT_ERR(wf_tcb_read_registers(WF_ROOT_TCB, 0, 0, 0, 0, 0), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_tcb_write_registers(WF_ROOT_TCB, 0, 1, 0, 0, 0, 0),
                    WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_tcb_read_registers(t.tcb, WF_REGS_COUNT - 3, 0, 0, 0, 0),
                    WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_tcb_write_registers(t.tcb, 0, 0, 0, 0, 0, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_tcb_write_registers(t.tcb, 0, 5, 0, 0, 0, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_tcb_write_registers(t.tcb, WF_REGS_COUNT - 1, 2, 0, 0, 0, 0),
                    WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_tcb_read_registers(e->pool, 0, 0, 0, 0, 0), WF_ERR_ILLEGAL_OPERATION);
}

static struct {
    wf_word_t err;
    unsigned runs;
} blocked;

static int recv_and_report(uintptr_t ep)
{
    struct wf_msgregs m = {0};
    blocked.runs++;
    blocked.err = wf_sys_recv(ep, 0, &m);
    return 0;
}

TEST(tcb, suspend_cancels_ipc_and_resume_continues)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(ep);
    struct wf_thread t;
    blocked.err = 99;
    blocked.runs = 0;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, recv_and_report, ep, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    TEST_ASSERT_EQ(blocked.runs, 1);
    TEST_ASSERT_EQ(blocked.err, 99); /* waiting in Recv */
    TEST_ASSERT_ERR(wf_tcb_suspend(t.tcb), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    TEST_ASSERT_EQ(blocked.err, 99); /* suspended: it does not run */
    /* Nobody waits on the endpoint any more. */
    struct wf_msgregs m = {.info = wf_msginfo(1, 0, 0)};
    TEST_ASSERT_ERR(wf_sys_nbsend(ep, &m), WF_ERR_WOULD_BLOCK);
    TEST_ASSERT_ERR(wf_tcb_resume(t.tcb), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_ERR(blocked.err, WF_ERR_CANCELLED);
    /* Resume of a thread that is not suspended changes nothing. */
    TEST_ASSERT_ERR(wf_tcb_resume(t.tcb), WF_ERR_OK);
}

#if defined(__x86_64__)

/* What syscall_and_report saw after its Recv returned. */
static volatile struct {
    wf_word_t err, rcx, r11, r13, after;
} sysret_seen;

/* Waits in Recv on ep by a syscall instruction of its own, r13 zero, then
 * reports rcx, r11 and r13 as the return left them, with the address after the
 * syscall (where rcx must point). */
static int syscall_and_report(uintptr_t ep)
{
    register wf_word_t r12 __asm__("r12") = 0; /* no Reply object */
    register wf_word_t r11 __asm__("r11");
    wf_word_t rax = WF_SYS_RECV, rdi = ep, rsi = 0, rdx = 0, rcx, r13, after;
    __asm__ volatile("leaq 1f(%%rip), %[after]\n\t"
                     "xorl %%r13d, %%r13d\n\t"
                     "syscall\n"
                     "1:\n\t"
                     "movq %%r13, %[r13]"
                     : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "=c"(rcx),
                       "=r"(r11), [r13] "=r"(r13), [after] "=&r"(after)
                     : "r"(r12)
                     : "r8", "r9", "r10", "r13", "memory");
    sysret_seen.err = rax;
    sysret_seen.rcx = rcx;
    sysret_seen.r11 = r11;
    sysret_seen.r13 = r13;
    sysret_seen.after = after;
    return 0;
}

/* A thread in a system call: its registers read rcx as the return address and
 * r11 as the flags (the syscall instruction put them there; the kernel keeps
 * them as rip and rflags), and after a register write, which makes it resume by
 * iret with every register from its frame, it finds them so too. */
TEST(tcb, registers_of_a_thread_in_a_syscall)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(ep);
    struct wf_thread t;
    sysret_seen.err = sysret_seen.rcx = sysret_seen.r11 = sysret_seen.r13 = sysret_seen.after = 0;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, syscall_and_report, ep, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    wf_word_t rax, rip, rsp, rflags, rbx, rcx, rdx, rsi, r11, r12, r13, r14;
    TEST_ASSERT_ERR(wf_tcb_read_registers(t.tcb, WF_FAULT_WORD_RAX, &rax, &rip, &rsp, &rflags),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_read_registers(t.tcb, WF_FAULT_WORD_RBX, &rbx, &rcx, &rdx, &rsi),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_read_registers(t.tcb, WF_FAULT_WORD_R11, &r11, &r12, &r13, &r14),
                    WF_ERR_OK);
    TEST_ASSERT(rip != 0);
    TEST_ASSERT_EQ(rcx, rip);
    TEST_ASSERT_EQ(r11, rflags);
    TEST_ASSERT_EQ(r13, 0);
    /* Suspend (the Recv is cancelled), write r13, resume: the thread leaves by
     * iret with the frame's rcx and r11. */
    TEST_ASSERT_ERR(wf_tcb_suspend(t.tcb), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_write_registers(t.tcb, WF_FAULT_WORD_R13, 1, 0x1313, 0, 0, 0),
                    WF_ERR_OK);
    /* Now a full frame, which holds them itself. */
    TEST_ASSERT_ERR(wf_tcb_read_registers(t.tcb, WF_FAULT_WORD_RBX, &rbx, &rcx, &rdx, &rsi),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_read_registers(t.tcb, WF_FAULT_WORD_R11, &r11, &r12, &r13, &r14),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(rcx, rip);
    TEST_ASSERT_EQ(r11, rflags);
    TEST_ASSERT_EQ(r13, 0x1313);
    TEST_ASSERT_ERR(wf_tcb_resume(t.tcb), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_ERR(sysret_seen.err, WF_ERR_CANCELLED);
    TEST_ASSERT_EQ(sysret_seen.r13, 0x1313);
    TEST_ASSERT_EQ(sysret_seen.after, rip);
    TEST_ASSERT_EQ(sysret_seen.rcx, rip);
    TEST_ASSERT_EQ(sysret_seen.r11, rflags);
}

#else

/* The ports' system call instruction (svc #0, ecall) overwrites nothing: the
 * kernel changes only the results' registers (aarch64: x0, x1, x2-x5, x8;
 * riscv64: a0, a1, a2-a5, a7: wf/syscall.h). syscall_and_report waits in Recv
 * by an instruction of its own with eight registers the ABI does not name
 * holding known values, the last of them a callee-saved one, and reports them
 * after the return with the address after the instruction. */
#define SR_N 8
#if defined(__aarch64__)
static const unsigned sr_word[SR_N] = {
    WF_FAULT_WORD_X9,  WF_FAULT_WORD_X10, WF_FAULT_WORD_X11, WF_FAULT_WORD_X12,
    WF_FAULT_WORD_X13, WF_FAULT_WORD_X14, WF_FAULT_WORD_X15, WF_FAULT_WORD_X19,
};
#else
static const unsigned sr_word[SR_N] = {
    WF_FAULT_WORD_T0, WF_FAULT_WORD_T1, WF_FAULT_WORD_T2, WF_FAULT_WORD_T3,
    WF_FAULT_WORD_T4, WF_FAULT_WORD_T5, WF_FAULT_WORD_T6, WF_FAULT_WORD_S2,
};
#endif

static volatile struct {
    wf_word_t err, after, r[SR_N];
} sysret_seen;

static wf_word_t sr_value(unsigned i)
{
    return 0x5157000000000000ull + i * 0x1111;
}

static int syscall_and_report(uintptr_t ep)
{
    wf_word_t after;
#if defined(__aarch64__)
    register wf_word_t a0 __asm__("x0") = ep, a1 __asm__("x1") = 0, a6 __asm__("x6") = 0;
    register wf_word_t no __asm__("x8") = WF_SYS_RECV;
    register wf_word_t r0 __asm__("x9") = sr_value(0), r1 __asm__("x10") = sr_value(1);
    register wf_word_t r2 __asm__("x11") = sr_value(2), r3 __asm__("x12") = sr_value(3);
    register wf_word_t r4 __asm__("x13") = sr_value(4), r5 __asm__("x14") = sr_value(5);
    register wf_word_t r6 __asm__("x15") = sr_value(6), r7 __asm__("x19") = sr_value(7);
    __asm__ volatile("adr %[after], 1f\n\t"
                     "svc #0\n"
                     "1:"
                     : "+r"(a0), "+r"(a1), "+r"(a6), "+r"(no), "+r"(r0), "+r"(r1), "+r"(r2),
                       "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7), [after] "=&r"(after)
                     :
                     : "x2", "x3", "x4", "x5", "x7", "memory");
#else
    register wf_word_t a0 __asm__("a0") = ep, a1 __asm__("a1") = 0, a6 __asm__("a6") = 0;
    register wf_word_t no __asm__("a7") = WF_SYS_RECV;
    register wf_word_t r0 __asm__("t0") = sr_value(0), r1 __asm__("t1") = sr_value(1);
    register wf_word_t r2 __asm__("t2") = sr_value(2), r3 __asm__("t3") = sr_value(3);
    register wf_word_t r4 __asm__("t4") = sr_value(4), r5 __asm__("t5") = sr_value(5);
    register wf_word_t r6 __asm__("t6") = sr_value(6), r7 __asm__("s2") = sr_value(7);
    __asm__ volatile("lla %[after], 1f\n\t"
                     "ecall\n"
                     "1:"
                     : "+r"(a0), "+r"(a1), "+r"(a6), "+r"(no), "+r"(r0), "+r"(r1), "+r"(r2),
                       "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7), [after] "=&r"(after)
                     :
                     : "a2", "a3", "a4", "a5", "memory");
#endif
    sysret_seen.err = no;
    sysret_seen.after = after;
    sysret_seen.r[0] = r0;
    sysret_seen.r[1] = r1;
    sysret_seen.r[2] = r2;
    sysret_seen.r[3] = r3;
    sysret_seen.r[4] = r4;
    sysret_seen.r[5] = r5;
    sysret_seen.r[6] = r6;
    sysret_seen.r[7] = r7;
    return 0;
}

/* A thread in a system call: its registers read as it left them and its pc
 * as the address after the instruction; suspended (its Recv cancelled), one
 * register written and resumed, it returns with that one changed, the others
 * as they were, at the same address. */
TEST(tcb, registers_of_a_thread_in_a_syscall)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(ep);
    struct wf_thread t;
    memset((void *)&sysret_seen, 0, sizeof(sysret_seen));
    TEST_ASSERT_ERR(wf_thread_create(e, &t, syscall_and_report, ep, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    wf_word_t pc = 0, v = 0;
    TEST_ASSERT_ERR(test_reg_read(t.tcb, WF_FAULT_WORD_PC, &pc), WF_ERR_OK);
    TEST_ASSERT(pc != 0);
    for (unsigned i = 0; i < SR_N; i++) {
        TEST_ASSERT_ERR(test_reg_read(t.tcb, sr_word[i], &v), WF_ERR_OK);
        TEST_ASSERT(v == sr_value(i), "word %u: %#llx", sr_word[i], (unsigned long long)v);
    }
    TEST_ASSERT_ERR(wf_tcb_suspend(t.tcb), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_write_registers(t.tcb, sr_word[SR_N - 1], 1, 0x1313, 0, 0, 0),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(test_reg_read(t.tcb, sr_word[SR_N - 1], &v), WF_ERR_OK);
    TEST_ASSERT_EQ(v, 0x1313);
    TEST_ASSERT_ERR(wf_tcb_resume(t.tcb), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_ERR(sysret_seen.err, WF_ERR_CANCELLED);
    TEST_ASSERT_EQ(sysret_seen.after, pc);
    for (unsigned i = 0; i < SR_N - 1; i++)
        TEST_ASSERT(sysret_seen.r[i] == sr_value(i), "register %u after the return: %#llx", i,
                    (unsigned long long)sysret_seen.r[i]);
    TEST_ASSERT_EQ(sysret_seen.r[SR_N - 1], 0x1313);
}

#endif

/* Threads that log their id in the order they run. */
static volatile unsigned order_log[4], order_n;

static int log_id(uintptr_t id)
{
    order_log[order_n++] = (unsigned)id;
    return 0;
}

static unsigned run_pair(struct wf_spawn_env *e, unsigned prio_a, unsigned prio_b, bool *ok)
{
    struct wf_thread a, b;
    order_n = 0;
    *ok = wf_thread_create(e, &a, log_id, 1, prio_a) == WF_ERR_OK &&
          wf_thread_create(e, &b, log_id, 2, prio_b) == WF_ERR_OK &&
          wf_thread_start(&a) == WF_ERR_OK && wf_thread_start(&b) == WF_ERR_OK && test_settle();
    unsigned r = order_n == 2 ? order_log[0] * 10 + order_log[1] : 0;
    wf_thread_destroy(e, &a);
    wf_thread_destroy(e, &b);
    return r;
}

TEST(tcb, higher_priority_runs_first)
{
    TEST_ENV(e);
    bool ok;
    TEST_ASSERT_EQ(run_pair(e, 120, 110, &ok), 12);
    TEST_ASSERT(ok);
    TEST_ASSERT_EQ(run_pair(e, 110, 120, &ok), 21);
    TEST_ASSERT(ok);
    /* SetPriority moves a created thread ahead. */
    struct wf_thread a, b;
    order_n = 0;
    TEST_ASSERT_ERR(wf_thread_create(e, &a, log_id, 1, 120), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_create(e, &b, log_id, 2, 110), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_priority(b.tcb, WF_ROOT_TCB, 130), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&a), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&b), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    TEST_ASSERT_EQ(order_n, 2);
    TEST_ASSERT_EQ(order_log[0], 2);
}

TEST(tcb, mcp_rule)
{
    TEST_ENV(e);
    struct wf_thread a, b;
    TEST_ASSERT_ERR(wf_thread_create(e, &a, return_arg, 0, 40), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_create(e, &b, return_arg, 0, 30), WF_ERR_OK);
    wf_word_t r[3];
    /* Our MCP is 255: 256 is out of range, with the range in the details. */
    TEST_ASSERT_EQ(wf_call(a.tcb, WF_LABEL_TCB_SET_PRIORITY, (wf_word_t[]){256}, 1,
                           (wf_cptr_t[]){WF_ROOT_TCB}, 1, r, 3),
                   WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(r[1], 0);
    TEST_ASSERT_EQ(r[2], WF_PRIO_MAX);
    /* a's MCP is its priority, 40: with a as authority nothing above 40. */
    TEST_ASSERT_ERR(wf_tcb_set_priority(b.tcb, a.tcb, 41), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_tcb_set_priority(b.tcb, a.tcb, 40), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_mcp(b.tcb, a.tcb, 41), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_tcb_set_mcp(b.tcb, a.tcb, 35), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_priority(a.tcb, b.tcb, 36), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(
        wf_tcb_configure(a.tcb, WF_ROOT_CNODE, b.tcb, WF_GUARD(0, 64 - e->cnode_radix), 0, 36, 0),
        WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(
        wf_tcb_configure(a.tcb, WF_ROOT_CNODE, b.tcb, WF_GUARD(0, 64 - e->cnode_radix), 0, 0, 36),
        WF_ERR_RANGE_ERROR);
    /* Raised back by the root task, whose MCP allows it. */
    TEST_ASSERT_ERR(wf_tcb_set_mcp(b.tcb, WF_ROOT_TCB, 200), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_priority(a.tcb, b.tcb, 150), WF_ERR_OK);
    /* The authority must be a TCB. */
    TEST_ASSERT_ERR(wf_tcb_set_priority(a.tcb, e->pool, 1), WF_ERR_INVALID_CAPABILITY);
}

TEST(tcb, configure_and_set_errors)
{
    TEST_ENV(e);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, return_arg, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    const wf_word_t g = WF_GUARD(0, 64 - e->cnode_radix);
    TEST_ASSERT_ERR(wf_tcb_configure(t.tcb, WF_ROOT_CNODE, WF_ROOT_TCB, g, 0x1008, 1, 1),
                    WF_ERR_ALIGNMENT_ERROR);
    TEST_ASSERT_ERR(
        wf_tcb_configure(t.tcb, WF_ROOT_CNODE, WF_ROOT_TCB, g, test_bootinfo->user_top, 1, 1),
        WF_ERR_INVALID_ARGUMENT);
    /* A guard that does not fit the CNode. */
    TEST_ASSERT_ERR(wf_tcb_configure(t.tcb, WF_ROOT_CNODE, WF_ROOT_TCB, WF_GUARD(0, 60), 0, 1, 1),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_tcb_configure(t.tcb, WF_ROOT_TCB, WF_ROOT_TCB, g, 0, 1, 1),
                    WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_tcb_set_vspace(t.tcb, WF_ROOT_CNODE), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_tcb_set_fault_endpoint(t.tcb, WF_ROOT_TCB), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_tcb_set_cspace(t.tcb, WF_ROOT_VSPACE, 0), WF_ERR_INVALID_CAPABILITY);
    /* None of it changed the thread: it still runs and exits. */
    TEST_ASSERT_ERR(wf_tcb_write_registers(t.tcb, WF_FAULT_WORD_ARG1, 1, 9, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 9);
}

/* A CSpace root must leave the thread's null slot empty (decision 084), and a
 * thread cannot replace its own root (decision 087: the restart would look its
 * caps up in the root just deleted). Both refusals change nothing. */
TEST(tcb, cspace_root_refusals)
{
    TEST_ENV(e);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, return_arg, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    wf_cptr_t cn = test_obj(WF_OBJ_CNODE, 4);
    TEST_ASSERT(cn);
    TEST_ASSERT_ERR(wf_untyped_retype(e->untyped, WF_OBJ_ENDPOINT, 0, WF_ROOT_CNODE, cn, 64, 0, 1),
                    WF_ERR_OK);
    const wf_word_t g4 = WF_GUARD(0, 60);
    wf_word_t r[1];
    TEST_ASSERT_EQ(wf_call(t.tcb, WF_LABEL_TCB_SET_CSPACE, &g4, 1, &cn, 1, r, 1),
                   WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_EQ(r[0], 0);
    TEST_ASSERT_ERR(wf_tcb_configure(t.tcb, cn, WF_ROOT_TCB, g4, 0, 1, 1),
                    WF_ERR_INVALID_CAPABILITY);
    /* Slot 0 emptied, the CNode is accepted (and the thread's root replaced). */
    TEST_ASSERT_ERR(wf_cnode_delete(cn, 0, 4), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_cspace(t.tcb, cn, g4), WF_ERR_OK);
    /* Our own root: refused, and we still reach our caps through it. */
    TEST_ASSERT_ERR(wf_tcb_set_cspace(WF_ROOT_TCB, cn, g4), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_tcb_configure(WF_ROOT_TCB, cn, WF_ROOT_TCB, g4, 0, 1, 1),
                    WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_EQ(wf_debug_cap_identify(cn), WF_OBJ_CNODE);
    TEST_ASSERT_EQ(wf_debug_cap_identify(t.tcb), WF_OBJ_TCB);
}

/* TCB_Describe's state of tcb (0xeeee if the call fails). */
static wf_word_t state_of(wf_cptr_t tcb)
{
    wf_word_t s = 0xeeee;
    if (wf_tcb_describe(tcb, &s, 0, 0, 0) != WF_ERR_OK)
        return 0xeeee;
    return s;
}

static int send_on(uintptr_t ep)
{
    struct wf_msgregs m = {.info = wf_msginfo(1, 0, 0)};
    wf_sys_send(ep, &m);
    return 0;
}

static int call_on(uintptr_t ep)
{
    struct wf_msgregs m = {.info = wf_msginfo(1, 0, 0)};
    wf_sys_call(ep, &m);
    return 0;
}

static int wait_on(uintptr_t ntfn)
{
    wf_word_t bits;
    wf_sys_wait(ntfn, &bits);
    return 0;
}

/* Starts a thread running fn(arg) and lets it block; 0 on failure. */
static bool start_and_settle(struct wf_spawn_env *e, struct wf_thread *t, int (*fn)(uintptr_t),
                             uintptr_t arg)
{
    return wf_thread_create(e, t, fn, arg, TEST_CHILD_PRIO) == WF_ERR_OK &&
           wf_thread_start(t) == WF_ERR_OK && test_settle();
}

TEST(tcb, describe_reports_parameters)
{
    TEST_ENV(e);
    /* The caller itself: running, at the root task's priority. */
    wf_word_t st = 0, prio = 0, mcp = 0, abi = 9;
    TEST_ASSERT_ERR(wf_tcb_describe(WF_ROOT_TCB, &st, &prio, &mcp, &abi), WF_ERR_OK);
    TEST_ASSERT_EQ(st, WF_THREAD_STATE_RUNNABLE);
    TEST_ASSERT_EQ(prio, WF_PRIO_MAX);
    TEST_ASSERT_EQ(mcp, WF_PRIO_MAX);
    TEST_ASSERT_EQ(abi, WF_ABI_MODE_NATIVE);
    /* A new thread: inactive, with what Configure gave it. */
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, return_arg, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_describe(t.tcb, &st, &prio, &mcp, &abi), WF_ERR_OK);
    TEST_ASSERT_EQ(st, WF_THREAD_STATE_INACTIVE);
    TEST_ASSERT_EQ(prio, TEST_CHILD_PRIO);
    TEST_ASSERT_EQ(mcp, TEST_CHILD_PRIO);
    TEST_ASSERT_EQ(abi, WF_ABI_MODE_NATIVE);
    /* Changes show. */
    TEST_ASSERT_ERR(wf_tcb_set_priority(t.tcb, WF_ROOT_TCB, 42), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_mcp(t.tcb, WF_ROOT_TCB, 7), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_abi(t.tcb, WF_ABI_MODE_FOREIGN), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_describe(t.tcb, &st, &prio, &mcp, &abi), WF_ERR_OK);
    TEST_ASSERT_EQ(prio, 42);
    TEST_ASSERT_EQ(mcp, 7);
    TEST_ASSERT_EQ(abi, WF_ABI_MODE_FOREIGN);
    /* A copy with no rights describes as well (TCB caps carry none); results may be NULL. */
    TEST_ASSERT_ERR(wf_cnode_copy(WF_ROOT_CNODE, test_slot(0), 64, WF_ROOT_CNODE, t.tcb, 64, 0),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_describe(test_slot(0), 0, &prio, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(prio, 42);
    /* Not a TCB cap; an empty slot. */
    TEST_ASSERT_ERR(wf_tcb_describe(e->pool, 0, 0, 0, 0), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_tcb_describe(test_slot(1), 0, 0, 0, 0), WF_ERR_FAILED_LOOKUP);
}

TEST(tcb, describe_reports_thread_states)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0), ntfn = test_obj(WF_OBJ_NOTIFICATION, 0);
    wf_cptr_t reply = test_obj(WF_OBJ_REPLY, 0);
    TEST_ASSERT(ep && ntfn && reply);
    struct wf_event ev;
    struct wf_msgregs m = {0};

    /* Receive: created (inactive), started (ready: the root task runs above
     * it), blocked in Recv, suspended (inactive), resumed (its Recv cancelled). */
    struct wf_thread r;
    blocked.err = 99;
    TEST_ASSERT_ERR(wf_thread_create(e, &r, recv_and_report, ep, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_EQ(state_of(r.tcb), WF_THREAD_STATE_INACTIVE);
    TEST_ASSERT_ERR(wf_thread_start(&r), WF_ERR_OK);
    TEST_ASSERT_EQ(state_of(r.tcb), WF_THREAD_STATE_RUNNABLE);
    TEST_ASSERT(test_settle());
    TEST_ASSERT_EQ(state_of(r.tcb), WF_THREAD_STATE_BLOCKED_RECV);
    TEST_ASSERT_ERR(wf_tcb_suspend(r.tcb), WF_ERR_OK);
    TEST_ASSERT_EQ(state_of(r.tcb), WF_THREAD_STATE_INACTIVE);
    TEST_ASSERT_ERR(wf_tcb_resume(r.tcb), WF_ERR_OK);
    TEST_ASSERT_EQ(state_of(r.tcb), WF_THREAD_STATE_RUNNABLE);
    TEST_ASSERT_ERR(wf_thread_wait(&r, &ev), WF_ERR_OK);
    TEST_ASSERT_ERR(blocked.err, WF_ERR_CANCELLED);

    /* Send: blocked until a receiver takes the message. */
    struct wf_thread s;
    TEST_ASSERT(start_and_settle(e, &s, send_on, ep));
    TEST_ASSERT_EQ(state_of(s.tcb), WF_THREAD_STATE_BLOCKED_SEND);
    TEST_ASSERT_ERR(wf_sys_nbrecv(ep, 0, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(state_of(s.tcb), WF_THREAD_STATE_RUNNABLE);
    TEST_ASSERT_ERR(wf_thread_wait(&s, &ev), WF_ERR_OK);

    /* Call: a sender until received, then waiting for the reply. */
    struct wf_thread c;
    TEST_ASSERT(start_and_settle(e, &c, call_on, ep));
    TEST_ASSERT_EQ(state_of(c.tcb), WF_THREAD_STATE_BLOCKED_SEND);
    TEST_ASSERT_ERR(wf_sys_nbrecv(ep, reply, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(state_of(c.tcb), WF_THREAD_STATE_BLOCKED_CALL);
    m.info = wf_msginfo(0, 0, 0);
    TEST_ASSERT_ERR(wf_sys_send(reply, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(state_of(c.tcb), WF_THREAD_STATE_RUNNABLE);
    TEST_ASSERT_ERR(wf_thread_wait(&c, &ev), WF_ERR_OK);

    /* Wait: blocked on the notification until it is signalled. */
    struct wf_thread w;
    TEST_ASSERT(start_and_settle(e, &w, wait_on, ntfn));
    TEST_ASSERT_EQ(state_of(w.tcb), WF_THREAD_STATE_BLOCKED_NOTIFICATION);
    TEST_ASSERT_ERR(wf_sys_signal(ntfn), WF_ERR_OK);
    TEST_ASSERT_EQ(state_of(w.tcb), WF_THREAD_STATE_RUNNABLE);
    TEST_ASSERT_ERR(wf_thread_wait(&w, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
}
