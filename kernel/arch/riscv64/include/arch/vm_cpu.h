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

#define ASID_SLOTS 1024 /* a power of two */
#define ASID_PROBE 8

#ifndef __ASSEMBLER__
#include "types.h"

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

/* Loads root (a root table's physical address) into satp with its ASID:
 * vspace.S, called by `call t0` (no call the compiler sees; its registers: t0 the
 * link, t1 the root, t2-t4), so that the IPC fast path keeps no register
 * across it. */
static inline __attribute__((always_inline)) void arch_vspace_load(paddr_t root)
{
    register paddr_t r __asm__("t1") = root;
    __asm__ volatile("call t0, riscv_vspace_load_fast"
                     : "+r"(r)
                     :
                     : "t0", "t2", "t3", "t4", "memory");
}

#endif

#endif
