/*
 * User mode on a port's self-test scaffold, in the neutral terms every port
 * shares (built where ktest_arch.h defines KTEST_UMODE: aarch64, riscv64).
 * Programs of the architecture's user_progs.S (ktest_umode.h lists what each
 * does) run in a user address space through arch_exit_to_user and come back
 * through the entry, their registers saved in enum wf_fault_word order and
 * their exceptions decoded into struct arch_fault (docs/porting.md sections
 * 4 and 5); the system call convention through the contract's accessors;
 * ASIDs; every other way into the kernel (the architecture's hostile
 * instructions) as a fault of the thread. Then threads of the self-tests'
 * world (ipc/ktest_world.h): a fault message's registers at their neutral
 * words, a system call error and an unknown system call, and the Call +
 * ReplyRecv round trip's cost. What is one architecture's alone (its status
 * bits, FP state, PAN, Svnapot) is in kernel/test/arch/<arch>/user_ktest.c
 * (decision 136).
 */
#include "ktest_arch.h"

#ifdef KTEST_UMODE

#include "arch.h"
#include "arch/context.h"
#include "config.h"
#include "genarch/asid.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "kprintf.h"
#include "ktest.h"
#include "ktest_umode.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "weft/objects.h"

KU_PROG(prog_syscall);
KU_PROG(prog_regs);
KU_PROG(prog_load);
KU_PROG(prog_store_code);
KU_PROG(prog_undefined);
KU_PROG(prog_breakpoint);
KU_PROG(prog_jump);
KU_PROG(prog_spin);
KU_PROG(prog_sys);
extern const struct ku_prog prog_hostile[];

/* Page-table pages: the scaffold's space (its own pool), the ASID test's. */
#define POOL 12
static uint64_t tables[2][POOL][512] __aligned(4096);
static unsigned tables_used[2];
struct pt_ctx ku_space;
paddr_t ku_code_pa, ku_data_pa;

static paddr_t table_from(unsigned pool)
{
    if (tables_used[pool] == POOL)
        return 0;
    memset(tables[pool][tables_used[pool]], 0, PAGE_SIZE);
    return virt_to_phys(tables[pool][tables_used[pool]++]);
}

static paddr_t space_table(struct pt_ctx *c)
{
    (void)c;
    return table_from(0);
}

static paddr_t asid_test_table(struct pt_ctx *c)
{
    (void)c;
    return table_from(1);
}

static void table_free(struct pt_ctx *c, paddr_t pa)
{
    (void)c, (void)pa;
}

bool ku_setup(void)
{
    if (ku_space.root) {
        ku_space.active = true;
        arch_vspace_switch(ku_space.root);
        return true;
    }
    ku_code_pa = pmm_alloc(&boot_pmm, 0);
    ku_data_pa = pmm_alloc(&boot_pmm, 0);
    if (!ku_code_pa || !ku_data_pa)
        return false;
    ku_space = (struct pt_ctx){.root = space_table(NULL), .alloc = space_table, .free = table_free};
    arch_pt_init_root(ku_space.root);
    if (!arch_pt_map(&ku_space, KU_CODE_VA, ku_code_pa, 1, VM_READ | VM_EXEC) ||
        !arch_pt_map(&ku_space, KU_DATA_VA, ku_data_pa, 1, VM_READ | VM_WRITE))
        return false;
    ku_space.active = true;
    arch_vspace_switch(ku_space.root);
    return true;
}

void ku_leave(void)
{
    ku_space.active = false;
    arch_vspace_switch(0);
}

void ku_load(struct arch_context *ctx, const struct ku_prog *p)
{
    size_t len = (size_t)(p->end - p->start);
    char *dst = phys_to_virt(ku_code_pa);
    memset(dst, 0, PAGE_SIZE);
    memcpy(dst, p->start, len);
    ktest_code_written(dst, len);
    arch_context_init(ctx, KU_CODE_VA, KU_STACK);
}

unsigned ku_run(struct arch_context *ctx, const struct ku_prog *p)
{
    ku_load(ctx, p);
    arch_user_run(ctx);
    return ctx_entry(ctx);
}

