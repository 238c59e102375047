/*
 * Self-tests of U-mode on riscv64, beyond the shared ones of
 * kernel/test/umode_ktest.c (on the same scaffold, ktest_umode.h): the state
 * an entry from U-mode leaves (scause, sstatus, sscratch), the causes only
 * riscv64 reports (a load page fault's code, a supervisor page as not
 * present, a misaligned AMO), the register file's order (decision 152), the
 * FP state switched lazily per context, and the hart walking Svnapot
 * groups and megapages (its hostile instructions are in user_progs.S for
 * umode/hostile_instructions_fault).
 */
#include "arch.h"
#include "arch/context.h"
#include "arch/riscv.h"
#include "config.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "ktest_umode.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "weft/objects.h"

KU_PROG(prog_syscall);
KU_PROG(prog_regs);
KU_PROG(prog_load);
KU_PROG(prog_store);
KU_PROG(prog_undefined);
KU_PROG(prog_amo_misaligned);
KU_PROG(prog_fp_set);
KU_PROG(prog_fp_clear);
KU_PROG(prog_fp_get);

/* An sstatus of every bit, written straight into the context: the exit never
 * loads it (it sets SPP and SPIE itself), U-mode runs with interrupts on, and
 * S-mode is back with SUM and MXR clear and sscratch 0. */
KTEST(riscv64, umode_state_after_a_system_call)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    ku_load(&ctx, &p_prog_syscall);
    ctx.sstatus = ~0ull;
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx.scause, EXC_ECALL_U);
    KT_ASSERT_EQ(ctx.sstatus & SSTATUS_SPP, 0); /* it ran in U-mode */
    KT_ASSERT(ctx.sstatus & SSTATUS_SPIE, "U-mode ran with interrupts off");
    KT_ASSERT_EQ(csr_read(sstatus) & (SSTATUS_SUM | SSTATUS_MXR), 0);
    KT_ASSERT_EQ(csr_read(sscratch), 0); /* S-mode again */
}

/* scause as each fault's code; the kernel half is no user's (a supervisor
 * page is not present to it); a misaligned AMO is an alignment fault. */
KTEST(riscv64, umode_causes_decoded)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = ku_fault_of(&ctx, &p_prog_load, 0x10008);
    KT_ASSERT(f && f->page && f->code == EXC_LOAD_PAGE, "unmapped read");
    f = ku_fault_of(&ctx, &p_prog_load, KERNEL_VMA + KERNEL_PHYS);
    KT_ASSERT(f && f->page && !f->present && f->access == VM_READ, "read of the kernel image");
    f = ku_fault_of(&ctx, &p_prog_undefined, 0);
    KT_ASSERT(f && f->code == EXC_ILLEGAL, "illegal instruction");
    f = ku_fault_of(&ctx, &p_prog_amo_misaligned, KU_DATA_VA);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_ALIGNMENT, "misaligned AMO: %u (scause %llu)",
              f ? f->exception : 0, (unsigned long long)ctx.scause);
}

/* enum wf_fault_word on riscv64: x10-x31, x1-x9, pc, sstatus (the shared
 * test checks each x register's word and the pc); sstatus written on a
 * thread's behalf keeps nothing. */
KTEST(riscv64, register_file_order)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    ku_load(&ctx, &p_prog_regs);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_RISCV64_REG_SYSNO), 0x100 + 17);
    KT_ASSERT_EQ(ctx_reg(&ctx, 0), 0x100 + 10); /* word 0 is a0, the result register */
    KT_ASSERT_EQ(ctx_reg(&ctx, 22), 0x100 + 1); /* then x1-x9 from word 22 */
    KT_ASSERT_EQ(CTX_X(&ctx, 31), 0x100 + 31);

    ku_load(&ctx, &p_prog_syscall);
    ctx_set_reg(&ctx, WF_RISCV64_REG_SSTATUS, ~0ull); /* SPP, SUM, MXR, FS ... */
    KT_ASSERT_EQ(ctx_reg(&ctx, WF_RISCV64_REG_SSTATUS), 0);
    ctx_set_reg(&ctx, WF_RISCV64_REG_SP, KU_STACK - 16);
    ctx_set_reg(&ctx, WF_RISCV64_REG_X(4), 0x44);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(CTX_X(&ctx, 12), KU_STACK - 16);
    KT_ASSERT_EQ(CTX_X(&ctx, 13), 0x44);
    KT_ASSERT_EQ(ctx.sstatus & SSTATUS_SPP, 0); /* it ran in U-mode */
}

