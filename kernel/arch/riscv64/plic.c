/*
 * The PLIC the device tree names (riscv,plic0 or sifive,plic-1.0.0; QEMU virt
 * at 0xc000000), through the boot hart's S-mode context. QEMU virt numbers
 * contexts two per hart, M-mode then S-mode, so the context is 2 * hart + 1
 * (the tree's interrupts-extended says the same; the reader does not keep
 * it). Every source gets priority 1 and stays disabled; the threshold is 0.
 *
 * Device lines (arch/irqchip.h): line n is source n + 1, n below
 * IRQ_LINES_MAX and riscv,ndev; the console UART's too, for a user console
 * server (the kernel enables none of the UART's interrupts).
 * Triggers: the PLIC's gateways turn level and edge alike into one pending
 * request, active high (what virt's devices raise); active-low triggers are
 * refused. An interrupt on a set up line is claimed, completed, masked and
 * delivered (irq_deliver); a claimed source nobody set up is masked.
 */
#include "arch.h"
#include "arch/irqchip.h"
#include "arch/riscv.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "obj/irq.h"
#include "panic.h"
#include "weft/objects.h"

#define PLIC_PRIORITY(src)  (4 * (src))
#define PLIC_PENDING        0x1000
#define PLIC_ENABLE(ctx)    (0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)     (0x200000 + 0x1000 * (ctx) + 4)

static volatile void *plic;
static unsigned ctx, nsources, user_lines;
static bool line_set_up[IRQ_LINES_MAX];

static void enable(unsigned src, bool on)
{
    unsigned reg = PLIC_ENABLE(ctx) + (src / 32) * 4;
    uint32_t v = mmio_read32(plic, reg);
    v = on ? v | (1u << (src % 32)) : v & ~(1u << (src % 32));
    mmio_write32(plic, reg, v);
}

void irqchip_init(void)
{
    const struct fdt_info *f = &boot_fdt;
    if (f->intc.kind != FDT_INTC_PLIC)
        panic("irqchip: the device tree names no PLIC");
    uint64_t size = f->intc.dist_size ? f->intc.dist_size : 0x400000;
    ctx = 2 * (unsigned)boot_hartid + 1;
    if (PLIC_CLAIM(ctx) + 4 > size)
        panic("irqchip: the PLIC (%#llx bytes) has no context %u", (unsigned long long)size, ctx);
    plic = arch_mmio_map(f->intc.dist_base, size);
    nsources = f->intc.ndev ? f->intc.ndev + 1 : 32;
    if (nsources > 1024)
        nsources = 1024;
    user_lines = nsources - 1 < IRQ_LINES_MAX ? nsources - 1 : IRQ_LINES_MAX;
    for (unsigned s = 1; s < nsources; s++) {
        enable(s, false);
        mmio_write32(plic, PLIC_PRIORITY(s), 1);
    }
    mmio_write32(plic, PLIC_THRESHOLD(ctx), 0);
    csr_set(sie, IE_SEIE);
    kprintf("irqchip: PLIC at %#llx, context %u, %u sources, %u lines for IRQHandler caps\n",
            (unsigned long long)f->intc.dist_base, ctx, nsources - 1, user_lines);
}

void plic_handle_irq(void)
{
    for (;;) {
        uint32_t src = mmio_read32(plic, PLIC_CLAIM(ctx));
        if (!src)
            return;
        /* Completed while still enabled (the PLIC ignores the completion
         * of a source disabled for the context), then masked. */
        mmio_write32(plic, PLIC_CLAIM(ctx), src);
        enable(src, false);
        unsigned line = src - 1;
        if (line < user_lines && line_set_up[line])
            irq_deliver(line);
    }
}

unsigned arch_irq_lines(void)
{
    return user_lines;
}

bool arch_irq_ioapic(void)
{
    return true;
}

/* Every line, the console UART's included: the kernel enables none of the
 * UART's interrupts and a user console server takes its line (decision 143). */
bool arch_irq_line_free_for_user(unsigned line)
{
    return line < user_lines;
}

unsigned arch_irq_resolve_trigger(unsigned line, unsigned trigger)
{
    (void)line;
    switch (trigger) {
    case WF_IRQ_TRIGGER_DEFAULT:
    case WF_IRQ_TRIGGER_LEVEL_HIGH:
        return WF_IRQ_TRIGGER_LEVEL_HIGH;
    case WF_IRQ_TRIGGER_EDGE_HIGH:
        return WF_IRQ_TRIGGER_EDGE_HIGH;
    default:
        return 0;
    }
}

void arch_irq_setup(unsigned line, unsigned trigger)
{
    assert(line < user_lines && trigger != WF_IRQ_TRIGGER_DEFAULT);
    enable(line + 1, false);
    line_set_up[line] = true;
}

void arch_irq_mask(unsigned line)
{
    assert(line < user_lines);
    enable(line + 1, false);
}

void arch_irq_unmask(unsigned line)
{
    assert(line < user_lines && line_set_up[line]);
    enable(line + 1, true);
    /* QEMU 7.2's PLIC recomputes its outputs on a threshold write but not on
     * an enable write: without this, a request that arrived while the line
     * was masked would wait for the next unrelated PLIC event. */
    mmio_write32(plic, PLIC_THRESHOLD(ctx), 0);
}

bool arch_irq_is_masked(unsigned line)
{
    unsigned src = line + 1;
    return !(mmio_read32(plic, PLIC_ENABLE(ctx) + (src / 32) * 4) & (1u << (src % 32)));
}
