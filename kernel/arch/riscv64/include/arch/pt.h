/*
 * The riscv64 entry format of user page tables, for the generic walker
 * (kernel/mm/pt.c; the contract is in arch.h).
 *
 * Sv48: four levels of 512 entries, 4 KiB pages, 48-bit addresses; the
 * contract numbers levels from the leaf as the ISA does (0: 4 KiB pages, 1:
 * 2 MiB megapages, 2: 1 GiB gigapages, 3: the root). Sv39 (a hart without
 * Sv48, decision 177): three levels, the root at level 2 (PT_ROOT_LEVEL is
 * riscv_pt_root_level), the user half 256 GiB. One root translates both
 * halves, so as on x86-64 a user root's upper half (entries 256-511 in either
 * mode) is a copy of the kernel's entries (arch_pt_init_root), which never
 * change after boot.
 *
 * A leaf has R (every user mapping is readable), W with VM_WRITE, X with
 * VM_EXEC, U, and A and D set so that the hart never has to update it (QEMU
 * would; hardware may fault instead). A link has only V (the ISA requires U,
 * A, D clear there). VM_UNCACHED is recorded in a software bit (PTE_UC): on
 * QEMU virt memory attributes come from the PMAs (Svpbmt is not assumed).
 *
 * Svnapot (where the hart has it: riscv_svnapot): a run of 16 entries that
 * maps 64 KiB of contiguous, 64 KiB-aligned memory with the same rights (a
 * whole cluster at CLUSTER_ORDER=4) becomes one NAPOT group: 16 identical
 * entries with N set and PPN[3:0] = 1000, which the hart may cache as one
 * TLB entry (pt_map_run). A group is split back into plain entries before
 * any of its entries changes (pt_set_page) or part of it is cleared
 * (pt_unmap_run), so that no cached group outlives one of its pages.
 *
 * TLB: the ISA needs no break-before-make; a changed entry is invalidated by
 * sfence.vma after the write. sfence.vma with an address and x0 as the ASID
 * drops that page in every address space, which is what a change to a space
 * that is not loaded but holds an ASID needs (its translations survive
 * switches).
 */
#ifndef WEFT_ARCH_PT_H
#define WEFT_ARCH_PT_H

#include "arch.h"
#include "arch/memlayout.h"
#include "arch/riscv.h"
#include "mm/vm.h"

#define PT_ROOT_USER  256u /* root entries 0-255 are the user half */
#define PT_ROOT_LEVEL riscv_pt_root_level

typedef uint64_t pte_t;

static inline unsigned pt_index(vaddr_t va, unsigned level)
{
    return (va >> (12 + 9 * level)) & 511;
}

static inline bool pte_present(pte_t e)
{
    return e & PTE_V;
}

/* A leaf above level 0 (a megapage or gigapage). */
static inline bool pte_large(pte_t e)
{
    return (e & PTE_RWX) != 0;
}

static inline paddr_t pte_addr(pte_t e)
{
    return (e & PTE_PPN_MASK) << 2;
}

/* The fences the walker needs (none on a host build: tests/host/test_rvpt.c). */
#ifndef WEFT_HOST
#define PT_FENCE_W()    __asm__ volatile("fence w, w" ::: "memory")
#define PT_SFENCE_VMA() __asm__ volatile("sfence.vma" ::: "memory")
#else
#define PT_FENCE_W()    ((void)0)
#define PT_SFENCE_VMA() ((void)0)
#endif

/* Whether the TLB may hold translations of c's tables: it is loaded, or it
 * was given an ASID (of an earlier generation too: a hart may still run it
 * with that ASID). */
static inline bool pt_tlb_live(const struct pt_ctx *c)
{
    return c->active || (c->asid && *c->asid);
}

/* The entry of a table that points to the (zeroed) table page at pa. */
static inline void pt_link_new(pte_t *e, paddr_t pa)
{
    PT_FENCE_W(); /* the zeroed table first */
    *e = (pa >> 2) | PTE_V;
}

static inline uint64_t pt_leaf_bits(unsigned access)
{
    uint64_t f = PTE_V | PTE_R | PTE_U | PTE_A;
    if (access & VM_WRITE)
        f |= PTE_W | PTE_D;
    if (access & VM_EXEC)
        f |= PTE_X;
    if (access & VM_UNCACHED)
        f |= PTE_UC;
    return f;
}

static inline uint64_t pt_page_bits(unsigned access)
{
    return pt_leaf_bits(access);
}

static inline uint64_t pt_large_bits(unsigned access)
{
    return pt_leaf_bits(access);
}

static inline uint64_t pt_split_bits(pte_t e)
{
    return e & ~PTE_PPN_MASK;
}

static inline unsigned pt_leaf_access(pte_t e)
{
    return VM_READ | (e & PTE_W ? VM_WRITE : 0) | (e & PTE_X ? VM_EXEC : 0) |
           (e & PTE_UC ? VM_UNCACHED : 0);
}

