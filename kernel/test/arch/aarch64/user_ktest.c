/*
 * Self-tests of EL0 on aarch64: programs (user_progs.S) run in a user address
 * space through arch_exit_to_user and come back through the vectors, with
 * their registers saved and their exception decoded into the neutral terms
 * (docs/porting.md section 5): a system call, every register, page faults
 * (not present, write to read-only, fetch from non-executable), undefined
 * instruction, breakpoint, a trapped system register, PC alignment, a pc
 * outside the user half, a hostile PSTATE, and interrupts taken while EL0 runs;
 * the system call convention through the contract's accessors (decision 128),
 * the register file in enum wf_fault_word order, the FP/SIMD state saved and
 * restored per context, and PAN across entries from EL0.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/context.h"
#include "config.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "weft/objects.h"

#define CODE_VA 0x400000ull
#define DATA_VA 0x500000ull
#define STACK   (DATA_VA + 0x1000)
#define POOL    8

#define PROG(name)                                                                                 \
    extern const char name[], name##_end[];                                                        \
    static const struct prog p_##name = {name, name##_end}
struct prog {
    const char *start, *end;
};
PROG(prog_svc);
PROG(prog_regs);
PROG(prog_load_unmapped);
PROG(prog_store_code);
PROG(prog_udf);
PROG(prog_brk);
PROG(prog_sysreg);
PROG(prog_jump);
PROG(prog_spin);
PROG(prog_sys);
PROG(prog_nzcv);
PROG(prog_fp_set);
PROG(prog_fp_clear);
PROG(prog_fp_get);

static uint64_t tables[POOL][512] __aligned(4096);
static unsigned tables_used;
static struct pt_ctx space;
static paddr_t code_pa;

static paddr_t table_alloc(struct pt_ctx *c)
{
    (void)c;
    return tables_used < POOL ? virt_to_phys(tables[tables_used++]) : 0;
}

static void table_free(struct pt_ctx *c, paddr_t pa)
{
    (void)c, (void)pa;
}

/* The user space, once: code page read-execute, data page read-write (also the
 * stack), loaded into TTBR0. */
static bool setup(void)
{
    if (space.root)
        return true;
    code_pa = pmm_alloc(&boot_pmm, 0);
    paddr_t data = pmm_alloc(&boot_pmm, 0);
    if (!code_pa || !data)
        return false;
    space = (struct pt_ctx){.root = table_alloc(NULL), .alloc = table_alloc, .free = table_free};
    if (!arch_pt_map(&space, CODE_VA, code_pa, 1, VM_READ | VM_EXEC) ||
        !arch_pt_map(&space, DATA_VA, data, 1, VM_READ | VM_WRITE))
        return false;
    space.active = true;
    arch_vspace_switch(space.root);
    return true;
}

/* Copies p to the code page (with the instruction cache made coherent) and
 * prepares ctx to run it. */
static void load(struct arch_context *ctx, const struct prog *p)
{
    size_t len = (size_t)(p->end - p->start);
    char *dst = phys_to_virt(code_pa);
    memset(dst, 0, PAGE_SIZE);
    memcpy(dst, p->start, len);
    for (size_t off = 0; off < len; off += 4)
        __asm__ volatile("dc cvau, %0" : : "r"(dst + off) : "memory");
    __asm__ volatile("dsb ish\n\tic iallu\n\tdsb ish\n\tisb" ::: "memory");
    arch_context_init(ctx, CODE_VA, STACK);
}

static unsigned ec(const struct arch_context *c)
{
    return (c->esr >> 26) & 0x3f;
}