/* The lazy FP switch (decision 175): a context runs with the registers
 * closed (sstatus.FS Off) until its first FP instruction, which traps once
 * and loads its state (riscv_fpu_take); the scaffold stores what it wrote
 * into the context after the run. f0-f31 and fcsr so go from one context's
 * run to a later one, and a context that uses no FP never takes them. */
KTEST(riscv64, fp_state_loaded_on_first_use)
{
    KT_ASSERT(ku_setup(), "no user space");
    static struct arch_context a, b, c;
    ku_load(&a, &p_prog_fp_set);
    uint64_t takes = riscv_fpu_takes;
    arch_user_run(&a);
    KT_ASSERT(ctx_entry(&a) == ARCH_ENTRY_SYSCALL, "FP in U-mode was a fault: scause %llu",
              (unsigned long long)a.scause);
    KT_ASSERT_EQ(riscv_fpu_takes, takes + 1);               /* the first FP instruction, once */
    KT_ASSERT_EQ(a.sstatus & SSTATUS_FS, SSTATUS_FS_DIRTY); /* open, and written */
    for (unsigned r = 0; r < 32; r++)
        KT_ASSERT(a.fpu.f[r] == 0x1000 + r, "stored f%u = %#llx", r,
                  (unsigned long long)a.fpu.f[r]);
    KT_ASSERT_EQ(a.fpu.fcsr, 3 << 5);

    ku_load(&b, &p_prog_fp_clear);
    b.fpu = a.fpu; /* loaded, then cleared by the program */
    arch_user_run(&b);
    for (unsigned r = 0; r < 32; r++)
        KT_ASSERT(b.fpu.f[r] == 0, "cleared f%u", r);
    KT_ASSERT_EQ(b.fpu.fcsr, 0);

    ku_load(&c, &p_prog_fp_get);
    c.fpu = a.fpu;
    arch_user_run(&c);
    for (unsigned r = 1; r < 32; r++)
        KT_ASSERT(CTX_X(&c, r) == 0x1000 + r, "loaded f%u = %#llx", r,
                  (unsigned long long)CTX_X(&c, r));
    KT_ASSERT_EQ(c.fpu.fcsr, 3 << 5);

    takes = riscv_fpu_takes;
    ku_load(&c, &p_prog_syscall);
    arch_user_run(&c); /* no FP: no trap, and U-mode ran with FS Off */
    KT_ASSERT_EQ(riscv_fpu_takes, takes);
    KT_ASSERT_EQ(c.sstatus & SSTATUS_FS, 0);
    KT_ASSERT_EQ(csr_read(sstatus) & SSTATUS_FS, 0);
}

/* An illegal instruction while the registers are closed is first taken for
 * an FP one (the ISA gives both the same cause): the state is loaded, the
 * instruction runs again and traps again, now decoded as the fault it is. */
KTEST(riscv64, fp_closed_illegal_instruction_still_faults)
{
    KT_ASSERT(ku_setup(), "no user space");
    struct arch_context ctx;
    uint64_t takes = riscv_fpu_takes;
    const struct arch_fault *f = ku_fault_of(&ctx, &p_prog_undefined, 0);
    KT_ASSERT(f && f->code == EXC_ILLEGAL && f->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION,
              "not an undefined instruction");
    KT_ASSERT_EQ(f->addr, ctx_pc(&ctx));
    KT_ASSERT_EQ(riscv_fpu_takes, takes + 1);
    KT_ASSERT(ctx.sstatus & SSTATUS_FS, "the second trap found the registers closed");
}

/* The switch itself, as the scheduler and the IPC fast path make it: a switch
 * turns FS Off or back on and moves nothing; a take stores the live state
 * only where it changed (FS Dirty now, or when it was turned Off) and loads
 * the taker's. */
