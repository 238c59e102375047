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
 * The sequences are the hostile_* functions below (each architecture's
 * assembly); a label hostile_*_fault marks the instruction that must fault.
 * A test that every architecture has (the breakpoint; on aarch64 and riscv64
 * the doors and the fault reply) is one body below the per-architecture
 * blocks, which give its name and the few facts that differ.
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

/* int3 is the one software interrupt a thread may raise (its gate has DPL 3):
 * vector 3, error code 0, reported after the instruction (one byte), where an
 * empty reply resumes the thread. */
#define BP_TEST_NAME    int3_is_a_breakpoint
#define BP_LEN          1
#define BP_DETAIL_OK(d) (wf_x86_64_exception_vector(d) == 3 && wf_x86_64_exception_error(d) == 0)

int hostile_compat_syscall(uintptr_t a);
int hostile_sysenter(uintptr_t a);
int hostile_int80(uintptr_t a);
int hostile_bp(uintptr_t a);
int hostile_flags(uintptr_t a);
int hostile_lret(uintptr_t a);
extern const char hostile_compat_syscall_fault[], hostile_sysenter_fault[], hostile_int80_fault[],
    hostile_flags_fault[], hostile_flags_resume[], hostile_lret_fault[], hostile_lret_resume[],
    hostile_bp_at[];

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
        /* the breakpoint test's: int3, then returns 0x33 */
        ".globl hostile_bp, hostile_bp_at\n"
        "hostile_bp:\n"
        "hostile_bp_at:\n"
        "    int3\n"
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

/* brk #5: ESR's class 0x3c with the comment field 5, reported at the brk (four
 * bytes), resumed by a reply that moves the pc past it. */
#define BP_TEST_NAME brk_is_a_breakpoint
#define BP_LEN       4
#define BP_DETAIL_OK(d)                                                                            \
    (wf_aarch64_exception_class(d) == 0x3c && (wf_aarch64_exception_syndrome(d) & 0xffff) == 5)

/* Every other way into EL1 or its state: a fault of the thread at the
 * instruction, undefined (ESR class 0) or a trapped system register access
 * (class 0x18). */
#define DOORS_TEST_NAME el1_doors_are_faults_of_the_thread
#define DOORS(X)                                                                                   \
    X(hvc, "hvc #0")                                                                               \
    X(smc, "smc #0")                                                                               \
    X(eret, "eret")                                                                                \
    X(sctlr_read, "mrs x0, sctlr_el1")                                                             \
    X(vbar_write, "msr vbar_el1, x0")                                                              \
    X(ttbr1_read, "mrs x0, ttbr1_el1")                                                             \
    X(daif, "msr daifset, #2")                                                                     \
    X(dc_civac, "dc civac, x0")                                                                    \
    X(ic_iallu, "ic iallu")                                                                        \
    X(tlbi, "tlbi vmalle1")                                                                        \
    X(cntvct, "mrs x0, cntvct_el0")
#define DOOR_AFTER  "udf #1"
#define DOORS_BEGIN ""
#define DOORS_END   ""
#define DOOR_FAULT_OK(kind, d)                                                                     \
    (((kind) == WF_EXCEPTION_UNDEFINED_INSTRUCTION && wf_aarch64_exception_class(d) == 0) ||       \
     ((kind) == WF_EXCEPTION_PROTECTION && wf_aarch64_exception_class(d) == 0x18))

/* A fault reply that writes PSTATE asking for EL1h with D A I F masked and
 * PAN off, and C set: the thread resumes at EL0 (it runs on and returns) with
 * only C kept. */
#define FREPLY_TEST_NAME    fault_reply_keeps_only_the_condition_flags
#define FREPLY_FROM_USER(f) (((f) & ~TARCH_FLAGS_USER) == 0)
#define FREPLY_RESUMED(e, t, ev)                                                                   \
    do {                                                                                           \
        (void)(e);                                                                                 \
        TEST_ASSERT_EQ((ev).label, WF_EXIT_LABEL);                                                 \
        TEST_ASSERT_EQ((ev).w[0] & 0xffffffffu, TARCH_FLAGS_USER);                                 \
    } while (0)

