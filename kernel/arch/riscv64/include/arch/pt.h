/*
 * The riscv64 entry format of user page tables, for the generic walker
 * (kernel/mm/pt.c; the contract is in arch.h).
 *
 * Sv48: four levels of 512 entries, 4 KiB pages, 48-bit addresses; the
 * contract numbers levels from the leaf as the ISA does (0: 4 KiB pages, 1:
 * 2 MiB megapages, 2: 1 GiB gigapages, 3: the root). One root translates both
 * halves, so as on x86-64 a user root's upper half is a copy of the kernel's
 * entries (arch_pt_init_root), which never change after boot.
 *
 * A leaf has R (every user mapping is readable), W with VM_WRITE, X with
 * VM_EXEC, U, and A and D set so that the hart never has to update it (QEMU
 * would; hardware may fault instead). A link has only V (the ISA requires U,
 * A, D clear there). VM_UNCACHED is recorded in a software bit (PTE_UC): on
 * QEMU virt memory attributes come from the PMAs (Svpbmt is not assumed).
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

#define PT_ROOT_USER 256u /* root entries 0-255 are the user half */

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

static inline bool pt_tlb_live(const struct pt_ctx *c)
{
    return c->active || asid_of(c->root);
}

/* The entry of a table that points to the (zeroed) table page at pa. */
static inline void pt_link_new(pte_t *e, paddr_t pa)
{
    __asm__ volatile("fence w, w" ::: "memory"); /* the zeroed table first */
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

/* Replaces the 4 KiB leaf *e (translating va) with v. */
static inline void pt_set_page(struct pt_ctx *c, pte_t *e, pte_t v, vaddr_t va)
{
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
        __asm__ volatile("sfence.vma" ::: "memory");
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

static inline void pt_destroyed(struct pt_ctx *c)
{
    asid_release(c->root);
}

#endif
