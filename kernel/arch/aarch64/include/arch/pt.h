/*
 * The aarch64 entry format of user page tables, for the generic walker
 * (kernel/mm/pt.c; the contract is in arch.h).
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
 * Break-before-make (the architecture requires it when a valid entry changes
 * to another valid one of a different address, size or attributes): in an
 * address space whose translations a TLB may hold (loaded, or given an ASID:
 * pt_tlb_live), the old entry is cleared and its translation invalidated
 * before the new one is written. A root without an ASID that is not loaded
 * needs nothing: loading it invalidates every lower-half translation
 * (arch_vspace_load).
 *
 * The contiguous hint (decision 168): 16 page entries at a 64 KiB-aligned
 * address that map 64 KiB of aligned, contiguous memory with the same
 * attributes (a whole cluster at CLUSTER_ORDER=4, or part of a larger one)
 * all get PTE_CONT, and the TLB may cache them as one entry. A group is
 * formed only from entries one arch_pt_map run wrote together (pt_map_run),
 * so single pages faulted in one at a time (CLUSTER_ORDER below 4) never
 * group by chance. Every change to a group is break-before-make over the
 * whole group (pt_cont_break): its 16 entries are cleared, each of its pages
 * invalidated (by VA, broadcast in the inner-shareable domain), and only then
 * rewritten: as a group (forming it), or as 16 plain entries before one of
 * them changes (pt_set_page: a copy-on-write break, new rights) or part of
 * the group is cleared (pt_unmap_run: an unmap, a protect).
 */
#ifndef WEFT_ARCH_PT_H
#define WEFT_ARCH_PT_H

#include "arch.h"
#include "arch/aarch64.h"
#include "arch/memlayout.h"
#include "mm/vm.h"

#define PT_ROOT_USER 512u /* the whole root is the user's */
#define PTE_NG       (UL(1) << 11)

typedef uint64_t pte_t;

static inline unsigned pt_index(vaddr_t va, unsigned level)
{
    return (va >> (12 + 9 * level)) & 511;
}

static inline bool pte_present(pte_t e)
{
    return e & PTE_VALID;
}

/* A block at level 1 or 2 (at level 0 the same encoding is a page). */
static inline bool pte_large(pte_t e)
{
    return (e & 3) == PTE_BLOCK;
}

static inline paddr_t pte_addr(pte_t e)
{
    return e & PTE_ADDR;
}

/* Whether the TLB may hold translations of c's tables: it is loaded, or it
 * was given an ASID, whose translations survive switches (arch/vm_cpu.h; of
 * an earlier generation too: a CPU may still run it with that ASID). */
static inline bool pt_tlb_live(const struct pt_ctx *c)
{
    return c->active || (c->asid && *c->asid);
}

/* The entry of a table that points to the (zeroed) table page at pa. */
static inline void pt_link_new(pte_t *e, paddr_t pa)
{
    dsb_ish(); /* the zeroed table is visible to the walker first */
    *e = pa | PTE_TABLE;
}

static inline uint64_t pt_leaf_attrs(unsigned access)
{
    uint64_t f = PTE_AF | PTE_NG | PTE_AP_USER | PTE_PXN;
    f |= access & VM_UNCACHED ? PTE_ATTR(ATTR_DEVICE) : PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER;
    if (!(access & VM_WRITE))
        f |= PTE_AP_RO;
    if (!(access & VM_EXEC))
        f |= PTE_UXN;
    return f;
}

/* The bits of a 4 KiB leaf with access rights, and of a block. */
static inline uint64_t pt_page_bits(unsigned access)
{
    return pt_leaf_attrs(access) | PTE_PAGE;
}

static inline uint64_t pt_large_bits(unsigned access)
{
    return pt_leaf_attrs(access) | PTE_BLOCK;
}

/* The bits of the 4 KiB leaves a block e splits into. */
static inline uint64_t pt_split_bits(pte_t e)
{
    return (e & ~PTE_ADDR & ~3ull) | PTE_PAGE;
}

static inline unsigned pt_leaf_access(pte_t e)
{
    return VM_READ | (e & PTE_AP_RO ? 0 : VM_WRITE) | (e & PTE_UXN ? 0 : VM_EXEC) |
           ((e >> 2 & 7) == ATTR_DEVICE ? VM_UNCACHED : 0);
}

#define PT_HAS_RUN_HOOKS
#define PT_PAGE    UL(0x1000) /* the 4 KiB granule */
#define CONT_PAGES 16u
#define CONT_SIZE  (CONT_PAGES * PT_PAGE)

/* The physical address of va under the leaf e of size bytes (each entry of a
 * contiguous group holds its own page's address). */
#define pt_leaf_pa(e, va, size) ((pte_addr(e) & ~((size)-1)) + ((va) & ((size)-1)))

/* Break: the 16 entries of the group at g (translating gva on) are cleared and
 * every page of it is invalidated, so that no translation of the group (as
 * one entry or page by page) stays cached anywhere. */
static inline void pt_cont_break(struct pt_ctx *c, pte_t *g, vaddr_t gva)
{
    for (unsigned k = 0; k < CONT_PAGES; k++)
        g[k] = 0;
    if (pt_tlb_live(c)) {
        __asm__ volatile("dsb ishst" ::: "memory");
        for (unsigned k = 0; k < CONT_PAGES; k++)
            __asm__ volatile("tlbi vaae1is, %0"
                             :
                             : "r"(((gva + k * PT_PAGE) >> 12) & 0xfffffffffffull)
                             : "memory");
        dsb_ish();
    } else if (c->shoot) {
        c->shoot(c); /* no broadcast here: CPUs that have it loaded drop it */
    }
}

