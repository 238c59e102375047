/*
 * This CPU's struct cpu_local (sched/cpu_local.h) on x86-64: a field of the
 * per-CPU block (struct percpu, arch/context.h) at PERCPU_LOCAL, reached
 * through %gs (clang's address space 256), one instruction an access like a
 * global's.
 */
#ifndef WEFT_ARCH_X86_64_PERCPU_H
#define WEFT_ARCH_X86_64_PERCPU_H

#include "sched/cpu_local.h"

#define PERCPU_LOCAL 208 /* offsetof(struct percpu, local), checked in arch/context.h */

#define this_cpu_local (*(struct cpu_local __attribute__((address_space(256))) *)PERCPU_LOCAL)

/* The same record's ordinary address (for other CPUs to reach it: sched.c
 * keeps one per CPU); reads the GS base, so only at set-up. */
struct cpu_local *x86_cpu_local_flat(void);
#define this_cpu_local_flat() x86_cpu_local_flat()

#endif