KTEST(aarch64, el0_system_call_and_state)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_svc);
    ctx.tpidr = 0x7777;
    ctx.pstate = 0x3c5; /* hostile: EL1h, interrupts masked; must run as EL0t */
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ec(&ctx), 0x15);
    KT_ASSERT_EQ(ctx.esr & 0xffff, 0x17);
    KT_ASSERT_EQ(ctx.x[0], 42);
    KT_ASSERT_EQ(ctx.x[1], 84);
    KT_ASSERT_EQ(ctx.x[2], STACK);
    KT_ASSERT_EQ(ctx.x[3], 0x7777);
    KT_ASSERT_EQ(ctx_pc(&ctx), CODE_VA + 20); /* after the svc */
    KT_ASSERT_EQ(ctx.pstate & 0x3cf, 0);      /* EL0t, D A I F clear */
}

KTEST(aarch64, el0_registers_saved)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_regs);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    for (unsigned i = 0; i < 31; i++)
        KT_ASSERT(ctx.x[i] == 0x100 + i, "x%u = %#llx", i, (unsigned long long)ctx.x[i]);
}

/* Runs p with x1 = arg and returns the decoded fault. */
static const struct arch_fault *fault_of(struct arch_context *ctx, const struct prog *p,
                                         uint64_t arg)
{
    load(ctx, p);
    ctx->x[1] = arg;
    arch_user_run(ctx);
    return ctx_entry(ctx) == ARCH_ENTRY_FAULT ? ctx_fault(ctx) : NULL;
}

KTEST(aarch64, el0_page_faults_decoded)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = fault_of(&ctx, &p_prog_load_unmapped, 0x10008);
    KT_ASSERT(f && f->page && !f->present && f->access == VM_READ && f->addr == 0x10008,
              "unmapped read: page %d present %d access %u addr %#llx", f && f->page,
              f && f->present, f ? f->access : 0, f ? (unsigned long long)f->addr : 0);
    f = fault_of(&ctx, &p_prog_store_code, 0);
    KT_ASSERT(f && f->page && f->present && f->access == VM_WRITE && f->addr == CODE_VA,
              "write to read-only");
    f = fault_of(&ctx, &p_prog_jump, DATA_VA);
    KT_ASSERT(f && f->page && f->present && f->access == VM_EXEC && f->addr == DATA_VA,
              "fetch from non-executable");
    KT_ASSERT_EQ(ctx_pc(&ctx), DATA_VA);
}

KTEST(aarch64, el0_exceptions_decoded)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = fault_of(&ctx, &p_prog_udf, 0);
    KT_ASSERT(f && !f->page && f->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    KT_ASSERT_EQ(f->addr, CODE_VA);
    f = fault_of(&ctx, &p_prog_brk, 0);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_BREAKPOINT && (f->code & 0xffff) == 5);
    f = fault_of(&ctx, &p_prog_sysreg, 0);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_PROTECTION, "trapped timer access: %u",
              f ? f->exception : 0);
    /* A branch to a misaligned pc (QEMU does not check SP alignment, SA0). */
    f = fault_of(&ctx, &p_prog_jump, CODE_VA + 2);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_ALIGNMENT, "PC alignment: %u",
              f ? f->exception : 0);
    /* A pc in the kernel half never reaches the CPU. */
    load(&ctx, &p_prog_svc);
    ctx.pc = KERNEL_VMA;
    arch_user_run(&ctx);
    KT_ASSERT(ctx_entry(&ctx) == ARCH_ENTRY_FAULT &&
              ctx_fault(&ctx)->exception == WF_EXCEPTION_PROTECTION);
}

KTEST(aarch64, el0_interrupted_and_resumed)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_spin);
    ctx.x[2] = 1ull << 26;
    uint64_t t0 = arch_ticks();
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx.x[0], 1ull << 26);
    KT_ASSERT(arch_ticks() > t0, "no tick while EL0 ran");
}

/* The convention of weft/arch/aarch64/abi.h through the accessors generic code
 * uses: the arguments, a restart, the results, and the registers kept. */
