/*
 * Self-tests of U-mode on riscv64: programs (user_progs.S) run in a user
 * address space through arch_exit_to_user and come back through the trap
 * entry, with their registers saved and their exception decoded into the
 * neutral terms (docs/porting.md section 5): a system call, every register,
 * page faults (not present, write to read-only, fetch from non-executable),
 * illegal instruction, breakpoint, a misaligned AMO, a pc outside the user
 * half, interrupts taken while U-mode runs, every other way into S-mode; the
 * system call convention through the contract's accessors (decision 152),
 * the register file in enum wf_fault_word order, the FP state saved and
 * restored per context, and ASIDs.
 */
#include "arch.h"
#include "arch/context.h"
#include "arch/riscv.h"
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
#define POOL    12

#define PROG(name)                                                                                 \
    extern const char name[], name##_end[];                                                        \
    static const struct prog p_##name = {name, name##_end}
struct prog {
    const char *start, *end;
};
PROG(prog_ecall);
PROG(prog_regs);
PROG(prog_load);
PROG(prog_store_code);
PROG(prog_store);
PROG(prog_illegal);
PROG(prog_ebreak);
PROG(prog_amo_misaligned);
PROG(prog_jump);
PROG(prog_spin);
PROG(prog_sys);
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
    if (tables_used == POOL)
        return 0;
    memset(tables[tables_used], 0, PAGE_SIZE);
    return virt_to_phys(tables[tables_used++]);
}

static void table_free(struct pt_ctx *c, paddr_t pa)
{
    (void)c, (void)pa;
}

/* The user space, once: the kernel half, a code page read-execute, a data
 * page read-write (also the stack); loaded into satp. */
static bool setup(void)
{
    if (space.root)
        return true;
    code_pa = pmm_alloc(&boot_pmm, 0);
    paddr_t data = pmm_alloc(&boot_pmm, 0);
    if (!code_pa || !data)
        return false;
    space = (struct pt_ctx){.root = table_alloc(NULL), .alloc = table_alloc, .free = table_free};
    arch_pt_init_root(space.root);
    if (!arch_pt_map(&space, CODE_VA, code_pa, 1, VM_READ | VM_EXEC) ||
        !arch_pt_map(&space, DATA_VA, data, 1, VM_READ | VM_WRITE))
        return false;
    space.active = true;
    arch_vspace_switch(space.root);
    return true;
}

/* Copies p to the code page (fence.i: the hart fetches what was written) and
 * prepares ctx to run it. */
static void load(struct arch_context *ctx, const struct prog *p)
{
    size_t len = (size_t)(p->end - p->start);
    char *dst = phys_to_virt(code_pa);
    memset(dst, 0, PAGE_SIZE);
    memcpy(dst, p->start, len);
    __asm__ volatile("fence.i" ::: "memory");
    arch_context_init(ctx, CODE_VA, STACK);
}

KTEST(riscv64, umode_system_call_and_state)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_ecall);
    arch_context_set_tls(&ctx, 0x7777);
    ctx.sstatus = ~0ull; /* hostile: never loaded (the exit sets its own) */
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx.scause, EXC_ECALL_U);
    KT_ASSERT_EQ(CTX_X(&ctx, 10), 42);
    KT_ASSERT_EQ(CTX_X(&ctx, 11), 84);
    KT_ASSERT_EQ(CTX_X(&ctx, 12), STACK);
    KT_ASSERT_EQ(CTX_X(&ctx, 13), 0x7777);
    KT_ASSERT_EQ(ctx_pc(&ctx), CODE_VA + 5 * 4); /* after the ecall */
    KT_ASSERT_EQ(ctx.sstatus & SSTATUS_SPP, 0);  /* it ran in U-mode */
    KT_ASSERT(ctx.sstatus & SSTATUS_SPIE, "U-mode ran with interrupts off");
    KT_ASSERT_EQ(csr_read(sstatus) & (SSTATUS_SUM | SSTATUS_MXR), 0);
    KT_ASSERT_EQ(csr_read(sscratch), 0); /* S-mode again */
}

KTEST(riscv64, umode_registers_saved)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_regs);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    for (unsigned i = 1; i < 32; i++)
        KT_ASSERT(CTX_X(&ctx, i) == 0x100 + i, "x%u = %#llx", i,
                  (unsigned long long)CTX_X(&ctx, i));
}

