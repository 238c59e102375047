/*
 * This hart's block on riscv64 (decision 157): struct riscv_percpu, reached
 * through tp, which the kernel keeps for it (the C is built without TLS, so
 * nothing else uses tp in S-mode): head.S sets it for the boot hart, smp.c's
 * entry stub for the others, and the trap entry from U-mode loads it back
 * from the context it saves into (the exit leaves it there, C_KTP). Its first
 * member is the scheduler's struct cpu_local (sched/cpu_local.h), so
 * `this_cpu_local` is a move and a load, as many instructions as a global's
 * auipc and load. The rest is the port's own per-hart state.
 */
#ifndef WEFT_ARCH_RISCV64_PERCPU_H
#define WEFT_ARCH_RISCV64_PERCPU_H

/* Offsets the assembly uses (checked in smp.c). */
#define PERCPU_USER_CTX 40
#define PERCPU_KSTACK   48
#define PERCPU_KLOCK_ON 56
#define PERCPU_FAST_NR  96 /* the fast path's two numbers: ipc_fastpath_sysno */

#ifndef __ASSEMBLER__
#include "sched/cpu_local.h"

struct riscv_percpu {
    struct cpu_local local;        /* offset 0: this_cpu_local */
    struct arch_context *user_ctx; /* PERCPU_USER_CTX: arch_user_ctx */
    char *kstack_top;              /* PERCPU_KSTACK: the entries' stack */
    uint32_t klock_on;             /* PERCPU_KLOCK_ON: entries take the kernel lock */
    unsigned id;                   /* arch_cpu_id */
    uint64_t hartid;               /* the SBI's name for it */
    uint64_t timer_next;           /* the timer's next compare value */
    struct arch_context *fpu_live; /* riscv_fpu_live (fpu.c) */
    bool fpu_open;                 /* riscv_fpu_open */
    bool fpu_dirty;                /* riscv_fpu_dirty */
    /* PERCPU_FAST_NR: this hart's copy of ipc_fastpath_sysno (Call's and
     * ReplyRecv's numbers while the fast path is on), which trap.S's ecall
     * entry loads through tp, one instruction each (the global's address
     * would take two more): arch_fastpath_sysno_changed keeps every block's
     * copy equal to it, arch_smp_block_init sets a new one's. */
    uint64_t fast_nr[2];
};

/* tp, which the compiler takes as constant for the hart (as it is) and uses
 * as the base of each access itself: `lw a3, 24(tp)`, not a copy first. */
static inline struct riscv_percpu *riscv_this_cpu(void)
{
    return (struct riscv_percpu *)__builtin_thread_pointer();
}

#define this_cpu_local (riscv_this_cpu()->local)
#endif

#endif
