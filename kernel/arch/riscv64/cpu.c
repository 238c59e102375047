/*
 * The boot hart (riscv64): trap vector, FP access, counters, halting, the
 * test exit, power-off, and the contract's bring-up calls for one hart.
 */
#include "arch.h"
#include "arch/percpu.h"
#include "arch/power.h"
#include "arch/riscv.h"
#include "arch/smp.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "panic.h"

extern const char trap_entry[], trap_entry_smp[];

/* QEMU virt's test finisher (sifive,test0 at 0x100000): writing 0x3333 with
 * a code in the upper half ends QEMU with that exit code. */
#define TEST_FINISHER_PA   0x100000ull
#define TEST_FINISHER_FAIL 0x3333u

/* Through the early tables' kernel window until arch_mmu_init maps it in the
 * MMIO window, so that even a boot error ends a test run. */
volatile void *riscv_test_dev = (volatile void *)(uintptr_t)(KERNEL_VMA + TEST_FINISHER_PA);

void arch_cpu_init(void)
{
    kprintf("boot: hart %lu, device tree at %#llx (%u bytes)\n", boot_hartid,
            (unsigned long long)boot_fdt_paddr, boot_fdt_size);
    riscv_cpu_setup();
}

/* What every hart sets up for itself (the boot hart here, the others in
 * smp.c's start). */
void riscv_cpu_setup(void)
{
    /* head.S set the vector before C ran; set it again so the contract's one
     * place for it holds: the one that takes the kernel lock where this
     * hart's entries must (klock_on, trap.S). sscratch 0: S-mode (trap.S). */
    csr_write(stvec, (uintptr_t)(riscv_this_cpu()->klock_on ? trap_entry_smp : trap_entry));
    csr_write(sscratch, 0);
    /* U-mode: no counters (time, cycle, instret read in U-mode are illegal
     * instructions, as aarch64 closes its counter to EL0). */
    csr_write(scounteren, 0);
    /* FP: Off until a context's first FP instruction loads its state (the
     * lazy switch, fpu.c: this hart's riscv_fpu_live is NULL, its
     * riscv_fpu_open false). The kernel never uses it (no F or D in its C).
     * SUM stays clear: the kernel cannot touch user pages through user
     * addresses (x86's SMAP, aarch64's PAN). */
    csr_clear(sstatus, SSTATUS_FS | SSTATUS_SUM | SSTATUS_MXR);
}

unsigned arch_phys_addr_bits(void)
{
    return 56; /* Sv48 and Sv39 leaves name 56-bit physical addresses */
}

__noreturn void arch_halt(void)
{
    irq_disable();
    for (;;)
        __asm__ volatile("wfi");
}

/* Status v becomes exit code (v << 1) | 1, as x86-64's isa-debug-exit. */
void arch_debug_exit(unsigned status)
{
    if (!riscv_test_dev)
        return;
    uint32_t code = (status << 1) | 1;
    mmio_write32(riscv_test_dev, 0, TEST_FINISHER_FAIL | code << 16);
}

/* SBI system reset: shutdown (type 0), no reason; returns only if the SBI
 * has no SRST extension or the call fails. */
void sbi_system_off(void)
{
    sbi_call(SBI_EXT_SRST, 0, 0, 0, 0);
}

/* The Power object's firmware call (arch/power.h). */
const char *arch_power_method(void)
{
    return "SBI SRST";
}

/* SBI system reset: cold reboot (type 1) or shutdown (type 0), no reason;
 * returns only on failure. */
void arch_power(bool reset)
{
    sbi_call(SBI_EXT_SRST, 0, reset ? 1 : 0, 0, 0);
}