KTEST(aarch64, el0_system_call_convention)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_sys);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx_sysno(&ctx), 0x55);
    KT_ASSERT_EQ(ctx_cap(&ctx), 0x11);
    KT_ASSERT_EQ(ctx_info(&ctx), 0x22);
    for (unsigned i = 0; i < 4; i++)
        KT_ASSERT(ctx_mr(&ctx, i) == 0x30 + i, "word %u = %#llx", i,
                  (unsigned long long)ctx_mr(&ctx, i));
    KT_ASSERT_EQ(ctx_reply_cap(&ctx), 0x44);
    uint64_t after_svc = ctx_pc(&ctx);
    KT_ASSERT_EQ(after_svc, CODE_VA + 9 * 4);

    /* A restart executes the same svc again, with the same number. */
    ctx_restart_syscall(&ctx);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx_pc(&ctx), after_svc);
    KT_ASSERT_EQ(ctx_sysno(&ctx), 0x55);

    /* Results: error in x8, info in x1, badge in x0, words in x2-x5. */
    ctx_set_result(&ctx, 7, 0x99, 0xbb);
    for (unsigned i = 0; i < 4; i++)
        ctx_set_mr(&ctx, i, 0x200 + i);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_pc(&ctx), after_svc + 9 * 4);
    KT_ASSERT_EQ(ctx.x[20], 7);
    KT_ASSERT_EQ(ctx.x[21], 0xbb);
    KT_ASSERT_EQ(ctx.x[22], 0x99);
    for (unsigned i = 0; i < 4; i++)
        KT_ASSERT(ctx.x[23 + i] == 0x200 + i, "result word %u = %#llx", i,
                  (unsigned long long)ctx.x[23 + i]);
    KT_ASSERT_EQ(ctx.x[27], 0x44);
    ctx_set_error(&ctx, 3);
    KT_ASSERT_EQ(ctx.x[8], 3);
}

/* Message words copied between contexts: only the first n. */
KTEST(aarch64, message_words_copied)
{
    static struct arch_context a, b;
    arch_context_init(&a, 0, 0);
    arch_context_init(&b, 0, 0);
    for (unsigned i = 0; i < 4; i++)
        ctx_set_mr(&a, i, 0x70 + i);
    ctx_copy_mrs(&b, &a, 2);
    KT_ASSERT(ctx_mr(&b, 0) == 0x70 && ctx_mr(&b, 1) == 0x71 && ctx_mr(&b, 2) == 0 &&
              ctx_mr(&b, 3) == 0);
    ctx_copy_reg_mrs(&b, &a, 4);
    KT_ASSERT(ctx_mr(&b, 2) == 0x72 && ctx_mr(&b, 3) == 0x73);
    KT_ASSERT(b.x[1] == 0 && b.x[6] == 0, "only x2-x5 are message words");
}

/* enum wf_fault_word on aarch64: x0-x30, SP, PC, PSTATE; a PSTATE written on a
 * thread's behalf keeps the condition flags only. */
KTEST(aarch64, register_file_order)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_regs);
    arch_user_run(&ctx);
    for (unsigned i = 0; i < 31; i++)
        KT_ASSERT(ctx_reg(&ctx, WF_AARCH64_REG_X(i)) == 0x100 + i, "word %u", i);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_AARCH64_REG_SP), STACK);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_AARCH64_REG_PC), CODE_VA + 32 * 4);

    load(&ctx, &p_prog_nzcv);
    ctx_set_reg(&ctx, WF_AARCH64_REG_PSTATE, ~0ull); /* EL1h, masked, PAN, SS... */
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_AARCH64_REG_PSTATE), 0xf0000000);
    ctx_set_reg(&ctx, WF_AARCH64_REG_X(9), 0x99);
    ctx_set_reg(&ctx, WF_AARCH64_REG_SP, STACK - 16);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx.x[0], 0xf0000000); /* N Z C V as EL0 read them */
    KT_ASSERT_EQ(ctx.x[9], 0x99);
    KT_ASSERT_EQ(ctx.sp, STACK - 16);
    KT_ASSERT_EQ(ctx.pstate & 0x3cf, 0); /* it ran at EL0t, unmasked */
    ctx_set_reg(&ctx, WF_AARCH64_REG_PC, CODE_VA);
    KT_ASSERT_EQ(ctx_pc(&ctx), CODE_VA);
}

