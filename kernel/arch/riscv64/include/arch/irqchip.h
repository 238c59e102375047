/*
 * The interrupt controller behind IRQHandler caps (kernel/obj/irq.h) on
 * riscv64: the PLIC the device tree names (kernel/arch/riscv64/plic.c), this
 * hart's S-mode context. Line n is PLIC source n + 1 (source 0 does not
 * exist). When an enabled line fires, the PLIC code claims it, masks it,
 * completes it and calls irq_deliver(line); the line stays masked until
 * arch_irq_unmask.
 */
#ifndef WEFT_ARCH_IRQCHIP_H
#define WEFT_ARCH_IRQCHIP_H

#include "types.h"

/* Most lines the kernel handles (its line table's size). */
#define IRQ_LINES_MAX 64

/* Maps and initialises the PLIC the device tree names: every source masked,
 * priority 1, threshold 0 for this hart's S-mode context; enables external
 * interrupts (sie.SEIE). Panics without a PLIC. */
void irqchip_init(void);

/* Number of lines userspace may name (0 before irqchip_init). */
unsigned arch_irq_lines(void);

/* True: lines are set up by the caller's trigger choice (the x86 name). */
bool arch_irq_ioapic(void);

/* True when line may be handed out: below arch_irq_lines() (the console
 * UART's included: decision 143). */
bool arch_irq_line_free_for_user(unsigned line);

/* The trigger (enum wf_irq_trigger, never DEFAULT) line gets for the requested
 * trigger, or 0 when the PLIC cannot do it. The PLIC's gateways take level
 * and edge alike, active high (what virt's devices raise). */
unsigned arch_irq_resolve_trigger(unsigned line, unsigned trigger);

/* Sets line up, masked. */
void arch_irq_setup(unsigned line, unsigned trigger);

/* Masks / unmasks line (set up by arch_irq_setup). */
void arch_irq_mask(unsigned line);
void arch_irq_unmask(unsigned line);

/* Self-tests: true when the line is disabled for this hart's context. */
bool arch_irq_is_masked(unsigned line);

#endif