const struct arch_fault *ku_fault_of(struct arch_context *ctx, const struct ku_prog *p,
                                     uint64_t arg)
{
    ku_load(ctx, p);
    ctx_set_reg(ctx, WF_FAULT_WORD_ARG1, arg);
    arch_user_run(ctx);
    return ctx_entry(ctx) == ARCH_ENTRY_FAULT ? ctx_fault(ctx) : NULL;
}

uint64_t ku_load_word(uint64_t va)
{
    struct arch_context ctx;
    ku_load(&ctx, &p_prog_load);
    ctx_set_reg(&ctx, WF_FAULT_WORD_ARG1, va);
    ctx_set_reg(&ctx, WF_FAULT_WORD_ARG0, 0xdead);
    arch_user_run(&ctx);
    return ctx_entry(&ctx) == ARCH_ENTRY_FAULT &&
                   ctx_fault(&ctx)->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION
               ? ctx_reg(&ctx, WF_FAULT_WORD_ARG0)
               : 0xdead;
}

/* Runs each of progs (up to an entry without a name; ARG1 = the data page):
 * each must be a fault at its first instruction, an undefined instruction
 * (or, with protection_too, a protection fault). Returns the index of the
 * first that is not (its report printed as a TAP comment), or -1. */
static int hostile_run(const struct ku_prog *progs, bool protection_too)
{
    for (unsigned i = 0; progs[i].name; i++) {
        struct arch_context ctx;
        const struct arch_fault *f = ku_fault_of(&ctx, &progs[i], KU_DATA_VA);
        if (!f || ctx_pc(&ctx) != KU_CODE_VA ||
            !(f->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION ||
              (protection_too && f->exception == WF_EXCEPTION_PROTECTION))) {
            kprintf("# %s: entry %u exception %u pc %#llx\n", progs[i].name, ctx_entry(&ctx),
                    f ? f->exception : 0, (unsigned long long)ctx_pc(&ctx));
            return (int)i;
        }
    }
    return -1;
}

/* A system call with hostile status bits asked for: the words the program
 * set, the pc after the system call instruction, and none of the privileged
 * bits in the status word it ran with (the exit sets its own). */
KTEST(umode, system_call_and_state)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    ku_load(&ctx, &p_prog_syscall);
    arch_context_set_tls(&ctx, 0x7777);
    ctx_set_reg(&ctx, WF_FAULT_WORD_FLAGS, KTEST_FLAGS_REWRITE);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_FAULT_WORD_CAP), 42);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_FAULT_WORD_INFO), 84);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_FAULT_WORD_MR0), KU_STACK);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_FAULT_WORD_MR1), 0x7777);
    KT_ASSERT_EQ(ctx_pc(&ctx), KU_CODE_VA + 5 * 4);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_FAULT_WORD_FLAGS) & KTEST_FLAGS_PRIVILEGED, 0);
}

/* Every general register as the program left it, at the word enum
 * wf_fault_word gives it; the pc after the system call. */
KTEST(umode, registers_saved_in_register_file_order)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    KT_ASSERT_EQ(ku_run(&ctx, &p_prog_regs), ARCH_ENTRY_SYSCALL);
    for (unsigned n = KTEST_GPR_FIRST; n <= KTEST_GPR_LAST; n++)
        KT_ASSERT(ctx_reg(&ctx, KTEST_GPR_WORD(n)) == 0x100 + n, "register %u = %#llx", n,
                  (unsigned long long)ctx_reg(&ctx, KTEST_GPR_WORD(n)));
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_FAULT_WORD_PC), KU_CODE_VA + 32 * 4);
    KT_ASSERT_EQ(ctx_pc(&ctx), KU_CODE_VA + 32 * 4);
    ctx_set_reg(&ctx, WF_FAULT_WORD_PC, KU_CODE_VA);
    KT_ASSERT_EQ(ctx_pc(&ctx), KU_CODE_VA);
}

/* Page faults: a read of an unmapped page (not present), a write to the
 * read-only code page and a fetch from the non-executable data page (present,
 * not allowed by the tables), each with its address and access. */
