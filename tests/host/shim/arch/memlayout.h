/*
 * Host stand-in for arch/memlayout.h: kernel code compiled for the host sees
 * "physical memory" as a buffer the test owns. host_phys_base is the host
 * address of physical address 0 (set by the test or simulator).
 */
#ifndef WEFT_ARCH_MEMLAYOUT_H
#define WEFT_ARCH_MEMLAYOUT_H

#include "types.h"

extern uintptr_t host_phys_base;

/* End of the user half of an address space (as on x86-64). */
#define USER_TOP 0x0000800000000000ull

static inline void *phys_to_virt(paddr_t pa)
{
    return (void *)(host_phys_base + (uintptr_t)pa);
}

static inline paddr_t virt_to_phys(const void *va)
{
    return (paddr_t)((uintptr_t)va - host_phys_base);
}

#endif