__asm__(".text\n"
        ".p2align 2\n"
        /* brk #5 reported at the brk; resumed after it, returns 0x33 */
        ".globl hostile_bp, hostile_bp_at\n"
        "hostile_bp:\n"
        "hostile_bp_at:\n"
        "    brk #5\n"
        "    mov x0, #0x33\n"
        "    ret\n"
        /* udf; resumed at hostile_freply_resume, returns NZCV as it is there */
        ".globl hostile_freply, hostile_freply_fault, hostile_freply_resume\n"
        "hostile_freply:\n"
        "    msr nzcv, xzr\n"
        "hostile_freply_fault:\n"
        "    udf #2\n"
        "hostile_freply_resume:\n"
        "    mrs x0, nzcv\n"
        "    ret\n");

/* A page fault the mapping already allows (decision 081; x86-64's is the far
 * return under SMAP): SCTLR_EL1.WXN makes every page writable at EL0
 * execute-never whatever its entry says, so a jump into a page mapped READ,
 * WRITE and EXEC takes a permission fault although the tables allow the
 * fetch. The VM system finds the page mapped, the retry faults again, and the
 * repeat arrives as a VM fault with PRESENT and MAPPED (without decision
 * 081's check the thread would fault in the kernel for ever); the handler
 * takes the write right away and the code runs. The code is written with
 * stores and run without cache maintenance (EL0 has none: SCTLR_EL1.UCI is
 * clear), which QEMU's translator keeps coherent. */
TEST(hostile, wxn_fetch_the_mapping_allows_is_delivered)
{
    const wf_word_t va = TEST_VA + 0x100000, pg = 4096;
    wf_cptr_t v = test_vmo(pg);
    TEST_ASSERT(v);
    TEST_ASSERT_ERR(
        wf_vspace_map(WF_ROOT_VSPACE, v, va, 0, pg, WF_VM_READ | WF_VM_WRITE | WF_VM_EXEC),
        WF_ERR_OK);
    wf_word_t start, length, off, rights = 0;
    TEST_ASSERT_ERR(wf_vspace_lookup(WF_ROOT_VSPACE, va, &start, &length, &off, &rights),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(rights, WF_VM_READ | WF_VM_WRITE | WF_VM_EXEC);
    volatile uint32_t *code = (volatile uint32_t *)va;
    code[0] = 0x52800ee0; /* mov w0, #0x77 */
    code[1] = 0xd65f03c0; /* ret */
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, (int (*)(uintptr_t))(uintptr_t)va, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_PC], va);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], va);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL1],
                   WF_VM_EXEC | WF_VM_FAULT_PRESENT | WF_VM_FAULT_MAPPED);
    /* Read and execute only: WXN no longer applies and the fetch succeeds. */
    TEST_ASSERT_ERR(wf_vspace_protect(WF_ROOT_VSPACE, va, pg, WF_VM_READ | WF_VM_EXEC), WF_ERR_OK);
    TEST_ASSERT_ERR(test_fault_resume(t.reply, &ev, va, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0x77);
}

#elif defined(__riscv)

#define SSTATUS_SPP     0x100ull

/* ebreak: scause 3, reported at the ebreak (four bytes), resumed by a reply
 * that moves the pc past it. */
#define BP_TEST_NAME    ebreak_is_a_breakpoint
#define BP_LEN          4
#define BP_DETAIL_OK(d) ((d) == 3)

/* Every other way into S-mode or its state: an illegal instruction of the
 * thread at the instruction (scause 2). The 32-bit encodings (norvc), so each
 * door is one instruction at the function's address. */
#define DOORS_TEST_NAME smode_doors_are_faults_of_the_thread
#define DOORS(X)                                                                                   \
    X(sret, "sret")                                                                                \
    X(mret, "mret")                                                                                \
    X(wfi, "wfi")                                                                                  \
    X(sstatus_read, "csrr a0, sstatus")                                                            \
    X(stvec_write, "csrw stvec, a0")                                                               \
    X(satp_read, "csrr a0, satp")                                                                  \
    X(sscratch_write, "csrw sscratch, a0")                                                         \
    X(sie_set, "csrsi sstatus, 2")                                                                 \
    X(mstatus_read, "csrr a0, mstatus")                                                            \
    X(mhartid_read, "csrr a0, mhartid")                                                            \
    X(sfence, "sfence.vma")