KTEST(umode, page_faults_decoded)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = ku_fault_of(&ctx, &p_prog_load, 0x10008);
    KT_ASSERT(f && f->page && !f->present && f->access == VM_READ && f->addr == 0x10008,
              "unmapped read: page %d present %d access %u addr %#llx", f && f->page,
              f && f->present, f ? f->access : 0, f ? (unsigned long long)f->addr : 0);
    f = ku_fault_of(&ctx, &p_prog_store_code, 0);
    KT_ASSERT(f && f->page && f->present && !f->mapped && f->access == VM_WRITE &&
                  f->addr == KU_CODE_VA,
              "write to read-only");
    f = ku_fault_of(&ctx, &p_prog_jump, KU_DATA_VA);
    KT_ASSERT(f && f->page && f->present && f->access == VM_EXEC && f->addr == KU_DATA_VA,
              "fetch from non-executable");
    KT_ASSERT_EQ(ctx_pc(&ctx), KU_DATA_VA);
}

/* An undefined instruction and a breakpoint as their neutral kinds, at their
 * pc; a pc in the kernel half never reaches the CPU (a protection fault). */
KTEST(umode, exceptions_decoded)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = ku_fault_of(&ctx, &p_prog_undefined, 0);
    KT_ASSERT(f && !f->page && f->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    KT_ASSERT_EQ(f->addr, KU_CODE_VA);
    f = ku_fault_of(&ctx, &p_prog_breakpoint, 0);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_BREAKPOINT && KTEST_BRK_CODE_OK(f->code),
              "breakpoint: kind %u code %#llx", f ? f->exception : 0,
              f ? (unsigned long long)f->code : 0);
    KT_ASSERT_EQ(ctx_pc(&ctx), KU_CODE_VA);
    ku_load(&ctx, &p_prog_syscall);
    ctx_set_reg(&ctx, WF_FAULT_WORD_PC, KERNEL_VMA);
    arch_user_run(&ctx);
    KT_ASSERT(ctx_entry(&ctx) == ARCH_ENTRY_FAULT &&
              ctx_fault(&ctx)->exception == WF_EXCEPTION_PROTECTION);
}

/* A long loop takes timer interrupts and resumes where it was. */
KTEST(umode, interrupted_and_resumed)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    ku_load(&ctx, &p_prog_spin);
    ctx_set_reg(&ctx, WF_FAULT_WORD_MR0, 1ull << 26);
    uint64_t t0 = arch_ticks();
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_FAULT_WORD_CAP), 1ull << 26);
    KT_ASSERT(arch_ticks() > t0, "no tick while user mode ran");
}

/* The convention of weft/arch/<arch>/abi.h through the accessors generic code
 * uses: the arguments, a restart, the results as the program found them, the
 * Reply cap's register kept. */
KTEST(umode, system_call_convention)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    KT_ASSERT_EQ(ku_run(&ctx, &p_prog_sys), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx_sysno(&ctx), 0x55);
    KT_ASSERT_EQ(ctx_cap(&ctx), 0x11);
    KT_ASSERT_EQ(ctx_info(&ctx), 0x22);
    for (unsigned i = 0; i < 4; i++)
        KT_ASSERT(ctx_mr(&ctx, i) == 0x30 + i, "word %u = %#llx", i,
                  (unsigned long long)ctx_mr(&ctx, i));
    KT_ASSERT_EQ(ctx_reply_cap(&ctx), 0x44);
    uint64_t after = ctx_pc(&ctx);
    KT_ASSERT_EQ(after, KU_CODE_VA + 9 * 4);

    /* A restart executes the same instruction again, with the same number. */
    ctx_restart_syscall(&ctx);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx_pc(&ctx), after);
    KT_ASSERT_EQ(ctx_sysno(&ctx), 0x55);

    /* Results: error, info, badge, words; the program stores what it got. */
    ctx_set_result(&ctx, 7, 0x99, 0xbb);
    for (unsigned i = 0; i < 4; i++)
        ctx_set_mr(&ctx, i, 0x200 + i);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_pc(&ctx), after + 9 * 4);
    const uint64_t *got = (const uint64_t *)phys_to_virt(ku_data_pa) + (PAGE_SIZE - 64) / 8;
    const uint64_t want[8] = {7, 0xbb, 0x99, 0x200, 0x201, 0x202, 0x203, 0x44};
    for (unsigned i = 0; i < 8; i++)
        KT_ASSERT(got[i] == want[i], "result %u = %#llx", i, (unsigned long long)got[i]);
    ctx_set_error(&ctx, 3);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_FAULT_WORD_SYSNO), 3);
}

