/*
 * riscv64 virtual memory layout: 4 KiB pages, one root (satp) for both
 * halves, Sv48 (48-bit addresses, four levels) where the hart has it, else
 * Sv39 (39-bit, three levels; mmu.c probes, decision 177):
 *
 *   0x0000000000000000 - 0x00007fffffffffff   user, Sv48 (root entries 0-255)
 *   0x0000000000000000 - 0x0000003fffffffff   user, Sv39 (root entries 0-255)
 *   0xffffffc000000000 - 0xfffffffebfffffff   direct map of RAM (251 GiB)
 *   0xfffffffec0000000 - 0xfffffffeffffffff   MMIO window (device mappings)
 *   0xffffffff00000000 - ...                  kernel window: physical 0 and up;
 *                                             the image at KERNEL_VMA + KERNEL_PHYS
 *
 * The kernel's half is the same in both modes: it fits Sv39's upper 256 GiB
 * (under Sv48 it is the last root entry's 512 GiB), so every kernel address
 * is a constant and only the user top differs, a run-time value
 * (riscv_user_top; user space reads it from its bootinfo, user_top). The
 * direct map reaches physical addresses below 251 GiB (QEMU virt's RAM starts
 * at 2 GiB). The kernel window starts 2 GiB below x86-64's: RAM on QEMU virt
 * starts at 2 GiB, and the image (at KERNEL_PHYS, the base of RAM plus the
 * Linux RISC-V header's text_offset; decision 152) would lie past the top of
 * the address space at x86-64's KERNEL_VMA + KERNEL_PHYS.
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
#define DIRECT_MAP_BASE UL(0xffffffc000000000)
#define MMIO_BASE       UL(0xfffffffec0000000)
#define MMIO_SIZE       UL(0x0000000040000000)
#define DIRECT_MAP_SIZE (MMIO_BASE - DIRECT_MAP_BASE)
#define USER_TOP_SV48   UL(0x0000800000000000)
#define USER_TOP_SV39   UL(0x0000004000000000)

/* Frame records: s0 (the frame pointer) points just above {caller's s0, ra}
 * (genarch/backtrace.c reads the record at fp - FRAME_RECORD_BIAS). */
#define FRAME_RECORD_BIAS 16

#ifndef __ASSEMBLER__
#include "types.h"

/* The end of the user half: USER_TOP_SV48 or USER_TOP_SV39 (mmu.c). */
extern uint64_t riscv_user_top;
#define USER_TOP riscv_user_top

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
