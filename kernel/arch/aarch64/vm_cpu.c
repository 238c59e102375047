/*
 * The CPU side of user address spaces on aarch64: TTBR0_EL1 loads, TLB
 * invalidation, zeroing and copying physical memory (the contract is in
 * arch.h; the TTBR0 load itself is inline in arch/vm_cpu.h, for the IPC fast
 * path). No ASIDs yet: every load invalidates the lower half's translations.
 *
 * The kernel boots with TCR_EL1.EPD0 set (no lower half at all); the first
 * user address space loaded clears it, and from then on "no user space" is an
 * empty table (every lower-half access faults the same way).
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "config.h"

static uint64_t empty_root[512] __aligned(4096);
static bool lower_half_on;

void arch_pt_init_root(paddr_t root)
{
    (void)root; /* the kernel is in the TTBR1 half: nothing to share */
}

void arch_vspace_switch(paddr_t root)
{
    if (!root && !lower_half_on)
        return;
    if (!lower_half_on) {
        write_sysreg(ttbr0_el1, virt_to_phys(empty_root));
        isb();
        write_sysreg(tcr_el1, read_sysreg(tcr_el1) & ~TCR_EPD0);
        lower_half_on = true;
    }
    arch_vspace_load(root ? root : virt_to_phys(empty_root));
}

void arch_tlb_flush_page(vaddr_t va)
{
    __asm__ volatile("dsb ishst\n\ttlbi vaae1, %0\n\tdsb ish\n\tisb"
                     :
                     : "r"((va >> 12) & 0xfffffffffffull)
                     : "memory");
}

void arch_tlb_flush_all(void)
{
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
}

void arch_phys_zero(paddr_t pa, size_t len)
{
    uint64_t *d = phys_to_virt(pa);
    for (size_t i = 0; i < len / 8; i += 2) {
        d[i] = 0;
        if (i + 1 < len / 8)
            d[i + 1] = 0;
    }
}

void arch_phys_copy(paddr_t dst, paddr_t src, size_t len)
{
    uint64_t *d = phys_to_virt(dst);
    const uint64_t *s = phys_to_virt(src);
    for (size_t i = 0; i < len / 8; i++)
        d[i] = s[i];
}