KTEST(riscv64, fp_switch_is_lazy)
{
    static struct arch_context a, b, probe;
    struct arch_context *mine = riscv_fpu_live;
    if (mine) /* a thread's state stays its own */
        arch_fpu_forget(mine);
    for (unsigned r = 0; r < 32; r++) {
        a.fpu.f[r] = 0xa000 + r;
        b.fpu.f[r] = 0xb000 + r;
    }
    a.fpu.fcsr = 1 << 5;
    b.fpu.fcsr = 2 << 5;

    riscv_fpu_take(&a);
    KT_ASSERT(riscv_fpu_live == &a && riscv_fpu_open, "a did not take the registers");
    KT_ASSERT_EQ(csr_read(sstatus) & SSTATUS_FS, SSTATUS_FS_CLEAN);
    arch_fpu_restore(&b); /* a switch to b: closed, a's state stays */
    KT_ASSERT(!riscv_fpu_open && riscv_fpu_live == &a, "b's switch moved the state");
    KT_ASSERT_EQ(csr_read(sstatus) & SSTATUS_FS, 0);
    a.fpu.f[0] = 0x5555;  /* a load or a store would show */
    arch_fpu_restore(&a); /* back to a: open, nothing loaded */
    KT_ASSERT_EQ(csr_read(sstatus) & SSTATUS_FS, SSTATUS_FS_CLEAN);
    riscv_fpu_store(&probe);
    KT_ASSERT_EQ(probe.fpu.f[0], 0xa000);
    KT_ASSERT_EQ(probe.fpu.fcsr, 1 << 5);

    arch_fpu_restore(&b);
    riscv_fpu_take(&b); /* a's registers unchanged since loaded: no store */
    KT_ASSERT_EQ(a.fpu.f[0], 0x5555);
    KT_ASSERT(riscv_fpu_live == &b && riscv_fpu_open, "b did not take the registers");
    riscv_fpu_store(&probe);
    KT_ASSERT_EQ(probe.fpu.f[1], 0xb001);
    KT_ASSERT_EQ(probe.fpu.fcsr, 2 << 5);

    csr_set(sstatus, SSTATUS_FS_DIRTY); /* as U-mode writing an FP register */
    arch_fpu_restore(&a);               /* closed Dirty: remembered */
    KT_ASSERT(riscv_fpu_dirty, "the Dirty state was lost when closed");
    b.fpu.f[1] = 0;
    riscv_fpu_take(&a); /* b's state stored, a's loaded */
    KT_ASSERT_EQ(b.fpu.f[1], 0xb001);
    KT_ASSERT(!riscv_fpu_dirty, "still dirty after the store");
    riscv_fpu_store(&probe);
    KT_ASSERT_EQ(probe.fpu.f[0], 0x5555);

    arch_fpu_forget(&a);
    KT_ASSERT(riscv_fpu_live == NULL, "a still live");
    riscv_fpu_gate(false);
}

