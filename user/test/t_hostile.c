/*
 * Hostile user code: instruction sequences a thread may execute to get into the
 * kernel by a door other than the syscall instruction's, or to leave it in a
 * state the kernel must not trust. Each runs as a thread of the root task (its
 * fault endpoint is the thread's ctl, wf/spawn.h) and must end as a fault
 * message for that thread, never as a kernel crash, a hang or a fault loop:
 *
 *  - compatibility mode: a far jump to the selector of a 32-bit code segment
 *    followed by syscall (there is no such segment: decision 080), sysenter,
 *    and int 0x80 (a #GP); int3 is a breakpoint;
 *  - the flags: AC (SMAP's override), IOPL, NT and VM written through
 *    TCB_WriteRegisters or a fault reply are not kept; AC set by the thread
 *    itself (popf) is not carried into the kernel by a trap;
 *  - a page fault that no mapping change can remove (under QEMU with SMAP, the
 *    stack reads of lretq are supervisor-mode accesses) is delivered instead of
 *    being retried forever.
 *
 * The sequences are the hostile_* functions below (x86-64 assembly); a label
 * hostile_*_fault marks the instruction that must fault.
 */
#include "tarch.h"

#ifdef __x86_64__

#include <string.h>

#include "tutil.h"

#define RFLAGS_CF   0x1ull
#define RFLAGS_IF   0x200ull
#define RFLAGS_IOPL 0x3000ull
#define RFLAGS_NT   0x4000ull
#define RFLAGS_RF   0x10000ull
#define RFLAGS_VM   0x20000ull
#define RFLAGS_AC   0x40000ull

int hostile_compat_syscall(uintptr_t a);
int hostile_sysenter(uintptr_t a);
int hostile_int80(uintptr_t a);
int hostile_int3(uintptr_t a);
int hostile_flags(uintptr_t a);
int hostile_lret(uintptr_t a);
extern const char hostile_compat_syscall_fault[], hostile_sysenter_fault[], hostile_int80_fault[],
    hostile_flags_fault[], hostile_flags_resume[], hostile_lret_fault[], hostile_lret_resume[],
    hostile_int3_next[];

__asm__(".text\n"
        /* ljmp through a 16:32 pointer to 0x1b:1f, then syscall (in 32-bit code
         * this would be a compatibility-mode syscall, MSR_CSTAR) */
        ".globl hostile_compat_syscall, hostile_compat_syscall_fault\n"
        "hostile_compat_syscall:\n"
        "    leaq 2f(%rip), %rax\n"
        "hostile_compat_syscall_fault:\n"
        "    ljmpl *(%rax)\n"
        "1:  syscall\n"
        "    ud2\n"
        "2:  .long 1b\n"
        "    .word 0x1b\n"
        ".globl hostile_sysenter, hostile_sysenter_fault\n"
        "hostile_sysenter:\n"
        "hostile_sysenter_fault:\n"
        "    sysenter\n"
        "    ud2\n"
        ".globl hostile_int3, hostile_int3_next\n"
        "hostile_int3:\n"
        "    int3\n"
        "hostile_int3_next:\n"
        "    movl $0x33, %eax\n"
        "    ret\n"
        ".globl hostile_int80, hostile_int80_fault\n"
        "hostile_int80:\n"
        "hostile_int80_fault:\n"
        "    int $0x80\n"
        "    ud2\n"
        /* sets AC (popf), then ud2; resumed at hostile_flags_resume, returns the
         * flags as they are there */
        ".globl hostile_flags, hostile_flags_fault, hostile_flags_resume\n"
        "hostile_flags:\n"
        "    pushfq\n"
        "    orq $0x40000, (%rsp)\n"
        "    popfq\n"
        "hostile_flags_fault:\n"
        "    ud2\n"
        "hostile_flags_resume:\n"
        "    pushfq\n"
        "    popq %rax\n"
        "    pushq $0x202\n"
        "    popfq\n"
        "    ret\n"
        /* a far return to the thread's own code segment; returns 0x77 */
        ".globl hostile_lret, hostile_lret_fault, hostile_lret_resume\n"
        "hostile_lret:\n"
        "    pushq $0x2b\n"
        "    leaq hostile_lret_resume(%rip), %rax\n"
        "    pushq %rax\n"
        "hostile_lret_fault:\n"
        "    lretq\n"
        "hostile_lret_resume:\n"
        "    movl $0x77, %eax\n"
        "    ret\n");

