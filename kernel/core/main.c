/*
 * The generic boot sequence: console banner, boot memory description, CPU
 * tables, the final address space, the physical memory manager (which takes
 * every usable range left after the page tables were built), the timer and the
 * interrupt controller (device lines, arch/irqchip.h); then the boot hooks
 * (core/hook.h: none in the production image; the test image's run the
 * self-tests when the command line asks) and the root task from the initramfs
 * and the scheduler, which runs user threads from then on.
 */
#include "arch.h"
#include "arch/irqchip.h"
#include "config.h"
#include "core/boot.h"
#include "core/hook.h"
#include "genarch/platform.h"
#include "core/roottask.h"
#include "kprintf.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "panic.h"
#include "sched/sched.h"
#include "sched/smp.h"

#define TICK_HZ 100

struct bootmem boot_memory;
const char *boot_timer_source;

static void print_banner(void)
{
    kprintf("\nWeft microkernel (" WEFT_ARCH_NAME ", CLUSTER_ORDER=%d: %llu KiB clusters over "
            "%llu KiB pages)\n",
            CLUSTER_ORDER, (unsigned long long)(CLUSTER_SIZE >> 10),
            (unsigned long long)(PAGE_SIZE >> 10));
}

void kernel_main(const char *boot_error)
{
    print_banner();
    if (boot_error)
        panic("cannot boot: %s", boot_error);
    kprintf("boot: protocol %s, command line \"%s\"\n", boot_memory.protocol, boot_memory.cmdline);
    bootmem_print(&boot_memory);

    arch_cpu_init();
    sched_cpu_init();
    arch_mmu_init(&boot_memory);
    platform_init();
    arch_cpu_prepare(&boot_memory);
    mm_boot_init(&boot_memory);
    bootmem_seal(&boot_memory);

    char arg[64];
    bool legacy = bootmem_cmdline_get(&boot_memory, "timer", arg, sizeof(arg)) && arg[0] == 'p';
    boot_timer_source = arch_timer_init(TICK_HZ, legacy);
    irqchip_init();
    smp_boot();
    irq_enable();
    HOOKS_RUN(boot);

    if (boot_memory.nmod)
        roottask_start();
    else
        kprintf("boot: no initramfs module: no root task to start\n");
    kprintf("Weft ready.\n");
    sched_run();
}
