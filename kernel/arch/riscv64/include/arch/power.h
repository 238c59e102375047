/*
 * The machine's power through its firmware (kernel/obj/power.c, decision
 * 184): the SBI system reset extension (SRST), shutdown or cold reboot
 * (cpu.c). A firmware without SRST answers NOT_SUPPORTED and the call
 * returns.
 */
#ifndef WEFT_ARCH_POWER_H
#define WEFT_ARCH_POWER_H

#include "types.h"

/* The firmware call's name. */
const char *arch_power_method(void);

/* Powers off (reset false) or resets the machine; returns only on failure. */
void arch_power(bool reset);

#endif
