/*
 * The CPU side of user address spaces that must be inline (x86-64): what the
 * IPC fast path needs to switch page tables without a call. The rest is
 * kernel/arch/x86_64/vm_cpu.c (contract in arch.h: arch_vspace_switch).
 */
#ifndef WEFT_ARCH_VM_CPU_H
#define WEFT_ARCH_VM_CPU_H

#include "types.h"

/* Loads the top-level table at root, a VSpace's (never 0): arch_vspace_switch
 * without the case of the kernel's own tables. One instruction. */
static inline void arch_vspace_load(paddr_t root)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(root) : "memory");
}

#endif
