/*
 * The boot sequence of the aarch64 port while it is partial, in place of
 * kernel/core/main.c (which needs user mode and the scheduler):
 * the same banner, boot memory description, CPU, final address space,
 * platform, timer and interrupt controller steps in the same order, then the
 * boot hooks (the test image runs its self-tests or provokes a fault there),
 * then ten ticks and an idle loop where the generic kernel would start the
 * root task (or, with "poweroff" on the command line, PSCI SYSTEM_OFF). When the port provides the whole contract this file goes and
 * mk/arch-aarch64.mk's ARCH_GENERIC_SRCS with it.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/irqchip.h"
#include "config.h"
#include "core/boot.h"
#include "core/hook.h"
#include "genarch/platform.h"
#include "kprintf.h"
#include "mm/pmm.h"
#include "panic.h"

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
    kprintf("boot: entered at EL%u, device tree at %#llx (%u bytes)\n", boot_entry_el,
            (unsigned long long)boot_fdt_paddr, boot_fdt_size);
    kprintf("boot: protocol %s, command line \"%s\"\n", boot_memory.protocol, boot_memory.cmdline);
    bootmem_print(&boot_memory);

    arch_cpu_init();
    arch_mmu_init(&boot_memory);
    platform_init();
    mm_boot_init(&boot_memory);
    bootmem_seal(&boot_memory);
    boot_timer_source = arch_timer_init(TICK_HZ, false);
    irqchip_init();
    irq_enable();
    HOOKS_RUN(boot);

    while (arch_ticks() < 10)
        cpu_wait_irq();
    char arg[8];
    bool off = bootmem_cmdline_get(&boot_memory, "poweroff", arg, sizeof(arg));
    kprintf("stage: 10 ticks; no user mode on aarch64 yet: %s\n", off ? "powering off" : "idling");
    if (off)
        psci_system_off();
    for (;;)
        cpu_wait_irq();
}
