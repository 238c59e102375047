/*
 * x86_64 virtual memory layout.
 *
 *   0x0000000000000000 - 0x00007fffffffffff   user (lower canonical half)
 *   0xffff800000000000 - 0xffffbfffffffffff   direct map of all RAM (64 TiB)
 *   0xffffffff40000000 - 0xffffffff7fffffff   MMIO window (device mappings)
 *   0xffffffff80000000 - ...                  kernel image (-2 GiB, mcmodel=kernel)
 */
#ifndef WEFT_ARCH_MEMLAYOUT_H
#define WEFT_ARCH_MEMLAYOUT_H

#define KERNEL_VMA      0xffffffff80000000ull
#define KERNEL_PHYS     0x200000ull
#define DIRECT_MAP_BASE 0xffff800000000000ull
#define DIRECT_MAP_SIZE 0x0000400000000000ull
#define MMIO_BASE       0xffffffff40000000ull
#define MMIO_SIZE       0x0000000040000000ull
#define USER_TOP        0x0000800000000000ull

#ifndef __ASSEMBLER__
#include "types.h"

/* Kernel pointer for physical address pa through the direct map. */
static inline void *phys_to_virt(paddr_t pa)
{
    return (void *)(uintptr_t)(pa + DIRECT_MAP_BASE);
}

/* Physical address of a direct-map or kernel-image pointer. */
static inline paddr_t virt_to_phys(const void *va)
{
    uintptr_t v = (uintptr_t)va;
    return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}
#endif

#endif
