/*
 * The platform description from the device tree (riscv64's platform_init, in
 * place of genarch/platform.c's ACPI reader): the generic structure gets what
 * it can hold (CPU count, no ACPI, no PC interrupt hardware) and the log line
 * says what the tree described. The full facts stay in boot_fdt.
 */
#include "arch.h"
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
    if (f->pci.present)
        kprintf(", PCI ECAM at %#llx (buses %u-%u, %u windows)",
                (unsigned long long)f->pci.ecam_base, f->pci.bus_first, f->pci.bus_last,
                f->pci.nwin);
    kprintf(", %u hart%s, boot hart %lu\n", platform.cpu_count, platform.cpu_count == 1 ? "" : "s",
            boot_hartid);
}
