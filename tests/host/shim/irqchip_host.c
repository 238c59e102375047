/*
 * Host stand-in for the interrupt controller (arch/irqchip.h) and the reserved
 * I/O ports (arch/ioport.h): a model chip with 24 lines (I/O APIC style) whose
 * mask bits host tests can read, and the kernel's reserved port list. No port is
 * ever accessed on the host (the IOPort decoders' in/out run only in the guest).
 */
#include "arch/ioport.h"
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

bool arch_port_reserved(unsigned first, unsigned last)
{
    static const unsigned kept[][2] = {{0x20, 0x21}, {0x40, 0x43},   {0x61, 0x61},
                                       {0xa0, 0xa1}, {0x3f8, 0x3ff}, {0x501, 0x502}};
    for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        if (first <= kept[i][1] && last >= kept[i][0])
            return true;
    return false;
}
