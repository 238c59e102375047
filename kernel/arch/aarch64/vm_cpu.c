/*
 * The CPU side of user address spaces on aarch64: TTBR0_EL1 loads, TLB
 * invalidation, zeroing and copying physical memory (the contract is in
 * arch.h; the TTBR0 load itself is inline in arch/vm_cpu.h, for the IPC fast
 * path). ASIDs by generation (decision 185): the allocator is
 * genarch/asid.c; this file gives it the width, the rollover's flush and the
 * invalidation of a destroyed space's ASID.
 *
 * The kernel boots with TCR_EL1.EPD0 set (no lower half at all); the first
 * user address space loaded clears it, and from then on "no user space" is an
 * empty table (every lower-half access faults the same way).
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "config.h"
#include "genarch/asid.h"

static uint64_t empty_root[512] __aligned(4096);
static bool lower_half_on;
static void lower_half_enable(void);

/* The ASID width (ID_AA64MMFR0_EL1.ASIDBits: 2 is 16 bits, with TCR_EL1.AS;
 * else 8), for the allocator (genarch/asid.c). Boot CPU, from arch_mmu_init,
 * before the other CPUs copy its TCR_EL1. */
void aarch64_asid_init(void)
{
    unsigned bits = 8;
    if (((read_sysreg(id_aa64mmfr0_el1) >> 4) & 0xf) == 2) {
        write_sysreg(tcr_el1, read_sysreg(tcr_el1) | TCR_AS);
        isb();
        arch_tlb_flush_all();
        bits = 16;
    }
    asid_init(bits);
}

/* arch_vspace_load's stale word (arch/vm_cpu.h): x16 = asid_assign(x16),
 * every other register but x17 and x30 kept (a frame record first, for
 * backtraces). */
__asm__(".pushsection .text\n"
        ".globl aarch64_asid_miss\n"
        ".type aarch64_asid_miss, %function\n"
        "aarch64_asid_miss:\n"
        "    stp  x29, x30, [sp, #-160]!\n"
        "    mov  x29, sp\n"
        "    stp  x0, x1, [sp, #16]\n"
        "    stp  x2, x3, [sp, #32]\n"
        "    stp  x4, x5, [sp, #48]\n"
        "    stp  x6, x7, [sp, #64]\n"
        "    stp  x8, x9, [sp, #80]\n"
        "    stp  x10, x11, [sp, #96]\n"
        "    stp  x12, x13, [sp, #112]\n"
        "    stp  x14, x15, [sp, #128]\n"
        "    str  x18, [sp, #144]\n"
        "    mov  x0, x16\n"
        "    bl   asid_assign\n"
        "    mov  x16, x0\n"
        "    ldp  x0, x1, [sp, #16]\n"
        "    ldp  x2, x3, [sp, #32]\n"
        "    ldp  x4, x5, [sp, #48]\n"
        "    ldp  x6, x7, [sp, #64]\n"
        "    ldp  x8, x9, [sp, #80]\n"
        "    ldp  x10, x11, [sp, #96]\n"
        "    ldp  x12, x13, [sp, #112]\n"
        "    ldp  x14, x15, [sp, #128]\n"
        "    ldr  x18, [sp, #144]\n"
        "    ldp  x29, x30, [sp], #160\n"
        "    ret\n"
        ".size aarch64_asid_miss, . - aarch64_asid_miss\n"
        ".popsection\n");

paddr_t aarch64_kernel_lower_root(void)
{
    return virt_to_phys(empty_root);
}

void arch_pt_init_root(paddr_t root)
{
    /* The kernel is in the TTBR1 half: nothing to share. The ASID comes when
     * the space is first loaded (arch_vspace_load). */
    (void)root;
    lower_half_enable();
}

/* A rollover (genarch/asid.c): every CPU's EL1&0 translations go, broadcast
 * in the inner-shareable domain. */
void arch_asid_flush_everywhere(void)
{
    arch_tlb_flush_all();
}

/* arch_pt_destroy's last step: none of the ASID's translations is left in any
 * CPU's TLB before the number is handed out again. */
void arch_asid_invalidate(unsigned asid)
{
    __asm__ volatile("dsb ishst\n\ttlbi aside1is, %0\n\tdsb ish\n\tisb"
                     :
                     : "r"((uint64_t)asid << 48)
                     : "memory");
}

/* Lets the MMU walk the lower half (TCR_EL1.EPD0 clear), with the empty root
 * loaded: before the first user address space exists, since
 * arch_vspace_load (the IPC fast path's, obj/vspace.h's) only writes TTBR0. */
static void lower_half_enable(void)
{
    if (lower_half_on)
        return;
    write_sysreg(ttbr0_el1, virt_to_phys(empty_root));
    isb();
    write_sysreg(tcr_el1, read_sysreg(tcr_el1) & ~TCR_EPD0);
    isb();
    arch_tlb_flush_all();
    lower_half_on = true;
}

void arch_vspace_switch(paddr_t root)
{
    if (!root && !lower_half_on)
        return;
    lower_half_enable();
    arch_vspace_load(root ? root : virt_to_phys(empty_root), NULL);
}

void arch_tlb_flush_page(vaddr_t va)
{
    __asm__ volatile("dsb ishst\n\ttlbi vaae1is, %0\n\tdsb ish\n\tisb"
                     :
                     : "r"((va >> 12) & 0xfffffffffffull)
                     : "memory");
}

void arch_tlb_flush_all(void)
{
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
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
