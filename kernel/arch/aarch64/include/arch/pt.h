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
 * to another valid one of a different address, size or attributes): in the
 * address space the CPU is using, the old entry is cleared and its
 * translation invalidated before the new one is written. An address space
 * not loaded needs nothing: without ASIDs, loading one invalidates every
 * lower-half translation (arch_vspace_load).
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
 * has an ASID, whose translations survive switches (arch/vm_cpu.h). */
static inline bool pt_tlb_live(const struct pt_ctx *c)
{
    return c->active || asid_of(c->root);
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

/* Replaces the 4 KiB leaf *e (translating va) with v, break before make. */
static inline void pt_set_page(struct pt_ctx *c, pte_t *e, pte_t v, vaddr_t va)
{
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
    asid_release(c->root);
}

#endif
