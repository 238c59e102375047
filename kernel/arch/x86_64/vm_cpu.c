/*
 * The CPU side of user address spaces on x86-64: loading CR3, invalidating the
 * TLB, the kernel half of a new top-level table, and fast zeroing and copying of
 * physical memory (the contract is in arch.h; the CR3 load itself is inline in
 * arch/vm_cpu.h, for the IPC fast path).
 *
 * Zeroing and copying use `rep stosq` / `rep movsq`: the kernel is built without
 * SSE, and one string instruction per 8 bytes is the cheapest loop there is (the
 * byte loops of kernel/lib/string.c cost eight times as many instructions, which
 * the first-touch benchmark would count).
 */
#include "arch.h"
#include "arch/x86.h"
#include "arch/mmu.h"
#include "arch/vm_cpu.h"
#include "config.h"
#include "lib/string.h"

void arch_pt_init_root(paddr_t root)
{
    pte_t *dst = phys_to_virt(root);
    const pte_t *src = phys_to_virt(arch_kernel_root());
    memcpy(&dst[256], &src[256], 256 * sizeof(pte_t));
}

#if X86_PCID
#include "arch/context.h"

bool x86_pcid_hw;
uint64_t x86_pcid_tag[X86_PCID_SLOTS];

void x86_pcid_miss(paddr_t root)
{
    unsigned i = this_percpu.pcid_next;
    this_percpu.pcid_next = (i + 1) % X86_PCID_SLOTS;
    this_percpu.pcid_root[i] = root;
    this_percpu.pcid_misses++;
    write_cr3(x86_pcid_hw ? root | (i + 1) : root);
}

void arch_vspace_forget(paddr_t root)
{
    for (unsigned i = 0; i < X86_PCID_SLOTS; i++)
        if (this_percpu.pcid_root[i] == root)
            this_percpu.pcid_root[i] = 0;
}

/* The kernel's tables, and any root that is not a VSpace's (the self-tests'),
 * run on PCID 0, loaded with a flush. */
void arch_vspace_switch(paddr_t root)
{
    write_cr3(root ? root : arch_kernel_root());
}
#else
void arch_vspace_switch(paddr_t root)
{
    arch_vspace_load(root ? root : arch_kernel_root(), NULL);
}
#endif

void arch_tlb_flush_page(vaddr_t va)
{
    invlpg(va);
}

void arch_tlb_flush_all(void)
{
    write_cr3(read_cr3());
}

void arch_phys_zero(paddr_t pa, size_t len)
{
    void *d = phys_to_virt(pa);
    size_t n = len / 8;
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ull) : "memory");
}

void arch_phys_copy(paddr_t dst, paddr_t src, size_t len)
{
    void *d = phys_to_virt(dst);
    const void *s = phys_to_virt(src);
    size_t n = len / 8;
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}