/* Runs p with a1 = arg and returns the decoded fault. */
static const struct arch_fault *fault_of(struct arch_context *ctx, const struct prog *p,
                                         uint64_t arg)
{
    load(ctx, p);
    CTX_X(ctx, 11) = arg;
    arch_user_run(ctx);
    return ctx_entry(ctx) == ARCH_ENTRY_FAULT ? ctx_fault(ctx) : NULL;
}

KTEST(riscv64, umode_page_faults_decoded)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = fault_of(&ctx, &p_prog_load, 0x10008);
    KT_ASSERT(f && f->page && !f->present && f->access == VM_READ && f->addr == 0x10008,
              "unmapped read: page %d present %d access %u addr %#llx", f && f->page,
              f && f->present, f ? f->access : 0, f ? (unsigned long long)f->addr : 0);
    KT_ASSERT_EQ(f->code, EXC_LOAD_PAGE);
    f = fault_of(&ctx, &p_prog_store_code, 0);
    KT_ASSERT(f && f->page && f->present && !f->mapped && f->access == VM_WRITE &&
                  f->addr == CODE_VA,
              "write to read-only");
    f = fault_of(&ctx, &p_prog_jump, DATA_VA);
    KT_ASSERT(f && f->page && f->present && f->access == VM_EXEC && f->addr == DATA_VA,
              "fetch from non-executable");
    KT_ASSERT_EQ(ctx_pc(&ctx), DATA_VA);
    /* The kernel half is no user's: a supervisor page is not present to it. */
    f = fault_of(&ctx, &p_prog_load, KERNEL_VMA + KERNEL_PHYS);
    KT_ASSERT(f && f->page && !f->present && f->access == VM_READ, "read of the kernel image");
}

KTEST(riscv64, umode_exceptions_decoded)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = fault_of(&ctx, &p_prog_illegal, 0);
    KT_ASSERT(f && !f->page && f->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    KT_ASSERT_EQ(f->addr, CODE_VA);
    KT_ASSERT_EQ(f->code, EXC_ILLEGAL);
    f = fault_of(&ctx, &p_prog_ebreak, 0);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_BREAKPOINT && f->code == EXC_BREAKPOINT);
    KT_ASSERT_EQ(f->addr, CODE_VA);
    f = fault_of(&ctx, &p_prog_amo_misaligned, DATA_VA);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_ALIGNMENT, "misaligned AMO: %u (scause %llu)",
              f ? f->exception : 0, (unsigned long long)ctx.scause);
    /* A pc in the kernel half never reaches the hart. */
    load(&ctx, &p_prog_ecall);
    ctx.regs[WF_RISCV64_REG_PC] = KERNEL_VMA;
    arch_user_run(&ctx);
    KT_ASSERT(ctx_entry(&ctx) == ARCH_ENTRY_FAULT &&
              ctx_fault(&ctx)->exception == WF_EXCEPTION_PROTECTION);
}

KTEST(riscv64, umode_interrupted_and_resumed)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_spin);
    CTX_X(&ctx, 12) = 1ull << 26;
    uint64_t t0 = arch_ticks();
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(CTX_X(&ctx, 10), 1ull << 26);
    KT_ASSERT(arch_ticks() > t0, "no tick while U-mode ran");
}

/* The convention of weft/arch/riscv64/abi.h through the accessors generic code
 * uses: the arguments, a restart, the results, and the registers kept. */
KTEST(riscv64, umode_system_call_convention)
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
    uint64_t after = ctx_pc(&ctx);
    KT_ASSERT_EQ(after, CODE_VA + 9 * 4);

    /* A restart executes the same ecall again, with the same number. */
    ctx_restart_syscall(&ctx);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx_pc(&ctx), after);
    KT_ASSERT_EQ(ctx_sysno(&ctx), 0x55);

    /* Results: error in a7, info in a1, badge in a0, words in a2-a5. */
    ctx_set_result(&ctx, 7, 0x99, 0xbb);
    for (unsigned i = 0; i < 4; i++)
        ctx_set_mr(&ctx, i, 0x200 + i);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_pc(&ctx), after + 9 * 4);
    KT_ASSERT_EQ(CTX_X(&ctx, 18), 7);    /* s2 = a7 */
    KT_ASSERT_EQ(CTX_X(&ctx, 19), 0xbb); /* s3 = a0 */
    KT_ASSERT_EQ(CTX_X(&ctx, 20), 0x99); /* s4 = a1 */
    for (unsigned i = 0; i < 4; i++)
        KT_ASSERT(CTX_X(&ctx, 21 + i) == 0x200 + i, "result word %u = %#llx", i,
                  (unsigned long long)CTX_X(&ctx, 21 + i));
    KT_ASSERT_EQ(CTX_X(&ctx, 25), 0x44); /* s9 = a6, kept */
    ctx_set_error(&ctx, 3);
    KT_ASSERT_EQ(CTX_X(&ctx, 17), 3);
}

