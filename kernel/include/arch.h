/*
 * The architecture contract. Every architecture provides these functions
 * (named arch_*) and the headers under kernel/arch/<arch>/include/arch/:
 *
 *   arch/memlayout.h   KERNEL_VMA, DIRECT_MAP_BASE, phys_to_virt(), virt_to_phys()
 *   arch/cpu.h         static inline CPU primitives used by generic code
 *
 * Generic code includes only this header and those; it never tests ARCH.
 */
#ifndef WEFT_ARCH_H
#define WEFT_ARCH_H

#include "types.h"
#include "arch/memlayout.h"
#include "arch/cpu.h"

struct bootmem;

/* Early console: brings up the boot UART so kprintf works. No allocation. */
void arch_console_init(void);
/* Writes one byte to the early console (blocking; '\n' is not translated). */
void arch_console_putc(char c);

/* CPU tables: descriptor tables, trap vectors, per-CPU state for the boot CPU. */
void arch_cpu_init(void);

/* Builds the kernel's final address space: the direct map of every RAM region in
 * bm and the kernel image with W^X permissions; switches to it and turns on the
 * protections the CPU has (NX, SMEP, SMAP). Page-table pages come from
 * bootmem_alloc_early(), including a small reserve for later arch_mmio_map
 * calls, so that nothing here takes memory once the PMM owns it. Panics (with
 * the reason) if RAM cannot be mapped. */
void arch_mmu_init(struct bootmem *bm);

/* Maps size bytes of device memory at physical pa uncached; returns the kernel
 * virtual address. Boot-time only; panics if the MMIO window is exhausted. */
volatile void *arch_mmio_map(paddr_t pa, size_t size);

/* Starts the periodic tick at hz. Returns the name of the timer source used. */
const char *arch_timer_init(unsigned hz, bool force_legacy);

/* Number of timer ticks since arch_timer_init (incremented by the interrupt). */
uint64_t arch_ticks(void);

/* Writes a backtrace starting from the given frame pointer and pc to the console. */
void arch_backtrace(uintptr_t fp, uintptr_t pc);

/* Ends the QEMU session with a status when the test exit device is present;
 * returns if it is not (then the caller halts). */
void arch_debug_exit(unsigned status);

/* Self-test support: provokes the fault named by kind ("pf", "ud", ...) so the
 * harness can check the exception report; returns only for an unknown kind. */
void arch_selftest_fault(const char *kind);

/* Name of the kernel function containing pc ("?" outside the kernel's text) and
 * the offset into it. */
const char *ksym_lookup(uintptr_t pc, uintptr_t *offset);

/* Disables interrupts and stops this CPU forever. */
__noreturn void arch_halt(void);

#endif
