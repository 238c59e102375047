/*
 * Self-tests of aarch64 user page tables (kernel/arch/aarch64/pt.c, vm_cpu.c)
 * with the MMU walking them: a user address space is built, loaded into
 * TTBR0_EL1, and checked both through arch_pt_lookup and through the CPU's
 * own translation (AT S1E0R/S1E0W: what EL0 may do; plain loads through the
 * user address from EL1, which is allowed without PAN), across mapping,
 * rights, promotion to a 2 MiB block, demotion by a partial unmap, bounded
 * unmapping and destruction. Table pages come from a small pool here; the
 * mapped memory is a 2 MiB-aligned stretch the PMM hands out.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/pt.h"
#include "config.h"
#include "ktest.h"
#include "mm/pmm.h"
#include "mm/vm.h"

#define POOL    24
#define USER_VA 0x40000000ull /* a 2 MiB-aligned user address */
#define SUPER   (1ull << 21)

static uint64_t pages[POOL][512] __aligned(4096);
static bool used[POOL];
static unsigned allocs, frees;

static paddr_t pool_alloc(struct pt_ctx *c)
{
    (void)c;
    for (unsigned i = 0; i < POOL; i++) {
        if (!used[i]) {
            used[i] = true;
            for (unsigned k = 0; k < 512; k++)
                pages[i][k] = 0;
            allocs++;
            return virt_to_phys(pages[i]);
        }
    }
    return 0;
}

static void pool_free(struct pt_ctx *c, paddr_t pa)
{
    (void)c;
    for (unsigned i = 0; i < POOL; i++)
        if (virt_to_phys(pages[i]) == pa && used[i]) {
            used[i] = false;
            frees++;
            return;
        }
}

/* PAR_EL1 after an EL0 (stage 1, EL1&0 regime) translation of va. */
static uint64_t at_el0(vaddr_t va, bool write)
{
    if (write)
        __asm__ volatile("at s1e0w, %0\n\tisb" : : "r"(va) : "memory");
    else
        __asm__ volatile("at s1e0r, %0\n\tisb" : : "r"(va) : "memory");
    return read_sysreg(par_el1);
}

static bool el0_ok(vaddr_t va, bool write)
{
    return !(at_el0(va, write) & 1);
}

static paddr_t el0_pa(vaddr_t va)
{
    return (at_el0(va, false) & PTE_ADDR) | (va & 0xfff);
}

