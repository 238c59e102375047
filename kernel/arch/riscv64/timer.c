/*
 * The timer: the hart's time counter (rdtime) at the device tree's
 * timebase-frequency, and its compare value: the stimecmp CSR where the hart
 * has Sstc and the firmware lets S-mode use it (probed: reading it is an
 * illegal instruction otherwise, trap.c), else the SBI TIME extension's
 * set_timer. Either way the supervisor timer interrupt (sie.STIE) ticks, and
 * setting the next compare value clears it. Each tick sets the compare value
 * one interval after the last, so ticks do not drift with interrupt latency.
 *
 * "poweroff" on the command line has the tenth tick end the machine by SBI
 * system reset, for boots without a root task (as aarch64's PSCI SYSTEM_OFF).
 */
#include "arch.h"
#include "arch/percpu.h"
#include "arch/riscv.h"
#include "arch/smp.h"
#include "core/boot.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "panic.h"

#define CSR_STIMECMP 0x14d

static uint64_t freq, interval, start;
static volatile uint64_t ticks;
static bool sstc, poweroff_at_10;

/* Writes all ones to stimecmp and reads it back into a0; each of the two
 * instructions, where it traps, leaves 0 in a0 and is skipped (trap.c). */
uint64_t sstc_probe(void);
__asm__(".pushsection .text\n"
        ".globl sstc_probe, sstc_probe_insn\n"
        "sstc_probe:\n"
        "li a0, -1\n"
        ".option push\n.option norvc\n"
        "sstc_probe_insn:\n"
        "csrw 0x14d, a0\n"
        "csrr a0, 0x14d\n"
        ".option pop\n"
        "ret\n"
        ".popsection");

static uint64_t counter(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

static void set_compare(uint64_t when)
{
    if (sstc)
        __asm__ volatile("csrw 0x14d, %0" : : "r"(when) : "memory");
    else
        sbi_call(SBI_EXT_TIME, 0, when, 0, 0);
}

bool riscv_has_sstc(void)
{
    return sstc;
}

const char *arch_timer_init(unsigned hz, bool force_legacy)
{
    freq = boot_fdt.timer.frequency;
    if (!freq || !hz)
        panic("timer: the device tree gives no timebase-frequency");
    /* All ones written to stimecmp and read back: Sstc works. */
    sstc = !force_legacy && sstc_probe() == ~0ull;
    interval = freq / hz;
    start = counter();
    timer_cpu_init();
    char arg[8];
    poweroff_at_10 = bootmem_cmdline_get(&boot_memory, "poweroff", arg, sizeof(arg));
    kprintf("timer: %s at %llu Hz, tick %u Hz\n", sstc ? "Sstc stimecmp" : "SBI set_timer",
            (unsigned long long)freq, hz);
    return sstc ? "sstc" : "sbi";
}

/* This hart's timer at the boot hart's rate (each has its own compare). */
void timer_cpu_init(void)
{
    uint64_t *next = &riscv_this_cpu()->timer_next;
    *next = counter() + interval;
    set_compare(*next);
    csr_set(sie, IE_STIE);
}

/* Every hart's tick; only the boot hart's advances arch_ticks. */
void timer_irq(void)
{
    uint64_t now = counter();
    struct riscv_percpu *p = riscv_this_cpu();
    p->timer_next += interval;
    if (p->timer_next <= now)
        p->timer_next = now + interval; /* missed ticks are not replayed */
    set_compare(p->timer_next);
    if (p->id != 0)
        return;
    if (++ticks == 10 && poweroff_at_10) {
        kprintf("timer: 10 ticks; \"poweroff\" on the command line: powering off\n");
        sbi_system_off();
    }
}

uint64_t arch_ticks(void)
{
    return ticks;
}

uint64_t arch_clock_ns(void)
{
    uint64_t c = counter() - start;
    return c / freq * 1000000000ull + c % freq * 1000000000ull / freq;
}

bool arch_irq_pending(void)
{
    return (csr_read(sip) & csr_read(sie)) != 0;
}
