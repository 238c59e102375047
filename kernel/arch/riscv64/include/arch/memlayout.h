/*
 * riscv64 virtual memory layout (Sv48: 4 KiB pages, 48-bit virtual addresses,
 * four levels; one root, satp, for both halves):
 *
 *   0x0000000000000000 - 0x00007fffffffffff   user (root entries 0-255)
 *   0xffff800000000000 - 0xffffbfffffffffff   direct map of all RAM (64 TiB)
 *   0xfffffffec0000000 - 0xfffffffeffffffff   MMIO window (device mappings)
 *   0xffffffff00000000 - ...                  kernel window: physical 0 and up;
 *                                             the image at KERNEL_VMA + KERNEL_PHYS
 *
 * x86-64's layout, but for the kernel window, which starts 2 GiB lower: RAM
 * on QEMU virt starts at 2 GiB, and the image (at KERNEL_PHYS, the base of RAM
 * plus the Linux RISC-V header's text_offset; decision 152) would lie past the
 * top of the address space at x86-64's KERNEL_VMA + KERNEL_PHYS.
 */
#ifndef WEFT_ARCH_MEMLAYOUT_H
#define WEFT_ARCH_MEMLAYOUT_H

#ifdef __ASSEMBLER__
#define UL(x) x
#else
#define UL(x) x##ull
#endif

#define KERNEL_VMA      UL(0xffffffff00000000)
#define KERNEL_PHYS     UL(0x80200000)
#define DIRECT_MAP_BASE UL(0xffff800000000000)
#define DIRECT_MAP_SIZE UL(0x0000400000000000)
#define MMIO_BASE       UL(0xfffffffec0000000)
#define MMIO_SIZE       UL(0x0000000040000000)
#define USER_TOP        UL(0x0000800000000000)

/* Frame records: s0 (the frame pointer) points just above {caller's s0, ra}
 * (genarch/backtrace.c reads the record at fp - FRAME_RECORD_BIAS). */
#define FRAME_RECORD_BIAS 16

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
