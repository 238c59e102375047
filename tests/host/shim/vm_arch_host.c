/*
 * Host stand-ins for the CPU side of user address spaces (arch.h; the x86-64
 * kernel's are in kernel/arch/x86_64/vm_cpu.c): no TLB and no CR3 on the host,
 * an empty kernel half, and the C library's memset/memcpy for physical memory
 * (the test's buffer). The page-table code itself (pt.c) is the kernel's own.
 */
#include <string.h>

#include "arch.h"

void arch_pt_init_root(paddr_t root)
{
    (void)root;
}

void arch_vspace_switch(paddr_t root)
{
    (void)root;
}

void arch_tlb_flush_page(vaddr_t va)
{
    (void)va;
}

void arch_tlb_flush_all(void) {}

/* The kernel's own top-level table: on the host an empty one (no user mapping in
 * the kernel's half-space, as in a production kernel), at the "physical" address
 * that phys_to_virt turns back into it. */
paddr_t arch_kernel_root(void);
paddr_t arch_kernel_root(void)
{
    static uint64_t root[512] __attribute__((aligned(4096)));
    extern uintptr_t host_phys_base;
    return (paddr_t)((uintptr_t)root - host_phys_base);
}

void arch_phys_zero(paddr_t pa, size_t len)
{
    memset(phys_to_virt(pa), 0, len);
}

void arch_phys_copy(paddr_t dst, paddr_t src, size_t len)
{
    memcpy(phys_to_virt(dst), phys_to_virt(src), len);
}
