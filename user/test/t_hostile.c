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
 *
 * On aarch64 the doors are hvc, smc, eret, EL1's system registers (read and
 * written), DAIF, cache and TLB maintenance and the counter: each is a fault
 * of the thread at that instruction (undefined, or a trapped system register
 * access); brk is a breakpoint reported at the brk; a PSTATE written through
 * TCB_WriteRegisters or a fault reply keeps only N Z C V, so a reply that
 * asks for EL1 with interrupts masked resumes the thread at EL0.
 *
 * On riscv64 the doors are sret, mret, wfi, S-mode's and M-mode's CSRs (read
 * and written), sstatus's interrupt enable and sfence.vma: each is an illegal
 * instruction of the thread at that instruction (scause 2); ebreak is a
 * breakpoint reported at the ebreak (scause 3); an sstatus written through a
 * fault reply keeps none of its bits, so a reply that asks for S-mode (SPP)
 * with SUM and the FP state resumes the thread in U-mode.
 */
#include "tarch.h"

#include <string.h>

#include "tutil.h"

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

static int return_zero(uintptr_t arg)
{
    (void)arg;
    return 0;
}

/* The status register's privileged bits written on a thread's behalf are not
 * kept (before the fix, x86-64's RFLAGS read back as written, AC included). */
TEST(hostile, write_registers_drops_privileged_flags)
{
    TEST_ENV(e);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, return_zero, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_write_registers(t.tcb, WF_FAULT_WORD_FLAGS, 1,
                                           TARCH_FLAGS_PRIVILEGED | TARCH_FLAGS_USER, 0, 0, 0),
                    WF_ERR_OK);
    wf_word_t flags;
    TEST_ASSERT_ERR(test_reg_read(t.tcb, WF_FAULT_WORD_FLAGS, &flags), WF_ERR_OK);
    TEST_ASSERT_EQ(flags, TARCH_FLAGS_USER | TARCH_FLAGS_FORCED);
    /* It still runs. */
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
}

#if defined(__x86_64__)

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

#elif defined(__aarch64__)

int hostile_brk(uintptr_t a);
int hostile_pstate(uintptr_t a);
extern const char hostile_brk_at[], hostile_pstate_fault[], hostile_pstate_resume[];

/* One function per door: the instruction, then udf #1 (never reached). */
__asm__(".text\n"
        ".p2align 2\n"
        ".macro door name, insn:vararg\n"
        ".globl hostile_\\name\n"
        "hostile_\\name:\n"
        "    \\insn\n"
        "    udf #1\n"
        ".endm\n"
        "door hvc, hvc #0\n"
        "door smc, smc #0\n"
        "door eret, eret\n"
        "door sctlr_read, mrs x0, sctlr_el1\n"
        "door vbar_write, msr vbar_el1, x0\n"
        "door ttbr1_read, mrs x0, ttbr1_el1\n"
        "door daif, msr daifset, #2\n"
        "door dc_civac, dc civac, x0\n"
        "door ic_iallu, ic iallu\n"
        "door tlbi, tlbi vmalle1\n"
        "door cntvct, mrs x0, cntvct_el0\n"
        ".purgem door\n"
        /* brk #5 reported at the brk; resumed after it, returns 0x33 */
        ".globl hostile_brk, hostile_brk_at\n"
        "hostile_brk:\n"
        "hostile_brk_at:\n"
        "    brk #5\n"
        "    mov x0, #0x33\n"
        "    ret\n"
        /* udf; resumed at hostile_pstate_resume, returns NZCV as it is there */
        ".globl hostile_pstate, hostile_pstate_fault, hostile_pstate_resume\n"
        "hostile_pstate:\n"
        "    msr nzcv, xzr\n"
        "hostile_pstate_fault:\n"
        "    udf #2\n"
        "hostile_pstate_resume:\n"
        "    mrs x0, nzcv\n"
        "    ret\n");

typedef int door_fn(uintptr_t);
extern door_fn hostile_hvc, hostile_smc, hostile_eret, hostile_sctlr_read, hostile_vbar_write,
    hostile_ttbr1_read, hostile_daif, hostile_dc_civac, hostile_ic_iallu, hostile_tlbi,
    hostile_cntvct;

/* Every other way into EL1 or its state: a fault of the thread at the
 * instruction, undefined (ESR class 0) or a trapped system register access
 * (class 0x18), and the thread goes no further. */
