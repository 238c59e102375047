/*
 * Faults as messages (docs/architecture.md, Faults): a page fault outside any
 * region or against a region's rights, CPU exceptions (ud2, divide), and an
 * unknown system call each arrive at the thread's fault endpoint (here the
 * spawn library's ctl endpoint) as a Call carrying all registers; the reply
 * resumes the thread with the registers it sets; a thread without a fault
 * endpoint is suspended and the system goes on; a FOREIGN-mode thread's Linux
 * system calls arrive as UnknownSyscall and the reply's result lands in the
 * result register (rax, x0) after the system call instruction. Every faulting
 * thread is uchild (uchild.h) in its own CNode and VSpace. Registers are named
 * by the neutral words of enum wf_fault_word and tarch.h's facts, so the same
 * tests run on every architecture.
 */
#include "tarch.h"

#include <string.h>

#include "tutil.h"

#define UNMAPPED 0x0000000100000000ull /* no region of uchild's covers it */

/* Starts uchild with UC_FAULT kind and address, waits for its fault report. */
static enum wf_error fault_child(struct wf_process *p, wf_word_t kind, wf_word_t addr,
                                 struct wf_event *ev)
{
    enum wf_error e = test_child(p);
    if (!e)
        e = test_child_start(p, UC_FAULT, kind, addr, 0);
    if (!e)
        e = wf_thread_wait(&p->main, ev);
    return e;
}

/* The fault message carries the registers uchild set before faulting. */
static bool markers_ok(const struct wf_event *ev)
{
    return ev->len == WF_FAULT_MSG_WORDS && ev->w[TARCH_WORD_MARK0] == UC_MARK13 &&
           ev->w[TARCH_WORD_MARK1] == UC_MARK14 && ev->w[TARCH_WORD_MARK2] == UC_MARK15;
}

/* Replies with the pc = the recovery address uchild left in TARCH_WORD_RECOVER;
 * the child then exits with UC_RECOVERED. Returns the exit report's status (or
 * 1000 + error). */
static wf_word_t recover(struct wf_process *p, const struct wf_event *ev)
{
    enum wf_error e = test_fault_resume(p->main.reply, ev, ev->w[TARCH_WORD_RECOVER],
                                        ev->w[WF_FAULT_WORD_RESULT]);
    struct wf_event end;
    if (!e)
        e = wf_thread_wait(&p->main, &end);
    if (e || end.label != WF_EXIT_LABEL)
        return 1000 + e + end.label;
    return end.w[0];
}

TEST(fault, page_fault_outside_any_region)
{
    struct wf_process p;
    struct wf_event ev;
    TEST_ASSERT_ERR(fault_child(&p, UC_F_READ, UNMAPPED + 0x123, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    TEST_ASSERT(markers_ok(&ev), "the marker registers not as the child left them");
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], UNMAPPED + 0x123);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL1], 1); /* read, not present */
    /* The pc is inside uchild's text: the faulting instruction. */
    TEST_ASSERT(ev.w[WF_FAULT_WORD_PC] >= 0x400000 && ev.w[WF_FAULT_WORD_PC] < 0x800000, "pc %#llx",
                (unsigned long long)ev.w[WF_FAULT_WORD_PC]);
    TEST_ASSERT_EQ(recover(&p, &ev), UC_RECOVERED);
}

TEST(fault, write_to_read_only_page)
{
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    wf_word_t text = p.entry & ~0xfffull; /* executed already: present, read-only */
    struct wf_event ev;
    TEST_ASSERT_ERR(test_child_start(&p, UC_FAULT, UC_F_WRITE, text, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    TEST_ASSERT(markers_ok(&ev));
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], text);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL1], 0x102); /* write, present */
    TEST_ASSERT_EQ(recover(&p, &ev), UC_RECOVERED);
}

TEST(fault, undefined_instruction_resumes_with_new_registers)
{
    TEST_ENV(e);
    struct wf_process p;
    struct wf_event ev;
    TEST_ASSERT_ERR(fault_child(&p, UC_F_UD2, 0, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    TEST_ASSERT(markers_ok(&ev));
    /* The pc points at the undefined instruction (ud2, udf #0) in the child's memory. */
    static uint8_t insn[TARCH_UD_LEN];
    TEST_ASSERT_ERR(
        wf_vspace_read(p.vspace, ev.w[WF_FAULT_WORD_PC], TARCH_UD_LEN, e->vspace, (uintptr_t)insn),
        WF_ERR_OK);
    TEST_ASSERT(TARCH_IS_UD(insn), "%02x %02x", insn[0], insn[1]);
    /* Resume past it with the result register = 4242: the child exits with it. */
    TEST_ASSERT_ERR(
        test_fault_resume(p.main.reply, &ev, ev.w[WF_FAULT_WORD_PC] + TARCH_UD_LEN, 4242),
        WF_ERR_OK);
    struct wf_event end;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &end), WF_ERR_OK);
    TEST_ASSERT_EQ(end.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(end.w[0], 4242);
}

TEST(fault, divide_error)
{
    if (!TARCH_DIVIDE_TRAPS)
        TEST_SKIP(TARCH_NAME ": integer division by zero does not trap (it has a defined result)");
    struct wf_process p;
    struct wf_event ev;
    TEST_ASSERT_ERR(fault_child(&p, UC_F_DIVIDE, 0, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_ARITHMETIC);
    TEST_ASSERT(markers_ok(&ev));
#ifdef TARCH_WORD_DIVISOR
    TEST_ASSERT_EQ(ev.w[TARCH_WORD_DIVISOR], 0); /* the divisor */
#endif
    TEST_ASSERT_EQ(recover(&p, &ev), UC_RECOVERED);
}

TEST(fault, unknown_syscall_native)
{
    struct wf_process p;
    struct wf_event ev;
    TEST_ASSERT_ERR(fault_child(&p, UC_F_SYSCALL, 0x12345, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_UNKNOWN_SYSCALL);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_SYSNO], 0x12345);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_ABI_MODE_NATIVE);
    TEST_ASSERT(markers_ok(&ev));
    /* The reply's word 0 is the result; the child resumes after the syscall. */
    wf_word_t r = 77;
    TEST_ASSERT_ERR(wf_fault_reply(p.main.reply, &r, 1), WF_ERR_OK);
    struct wf_event end;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &end), WF_ERR_OK);
    TEST_ASSERT_EQ(end.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(end.w[0], 77);
}

