/*
 * The CPU primitives generic code may use (static inline; part of the
 * architecture contract, kernel/include/arch.h). aarch64's own system
 * registers are in arch/aarch64.h, which only kernel/arch/aarch64/ includes.
 */
#ifndef WEFT_ARCH_CPU_H
#define WEFT_ARCH_CPU_H

#include "types.h"

static inline void cpu_relax(void)
{
    __asm__ volatile("yield");
}

static inline void irq_enable(void)
{
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

static inline void irq_disable(void)
{
    __asm__ volatile("msr daifset, #2" ::: "memory");
}

/* Waits for an interrupt and takes it, leaving interrupts enabled: wfi wakes
 * on a pending interrupt even while it is masked, so none is lost between the
 * two instructions. */
static inline void cpu_wait_irq(void)
{
    __asm__ volatile("wfi\n\tmsr daifclr, #2\n\tisb" ::: "memory");
}

#endif
