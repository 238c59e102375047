/*
 * Lazy FP switching on riscv64 (decision 175; arch/context.h), as aarch64's
 * (decision 151) with sstatus.FS for CPACR_EL1.FPEN.
 *
 * The registers hold one context's state, riscv_fpu_live's. A switch to
 * another context only turns FS Off (arch_fpu_restore); that context's first
 * FP instruction in U-mode is an illegal instruction (user.c), and
 * riscv_fpu_take stores the live state into its owner where it changed since
 * it was loaded or last stored (FS Dirty, now or when it was turned Off),
 * loads the trapping context's and lets U-mode in (FS Clean); the
 * instruction runs again. A thread that never uses FP (the servers of an IPC
 * round trip) costs a switch two compares.
 */
#include "arch.h"
#include "arch/context.h"
#include "arch/riscv.h"
#include "arch/smp.h"
#include "sched/smp.h"

uint64_t riscv_fpu_takes;

/* The registers hold changes riscv_fpu_live's memory lacks. */
static bool live_changed(void)
{
    return riscv_fpu_dirty ||
           (riscv_fpu_open && (csr_read(sstatus) & SSTATUS_FS) == SSTATUS_FS_DIRTY);
}

/* Stores the live state into its owner where it changed; the registers keep
 * it (and FS, Clean where it was Dirty and open). */
static void store_live(void)
{
    if (riscv_fpu_live && live_changed()) {
        riscv_fpu_store(riscv_fpu_live);
        if (riscv_fpu_open) {
            csr_clear(sstatus, SSTATUS_FS);
            csr_set(sstatus, SSTATUS_FS_CLEAN);
        }
    }
    riscv_fpu_dirty = false;
}

/* A remote request (sched/smp.h), on the hart whose registers hold ctx's
 * state, without the lock: stores it there and forgets it. That hart does
 * not run ctx (it runs elsewhere now). */
static void store_here(void *arg)
{
    struct arch_context *ctx = arg;
    if (riscv_fpu_live == ctx) {
        store_live();
        riscv_fpu_live = NULL;
    }
}

/* Several harts: ctx's newest state may be live in the registers of another
 * hart, the one it ran on before it moved (lazily kept there): that hart
 * stores it into ctx (lock held). */
static void fetch(struct arch_context *ctx)
{
    unsigned where = riscv_fpu_live_on(ctx);
    if (where != ~0u && where != arch_cpu_id())
        smp_call_many(1ull << where, store_here, ctx);
}

void riscv_fpu_take(struct arch_context *ctx)
{
    riscv_fpu_takes++;
    if (riscv_fpu_live != ctx) {
        fetch(ctx);
        store_live();
        riscv_fpu_load(ctx); /* FS Clean: open */
        riscv_fpu_live = ctx;
        riscv_fpu_open = true;
        return;
    }
    riscv_fpu_gate(true);
}

void arch_fpu_forget(struct arch_context *ctx)
{
    if (riscv_fpu_live == ctx) {
        store_live();
        riscv_fpu_live = NULL;
    }
    fetch(ctx);
}
