/*
 * The CPU side of user address spaces that must be inline (aarch64): loading a
 * VSpace's root into TTBR0_EL1 (the rest is kernel/arch/aarch64/vm_cpu.c).
 * Without ASIDs (not used yet) the load also invalidates every EL1&0
 * translation, as x86-64's CR3 write does for non-global ones: a few
 * instructions more than x86-64's one.
 */
#ifndef WEFT_ARCH_VM_CPU_H
#define WEFT_ARCH_VM_CPU_H

#include "types.h"

static inline void arch_vspace_load(paddr_t root)
{
    __asm__ volatile("msr ttbr0_el1, %0\n\tisb\n\ttlbi vmalle1\n\tdsb nsh\n\tisb"
                     :
                     : "r"(root)
                     : "memory");
}

#endif