/* FP/SIMD switches lazily (decision 151): a context's first use at EL0 after
 * a switch to it traps once, which stores the live state into its owner and
 * loads the context's; the state carries from one context's run to a later
 * one's; a context whose state is live runs without a trap; a forgotten one
 * is dropped. */
KTEST(aarch64, fpsimd_state_per_context)
{
    KT_ASSERT(setup(), "no user space");
    static struct arch_context a, b, c;
    load(&a, &p_prog_fp_set);
    arch_fpu_restore(&a);
    uint64_t takes = aarch64_fpu_takes;
    arch_user_run(&a);
    KT_ASSERT(ctx_entry(&a) == ARCH_ENTRY_SYSCALL, "FP/SIMD at EL0 faulted: ESR %#llx",
              (unsigned long long)a.esr);
    KT_ASSERT_EQ(aarch64_fpu_takes, takes + 1);
    KT_ASSERT(aarch64_fpu_live == &a, "a's state is not the live one");
    KT_ASSERT_EQ(a.fpu.fpcr, 0); /* not stored yet */

    arch_fpu_save(&a);
    load(&b, &p_prog_fp_clear);
    arch_fpu_restore(&b);
    arch_user_run(&b);
    KT_ASSERT_EQ(ctx_entry(&b), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(aarch64_fpu_takes, takes + 2);
    for (unsigned r = 0; r < 32; r++) /* a's, stored by b's first use */
        KT_ASSERT(a.fpu.v[2 * r] == 0x1000 + r && a.fpu.v[2 * r + 1] == 0x2000 + r,
                  "stored v%u = %#llx:%#llx", r, (unsigned long long)a.fpu.v[2 * r + 1],
                  (unsigned long long)a.fpu.v[2 * r]);
    KT_ASSERT_EQ(a.fpu.fpcr, 0xc00000);

    load(&c, &p_prog_fp_get);
    c.fpu = a.fpu; /* a's state, given to c */
    arch_fpu_save(&b);
    arch_fpu_restore(&c);
    arch_user_run(&c);
    KT_ASSERT_EQ(aarch64_fpu_takes, takes + 3);
    for (unsigned r = 0; r < 31; r++)
        KT_ASSERT(c.x[r] == 0x2000 + r, "loaded v%u high = %#llx", r, (unsigned long long)c.x[r]);
    for (unsigned r = 0; r < 64; r++)
        KT_ASSERT(b.fpu.v[r] == 0, "b's cleared word %u", r);
    KT_ASSERT_EQ(b.fpu.fpcr, 0);

    /* c again: its state is live, so no trap. */
    for (unsigned r = 0; r < 31; r++)
        c.x[r] = 0;
    c.pc = CODE_VA;
    arch_fpu_save(&c);
    arch_fpu_restore(&c);
    arch_user_run(&c);
    KT_ASSERT_EQ(aarch64_fpu_takes, takes + 3);
    KT_ASSERT_EQ(c.x[30], 0x2000 + 30);

    arch_fpu_forget(&b); /* not live: nothing changes */
    KT_ASSERT(aarch64_fpu_live == &c, "forgetting b dropped c");
    arch_fpu_forget(&c);
    KT_ASSERT(aarch64_fpu_live == NULL, "c is still live");
}

/* AT S1E1RP: a stage 1 EL1 read translation that honours PSTATE.PAN
 * (ARMv8.2, ID_AA64MMFR1_EL1.PAN >= 2); true when the read would fault. */
static bool el1_read_refused(uint64_t va)
{
    __asm__ volatile("sys #0, c7, c9, #0, %0\n\tisb" : : "r"(va) : "memory");
    return read_sysreg(par_el1) & 1;
}

/* PAN, where the CPU has it (-cpu max; cortex-a72 is ARMv8.0): on at boot and
 * again after every entry from EL0 (SCTLR_EL1.SPAN clear), and it keeps the
 * kernel from reading a user page through its user address. */
KTEST(aarch64, pan_after_entries_from_el0)
{
    if (!aarch64_has_pan())
        TAP_SKIP("the CPU has no PAN (ARMv8.1)");
    KT_ASSERT(setup(), "no user space");
    KT_ASSERT(pan_get(), "PAN off at boot");
    struct arch_context ctx;
    load(&ctx, &p_prog_svc);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT(pan_get(), "PAN off after an entry from EL0");
    KT_ASSERT_EQ(ctx.pstate & (1ull << 22), 0); /* EL0 ran without it */
    if (((read_sysreg(id_aa64mmfr1_el1) >> 20) & 0xf) >= 2) {
        KT_ASSERT(el1_read_refused(DATA_VA), "PAN let EL1 read a user page");
        pan_set(false);
        bool refused = el1_read_refused(DATA_VA);
        pan_set(true);
        KT_ASSERT(!refused, "the user page is not mapped for EL1 reads at all");
    }
}

/* Two address spaces with ASIDs (arch/vm_cpu.h): each has its own, loaded
 * with its root into TTBR0; EL0 sees each space's own page at the same
 * address across switches, a change to the space not loaded is seen when it
 * is loaded again, and destroying a space frees its ASID. */
static uint64_t asid_tables[12][512] __aligned(4096);
static unsigned asid_tables_used;

static paddr_t asid_table_alloc(struct pt_ctx *c)
{
    (void)c;
    if (asid_tables_used == 12)
        return 0;
    memset(asid_tables[asid_tables_used], 0, PAGE_SIZE);
    return virt_to_phys(asid_tables[asid_tables_used++]);
}

/* Runs prog_load_unmapped (a load from x1, then the zeroed rest of the code
 * page: an undefined instruction) in the loaded space; returns what it read. */
static uint64_t el0_load(uint64_t va)
{
    struct arch_context ctx;
    load(&ctx, &p_prog_load_unmapped);
    ctx.x[1] = va;
    ctx.x[0] = 0xdead;
    arch_user_run(&ctx);
    return ctx_entry(&ctx) == ARCH_ENTRY_FAULT &&
                   ctx_fault(&ctx)->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION
               ? ctx.x[0]
               : 0xdead;
}

KTEST(aarch64, asids_per_address_space)
{
    KT_ASSERT(setup(), "no user space");
    asid_tables_used = 0;
    paddr_t pa[2] = {pmm_alloc(&boot_pmm, 0), pmm_alloc(&boot_pmm, 0)};
    KT_ASSERT(pa[0] && pa[1]);
    *(uint64_t *)phys_to_virt(pa[0]) = 0x1111;
    *(uint64_t *)phys_to_virt(pa[1]) = 0x2222;
    struct pt_ctx s[2];
    for (unsigned i = 0; i < 2; i++) {
        s[i] = (struct pt_ctx){
            .root = asid_table_alloc(NULL), .alloc = asid_table_alloc, .free = table_free};
        arch_pt_init_root(s[i].root);
        KT_ASSERT(arch_pt_map(&s[i], CODE_VA, code_pa, 1, VM_READ | VM_EXEC) &&
                  arch_pt_map(&s[i], DATA_VA, pa[i], 1, VM_READ));
    }
    unsigned a0 = asid_of(s[0].root), a1 = asid_of(s[1].root);
    KT_ASSERT(a0 && a1 && a0 != a1, "ASIDs %u and %u", a0, a1);

    space.active = false;
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned i = 0; i < 2; i++) {
            arch_vspace_switch(s[i].root);
            KT_ASSERT_EQ(read_sysreg(ttbr0_el1) >> 48, i ? a1 : a0);
            KT_ASSERT_EQ(read_sysreg(ttbr0_el1) & PTE_ADDR, s[i].root);
            uint64_t v = el0_load(DATA_VA);
            KT_ASSERT(v == (i ? 0x2222u : 0x1111u), "space %u round %u read %#llx", i, round,
                      (unsigned long long)v);
        }
    }
    /* Space 1 is loaded; space 0's page is remapped to space 1's frame. */
    KT_ASSERT(arch_pt_map(&s[0], DATA_VA, pa[1], 1, VM_READ));
    arch_vspace_switch(s[0].root);
    KT_ASSERT_EQ(el0_load(DATA_VA), 0x2222);

    arch_vspace_switch(space.root);
    space.active = true;
    for (unsigned i = 0; i < 2; i++) {
        arch_pt_destroy(&s[i]);
        KT_ASSERT_EQ(asid_of(s[i].root), 0);
    }
    KT_ASSERT_EQ(read_sysreg(ttbr0_el1) & PTE_ADDR, space.root);
    KT_ASSERT_EQ(read_sysreg(ttbr0_el1) >> 48, 0); /* the scaffold's space has none */
    pmm_free(&boot_pmm, pa[0], 0);
    pmm_free(&boot_pmm, pa[1], 0);
}

