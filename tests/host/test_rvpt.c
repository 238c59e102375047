/*
 * riscv64's page-table entries under the generic walker, on the host: the
 * test compiles kernel/mm/pt.c against kernel/arch/riscv64/include/arch/pt.h
 * (the host build's own arch/pt.h is x86-64's) and a buffer standing in for
 * physical memory. Checked: entries hold the physical page number at bit 10
 * (PT_ENTRY), the leaf bits for each access, a promoted 2 MiB megapage and
 * its demotion, and Svnapot: 16 entries mapping 64 KiB of aligned,
 * contiguous memory with the same bits become one NAPOT group (N set, PPN[3:0]
 * = 1000, all 16 identical) only where the hart has it, lookups inside a group
 * give each page's own address, and a remap inside a group or a partial unmap
 * splits it first into the plain entries it stood for. Sv39 (decision 177):
 * with riscv_pt_root_level 2 the walk has three levels, the root indexed by
 * bits 38-30, the user half's top entry 255 at 256 GiB, and the unmap and
 * destroy walks cover it.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "config.h"
#include "mm/vm.h"

#ifndef UL
#define UL(x) x##ull
#endif

extern uintptr_t host_phys_base;

/* What arch/pt.h takes from riscv64's mmu.c and genarch/asid.c. */
void asid_release(uint64_t *w);

#include "../../kernel/arch/riscv64/include/arch/pt.h"
#include "../../kernel/mm/pt.c"

bool riscv_svnapot;
unsigned riscv_pt_root_level = 3;

/* Sv39's user top (riscv64's arch/memlayout.h; the host build's memlayout.h
 * is x86-64's): 2^38, root entries 0-255 of 1 GiB. */
#define USER_TOP_SV39 (1ull << 38)

paddr_t riscv_kernel_root(void)
{
    static uint64_t root[512] __attribute__((aligned(4096)));
    return virt_to_phys(root);
}

void asid_release(uint64_t *w)
{
    *w = 0;
}

#define RAM_PAGES 1024 /* 4 MiB of "physical memory", 2 MiB aligned */
#define RAM_BASE  0x80000000ull

static uint8_t *ram;
static unsigned next_table; /* table pages from the top of RAM down */
static unsigned tables_live;

static paddr_t table_alloc(struct pt_ctx *c)
{
    (void)c;
    cr_assert(next_table > RAM_PAGES / 2, "table pages exhausted");
    paddr_t pa = RAM_BASE + (paddr_t)--next_table * PAGE_SIZE;
    memset(phys_to_virt(pa), 0, PAGE_SIZE);
    tables_live++;
    return pa;
}

static void table_free(struct pt_ctx *c, paddr_t pa)
{
    (void)c, (void)pa;
    tables_live--;
}

static struct pt_ctx ctx;

static void setup(void)
{
    ram = aligned_alloc(2u << 20, RAM_PAGES * PAGE_SIZE);
    cr_assert(ram);
    host_phys_base = (uintptr_t)ram - RAM_BASE;
    next_table = RAM_PAGES;
    tables_live = 0;
    riscv_svnapot = false;
    riscv_pt_root_level = 3;
    ctx = (struct pt_ctx){.alloc = table_alloc, .free = table_free};
    ctx.root = table_alloc(&ctx);
}

static void teardown(void)
{
    free(ram);
}

/* The level-0 entry for va, or 0. */
static pte_t leaf(vaddr_t va)
{
    pte_t *t = phys_to_virt(ctx.root);
    for (unsigned l = riscv_pt_root_level; l > 0; l--) {
        pte_t e = t[pt_index(va, l)];
        if (!(e & PTE_V) || (e & PTE_RWX))
            return 0;
        t = phys_to_virt((e & PTE_PPN_MASK) << 2);
    }
    return t[pt_index(va, 0)];
}

static paddr_t lookup(vaddr_t va, unsigned *access, unsigned *level)
{
    paddr_t pa;
    unsigned a, l;
    if (!arch_pt_lookup(ctx.root, va, &pa, access ? access : &a, level ? level : &l))
        return 0;
    return pa;
}

TestSuite(rvpt, .init = setup, .fini = teardown);

