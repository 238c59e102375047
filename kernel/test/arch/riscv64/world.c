/*
 * The riscv64 side of the thread self-tests' world (kernel/test/ktest_world.c,
 * ipc/ktest_world.h): its user pages are mapped in the user half of the
 * kernel's own root (riscv_kernel_root, what satp holds when no VSpace is
 * loaded), where threads without a VSpace run; their program is the script
 * interpreter of world_progs.S.
 */
#include "arch.h"
#include "arch/riscv.h"
#include "config.h"
#include "ktest_arch.h"
#include "lib/string.h"
#include "mm/vm.h"
#include "panic.h"

#define WORLD_TABLES 4

static uint64_t world_tables[WORLD_TABLES][512] __aligned(4096);
static unsigned world_tables_used;

static paddr_t world_table_alloc(struct pt_ctx *c)
{
    (void)c;
    if (world_tables_used == WORLD_TABLES)
        return 0;
    memset(world_tables[world_tables_used], 0, PAGE_SIZE);
    return virt_to_phys(world_tables[world_tables_used++]);
}

static void world_table_free(struct pt_ctx *c, paddr_t pa)
{
    (void)c, (void)pa;
}

void arch_ktest_map_user(vaddr_t va, void *kpage, bool write, bool exec)
{
    assert(va >= 0x500000 && va < 0x600000 && (va & 0xfff) == 0);
    struct pt_ctx c = {.root = riscv_kernel_root(),
                       .active = true,
                       .alloc = world_table_alloc,
                       .free = world_table_free};
    unsigned access = VM_READ | (write ? VM_WRITE : 0) | (exec ? VM_EXEC : 0);
    if (!arch_pt_map(&c, va, virt_to_phys(kpage), 1, access))
        panic("ktest world: no table page for %#llx", (unsigned long long)va);
    if (exec)
        __asm__ volatile("fence.i" ::: "memory");
    arch_vspace_switch(0);
}
