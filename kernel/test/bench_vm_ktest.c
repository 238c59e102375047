/*
 * The VM's faults and TLB entries per MiB on every architecture (docs/perf/vm.md,
 * "Per architecture"; `make bench-vm-kernel ARCH=...` at CLUSTER_ORDER=0 and 4):
 * the fault path driven through its in-kernel API, as vm_ktest.c drives it
 * (vm_fault with the access of a write, for every page not yet mapped), on a
 * VMO mapped at a 2 MiB-aligned address, and the page tables it leaves read
 * back entry by entry.
 *
 * Window A (2 MiB) is touched whole: its faults, the kernel's instructions
 * for them (the clock around the loop, less the same loop over the mapped
 * window, under -icount shift=0 one nanosecond per instruction), and the one
 * superpage entry it ends in. Window B is touched for its first MiB only, so
 * it stays in 4 KiB entries: its faults, its leaf entries, and the TLB entries
 * those need where the architecture maps an aligned run of 16 entries over
 * 64 KiB of contiguous memory as one (riscv64's Svnapot, aarch64's contiguous
 * hint; KTEST_TLB_ENTRY_PAGES in ktest_arch.h; x86-64 has none). The figures are kernel-only: no trap entry or exit (user/bench/vm.c
 * measures those on x86-64).
 */
#include "arch.h"
#include "arch/pt.h"
#include "cap/delete.h"
#include "cap/preempt.h"
#include "config.h"
#include "kprintf.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "lib/string.h"
#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/vspace.h"

/* Pages one TLB entry covers for the 4 KiB leaf e, and whether the MMU
 * groups 64 KiB runs at all: the architecture's fact where it has one. */
#ifndef KTEST_TLB_ENTRY_PAGES
#define KTEST_TLB_ENTRY_PAGES(e) ((void)(e), 1u)
#define KTEST_TLB_GROUPS         false
#endif

#define U(x) ((unsigned long long)(x))

enum { B_POOL, B_VS, B_VMO, B_SLOTS = 4 };
static struct slot bs[B_SLOTS] __aligned(32);
#define B_BASE 0x40000000ull /* 2 MiB-aligned */
#define B_WIN  MIB(2)

/* The 4 KiB leaf entry mapping va in vs, 0 when none (or a large entry). */
#ifndef PT_ROOT_LEVEL
#define PT_ROOT_LEVEL 3u /* as kernel/mm/pt.c: riscv64's Sv39 says 2 */
#endif

static pte_t leaf_of(struct vspace *vs, vaddr_t va)
{
    paddr_t root = vs->root;
    if (!pt_lookup_root(&root, va))
        return 0;
    const pte_t *t = phys_to_virt(root);
    for (unsigned l = PT_ROOT_LEVEL; l > 0; l--) {
        pte_t e = t[pt_index(va, l)];
        if (!pte_present(e) || pte_large(e))
            return 0;
        t = phys_to_virt(pte_addr(e));
    }
    pte_t e = t[pt_index(va, 0)];
    return pte_present(e) ? e : 0;
}

static bool mapped_at(struct vspace *vs, vaddr_t va, unsigned *level)
{
    paddr_t pa;
    unsigned access;
    return vspace_translate(vs, va, &pa, &access, level);
}

/* Writes [va, va + len) page by page as a program would: a fault for each page
 * not mapped yet. Returns the faults (~0u when one was not resolved). */
static unsigned touch(struct vspace *vs, vaddr_t va, uint64_t len)
{
    unsigned faults = 0, level;
    for (vaddr_t p = va; p < va + len; p += PAGE_SIZE) {
        if (mapped_at(vs, p, &level))
            continue;
        if (vm_fault(vs, p, VM_WRITE) != VM_FAULT_RESOLVED)
            return ~0u;
        faults++;
    }
    return faults;
}