/* Entries hold the physical page number at bit 10 (pa >> 2). */
#define PT_ENTRY(pa, bits) (((pa) >> 2) | (bits))

#define NAPOT_PAGES 16u
#define NAPOT_SIZE  UL(0x10000) /* NAPOT_PAGES 4 KiB pages */
#define PT_HAS_RUN_HOOKS

/* Rewrites the NAPOT group starting at g as 16 plain entries with the same
 * translations (the TLB may keep the group's: they are the same). */
static inline void pt_napot_split(pte_t *g)
{
    pte_t base = (g[0] & ~PTE_N) & ~(UL(0xf) << 10);
    for (unsigned k = 0; k < NAPOT_PAGES; k++)
        g[k] = base + ((uint64_t)k << 10);
}

/* Whether the 16 entries at g map 64 KiB of aligned, contiguous memory with
 * the same bits, none of them already a group. */
static inline bool pt_napot_candidate(const pte_t *g)
{
    pte_t e0 = g[0];
    if (!pte_present(e0) || (e0 & PTE_N) || ((e0 >> 10) & 0xf))
        return false;
    for (unsigned k = 1; k < NAPOT_PAGES; k++)
        if (g[k] != e0 + ((uint64_t)k << 10))
            return false;
    return true;
}

/* After entries [idx, idx + n) of table pt were written: every group they
 * reach that now qualifies (the entries outside the run included) becomes
 * one NAPOT group. */
static inline void pt_map_run(struct pt_ctx *c, pte_t *pt, unsigned idx, size_t n, vaddr_t va)
{
    (void)c, (void)va;
    if (!riscv_svnapot)
        return;
    for (unsigned g = ALIGN_DOWN(idx, NAPOT_PAGES); g < idx + n; g += NAPOT_PAGES) {
        if (!pt_napot_candidate(&pt[g]))
            continue;
        pte_t v = pt[g] | PTE_N | (UL(0x8) << 10);
        for (unsigned k = 0; k < NAPOT_PAGES; k++)
            pt[g + k] = v;
    }
}

/* Before entries [idx, idx + n) of table pt are cleared: a group they reach
 * is split first (its other pages stay mapped, one by one). */
static inline void pt_unmap_run(struct pt_ctx *c, pte_t *pt, unsigned idx, size_t n, vaddr_t va)
{
    (void)c, (void)va;
    for (unsigned g = ALIGN_DOWN(idx, NAPOT_PAGES); g < idx + n; g += NAPOT_PAGES)
        if (pt[g] & PTE_N)
            pt_napot_split(&pt[g]);
}

/* The physical address of va under the leaf e of size bytes: a group's
 * entries name the group, va's offset in it picks the page. */
static inline paddr_t pt_leaf_pa(pte_t e, vaddr_t va, uint64_t size)
{
    if (e & PTE_N)
        size = NAPOT_SIZE;
    return (pte_addr(e) & ~(size - 1)) + (va & (size - 1));
}

/* Replaces the 4 KiB leaf *e (translating va) with v; a group *e belongs to
 * is split first. */
static inline void pt_set_page(struct pt_ctx *c, pte_t *e, pte_t v, vaddr_t va)
{
    if (*e & PTE_N) {
        pt_napot_split(e - ((va >> 12) & (NAPOT_PAGES - 1)));
        if (*e == v)
            return;
    }
    bool was = pte_present(*e);
    *e = v;
    if (was && pt_tlb_live(c))
        arch_tlb_flush_page(va);
}

static inline void pt_set_large(struct pt_ctx *c, pte_t *e, pte_t v, paddr_t old)
{
    bool was = pte_present(*e);
    *e = v;
    if (was && pt_tlb_live(c))
        arch_tlb_flush_all(); /* the table's pages and the walk cache */
    (void)old;
}

static inline void pt_relink_split(struct pt_ctx *c, pte_t *e, paddr_t t, vaddr_t wva)
{
    pt_link_new(e, t);
    if (pt_tlb_live(c))
        arch_tlb_flush_page(wva);
}

static inline void pt_flush_table(struct pt_ctx *c, vaddr_t wva)
{
    (void)wva;
    if (pt_tlb_live(c))
        arch_tlb_flush_all();
}

/* After a batch of changes: the walker sees them before what follows (a new
 * entry in the loaded space may be cached as invalid). */
static inline void pt_sync(struct pt_ctx *c)
{
    if (pt_tlb_live(c))
        PT_SFENCE_VMA();
}

static inline bool pt_lookup_root(paddr_t *root, vaddr_t va)
{
    (void)va;
    if (!*root)
        *root = riscv_kernel_root();
    return true;
}

/* Only leaves carry U (a link must not). */
static inline bool pt_lookup_user(pte_t e, unsigned l, bool leaf)
{
    (void)l;
    return !leaf || (e & PTE_U);
}

/* After the last table of c was freed: its ASID goes back. */
static inline void pt_destroyed(struct pt_ctx *c)
{
    if (c->asid)
        asid_release(c->asid);
}

#endif