KTEST(riscv64, message_words_copied)
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
    KT_ASSERT(CTX_X(&b, 11) == 0 && CTX_X(&b, 16) == 0, "only a2-a5 are message words");
}

/* enum wf_fault_word on riscv64: x10-x31, x1-x9, pc, sstatus; sstatus written
 * on a thread's behalf keeps nothing. */
KTEST(riscv64, register_file_order)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_regs);
    arch_user_run(&ctx);
    for (unsigned i = 1; i < 32; i++)
        KT_ASSERT(ctx_reg(&ctx, WF_RISCV64_REG_X(i)) == 0x100 + i, "word %u", i);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_RISCV64_REG_PC), CODE_VA + 32 * 4);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_RISCV64_REG_SYSNO), 0x100 + 17);
    KT_ASSERT_EQ(ctx_reg(&ctx, 0), 0x100 + 10); /* word 0 is a0, the result register */
    KT_ASSERT_EQ(ctx_reg(&ctx, 22), 0x100 + 1); /* then x1-x9 from word 22 */

    load(&ctx, &p_prog_ecall);
    ctx_set_reg(&ctx, WF_RISCV64_REG_SSTATUS, ~0ull); /* SPP, SUM, MXR, FS ... */
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_RISCV64_REG_SSTATUS), 0);
    ctx_set_reg(&ctx, WF_RISCV64_REG_SP, STACK - 16);
    ctx_set_reg(&ctx, WF_RISCV64_REG_X(4), 0x44);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(CTX_X(&ctx, 12), STACK - 16);
    KT_ASSERT_EQ(CTX_X(&ctx, 13), 0x44);
    KT_ASSERT_EQ(ctx.sstatus & SSTATUS_SPP, 0); /* it ran in U-mode */
    ctx_set_reg(&ctx, WF_RISCV64_REG_PC, CODE_VA);
    KT_ASSERT_EQ(ctx_pc(&ctx), CODE_VA);
}

/* U-mode uses the FP registers without a trap; arch_fpu_save and
 * arch_fpu_restore carry f0-f31 and fcsr from one context's run to a later
 * one. */
KTEST(riscv64, fp_state_per_context)
{
    KT_ASSERT(setup(), "no user space");
    static struct arch_context a, b, c;
    load(&a, &p_prog_fp_set);
    arch_user_run(&a);
    KT_ASSERT(ctx_entry(&a) == ARCH_ENTRY_SYSCALL, "FP in U-mode trapped: scause %llu",
              (unsigned long long)a.scause);
    arch_fpu_save(&a);
    for (unsigned r = 0; r < 32; r++)
        KT_ASSERT(a.fpu.f[r] == 0x1000 + r, "saved f%u = %#llx", r, (unsigned long long)a.fpu.f[r]);
    KT_ASSERT_EQ(a.fpu.fcsr, 3 << 5);

    load(&b, &p_prog_fp_clear);
    arch_user_run(&b);
    arch_fpu_save(&b);
    for (unsigned r = 0; r < 32; r++)
        KT_ASSERT(b.fpu.f[r] == 0, "cleared f%u", r);
    KT_ASSERT_EQ(b.fpu.fcsr, 0);

    arch_fpu_restore(&a);
    load(&c, &p_prog_fp_get);
    arch_user_run(&c);
    for (unsigned r = 1; r < 32; r++)
        KT_ASSERT(CTX_X(&c, r) == 0x1000 + r, "restored f%u = %#llx", r,
                  (unsigned long long)CTX_X(&c, r));
    arch_fpu_save(&c);
    KT_ASSERT_EQ(c.fpu.fcsr, 3 << 5);
}

/* A save finds nothing to write while U-mode has not written an FP register
 * since the registers were loaded from (or saved to) the same context
 * (sstatus.FS Clean): a thread that never touches FP pays no save. */