/* Rewrites the group at g (translating gva on) as 16 plain entries with the
 * same translations, break before make. */
static inline void pt_cont_split(struct pt_ctx *c, pte_t *g, vaddr_t gva)
{
    pte_t base = g[0] & ~PTE_CONT;
    pt_cont_break(c, g, gva);
    for (unsigned k = 0; k < CONT_PAGES; k++)
        g[k] = base + k * PT_PAGE;
}

/* Whether the 16 entries at g are present plain pages that map 64 KiB of
 * aligned, contiguous memory with the same attributes. */
static inline bool pt_cont_candidate(const pte_t *g)
{
    pte_t e0 = g[0];
    if (!pte_present(e0) || (e0 & PTE_CONT) || !IS_ALIGNED(pte_addr(e0), CONT_SIZE))
        return false;
    for (unsigned k = 1; k < CONT_PAGES; k++)
        if (g[k] != e0 + k * PT_PAGE)
            return false;
    return true;
}

/* After entries [idx, idx + n) of table pt (translating va on) were written:
 * every aligned group of 16 wholly inside the run that qualifies gets
 * PTE_CONT, break before make (the plain entries may be cached already). */
static inline void pt_map_run(struct pt_ctx *c, pte_t *pt, unsigned idx, size_t n, vaddr_t va)
{
    for (unsigned g = ALIGN_UP(idx, CONT_PAGES); g + CONT_PAGES <= idx + n; g += CONT_PAGES) {
        if (!pt_cont_candidate(&pt[g]))
            continue;
        pte_t e0 = pt[g] | PTE_CONT;
        pt_cont_break(c, &pt[g], va + (vaddr_t)(g - idx) * PT_PAGE);
        for (unsigned k = 0; k < CONT_PAGES; k++)
            pt[g + k] = e0 + k * PT_PAGE;
    }
}

/* Before entries [idx, idx + n) of table pt (translating va on) are cleared:
 * a group they reach is broken, and its pages outside the range are
 * rewritten as plain entries (those inside are left clear, invalidated). */
static inline void pt_unmap_run(struct pt_ctx *c, pte_t *pt, unsigned idx, size_t n, vaddr_t va)
{
    for (unsigned g = ALIGN_DOWN(idx, CONT_PAGES); g < idx + n; g += CONT_PAGES) {
        if (!(pt[g] & PTE_CONT))
            continue;
        pte_t base = pt[g] & ~PTE_CONT;
        pt_cont_break(c, &pt[g], va - (vaddr_t)idx * PT_PAGE + (vaddr_t)g * PT_PAGE);
        for (unsigned k = 0; k < CONT_PAGES; k++)
            if (g + k < idx || g + k >= idx + n)
                pt[g + k] = base + k * PT_PAGE;
    }
}

/* Replaces the 4 KiB leaf *e (translating va) with v, break before make; a
 * group *e belongs to is split first (unless v is what *e already maps: the
 * group stays). */
static inline void pt_set_page(struct pt_ctx *c, pte_t *e, pte_t v, vaddr_t va)
{
    if (*e & PTE_CONT) {
        if ((*e & ~PTE_CONT) == v)
            return;
        unsigned k = (unsigned)((va >> 12) & (CONT_PAGES - 1));
        pt_cont_split(c, e - k, va - (vaddr_t)k * PT_PAGE);
    }
    if (pte_present(*e)) {
        *e = 0;
        if (pt_tlb_live(c))
            arch_tlb_flush_page(va);
    }
    *e = v;
}

/* Replaces the level-1 entry *e with the block v; old is the page table it
 * pointed to (0 if none), freed by the caller afterwards. */
static inline void pt_set_large(struct pt_ctx *c, pte_t *e, pte_t v, paddr_t old)
{
    (void)old;
    if (pte_present(*e)) {
        *e = 0;
        if (pt_tlb_live(c))
            arch_tlb_flush_all(); /* the table's pages and the walk cache */
    }
    *e = v;
}

/* Replaces the block *e (the window at wva) by a link to the filled table t,
 * break before make. */
static inline void pt_relink_split(struct pt_ctx *c, pte_t *e, paddr_t t, vaddr_t wva)
{
    *e = 0;
    if (pt_tlb_live(c))
        arch_tlb_flush_page(wva);
    pt_link_new(e, t);
}

/* After the entry naming the page table of the window at wva was cleared,
 * before the table is freed. */
static inline void pt_flush_table(struct pt_ctx *c, vaddr_t wva)
{
    (void)wva;
    if (pt_tlb_live(c)) /* the walk cache may name the table */
        arch_tlb_flush_all();
}

/* After a batch of changes: the walker sees them before what follows. */
static inline void pt_sync(struct pt_ctx *c)
{
    if (pt_tlb_live(c)) {
        dsb_ish();
        isb();
    }
}

/* Sets *root to the table arch_pt_lookup walks (0: the kernel's own lower half,
 * empty but for the test image's pages); false when va cannot be a user
 * address. */
static inline bool pt_lookup_root(paddr_t *root, vaddr_t va)
{
    if (!*root)
        *root = aarch64_kernel_lower_root();
    return va < USER_TOP;
}

/* Whether the present entry e at level l (a leaf when leaf) may be reported by
 * arch_pt_lookup: only leaves carry the user bit, and the root has no blocks. */
static inline bool pt_lookup_user(pte_t e, unsigned l, bool leaf)
{
    return !leaf || (l != 3 && (e & PTE_AP_USER));
}

/* After the last table of c was freed: its ASID goes back. */
static inline void pt_destroyed(struct pt_ctx *c)
{
    if (c->asid)
        asid_release(c->asid);
}

#endif
