/*
 * Power: the machine's power through its firmware, as a capability (decision
 * 184). One cap exists at boot, the root task's (slot WF_ROOT_POWER), an
 * original whose copies are leaves of the derivation tree (the generic rules
 * of kernel/cap/cdt.c: no object behind it, nothing to finalize). Off and
 * Reset hand the request to the architecture (arch_power in arch/power.h:
 * PSCI SYSTEM_OFF and SYSTEM_RESET on aarch64, the SBI system reset extension
 * on riscv64), which does not return when the firmware does what it is
 * asked. Where there is no such call (x86-64, whose machine powers off
 * through a port the boot configuration names) or the firmware refuses, the
 * invocation fails with ILLEGAL_OPERATION and nothing has changed.
 */
#include "arch/power.h"
#include "cap/invoke.h"
#include "kprintf.h"

static enum wf_error power(struct invocation *inv, bool reset)
{
    const char *how = arch_power_method();
    if (!how)
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    kprintf("power: %s through %s\n", reset ? "reset" : "off", how);
    arch_power(reset);
    return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
}

enum wf_error power_decode_off(struct invocation *inv)
{
    return power(inv, false);
}

enum wf_error power_decode_reset(struct invocation *inv)
{
    return power(inv, true);
}