KTEST(riscv64, fp_save_skipped_while_clean)
{
    KT_ASSERT(setup(), "no user space");
    static struct arch_context a, c;
    load(&a, &p_prog_fp_set);
    arch_user_run(&a);
    arch_fpu_save(&a);
    KT_ASSERT_EQ(csr_read(sstatus) & SSTATUS_FS, SSTATUS_FS_CLEAN);
    KT_ASSERT(riscv_fpu_loaded == &a);
    a.fpu.f[0] = 0x5555; /* a save would overwrite it */
    load(&c, &p_prog_ecall);
    arch_user_run(&c); /* no FP */
    arch_fpu_save(&a);
    KT_ASSERT_EQ(a.fpu.f[0], 0x5555);
    arch_fpu_save(&c); /* another context: saved whatever FS says */
    KT_ASSERT_EQ(c.fpu.f[0], 0x1000);
    load(&c, &p_prog_fp_clear);
    arch_user_run(&c); /* writes FP: Dirty */
    KT_ASSERT_EQ(csr_read(sstatus) & SSTATUS_FS, SSTATUS_FS_DIRTY);
    arch_fpu_save(&c);
    KT_ASSERT_EQ(c.fpu.f[0], 0);
    arch_fpu_restore(&a);
    KT_ASSERT_EQ(csr_read(sstatus) & SSTATUS_FS, SSTATUS_FS_CLEAN);
    arch_fpu_save(&a);
    KT_ASSERT_EQ(a.fpu.f[0], 0x5555);
}

/* Two address spaces with ASIDs (arch/vm_cpu.h): each has its own, loaded
 * with its root into satp; U-mode sees each space's own page at the same
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

/* Runs prog_load (a load from a1, then the zeroed rest of the code page: an
 * illegal instruction) in the loaded space; returns what it read. */
static uint64_t umode_load(uint64_t va)
{
    struct arch_context ctx;
    load(&ctx, &p_prog_load);
    CTX_X(&ctx, 11) = va;
    CTX_X(&ctx, 10) = 0xdead;
    arch_user_run(&ctx);
    return ctx_entry(&ctx) == ARCH_ENTRY_FAULT &&
                   ctx_fault(&ctx)->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION
               ? CTX_X(&ctx, 10)
               : 0xdead;
}

KTEST(riscv64, asids_per_address_space)
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
            KT_ASSERT_EQ((csr_read(satp) >> SATP_ASID_SHIFT) & 0xffff, i ? a1 : a0);
            KT_ASSERT_EQ((csr_read(satp) & SATP_PPN_MASK) << 12, s[i].root);
            uint64_t v = umode_load(DATA_VA);
            KT_ASSERT(v == (i ? 0x2222u : 0x1111u), "space %u round %u read %#llx", i, round,
                      (unsigned long long)v);
        }
    }
    /* Space 1 is loaded; space 0's page is remapped to space 1's frame. */
    KT_ASSERT(arch_pt_map(&s[0], DATA_VA, pa[1], 1, VM_READ));
    arch_vspace_switch(s[0].root);
    KT_ASSERT_EQ(umode_load(DATA_VA), 0x2222);

    arch_vspace_switch(space.root);
    space.active = true;
    for (unsigned i = 0; i < 2; i++) {
        arch_pt_destroy(&s[i]);
        KT_ASSERT_EQ(asid_of(s[i].root), 0);
    }
    KT_ASSERT_EQ((csr_read(satp) & SATP_PPN_MASK) << 12, space.root);
    pmm_free(&boot_pmm, pa[0], 0);
    pmm_free(&boot_pmm, pa[1], 0);
}

/* sret, mret, wfi, sfence.vma, the supervisor CSRs, sstatus.SIE, stimecmp and
 * the cycle counter (scounteren clear) from U-mode: each is a fault of the
 * thread at that instruction, and nothing of S-mode changes. (QEMU 7.2 lets
 * U-mode read the time CSR whatever scounteren says, so rdtime is not here.) */
#define HOSTILE(n)                                                                                 \
    {                                                                                              \
#n, prog_hostile_##n, prog_hostile_##n##_end                                               \
    }
extern const char prog_hostile_sret[], prog_hostile_sret_end[], prog_hostile_mret[],
    prog_hostile_mret_end[], prog_hostile_wfi[], prog_hostile_wfi_end[], prog_hostile_sfence[],
    prog_hostile_sfence_end[], prog_hostile_sstatus[], prog_hostile_sstatus_end[],
    prog_hostile_stvec[], prog_hostile_stvec_end[], prog_hostile_satp[], prog_hostile_satp_end[],
    prog_hostile_sie[], prog_hostile_sie_end[], prog_hostile_stimecmp[],
    prog_hostile_stimecmp_end[], prog_hostile_cycle[], prog_hostile_cycle_end[];

