/*
 * The machine's power through its firmware (kernel/obj/power.c, decision
 * 184): x86-64 has no such call here. QEMU pc powers off and resets by port
 * writes (ACPI PM1a control, the reset control register) that the boot
 * configuration names and init makes through the IOPort cap, so Power_Off and
 * Power_Reset fail.
 */
#ifndef WEFT_ARCH_POWER_H
#define WEFT_ARCH_POWER_H

#include "types.h"

/* The firmware call's name, NULL where there is none. */
static inline const char *arch_power_method(void)
{
    return NULL;
}

/* Powers off (reset false) or resets the machine; returns only on failure. */
static inline void arch_power(bool reset)
{
    (void)reset;
}

#endif
