/*
 * Lazy FP/SIMD state across CPUs (decision 149, fpu.c): a context's state
 * left live in another CPU's registers is stored there, by a remote call,
 * when the context first uses FP/SIMD on this CPU (aarch64_fpu_take) or goes
 * away (arch_fpu_forget); the other CPU then names it no more.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/context.h"
#include "arch/smp.h"
#include "ktest.h"
#include "sched/smp.h"

static struct arch_context a, b, probe;

/* On CPU 1, without the lock (a remote call): its live state stored, ctx's
 * loaded into its registers and made its live one, as a trap there would. */
static void make_live_here(void *arg)
{
    struct arch_context *ctx = arg;
    if (aarch64_fpu_live)
        aarch64_fpu_store(aarch64_fpu_live);
    aarch64_fpu_load(ctx);
    aarch64_fpu_live = ctx;
}

static void fill(struct arch_context *c, uint64_t base)
{
    for (unsigned i = 0; i < 64; i++)
        c->fpu.v[i] = base + i;
    c->fpu.fpsr = 0;
    c->fpu.fpcr = 0;
}

KTEST(aarch64, fpsimd_state_live_on_another_cpu_is_fetched)
{
    if (smp_online < 2)
        TAP_SKIP("one CPU");
    struct arch_context *mine = aarch64_fpu_live;
    if (mine) /* this CPU's own owner keeps its state */
        aarch64_fpu_store(mine);

    /* a goes away while its state is live on CPU 1 only. */
    fill(&a, 0xa000);
    smp_call_many(2, make_live_here, &a);
    KT_ASSERT_EQ(aarch64_fpu_live_on(&a), 1u);
    fill(&a, 0); /* what CPU 1 holds is newer than memory */
    arch_fpu_forget(&a);
    KT_ASSERT(aarch64_fpu_live_on(&a) == ~0u, "CPU 1 still names a");
    for (unsigned i = 0; i < 64; i++)
        KT_ASSERT(a.fpu.v[i] == 0xa000 + i, "a's word %u: %#llx", i,
                  (unsigned long long)a.fpu.v[i]);

    /* b, live on CPU 1, uses FP/SIMD here: CPU 1 stores it, this CPU loads
     * it. */
    fill(&b, 0xb000);
    smp_call_many(2, make_live_here, &b);
    fill(&b, 0);
    aarch64_fpu_take(&b);
    KT_ASSERT(aarch64_fpu_live == &b, "b is not live here");
    KT_ASSERT(aarch64_fpu_live_on(&b) == 0u, "b is live on CPU %u", aarch64_fpu_live_on(&b));
    aarch64_fpu_store(&probe);
    for (unsigned i = 0; i < 64; i++)
        KT_ASSERT(probe.fpu.v[i] == 0xb000 + i, "register word %u: %#llx", i,
                  (unsigned long long)probe.fpu.v[i]);

    arch_fpu_forget(&b);
    KT_ASSERT(aarch64_fpu_live_on(&b) == ~0u, "a CPU still names b");
    aarch64_fpu_gate(false);
    if (mine) {
        aarch64_fpu_load(mine);
        aarch64_fpu_live = mine;
    }
}
