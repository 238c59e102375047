/*
 * Page tables of user address spaces: the walk shared by every architecture
 * (the contract is in arch.h).
 *
 * Four levels of 512 entries, numbered from the leaf: 0 (4 KiB pages), 1 (2 MiB
 * windows), 2 (1 GiB), 3 (the root); or three, the root at level 2, where the
 * architecture's arch/pt.h says so through PT_ROOT_LEVEL (riscv64's Sv39). The entry format, the TLB and ordering
 * rules and the part of the root that belongs to the user are the
 * architecture's, in arch/pt.h (x86-64: kernel/arch/x86_64/include/arch/pt.h,
 * aarch64: kernel/arch/aarch64/include/arch/pt.h); every helper there is
 * inline, so the walk costs what a per-architecture copy would.
 *
 * Tables are filled on demand by the fault path: this file only walks, creates
 * and clears entries; what is mapped where is decided by the VSpace (regions)
 * and the VMO (clusters).
 *
 * Superpages. A window of 2 MiB is promoted by replacing its level-1 entry
 * (which pointed to a page table) with a large entry; the table is freed.
 * Demotion is the reverse, done when part of a large entry is unmapped: the
 * entry is split into a fresh table of 512 entries with the same rights, and
 * the part being removed is then cleared like any 4 KiB mapping. If no table
 * page can be had, the large entry is dropped whole instead; the rest refaults
 * in 4 KiB pages (the VMO still holds the memory, so nothing is lost).
 *
 * TLB. A change to an address space whose translations the TLB may hold
 * invalidates what it changed: one page at a time for a few pages, one full
 * flush for many. Before a present entry changes, the context's shoot hook
 * runs (the VSpace's TLB shootdown for other CPUs, once per kernel entry).
 *
 * The code is plain memory manipulation through phys_to_virt, so the host tests
 * compile it against a buffer standing in for RAM.
 */
#include "arch.h"
#include "arch/pt.h"
#include "config.h"
#include "mm/vm.h"
#include "panic.h"

#define ENTRIES    512u
#define FLUSH_MAX  32u /* beyond this many pages, one full flush */
#define LARGE_SIZE (1ull << 21)
#ifndef PT_ROOT_LEVEL
#define PT_ROOT_LEVEL 3u
#endif

/* The entry for physical address pa with bits: the address in place, unless
 * the architecture's entries hold it elsewhere (riscv64: pa >> 2), which its
 * arch/pt.h says by defining PT_ENTRY. */
#ifndef PT_ENTRY
#define PT_ENTRY(pa, bits) ((pa) | (bits))
#endif

/* Hooks for an architecture that can map an aligned run of 4 KiB entries as
 * one TLB entry (its arch/pt.h defines them): after a run of a page table's
 * entries was written (pt_map_run), before a range of one page table is
 * cleared (pt_unmap_run: a group only partly cleared must be split first),
 * and the physical address of va under a 4 KiB leaf. va is the address entry
 * idx translates (for the TLB invalidations a group's rewrite needs). */
#ifndef PT_HAS_RUN_HOOKS
static inline void pt_map_run(struct pt_ctx *c, pte_t *pt, unsigned idx, size_t n, vaddr_t va)
{
    (void)c, (void)pt, (void)idx, (void)n, (void)va;
}

static inline void pt_unmap_run(struct pt_ctx *c, pte_t *pt, unsigned idx, size_t n, vaddr_t va)
{
    (void)c, (void)pt, (void)idx, (void)n, (void)va;
}

#define pt_leaf_pa(e, va, size) ((pte_addr(e) & ~((size)-1)) + ((va) & ((size)-1)))
#endif

static pte_t *tab(paddr_t pa)
{
    return phys_to_virt(pa);
}

/* Before a present translation changes or goes: other CPUs that may hold it
 * drop their TLBs (and stay in the kernel until this CPU leaves it). */
static inline void remote(struct pt_ctx *c)
{
    if (c->shoot)
        c->shoot(c);
}

/* The table at level `level` (2, 1 or 0) covering va, creating the missing ones
 * when create; NULL when missing (and not created, or no memory) or when a
 * large entry covers va above that level. */
