/*
 * Host stand-in for the interrupt controller (arch/irqchip.h): a model chip with
 * 24 lines (I/O APIC style) whose mask bits host tests can read. The refused I/O
 * ports are the kernel's own list (kernel/arch/x86_64/ioport.c, in HOST_SHIM);
 * no port is ever accessed on the host (arch/ioport.h's shim).
 */
#include "arch/irqchip.h"
#include "weft/objects.h"

#define HOST_IRQ_LINES 24

uint64_t irqchip_spurious;
static bool masked[IRQ_LINES_MAX];
static bool set_up[IRQ_LINES_MAX];

void irqchip_init(void)
{
    for (unsigned l = 0; l < IRQ_LINES_MAX; l++)
        masked[l] = true;
}

unsigned arch_irq_lines(void)
{
    return HOST_IRQ_LINES;
}

bool arch_irq_ioapic(void)
{
    return true;
}

bool arch_irq_line_free_for_user(unsigned line)
{
    return line < HOST_IRQ_LINES && line != 0 && line != 2;
}

unsigned arch_irq_resolve_trigger(unsigned line, unsigned trigger)
{
    if (trigger > WF_IRQ_TRIGGER_LEVEL_HIGH)
        return 0;
    if (trigger == WF_IRQ_TRIGGER_DEFAULT)
        return line < 16 ? WF_IRQ_TRIGGER_EDGE_HIGH : WF_IRQ_TRIGGER_LEVEL_LOW;
    return trigger;
}

void arch_irq_setup(unsigned line, unsigned trigger)
{
    (void)trigger;
    set_up[line] = true;
    masked[line] = true;
}

void arch_irq_mask(unsigned line)
{
    masked[line] = true;
}

void arch_irq_unmask(unsigned line)
{
    masked[line] = false;
}

bool arch_irq_is_masked(unsigned line)
{
    return masked[line];
}
