/*
 * The CPU side of user address spaces that must be inline (x86-64): what the
 * IPC fast path needs to switch page tables without a call. The rest is
 * kernel/arch/x86_64/vm_cpu.c (contract in arch.h: arch_vspace_switch).
 *
 * X86_PCID=1 builds (decision 174) tag each VSpace's translations with a PCID
 * from a per-CPU table of recently loaded roots (X86_PCID_SLOTS of them, PCIDs
 * 1 to X86_PCID_SLOTS; PCID 0 is the kernel's own tables and any other root
 * arch_vspace_switch loads). A root found there is loaded with the no-flush bit:
 * its translations on this CPU are current, since every change to its tables
 * either invalidated them here (the root was loaded) or made this CPU forget
 * the root (arch_vspace_forget, from the shootdown: a CPU keeps its bit in the
 * VSpace's mask while the root is in its table). A root not found takes the
 * next slot round robin and is loaded without it, which flushes what that
 * PCID tagged. Where CPUID has no PCID (QEMU's TCG) the table is kept all the
 * same and every load flushes.
 */
#ifndef WEFT_ARCH_VM_CPU_H
#define WEFT_ARCH_VM_CPU_H

#include "types.h"

#ifndef X86_PCID
#define X86_PCID 0
#endif
#define X86_PCID_SLOTS 8

#if X86_PCID
/* A CPU keeps a VSpace's translations after it loads another root: the
 * VSpace's CPU mask keeps it (obj/vspace.h). */
#define ARCH_VSPACE_TAGGED 1

/* Whether CR4.PCIDE is on (CPUID has PCID): the table's PCIDs reach CR3. */
extern bool x86_pcid_hw;

/* What a hit in slot i adds to the root in CR3: PCID i + 1 and the no-flush
 * bit when PCIDE is on, else nothing. */
extern uint64_t x86_pcid_tag[X86_PCID_SLOTS];

/* The per-CPU block's pcid_root (struct percpu, checked in arch/context.h). */
#define PERCPU_PCID_ROOT 248

/* A miss: root takes the next slot and is loaded with a flush (vm_cpu.c). */
void x86_pcid_miss(paddr_t root);

/* This CPU forgets root's translations: its next load flushes them. */
void arch_vspace_forget(paddr_t root);

/* Loads the VSpace root through this CPU's PCID table: the slots are compared
 * inline (the IPC fast path's switch), a miss is a call. The ASID word of the
 * contract is not used: PCIDs come from the table. */
static inline void arch_vspace_load(paddr_t root, uint64_t *asid)
{
    (void)asid;
    const uint64_t __attribute__((address_space(256))) *t =
        (const uint64_t __attribute__((address_space(256))) *)PERCPU_PCID_ROOT;
    for (unsigned i = 0; i < X86_PCID_SLOTS; i++) {
        if (t[i] == root) {
            uint64_t cr3 = root | x86_pcid_tag[i];
            __asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
            return;
        }
    }
    x86_pcid_miss(root);
}
#else
/* Loads the top-level table at root, a VSpace's (never 0): arch_vspace_switch
 * without the case of the kernel's own tables. One instruction; no ASIDs (the
 * contract's ASID word is not used). */
static inline void arch_vspace_load(paddr_t root, uint64_t *asid)
{
    (void)asid;
    __asm__ volatile("mov %0, %%cr3" : : "r"(root) : "memory");
}
#endif

#endif