KTEST(aarch64, user_tables_walked_by_the_mmu)
{
    /* 2 MiB of RAM, 2 MiB aligned, from the PMM. */
    paddr_t mem = pmm_alloc(&boot_pmm, VM_SUPER_SHIFT - CLUSTER_SHIFT);
    KT_ASSERT(mem && IS_ALIGNED(mem, SUPER), "no aligned 2 MiB from the PMM");
    allocs = frees = 0;
    struct pt_ctx c = {.root = pool_alloc(NULL), .alloc = pool_alloc, .free = pool_free};
    arch_pt_init_root(c.root);

    /* Three pages: read-only, read-write, read-execute. */
    KT_ASSERT(arch_pt_map(&c, USER_VA, mem, 1, VM_READ));
    KT_ASSERT(arch_pt_map(&c, USER_VA + 0x1000, mem + 0x1000, 1, VM_READ | VM_WRITE));
    KT_ASSERT(arch_pt_map(&c, USER_VA + 0x2000, mem + 0x2000, 1, VM_READ | VM_EXEC));
    paddr_t pa;
    unsigned acc, lvl;
    KT_ASSERT(arch_pt_lookup(c.root, USER_VA + 0x1234, &pa, &acc, &lvl));
    KT_ASSERT(pa == mem + 0x1234 && acc == (VM_READ | VM_WRITE) && lvl == 0, "pa %llx acc %u",
              (unsigned long long)pa, acc);
    KT_ASSERT(arch_pt_lookup(c.root, USER_VA + 0x2000, &pa, &acc, &lvl) &&
              acc == (VM_READ | VM_EXEC));
    KT_ASSERT(!arch_pt_lookup(c.root, USER_VA + 0x3000, &pa, &acc, &lvl));

    /* Loaded: the MMU agrees, for EL0's rights and for the data itself. */
    c.active = true;
    arch_vspace_switch(c.root);
    KT_ASSERT(el0_ok(USER_VA, false) && !el0_ok(USER_VA, true), "read-only page");
    KT_ASSERT(el0_ok(USER_VA + 0x1000, true), "writable page");
    KT_ASSERT(!el0_ok(USER_VA + 0x3000, false), "unmapped page");
    KT_ASSERT_EQ(el0_pa(USER_VA + 0x1008), mem + 0x1008);
    volatile uint64_t *direct = phys_to_virt(mem + 0x1000);
    *direct = 0x5765667441363421ull;
    /* A kernel load through the user address: with PAN (ARMv8.1) only while
     * it is lifted, as x86's stac/clac. */
    bool pan = aarch64_has_pan();
    if (pan)
        pan_set(false);
    uint64_t through_user = *(volatile uint64_t *)(uintptr_t)(USER_VA + 0x1000);
    if (pan)
        pan_set(true);
    KT_ASSERT_EQ(through_user, 0x5765667441363421ull);

    /* Remapping a present page to another frame (break-before-make). */
    KT_ASSERT(arch_pt_map(&c, USER_VA + 0x1000, mem + 0x5000, 1, VM_READ | VM_WRITE));
    KT_ASSERT_EQ(el0_pa(USER_VA + 0x1000), mem + 0x5000);

    /* Promotion: the window becomes one block, its table freed. */
    unsigned frees_before = frees;
    arch_pt_map_super(&c, USER_VA, mem, VM_READ | VM_WRITE);
    KT_ASSERT_EQ(frees, frees_before + 1);
    KT_ASSERT(arch_pt_lookup(c.root, USER_VA + 0x123456, &pa, &acc, &lvl) && lvl == 1 &&
              pa == mem + 0x123456);
    KT_ASSERT(el0_ok(USER_VA + 0x1ff000, true));
    KT_ASSERT_EQ(el0_pa(USER_VA + 0x1ff000), mem + 0x1ff000);

    /* Demotion: unmapping one page splits the block, the rest stays. */
    arch_pt_unmap(&c, USER_VA + 0x10000, USER_VA + 0x11000);
    KT_ASSERT_EQ(c.demotions, 1);
    KT_ASSERT(!el0_ok(USER_VA + 0x10000, false), "unmapped page of the split block");
    KT_ASSERT(el0_ok(USER_VA + 0x11000, true) && el0_pa(USER_VA + 0x11000) == mem + 0x11000);
    KT_ASSERT(arch_pt_lookup(c.root, USER_VA + 0x20000, &pa, &acc, &lvl) && lvl == 0);

    /* Bounded unmapping makes progress and ends; then nothing is mapped. */
    vaddr_t at = USER_VA;
    unsigned rounds = 0;
    while (at < USER_VA + SUPER && rounds < 1000) {
        at = arch_pt_unmap_some(&c, at, USER_VA + SUPER, 1);
        rounds++;
    }
    KT_ASSERT(at == USER_VA + SUPER, "stopped at %llx", (unsigned long long)at);
    KT_ASSERT(!el0_ok(USER_VA + 0x11000, false));

    /* Back to no user space; then destruction frees every table but the root. */
    arch_vspace_switch(0);
    c.active = false;
    KT_ASSERT(!el0_ok(USER_VA + 0x1000, false), "user space still loaded");
    KT_ASSERT(arch_pt_map(&c, 0x7fff0000000ull, mem, 1, VM_READ));
    arch_pt_destroy(&c);
    KT_ASSERT_EQ(allocs, frees + 1); /* the root */
    pool_free(NULL, c.root);
    pmm_free(&boot_pmm, mem, VM_SUPER_SHIFT - CLUSTER_SHIFT);
}

/* The 4 KiB leaf entry of va in c's tables (0: none). */
static pte_t leaf_of(const struct pt_ctx *c, vaddr_t va)
{
    const pte_t *t = phys_to_virt(c->root);
    for (unsigned l = 3; l > 0; l--) {
        pte_t e = t[pt_index(va, l)];
        if (!pte_present(e) || pte_large(e))
            return 0;
        t = phys_to_virt(pte_addr(e));
    }
    return t[pt_index(va, 0)];
}

