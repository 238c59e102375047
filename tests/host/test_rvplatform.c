/*
 * riscv64's platform_init (kernel/arch/riscv64/platform.c) on the host, fed
 * by the device-tree reader (kernel/genarch/fdt.c): QEMU's riscv64 virt tree
 * (tests/dt/qemu-riscv64-virt.dts) gives the root task's PCI section
 * (struct wf_bootinfo_pci, decision 147): the ECAM window, the bus range, the
 * three windows, and the interrupt-map's 16 routes, each PLIC source n as
 * the IRQControl line n - 1 (plic.c). Routes the PLIC lines cannot take
 * (source 0, past riscv,ndev or past IRQ_LINES_MAX) and routes to no known
 * controller are left out; a tree without a bridge leaves the section zero.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/irqchip.h"
#include "genarch/fdt.h"
#include "genarch/platform.h"

struct fdt_info boot_fdt;
unsigned long boot_hartid;

static void load_virt(void)
{
    FILE *f = fopen("build/dt/qemu-riscv64-virt.dtb", "rb");
    cr_assert_not_null(f, "cannot open the riscv64 virt tree (run from the repository root)");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    struct fdt_report rep;
    cr_assert_eq(fdt_parse(b, (size_t)n, &boot_fdt, &rep), FDT_OK);
    free(b);
    memset(&platform, 0, sizeof(platform));
}

Test(rvplatform, virt_host_bridge_in_the_bootinfo)
{
    load_virt();
    platform_init();
    const struct wf_bootinfo_pci *p = &platform.pci;
    cr_assert_eq(p->ecam_base, 0x30000000);
    cr_assert_eq(p->ecam_size, 0x10000000);
    cr_assert_eq(p->bus_first, 0);
    cr_assert_eq(p->bus_last, 255);
    cr_assert_eq(p->nwindows, 3);
    cr_assert_eq(p->window[0].space, FDT_PCI_IO);
    cr_assert_eq(p->window[0].cpu_addr, 0x3000000);
    cr_assert_eq(p->window[0].size, 0x10000);
    cr_assert_eq(p->window[1].space, FDT_PCI_MEM32);
    cr_assert_eq(p->window[1].cpu_addr, 0x40000000);
    cr_assert_eq(p->window[1].pci_addr, 0x40000000);
    cr_assert_eq(p->window[1].size, 0x40000000);
    cr_assert_eq(p->window[2].space, FDT_PCI_MEM64);
    cr_assert_eq(p->window[2].cpu_addr, 0x400000000);
    cr_assert_eq(p->window[2].size, 0x400000000);
    cr_assert_eq(p->intx_mask_addr, 0x1800);
    cr_assert_eq(p->intx_mask_pin, 7);
    /* Sources 0x20 + (slot + pin - 1) % 4: lines 31 to 34. */
    cr_assert_eq(p->nintx, 16);
    for (unsigned i = 0; i < 16; i++) {
        unsigned slot = i / 4, pin = i % 4 + 1;
        cr_assert_eq(p->intx[i].addr, slot << 11);
        cr_assert_eq(p->intx[i].pin, pin);
        cr_assert_eq(p->intx[i].line, 0x20 + (slot + pin - 1) % 4 - 1, "route %u", i);
    }
    cr_assert_eq(platform.cpu_count, 1);
}

Test(rvplatform, routes_no_line_takes_are_left_out)
{
    load_virt();
    /* Source 0 is "no interrupt"; a source past riscv,ndev or past the lines
     * IRQControl hands out has no line; a parent the reader did not know has
     * no source at all. */
    boot_fdt.pci.intx[0].irq_num = 0;
    boot_fdt.pci.intx[1].irq_num = boot_fdt.intc.ndev + 1;
    boot_fdt.pci.intx[2].irq_valid = 0;
    boot_fdt.pci.intx[3].irq_num = IRQ_LINES_MAX + 1;
    boot_fdt.pci.intx[4].irq_num = IRQ_LINES_MAX; /* the last line */
    platform_init();
    cr_assert_eq(platform.pci.nintx, 12);
    cr_assert_eq(platform.pci.intx[0].addr, 1 << 11);
    cr_assert_eq(platform.pci.intx[0].pin, 1);
    cr_assert_eq(platform.pci.intx[0].line, IRQ_LINES_MAX - 1);

    /* A PLIC of fewer sources: the routes past it go. */
    load_virt();
    boot_fdt.intc.ndev = 0x21;
    platform_init();
    cr_assert_eq(platform.pci.nintx, 8); /* sources 0x20 and 0x21 */
    for (unsigned i = 0; i < platform.pci.nintx; i++)
        cr_assert(platform.pci.intx[i].line == 0x1f || platform.pci.intx[i].line == 0x20);
}

Test(rvplatform, no_bridge_no_section)
{
    load_virt();
    boot_fdt.pci.present = false;
    platform_init();
    static const struct wf_bootinfo_pci zero;
    cr_assert(memcmp(&platform.pci, &zero, sizeof(zero)) == 0);
}
