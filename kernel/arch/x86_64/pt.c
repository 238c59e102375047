/*
 * Page tables of user address spaces on x86-64: the walk is generic
 * (kernel/mm/pt.c), the entry format is arch/pt.h; here is the one piece of
 * state it reads.
 */
#include "arch.h"
#include "arch/mmu.h"

uint64_t pt_nx_bit = PTE_NX; /* cleared by arch_mmu_init when the CPU has no NX */
