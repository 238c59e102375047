/*
 * Page tables of user address spaces on aarch64 (the contract is in arch.h).
 *
 * A user address space is the lower half, translated through TTBR0_EL1: four
 * levels of 512 entries, 4 KiB granule, 48-bit addresses. The contract numbers
 * levels from the leaf as x86-64 does (0: 4 KiB pages, the architecture's
 * level 3; 1: 2 MiB blocks; 2: 1 GiB; 3: the root, level 0). The root holds
 * user entries only (the kernel lives in the TTBR1 half), so
 * arch_pt_init_root has nothing to copy and every root entry is the user's.
 *
 * Leaves are created with the access flag set (no access-flag faults), inner
 * shareable, non-global (for ASIDs later), EL0-accessible (AP[1]), read-only
 * unless writable (AP[2]), never executable by the kernel (PXN) and executable
 * by the user only with VM_EXEC (UXN otherwise); VM_UNCACHED selects
 * Device-nGnRE. Table entries carry no restrictions: the leaf alone decides.
 *
 * Superpages: a 2 MiB window is promoted by replacing its level-2 table entry
 * with a block entry, and demoted by splitting the block into a fresh table.
 *
 * Break-before-make (the architecture requires it when a valid entry changes
 * to another valid one of a different address, size or attributes): in the
 * address space the CPU is using, the old entry is cleared and its
 * translation invalidated before the new one is written. An address space
 * not loaded needs nothing: without ASIDs, loading one invalidates every
 * lower-half translation (arch_vspace_load).
 *
 * Memory is reached through phys_to_virt only, like x86-64's pt.c.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "config.h"
#include "mm/vm.h"
#include "panic.h"

#define ENTRIES    512u
#define FLUSH_MAX  32u /* beyond this many pages, one full flush */
#define LARGE_SIZE (1ull << 21)
#define PTE_NG     (UL(1) << 11)

typedef uint64_t pte_t;

static pte_t *tab(paddr_t pa)
{
    return phys_to_virt(pa);
}

static unsigned pt_index(vaddr_t va, unsigned level)
{
    return (va >> (12 + 9 * level)) & 511;
}

static bool pte_present(pte_t e)
{
    return e & PTE_VALID;
}

/* A block at level 1 or 2 (at level 0 the same encoding is a page). */
static bool pte_block(pte_t e)
{
    return (e & 3) == PTE_BLOCK;
}

static paddr_t pte_addr(pte_t e)
{
    return e & PTE_ADDR;
}

static uint64_t leaf_attrs(unsigned access)
{
    uint64_t f = PTE_AF | PTE_NG | PTE_AP_USER | PTE_PXN;
    f |= access & VM_UNCACHED ? PTE_ATTR(ATTR_DEVICE) : PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER;
    if (!(access & VM_WRITE))
        f |= PTE_AP_RO;
    if (!(access & VM_EXEC))
        f |= PTE_UXN;
    return f;
}

static unsigned leaf_access(pte_t e)
{
    return VM_READ | (e & PTE_AP_RO ? 0 : VM_WRITE) | (e & PTE_UXN ? 0 : VM_EXEC) |
           ((e >> 2 & 7) == ATTR_DEVICE ? VM_UNCACHED : 0);
}

/* The table at `level` covering va, creating missing ones when create; NULL
 * when missing (and not created, or no memory) or a block covers va above it. */
static pte_t *walk(struct pt_ctx *c, vaddr_t va, unsigned level, bool create, bool *nomem)
{
    pte_t *t = tab(c->root);
    for (unsigned l = 3; l > level; l--) {
        pte_t *e = &t[pt_index(va, l)];
        if (!pte_present(*e)) {
            if (!create)
                return NULL;
            paddr_t pa = c->alloc(c);
            if (!pa) {
                *nomem = true;
                return NULL;
            }
            dsb_ish(); /* the zeroed table is visible to the walker first */
            *e = pa | PTE_TABLE;
        } else if (pte_block(*e)) {
            return NULL;
        }
        t = tab(pte_addr(*e));
    }
    return t;
}

/* Whether the TLB may hold translations of c's tables: it is loaded, or it
 * has an ASID, whose translations survive switches (arch/vm_cpu.h). */
static bool tlb_live(const struct pt_ctx *c)
{
    return c->active || asid_of(c->root);
}

static void sync_tables(struct pt_ctx *c)
{
    if (tlb_live(c)) {
        dsb_ish();
        isb();
    }
}

bool arch_pt_map(struct pt_ctx *c, vaddr_t va, paddr_t pa, size_t npages, unsigned access)
{
    uint64_t bits = leaf_attrs(access) | PTE_PAGE;
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
                pte_t v = (pa + i * PAGE_SIZE) | bits;
                if (*e == v)
                    continue;
                if (pte_present(*e)) { /* break before make */
                    *e = 0;
                    if (tlb_live(c))
                        arch_tlb_flush_page(va + i * PAGE_SIZE);
                }
                *e = v;
            }
        }
        va += n * PAGE_SIZE;
        pa += n * PAGE_SIZE;
        npages -= n;
    }
    sync_tables(c);
    return true;
}

