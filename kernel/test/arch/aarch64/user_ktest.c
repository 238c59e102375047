/*
 * Self-tests of EL0 on aarch64, beyond the shared ones of
 * kernel/test/umode_ktest.c (on the same scaffold, ktest_umode.h): the state
 * an entry from EL0 leaves (ESR, a hostile PSTATE never loaded), the
 * exceptions only aarch64 has (a trapped system register, PC alignment), the
 * register file's SP and PSTATE words (decision 128), the FP/SIMD state
 * switched lazily per context, and PAN across entries from EL0 (its hostile
 * instructions are in user_progs.S for umode/hostile_instructions_fault).
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/context.h"
#include "arch/pt.h"
#include "config.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "ktest_umode.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "weft/objects.h"

KU_PROG(prog_syscall);
KU_PROG(prog_regs);
KU_PROG(prog_sysreg);
KU_PROG(prog_jump);
KU_PROG(prog_nzcv);
KU_PROG(prog_fp_set);
KU_PROG(prog_fp_clear);
KU_PROG(prog_fp_get);
KU_PROG(prog_store);

static unsigned ec(const struct arch_context *c)
{
    return (c->esr >> 26) & 0x3f;
}

/* A PSTATE of EL1h with interrupts masked, written straight into the context:
 * the exit never loads it (the program runs as EL0t), and the entry records
 * the SVC's class and immediate. */
KTEST(aarch64, el0_state_after_a_system_call)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    ku_load(&ctx, &p_prog_syscall);
    ctx.pstate = 0x3c5;
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ec(&ctx), 0x15);
    KT_ASSERT_EQ(ctx.esr & 0xffff, 0x17);
    KT_ASSERT_EQ(ctx.pstate & 0x3cf, 0); /* EL0t, D A I F clear */
}

/* The EL0 physical timer (closed by CNTKCTL_EL1) is a protection fault; a
 * branch to a misaligned pc an alignment fault (QEMU does not check SP
 * alignment, SA0). */
KTEST(aarch64, el0_exceptions_decoded)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = ku_fault_of(&ctx, &p_prog_sysreg, 0);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_PROTECTION, "trapped timer access: %u",
              f ? f->exception : 0);
    f = ku_fault_of(&ctx, &p_prog_jump, KU_CODE_VA + 2);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_ALIGNMENT, "PC alignment: %u",
              f ? f->exception : 0);
}

/* enum wf_fault_word on aarch64: x0-x30, SP, PC, PSTATE (the shared test
 * checks the x registers and the pc); a PSTATE written on a thread's behalf
 * keeps the condition flags only. */
KTEST(aarch64, register_file_order)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    ku_load(&ctx, &p_prog_regs);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_AARCH64_REG_SP), KU_STACK);

    ku_load(&ctx, &p_prog_nzcv);
    ctx_set_reg(&ctx, WF_AARCH64_REG_PSTATE, ~0ull); /* EL1h, masked, PAN, SS... */
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_AARCH64_REG_PSTATE), 0xf0000000);
    ctx_set_reg(&ctx, WF_AARCH64_REG_X(9), 0x99);
    ctx_set_reg(&ctx, WF_AARCH64_REG_SP, KU_STACK - 16);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx.x[0], 0xf0000000); /* N Z C V as EL0 read them */
    KT_ASSERT_EQ(ctx.x[9], 0x99);
    KT_ASSERT_EQ(ctx.sp, KU_STACK - 16);
    KT_ASSERT_EQ(ctx.pstate & 0x3cf, 0); /* it ran at EL0t, unmasked */
}

/* FP/SIMD switches lazily (decision 151): a context's first use at EL0 after
 * a switch to it traps once, which stores the live state into its owner and
 * loads the context's; the state carries from one context's run to a later
 * one's; a context whose state is live runs without a trap; a forgotten one
 * is dropped. */