KTEST(bench_vm, faults_and_tlb_entries_per_mib)
{
    memset(bs, 0, sizeof(bs));
    uint64_t free0 = boot_pmm.free_bytes;
    KT_ASSERT(vm_boot_pool(&bs[B_POOL], MIB(16)) == WF_ERR_OK, "no pool");
    bool made =
        pool_create_vspace(&bs[B_POOL], &bs[B_VS]) == WF_ERR_OK &&
        pool_create_vmo(&bs[B_POOL], 2 * B_WIN, &bs[B_VMO]) == WF_ERR_OK &&
        vspace_map(vspace_from_cap(bs[B_VS].cap), vmo_from_cap(bs[B_VMO].cap), 0, B_BASE, 2 * B_WIN,
                   VM_READ | VM_WRITE, WF_RIGHT_READ | WF_RIGHT_WRITE) == WF_ERR_OK;
    struct vspace *vs = made ? vspace_from_cap(bs[B_VS].cap) : NULL;

    /* Window A, whole: faults and instructions, then its entry. */
    uint64_t promotions0 = vm_stats.promotions;
    uint64_t t0 = arch_clock_ns();
    unsigned fa = made ? touch(vs, B_BASE, B_WIN) : ~0u;
    uint64_t t1 = arch_clock_ns();
    unsigned again = made ? touch(vs, B_BASE, B_WIN) : ~0u;
    uint64_t t2 = arch_clock_ns();
    unsigned level_a = 9;
    bool a_mapped = made && mapped_at(vs, B_BASE + B_WIN / 2, &level_a);
    uint64_t promoted = vm_stats.promotions - promotions0;

    /* Window B, its first MiB: faults, leaf entries and TLB entries. */
    unsigned fb = made ? touch(vs, B_BASE + B_WIN, MIB(1)) : ~0u;
    unsigned leaves = 0, tlb = 0;
    for (vaddr_t p = B_BASE + B_WIN; made && p < B_BASE + B_WIN + MIB(1); p += PAGE_SIZE) {
        pte_t e = leaf_of(vs, p);
        if (!e)
            continue;
        leaves++;
        unsigned pages = KTEST_TLB_ENTRY_PAGES(e);
        if ((((p - B_BASE) / PAGE_SIZE) % pages) == 0)
            tlb++;
    }
    bool b_unmapped_beyond = made && !mapped_at(vs, B_BASE + B_WIN + MIB(1), NULL);

    preempt_begin(UINT32_MAX);
    struct pool *pl = pool_from_cap(bs[B_POOL].cap);
    bool clean = cap_revoke(&bs[B_POOL], NULL) == WF_ERR_OK && !pl->usage && !pl->objects;
    if (clean)
        vm_boot_pool_release(&bs[B_POOL]);

    KT_ASSERT(made, "no VSpace, VMO or mapping");
    KT_ASSERT(clean && boot_pmm.free_bytes == free0, "revoking the pool left memory behind");
    const unsigned per_mib = MIB(1) / CLUSTER_SIZE;
    KT_ASSERT(fa == 2 * per_mib, "window A: %u faults, not %u", fa, 2 * per_mib);
    KT_ASSERT(again == 0, "window A refaulted %u times", again);
    KT_ASSERT(a_mapped && level_a == 1 && promoted == 1, "window A not one 2 MiB entry (level %u)",
              level_a);
    KT_ASSERT(fb == per_mib, "window B: %u faults, not %u", fb, per_mib);
    KT_ASSERT(leaves == MIB(1) / PAGE_SIZE && b_unmapped_beyond,
              "window B: %u leaf entries for its first MiB", leaves);
    /* grouped where the MMU groups: a cluster of 64 KiB is one TLB entry */
    unsigned want = KTEST_TLB_GROUPS && CLUSTER_SIZE >= 0x10000 ? leaves / 16 : 0;
    KT_ASSERT(want ? tlb == want : tlb <= leaves, "window B: %u TLB entries for %u leaves", tlb,
              leaves);
    kprintf("# %s CLUSTER_ORDER=%u vm: faults per MiB %u (2 MiB window) %u (half window); "
            "kernel instructions per MiB of first touch %llu; TLB entries per MiB %u of %u "
            "leaf entries (half window), 0.5 (whole window, %llu promotion)\n",
            WEFT_ARCH_NAME, CLUSTER_ORDER, fa / 2, fb, U(((t1 - t0) - (t2 - t1)) / 2), tlb, leaves,
            U(promoted));
}
