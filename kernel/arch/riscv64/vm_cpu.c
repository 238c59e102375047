/*
 * The CPU side of user address spaces on riscv64: satp loads, TLB
 * invalidation, zeroing and copying physical memory (the contract is in
 * arch.h; the satp load itself is inline in arch/vm_cpu.h, for the IPC fast
 * path). ASIDs by generation (decision 185): the allocator is
 * genarch/asid.c; this file gives it the width (learnt once by writing all
 * ones to satp's ASID field and reading it back), the rollover's flush and
 * the invalidation of a destroyed space's ASID.
 */
#include "arch.h"
#include "arch/riscv.h"
#include "config.h"
#include "genarch/asid.h"
#include "sched/smp.h"
#include "lib/string.h"

/* The ASID width: all ones written to satp's ASID field (with the loaded
 * root, whose translations stay) and read back. Boot hart, from
 * arch_mmu_init; every hart has the same. */
void riscv_asid_init(void)
{
    uint64_t old = csr_read(satp);
    csr_write(satp, old | (ASID_NUM_MASK << SATP_ASID_SHIFT));
    unsigned bits = __builtin_popcountll((csr_read(satp) >> SATP_ASID_SHIFT) & ASID_NUM_MASK);
    csr_write(satp, old);
    __asm__ volatile("sfence.vma" ::: "memory");
    asid_init(bits);
}

void arch_pt_init_root(paddr_t root)
{
    /* The kernel half: the kernel root's entries 256-511. The ASID comes when
     * the space is first loaded (arch_vspace_load). */
    uint64_t *d = phys_to_virt(root);
    const uint64_t *k = phys_to_virt(riscv_kernel_root());
    for (unsigned i = 256; i < 512; i++)
        d[i] = k[i];
}

/* A rollover's flush (genarch/asid.c): sfence.vma is this hart's alone, so
 * every other hart online is asked to flush too (a remote call: they serve it
 * wherever they wait), before any number is handed out again. */
static void flush_here(void *arg)
{
    (void)arg;
    arch_tlb_flush_all();
}

void arch_asid_flush_everywhere(void)
{
    arch_tlb_flush_all();
    uint64_t others = 0;
    for (unsigned c = 0; c < SMP_MAX_CPUS; c++)
        if (c != arch_cpu_id() && smp_cpus[c].online)
            others |= 1ull << c;
    if (others)
        smp_call_many(others, flush_here, NULL);
}

/* A destroyed space's ASID: every hart that ran the space forgot it when it
 * was left everywhere (vspace_leave_everywhere: the mask keeps them,
 * arch/vm_cpu.h), so this hart's TLB is the one left. */
void arch_asid_invalidate(unsigned asid)
{
    __asm__ volatile("sfence.vma zero, %0" : : "r"((uint64_t)asid) : "memory");
}

void arch_vspace_forget(paddr_t root)
{
    (void)root;
    arch_tlb_flush_all();
}

void arch_vspace_switch(paddr_t root)
{
    arch_vspace_load(root ? root : riscv_kernel_root(), NULL);
}

void arch_tlb_flush_page(vaddr_t va)
{
    __asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
}

void arch_tlb_flush_all(void)
{
    __asm__ volatile("sfence.vma" ::: "memory");
}

void arch_phys_zero(paddr_t pa, size_t len)
{
    uint64_t *d = phys_to_virt(pa);
    for (size_t i = 0; i < len / 8; i++)
        d[i] = 0;
}

void arch_phys_copy(paddr_t dst, paddr_t src, size_t len)
{
    uint64_t *d = phys_to_virt(dst);
    const uint64_t *s = phys_to_virt(src);
    for (size_t i = 0; i < len / 8; i++)
        d[i] = s[i];
}
