/*
 * Several CPUs on aarch64 (decision 149; kernel/arch/aarch64/smp.c). Private
 * to the architecture.
 */
#ifndef WEFT_ARCH_AARCH64_SMP_H
#define WEFT_ARCH_AARCH64_SMP_H

#include "types.h"

struct arch_context;

/* Non-zero once a second CPU was started: from then on the entries from EL0
 * take the kernel lock and the exits drop it (until then the boot CPU holds
 * it throughout, decision 149: the exclusive-pair lock costs more than the
 * 5% a one-CPU round trip may grow). */
extern uint32_t aarch64_klock_on;

/* The kernel lock around the entries that C makes (an IRQ from EL0): taken,
 * serving requests while it waits (and giving up the entry when its thread
 * was taken meanwhile: smp_entry_check); dropped before an eret to EL0 that
 * does not go through user_entry.S. */
void aarch64_lock_entry(void);
void aarch64_lock_exit(void);

/* The CPU whose registers hold ctx's FP/SIMD state (~0u: none). */
unsigned aarch64_fpu_live_on(const struct arch_context *ctx);

/* The SGI that carries IPIs (gic.c). */
#define INTID_IPI 1

/* Per-CPU parts of the GIC and the timer, on a starting CPU (gic.c, timer.c). */
void gic_cpu_init(void);
struct aarch64_percpu;
void gic_send_sgi_to(const struct aarch64_percpu *p, unsigned intid);
void timer_cpu_init(void);
/* The per-CPU setup of arch_cpu_init (cpu.c): vectors, SA0, counters
 * closed to EL0, FP/SIMD for EL1, PAN. */
void aarch64_cpu_setup(void);

#endif
