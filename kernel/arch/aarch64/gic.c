/*
 * GICv2 (arm,cortex-a15-gic and kin; QEMU virt's default): the distributor and
 * the CPU interface the device tree names, both in MMIO. Decision 124 says why
 * v2 first. Every SPI is routed to this CPU, given one priority and left
 * masked; SGIs and PPIs are masked but for the timer's.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/irqchip.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "panic.h"

#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ICPENDR    0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00

#define GICC_CTLR 0x000
#define GICC_PMR  0x004
#define GICC_BPR  0x008
#define GICC_IAR  0x00c
#define GICC_EOIR 0x010

#define PRIO_DEFAULT   0xa0
#define INTID_SPURIOUS 1020

static volatile void *gicd, *gicc;
static unsigned lines;
static uint64_t unexpected;

void irqchip_init(void)
{
    if (boot_fdt.intc.kind != FDT_INTC_GICV2)
        panic("irqchip: the device tree names no GICv2 (kind %u); GICv3 is not supported yet",
              (unsigned)boot_fdt.intc.kind);
    gicd = arch_mmio_map(boot_fdt.intc.dist_base, 0x1000);
    gicc = arch_mmio_map(boot_fdt.intc.cpu_base, 0x2000);
    lines = 32 * ((mmio_read32(gicd, GICD_TYPER) & 0x1f) + 1);
    if (lines > 1020)
        lines = 1020;
    mmio_write32(gicd, GICD_CTLR, 0);
    for (unsigned i = 0; i < lines; i += 32) {
        mmio_write32(gicd, GICD_ICENABLER + i / 8, ~0u);
        mmio_write32(gicd, GICD_ICPENDR + i / 8, ~0u);
    }
    for (unsigned i = 0; i < lines; i += 4) {
        mmio_write32(gicd, GICD_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101u);
        if (i >= 32)
            mmio_write32(gicd, GICD_ITARGETSR + i, 0x01010101u);
    }
    mmio_write32(gicd, GICD_CTLR, 1);
    mmio_write32(gicc, GICC_PMR, 0xf0);
    mmio_write32(gicc, GICC_BPR, 0);
    mmio_write32(gicc, GICC_CTLR, 1);
    if (timer_intid())
        gic_enable_ppi(timer_intid());
    kprintf("irqchip: GICv2, distributor at %#llx, CPU interface at %#llx, %u lines\n",
            (unsigned long long)boot_fdt.intc.dist_base, (unsigned long long)boot_fdt.intc.cpu_base,
            lines);
}

void gic_enable_ppi(unsigned intid)
{
    mmio_write32(gicd, GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

void gic_handle_irq(void)
{
    uint32_t iar = mmio_read32(gicc, GICC_IAR);
    unsigned id = iar & 0x3ff;
    if (id >= INTID_SPURIOUS)
        return;
    if (id == timer_intid()) {
        timer_irq();
    } else {
        /* No driver owns it: mask it so it cannot storm. */
        mmio_write32(gicd, GICD_ICENABLER + (id / 32) * 4, 1u << (id % 32));
        unexpected++;
    }
    mmio_write32(gicc, GICC_EOIR, iar);
}
