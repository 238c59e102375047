/*
 * The CPU primitives generic code may use (static inline; part of the
 * architecture contract, kernel/include/arch.h). riscv64's own CSRs and SBI
 * calls are in arch/riscv.h, which only kernel/arch/riscv64/ includes.
 */
#ifndef WEFT_ARCH_CPU_H
#define WEFT_ARCH_CPU_H

#include "types.h"

static inline void cpu_relax(void)
{
    __asm__ volatile("nop");
}

static inline void irq_enable(void)
{
    __asm__ volatile("csrsi sstatus, 2" ::: "memory");
}

static inline void irq_disable(void)
{
    __asm__ volatile("csrci sstatus, 2" ::: "memory");
}

/* Waits for an interrupt and takes it, leaving interrupts enabled: wfi wakes
 * on a pending enabled interrupt even while sstatus.SIE is clear, so none is
 * lost between the two instructions. */
static inline void cpu_wait_irq(void)
{
    __asm__ volatile("wfi\n\tcsrsi sstatus, 2" ::: "memory");
}

#endif
