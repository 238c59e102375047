/*
 * The CPU side of user address spaces on riscv64: satp loads, TLB
 * invalidation, zeroing and copying physical memory (the contract is in
 * arch.h; the satp load itself is inline in arch/vm_cpu.h, for the IPC fast
 * path). ASIDs (arch/vm_cpu.h): a root gets one here, when it is made, and
 * gives it back when its tables are destroyed. How many the hart has is
 * learnt once by writing all ones to satp's ASID field and reading it back.
 */
#include "arch.h"
#include "arch/riscv.h"
#include "config.h"
#include "lib/string.h"

paddr_t asid_table[ASID_SLOTS];
unsigned asid_slots;
static bool asid_probed;

static void asid_init(void)
{
    if (asid_probed)
        return;
    asid_probed = true;
    uint64_t old = csr_read(satp);
    csr_write(satp, old | (0xffffull << SATP_ASID_SHIFT));
    unsigned bits = __builtin_popcountll((csr_read(satp) >> SATP_ASID_SHIFT) & 0xffff);
    csr_write(satp, old);
    __asm__ volatile("sfence.vma" ::: "memory");
    uint64_t n = (1ull << bits) - 1; /* ASIDs 1 .. 2^bits - 1 */
    asid_slots = n < ASID_SLOTS ? (unsigned)n : ASID_SLOTS;
}

void arch_pt_init_root(paddr_t root)
{
    /* The kernel half: the kernel root's entries 256-511. */
    uint64_t *d = phys_to_virt(root);
    const uint64_t *k = phys_to_virt(riscv_kernel_root());
    for (unsigned i = 256; i < 512; i++)
        d[i] = k[i];
    asid_init();
    unsigned i = (unsigned)(root >> 12);
    for (unsigned n = 0; n < ASID_PROBE; n++, i++) {
        unsigned s = i & (ASID_SLOTS - 1);
        if (!asid_table[s] && s < asid_slots) {
            asid_table[s] = root;
            return;
        }
    }
}

void asid_release(paddr_t root)
{
    unsigned asid = asid_of(root);
    if (!asid)
        return;
    __asm__ volatile("sfence.vma zero, %0" : : "r"((uint64_t)asid) : "memory");
    asid_table[asid - 1] = 0;
}

void arch_vspace_switch(paddr_t root)
{
    arch_vspace_load(root ? root : riscv_kernel_root());
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