/* Starts fn as a thread and waits for its first report in *ev. */
static enum wf_error run_thread(struct wf_thread *t, int (*fn)(uintptr_t), struct wf_event *ev)
{
    struct wf_spawn_env *e = test_env();
    if (!e)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error err = wf_thread_create(e, t, fn, 0, TEST_CHILD_PRIO);
    if (!err)
        err = wf_thread_start(t);
    if (!err)
        err = wf_thread_wait(t, ev);
    return err;
}

/* The thread's report is the exception kind (enum wf_exception) at pc, with the
 * x86-64 vector and error code (weft/arch/x86_64/abi.h). */
#define ASSERT_EXCEPTION(ev, kind, vector, error, pc)                                              \
    do {                                                                                           \
        TEST_ASSERT_EQ((ev).label, WF_FAULT_TYPE_USER_EXCEPTION);                                  \
        TEST_ASSERT_EQ((ev).w[WF_FAULT_WORD_DETAIL0], kind);                                       \
        TEST_ASSERT_EQ(wf_x86_64_exception_vector((ev).w[WF_FAULT_WORD_DETAIL1]), vector);         \
        TEST_ASSERT_EQ(wf_x86_64_exception_error((ev).w[WF_FAULT_WORD_DETAIL1]), error);           \
        TEST_ASSERT_EQ((ev).w[WF_FAULT_WORD_RIP], (uintptr_t)(pc));                                \
    } while (0)

/* Before the fix: the far jump entered compatibility mode and the syscall
 * entered ring 0 at address 0 on the user stack (#PF, #DF, halt). */
TEST(hostile, far_jump_to_32bit_code_is_a_gp)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_compat_syscall, &ev), WF_ERR_OK);
    ASSERT_EXCEPTION(ev, WF_EXCEPTION_PROTECTION, 13, 0x18, hostile_compat_syscall_fault);
}

TEST(hostile, sysenter_is_a_fault)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_sysenter, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_RIP], (uintptr_t)hostile_sysenter_fault);
    /* #GP(0) where the CPU has sysenter in 64-bit mode (Intel), #UD elsewhere */
    wf_word_t kind = ev.w[WF_FAULT_WORD_DETAIL0], code = ev.w[WF_FAULT_WORD_DETAIL1];
    TEST_ASSERT((kind == WF_EXCEPTION_PROTECTION && code == 13) ||
                    (kind == WF_EXCEPTION_UNDEFINED_INSTRUCTION && code == 6),
                "kind %llu code %#llx", (unsigned long long)kind, (unsigned long long)code);
}

TEST(hostile, int80_is_a_gp)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_int80, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_PROTECTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_RIP], (uintptr_t)hostile_int80_fault);
    TEST_ASSERT_EQ(wf_x86_64_exception_vector(ev.w[WF_FAULT_WORD_DETAIL1]), 13);
    /* error code: the IDT bit and entry 0x80 (QEMU scales the entry by 16) */
    wf_word_t err = wf_x86_64_exception_error(ev.w[WF_FAULT_WORD_DETAIL1]);
    TEST_ASSERT(err == (0x80 << 3 | 2) || err == (0x80 << 4 | 2), "error code %#llx",
                (unsigned long long)err);
}

/* int3 is the one software interrupt a thread may raise (its gate has DPL 3):
 * a breakpoint, reported after the instruction; an empty reply resumes there. */