static pte_t *walk(struct pt_ctx *c, vaddr_t va, unsigned level, bool create, bool *nomem)
{
    pte_t *t = tab(c->root);
    for (unsigned l = PT_ROOT_LEVEL; l > level; l--) {
        pte_t *e = &t[pt_index(va, l)];
        if (!pte_present(*e)) {
            if (!create)
                return NULL;
            paddr_t pa = c->alloc(c);
            if (!pa) {
                *nomem = true;
                return NULL;
            }
            pt_link_new(e, pa);
        } else if (pte_large(*e)) {
            return NULL;
        }
        t = tab(pte_addr(*e));
    }
    return t;
}

bool arch_pt_map(struct pt_ctx *c, vaddr_t va, paddr_t pa, size_t npages, unsigned access)
{
    uint64_t bits = pt_page_bits(access);
    while (npages) {
        bool nomem = false;
        pte_t *pt = walk(c, va, 0, true, &nomem);
        size_t n = MIN(npages, (size_t)(ENTRIES - pt_index(va, 0)));
        if (!pt) {
            if (nomem)
                return false;
        } else {
            for (size_t i = 0; i < n; i++) {
                pte_t *e = &pt[pt_index(va, 0) + i];
                pte_t v = PT_ENTRY(pa + i * PAGE_SIZE, bits);
                if (*e != v) {
                    if (pte_present(*e))
                        remote(c); /* a copy-on-write break, a new right */
                    pt_set_page(c, e, v, va + i * PAGE_SIZE);
                }
            }
            pt_map_run(c, pt, pt_index(va, 0), n, va);
        }
        va += n * PAGE_SIZE;
        pa += n * PAGE_SIZE;
        npages -= n;
    }
    pt_sync(c);
    return true;
}

void arch_pt_map_super(struct pt_ctx *c, vaddr_t va, paddr_t pa, unsigned access)
{
    bool nomem = false;
    pte_t *pd = walk(c, va, 1, false, &nomem);
    assert(pd && IS_ALIGNED(va | pa, LARGE_SIZE));
    pte_t *e = &pd[pt_index(va, 1)];
    paddr_t old = pte_present(*e) && !pte_large(*e) ? pte_addr(*e) : 0;
    if (pte_present(*e))
        remote(c);
    pt_set_large(c, e, PT_ENTRY(pa, pt_large_bits(access)), old);
    pt_sync(c);
    if (old)
        c->free(c, old);
}

/* Splits the large entry *e (the window at wva) into a page table with the
 * same translations; false when no table page can be had. */
static bool demote(struct pt_ctx *c, pte_t *e, vaddr_t wva)
{
    paddr_t t = c->alloc(c);
    if (!t)
        return false;
    pte_t *pt = tab(t);
    paddr_t base = pte_addr(*e) & ~(LARGE_SIZE - 1);
    uint64_t bits = pt_split_bits(*e);
    for (unsigned i = 0; i < ENTRIES; i++)
        pt[i] = PT_ENTRY(base + i * PAGE_SIZE, bits);
    pt_relink_split(c, e, t, wva);
    return true;
}

/* Clears [va, end) inside the 2 MiB window at wva of the present entry *pde,
 * counting invalidated pages in *flushed. */
static void unmap_window(struct pt_ctx *c, pte_t *pde, vaddr_t wva, vaddr_t va, vaddr_t end,
                         unsigned *flushed)
{
    bool whole = va == wva && end == wva + LARGE_SIZE;
    remote(c); /* unmap, demotion */
    if (pte_large(*pde)) {
        c->demotions += !whole;
        if (whole || !demote(c, pde, wva)) {
            *pde = 0;
            if (pt_tlb_live(c))
                arch_tlb_flush_page(wva); /* one invalidation drops the whole large entry */
            return;
        }
    }
    paddr_t ptpa = pte_addr(*pde);
    pte_t *pt = tab(ptpa);
    pt_unmap_run(c, pt, pt_index(va, 0), (size_t)((end - va) / PAGE_SIZE), va);
    for (vaddr_t a = va; a < end; a += PAGE_SIZE) {
        pte_t *e = &pt[pt_index(a, 0)];
        if (!pte_present(*e))
            continue;
        *e = 0;
        if (pt_tlb_live(c) && ++*flushed <= FLUSH_MAX)
            arch_tlb_flush_page(a);
    }
    if (whole) {
        *pde = 0;
        pt_flush_table(c, wva);
        c->free(c, ptpa);
    }
}