/* Message words copied between contexts: only the first n, and only those. */
KTEST(umode, message_words_copied)
{
    static struct arch_context a, b;
    arch_context_init(&a, 0, 0);
    arch_context_init(&b, 0, 0);
    for (unsigned i = 0; i < 4; i++)
        ctx_set_mr(&a, i, 0x70 + i);
    ctx_set_reg(&a, WF_FAULT_WORD_INFO, 0x7a);
    ctx_set_reg(&a, WF_FAULT_WORD_REPLY_CAP, 0x7b);
    ctx_copy_mrs(&b, &a, 2);
    KT_ASSERT(ctx_mr(&b, 0) == 0x70 && ctx_mr(&b, 1) == 0x71 && ctx_mr(&b, 2) == 0 &&
              ctx_mr(&b, 3) == 0);
    ctx_copy_reg_mrs(&b, &a, 4);
    KT_ASSERT(ctx_mr(&b, 2) == 0x72 && ctx_mr(&b, 3) == 0x73);
    KT_ASSERT(ctx_reg(&b, WF_FAULT_WORD_INFO) == 0 && ctx_reg(&b, WF_FAULT_WORD_REPLY_CAP) == 0,
              "only the message words are copied");
}

/* Two address spaces with ASID words (genarch/asid.h): each is given its
 * own ASID when first loaded, loaded with its root; user mode sees each
 * space's own page at the same address across switches, a change to the
 * space not loaded is seen when it is loaded again, and destroying a space
 * frees its ASID (kernel/test/vm_asid_ktest.c has the generations). */
KTEST(umode, asids_per_address_space)
{
    KT_ASSERT(ku_setup(), "no user space");
    tables_used[1] = 0;
    paddr_t pa[2] = {pmm_alloc(&boot_pmm, 0), pmm_alloc(&boot_pmm, 0)};
    KT_ASSERT(pa[0] && pa[1]);
    *(uint64_t *)phys_to_virt(pa[0]) = 0x1111;
    *(uint64_t *)phys_to_virt(pa[1]) = 0x2222;
    struct pt_ctx s[2];
    uint64_t w[2] = {0, 0};
    for (unsigned i = 0; i < 2; i++) {
        s[i] = (struct pt_ctx){.root = asid_test_table(NULL),
                               .asid = &w[i],
                               .alloc = asid_test_table,
                               .free = table_free};
        arch_pt_init_root(s[i].root);
        KT_ASSERT(arch_pt_map(&s[i], KU_CODE_VA, ku_code_pa, 1, VM_READ | VM_EXEC) &&
                  arch_pt_map(&s[i], KU_DATA_VA, pa[i], 1, VM_READ));
    }
    KT_ASSERT(!w[0] && !w[1], "an ASID before the first load");

    ku_space.active = false;
    unsigned a0 = 0, a1 = 0;
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned i = 0; i < 2; i++) {
            arch_vspace_load(s[i].root, &w[i]);
            if (!round)
                *(i ? &a1 : &a0) = asid_number(w[i]);
            KT_ASSERT(a0 && (!i || (a1 && a1 != a0)), "ASIDs %u and %u", a0, a1);
            KT_ASSERT_EQ(KTEST_LOADED_ASID(), i ? a1 : a0);
            KT_ASSERT_EQ(KTEST_LOADED_ROOT(), s[i].root);
            uint64_t v = ku_load_word(KU_DATA_VA);
            KT_ASSERT(v == (i ? 0x2222u : 0x1111u), "space %u round %u read %#llx", i, round,
                      (unsigned long long)v);
        }
    }
    /* Space 1 is loaded; space 0's page is remapped to space 1's frame. */
    KT_ASSERT(arch_pt_map(&s[0], KU_DATA_VA, pa[1], 1, VM_READ));
    arch_vspace_load(s[0].root, &w[0]);
    KT_ASSERT_EQ(ku_load_word(KU_DATA_VA), 0x2222);

    arch_vspace_switch(ku_space.root);
    ku_space.active = true;
    for (unsigned i = 0; i < 2; i++) {
        arch_pt_destroy(&s[i]);
        KT_ASSERT_EQ(w[i], 0);
    }
    KT_ASSERT_EQ(KTEST_LOADED_ROOT(), ku_space.root);
    pmm_free(&boot_pmm, pa[0], 0);
    pmm_free(&boot_pmm, pa[1], 0);
}