#define DOOR_AFTER             ".2byte 0"
#define DOORS_BEGIN            ".option push\n.option norvc\n"
#define DOORS_END              ".option pop\n"
#define DOOR_FAULT_OK(kind, d) ((kind) == WF_EXCEPTION_UNDEFINED_INSTRUCTION && (d) == 2)

/* A fault reply that writes sstatus asking for S-mode (SPP), SUM, MXR,
 * interrupts off and the FP state dirty: the thread resumes in U-mode, where
 * reading sstatus is itself an illegal instruction at hostile_freply_resume
 * (in S-mode it would run on), and the sstatus of that entry says it came
 * from U-mode (SPP clear; the report is the CPU's sstatus at the entry). */
#define FREPLY_TEST_NAME       fault_reply_keeps_no_sstatus_bit
#define FREPLY_FROM_USER(f)    (((f)&SSTATUS_SPP) == 0)
#define FREPLY_RESUMED(e, t, ev)                                                                   \
    do {                                                                                           \
        TEST_ASSERT_EQ((ev).label, WF_FAULT_TYPE_USER_EXCEPTION);                                  \
        TEST_ASSERT_EQ((ev).w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_UNDEFINED_INSTRUCTION);         \
        TEST_ASSERT_EQ((ev).w[WF_FAULT_WORD_PC], (uintptr_t)hostile_freply_resume);                \
        TEST_ASSERT_EQ((ev).w[WF_FAULT_WORD_FLAGS] & SSTATUS_SPP, 0);                              \
        wf_thread_destroy(e, &(t));                                                                \
    } while (0)

__asm__(".text\n"
        ".p2align 2\n"
        ".option push\n"
        ".option norvc\n"
        /* ebreak reported at the ebreak; resumed after it, returns 0x33 */
        ".globl hostile_bp, hostile_bp_at\n"
        "hostile_bp:\n"
        "hostile_bp_at:\n"
        "    ebreak\n"
        "    li a0, 0x33\n"
        "    ret\n"
        /* unimp (csrrw x0, cycle, x0); resumed at hostile_freply_resume,
         * where reading sstatus faults again in U-mode */
        ".globl hostile_freply, hostile_freply_fault, hostile_freply_resume\n"
        "hostile_freply:\n"
        "hostile_freply_fault:\n"
        "    .4byte 0xc0001073\n"
        "hostile_freply_resume:\n"
        "    csrr a0, sstatus\n"
        "    .2byte 0\n"
        ".option pop\n");

#else
#error "t_hostile.c: no hostile instructions for this architecture"
#endif

/* --- one body per test; the facts above ----------------------------------------- */

/* TEST pastes its name: the *_TEST_NAME macros expand on the way through. */
#define HOSTILE_TEST(name) TEST(hostile, name)

int hostile_bp(uintptr_t a);
extern const char hostile_bp_at[];

/* A breakpoint instruction is a breakpoint of the thread (BP_DETAIL_OK), its
 * pc the instruction's or the next one's (TARCH_BREAKPOINT_PC_AFTER); a reply
 * resumes the thread past it: an empty one where the pc already is there, one
 * that moves the pc elsewhere. */
HOSTILE_TEST(BP_TEST_NAME)
{
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_bp, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_BREAKPOINT);
    TEST_ASSERT(BP_DETAIL_OK(ev.w[WF_FAULT_WORD_DETAIL1]), "detail %#llx",
                (unsigned long long)ev.w[WF_FAULT_WORD_DETAIL1]);
    uintptr_t past = (uintptr_t)hostile_bp_at + BP_LEN;
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_PC],
                   TARCH_BREAKPOINT_PC_AFTER ? past : (uintptr_t)hostile_bp_at);
    if (TARCH_BREAKPOINT_PC_AFTER)
        TEST_ASSERT_ERR(wf_fault_reply(t.reply, 0, 0), WF_ERR_OK);
    else
        TEST_ASSERT_ERR(test_fault_resume(t.reply, &ev, past, ev.w[WF_FAULT_WORD_RESULT]),
                        WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0x33);
}