TEST(hostile, el1_doors_are_faults_of_the_thread)
{
    static const struct {
        const char *name;
        door_fn *fn;
    } doors[] = {
        {"hvc", hostile_hvc},
        {"smc", hostile_smc},
        {"eret", hostile_eret},
        {"mrs sctlr_el1", hostile_sctlr_read},
        {"msr vbar_el1", hostile_vbar_write},
        {"mrs ttbr1_el1", hostile_ttbr1_read},
        {"msr daifset", hostile_daif},
        {"dc civac", hostile_dc_civac},
        {"ic iallu", hostile_ic_iallu},
        {"tlbi vmalle1", hostile_tlbi},
        {"mrs cntvct_el0", hostile_cntvct},
    };
    TEST_ENV(e);
    for (unsigned i = 0; i < sizeof(doors) / sizeof(doors[0]); i++) {
        struct wf_thread t;
        struct wf_event ev;
        TEST_ASSERT_ERR(run_thread(&t, doors[i].fn, &ev), WF_ERR_OK);
        TEST_ASSERT(ev.label == WF_FAULT_TYPE_USER_EXCEPTION, "%s: label %llu", doors[i].name,
                    (unsigned long long)ev.label);
        wf_word_t kind = ev.w[WF_FAULT_WORD_DETAIL0];
        unsigned ec = wf_aarch64_exception_class(ev.w[WF_FAULT_WORD_DETAIL1]);
        TEST_ASSERT((kind == WF_EXCEPTION_UNDEFINED_INSTRUCTION && ec == 0) ||
                        (kind == WF_EXCEPTION_PROTECTION && ec == 0x18),
                    "%s: kind %llu, class %#x", doors[i].name, (unsigned long long)kind, ec);
        TEST_ASSERT(ev.w[WF_FAULT_WORD_PC] == (uintptr_t)doors[i].fn, "%s: pc %#llx", doors[i].name,
                    (unsigned long long)ev.w[WF_FAULT_WORD_PC]);
        wf_thread_destroy(e, &t);
    }
}

/* brk is a breakpoint reported at the brk itself (ESR's comment field 5); a
 * reply moving the pc past it resumes the thread. */
TEST(hostile, brk_is_a_breakpoint)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_brk, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_BREAKPOINT);
    TEST_ASSERT_EQ(wf_aarch64_exception_class(ev.w[WF_FAULT_WORD_DETAIL1]), 0x3c);
    TEST_ASSERT_EQ(wf_aarch64_exception_syndrome(ev.w[WF_FAULT_WORD_DETAIL1]) & 0xffff, 5);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_PC], (uintptr_t)hostile_brk_at);
    TEST_ASSERT_ERR(
        test_fault_resume(t.reply, &ev, ev.w[WF_FAULT_WORD_PC] + 4, ev.w[WF_FAULT_WORD_RESULT]),
        WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0x33);
}

/* A fault reply that writes PSTATE asking for EL1h with D A I F masked and
 * PAN off, and C set: the thread resumes at EL0 (it runs on and returns) with
 * only C kept. */
TEST(hostile, fault_reply_keeps_only_the_condition_flags)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_pstate, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_PC], (uintptr_t)hostile_pstate_fault);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_FLAGS] & ~TARCH_FLAGS_USER, 0);
    static wf_word_t regs[WF_REGS_COUNT];
    for (unsigned i = 0; i < WF_REGS_COUNT; i++)
        regs[i] = ev.w[i];
    regs[WF_FAULT_WORD_PC] = (uintptr_t)hostile_pstate_resume;
    regs[WF_FAULT_WORD_FLAGS] = TARCH_FLAGS_PRIVILEGED | TARCH_FLAGS_USER;
    TEST_ASSERT_ERR(wf_fault_reply(t.reply, regs, WF_REGS_COUNT), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0] & 0xffffffffu, TARCH_FLAGS_USER);
}

#elif defined(__riscv)

int hostile_ebreak(uintptr_t a);
int hostile_sstatus(uintptr_t a);
extern const char hostile_ebreak_at[], hostile_sstatus_fault[], hostile_sstatus_resume[];

/* One function per door: the instruction, then c.unimp (never reached). The
 * 32-bit encodings, so each door is one instruction at the function's
 * address. */
__asm__(".text\n"
        ".p2align 2\n"
        ".option push\n"
        ".option norvc\n"
        ".macro door name, insn:vararg\n"
        ".globl hostile_\\name\n"
        "hostile_\\name:\n"
        "    \\insn\n"
        "    .2byte 0\n"
        ".endm\n"
        "door sret, sret\n"
        "door mret, mret\n"
        "door wfi, wfi\n"
        "door sstatus_read, csrr a0, sstatus\n"
        "door stvec_write, csrw stvec, a0\n"
        "door satp_read, csrr a0, satp\n"
        "door sscratch_write, csrw sscratch, a0\n"
        "door sie_set, csrsi sstatus, 2\n"
        "door mstatus_read, csrr a0, mstatus\n"
        "door mhartid_read, csrr a0, mhartid\n"
        "door sfence, sfence.vma\n"
        ".purgem door\n"
        /* ebreak reported at the ebreak; resumed after it, returns 0x33 */
        ".globl hostile_ebreak, hostile_ebreak_at\n"
        "hostile_ebreak:\n"
        "hostile_ebreak_at:\n"
        "    ebreak\n"
        "    li a0, 0x33\n"
        "    ret\n"
        /* unimp (csrrw x0, cycle, x0); resumed at hostile_sstatus_resume,
         * where reading sstatus faults again in U-mode */
        ".globl hostile_sstatus, hostile_sstatus_fault, hostile_sstatus_resume\n"
        "hostile_sstatus:\n"
        "hostile_sstatus_fault:\n"
        "    .4byte 0xc0001073\n"
        "hostile_sstatus_resume:\n"
        "    csrr a0, sstatus\n"
        "    .2byte 0\n"
        ".option pop\n");