KTEST(aarch64, fpsimd_state_per_context)
{
    KT_ASSERT(ku_setup(), "no user space");
    static struct arch_context a, b, c;
    ku_load(&a, &p_prog_fp_set);
    arch_fpu_restore(&a);
    uint64_t takes = aarch64_fpu_takes;
    arch_user_run(&a);
    KT_ASSERT(ctx_entry(&a) == ARCH_ENTRY_SYSCALL, "FP/SIMD at EL0 faulted: ESR %#llx",
              (unsigned long long)a.esr);
    KT_ASSERT_EQ(aarch64_fpu_takes, takes + 1);
    KT_ASSERT(aarch64_fpu_live == &a, "a's state is not the live one");
    KT_ASSERT_EQ(a.fpu.fpcr, 0); /* not stored yet */

    arch_fpu_save(&a);
    ku_load(&b, &p_prog_fp_clear);
    arch_fpu_restore(&b);
    arch_user_run(&b);
    KT_ASSERT_EQ(ctx_entry(&b), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(aarch64_fpu_takes, takes + 2);
    for (unsigned r = 0; r < 32; r++) /* a's, stored by b's first use */
        KT_ASSERT(a.fpu.v[2 * r] == 0x1000 + r && a.fpu.v[2 * r + 1] == 0x2000 + r,
                  "stored v%u = %#llx:%#llx", r, (unsigned long long)a.fpu.v[2 * r + 1],
                  (unsigned long long)a.fpu.v[2 * r]);
    KT_ASSERT_EQ(a.fpu.fpcr, 0xc00000);

    ku_load(&c, &p_prog_fp_get);
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
    c.pc = KU_CODE_VA;
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
    KT_ASSERT(ku_setup(), "no user space");
    KT_ASSERT(pan_get(), "PAN off at boot");
    struct arch_context ctx;
    KT_ASSERT_EQ(ku_run(&ctx, &p_prog_syscall), ARCH_ENTRY_SYSCALL);
    KT_ASSERT(pan_get(), "PAN off after an entry from EL0");
    KT_ASSERT_EQ(ctx.pstate & (1ull << 22), 0); /* EL0 ran without it */
    if (((read_sysreg(id_aa64mmfr1_el1) >> 20) & 0xf) >= 2) {
        KT_ASSERT(el1_read_refused(KU_DATA_VA), "PAN let EL1 read a user page");
        pan_set(false);
        bool refused = el1_read_refused(KU_DATA_VA);
        pan_set(true);
        KT_ASSERT(!refused, "the user page is not mapped for EL1 reads at all");
    }
}

/* The 4 KiB leaf entry of va in the scaffold's space (0: none). */
static pte_t ku_leaf(vaddr_t va)
{
    const pte_t *t = phys_to_virt(ku_space.root);
    for (unsigned l = 3; l > 0; l--) {
        pte_t e = t[pt_index(va, l)];
        if (!pte_present(e) || pte_large(e))
            return 0;
        t = phys_to_virt(pte_addr(e));
    }
    return t[pt_index(va, 0)];
}

/* Whether EL0's store of 0x5a5a to va faults (as a write to a present page)
 * or lands in the frame at pa; false otherwise. */
static bool el0_store(vaddr_t va, paddr_t pa, bool faults)
{
    struct arch_context ctx;
    volatile uint64_t *w = phys_to_virt(pa);
    *w = 0;
    const struct arch_fault *f = ku_fault_of(&ctx, &p_prog_store, va);
    if (faults)
        return f && f->page && f->present && f->access == VM_WRITE && f->addr == va && !*w;
    return !f && ctx_entry(&ctx) == ARCH_ENTRY_SYSCALL && *w == 0x5a5a;
}

/* 64 KiB in clusters: the PMM order of a contiguous group's memory. */
#define CONT_ORDER (CLUSTER_ORDER < 4 ? 4 - CLUSTER_ORDER : 0)

/* The contiguous hint at EL0 (decision 168): a group of 16 writable pages
 * carries PTE_CONT and EL0 writes each page's own frame; one page made
 * read-only (unmapped, mapped again read-only, as the VM protects) splits the
 * group, and EL0's write to it faults while its neighbours still take
 * writes; a copy-on-write style remap of one page moves that page alone. */
KTEST(aarch64, contiguous_group_at_el0)
{
    KT_ASSERT(ku_setup(), "no user space");
    const vaddr_t va = 0x600000;
    const unsigned rw = VM_READ | VM_WRITE;
    paddr_t mem = pmm_alloc(&boot_pmm, CONT_ORDER);
    paddr_t other = pmm_alloc(&boot_pmm, 0);
    KT_ASSERT(mem && other && IS_ALIGNED(mem, 0x10000), "no aligned 64 KiB");
    KT_ASSERT(arch_pt_map(&ku_space, va, mem, 16, rw));
    for (unsigned k = 0; k < 16; k++) {
        KT_ASSERT(ku_leaf(va + k * PAGE_SIZE) & PTE_CONT, "page %u not in the group", k);
        KT_ASSERT(el0_store(va + k * PAGE_SIZE + 8, mem + k * PAGE_SIZE + 8, false),
                  "EL0 write to page %u", k);
    }

    arch_pt_unmap(&ku_space, va + 4 * PAGE_SIZE, va + 5 * PAGE_SIZE);
    KT_ASSERT(arch_pt_map(&ku_space, va + 4 * PAGE_SIZE, mem + 4 * PAGE_SIZE, 1, VM_READ));
    for (unsigned k = 0; k < 16; k++)
        KT_ASSERT(!(ku_leaf(va + k * PAGE_SIZE) & PTE_CONT), "page %u still in the group", k);
    KT_ASSERT(el0_store(va + 4 * PAGE_SIZE, mem + 4 * PAGE_SIZE, true),
              "EL0 write to the read-only page");
    KT_ASSERT(el0_store(va + 3 * PAGE_SIZE, mem + 3 * PAGE_SIZE, false) &&
                  el0_store(va + 5 * PAGE_SIZE, mem + 5 * PAGE_SIZE, false) &&
                  el0_store(va + 15 * PAGE_SIZE, mem + 15 * PAGE_SIZE, false),
              "EL0 write next to the read-only page");

    /* Writable again, one run: a group again; then one page to another frame. */
    KT_ASSERT(arch_pt_map(&ku_space, va, mem, 16, rw));
    KT_ASSERT(ku_leaf(va) & PTE_CONT);
    KT_ASSERT(el0_store(va + 4 * PAGE_SIZE, mem + 4 * PAGE_SIZE, false));
    KT_ASSERT(arch_pt_map(&ku_space, va + 9 * PAGE_SIZE, other, 1, rw));
    KT_ASSERT(!(ku_leaf(va) & PTE_CONT) && !(ku_leaf(va + 9 * PAGE_SIZE) & PTE_CONT));
    KT_ASSERT(el0_store(va + 9 * PAGE_SIZE, other, false), "EL0 write to the moved page");
    KT_ASSERT(el0_store(va + 8 * PAGE_SIZE, mem + 8 * PAGE_SIZE, false) &&
                  el0_store(va + 10 * PAGE_SIZE, mem + 10 * PAGE_SIZE, false),
              "EL0 write beside the moved page");
    KT_ASSERT_EQ(*(volatile uint64_t *)phys_to_virt(mem + 9 * PAGE_SIZE), 0);

    arch_pt_unmap(&ku_space, va, va + 0x10000);
    KT_ASSERT_EQ(ku_leaf(va), 0);
    pmm_free(&boot_pmm, mem, CONT_ORDER);
    pmm_free(&boot_pmm, other, 0);
}
