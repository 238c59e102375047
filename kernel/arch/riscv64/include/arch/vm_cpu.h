/*
 * The CPU side of user address spaces that must be inline (riscv64): loading
 * a VSpace's root into satp with its ASID (the rest is
 * kernel/arch/riscv64/vm_cpu.c).
 *
 * ASIDs, as aarch64's (decision 132): every root arch_pt_init_root sees gets
 * a slot in asid_table (hashed by its page number, a few probes) and its ASID
 * is the slot's index + 1, so two live roots never share one and a switch
 * invalidates nothing. A root without a slot (probes full, more slots than
 * the hart's ASID bits allow, a root never initialised) runs with ASID 0 and
 * loading it invalidates every non-global translation first. The kernel's
 * own mappings are global (PTE_G). Once several harts run, a hart that loads
 * another root drops the old root's ASID from its TLB (decision 157): the
 * generic shootdown reaches only the harts that have a space loaded.
 */
#ifndef WEFT_ARCH_VM_CPU_H
#define WEFT_ARCH_VM_CPU_H

#include "types.h"
#include "arch/percpu.h"

#define ASID_SLOTS 1024 /* a power of two */
#define ASID_PROBE 8

/* root (a page address) or 0 for a free slot; set by vm_cpu.c. */
extern paddr_t asid_table[ASID_SLOTS];
/* Slots usable: ASID_SLOTS, or fewer when the hart has fewer ASID bits. */
extern unsigned asid_slots;
/* satp's MODE field (Sv48), set at boot. */
extern uint64_t riscv_satp_mode;

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

/* arch_vspace_load's satp write once several harts run (vm_cpu.c). */
void riscv_vspace_load_smp(uint64_t satp);

static inline void arch_vspace_load(paddr_t root)
{
    unsigned asid = asid_of(root);
    uint64_t satp = riscv_satp_mode | (uint64_t)asid << 44 | root >> 12;
    if (__builtin_expect(riscv_this_cpu()->klock_on != 0, 0)) {
        riscv_vspace_load_smp(satp);
        return;
    }
    if (__builtin_expect(asid != 0, 1)) {
        __asm__ volatile("fence w, w\n\tcsrw satp, %0" : : "r"(satp) : "memory");
        return;
    }
    __asm__ volatile("csrw satp, %0\n\tsfence.vma" : : "r"(satp) : "memory");
}

#endif
