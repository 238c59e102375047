/*
 * The periodic tick on x86_64: the local APIC timer, calibrated against the
 * PIT, or the PIT itself through the 8259 PIC when the CPU has no APIC, the
 * calibration fails, or the command line says timer=pit.
 *
 * Calibration: PIT channel 2 counts down 10 ms in mode 0 (its output, readable
 * at port 0x61 bit 5, goes high at terminal count) while the APIC timer counts
 * down from 0xffffffff; the difference is the APIC timer's rate. The wait is
 * bounded, so a PIT that never fires cannot hang boot. The TSC is measured in
 * the same window: it drives the clock (arch_clock_ns, the CLOCK system call).
 */
#include "arch.h"
#include "arch/x86.h"
#include "arch/trap.h"
#include "kprintf.h"

#define PIT_HZ        1193182u
#define PIC1_CMD      0x20
#define PIC1_DATA     0x21
#define PIC2_CMD      0xa0
#define PIC2_DATA     0xa1
#define MSR_APIC_BASE 0x1bu

enum {
    LAPIC_ID = 0x20,
    LAPIC_EOI = 0xb0,
    LAPIC_SVR = 0xf0,
    LAPIC_ICR_LO = 0x300,
    LAPIC_ICR_HI = 0x310,
    LAPIC_LVT_TIMER = 0x320,
    LAPIC_TIMER_INIT = 0x380,
    LAPIC_TIMER_CUR = 0x390,
    LAPIC_TIMER_DIV = 0x3e0,
};

static volatile uint32_t *lapic;
static bool lapic_timer;
static uint32_t lapic_initial; /* the timer's initial count (periodic) */
static volatile uint64_t ticks;

static uint32_t lapic_read(unsigned reg)
{
    return lapic[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
    lapic[reg / 4] = v;
}

void pic_remap_and_mask(void)
{
    outb(PIC1_CMD, 0x11); /* ICW1: init, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, VEC_PIC_BASE); /* ICW2: vector bases */
    outb(PIC2_DATA, VEC_PIC_BASE + 8);
    outb(PIC1_DATA, 4); /* ICW3: slave on IRQ2 */
    outb(PIC2_DATA, 2);
    outb(PIC1_DATA, 1); /* ICW4: 8086 mode */
    outb(PIC2_DATA, 1);
    outb(PIC1_DATA, 0xff); /* mask everything */
    outb(PIC2_DATA, 0xff);
}

bool lapic_in_use(void)
{
    return lapic_timer;
}

uint32_t lapic_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

void timer_tick(void)
{
    ticks++;
}

uint64_t arch_ticks(void)
{
    return ticks;
}

/* The local APIC's IRR (eight 32-bit registers, vectors 0-255) when it is mapped,
 * and the master 8259's IRR under its mask (the PIT tick and lines routed through
 * the PICs; the slave's show through the cascade line). */
bool arch_irq_pending(void)
{
    if (lapic)
        for (unsigned i = 0; i < 8; i++)
            if (lapic_read(0x200 + 0x10 * i))
                return true;
    return (inb(PIC1_CMD) & ~inb(PIC1_DATA)) != 0;
}

/* Every CPU's timer interrupts it; the boot CPU's alone keeps the time. */
static void lapic_timer_irq(struct trap_frame *tf)
{
    if (arch_cpu_id() == 0)
        timer_tick();
    lapic_write(LAPIC_EOI, 0);
}

void lapic_cpu_init(void)
{
    if (!lapic)
        return;
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11));
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    if (!lapic_timer)
        return;
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (1u << 17)); /* periodic */
    lapic_write(LAPIC_TIMER_DIV, 0x3);
    lapic_write(LAPIC_TIMER_INIT, lapic_initial);
}

bool lapic_send(uint32_t apic_id, uint32_t cmd)
{
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, cmd);
    uint64_t until = arch_clock_ns() + 1000000;
    while (lapic_read(LAPIC_ICR_LO) & (1u << 12)) /* delivery pending */
        if (arch_clock_ns() > until)
            return false;
    return true;
}

static void pit_irq(struct trap_frame *tf)
{
    timer_tick();
    outb(PIC1_CMD, 0x20); /* EOI */
}

/* Counts 10 ms on PIT channel 2 while the TSC runs (and, with with_lapic, the
 * APIC timer counts down from 0xffffffff, divide by 16). Returns false if the PIT
 * did not answer; otherwise *tsc and *apic (when asked) get their counts. */