Test(rvpt, entries_hold_the_page_number_at_bit_10)
{
    const vaddr_t va = 0x400000;
    cr_assert(arch_pt_map(&ctx, va, RAM_BASE + 0x3000, 1, VM_READ | VM_WRITE));
    pte_t e = leaf(va);
    cr_assert_eq(e >> 10 & 0xfffffffffffull, (RAM_BASE + 0x3000) >> 12);
    cr_assert_eq(e & 0x3ff, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    cr_assert_eq(pte_addr(e), RAM_BASE + 0x3000);
    unsigned access, level;
    cr_assert_eq(lookup(va + 0x123, &access, &level), RAM_BASE + 0x3123);
    cr_assert_eq(access, VM_READ | VM_WRITE);
    cr_assert_eq(level, 0);
    /* Read-only executable, uncached: X without W and D, the software bit. */
    cr_assert(arch_pt_map(&ctx, va + 0x1000, RAM_BASE, 1, VM_READ | VM_EXEC | VM_UNCACHED));
    cr_assert_eq(leaf(va + 0x1000) & 0x3ff, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A | PTE_UC);
    lookup(va + 0x1000, &access, NULL);
    cr_assert_eq(access, VM_READ | VM_EXEC | VM_UNCACHED);
    /* Links carry V alone (U, A, D must be clear in a non-leaf). */
    pte_t *root = phys_to_virt(ctx.root);
    cr_assert_eq(root[0] & 0x3ff, PTE_V);
}

Test(rvpt, megapage_promotion_and_demotion)
{
    const vaddr_t va = 0x40000000;
    cr_assert(arch_pt_map(&ctx, va, RAM_BASE, 1, VM_READ));
    unsigned live = tables_live;
    arch_pt_map_super(&ctx, va, RAM_BASE, VM_READ | VM_WRITE);
    cr_assert_eq(tables_live, live - 1, "the page table was freed");
    unsigned level;
    cr_assert_eq(lookup(va + 0x1ff123, NULL, &level), RAM_BASE + 0x1ff123);
    cr_assert_eq(level, 1);
    arch_pt_unmap(&ctx, va + 0x5000, va + 0x6000);
    cr_assert_eq(ctx.demotions, 1);
    cr_assert_eq(lookup(va + 0x5000, NULL, NULL), 0);
    cr_assert_eq(lookup(va + 0x6008, NULL, &level), RAM_BASE + 0x6008);
    cr_assert_eq(level, 0);
    cr_assert_eq(pte_addr(leaf(va + 0x6000)), RAM_BASE + 0x6000);
}

static void map_group(vaddr_t va, paddr_t pa)
{
    cr_assert(arch_pt_map(&ctx, va, pa, 16, VM_READ | VM_WRITE));
}

static bool is_group(vaddr_t va)
{
    pte_t e0 = leaf(va & ~0xffffull);
    if (!(e0 & PTE_N) || ((e0 >> 10) & 0xf) != 0x8)
        return false;
    for (unsigned k = 1; k < 16; k++)
        if (leaf((va & ~0xffffull) + k * PAGE_SIZE) != e0)
            return false;
    return true;
}

Test(rvpt, no_groups_without_svnapot)
{
    map_group(0x600000, RAM_BASE + 0x10000);
    for (unsigned k = 0; k < 16; k++)
        cr_assert_eq(leaf(0x600000 + k * PAGE_SIZE) & PTE_N, 0);
}

Test(rvpt, aligned_64k_runs_become_groups)
{
    riscv_svnapot = true;
    map_group(0x600000, RAM_BASE + 0x10000);
    cr_assert(is_group(0x600000));
    for (unsigned k = 0; k < 16; k++)
        cr_assert_eq(lookup(0x600000 + k * PAGE_SIZE + 0x18, NULL, NULL),
                     RAM_BASE + 0x10000 + k * PAGE_SIZE + 0x18, "page %u", k);
    /* Misaligned in memory, misaligned in va, short, mixed rights: no group. */
    map_group(0x700000, RAM_BASE + 0x11000);
    cr_assert(!(leaf(0x700000) & PTE_N));
    map_group(0x801000, RAM_BASE + 0x20000);
    cr_assert(!(leaf(0x801000) & PTE_N) && !(leaf(0x810000) & PTE_N));
    cr_assert(arch_pt_map(&ctx, 0x900000, RAM_BASE + 0x30000, 15, VM_READ));
    cr_assert(!(leaf(0x900000) & PTE_N));
    cr_assert(arch_pt_map(&ctx, 0x90f000, RAM_BASE + 0x3f000, 1, VM_READ | VM_WRITE));
    cr_assert(!(leaf(0x900000) & PTE_N), "rights differ across the run");
    /* Mapped page by page: the run completing the group makes it. */
    cr_assert(arch_pt_map(&ctx, 0x90f000, RAM_BASE + 0x3f000, 1, VM_READ));
    cr_assert(is_group(0x900000));
    /* Two groups in one run of 32. */
    cr_assert(arch_pt_map(&ctx, 0xa00000, RAM_BASE + 0x40000, 32, VM_READ));
    cr_assert(is_group(0xa00000) && is_group(0xa10000));
}

Test(rvpt, a_remap_inside_a_group_splits_it)
{
    riscv_svnapot = true;
    map_group(0x600000, RAM_BASE + 0x10000);
    cr_assert(arch_pt_map(&ctx, 0x605000, RAM_BASE + 0x50000, 1, VM_READ | VM_WRITE));
    cr_assert(!is_group(0x600000));
    for (unsigned k = 0; k < 16; k++) {
        paddr_t want = k == 5 ? RAM_BASE + 0x50000 : RAM_BASE + 0x10000 + k * PAGE_SIZE;
        cr_assert_eq(pte_addr(leaf(0x600000 + k * PAGE_SIZE)), want, "page %u", k);
        cr_assert_eq(leaf(0x600000 + k * PAGE_SIZE) & PTE_N, 0);
        cr_assert_eq(lookup(0x600000 + k * PAGE_SIZE, NULL, NULL), want);
    }
    /* Same rights, same frame: a remap of an unchanged page keeps the group. */
    map_group(0x700000, RAM_BASE + 0x20000);
    cr_assert(arch_pt_map(&ctx, 0x703000, RAM_BASE + 0x23000, 1, VM_READ | VM_WRITE));
    cr_assert(is_group(0x700000));
    /* Fewer rights for one page: split, that page alone read-only. */
    cr_assert(arch_pt_map(&ctx, 0x703000, RAM_BASE + 0x23000, 1, VM_READ));
    cr_assert(!is_group(0x700000));
    unsigned access;
    lookup(0x703000, &access, NULL);
    cr_assert_eq(access, VM_READ);
    lookup(0x704000, &access, NULL);
    cr_assert_eq(access, VM_READ | VM_WRITE);
}

Test(rvpt, a_partial_unmap_splits_a_group)
{
    riscv_svnapot = true;
    map_group(0x600000, RAM_BASE + 0x10000);
    map_group(0x610000, RAM_BASE + 0x20000);
    arch_pt_unmap(&ctx, 0x609000, 0x612000);
    cr_assert(!is_group(0x600000) && !is_group(0x610000));
    for (unsigned k = 0; k < 32; k++) {
        vaddr_t va = 0x600000 + k * PAGE_SIZE;
        bool gone = k >= 9 && k < 18;
        paddr_t want =
            k < 16 ? RAM_BASE + 0x10000 + k * PAGE_SIZE : RAM_BASE + 0x20000 + (k - 16) * PAGE_SIZE;
        cr_assert_eq(lookup(va, NULL, NULL), gone ? 0 : want, "page %u", k);
        cr_assert_eq(leaf(va) & PTE_N, 0, "page %u", k);
    }
    /* A whole group unmapped leaves nothing. */
    map_group(0x700000, RAM_BASE + 0x30000);
    arch_pt_unmap(&ctx, 0x700000, 0x710000);
    for (unsigned k = 0; k < 16; k++)
        cr_assert_eq(leaf(0x700000 + k * PAGE_SIZE), 0);
}

Test(rvpt, sv39_walks_three_levels)
{
    riscv_pt_root_level = 2;
    const vaddr_t low = 0x400000, high = USER_TOP_SV39 - 0x10000;
    cr_assert(arch_pt_map(&ctx, low, RAM_BASE + 0x3000, 1, VM_READ | VM_WRITE));
    cr_assert_eq(tables_live, 3, "root, level 1, level 0: %u tables", tables_live);
    cr_assert(arch_pt_map(&ctx, high, RAM_BASE + 0x4000, 2, VM_READ));
    cr_assert_eq(tables_live, 5);
    /* The root is indexed by bits 38-30: the top GiB of the user half is entry 255. */
    pte_t *root = phys_to_virt(ctx.root);
    cr_assert_eq(root[0] & 0x3ff, PTE_V);
    cr_assert_eq(root[255] & 0x3ff, PTE_V);
    for (unsigned i = 1; i < 512; i++)
        cr_assert(i == 255 || !root[i], "root entry %u", i);
    unsigned access, level;
    cr_assert_eq(lookup(low + 0x10, &access, &level), RAM_BASE + 0x3010);
    cr_assert_eq(level, 0);
    cr_assert_eq(lookup(high + 0x1008, &access, &level), RAM_BASE + 0x5008);
    cr_assert_eq(access, VM_READ);
    cr_assert_eq(pte_addr(leaf(high)), RAM_BASE + 0x4000);
    /* A 2 MiB megapage is a level-1 leaf, one below the root. */
    cr_assert(arch_pt_map(&ctx, 0x40000000, RAM_BASE, 1, VM_READ));
    arch_pt_map_super(&ctx, 0x40000000, RAM_BASE, VM_READ | VM_WRITE);
    cr_assert_eq(lookup(0x40000000 + 0x1ff123, NULL, &level), RAM_BASE + 0x1ff123);
    cr_assert_eq(level, 1);
    cr_assert(root[1] & PTE_V && !(root[1] & PTE_RWX));
    /* The whole user half unmapped in bounded steps: everything goes, and the
     * walk skips a missing root entry's GiB at a time. */
    vaddr_t va = 0;
    unsigned steps = 0;
    while (va < USER_TOP_SV39 && steps++ < 4096)
        va = arch_pt_unmap_some(&ctx, va, USER_TOP_SV39, 8);
    cr_assert_eq(va, USER_TOP_SV39, "stopped at %#llx", (unsigned long long)va);
    cr_assert_eq(lookup(low, NULL, NULL), 0);
    cr_assert_eq(lookup(high, NULL, NULL), 0);
    cr_assert_eq(lookup(0x40000000, NULL, NULL), 0);
    /* Destroying frees every table but the root. */
    arch_pt_destroy(&ctx);
    cr_assert_eq(tables_live, 1);
    for (unsigned i = 0; i < 512; i++)
        cr_assert(!root[i], "root entry %u", i);
}