/* The world's threads run on the kernel's own root (its user pages are
 * there), which the scaffold's tests leave loaded or not. */
/* Every other way into the kernel, and the kernel's own state, from user mode
 * (the architecture's prog_hostile, ktest_hostile.inc): each is a fault of the
 * thread at that instruction (undefined, or a protection fault where
 * KTEST_HOSTILE_PROTECTION allows it), and the kernel's trap vector and
 * control registers (KTEST_KERNEL_REGS) are as they were. */
KTEST(umode, hostile_instructions_fault)
{
    KT_ASSERT(ku_setup(), "no user space");
    uint64_t before[2], after[2];
    KTEST_KERNEL_REGS(before);
    int bad = hostile_run(prog_hostile, KTEST_HOSTILE_PROTECTION);
    KT_ASSERT(bad < 0, "%s did not fault at its instruction",
              bad < 0 ? "" : prog_hostile[bad].name);
    KTEST_KERNEL_REGS(after);
    KT_ASSERT(before[0] == after[0] && before[1] == after[1], "the kernel's registers changed");
}

#define SETUP()                                                                                    \
    do {                                                                                           \
        ku_leave();                                                                                \
        KT_ASSERT(kw_setup(), "no memory for the test world");                                     \
    } while (0)

enum wf_error ku_world_fault_endpoint(uint64_t badge)
{
    enum wf_error e = kw_mint(KW_FREE, KW_EP(0), WF_RIGHT_WRITE, badge);
    const unsigned fep[1] = {KW_FREE};
    return e ? e : kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_FAULT_ENDPOINT, NULL, 0, fep, 1, NULL);
}

/* Word i of the message thread th received at script entry e (the words
 * beyond the registers' from its IPC buffer, as it stands). */
static wf_word_t msg_word(unsigned th, unsigned e, unsigned i)
{
    return i < WF_MSG_REG_WORDS ? kw_res(th, e)->w[i] : kw_ipcbuf(th)->msg[i];
}

/* A thread of the world: an undefined instruction with a fault endpoint is a
 * USER_EXCEPTION message whose words are the registers by their neutral names
 * (ARG0 the interpreter's argument, SYSNO the op it held) and DETAIL1 the
 * architecture's own code for it; a one-word reply sets RESULT and resumes
 * the thread at the same instruction, which faults again with that word. */
