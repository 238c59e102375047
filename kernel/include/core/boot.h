/*
 * The generic boot sequence (kernel/core/main.c) and what it leaves behind.
 */
#ifndef WEFT_CORE_BOOT_H
#define WEFT_CORE_BOOT_H

#include "core/bootmem.h"

/* The boot memory description, filled by the architecture's entry code from the
 * loader's information and owned by the kernel from then on. */
extern struct bootmem boot_memory;

/* Generic boot: called by the architecture's entry once boot_memory is filled
 * (or boot_error says why it could not be). Never returns. */
__noreturn void kernel_main(const char *boot_error);

/* Name of the timer source chosen at boot ("lapic", "pit"). */
extern const char *boot_timer_source;

#endif
