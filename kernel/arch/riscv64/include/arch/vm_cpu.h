/*
 * The CPU side of user address spaces that must be inline (riscv64): loading
 * a VSpace's root into satp with its ASID (the rest is
 * kernel/arch/riscv64/vm_cpu.c).
 *
 * ASIDs by generation (decision 185, genarch/asid.h): a VSpace's ASID word
 * of the current generation goes into satp's ASID field with the root, and
 * nothing is invalidated; a stale word (never loaded, or of an earlier
 * generation) is given an ASID first (asid_assign, called from vspace.S). A
 * root without a word (the kernel's own, a self-test's bare tables) runs
 * with ASID 0 and loading it invalidates every non-global translation
 * first. The kernel's own mappings are global (PTE_G).
 *
 * sfence.vma is the hart's own: a hart keeps a space's translations after it
 * loads another root, so a VSpace's CPU mask keeps every hart that ran it
 * (ARCH_VSPACE_TAGGED, obj/vspace.h) and the generic shootdown reaches them;
 * one without the space loaded forgets it (arch_vspace_forget: its whole
 * TLB, the space's ASID is not at hand there), as does every hart of the
 * mask when the space dies, before its ASID is freed.
 */
#ifndef WEFT_ARCH_VM_CPU_H
#define WEFT_ARCH_VM_CPU_H

#include "genarch/asid.h"

#ifndef __ASSEMBLER__
#include "types.h"

/* satp's MODE field (Sv48), set at boot. */
extern uint64_t riscv_satp_mode;

#define ARCH_VSPACE_TAGGED 1

/* This hart drops the translations of the space whose root is root (every
 * non-global one: vm_cpu.c). */
void arch_vspace_forget(paddr_t root);

/* The ASID width from satp, for genarch/asid.c (vm_cpu.c; boot hart,
 * arch_mmu_init). */
void riscv_asid_init(void);

/* Loads root (a root table's physical address) into satp with the ASID of
 * the word at asid (NULL: none, ASID 0): vspace.S, called by `call t0` (no
 * call the compiler sees; its registers: t0 the link, t1 the root, t2 the
 * word's address, t3-t4), so that the IPC fast path keeps no register across
 * it. */
static inline __attribute__((always_inline)) void arch_vspace_load(paddr_t root, uint64_t *asid)
{
    register paddr_t r __asm__("t1") = root;
    register uint64_t *w __asm__("t2") = asid;
    __asm__ volatile("call t0, riscv_vspace_load_fast"
                     : "+r"(r), "+r"(w)
                     :
                     : "t0", "t3", "t4", "memory");
}

#endif

#endif
