/*
 * The interrupt controller (aarch64: GICv2 or GICv3, kernel/arch/aarch64/gic.c). Only
 * the kernel's own line (the timer) is wired so far; the contract's device
 * lines for user drivers (arch_irq_lines, arch_irq_setup, masking) come with
 * user mode.
 */
#ifndef WEFT_ARCH_IRQCHIP_H
#define WEFT_ARCH_IRQCHIP_H

#include "types.h"

/* Maps and initialises the GIC the device tree names, routes every SPI to
 * this CPU masked, and enables the timer's PPI. Panics without a GIC. */
void irqchip_init(void);

#endif
