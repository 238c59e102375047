/*
 * The CPU side of user address spaces that must be inline (aarch64): loading a
 * VSpace's root into TTBR0_EL1 with its ASID (the rest is
 * kernel/arch/aarch64/vm_cpu.c).
 *
 * ASIDs by generation (decision 185, genarch/asid.h): a VSpace's ASID word
 * of the current generation goes into TTBR0's ASID field with the root, and
 * nothing is invalidated; a stale word (never loaded, or of an earlier
 * generation) is given an ASID first (asid_assign, through
 * aarch64_asid_miss: a call the compiler does not see, which keeps every
 * register but x16, x17 and x30, so that the IPC fast path, which switches
 * inline, saves nothing more for it). A root
 * without a word (the kernel's own lower half, a self-test's bare tables)
 * runs with ASID 0, and loading it invalidates every EL1&0 translation
 * first, as x86-64's CR3 write drops non-global ones.
 */
#ifndef WEFT_ARCH_VM_CPU_H
#define WEFT_ARCH_VM_CPU_H

#include "genarch/asid.h"
#include "types.h"

static inline void arch_vspace_load(paddr_t root, uint64_t *asid)
{
    if (__builtin_expect(asid != NULL, 1)) {
        uint64_t w = *asid;
        if (__builtin_expect(!asid_current(w), 0)) {
            register uint64_t x16 __asm__("x16") = (uint64_t)asid;
            __asm__ volatile("bl aarch64_asid_miss" : "+r"(x16) : : "x17", "x30", "cc", "memory");
            w = x16;
        }
        __asm__ volatile("dsb ishst\n\tmsr ttbr0_el1, %0\n\tisb"
                         :
                         : "r"(root | w << 48) /* the word's ASID, its generation shifted out */
                         : "memory");
        return;
    }
    __asm__ volatile("msr ttbr0_el1, %0\n\tisb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb"
                     :
                     : "r"(root)
                     : "memory");
}

#endif