void arch_pt_map_super(struct pt_ctx *c, vaddr_t va, paddr_t pa, unsigned access)
{
    bool nomem = false;
    pte_t *pd = walk(c, va, 1, false, &nomem);
    assert(pd && IS_ALIGNED(va | pa, LARGE_SIZE));
    pte_t *e = &pd[pt_index(va, 1)];
    paddr_t old = pte_present(*e) && !pte_block(*e) ? pte_addr(*e) : 0;
    if (pte_present(*e)) {
        *e = 0;
        if (tlb_live(c))
            arch_tlb_flush_all(); /* the table's pages and the walk cache */
    }
    *e = pa | leaf_attrs(access) | PTE_BLOCK;
    sync_tables(c);
    if (old)
        c->free(c, old);
}

/* Splits the block *e (the window at wva) into a page table with the same
 * translations; false when no table page can be had. */
static bool demote(struct pt_ctx *c, pte_t *e, vaddr_t wva)
{
    paddr_t t = c->alloc(c);
    if (!t)
        return false;
    pte_t *pt = tab(t);
    paddr_t base = pte_addr(*e) & ~(LARGE_SIZE - 1);
    uint64_t bits = (*e & ~PTE_ADDR & ~3ull) | PTE_PAGE;
    for (unsigned i = 0; i < ENTRIES; i++)
        pt[i] = (base + i * PAGE_SIZE) | bits;
    *e = 0;
    if (tlb_live(c))
        arch_tlb_flush_page(wva);
    dsb_ish();
    *e = t | PTE_TABLE;
    return true;
}

/* Clears [va, end) inside the 2 MiB window at wva of the present entry *pde,
 * counting invalidated pages in *flushed. */
static void unmap_window(struct pt_ctx *c, pte_t *pde, vaddr_t wva, vaddr_t va, vaddr_t end,
                         unsigned *flushed)
{
    bool whole = va == wva && end == wva + LARGE_SIZE;
    if (pte_block(*pde)) {
        c->demotions += !whole;
        if (whole || !demote(c, pde, wva)) {
            *pde = 0;
            if (tlb_live(c))
                arch_tlb_flush_page(wva); /* one invalidation drops the whole block */
            return;
        }
    }
    paddr_t ptpa = pte_addr(*pde);
    pte_t *pt = tab(ptpa);
    for (vaddr_t a = va; a < end; a += PAGE_SIZE) {
        pte_t *e = &pt[pt_index(a, 0)];
        if (!pte_present(*e))
            continue;
        *e = 0;
        if (tlb_live(c) && ++*flushed <= FLUSH_MAX)
            arch_tlb_flush_page(a);
    }
    if (whole) {
        *pde = 0;
        if (tlb_live(c)) /* the walk cache may name the table */
            arch_tlb_flush_all();
        c->free(c, ptpa);
    }
}

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
            vaddr_t step = pte_present(tab(c->root)[pt_index(va, 3)]) ? 1ull << 30 : 1ull << 39;
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
    sync_tables(c);
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
    if (!root) /* the kernel's own lower half: empty but for the test image's pages */
        root = aarch64_kernel_lower_root();
    if (va >= USER_TOP)
        return false;
    pte_t *t = tab(root);
    for (unsigned l = 3;; l--) {
        pte_t e = t[pt_index(va, l)];
        if (!pte_present(e))
            return false;
        if (l == 0 || pte_block(e)) {
            if (l == 3 || !(e & PTE_AP_USER))
                return false;
            uint64_t size = 1ull << (12 + 9 * l);
            *pa = (pte_addr(e) & ~(size - 1)) + (va & (size - 1));
            *access = leaf_access(e);
            *level = l;
            return true;
        }
        t = tab(pte_addr(e));
    }
}

/* The first present entry of table t that points to a table (not a block),
 * or NULL. */
static pte_t *first_table(pte_t *t)
{
    for (unsigned i = 0; i < ENTRIES; i++)
        if (pte_present(t[i]) && !pte_block(t[i]))
            return &t[i];
    return NULL;
}

bool arch_pt_destroy_step(struct pt_ctx *c)
{
    /* Descend along first tables to one with no table below it (at most the
     * level-2 tables' entries point to tables), free it and clear its entry. */
    pte_t *e = first_table(tab(c->root));
    if (!e)
        return false;
    for (unsigned l = 2; l >= 1; l--) {
        pte_t *below = first_table(tab(pte_addr(*e)));
        if (!below)
            break;
        e = below;
    }
    paddr_t pa = pte_addr(*e);
    *e = 0;
    if (tlb_live(c))
        arch_tlb_flush_all();
    c->free(c, pa);
    return true;
}

void arch_pt_destroy(struct pt_ctx *c)
{
    while (arch_pt_destroy_step(c))
        ;
    asid_release(c->root);
}
