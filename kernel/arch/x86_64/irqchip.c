/*
 * Device interrupts on x86-64: the I/O APIC, or the 8259 PICs (arch/irqchip.h).
 *
 * Which controller. The I/O APIC delivers through the local APIC, so it is used
 * when the platform has one (platform.ioapic_count, from the ACPI MADT) and the
 * local APIC is enabled, i.e. drives the kernel's tick (timer.c). Otherwise
 * (timer=pit, no APIC, failed calibration) the PICs serve ISA lines 0-15, edge
 * triggered only, with the PIT's tick staying on IRQ 0. Either way every line
 * starts masked and only an IRQHandler's Ack unmasks it.
 *
 * Lines and vectors. A line below 16 is an ISA IRQ: the MADT's interrupt source
 * overrides give its global system interrupt (GSI) and default polarity and
 * trigger (MPS INTI flags); a line from 16 is GSI `line` itself. I/O APIC lines
 * take vector VEC_LINE_BASE + line (0x30-0x6f: above the exceptions and the PIC
 * range, below VEC_TIMER and VEC_SPURIOUS); the PICs keep their remapped vectors
 * VEC_PIC_BASE + line. Destination: the boot CPU's local APIC, physical mode,
 * fixed delivery.
 *
 * An interrupt: mask the line (a level-triggered line would fire again after
 * the EOI otherwise), EOI (local APIC; specific EOI to the PIC, and to the
 * master for the cascade), then irq_deliver. Unknown vectors in the line range
 * are counted and acknowledged, never fatal. The PICs raise IRQ 7 or 15 by
 * themselves when a request vanishes before the CPU acknowledges it: such an
 * interrupt has no in-service bit and gets no EOI (the master gets one for a
 * spurious 15, whose cascade input was in service).
 *
 * Sources: Intel 82093AA I/O APIC datasheet (registers, redirection entries),
 * Intel 8259A datasheet (OCW2 specific EOI, OCW3 in-service register), ACPI 6.5
 * section 5.2.12 (MADT, interrupt source overrides, MPS INTI flags).
 */
#include "arch/irqchip.h"

#include "arch.h"
#include "arch/x86.h"
#include "arch/trap.h"
#include "genarch/platform.h"
#include "kprintf.h"
#include "obj/irq.h"
#include "weft/objects.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define IOAPIC_REGSEL   0x00
#define IOAPIC_WIN      0x10
#define IOAPIC_VER      0x01
#define IOAPIC_REDIR    0x10
#define REDIR_MASK      (1u << 16)
#define REDIR_LEVEL     (1u << 15)
#define REDIR_ACT_LOW   (1u << 13)
#define LINE_KERNEL_PIT 0
#define LINE_CASCADE    2

uint64_t irqchip_spurious;

static bool use_ioapic;
static unsigned nlines;
static volatile uint32_t *ioapic_mmio[PLATFORM_MAX_IOAPICS];
static unsigned ioapic_pins[PLATFORM_MAX_IOAPICS];
static uint8_t pic_mask[2] = {0xff, 0xff};
static bool line_set_up[IRQ_LINES_MAX];

static uint32_t ioapic_read(unsigned i, unsigned reg)
{
    ioapic_mmio[i][IOAPIC_REGSEL / 4] = reg;
    return ioapic_mmio[i][IOAPIC_WIN / 4];
}

static void ioapic_write(unsigned i, unsigned reg, uint32_t v)
{
    ioapic_mmio[i][IOAPIC_REGSEL / 4] = reg;
    ioapic_mmio[i][IOAPIC_WIN / 4] = v;
}

static unsigned line_gsi(unsigned line)
{
    return line < PLATFORM_ISA_IRQS ? platform.isa[line].gsi : line;
}

/* The I/O APIC serving gsi and its input (pin) there, or -1. */
static int gsi_ioapic(unsigned gsi, unsigned *pin)
{
    for (unsigned i = 0; i < platform.ioapic_count; i++) {
        unsigned base = platform.ioapic[i].gsi_base;
        if (ioapic_mmio[i] && gsi >= base && gsi < base + ioapic_pins[i]) {
            *pin = gsi - base;
            return (int)i;
        }
    }
    return -1;
}