/* Clears [va, end), stopping (when bounded) after `units` units: a window with
 * an entry costs ENTRIES, a step over a missing entry or table 1. Returns where
 * it stopped. Inlined twice, so the unbounded walk pays nothing for the count. */
static inline __attribute__((always_inline)) vaddr_t
unmap_walk(struct pt_ctx *c, vaddr_t va, vaddr_t end, uint64_t units, bool bounded)
{
    uint64_t cost = 0, budget = units > UINT64_MAX / ENTRIES ? UINT64_MAX : units * ENTRIES;
    unsigned flushed = 0;
    while (va < end && (!bounded || cost < budget)) {
        vaddr_t wva = va & ~(LARGE_SIZE - 1);
        vaddr_t wend = MIN(end, wva + LARGE_SIZE);
        bool nomem = false;
        pte_t *pd = walk(c, va, 1, false, &nomem);
        if (bounded)
            cost++;
        if (!pd) {
            /* no level-1 table here: skip to the next 1 GiB or root entry's window */
            vaddr_t step = pte_present(tab(c->root)[pt_index(va, PT_ROOT_LEVEL)])
                               ? 1ull << 30
                               : 1ull << (12 + 9 * PT_ROOT_LEVEL);
            va = MIN(end, (va & ~(step - 1)) + step);
            continue;
        }
        pte_t *pde = &pd[pt_index(va, 1)];
        if (pte_present(*pde)) {
            unmap_window(c, pde, wva, va, wend, &flushed);
            if (bounded)
                cost += ENTRIES - 1;
        }
        va = wend;
    }
    if (flushed > FLUSH_MAX)
        arch_tlb_flush_all();
    pt_sync(c);
    return va;
}

vaddr_t arch_pt_unmap_some(struct pt_ctx *c, vaddr_t va, vaddr_t end, uint64_t units)
{
    return unmap_walk(c, va, end, units, true);
}

void arch_pt_unmap(struct pt_ctx *c, vaddr_t va, vaddr_t end)
{
    unmap_walk(c, va, end, 0, false);
}

bool arch_pt_lookup(paddr_t root, vaddr_t va, paddr_t *pa, unsigned *access, unsigned *level)
{
    if (!pt_lookup_root(&root, va))
        return false;
    pte_t *t = tab(root);
    for (unsigned l = PT_ROOT_LEVEL;; l--) {
        pte_t e = t[pt_index(va, l)];
        if (!pte_present(e))
            return false;
        bool leaf = l == 0 || pte_large(e);
        if (!pt_lookup_user(e, l, leaf))
            return false;
        if (leaf) {
            uint64_t size = 1ull << (12 + 9 * l);
            *pa = pt_leaf_pa(e, va, size);
            *access = pt_leaf_access(e);
            *level = l;
            return true;
        }
        t = tab(pte_addr(e));
    }
}

/* The first present entry of the user part of table t at level l that points to
 * a table (not a large entry), or NULL. */
static pte_t *first_table(pte_t *t, unsigned l)
{
    unsigned n = l == PT_ROOT_LEVEL ? PT_ROOT_USER : ENTRIES;
    for (unsigned i = 0; i < n; i++)
        if (pte_present(t[i]) && (l == PT_ROOT_LEVEL || !pte_large(t[i])))
            return &t[i];
    return NULL;
}

bool arch_pt_destroy_step(struct pt_ctx *c)
{
    /* Descend along first tables to one with no table below it, free it and
     * clear its entry: at most 3 x 512 entries read and one page freed. The
     * tables themselves record the progress. */
    pte_t *e = first_table(tab(c->root), PT_ROOT_LEVEL);
    if (!e)
        return false;
    for (unsigned l = PT_ROOT_LEVEL - 1; l >= 1; l--) {
        pte_t *below = first_table(tab(pte_addr(*e)), l);
        if (!below)
            break;
        e = below;
    }
    paddr_t pa = pte_addr(*e);
    remote(c);
    *e = 0;
    if (pt_tlb_live(c)) /* drop the caches naming the table */
        arch_tlb_flush_all();
    c->free(c, pa);
    return true;
}

void arch_pt_destroy(struct pt_ctx *c)
{
    while (arch_pt_destroy_step(c))
        ;
    pt_destroyed(c);
}
