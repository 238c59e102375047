/*
 * The CPU side of user address spaces that must be inline (aarch64): loading a
 * VSpace's root into TTBR0_EL1 with its ASID (the rest is
 * kernel/arch/aarch64/vm_cpu.c).
 *
 * ASIDs: every root arch_pt_init_root sees gets a slot in asid_table (hashed
 * by its page number, a few probes) and its ASID is the slot's index + 1, so
 * two live roots never share one and a switch invalidates nothing. A root
 * without a slot (the table's probes full, a root that was never initialised)
 * runs with ASID 0, and loading it invalidates every EL1&0 translation first,
 * as x86-64's CR3 write drops non-global ones. arch_pt_destroy frees the slot
 * after invalidating the ASID's translations.
 */
#ifndef WEFT_ARCH_VM_CPU_H
#define WEFT_ARCH_VM_CPU_H

#include "types.h"

#define ASID_SLOTS 1024 /* a power of two; ASIDs 1-1024 need 16-bit ASIDs */
#define ASID_PROBE 8

/* root (a page address) or 0 for a free slot; set by vm_cpu.c. */
extern paddr_t asid_table[ASID_SLOTS];
/* Slots in use: ASID_SLOTS with 16-bit ASIDs, 255 with 8-bit ones. */
extern unsigned asid_slots;

/* root's ASID, or 0 when it has none. */
static inline unsigned asid_of(paddr_t root)
{
    unsigned i = (unsigned)(root >> 12);
    for (unsigned n = 0; n < ASID_PROBE; n++, i++) {
        unsigned s = i & (ASID_SLOTS - 1);
        if (asid_table[s] == root && s < asid_slots)
            return s + 1;
    }
    return 0;
}

static inline void arch_vspace_load(paddr_t root)
{
    unsigned asid = asid_of(root);
    if (__builtin_expect(asid != 0, 1)) {
        __asm__ volatile("dsb ishst\n\tmsr ttbr0_el1, %0\n\tisb"
                         :
                         : "r"(root | (uint64_t)asid << 48)
                         : "memory");
        return;
    }
    __asm__ volatile("msr ttbr0_el1, %0\n\tisb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb"
                     :
                     : "r"(root)
                     : "memory");
}

#endif