/* The redirection entry's low word register of line (which must be routable). */
static unsigned line_redir(unsigned line, unsigned *io)
{
    unsigned pin;
    int i = gsi_ioapic(line_gsi(line), &pin);
    assert(i >= 0);
    *io = (unsigned)i;
    return IOAPIC_REDIR + 2 * pin;
}

static void pic_write_masks(void)
{
    outb(PIC1_DATA, pic_mask[0]);
    outb(PIC2_DATA, pic_mask[1]);
}

static void pic_set_masked(unsigned line, bool masked)
{
    uint8_t bit = (uint8_t)(1u << (line & 7));
    uint8_t *m = &pic_mask[line >> 3];
    *m = masked ? (uint8_t)(*m | bit) : (uint8_t)(*m & ~bit);
    pic_write_masks();
}

/* The PIC's in-service register (OCW3 read ISR), master or slave. */
static uint8_t pic_isr(bool slave)
{
    uint16_t cmd = slave ? PIC2_CMD : PIC1_CMD;
    outb(cmd, 0x0b);
    uint8_t v = inb(cmd);
    outb(cmd, 0x0a); /* back to reading the IRR */
    return v;
}

static void pic_eoi(unsigned line)
{
    if (line >= 8) {
        outb(PIC2_CMD, 0x60 | (line - 8)); /* specific EOI */
        outb(PIC1_CMD, 0x60 | LINE_CASCADE);
    } else {
        outb(PIC1_CMD, 0x60 | line);
    }
}

static void line_interrupt(unsigned line)
{
    if (line >= nlines || !line_set_up[line]) {
        irqchip_spurious++;
        if (use_ioapic)
            lapic_eoi();
        else
            pic_eoi(line);
        return;
    }
    arch_irq_mask(line);
    if (use_ioapic)
        lapic_eoi();
    else
        pic_eoi(line);
    irq_deliver(line);
}

static void ioapic_vector(struct trap_frame *tf)
{
    line_interrupt((unsigned)tf->vector - VEC_LINE_BASE);
}

static void pic_vector(struct trap_frame *tf)
{
    unsigned line = (unsigned)tf->vector - VEC_PIC_BASE;
    if ((line == 7 || line == 15) && !(pic_isr(line == 15) & 0x80)) {
        irqchip_spurious++;
        if (line == 15)
            outb(PIC1_CMD, 0x60 | LINE_CASCADE);
        return;
    }
    line_interrupt(line);
}

/* Maps every I/O APIC and masks all its inputs; returns the lines they cover. */
static unsigned ioapic_init(void)
{
    unsigned top = 0;
    uint32_t dest = lapic_id() << 24;
    for (unsigned i = 0; i < platform.ioapic_count && i < PLATFORM_MAX_IOAPICS; i++) {
        ioapic_mmio[i] = (volatile uint32_t *)arch_mmio_map(platform.ioapic[i].paddr, 4096);
        ioapic_pins[i] = ((ioapic_read(i, IOAPIC_VER) >> 16) & 0xff) + 1;
        for (unsigned p = 0; p < ioapic_pins[i]; p++) {
            ioapic_write(i, IOAPIC_REDIR + 2 * p + 1, dest);
            ioapic_write(i, IOAPIC_REDIR + 2 * p, REDIR_MASK);
        }
        unsigned end = platform.ioapic[i].gsi_base + ioapic_pins[i];
        top = end > top ? end : top;
    }
    return top;
}

void irqchip_init(void)
{
    use_ioapic = platform.ioapic_count > 0 && lapic_in_use();
    if (use_ioapic) {
        unsigned top = ioapic_init();
        nlines = top < PLATFORM_ISA_IRQS ? PLATFORM_ISA_IRQS : top;
        if (nlines > IRQ_LINES_MAX)
            nlines = IRQ_LINES_MAX;
        for (unsigned l = 0; l < nlines; l++)
            trap_set_handler(VEC_LINE_BASE + l, ioapic_vector);
        kprintf("irq: %u I/O APIC(s), %u lines, vectors %#x-%#x\n", platform.ioapic_count, nlines,
                VEC_LINE_BASE, VEC_LINE_BASE + nlines - 1);
        return;
    }
    nlines = PLATFORM_ISA_IRQS;
    /* Keep the timer's IRQ 0 as timer.c left it; open the cascade. */
    pic_mask[0] = (uint8_t)(inb(PIC1_DATA) & ~(1u << LINE_CASCADE));
    pic_mask[1] = 0xff;
    pic_write_masks();
    for (unsigned l = 1; l < nlines; l++)
        if (l != LINE_CASCADE)
            trap_set_handler(VEC_PIC_BASE + l, pic_vector);
    kprintf("irq: 8259 PICs, %u lines (edge-triggered)\n", nlines);
}

