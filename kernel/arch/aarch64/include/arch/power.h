/*
 * The machine's power through its firmware (kernel/obj/power.c, decision
 * 184): PSCI SYSTEM_OFF and SYSTEM_RESET by the conduit the device tree's
 * psci node names (hvc or smc; cpu.c).
 */
#ifndef WEFT_ARCH_POWER_H
#define WEFT_ARCH_POWER_H

#include "types.h"

/* The firmware call's name, NULL where the device tree gives no PSCI. */
const char *arch_power_method(void);

/* Powers off (reset false) or resets the machine; returns only on failure. */
void arch_power(bool reset);

#endif