TEST(hostile, int3_is_a_breakpoint)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_int3, &ev), WF_ERR_OK);
    ASSERT_EXCEPTION(ev, WF_EXCEPTION_BREAKPOINT, 3, 0, hostile_int3_next);
    TEST_ASSERT_ERR(wf_fault_reply(t.reply, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0x33);
}

/* Before the fix, RFLAGS read back as written, AC included. */
TEST(hostile, write_registers_drops_privileged_flags)
{
    TEST_ENV(e);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, hostile_flags, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    wf_word_t bad = RFLAGS_AC | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_VM | RFLAGS_RF | RFLAGS_CF;
    TEST_ASSERT_ERR(wf_tcb_write_registers(t.tcb, WF_FAULT_WORD_RFLAGS, 1, bad, 0, 0, 0),
                    WF_ERR_OK);
    wf_word_t flags;
    TEST_ASSERT_ERR(wf_tcb_read_registers(t.tcb, WF_FAULT_WORD_RFLAGS, &flags, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(flags, RFLAGS_CF | RFLAGS_IF | 2);
}

/* The thread sets AC itself and traps (ud2): the kernel's entry clears AC
 * (clac; a debug kernel asserts it, so before the fix this halted the system).
 * The fault message shows the thread's own flags, AC included; a reply that sets
 * AC, IOPL and NT resumes the thread without them (before the fix AC stayed). */
TEST(hostile, ac_from_user_and_from_a_fault_reply)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_flags, &ev), WF_ERR_OK);
    ASSERT_EXCEPTION(ev, WF_EXCEPTION_UNDEFINED_INSTRUCTION, 6, 0, hostile_flags_fault);
    TEST_ASSERT(ev.w[WF_FAULT_WORD_RFLAGS] & RFLAGS_AC, "flags %#llx",
                (unsigned long long)ev.w[WF_FAULT_WORD_RFLAGS]);
    wf_word_t regs[4] = {0, (uintptr_t)hostile_flags_resume, ev.w[WF_FAULT_WORD_RSP],
                         RFLAGS_AC | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_CF | RFLAGS_IF};
    TEST_ASSERT_ERR(wf_fault_reply(t.reply, regs, 4), WF_ERR_OK);
    struct wf_event end;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &end), WF_ERR_OK);
    TEST_ASSERT_EQ(end.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(end.w[0] & 0xffffffffu, RFLAGS_CF | RFLAGS_IF | 2);
}

/* A far return to the thread's own code segment. On hardware it just works.
 * QEMU (with SMAP) reads its stack operands as supervisor-mode accesses, so it
 * page-faults although the stack is mapped and writable: before the fix the VM
 * system "resolved" that fault again and again and the thread never ran on (the
 * suite hung). Now the second identical fault arrives as a VM fault with bits 8
 * and 9 (present, the mapping already allows it); the handler does the return
 * itself and the thread goes on. */
TEST(hostile, lret_fault_the_mapping_allows_is_delivered)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_lret, &ev), WF_ERR_OK);
    if (ev.label == WF_FAULT_TYPE_VM_FAULT) {
        TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_RIP], (uintptr_t)hostile_lret_fault);
        TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], ev.w[WF_FAULT_WORD_RSP]);
        TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL1],
                       WF_VM_READ | WF_VM_FAULT_PRESENT | WF_VM_FAULT_MAPPED);
        wf_word_t regs[3] = {0, (uintptr_t)hostile_lret_resume, ev.w[WF_FAULT_WORD_RSP] + 16};
        TEST_ASSERT_ERR(wf_fault_reply(t.reply, regs, 3), WF_ERR_OK);
        TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    }
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0x77);
}

#else

TEST_X86_64_ONLY(hostile, x86_64_instructions,
                 "x86-64 instructions (far jumps, sysenter, int, popf, flags)")

#endif