typedef int door_fn(uintptr_t);
extern door_fn hostile_sret, hostile_mret, hostile_wfi, hostile_sstatus_read, hostile_stvec_write,
    hostile_satp_read, hostile_sscratch_write, hostile_sie_set, hostile_mstatus_read,
    hostile_mhartid_read, hostile_sfence;

/* Every other way into S-mode or its state: an illegal instruction of the
 * thread at the instruction (scause 2), and the thread goes no further. */
TEST(hostile, smode_doors_are_faults_of_the_thread)
{
    static const struct {
        const char *name;
        door_fn *fn;
    } doors[] = {
        {"sret", hostile_sret},
        {"mret", hostile_mret},
        {"wfi", hostile_wfi},
        {"csrr sstatus", hostile_sstatus_read},
        {"csrw stvec", hostile_stvec_write},
        {"csrr satp", hostile_satp_read},
        {"csrw sscratch", hostile_sscratch_write},
        {"csrsi sstatus", hostile_sie_set},
        {"csrr mstatus", hostile_mstatus_read},
        {"csrr mhartid", hostile_mhartid_read},
        {"sfence.vma", hostile_sfence},
    };
    TEST_ENV(e);
    for (unsigned i = 0; i < sizeof(doors) / sizeof(doors[0]); i++) {
        struct wf_thread t;
        struct wf_event ev;
        TEST_ASSERT_ERR(run_thread(&t, doors[i].fn, &ev), WF_ERR_OK);
        TEST_ASSERT(ev.label == WF_FAULT_TYPE_USER_EXCEPTION, "%s: label %llu", doors[i].name,
                    (unsigned long long)ev.label);
        TEST_ASSERT(ev.w[WF_FAULT_WORD_DETAIL0] == WF_EXCEPTION_UNDEFINED_INSTRUCTION &&
                        ev.w[WF_FAULT_WORD_DETAIL1] == 2,
                    "%s: kind %llu, scause %#llx", doors[i].name,
                    (unsigned long long)ev.w[WF_FAULT_WORD_DETAIL0],
                    (unsigned long long)ev.w[WF_FAULT_WORD_DETAIL1]);
        TEST_ASSERT(ev.w[WF_FAULT_WORD_PC] == (uintptr_t)doors[i].fn, "%s: pc %#llx", doors[i].name,
                    (unsigned long long)ev.w[WF_FAULT_WORD_PC]);
        wf_thread_destroy(e, &t);
    }
}

/* ebreak is a breakpoint reported at the ebreak itself (scause 3); a reply
 * moving the pc past it resumes the thread. */
TEST(hostile, ebreak_is_a_breakpoint)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_ebreak, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_BREAKPOINT);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL1], 3);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_PC], (uintptr_t)hostile_ebreak_at);
    TEST_ASSERT_ERR(
        test_fault_resume(t.reply, &ev, ev.w[WF_FAULT_WORD_PC] + 4, ev.w[WF_FAULT_WORD_RESULT]),
        WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0x33);
}

#define SSTATUS_SPP 0x100ull

/* A fault reply that writes sstatus asking for S-mode (SPP), SUM, MXR,
 * interrupts off and the FP state dirty: the thread resumes in U-mode, where
 * reading sstatus is itself an illegal instruction at hostile_sstatus_resume
 * (in S-mode it would run on), and the sstatus of that entry says it came
 * from U-mode (SPP clear; the report is the CPU's sstatus at the entry). */
TEST(hostile, fault_reply_keeps_no_sstatus_bit)
{
    TEST_ENV(e);
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_sstatus, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_PC], (uintptr_t)hostile_sstatus_fault);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_FLAGS] & SSTATUS_SPP, 0); /* it came from U-mode */
    static wf_word_t regs[WF_REGS_COUNT];
    for (unsigned i = 0; i < WF_REGS_COUNT; i++)
        regs[i] = ev.w[i];
    regs[WF_FAULT_WORD_PC] = (uintptr_t)hostile_sstatus_resume;
    regs[WF_FAULT_WORD_FLAGS] = TARCH_FLAGS_PRIVILEGED | TARCH_FLAGS_USER;
    TEST_ASSERT_ERR(wf_fault_reply(t.reply, regs, WF_REGS_COUNT), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_PC], (uintptr_t)hostile_sstatus_resume);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_FLAGS] & SSTATUS_SPP, 0);
    wf_thread_destroy(e, &t);
}

#else
#error "t_hostile.c: no hostile instructions for this architecture"
#endif
