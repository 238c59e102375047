/*
 * The GIC the device tree names: GICv2 (arm,cortex-a15-gic and kin; QEMU virt's
 * default) with its MMIO CPU interface, or GICv3 (arm,gic-v3) with affinity
 * routing, this CPU's redistributor and the system-register CPU interface
 * (ICC_*_EL1; head.S lets EL1 use it when entered at EL2). Decision 124 says
 * why v2 is the default. Every SPI goes to group 1, is routed to this CPU (the
 * boot CPU: decision 178), gets one priority and stays masked; SGIs and PPIs
 * are masked but the timer's and the IPI's.
 *
 * Device lines (arch/irqchip.h): line n is SPI n (INTID 32 + n), n below
 * IRQ_LINES_MAX and the lines the distributor has, the console UART's SPI
 * included (a user console server takes it: decision 154). Triggers: a GIC SPI is level-sensitive active high or rising
 * edge (GICD_ICFGR); an active-low line is inverted before the GIC on every
 * board Weft knows, so LEVEL_LOW and EDGE_LOW are refused. DEFAULT is level
 * high, what virt's PCI INTx and virtio-mmio lines are. An interrupt on a set
 * up line is masked, ended (EOI) and delivered (irq_deliver).
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/irqchip.h"
#include "arch/percpu.h"
#include "arch/smp.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "obj/irq.h"
#include "panic.h"
#include "sched/smp.h"
#include "weft/objects.h"

#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IGROUPR    0x080
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ICFGR      0xc00
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_IROUTER    0x6000
#define GICD_CTLR_RWP   (1u << 31)
#define GICD_CTLR_V3    0x13 /* ARE_NS, EnableGrp1A, EnableGrp1 */

#define GICC_CTLR 0x000
#define GICC_PMR  0x004
#define GICC_BPR  0x008
#define GICC_IAR  0x00c
#define GICC_EOIR 0x010
#define GICD_SGIR 0xf00

/* GICv3 redistributor: RD_base frame, then SGI_base 64 KiB on. */
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_STRIDE     0x20000
#define GICR_SGI        0x10000
#define GICR_TYPER_LAST (1u << 4)
#define WAKER_SLEEP     (1u << 1)
#define WAKER_CHILDREN  (1u << 2)
#define GICR_MAP_SIZE   0x100000 /* up to 8 redistributors searched */

#define PRIO_DEFAULT   0xa0
#define INTID_SPURIOUS 1020

static volatile void *gicd, *gicc;
#define gicr_sgi (aarch64_this_cpu()->gicr_sgi) /* this CPU's: SGIs and PPIs are per CPU */
static bool v3;
static unsigned lines;
static unsigned user_lines;
static bool line_set_up[IRQ_LINES_MAX];

static void wait_rwp(void)
{
    for (unsigned spin = 0; (mmio_read32(gicd, GICD_CTLR) & GICD_CTLR_RWP) && spin < 1000000;
         spin++)
        cpu_relax();
}

/* This CPU's redistributor: the one whose GICR_TYPER affinity is our MPIDR's. */
static volatile void *find_redistributor(void)
{
    uint64_t size = MIN(boot_fdt.intc.cpu_size, (uint64_t)GICR_MAP_SIZE);
    static volatile char *rd; /* mapped once, by the boot CPU */
    if (!rd)
        rd = arch_mmio_map(boot_fdt.intc.cpu_base, size);
    uint64_t mpidr = read_sysreg(mpidr_el1);
    uint32_t aff = (uint32_t)((mpidr & 0xffffff) | ((mpidr >> 32) & 0xff) << 24);
    for (uint64_t off = 0; off + GICR_STRIDE <= size; off += GICR_STRIDE) {
        uint32_t lo = mmio_read32(rd + off, GICR_TYPER);
        uint32_t hi = mmio_read32(rd + off, GICR_TYPER + 4);
        if (hi == aff)
            return rd + off;
        if (lo & GICR_TYPER_LAST)
            break;
    }
    panic("irqchip: no GICv3 redistributor for MPIDR %#llx", (unsigned long long)mpidr);
}

static void init_v3_cpu(void)
{
    volatile void *rd = find_redistributor();
    mmio_write32(rd, GICR_WAKER, mmio_read32(rd, GICR_WAKER) & ~WAKER_SLEEP);
    for (unsigned spin = 0; (mmio_read32(rd, GICR_WAKER) & WAKER_CHILDREN) && spin < 1000000;
         spin++)
        cpu_relax();
    gicr_sgi = (volatile char *)rd + GICR_SGI;
    mmio_write32(gicr_sgi, GICD_IGROUPR, ~0u);
    mmio_write32(gicr_sgi, GICD_ICENABLER, ~0u);
    mmio_write32(gicr_sgi, GICD_ICPENDR, ~0u);
    for (unsigned i = 0; i < 32; i += 4)
        mmio_write32(gicr_sgi, GICD_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101u);
    write_sysreg(S3_0_C12_C12_5, read_sysreg(S3_0_C12_C12_5) | 1); /* ICC_SRE_EL1.SRE */
    isb();
    write_sysreg(S3_0_C4_C6_0, 0xf0); /* ICC_PMR_EL1 */
    write_sysreg(S3_0_C12_C12_3, 0);  /* ICC_BPR1_EL1 */
    write_sysreg(S3_0_C12_C12_7, 1);  /* ICC_IGRPEN1_EL1 */
    isb();
}

