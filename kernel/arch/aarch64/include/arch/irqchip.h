/*
 * The interrupt controller behind IRQHandler caps (kernel/obj/irq.h) on aarch64:
 * GICv2 or GICv3 (kernel/arch/aarch64/gic.c). Line n is SPI n (INTID 32 + n).
 * When an enabled line fires, the GIC code masks it, ends the interrupt (EOI)
 * and calls irq_deliver(line); the line stays masked until arch_irq_unmask.
 */
#ifndef WEFT_ARCH_IRQCHIP_H
#define WEFT_ARCH_IRQCHIP_H

#include "types.h"

/* Most lines the kernel handles (its line table's size). */
#define IRQ_LINES_MAX 64

/* Maps and initialises the GIC the device tree names, routes every SPI to
 * this CPU masked, and enables the timer's PPI. Panics without a GIC. */
void irqchip_init(void);

/* Number of lines userspace may name (0 before irqchip_init). */
unsigned arch_irq_lines(void);

/* True: every line's trigger can be chosen (the x86 name: lines through an
 * I/O APIC rather than the fixed 8259). */
bool arch_irq_ioapic(void);

/* True when line (< arch_irq_lines()) may be handed out: not the console
 * UART's. */
bool arch_irq_line_free_for_user(unsigned line);

/* The trigger (enum wf_irq_trigger, never DEFAULT) line gets for the requested
 * trigger, or 0 when the GIC cannot do it (active low). */
unsigned arch_irq_resolve_trigger(unsigned line, unsigned trigger);

/* Programs line with a trigger from arch_irq_resolve_trigger, masked. */
void arch_irq_setup(unsigned line, unsigned trigger);

/* Masks / unmasks line (set up by arch_irq_setup). */
void arch_irq_mask(unsigned line);
void arch_irq_unmask(unsigned line);

/* Self-tests: true when the line is disabled in the distributor. */
bool arch_irq_is_masked(unsigned line);

#endif
