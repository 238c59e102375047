/*
 * aarch64 virtual memory layout (4 KiB granule, 48-bit virtual addresses, four
 * levels; TTBR0 the lower half, TTBR1 the upper):
 *
 *   0x0000000000000000 - 0x0000ffffffffffff   user (TTBR0; walks off in the kernel)
 *   0xffff800000000000 - 0xffffbfffffffffff   direct map of all RAM (64 TiB)
 *   0xffffffff40000000 - 0xffffffff7fffffff   MMIO window (device mappings)
 *   0xffffffff80000000 - ...                  kernel window: physical 0 and up; the
 *                                             image at KERNEL_VMA + KERNEL_PHYS
 *
 * The same layout as x86-64's. The image must be loaded at KERNEL_PHYS (QEMU
 * virt's RAM base plus the header's text_offset; decision 124).
 */
#ifndef WEFT_ARCH_MEMLAYOUT_H
#define WEFT_ARCH_MEMLAYOUT_H

#ifdef __ASSEMBLER__
#define UL(x) x
#else
#define UL(x) x##ull
#endif

#define KERNEL_VMA      UL(0xffffffff80000000)
#define KERNEL_PHYS     UL(0x40200000)
#define DIRECT_MAP_BASE UL(0xffff800000000000)
#define DIRECT_MAP_SIZE UL(0x0000400000000000)
#define MMIO_BASE       UL(0xffffffff40000000)
#define MMIO_SIZE       UL(0x0000000040000000)
#define USER_TOP        UL(0x0001000000000000)

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
