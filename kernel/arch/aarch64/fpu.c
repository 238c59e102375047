/*
 * Lazy FP/SIMD switching (decision 151; arch/context.h).
 *
 * The registers hold one context's state, aarch64_fpu_live's. A switch to
 * another context only closes EL0's access (CPACR_EL1.FPEN = 1: EL0 traps,
 * EL1 does not); that context's first FP/SIMD instruction traps (ESR class
 * 0x07), and aarch64_fpu_take stores the live state into its owner, loads the
 * trapping context's and reopens access. A thread that never uses FP/SIMD
 * (the servers of an IPC round trip) costs a switch two compares.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/context.h"
#include "arch/smp.h"
#include "sched/smp.h"

uint64_t aarch64_fpu_takes;

/* A remote request (sched/smp.h), on the CPU whose registers hold ctx's
 * state, without the lock: stores it there and forgets it. That CPU does not
 * run ctx (it runs here now), so its EL0 access is closed already. */
static void store_here(void *arg)
{
    struct arch_context *ctx = arg;
    if (aarch64_fpu_live == ctx) {
        aarch64_fpu_store(ctx);
        aarch64_fpu_live = NULL;
    }
}

/* Several CPUs: ctx's newest state may be live in the registers of another
 * CPU, the one it ran on before it moved (lazily kept there): that CPU
 * stores it into ctx (lock held). */
static void fetch(struct arch_context *ctx)
{
    unsigned where = aarch64_fpu_live_on(ctx);
    if (where != ~0u && where != arch_cpu_id())
        smp_call_many(1ull << where, store_here, ctx);
}

void aarch64_fpu_gate(bool open)
{
    /* No ISB: the next FP/SIMD instruction that the change concerns is at EL0,
     * after the exception return, which synchronises the write. */
    write_sysreg(cpacr_el1, open ? CPACR_FPEN : CPACR_FPEN_EL1);
    aarch64_fpu_open = open;
}

void aarch64_fpu_take(struct arch_context *ctx)
{
    aarch64_fpu_takes++;
    if (aarch64_fpu_live != ctx) {
        fetch(ctx);
        if (aarch64_fpu_live)
            aarch64_fpu_store(aarch64_fpu_live);
        aarch64_fpu_load(ctx);
        aarch64_fpu_live = ctx;
    }
    aarch64_fpu_gate(true);
}

/* ctx's thread goes away or moves to another CPU (sched_forget_fpu, lock
 * held): wherever its state is live it is stored into ctx (a thread that
 * moves keeps it; one that dies still has its context) and no CPU names ctx
 * any more. */
void arch_fpu_forget(struct arch_context *ctx)
{
    if (aarch64_fpu_live == ctx) {
        aarch64_fpu_store(ctx);
        aarch64_fpu_live = NULL;
    }
    fetch(ctx);
}
