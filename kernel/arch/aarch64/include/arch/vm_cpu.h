/*
 * The CPU side of user address spaces that must be inline (aarch64): loading a
 * VSpace's root into TTBR0_EL1. No user address spaces exist on aarch64 yet;
 * this is the contract's one-instruction switch for when they do (ASIDs are
 * not used: the caller invalidates the TLB).
 */
#ifndef WEFT_ARCH_VM_CPU_H
#define WEFT_ARCH_VM_CPU_H

#include "types.h"

static inline void arch_vspace_load(paddr_t root)
{
    __asm__ volatile("msr ttbr0_el1, %0\n\tisb" : : "r"(root) : "memory");
}

#endif
