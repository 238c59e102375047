/*
 * The x86-64 entry format of user page tables, for the generic walker
 * (kernel/mm/pt.c; the contract is in arch.h).
 *
 * Four levels of 512 entries: PML4 (level 3), PDPT (2), PD (1), PT (0). A user
 * address space owns its lower-half tables; its PML4's upper half is a copy of
 * the kernel's entries (arch_pt_init_root), which never change after boot, so the
 * kernel is mapped in every address space and those tables are never freed.
 *
 * Intermediate entries are user-accessible and writable: the leaf alone decides
 * the rights. Leaves are created with the accessed bit set, and the dirty bit
 * when writable, so the MMU never has to write them back.
 *
 * TLB. A change to the active address space invalidates what it changed: invlpg
 * for a few pages, a full (non-global) flush for many or when a page table is
 * replaced by a superpage entry. An entry is written, then its old translation
 * invalidated (x86 needs no break-before-make). Inactive address spaces need
 * nothing here: loading CR3 flushes every non-global translation, and with
 * X86_PCID=1 (decision 174) the VSpace's shoot hook makes a CPU that still tags
 * them forget them (arch/vm_cpu.h).
 */
#ifndef WEFT_ARCH_PT_H
#define WEFT_ARCH_PT_H

#include "arch.h"
#include "arch/mmu.h"
#include "mm/vm.h"

#define PT_ROOT_USER 256u /* PML4 entries 0-255 are the user half */

/* The TLB may hold translations of c's tables. */
static inline bool pt_tlb_live(const struct pt_ctx *c)
{
    return c->active;
}

/* The entry of a table that points to the (zeroed) table page at pa. */
static inline void pt_link_new(pte_t *e, paddr_t pa)
{
    *e = pa | PTE_P | PTE_W | PTE_U;
}

static inline uint64_t pt_leaf_bits(unsigned access)
{
    uint64_t f = PTE_P | PTE_U | PTE_A;
    if (access & VM_WRITE)
        f |= PTE_W | PTE_D;
    if (!(access & VM_EXEC))
        f |= pt_nx_bit;
    if (access & VM_UNCACHED) /* PAT entry 3 at reset: UC */
        f |= PTE_PCD | PTE_PWT;
    return f;
}

/* The bits of a 4 KiB leaf with access rights, and of a large one. */
static inline uint64_t pt_page_bits(unsigned access)
{
    return pt_leaf_bits(access);
}

static inline uint64_t pt_large_bits(unsigned access)
{
    return pt_leaf_bits(access) | PTE_PS;
}

/* The bits of the 4 KiB leaves a large entry e splits into. */
static inline uint64_t pt_split_bits(pte_t e)
{
    return (e & ~PTE_ADDR) & ~PTE_PS;
}

static inline unsigned pt_leaf_access(pte_t e)
{
    return VM_READ | (pte_writable(e) ? VM_WRITE : 0) | (pte_nx(e) ? 0 : VM_EXEC) |
           (e & PTE_PCD ? VM_UNCACHED : 0);
}

/* Replaces the 4 KiB leaf *e (translating va) with v. */
static inline void pt_set_page(struct pt_ctx *c, pte_t *e, pte_t v, vaddr_t va)
{
    bool was = pte_present(*e);
    *e = v;
    if (was && c->active)
        arch_tlb_flush_page(va);
}

/* Replaces the level-1 entry *e with the large entry v; old is the page table
 * it pointed to (0 if none), freed by the caller afterwards. */
static inline void pt_set_large(struct pt_ctx *c, pte_t *e, pte_t v, paddr_t old)
{
    *e = v;
    if (old && c->active)
        arch_tlb_flush_all();
}

/* Replaces the large entry *e (the window at wva) by a link to the filled
 * table t. */
static inline void pt_relink_split(struct pt_ctx *c, pte_t *e, paddr_t t, vaddr_t wva)
{
    pt_link_new(e, t);
    if (c->active)
        arch_tlb_flush_page(wva);
}

/* After the entry naming the page table of the window at wva was cleared,
 * before the table is freed: drop the paging-structure caches naming it. */
static inline void pt_flush_table(struct pt_ctx *c, vaddr_t wva)
{
    if (c->active) /* one invlpg drops the paging-structure caches of the window */
        arch_tlb_flush_page(wva);
}

/* After a batch of changes: nothing to order on x86. */
static inline void pt_sync(struct pt_ctx *c)
{
    (void)c;
}

/* Sets *root to the table arch_pt_lookup walks (0: the kernel's own tables);
 * false when va cannot be a user address there. */
static inline bool pt_lookup_root(paddr_t *root, vaddr_t va)
{
    (void)va;
    if (!*root)
        *root = arch_kernel_root();
    return true;
}

/* Whether the present entry e at level l (a leaf when leaf) may be reported
 * by arch_pt_lookup: every level must allow user access. */
static inline bool pt_lookup_user(pte_t e, unsigned l, bool leaf)
{
    (void)l;
    (void)leaf;
    return e & PTE_U;
}

/* After the last table of c was freed. */
static inline void pt_destroyed(struct pt_ctx *c)
{
    (void)c;
}

#endif