KTEST(umode, thread_fault_message_by_neutral_words)
{
    SETUP();
    KT_ASSERT_EQ(ku_world_fault_endpoint(0xfa), WF_ERR_OK);
    kw_op(0, KW_OP_UD2, 0, 0, 0, 0, 0, 0, 0);
    unsigned h0 = KW_RECV(1, KW_EP(0), KW_REPLY(0));
    KW_SUSPEND_SELF(1); /* the test reads the message */
    unsigned h1 = KW_REPLY_RECV(1, KW_EP(0), KW_REPLY(0), 0, 1, 0x4242, 0, 0, 0);
    kw_start(1, 20);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, h0)->info,
                 wf_msginfo(WF_FAULT_TYPE_USER_EXCEPTION, 0, WF_FAULT_MSG_WORDS));
    KT_ASSERT_EQ(kw_res(1, h0)->badge, 0xfa);
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_ARG0), KW_BASE(0));
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_SYSNO), KW_OP_UD2);
    KT_ASSERT_EQ(msg_word(1, h0, WF_FAULT_WORD_DETAIL0), WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    KT_ASSERT(KTEST_UD_DETAIL1_OK(msg_word(1, h0, WF_FAULT_WORD_DETAIL1)), "DETAIL1 %#llx",
              (unsigned long long)msg_word(1, h0, WF_FAULT_WORD_DETAIL1));
    wf_word_t pc = msg_word(1, h0, WF_FAULT_WORD_PC);
    tcb_resume(kw_tcb(1));
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_res(1, h1)->info,
                 wf_msginfo(WF_FAULT_TYPE_USER_EXCEPTION, 0, WF_FAULT_MSG_WORDS));
    KT_ASSERT_EQ(msg_word(1, h1, WF_FAULT_WORD_RESULT), 0x4242);
    KT_ASSERT_EQ(msg_word(1, h1, WF_FAULT_WORD_PC), pc);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_BLOCKED_REPLY);
    KT_ASSERT_EQ(ctx_reg(&kw_tcb(0)->ctx, WF_FAULT_WORD_RESULT), 0x4242);
    kw_teardown();
}

/* A system call on an empty slot comes back as an error in the SYSNO
 * register; an unknown system call number, with no one to take its fault,
 * suspends the thread with the number kept. */
KTEST(umode, thread_system_call_errors)
{
    SETUP();
    unsigned e = KW_CALL(0, KW_FREE + 5, 0x1, 0, 0, 0, 0, 0);
    unsigned u = kw_op(0, 0x1234, 0, 0, 0, 0, 0, 0, 0);
    kw_start(0, 10);
    sched_run_until_idle();
    KT_ASSERT(kw_res(0, e)->seq, "the call did not return");
    KT_ASSERT_EQ(kw_res_word(kw_res(0, e), WF_FAULT_WORD_SYSNO), WF_ERR_FAILED_LOOKUP);
    KT_ASSERT_EQ(kw_res(0, u)->seq, 0);
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_INACTIVE);
    KT_ASSERT_EQ(ctx_sysno(&kw_tcb(0)->ctx), 0x1234);
    kw_teardown();
}

/* Runs n Call + ReplyRecv round trips between a client (thread 0) and a
 * server (thread 1, higher priority) in the architecture's uprog_bcall and
 * uprog_bserver loops (world_progs.S); returns the nanoseconds they took. */
extern const uint8_t uprog_script[], uprog_bcall[], uprog_bserver[];

static uint64_t round_trips(uint64_t n)
{
    kw_call_bench_params(n);
    kw_start_at(1, 20, KW_CODE + (uint64_t)(uprog_bserver - uprog_script));
    sched_run_until_idle(); /* the server waits in Recv */
    uint64_t t0 = arch_clock_ns();
    kw_start_at(0, 10, KW_CODE + (uint64_t)(uprog_bcall - uprog_script));
    sched_run_until_idle();
    return arch_clock_ns() - t0;
}

/* Call + ReplyRecv round trips through the fast path, same address space: the
 * guest instructions per round trip (the user loop included: 13) under
 * -icount shift=0, where the clock advances with the instructions at 1 GHz
 * (`make bench-ipc-aarch64`, `make bench-ipc-riscv64`); elsewhere the figure
 * is time. Two runs (n and 2n) cancel the start and the end; every Call and
 * ReplyRecv must have taken the fast path. */
KTEST(umode, bench_call_reply_recv_round_trip)
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
    uint64_t per_1000 = (t[1] - t[0]) * 1000 / n; /* ns * 1000 per round trip */
    kprintf("# %s Call + ReplyRecv round trip, fast path: %llu.%03llu ns "
            "(instructions under -icount shift=0)\n",
            WEFT_ARCH_NAME, (unsigned long long)(per_1000 / 1000),
            (unsigned long long)(per_1000 % 1000));
}

#endif
