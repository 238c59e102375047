/*
 * The ARM generic timer: the EL1 virtual timer (CNTV), the one a kernel at EL1
 * always owns whether or not a hypervisor runs below it, on the PPI the device
 * tree's arm,armv8-timer node gives as its third interrupt. CNTFRQ_EL0 gives
 * the counter's frequency (the node's clock-frequency only where it is 0).
 * Each tick sets the compare value one interval after the last, so ticks do
 * not drift with interrupt latency.
 *
 * While the port has no root task, "poweroff" on the command line has the
 * tenth tick end the machine by PSCI SYSTEM_OFF (the production image's boot
 * check: mk/arch-aarch64.mk), after the generic kernel went idle.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/percpu.h"
#include "arch/smp.h"
#include "core/boot.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "panic.h"

#define CNTV_CTL_ENABLE 1u

static uint64_t freq, interval, start;
static volatile uint64_t ticks;
static unsigned intid;
static bool poweroff_at_10;

static uint64_t counter(void)
{
    isb();
    return read_sysreg(cntvct_el0);
}

const char *arch_timer_init(unsigned hz, bool force_legacy)
{
    (void)force_legacy; /* there is no other timer */
    freq = read_sysreg(cntfrq_el0);
    if (!freq)
        freq = boot_fdt.timer.frequency;
    if (!freq || !hz)
        panic("timer: the counter's frequency is unknown");
    if (!boot_fdt.timer.present || !boot_fdt.timer.irq[2].valid)
        panic("timer: the device tree gives no virtual timer interrupt");
    intid = boot_fdt.timer.irq[2].num;
    interval = freq / hz;
    start = counter();
    timer_cpu_init();
    char arg[8];
    poweroff_at_10 = bootmem_cmdline_get(&boot_memory, "poweroff", arg, sizeof(arg));
    kprintf("timer: generic timer at %llu Hz, INTID %u, tick %u Hz\n", (unsigned long long)freq,
            intid, hz);
    return "generic timer";
}

unsigned timer_intid(void)
{
    return intid;
}

/* This CPU's timer at the boot CPU's rate (every CPU has its own CNTV). */
void timer_cpu_init(void)
{
    uint64_t *next = &aarch64_this_cpu()->timer_next;
    *next = counter() + interval;
    write_sysreg(cntv_cval_el0, *next);
    write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
    isb();
}

/* Every CPU's tick; only the boot CPU's advances arch_ticks. */
void timer_irq(void)
{
    uint64_t now = counter();
    struct aarch64_percpu *p = aarch64_this_cpu();
    p->timer_next += interval;
    if (p->timer_next <= now)
        p->timer_next = now + interval; /* missed ticks are not replayed */
    write_sysreg(cntv_cval_el0, p->timer_next);
    if (p->id != 0)
        return;
    if (++ticks == 10 && poweroff_at_10) {
        kprintf("timer: 10 ticks; \"poweroff\" on the command line: powering off\n");
        psci_system_off();
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
    return read_sysreg(isr_el1) & (1u << 7);
}