KTEST(riscv64, umode_hostile_instructions_fault)
{
    static const struct {
        const char *name, *start, *end;
    } progs[] = {HOSTILE(sret),  HOSTILE(mret), HOSTILE(wfi), HOSTILE(sfence),   HOSTILE(sstatus),
                 HOSTILE(stvec), HOSTILE(satp), HOSTILE(sie), HOSTILE(stimecmp), HOSTILE(cycle)};
    KT_ASSERT(setup(), "no user space");
    uint64_t stvec = csr_read(stvec), satp = csr_read(satp);
    for (unsigned i = 0; i < ARRAY_SIZE(progs); i++) {
        struct arch_context ctx;
        const struct prog p = {progs[i].start, progs[i].end};
        load(&ctx, &p);
        CTX_X(&ctx, 11) = DATA_VA;
        arch_user_run(&ctx);
        const struct arch_fault *f = ctx_fault(&ctx);
        KT_ASSERT(ctx_entry(&ctx) == ARCH_ENTRY_FAULT &&
                      f->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION,
                  "%s: entry %u exception %u (scause %llu)", progs[i].name, ctx_entry(&ctx),
                  f->exception, (unsigned long long)ctx.scause);
        KT_ASSERT(ctx_pc(&ctx) == CODE_VA, "%s: pc %#llx", progs[i].name,
                  (unsigned long long)ctx_pc(&ctx));
    }
    KT_ASSERT_EQ(csr_read(stvec), stvec);
    KT_ASSERT_EQ(csr_read(satp), satp);
}

/* The entry arch_pt_map wrote for va in the scaffold's space. */
static uint64_t user_leaf(vaddr_t va)
{
    const uint64_t *t = phys_to_virt(space.root);
    for (int level = 3; level > 0; level--) {
        uint64_t e = t[(va >> (12 + 9 * level)) & 511];
        if (!(e & PTE_V) || (e & PTE_RWX))
            return 0;
        t = phys_to_virt((e & PTE_PPN_MASK) << 2);
    }
    return t[(va >> 12) & 511];
}

/* 64 KiB in clusters: the PMM order of a NAPOT group's memory. */
#define NAPOT_ORDER (CLUSTER_ORDER < 4 ? 4 - CLUSTER_ORDER : 0)

/* Svnapot (svnapot=on): 16 pages of aligned, contiguous memory with the same
 * rights become one NAPOT group, which U-mode reads page by page with each
 * page's own data; a remap inside the group and a partial unmap split it
 * first, so the changed page alone changes. Elsewhere no entry has N. */
KTEST(riscv64, napot_groups_for_64k_runs)
{
    KT_ASSERT(setup(), "no user space");
    const vaddr_t va = 0x600000;
    paddr_t mem = pmm_alloc(&boot_pmm, NAPOT_ORDER);
    KT_ASSERT(mem && IS_ALIGNED(mem, 0x10000), "no aligned 64 KiB");
    for (unsigned k = 0; k < 16; k++)
        *(uint64_t *)phys_to_virt(mem + k * PAGE_SIZE) = 0xa000 + k;
    KT_ASSERT(arch_pt_map(&space, va, mem, 16, VM_READ));
    for (unsigned k = 0; k < 16; k++)
        KT_ASSERT(!!(user_leaf(va + k * PAGE_SIZE) & PTE_N) == riscv_svnapot, "page %u: %#llx", k,
                  (unsigned long long)user_leaf(va + k * PAGE_SIZE));
    /* Not aligned in memory: no group. */
    KT_ASSERT(arch_pt_map(&space, va + 0x10000, mem + PAGE_SIZE, 15, VM_READ));
    KT_ASSERT(!(user_leaf(va + 0x10000) & PTE_N));
    for (unsigned k = 0; k < 16; k++) {
        paddr_t pa;
        unsigned acc, lvl;
        KT_ASSERT(arch_pt_lookup(space.root, va + k * PAGE_SIZE + 8, &pa, &acc, &lvl) &&
                      pa == mem + k * PAGE_SIZE + 8 && lvl == 0,
                  "lookup of page %u", k);
        KT_ASSERT(umode_load(va + k * PAGE_SIZE) == 0xa000 + k, "U-mode read of page %u", k);
    }
    /* Page 5 remapped to page 0's frame: the group splits, page 5 alone moves. */
    KT_ASSERT(arch_pt_map(&space, va + 5 * PAGE_SIZE, mem, 1, VM_READ));
    KT_ASSERT(!(user_leaf(va) & PTE_N), "group kept after a remap inside it");
    KT_ASSERT_EQ(umode_load(va + 5 * PAGE_SIZE), 0xa000);
    KT_ASSERT_EQ(umode_load(va + 6 * PAGE_SIZE), 0xa006);
    /* Regrouped once page 5 is back; then a partial unmap splits it again. */
    KT_ASSERT(arch_pt_map(&space, va + 5 * PAGE_SIZE, mem + 5 * PAGE_SIZE, 1, VM_READ));
    KT_ASSERT(arch_pt_map(&space, va, mem, 16, VM_READ));
    KT_ASSERT_EQ(!!(user_leaf(va) & PTE_N), riscv_svnapot);
    KT_ASSERT_EQ(umode_load(va + 9 * PAGE_SIZE), 0xa009); /* the group in the TLB */
    arch_pt_unmap(&space, va + 9 * PAGE_SIZE, va + 10 * PAGE_SIZE);
    KT_ASSERT(!(user_leaf(va) & PTE_N), "group kept after a partial unmap");
    KT_ASSERT_EQ(user_leaf(va + 9 * PAGE_SIZE), 0);
    KT_ASSERT_EQ(umode_load(va + 9 * PAGE_SIZE), 0xdead); /* faults: not mapped */
    KT_ASSERT_EQ(umode_load(va + 8 * PAGE_SIZE), 0xa008);
    KT_ASSERT_EQ(umode_load(va + 10 * PAGE_SIZE), 0xa00a);
    arch_pt_unmap(&space, va, va + 0x20000);
    pmm_free(&boot_pmm, mem, NAPOT_ORDER);
}