#ifdef DOORS_TEST_NAME
/* One function per door: the instruction, then one that is never reached. */
#define DOOR_ASM(name, insn)                                                                       \
    ".globl hostile_" #name "\nhostile_" #name ":\n    " insn "\n    " DOOR_AFTER "\n"
__asm__(".text\n.p2align 2\n" DOORS_BEGIN DOORS(DOOR_ASM) DOORS_END);

typedef int door_fn(uintptr_t);
#define DOOR_DECL(name, insn) extern door_fn hostile_##name;
DOORS(DOOR_DECL)

/* The doors of DOORS: each a fault of the thread at the instruction
 * (DOOR_FAULT_OK), and the thread goes no further. */
HOSTILE_TEST(DOORS_TEST_NAME)
{
#define DOOR_ROW(name, insn) {insn, hostile_##name},
    static const struct {
        const char *insn;
        door_fn *fn;
    } doors[] = {DOORS(DOOR_ROW)};
#undef DOOR_ROW
    TEST_ENV(e);
    for (unsigned i = 0; i < sizeof(doors) / sizeof(doors[0]); i++) {
        struct wf_thread t;
        struct wf_event ev;
        TEST_ASSERT_ERR(run_thread(&t, doors[i].fn, &ev), WF_ERR_OK);
        TEST_ASSERT(ev.label == WF_FAULT_TYPE_USER_EXCEPTION, "%s: label %llu", doors[i].insn,
                    (unsigned long long)ev.label);
        wf_word_t kind = ev.w[WF_FAULT_WORD_DETAIL0], detail = ev.w[WF_FAULT_WORD_DETAIL1];
        TEST_ASSERT(DOOR_FAULT_OK(kind, detail), "%s: kind %llu, detail %#llx", doors[i].insn,
                    (unsigned long long)kind, (unsigned long long)detail);
        TEST_ASSERT(ev.w[WF_FAULT_WORD_PC] == (uintptr_t)doors[i].fn, "%s: pc %#llx", doors[i].insn,
                    (unsigned long long)ev.w[WF_FAULT_WORD_PC]);
        wf_thread_destroy(e, &t);
    }
}
#endif

#ifdef FREPLY_TEST_NAME
int hostile_freply(uintptr_t a);
extern const char hostile_freply_fault[], hostile_freply_resume[];

/* The thread faults (an undefined instruction) in user mode (FREPLY_FROM_USER);
 * a fault reply with every register as reported but the pc at
 * hostile_freply_resume and the status register's privileged bits set
 * resumes it in user mode all the same (FREPLY_RESUMED). */
HOSTILE_TEST(FREPLY_TEST_NAME)
{
    TEST_ENV(e);
    struct wf_thread t;
    struct wf_event ev;
    TEST_ASSERT_ERR(run_thread(&t, hostile_freply, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_PC], (uintptr_t)hostile_freply_fault);
    TEST_ASSERT(FREPLY_FROM_USER(ev.w[WF_FAULT_WORD_FLAGS]), "flags %#llx",
                (unsigned long long)ev.w[WF_FAULT_WORD_FLAGS]);
    static wf_word_t regs[WF_REGS_COUNT];
    for (unsigned i = 0; i < WF_REGS_COUNT; i++)
        regs[i] = ev.w[i];
    regs[WF_FAULT_WORD_PC] = (uintptr_t)hostile_freply_resume;
    regs[WF_FAULT_WORD_FLAGS] = TARCH_FLAGS_PRIVILEGED | TARCH_FLAGS_USER;
    TEST_ASSERT_ERR(wf_fault_reply(t.reply, regs, WF_REGS_COUNT), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    FREPLY_RESUMED(e, t, ev);
}
#endif