/* hvc, smc, eret, EL1 system registers, DAIF (SCTLR_EL1.UMA clear), cache and
 * TLB maintenance (DZE, UCI clear; the rest EL1-only) and the counter
 * (CNTKCTL_EL1) from EL0: each is a fault of the thread at that instruction,
 * undefined or a protection fault, and nothing of EL1 changes. */
#define HOSTILE(n)                                                                                 \
    {                                                                                              \
#n, prog_hostile_##n, prog_hostile_##n##_end                                               \
    }
extern const char prog_hostile_hvc[], prog_hostile_hvc_end[], prog_hostile_smc[],
    prog_hostile_smc_end[], prog_hostile_eret[], prog_hostile_eret_end[], prog_hostile_sctlr[],
    prog_hostile_sctlr_end[], prog_hostile_vbar[], prog_hostile_vbar_end[], prog_hostile_daif[],
    prog_hostile_daif_end[], prog_hostile_dczva[], prog_hostile_dczva_end[], prog_hostile_dccivac[],
    prog_hostile_dccivac_end[], prog_hostile_iciallu[], prog_hostile_iciallu_end[],
    prog_hostile_tlbi[], prog_hostile_tlbi_end[], prog_hostile_cntvct[], prog_hostile_cntvct_end[];

KTEST(aarch64, el0_hostile_instructions_fault)
{
    static const struct {
        const char *name, *start, *end;
    } progs[] = {HOSTILE(hvc),     HOSTILE(smc),  HOSTILE(eret),  HOSTILE(sctlr),
                 HOSTILE(vbar),    HOSTILE(daif), HOSTILE(dczva), HOSTILE(dccivac),
                 HOSTILE(iciallu), HOSTILE(tlbi), HOSTILE(cntvct)};
    KT_ASSERT(setup(), "no user space");
    uint64_t vbar = read_sysreg(vbar_el1), sctlr = read_sysreg(sctlr_el1);
    for (unsigned i = 0; i < ARRAY_SIZE(progs); i++) {
        struct arch_context ctx;
        const struct prog p = {progs[i].start, progs[i].end};
        load(&ctx, &p);
        ctx.x[1] = DATA_VA;
        arch_user_run(&ctx);
        const struct arch_fault *f = ctx_fault(&ctx);
        KT_ASSERT(ctx_entry(&ctx) == ARCH_ENTRY_FAULT &&
                      (f->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION ||
                       f->exception == WF_EXCEPTION_PROTECTION),
                  "%s: entry %u exception %u (ESR %#llx)", progs[i].name, ctx_entry(&ctx),
                  f->exception, (unsigned long long)ctx.esr);
        KT_ASSERT(ctx_pc(&ctx) == CODE_VA, "%s: pc %#llx", progs[i].name,
                  (unsigned long long)ctx_pc(&ctx));
    }
    KT_ASSERT_EQ(read_sysreg(vbar_el1), vbar);
    KT_ASSERT_EQ(read_sysreg(sctlr_el1), sctlr);
}