TEST(fault, foreign_abi_linux_syscalls)
{
    TEST_ENV(e);
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_abi(p.main.tcb, 2), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_tcb_set_abi(p.main.tcb, WF_ABI_MODE_FOREIGN), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_LINUX, 0, 0, 0), WF_ERR_OK);
    /* getpid */
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_UNKNOWN_SYSCALL);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_SYSNO], TARCH_LINUX_GETPID);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_ABI_MODE_FOREIGN);
    wf_word_t pc = ev.w[WF_FAULT_WORD_PC];
    wf_word_t r = 1000;
    TEST_ASSERT_ERR(wf_fault_reply(p.main.reply, &r, 1), WF_ERR_OK);
    /* write(1, msg, len): the arguments in Linux's registers (rdi rsi rdx, x0 x1 x2);
     * the buffer is read from the child's address space as a personality server would. */
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_UNKNOWN_SYSCALL);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_SYSNO], TARCH_LINUX_WRITE);
    TEST_ASSERT_EQ(ev.w[TARCH_WORD_LINUX_A0], 1);
    TEST_ASSERT(ev.w[WF_FAULT_WORD_PC] != pc, "the second syscall has its own pc");
    wf_word_t len = ev.w[TARCH_WORD_LINUX_A2];
    static char buf[64];
    TEST_ASSERT(len > 0 && len < sizeof(buf), "len %llu", (unsigned long long)len);
    memset(buf, 0, sizeof(buf));
    TEST_ASSERT_ERR(
        wf_vspace_read(p.vspace, ev.w[TARCH_WORD_LINUX_A1], len, e->vspace, (uintptr_t)buf),
        WF_ERR_OK);
    TEST_ASSERT(strcmp(buf, "hello from a foreign thread\n") == 0, "got \"%s\"", buf);
    r = len;
    TEST_ASSERT_ERR(wf_fault_reply(p.main.reply, &r, 1), WF_ERR_OK);
    /* Native calls still work in FOREIGN mode: the child exits through Send. */
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 1000 + len);
}

TEST(fault, no_fault_endpoint_suspends_the_thread)
{
    TEST_ENV(e);
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    /* Revoking ctl removes the TCB's copy: no fault endpoint. */
    TEST_ASSERT_ERR(wf_cnode_revoke(e->cnode, p.main.ctl, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_FAULT, UC_F_UD2, 0, 0), WF_ERR_OK);
    TEST_ASSERT(test_settle()); /* the child ran, faulted and stopped */
    wf_word_t m0, m1;
    TEST_ASSERT_ERR(test_reg_read(p.main.tcb, TARCH_WORD_MARK0, &m0), WF_ERR_OK);
    TEST_ASSERT_ERR(test_reg_read(p.main.tcb, TARCH_WORD_MARK1, &m1), WF_ERR_OK);
    TEST_ASSERT_EQ(m0, UC_MARK13);
    TEST_ASSERT_EQ(m1, UC_MARK14);
    /* Resumed, it faults again and stops again; we keep running. */
    TEST_ASSERT_ERR(wf_tcb_resume(p.main.tcb), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    wf_word_t pc;
    TEST_ASSERT_ERR(test_reg_read(p.main.tcb, WF_FAULT_WORD_PC, &pc), WF_ERR_OK);
    static uint8_t insn[TARCH_UD_LEN];
    TEST_ASSERT_ERR(wf_vspace_read(p.vspace, pc, TARCH_UD_LEN, e->vspace, (uintptr_t)insn),
                    WF_ERR_OK);
    TEST_ASSERT(TARCH_IS_UD(insn), "stopped at %02x %02x", insn[0], insn[1]);
}

TEST(fault, handler_destroys_the_thread)
{
    TEST_ENV(e);
    wf_word_t before, after;
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &before, 0, 0, 0), WF_ERR_OK);
    struct wf_process p;
    struct wf_event ev;
    TEST_ASSERT_ERR(fault_child(&p, UC_F_READ, UNMAPPED, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    wf_process_destroy(e, &p);
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &after, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(after, before);
}
