/*
 * This CPU's block on aarch64 (decision 149): struct aarch64_percpu, reached
 * through TPIDR_EL1, which each CPU sets before any C runs (head.S for the
 * boot CPU, smp.c's entry stub for the others). Its first member is the
 * scheduler's struct cpu_local (sched/cpu_local.h), so `this_cpu_local` is
 * one mrs and one load, as many instructions as a global's adrp and load.
 * The rest is the port's own per-CPU state: the context EL0 runs in (the
 * entry saves into it), the lazily switched FP/SIMD owner, the kernel stack,
 * the timer's next compare value and the GIC's per-CPU facts.
 */
#ifndef WEFT_ARCH_AARCH64_PERCPU_H
#define WEFT_ARCH_AARCH64_PERCPU_H

/* Offsets the assembly uses (checked in smp.c). */
#define PERCPU_USER_CTX 40
#define PERCPU_KSTACK   48

#ifndef __ASSEMBLER__
#include "sched/cpu_local.h"

struct aarch64_percpu {
    struct cpu_local local;        /* offset 0: this_cpu_local */
    struct arch_context *user_ctx; /* PERCPU_USER_CTX: arch_user_ctx */
    char *kstack_top;              /* PERCPU_KSTACK: the entries' stack */
    struct arch_context *fpu_live; /* aarch64_fpu_live (fpu.c) */
    bool fpu_open;                 /* aarch64_fpu_open */
    bool irq_entry;                /* waiting for the lock in an entry that is an IRQ */
    unsigned id;                   /* arch_cpu_id */
    uint64_t mpidr;                /* affinity (MPIDR_EL1 & 0xff00ffffff) */
    uint64_t timer_next;           /* the timer's next compare value */
    volatile void *gicr_sgi;       /* GICv3: this CPU's redistributor SGI frame */
    uint8_t gic_mask;              /* GICv2: this CPU interface's target bit */
};

static inline struct aarch64_percpu *aarch64_this_cpu(void)
{
    struct aarch64_percpu *p;
    __asm__("mrs %0, tpidr_el1" : "=r"(p)); /* constant for the CPU: not volatile */
    return p;
}

#define this_cpu_local (aarch64_this_cpu()->local)
#endif

#endif