/* A 2 MiB megapage (promotion) walked by the hart: U-mode reads each page's
 * own data through it with the rights it was given; a partial unmap demotes
 * it, and the hart then finds the hole and the rest still mapped. */
KTEST(riscv64, megapage_walked_by_the_hart)
{
    KT_ASSERT(setup(), "no user space");
    const vaddr_t va = 0x40000000;
    paddr_t mem = pmm_alloc(&boot_pmm, VM_SUPER_SHIFT - CLUSTER_SHIFT);
    KT_ASSERT(mem && IS_ALIGNED(mem, 1ull << VM_SUPER_SHIFT), "no aligned 2 MiB");
    for (unsigned k = 0; k < 512; k += 37)
        *(uint64_t *)phys_to_virt(mem + k * PAGE_SIZE) = 0xb000 + k;
    KT_ASSERT(arch_pt_map(&space, va, mem, 1, VM_READ));
    arch_pt_map_super(&space, va, mem, VM_READ);
    paddr_t pa;
    unsigned acc, lvl;
    KT_ASSERT(arch_pt_lookup(space.root, va + 37 * PAGE_SIZE, &pa, &acc, &lvl) && lvl == 1 &&
              pa == mem + 37 * PAGE_SIZE);
    for (unsigned k = 0; k < 512; k += 37)
        KT_ASSERT(umode_load(va + k * PAGE_SIZE) == 0xb000 + k, "U-mode read of page %u", k);
    struct arch_context ctx;
    load(&ctx, &p_prog_store);
    CTX_X(&ctx, 11) = va + 74 * PAGE_SIZE;
    CTX_X(&ctx, 12) = 1;
    arch_user_run(&ctx);
    KT_ASSERT(ctx_entry(&ctx) == ARCH_ENTRY_FAULT && ctx_fault(&ctx)->page &&
                  ctx_fault(&ctx)->present && ctx_fault(&ctx)->access == VM_WRITE,
              "a write through a read-only megapage");
    arch_pt_unmap(&space, va + 37 * PAGE_SIZE, va + 38 * PAGE_SIZE);
    KT_ASSERT(arch_pt_lookup(space.root, va + 74 * PAGE_SIZE, &pa, &acc, &lvl) && lvl == 0);
    KT_ASSERT_EQ(umode_load(va + 37 * PAGE_SIZE), 0xdead);
    KT_ASSERT_EQ(umode_load(va + 74 * PAGE_SIZE), 0xb000 + 74);
    KT_ASSERT_EQ(umode_load(va), 0xb000);
    arch_pt_unmap(&space, va, va + (1ull << VM_SUPER_SHIFT));
    KT_ASSERT_EQ(umode_load(va), 0xdead);
    pmm_free(&boot_pmm, mem, VM_SUPER_SHIFT - CLUSTER_SHIFT);
}