unsigned arch_irq_lines(void)
{
    return nlines;
}

bool arch_irq_ioapic(void)
{
    return use_ioapic;
}

bool arch_irq_line_free_for_user(unsigned line)
{
    if (line >= nlines || line == LINE_KERNEL_PIT || line == LINE_CASCADE)
        return false;
    if (!use_ioapic)
        return true;
    unsigned gsi = line_gsi(line), pin;
    if (gsi_ioapic(gsi, &pin) < 0)
        return false;
    for (unsigned isa = 0; isa < PLATFORM_ISA_IRQS; isa++)
        if (isa != line && platform.isa[isa].gsi == gsi)
            return false; /* another ISA IRQ (or, from 16, its ISA name) has it */
    return true;
}

unsigned arch_irq_resolve_trigger(unsigned line, unsigned trigger)
{
    if (!use_ioapic)
        return trigger == WF_IRQ_TRIGGER_DEFAULT || trigger == WF_IRQ_TRIGGER_EDGE_HIGH
                   ? WF_IRQ_TRIGGER_EDGE_HIGH
                   : 0;
    if (trigger > WF_IRQ_TRIGGER_LEVEL_HIGH)
        return 0;
    if (trigger != WF_IRQ_TRIGGER_DEFAULT)
        return trigger;
    if (line >= PLATFORM_ISA_IRQS)
        return WF_IRQ_TRIGGER_LEVEL_LOW; /* PCI INTx */
    unsigned f = platform.isa[line].flags;
    bool low = PLATFORM_INTI_POLARITY(f) == 3, level = PLATFORM_INTI_TRIGGER(f) == 3;
    return level ? (low ? WF_IRQ_TRIGGER_LEVEL_LOW : WF_IRQ_TRIGGER_LEVEL_HIGH)
                 : (low ? WF_IRQ_TRIGGER_EDGE_LOW : WF_IRQ_TRIGGER_EDGE_HIGH);
}

void arch_irq_setup(unsigned line, unsigned trigger)
{
    assert(line < nlines && trigger != WF_IRQ_TRIGGER_DEFAULT);
    line_set_up[line] = true;
    if (!use_ioapic) {
        pic_set_masked(line, true);
        return;
    }
    unsigned io, reg = line_redir(line, &io);
    uint32_t low = (VEC_LINE_BASE + line) | REDIR_MASK;
    if (trigger == WF_IRQ_TRIGGER_LEVEL_LOW || trigger == WF_IRQ_TRIGGER_LEVEL_HIGH)
        low |= REDIR_LEVEL;
    if (trigger == WF_IRQ_TRIGGER_LEVEL_LOW || trigger == WF_IRQ_TRIGGER_EDGE_LOW)
        low |= REDIR_ACT_LOW;
    ioapic_write(io, reg + 1, lapic_id() << 24);
    ioapic_write(io, reg, low);
}

static void set_masked(unsigned line, bool masked)
{
    assert(line < nlines && line_set_up[line]);
    if (!use_ioapic) {
        pic_set_masked(line, masked);
        return;
    }
    unsigned io, reg = line_redir(line, &io);
    uint32_t low = ioapic_read(io, reg);
    ioapic_write(io, reg, masked ? low | REDIR_MASK : low & ~REDIR_MASK);
}

void arch_irq_mask(unsigned line)
{
    set_masked(line, true);
}

void arch_irq_unmask(unsigned line)
{
    set_masked(line, false);
}

bool arch_irq_is_masked(unsigned line)
{
    if (!use_ioapic)
        return (inb(line < 8 ? PIC1_DATA : PIC2_DATA) >> (line & 7)) & 1;
    unsigned io, reg = line_redir(line, &io);
    return ioapic_read(io, reg) & REDIR_MASK;
}
