/*
 * The boot CPU (aarch64): vectors, FP/SIMD access, PAN, halting, the test exit.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/context.h"
#include "arch/percpu.h"
#include "arch/power.h"
#include "arch/smp.h"
#include "panic.h"
#include "genarch/fdt.h"
#include "kprintf.h"

extern const char vectors[];
int64_t semihost_call(uint64_t op, const void *block);

void arch_cpu_init(void)
{
    kprintf("boot: entered at EL%u, device tree at %#llx (%u bytes)\n", boot_entry_el,
            (unsigned long long)boot_fdt_paddr, boot_fdt_size);
    aarch64_cpu_setup();
}

/* What every CPU sets up for itself (the boot CPU here, the others in
 * smp.c's start). */
void aarch64_cpu_setup(void)
{
    /* head.S installed the vectors before C ran; set them again so the
     * contract's one place for it holds. SP_EL1 stays the exception stack. */
    write_sysreg(vbar_el1, (uintptr_t)vectors);
    /* EL0: SP alignment checked (SA0); no timer or counter access (CNTKCTL_EL1
     * all clear: such an access is a trapped system register access). */
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_SA0);
    write_sysreg(cntkctl_el1, 0);
    /* FP/SIMD: no trap at EL1 (fpsimd.S; the kernel itself never uses the
     * registers, -mgeneral-regs-only); EL0's first use traps until a context's
     * state is loaded (lazy switching, fpu.c). */
    aarch64_fpu_gate(false);
    /* PAN (ARMv8.1), as x86's SMAP: the kernel cannot access user memory
     * through a user address. SCTLR_EL1.SPAN clear sets PSTATE.PAN on every
     * exception taken to EL1; set it now for the boot path. */
    if (aarch64_has_pan()) {
        write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) & ~SCTLR_SPAN);
        pan_set(true);
    }
    isb();
}

bool aarch64_has_pan(void)
{
    return ((read_sysreg(id_aa64mmfr1_el1) >> 20) & 0xf) != 0;
}

unsigned arch_phys_addr_bits(void)
{
    static const unsigned bits[8] = {32, 36, 40, 42, 44, 48, 52, 52};
    return bits[read_sysreg(id_aa64mmfr0_el1) & 7];
}

__noreturn void arch_halt(void)
{
    irq_disable();
    for (;;)
        __asm__ volatile("wfi");
}

/* Semihosting SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit (0x20026): QEMU
 * exits with the block's second word as its status. Like x86-64's
 * isa-debug-exit, status v becomes exit code (v << 1) | 1, so test images end
 * with the same codes on both architectures. Without semihosting the call
 * returns (aarch64_trap skips the undefined instruction). */
void arch_debug_exit(unsigned status)
{
    const uint64_t block[2] = {0x20026, ((uint64_t)status << 1) | 1};
    semihost_call(0x18, block);
}

/* A PSCI call without arguments (SYSTEM_OFF 0x84000008, SYSTEM_RESET
 * 0x84000009) by the conduit the device tree names; returns only if there is
 * none or the call fails. */
static void psci_call0(uint64_t fn)
{
    register uint64_t x0 __asm__("x0") = fn;
    if (boot_fdt.psci == FDT_PSCI_HVC)
        __asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    else if (boot_fdt.psci == FDT_PSCI_SMC)
        __asm__ volatile("smc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
}

/* PSCI SYSTEM_OFF; returns only if there is no PSCI or the call fails. */
void psci_system_off(void)
{
    psci_call0(0x84000008u);
}

/* The Power object's firmware call (arch/power.h): PSCI by its conduit. */
const char *arch_power_method(void)
{
    return boot_fdt.psci == FDT_PSCI_HVC   ? "PSCI (hvc)"
           : boot_fdt.psci == FDT_PSCI_SMC ? "PSCI (smc)"
                                           : NULL;
}

/* PSCI SYSTEM_RESET or SYSTEM_OFF; returns only on failure. */
void arch_power(bool reset)
{
    psci_call0(reset ? 0x84000009u : 0x84000008u);
}
