/*
 * x86_64 4-level page-table entries, through named accessors (no bitfields).
 */
#ifndef WEFT_ARCH_MMU_H
#define WEFT_ARCH_MMU_H

#include "arch/x86.h"
#include "types.h"

typedef uint64_t pte_t;

#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

static inline bool pte_present(pte_t e)
{
    return e & PTE_P;
}

static inline bool pte_writable(pte_t e)
{
    return e & PTE_W;
}

static inline bool pte_nx(pte_t e)
{
    return e & PTE_NX;
}

static inline bool pte_large(pte_t e)
{
    return e & PTE_PS;
}

static inline paddr_t pte_addr(pte_t e)
{
    return e & PTE_ADDR;
}

static inline unsigned pt_index(vaddr_t va, unsigned level)
{
    return (va >> (12 + 9 * level)) & 511;
}

/* Mapping permissions for mmu_map_range. */
#define MAP_R  0u
#define MAP_W  1u
#define MAP_X  2u
#define MAP_UC 4u /* uncached (device memory) */

/* The leaf entry that translates va in the kernel's tables and its level (0: 4
 * KiB, 1: 2 MiB, 2: 1 GiB); returns 0 when va is not mapped. */
pte_t mmu_lookup(vaddr_t va, unsigned *level);

/* Physical address of the kernel's own top-level table (what user address spaces
 * copy their upper half from, and what runs when none is active). */
paddr_t arch_kernel_root(void);

/* PTE_NX where the CPU has it, else 0 (set by arch_mmu_init; read by pt.c). */
extern uint64_t pt_nx_bit;

#endif
