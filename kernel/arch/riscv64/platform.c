/*
 * The platform description from the device tree (riscv64's platform_init, in
 * place of genarch/platform.c's ACPI reader): the generic structure gets what
 * it can hold (CPU count, no ACPI, no PC interrupt hardware) and the log line
 * says what the tree described. The full facts stay in boot_fdt. An ECAM host
 * bridge goes to the root task as it is (platform.pci, decision 147), its
 * interrupt-map turned into IRQControl lines: the map's parent is the PLIC, and
 * PLIC source n is line n - 1 (plic.c).
 */
#include "arch.h"
#include "arch/irqchip.h"
#include "arch/riscv.h"
#include "genarch/fdt.h"
#include "genarch/platform.h"
#include "kprintf.h"

struct platform_info platform = {.cpu_count = 1};

static const char *intc_name(enum fdt_intc_kind k)
{
    switch (k) {
    case FDT_INTC_GICV2:
        return "GICv2";
    case FDT_INTC_GICV3:
        return "GICv3";
    case FDT_INTC_PLIC:
        return "PLIC";
    default:
        return "no interrupt controller";
    }
}

/* The ECAM host bridge of the tree as the root task's bootinfo gives it: its
 * windows, and each interrupt-map entry that reaches a PLIC source a line
 * takes as that line (source 0, "no interrupt", and sources past the lines
 * IRQControl hands out are left out). */
static void pci_from_fdt(const struct fdt_info *f, struct wf_bootinfo_pci *p)
{
    if (!f->pci.present || !f->pci.ecam_size)
        return;
    p->ecam_base = f->pci.ecam_base;
    p->ecam_size = f->pci.ecam_size;
    p->bus_first = f->pci.bus_first;
    p->bus_last = f->pci.bus_last;
    for (unsigned i = 0; i < f->pci.nwin && p->nwindows < WF_BOOTINFO_PCI_WINDOWS; i++)
        p->window[p->nwindows++] = (struct wf_bootinfo_pci_window){
            .cpu_addr = f->pci.win[i].cpu_addr,
            .pci_addr = f->pci.win[i].pci_addr,
            .size = f->pci.win[i].size,
            .space = (uint8_t)f->pci.win[i].space,
            .prefetch = f->pci.win[i].prefetchable,
        };
    p->intx_mask_addr = f->pci.intx_mask_hi;
    p->intx_mask_pin = f->pci.intx_mask_pin;
    unsigned nsrc = f->intc.ndev ? f->intc.ndev : 31; /* plic.c's default */
    for (unsigned i = 0; i < f->pci.nintx && p->nintx < WF_BOOTINFO_PCI_INTX; i++) {
        const struct fdt_pci_intx *e = &f->pci.intx[i];
        if (e->irq_valid && e->irq_num >= 1 && e->irq_num <= nsrc && e->irq_num <= IRQ_LINES_MAX)
            p->intx[p->nintx++] = (struct wf_bootinfo_pci_intx){e->addr_hi, e->pin, e->irq_num - 1};
    }
}

void platform_init(void)
{
    const struct fdt_info *f = &boot_fdt;
    platform.acpi = false;
    platform.pcat_compat = false;
    platform.ioapic_count = 0;
    platform.cpu_count = f->ncpus ? f->ncpus : 1;
    kprintf("platform: device tree: %s at %#llx/%#llx", intc_name(f->intc.kind),
            (unsigned long long)f->intc.dist_base, (unsigned long long)f->intc.cpu_base);
    if (f->uart.kind != FDT_UART_NONE)
        kprintf(", %s at %#llx (source %u)", f->uart.kind == FDT_UART_PL011 ? "PL011" : "NS16550",
                (unsigned long long)f->uart.base, f->uart.irq.valid ? f->uart.irq.num : 0);
    kprintf(", timebase %u Hz", f->timer.frequency);
    pci_from_fdt(f, &platform.pci);
    if (f->pci.present)
        kprintf(", PCI ECAM at %#llx (buses %u-%u, %u windows, %u INTx routes)",
                (unsigned long long)f->pci.ecam_base, f->pci.bus_first, f->pci.bus_last,
                f->pci.nwin, platform.pci.nintx);
    kprintf(", %u hart%s, boot hart %lu\n", platform.cpu_count, platform.cpu_count == 1 ? "" : "s",
            boot_hartid);
}
