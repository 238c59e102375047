/*
 * Lazy FP state across harts (decision 175, fpu.c): a context's state left
 * live in another hart's registers is stored there, by a remote call, when
 * the context first uses FP on this hart (riscv_fpu_take) or goes away or
 * moves (arch_fpu_forget); the other hart then names it no more.
 */
#include "arch.h"
#include "arch/context.h"
#include "arch/smp.h"
#include "ktest.h"
#include "sched/smp.h"

static struct arch_context a, b, probe;

/* On hart 1, without the lock (a remote call): its live state stored, ctx's
 * loaded into its registers and made its live one, as a trap there would. */
static void make_live_here(void *arg)
{
    struct arch_context *ctx = arg;
    if (riscv_fpu_live)
        riscv_fpu_store(riscv_fpu_live);
    riscv_fpu_load(ctx);
    riscv_fpu_live = ctx;
    riscv_fpu_dirty = true; /* as U-mode writing and then switched away */
    if (!riscv_fpu_open)    /* FS as the hart's flag says */
        csr_clear(sstatus, SSTATUS_FS);
}

static void fill(struct arch_context *c, uint64_t base)
{
    for (unsigned i = 0; i < 32; i++)
        c->fpu.f[i] = base + i;
    c->fpu.fcsr = 0;
}

KTEST(riscv64, fp_state_live_on_another_hart_is_fetched)
{
    if (smp_online < 2)
        TAP_SKIP("one hart");
    struct arch_context *mine = riscv_fpu_live;
    if (mine) /* this hart's own owner keeps its state */
        arch_fpu_forget(mine);

    /* a goes away while its state is live on hart 1 only. */
    fill(&a, 0xa000);
    smp_call_many(2, make_live_here, &a);
    KT_ASSERT_EQ(riscv_fpu_live_on(&a), 1u);
    fill(&a, 0); /* what hart 1 holds is newer than memory */
    arch_fpu_forget(&a);
    KT_ASSERT(riscv_fpu_live_on(&a) == ~0u, "hart 1 still names a");
    for (unsigned i = 0; i < 32; i++)
        KT_ASSERT(a.fpu.f[i] == 0xa000 + i, "a's f%u: %#llx", i, (unsigned long long)a.fpu.f[i]);

    /* b, live on hart 1, uses FP here: hart 1 stores it, this hart loads it. */
    fill(&b, 0xb000);
    smp_call_many(2, make_live_here, &b);
    fill(&b, 0);
    riscv_fpu_take(&b);
    KT_ASSERT(riscv_fpu_live == &b, "b is not live here");
    KT_ASSERT(riscv_fpu_live_on(&b) == 0u, "b is live on hart %u", riscv_fpu_live_on(&b));
    riscv_fpu_store(&probe);
    for (unsigned i = 0; i < 32; i++)
        KT_ASSERT(probe.fpu.f[i] == 0xb000 + i, "register f%u: %#llx", i,
                  (unsigned long long)probe.fpu.f[i]);

    arch_fpu_forget(&b);
    KT_ASSERT(riscv_fpu_live_on(&b) == ~0u, "a hart still names b");
    riscv_fpu_gate(false);
}
