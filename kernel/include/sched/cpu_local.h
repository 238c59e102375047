/*
 * What each CPU keeps of the scheduler's state (decision 129): the thread it
 * runs, the context whose FPU state it holds, the VSpace it has loaded and
 * the highest queued priority the IPC fast path compares with. Every CPU has
 * one struct cpu_local in its per-CPU block; `this_cpu_local` (arch/percpu.h) is
 * this CPU's, as an lvalue, reached as cheaply as a global (x86-64: one
 * %gs-relative access), so the fast path costs what it cost with globals.
 * sched/sched.h and obj/vspace.h name the fields as before (sched_current,
 * sched_fpu_ctx, sched_top_prio, vspace_current).
 */
#ifndef WEFT_SCHED_CPU_LOCAL_H
#define WEFT_SCHED_CPU_LOCAL_H

#include "types.h"

struct tcb;
struct arch_context;
struct vspace;

struct cpu_local {
    struct tcb *current;          /* sched_current */
    struct arch_context *fpu_ctx; /* sched_fpu_ctx */
    struct vspace *vspace;        /* vspace_current */
    int top_prio;                 /* sched_top_prio */
    unsigned id;                  /* this CPU's id (arch_cpu_id) */
    uint64_t bit;                 /* 1 << id: its bit in a VSpace's CPU mask */
};

#endif
