/*
 * The CPU primitives generic code may use (static inline; part of the
 * architecture contract, kernel/include/arch.h): a spin-wait hint and the
 * interrupt flag. x86-64's own instructions (ports, MSRs, control registers,
 * CPUID, the TSC) are in arch/x86.h, which only kernel/arch/x86_64/ includes.
 */
#ifndef WEFT_ARCH_CPU_H
#define WEFT_ARCH_CPU_H

#include "types.h"

static inline void cpu_relax(void)
{
    __asm__ volatile("pause");
}

static inline void irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}

static inline void irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}

/* Enables interrupts and waits for one, atomically (sti; hlt). */
static inline void cpu_wait_irq(void)
{
    __asm__ volatile("sti; hlt" ::: "memory");
}

#endif