/* The entry arch_pt_map wrote for va in the scaffold's space. */
static uint64_t user_leaf(vaddr_t va)
{
    const uint64_t *t = phys_to_virt(ku_space.root);
    for (int level = (int)riscv_pt_root_level; level > 0; level--) {
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
    KT_ASSERT(ku_setup(), "no user space");
    const vaddr_t va = 0x600000;
    paddr_t mem = pmm_alloc(&boot_pmm, NAPOT_ORDER);
    KT_ASSERT(mem && IS_ALIGNED(mem, 0x10000), "no aligned 64 KiB");
    for (unsigned k = 0; k < 16; k++)
        *(uint64_t *)phys_to_virt(mem + k * PAGE_SIZE) = 0xa000 + k;
    KT_ASSERT(arch_pt_map(&ku_space, va, mem, 16, VM_READ));
    for (unsigned k = 0; k < 16; k++)
        KT_ASSERT(!!(user_leaf(va + k * PAGE_SIZE) & PTE_N) == riscv_svnapot, "page %u: %#llx", k,
                  (unsigned long long)user_leaf(va + k * PAGE_SIZE));
    /* Not aligned in memory: no group. */
    KT_ASSERT(arch_pt_map(&ku_space, va + 0x10000, mem + PAGE_SIZE, 15, VM_READ));
    KT_ASSERT(!(user_leaf(va + 0x10000) & PTE_N));
    for (unsigned k = 0; k < 16; k++) {
        paddr_t pa;
        unsigned acc, lvl;
        KT_ASSERT(arch_pt_lookup(ku_space.root, va + k * PAGE_SIZE + 8, &pa, &acc, &lvl) &&
                      pa == mem + k * PAGE_SIZE + 8 && lvl == 0,
                  "lookup of page %u", k);
        KT_ASSERT(ku_load_word(va + k * PAGE_SIZE) == 0xa000 + k, "U-mode read of page %u", k);
    }
    /* Page 5 remapped to page 0's frame: the group splits, page 5 alone moves. */
    KT_ASSERT(arch_pt_map(&ku_space, va + 5 * PAGE_SIZE, mem, 1, VM_READ));
    KT_ASSERT(!(user_leaf(va) & PTE_N), "group kept after a remap inside it");
    KT_ASSERT_EQ(ku_load_word(va + 5 * PAGE_SIZE), 0xa000);
    KT_ASSERT_EQ(ku_load_word(va + 6 * PAGE_SIZE), 0xa006);
    /* Regrouped once page 5 is back; then a partial unmap splits it again. */
    KT_ASSERT(arch_pt_map(&ku_space, va + 5 * PAGE_SIZE, mem + 5 * PAGE_SIZE, 1, VM_READ));
    KT_ASSERT(arch_pt_map(&ku_space, va, mem, 16, VM_READ));
    KT_ASSERT_EQ(!!(user_leaf(va) & PTE_N), riscv_svnapot);
    KT_ASSERT_EQ(ku_load_word(va + 9 * PAGE_SIZE), 0xa009); /* the group in the TLB */
    arch_pt_unmap(&ku_space, va + 9 * PAGE_SIZE, va + 10 * PAGE_SIZE);
    KT_ASSERT(!(user_leaf(va) & PTE_N), "group kept after a partial unmap");
    KT_ASSERT_EQ(user_leaf(va + 9 * PAGE_SIZE), 0);
    KT_ASSERT_EQ(ku_load_word(va + 9 * PAGE_SIZE), 0xdead); /* faults: not mapped */
    KT_ASSERT_EQ(ku_load_word(va + 8 * PAGE_SIZE), 0xa008);
    KT_ASSERT_EQ(ku_load_word(va + 10 * PAGE_SIZE), 0xa00a);
    arch_pt_unmap(&ku_space, va, va + 0x20000);
    pmm_free(&boot_pmm, mem, NAPOT_ORDER);
}

/* A 2 MiB megapage (promotion) walked by the hart: U-mode reads each page's
 * own data through it with the rights it was given; a partial unmap demotes
 * it, and the hart then finds the hole and the rest still mapped. */
KTEST(riscv64, megapage_walked_by_the_hart)
{
    KT_ASSERT(ku_setup(), "no user space");
    const vaddr_t va = 0x40000000;
    paddr_t mem = pmm_alloc(&boot_pmm, VM_SUPER_SHIFT - CLUSTER_SHIFT);
    KT_ASSERT(mem && IS_ALIGNED(mem, 1ull << VM_SUPER_SHIFT), "no aligned 2 MiB");
    for (unsigned k = 0; k < 512; k += 37)
        *(uint64_t *)phys_to_virt(mem + k * PAGE_SIZE) = 0xb000 + k;
    KT_ASSERT(arch_pt_map(&ku_space, va, mem, 1, VM_READ));
    arch_pt_map_super(&ku_space, va, mem, VM_READ);
    paddr_t pa;
    unsigned acc, lvl;
    KT_ASSERT(arch_pt_lookup(ku_space.root, va + 37 * PAGE_SIZE, &pa, &acc, &lvl) && lvl == 1 &&
              pa == mem + 37 * PAGE_SIZE);
    for (unsigned k = 0; k < 512; k += 37)
        KT_ASSERT(ku_load_word(va + k * PAGE_SIZE) == 0xb000 + k, "U-mode read of page %u", k);
    struct arch_context ctx;
    ku_load(&ctx, &p_prog_store);
    CTX_X(&ctx, 11) = va + 74 * PAGE_SIZE;
    CTX_X(&ctx, 12) = 1;
    arch_user_run(&ctx);
    KT_ASSERT(ctx_entry(&ctx) == ARCH_ENTRY_FAULT && ctx_fault(&ctx)->page &&
                  ctx_fault(&ctx)->present && ctx_fault(&ctx)->access == VM_WRITE,
              "a write through a read-only megapage");
    arch_pt_unmap(&ku_space, va + 37 * PAGE_SIZE, va + 38 * PAGE_SIZE);
    KT_ASSERT(arch_pt_lookup(ku_space.root, va + 74 * PAGE_SIZE, &pa, &acc, &lvl) && lvl == 0);
    KT_ASSERT_EQ(ku_load_word(va + 37 * PAGE_SIZE), 0xdead);
    KT_ASSERT_EQ(ku_load_word(va + 74 * PAGE_SIZE), 0xb000 + 74);
    KT_ASSERT_EQ(ku_load_word(va), 0xb000);
    arch_pt_unmap(&ku_space, va, va + (1ull << VM_SUPER_SHIFT));
    KT_ASSERT_EQ(ku_load_word(va), 0xdead);
    pmm_free(&boot_pmm, mem, VM_SUPER_SHIFT - CLUSTER_SHIFT);
}