/* How many of the n pages from va have PTE_CONT. */
static unsigned cont_count(const struct pt_ctx *c, vaddr_t va, unsigned n)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        k += !!(leaf_of(c, va + i * PAGE_SIZE) & PTE_CONT);
    return k;
}

/* Every page of the n from va translates (for EL0, through the MMU) to the
 * page at the same offset from pa. */
static bool maps_run(vaddr_t va, paddr_t pa, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (!el0_ok(va + i * PAGE_SIZE + 8, false) ||
            el0_pa(va + i * PAGE_SIZE + 8) != pa + i * PAGE_SIZE + 8)
            return false;
    return true;
}

/* The contiguous hint (decision 168): 16 entries mapping 64 KiB of aligned,
 * contiguous memory with the same attributes, written by one map run, carry
 * PTE_CONT; anything less does not; a change to one page of a group (a new
 * frame, new rights, an unmap) splits it first, and the MMU then translates
 * every page as the tables say. */
KTEST(aarch64, contiguous_hint_groups_and_splits)
{
    paddr_t mem = pmm_alloc(&boot_pmm, VM_SUPER_SHIFT - CLUSTER_SHIFT);
    KT_ASSERT(mem && IS_ALIGNED(mem, SUPER), "no aligned 2 MiB from the PMM");
    allocs = frees = 0;
    struct pt_ctx c = {.root = pool_alloc(NULL), .alloc = pool_alloc, .free = pool_free};
    arch_pt_init_root(c.root);
    const unsigned rw = VM_READ | VM_WRITE;
    const vaddr_t va = USER_VA;

    /* One run of 32 pages: two groups, every entry marked. */
    KT_ASSERT(arch_pt_map(&c, va, mem, 32, rw));
    KT_ASSERT_EQ(cont_count(&c, va, 32), 32);
    /* Entries not an aligned 16 of one run: 16 pages at a VA 4 KiB off the
     * group boundary, 16 pages of memory 4 KiB off, 16 pages mapped one at a
     * time (as faults at CLUSTER_ORDER=0 map them), 16 with mixed rights. */
    KT_ASSERT(arch_pt_map(&c, va + 0x21000, mem + 0x20000, 16, rw));
    KT_ASSERT_EQ(cont_count(&c, va + 0x20000, 48), 0);
    KT_ASSERT(arch_pt_map(&c, va + 0x40000, mem + 0x41000, 16, rw));
    KT_ASSERT_EQ(cont_count(&c, va + 0x40000, 16), 0);
    for (unsigned i = 0; i < 16; i++)
        KT_ASSERT(
            arch_pt_map(&c, va + 0x50000 + i * PAGE_SIZE, mem + 0x50000 + i * PAGE_SIZE, 1, rw));
    KT_ASSERT_EQ(cont_count(&c, va + 0x50000, 16), 0);
    KT_ASSERT(arch_pt_map(&c, va + 0x60000, mem + 0x60000, 8, rw));
    KT_ASSERT(arch_pt_map(&c, va + 0x68000, mem + 0x68000, 8, VM_READ));
    KT_ASSERT(arch_pt_map(&c, va + 0x60000, mem + 0x60000, 16, rw)); /* now all alike */
    KT_ASSERT_EQ(cont_count(&c, va + 0x60000, 16), 16);

    c.active = true;
    arch_vspace_switch(c.root);
    KT_ASSERT(maps_run(va, mem, 32) && el0_ok(va + 0x5000, true), "groups as the MMU sees them");

    /* Mapping a group again as it is leaves it a group. */
    KT_ASSERT(arch_pt_map(&c, va, mem, 16, rw));
    KT_ASSERT_EQ(cont_count(&c, va, 16), 16);

    /* Protect one page (the VM unmaps it; the refault maps it read-only):
     * the group splits, its other 15 pages stay writable, this one faults on
     * a write; the next group is untouched. */
    arch_pt_unmap(&c, va + 0x3000, va + 0x4000);
    KT_ASSERT_EQ(cont_count(&c, va, 16), 0);
    KT_ASSERT(!leaf_of(&c, va + 0x3000) && !el0_ok(va + 0x3000, false), "unmapped page");
    KT_ASSERT(arch_pt_map(&c, va + 0x3000, mem + 0x3000, 1, VM_READ));
    KT_ASSERT_EQ(cont_count(&c, va, 32), 16);
    KT_ASSERT(maps_run(va, mem, 32), "split group translates as before");
    KT_ASSERT(!el0_ok(va + 0x3000, true) && el0_ok(va + 0x3000, false), "read-only page");
    for (unsigned i = 0; i < 32; i++)
        KT_ASSERT(i == 3 || el0_ok(va + i * PAGE_SIZE, true), "page %u lost its write right", i);
    paddr_t pa;
    unsigned acc, lvl;
    KT_ASSERT(arch_pt_lookup(c.root, va + 0x3010, &pa, &acc, &lvl) && pa == mem + 0x3010 &&
              acc == VM_READ && lvl == 0);

    /* The data through the user addresses, around the split. */
    volatile uint64_t *direct = phys_to_virt(mem + 0x2000);
    *direct = 0x436f6e7448696e74ull;
    bool pan = aarch64_has_pan();
    if (pan)
        pan_set(false);
    uint64_t through_user = *(volatile uint64_t *)(uintptr_t)(va + 0x2000);
    if (pan)
        pan_set(true);
    KT_ASSERT_EQ(through_user, 0x436f6e7448696e74ull);

    /* A copy-on-write break in the second group: one page to a new frame. */
    KT_ASSERT(arch_pt_map(&c, va + 0x17000, mem + 0x1f0000, 1, rw));
    KT_ASSERT_EQ(cont_count(&c, va + 0x10000, 16), 0);
    KT_ASSERT_EQ(el0_pa(va + 0x17008), mem + 0x1f0008);
    KT_ASSERT(maps_run(va + 0x10000, mem + 0x10000, 7) && maps_run(va + 0x18000, mem + 0x18000, 8),
              "the broken group's other pages");

    /* The whole first group with new rights (a protect of the cluster):
     * one group again, read-only. */
    arch_pt_unmap(&c, va, va + 0x10000);
    KT_ASSERT(arch_pt_map(&c, va, mem, 16, VM_READ));
    KT_ASSERT_EQ(cont_count(&c, va, 16), 16);
    KT_ASSERT(maps_run(va, mem, 16) && !el0_ok(va + 0x9000, true), "read-only group");

    /* Unmapping pages at both ends of a group keeps the middle, split. */
    arch_pt_unmap(&c, va + 0xe000, va + 0x12000);
    KT_ASSERT_EQ(cont_count(&c, va, 16), 0);
    KT_ASSERT(maps_run(va, mem, 14) && !el0_ok(va + 0xe000, false) && !el0_ok(va + 0xf000, false),
              "partly unmapped group");

    arch_vspace_switch(0);
    c.active = false;
    arch_pt_destroy(&c);
    KT_ASSERT_EQ(allocs, frees + 1);
    pool_free(NULL, c.root);
    pmm_free(&boot_pmm, mem, VM_SUPER_SHIFT - CLUSTER_SHIFT);
}

KTEST(aarch64, phys_zero_and_copy)
{
    paddr_t a = pmm_alloc(&boot_pmm, 0), b = pmm_alloc(&boot_pmm, 0);
    KT_ASSERT(a && b);
    uint64_t *pa = phys_to_virt(a), *pb = phys_to_virt(b);
    for (unsigned i = 0; i < 512; i++)
        pa[i] = 0x0101010101010101ull * i;
    arch_phys_copy(b, a, PAGE_SIZE);
    for (unsigned i = 0; i < 512; i++)
        KT_ASSERT_EQ(pb[i], 0x0101010101010101ull * i);
    arch_phys_zero(a + 8, PAGE_SIZE - 16);
    KT_ASSERT_EQ(pa[0], 0);
    KT_ASSERT_EQ(pa[1], 0);
    KT_ASSERT_EQ(pa[510], 0);
    KT_ASSERT_EQ(pa[511], 0x0101010101010101ull * 511);
    pmm_free(&boot_pmm, a, 0);
    pmm_free(&boot_pmm, b, 0);
}