/* This CPU's SGIs and PPIs: the timer's and the IPI's enabled; on GICv2 the
 * CPU interface's own target bit (GICD_ITARGETSR0 reads it, banked). */
static void gic_cpu_ppis(void)
{
    if (timer_intid())
        gic_enable_ppi(timer_intid());
    gic_enable_ppi(INTID_IPI);
    if (!v3)
        aarch64_this_cpu()->gic_mask = (uint8_t)mmio_read32(gicd, GICD_ITARGETSR);
}

/* A CPU other than the boot CPU (smp.c): its CPU interface or redistributor,
 * its banked SGI and PPI state. */
void gic_cpu_init(void)
{
    if (v3) {
        init_v3_cpu();
    } else {
        mmio_write32(gicd, GICD_ICENABLER, ~0u);
        mmio_write32(gicd, GICD_ICPENDR, ~0u);
        for (unsigned i = 0; i < 32; i += 4)
            mmio_write32(gicd, GICD_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101u);
        mmio_write32(gicc, GICC_PMR, 0xf0);
        mmio_write32(gicc, GICC_BPR, 0);
        mmio_write32(gicc, GICC_CTLR, 1);
    }
    gic_cpu_ppis();
}

/* SGI intid to the CPU whose block is p: GICv2 by its CPU interface's
 * target bit, GICv3 by affinity (ICC_SGI1R_EL1: Aff3, Aff2, Aff1 and a
 * target list bit for Aff0 below 16). */
void gic_send_sgi_to(const struct aarch64_percpu *p, unsigned intid)
{
    __asm__ volatile("dsb ishst" ::: "memory"); /* what the IPI announces is seen first */
    if (!v3) {
        mmio_write32(gicd, GICD_SGIR, (uint32_t)p->gic_mask << 16 | intid);
        return;
    }
    uint64_t m = p->mpidr;
    uint64_t v = ((m >> 32) & 0xff) << 48 | ((m >> 16) & 0xff) << 32 | (uint64_t)intid << 24 |
                 ((m >> 8) & 0xff) << 16 | (1ull << (m & 0xf));
    write_sysreg(S3_0_C12_C11_5, v); /* ICC_SGI1R_EL1 */
    isb();
}

void irqchip_init(void)
{
    enum fdt_intc_kind kind = boot_fdt.intc.kind;
    if (kind != FDT_INTC_GICV2 && kind != FDT_INTC_GICV3)
        panic("irqchip: the device tree names no GIC (kind %u)", (unsigned)kind);
    v3 = kind == FDT_INTC_GICV3;
    gicd = arch_mmio_map(boot_fdt.intc.dist_base, v3 ? 0x10000 : 0x1000);
    lines = 32 * ((mmio_read32(gicd, GICD_TYPER) & 0x1f) + 1);
    if (lines > 1020)
        lines = 1020;
    mmio_write32(gicd, GICD_CTLR, 0);
    if (v3)
        wait_rwp();
    for (unsigned i = v3 ? 32 : 0; i < lines; i += 32) {
        if (v3)
            mmio_write32(gicd, GICD_IGROUPR + i / 8, ~0u);
        mmio_write32(gicd, GICD_ICENABLER + i / 8, ~0u);
        mmio_write32(gicd, GICD_ICPENDR + i / 8, ~0u);
    }
    /* Every SPI to this CPU (decision 178): GICv3 by its affinity, GICv2 by
     * its CPU interface's target bit (GICD_ITARGETSR0, banked; it reads 0 on
     * a GIC with one CPU interface, whose target registers are then ignored). */
    uint64_t mpidr = read_sysreg(mpidr_el1);
    uint64_t route = (mpidr & 0xffffff) | (mpidr & (0xffull << 32));
    uint32_t targets = v3 ? 0 : (mmio_read32(gicd, GICD_ITARGETSR) & 0xff) * 0x01010101u;
    for (unsigned i = v3 ? 32 : 0; i < lines; i++) {
        if (i % 4 == 0)
            mmio_write32(gicd, GICD_IPRIORITYR + i, PRIO_DEFAULT * 0x01010101u);
        if (v3) {
            mmio_write32(gicd, GICD_IROUTER + 8 * i, (uint32_t)route);
            mmio_write32(gicd, GICD_IROUTER + 8 * i + 4, (uint32_t)(route >> 32));
        } else if (i >= 32 && i % 4 == 0) {
            mmio_write32(gicd, GICD_ITARGETSR + i, targets ? targets : 0x01010101u);
        }
    }
    if (v3) {
        mmio_write32(gicd, GICD_CTLR, GICD_CTLR_V3);
        wait_rwp();
        init_v3_cpu();
    } else {
        gicc = arch_mmio_map(boot_fdt.intc.cpu_base, 0x2000);
        mmio_write32(gicd, GICD_CTLR, 1);
        mmio_write32(gicc, GICC_PMR, 0xf0);
        mmio_write32(gicc, GICC_BPR, 0);
        mmio_write32(gicc, GICC_CTLR, 1);
    }
    gic_cpu_ppis();
    user_lines = MIN(lines - 32, (unsigned)IRQ_LINES_MAX);
    kprintf("irqchip: GICv%u, distributor at %#llx, %s at %#llx, %u lines\n", v3 ? 3 : 2,
            (unsigned long long)boot_fdt.intc.dist_base, v3 ? "redistributors" : "CPU interface",
            (unsigned long long)boot_fdt.intc.cpu_base, lines);
}

