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
