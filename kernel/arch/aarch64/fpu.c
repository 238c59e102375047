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

struct arch_context *aarch64_fpu_live;
bool aarch64_fpu_open;
uint64_t aarch64_fpu_takes;

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
        if (aarch64_fpu_live)
            aarch64_fpu_store(aarch64_fpu_live);
        aarch64_fpu_load(ctx);
        aarch64_fpu_live = ctx;
    }
    aarch64_fpu_gate(true);
}

void arch_fpu_forget(struct arch_context *ctx)
{
    if (aarch64_fpu_live == ctx)
        aarch64_fpu_live = NULL;
}