unsigned irqchip_version(void)
{
    return gicd ? (v3 ? 3 : 2) : 0;
}

void gic_enable_ppi(unsigned intid)
{
    if (v3 && intid < 32)
        mmio_write32(gicr_sgi, GICD_ISENABLER, 1u << intid);
    else
        mmio_write32(gicd, GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

static void mask(unsigned id)
{
    if (v3 && id < 32)
        mmio_write32(gicr_sgi, GICD_ICENABLER, 1u << id);
    else
        mmio_write32(gicd, GICD_ICENABLER + (id / 32) * 4, 1u << (id % 32));
}

static void eoi(uint32_t iar)
{
    if (v3) {
        write_sysreg(S3_0_C12_C12_1, iar); /* ICC_EOIR1_EL1 */
        isb();
    } else {
        mmio_write32(gicc, GICC_EOIR, iar);
    }
}

/* Entered from EL0 (the lock held, trap.c) or in the idle wait (without it:
 * smp_irq_enter takes it but for the timer, which touches only this CPU's
 * state, and an IPI's request is served before, sched/smp.h). */
bool gic_handle_irq(void)
{
    uint32_t iar = v3 ? (uint32_t)read_sysreg(S3_0_C12_C12_0) /* ICC_IAR1_EL1 */
                      : mmio_read32(gicc, GICC_IAR);
    unsigned id = v3 ? iar & 0xffffff : iar & 0x3ff;
    if (id >= INTID_SPURIOUS && id < 1024)
        return false;
    if (id == timer_intid()) {
        timer_irq();
        eoi(iar);
        return true;
    }
    if (id == INTID_IPI)
        smp_serve(); /* before the lock: the requester holds it */
    bool took = smp_irq_enter();
    bool deliver = false;
    if (id == INTID_IPI) {
        smp_ipi();
    } else {
        mask(id); /* until the driver acknowledges it; unowned lines cannot storm */
        deliver = id >= 32 && id - 32 < user_lines && line_set_up[id - 32];
    }
    eoi(iar);
    if (deliver)
        irq_deliver(id - 32);
    smp_irq_exit(took);
    return false;
}

unsigned arch_irq_lines(void)
{
    return user_lines;
}

bool arch_irq_ioapic(void)
{
    return true; /* every line's trigger is programmable (arch_irq_resolve_trigger) */
}

/* Every SPI the distributor has, the console UART's too: the kernel writes the
 * UART polled and never enables its interrupts, so its line is free for a user
 * console server (decision 154). */
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
    unsigned id = 32 + line;
    mask(id);
    unsigned reg = GICD_ICFGR + (id / 16) * 4, shift = (id % 16) * 2 + 1;
    uint32_t cfg = mmio_read32(gicd, reg) & ~(1u << shift);
    if (trigger == WF_IRQ_TRIGGER_EDGE_HIGH)
        cfg |= 1u << shift;
    mmio_write32(gicd, reg, cfg);
    if (v3)
        wait_rwp();
    mmio_write32(gicd, GICD_ICPENDR + (id / 32) * 4, 1u << (id % 32));
    line_set_up[line] = true;
}

void arch_irq_mask(unsigned line)
{
    assert(line < user_lines);
    mask(32 + line);
    if (v3)
        wait_rwp();
}

void arch_irq_unmask(unsigned line)
{
    assert(line < user_lines && line_set_up[line]);
    gic_enable_ppi(32 + line);
}

void gic_set_pending(unsigned intid)
{
    mmio_write32(gicd, GICD_ISPENDR + (intid / 32) * 4, 1u << (intid % 32));
}

bool arch_irq_is_masked(unsigned line)
{
    unsigned id = 32 + line;
    return !(mmio_read32(gicd, GICD_ISENABLER + (id / 32) * 4) & (1u << (id % 32)));
}