static bool calibrate(bool with_lapic, uint64_t *tsc, uint32_t *apic)
{
    uint8_t gate = inb(0x61);
    outb(0x61, (gate & ~0x02) | 0x01); /* speaker off, channel 2 gate on */
    outb(0x43, 0xb0);                  /* channel 2, lo/hi byte, mode 0 */
    uint16_t count = PIT_HZ / 100;
    outb(0x42, count & 0xff);
    outb(0x42, count >> 8);
    gate = inb(0x61) & ~0x01;
    outb(0x61, gate); /* restart the count with a rising gate edge */
    outb(0x61, gate | 0x01);
    if (with_lapic) {
        lapic_write(LAPIC_TIMER_DIV, 0x3);
        lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
    }
    uint64_t t0 = rdtsc();
    for (uint64_t spin = 0; spin < 200000000ull; spin++) {
        if (inb(0x61) & 0x20) {
            *tsc = rdtsc() - t0;
            if (with_lapic) {
                *apic = 0xffffffffu - lapic_read(LAPIC_TIMER_CUR);
                lapic_write(LAPIC_TIMER_INIT, 0);
            }
            return true;
        }
    }
    if (with_lapic)
        lapic_write(LAPIC_TIMER_INIT, 0);
    return false;
}

/* The clock: TSC counts per 10 ms (0: not calibrated, the tick count serves),
 * the TSC at calibration, and the tick rate. */
static uint64_t tsc_per10ms, tsc_base;
static unsigned tick_hz;

uint64_t arch_clock_ns(void)
{
    if (!tsc_per10ms)
        return ticks * (1000000000ull / tick_hz);
    uint64_t d = rdtsc() - tsc_base; /* whole 10 ms periods, then the rest (no overflow) */
    return d / tsc_per10ms * 10000000u + d % tsc_per10ms * 10000000u / tsc_per10ms;
}

/* Starts the clock (arch_clock_ns) from a calibration's TSC count per 10 ms
 * (0: none; the tick count serves). */
static void clock_start(unsigned hz, uint64_t tsc)
{
    tick_hz = hz;
    tsc_per10ms = cpu_features.tsc && tsc >= 1000 ? tsc : 0;
    tsc_base = rdtsc();
    if (tsc_per10ms)
        kprintf("clock: TSC, %llu counts per 10 ms\n", (unsigned long long)tsc_per10ms);
}

static void pit_start(unsigned hz)
{
    uint32_t div = PIT_HZ / hz;
    outb(0x43, 0x34); /* channel 0, lo/hi byte, mode 2 (rate generator) */
    outb(0x40, div & 0xff);
    outb(0x40, (div >> 8) & 0xff);
    trap_set_handler(VEC_PIC_BASE + 0, pit_irq);
    outb(PIC1_DATA, 0xfe); /* unmask IRQ0 only */
}

const char *arch_timer_init(unsigned hz, bool force_legacy)
{
    if (!force_legacy && cpu_features.apic) {
        uint64_t base = rdmsr(MSR_APIC_BASE);
        wrmsr(MSR_APIC_BASE, base | (1u << 11)); /* global enable */
        lapic = arch_mmio_map(base & 0xfffff000u, 4096);
        lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
        uint32_t per10ms = 0;
        uint64_t tsc = 0;
        if (!calibrate(true, &tsc, &per10ms))
            per10ms = 0;
        clock_start(hz, tsc);
        if (per10ms >= 100) {
            uint32_t initial = (uint32_t)((uint64_t)per10ms * 100 / hz);
            lapic_initial = initial;
            trap_set_handler(VEC_TIMER, lapic_timer_irq);
            lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (1u << 17)); /* periodic */
            lapic_write(LAPIC_TIMER_DIV, 0x3);
            lapic_write(LAPIC_TIMER_INIT, initial);
            lapic_timer = true;
            kprintf("timer: local APIC, %u ticks per 10 ms (divide 16), %u Hz\n", per10ms, hz);
            return "lapic";
        }
        kprintf("timer: local APIC calibration failed; using the PIT\n");
        lapic_write(LAPIC_SVR, VEC_SPURIOUS); /* software-disable the APIC */
    }
    uint64_t tsc = 0;
    if (!tick_hz && !calibrate(false, &tsc, 0))
        tsc = 0;
    if (!tick_hz)
        clock_start(hz, tsc);
    pit_start(hz);
    kprintf("timer: PIT through the 8259 PIC, %u Hz\n", hz);
    return "pit";
}
