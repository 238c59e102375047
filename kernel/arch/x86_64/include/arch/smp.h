/*
 * x86-64 CPU start-up (smp.c, trampoline.S): the trampoline's pages below
 * 1 MiB and the layout of its data block, shared by C and assembly.
 */
#ifndef WEFT_ARCH_X86_64_SMP_H
#define WEFT_ARCH_X86_64_SMP_H

/* The trampoline takes four pages of conventional memory: its code and data,
 * then the PML4, PDPT and PD of the page table it runs on. */
#define SMP_TRAMPOLINE_PAGES 4
#define SMP_TRAMPOLINE_SIZE  (SMP_TRAMPOLINE_PAGES * 4096)

/* The data block, at SMP_TD from the trampoline's start. */
#define SMP_TD         0x400
#define SMP_TD_GDTR    (SMP_TD + 0)  /* limit (2), base (4) */
#define SMP_TD_JUMP32  (SMP_TD + 8)  /* far pointer: offset (4), selector (2) */
#define SMP_TD_JUMP64  (SMP_TD + 16) /* the same, to 64-bit code */
#define SMP_TD_CR3_LOW (SMP_TD + 24) /* the trampoline's PML4 (below 4 GiB) */
#define SMP_TD_EFER    (SMP_TD + 32)
#define SMP_TD_CR0     (SMP_TD + 40)
#define SMP_TD_ENTRY64 (SMP_TD + 48) /* smp_ap_entry64 */
#define SMP_TD_KCR3    (SMP_TD + 56) /* the kernel's page table */
#define SMP_TD_CR4     (SMP_TD + 64)
#define SMP_TD_STACK   (SMP_TD + 72) /* the starting CPU's kernel stack top */
#define SMP_TD_CENTRY  (SMP_TD + 80) /* the C entry */
#define SMP_TD_GDT     (SMP_TD + 96) /* null, 32-bit code 0x08, data 0x10, 64-bit code 0x18 */
#define SMP_TD_SIZE    (96 + 32)

#ifndef __ASSEMBLER__
#include "types.h"

/* The trampoline's physical address: four free pages of conventional memory
 * that kmain (entry.c) finds before the first MiB is reserved; 0: none. */
extern paddr_t smp_trampoline_pa;
#endif

#endif
