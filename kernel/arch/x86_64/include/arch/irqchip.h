/*
 * The interrupt controller behind IRQHandler caps (kernel/obj/irq.h): on x86-64
 * the I/O APICs (with the local APIC for EOI) or, without them, the 8259 PICs.
 * The generic IRQ objects name lines; this interface maps them to the chip.
 *
 * Lines: 0-15 are ISA IRQs (routed to their I/O APIC input by the MADT's
 * overrides), 16 and up I/O APIC inputs (global system interrupts). When an
 * enabled line fires, the chip code masks it, acknowledges the interrupt (EOI)
 * and calls irq_deliver(line); the line stays masked until arch_irq_unmask.
 * The implementation is kernel/arch/x86_64/irqchip.c.
 */
#ifndef WEFT_ARCH_IRQCHIP_H
#define WEFT_ARCH_IRQCHIP_H

#include "types.h"

/* Most lines the kernel handles (its line table's size). */
#define IRQ_LINES_MAX 64

/* Sets the controller up (every line masked) and installs the interrupt
 * handlers. Called once at boot after arch_timer_init: the I/O APIC is used
 * when the platform has one and the local APIC timer runs; otherwise the PICs. */
void irqchip_init(void);

/* Number of lines userspace may name (0 before irqchip_init). */
unsigned arch_irq_lines(void);

/* True when lines go through an I/O APIC, false for the 8259 PICs. */
bool arch_irq_ioapic(void);

/* True when line (< arch_irq_lines()) may be handed out: not the kernel's
 * (the timer's IRQ 0, the PIC cascade IRQ 2) and, for a line from 16, not an
 * input that an ISA IRQ is routed to (it is named by its ISA number). */
bool arch_irq_line_free_for_user(unsigned line);

/* The trigger (enum wf_irq_trigger, never DEFAULT) line gets for the requested
 * trigger, or 0 when the chip cannot do it (the PICs do edge, active high only). */
unsigned arch_irq_resolve_trigger(unsigned line, unsigned trigger);

/* Programs line with a trigger from arch_irq_resolve_trigger, masked. */
void arch_irq_setup(unsigned line, unsigned trigger);

/* Masks / unmasks line (set up by arch_irq_setup). */
void arch_irq_mask(unsigned line);
void arch_irq_unmask(unsigned line);

/* Self-tests: true when the line's mask bit in the controller is set. */
bool arch_irq_is_masked(unsigned line);

/* Interrupts that reached the chip code on a vector no line is set up for, or
 * 8259 spurious IRQ 7/15 (ignored, counted). */
extern uint64_t irqchip_spurious;

#endif
