/*
 * Self-tests of the VM with real ring-3 code on real VSpaces: the MMU walks the
 * tables the fault path built, so these check what the kernel-API tests
 * (kernel/test/vm_ktest.c) cannot: the rights of actual entries, the error codes
 * the CPU reports, and TLB invalidation (each test changes mappings while the
 * VSpace is loaded and the TLB holds its translations, then has ring 3 touch
 * them again). Programs: vm_progs.S; the scaffold: arch_user_run (user.c).
 */
#include "arch.h"
#include "arch/context.h"
#include "cap/delete.h"
#include "cap/preempt.h"
#include "ktest.h"
#include "lib/string.h"
#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/vspace.h"
#include "vm_user.h"

#define U(x) ((unsigned long long)(x))
#define DATA 0x40000000ull /* 1 GiB: 2 MiB-aligned */

enum { POOL, VS, CODE, DATA_VMO, CLONE, NSLOTS = 8 };
static struct slot S[NSLOTS] __aligned(32);
static struct arch_context ctx;
static uint64_t boot_free0;

static struct vspace *vs(void)
{
    return vspace_from_cap(S[VS].cap);
}

static struct vmo *vmo(unsigned i)
{
    return vmo_from_cap(S[i].cap);
}

static bool setup(uint64_t data_size)
{
    memset(S, 0, sizeof(S));
    boot_free0 = boot_pmm.free_bytes;
    return vm_boot_pool(&S[POOL], data_size + MIB(4)) == WF_ERR_OK &&
           vm_user_space(&S[POOL], &S[VS], &S[CODE]) == WF_ERR_OK &&
           pool_create_vmo(&S[POOL], data_size, &S[DATA_VMO]) == WF_ERR_OK &&
           vspace_map(vs(), vmo(DATA_VMO), 0, DATA, data_size, VM_READ | VM_WRITE,
                      WF_RIGHT_READ | WF_RIGHT_WRITE) == WF_ERR_OK;
}

static bool teardown(void)
{
    vspace_activate(NULL);
    preempt_begin(UINT32_MAX);
    if (cap_revoke(&S[POOL], NULL) != WF_ERR_OK || pool_from_cap(S[POOL].cap)->usage)
        return false;
    vm_boot_pool_release(&S[POOL]);
    return boot_pmm.free_bytes == boot_free0;
}

#define VMU_TEST(name, size)                                                                       \
    static void body_##name(void);                                                                 \
    KTEST(vmu, name)                                                                               \
    {                                                                                              \
        KT_ASSERT(setup(size), "setup");                                                           \
        body_##name();                                                                             \
        bool clean = teardown();                                                                   \
        if (!ktest_failed())                                                                       \
            KT_ASSERT(clean, "revoking the pool did not return everything");                       \
    }                                                                                              \
    static void body_##name(void)

/* Runs prog with rdi, rsi until its syscall or an unresolved fault. */
static struct vm_run run(enum vm_prog prog, uint64_t rdi, uint64_t rsi)
{
    vm_user_load(&ctx, prog, rdi, rsi);
    return vm_user_run(vs(), &ctx);
}

VMU_TEST(ring3_demand_zero_one_fault_per_cluster, MIB(1))
{
    struct vm_run r = run(VPROG_TOUCH, DATA, MIB(1) / PAGE_SIZE);
    KT_ASSERT(r.vector == VEC_SYSCALL, "vector %llu at %llx (%u)", U(r.vector), U(r.addr), r.res);
    KT_ASSERT_EQ(r.faults, MIB(1) / CLUSTER_SIZE);
    for (uint64_t off = 0; off < MIB(1); off += PAGE_SIZE) {
        uint64_t x[2];
        KT_ASSERT_EQ(vmo_read(vmo(DATA_VMO), off, x, sizeof(x)), WF_ERR_OK);
        KT_ASSERT(x[0] == DATA + off && x[1] == 0, "page +%llx: %llx %llx", U(off), U(x[0]),
                  U(x[1]));
    }
    r = run(VPROG_LOAD, DATA + 12345 * 8, 0);
    KT_ASSERT(r.vector == VEC_SYSCALL && r.faults == 0, "reload faulted");
    KT_ASSERT_EQ(ctx.regs.rax, 0);
}

VMU_TEST(ring3_the_page_after_a_mapping_faults, PAGE_SIZE)
{
    struct vm_run r = run(VPROG_STORE, DATA, 7);
    KT_ASSERT(r.vector == VEC_SYSCALL, "store in the page: vector %llu", U(r.vector));
    r = run(VPROG_LOAD, DATA + PAGE_SIZE, 0);
    KT_ASSERT_EQ(r.vector, 14);
    KT_ASSERT_EQ(r.res, VM_FAULT_UNMAPPED);
    KT_ASSERT_EQ(r.addr, DATA + PAGE_SIZE);
    KT_ASSERT_EQ(r.error & 1, 0); /* not present, as on any 4 KiB kernel */
    r = run(VPROG_LOAD, DATA - 8, 0);
    KT_ASSERT(r.vector == 14 && r.res == VM_FAULT_UNMAPPED, "the page before: %llu", U(r.vector));
}

VMU_TEST(ring3_protect_one_page_inside_a_cluster, 16 * PAGE_SIZE)
{
    struct vm_run r = run(VPROG_TOUCH, DATA, 16);
    KT_ASSERT(r.vector == VEC_SYSCALL, "touch: vector %llu", U(r.vector));
    /* the VSpace is loaded and the TLB holds writable entries for all 16 pages */
    KT_ASSERT_EQ(vspace_protect(vs(), DATA + 5 * PAGE_SIZE, PAGE_SIZE, VM_READ), WF_ERR_OK);
    r = run(VPROG_STORE, DATA + 5 * PAGE_SIZE, 1);
    KT_ASSERT_EQ(r.vector, 14);
    KT_ASSERT_EQ(r.res, VM_FAULT_RIGHTS);
    KT_ASSERT_EQ(r.addr, DATA + 5 * PAGE_SIZE);
    /* a write; Protect cleared the entry, so the CPU says "not present": the
     * fault is classified by the region (RIGHTS), as the fault message will be */
    KT_ASSERT_EQ(r.error & 2, 2);
    r = run(VPROG_LOAD, DATA + 5 * PAGE_SIZE, 0);
    KT_ASSERT(r.vector == VEC_SYSCALL, "read of the protected page: %llu", U(r.vector));
    KT_ASSERT_EQ(ctx.regs.rax, DATA + 5 * PAGE_SIZE);
    r = run(VPROG_STORE, DATA + 4 * PAGE_SIZE, 4);
    KT_ASSERT(r.vector == VEC_SYSCALL, "store to page 4: %llu", U(r.vector));
    r = run(VPROG_STORE, DATA + 6 * PAGE_SIZE, 6);
    KT_ASSERT(r.vector == VEC_SYSCALL, "store to page 6: %llu", U(r.vector));
    /* data is not executable */
    r = run(VPROG_JUMP, DATA, 0);
    KT_ASSERT(r.vector == 14 && r.res == VM_FAULT_RIGHTS, "jump into data: %llu", U(r.vector));
    KT_ASSERT_EQ(r.error & 0x10, 0x10);
}

VMU_TEST(ring3_unmap_one_page_inside_a_cluster, 16 * PAGE_SIZE)
{
    struct vm_run r = run(VPROG_TOUCH, DATA, 16);
    KT_ASSERT(r.vector == VEC_SYSCALL, "touch: vector %llu", U(r.vector));
    KT_ASSERT_EQ(vspace_unmap(vs(), DATA + 3 * PAGE_SIZE, PAGE_SIZE), WF_ERR_OK);
    r = run(VPROG_LOAD, DATA + 3 * PAGE_SIZE, 0);
    KT_ASSERT(r.vector == 14 && r.res == VM_FAULT_UNMAPPED, "stale translation: %llu", U(r.vector));
    r = run(VPROG_LOAD, DATA + 2 * PAGE_SIZE, 0);
    KT_ASSERT(r.vector == VEC_SYSCALL, "page 2: %llu", U(r.vector));
    KT_ASSERT_EQ(ctx.regs.rax, DATA + 2 * PAGE_SIZE);
    r = run(VPROG_LOAD, DATA + 4 * PAGE_SIZE, 0);
    KT_ASSERT(r.vector == VEC_SYSCALL, "page 4: %llu", U(r.vector));
    KT_ASSERT_EQ(ctx.regs.rax, DATA + 4 * PAGE_SIZE);
}

VMU_TEST(ring3_superpage_then_demotion, MIB(2))
{
    struct vm_run r = run(VPROG_TOUCH, DATA, MIB(2) / PAGE_SIZE);
    KT_ASSERT(r.vector == VEC_SYSCALL, "touch: vector %llu", U(r.vector));
    paddr_t pa;
    unsigned access, level;
    KT_ASSERT(vspace_translate(vs(), DATA, &pa, &access, &level) && level == 1, "not promoted");
    r = run(VPROG_LOAD, DATA + MIB(1), 0); /* the TLB now holds the 2 MiB entry */
    KT_ASSERT(r.vector == VEC_SYSCALL && r.faults == 0, "read through the superpage");
    KT_ASSERT_EQ(ctx.regs.rax, DATA + MIB(1));
    KT_ASSERT_EQ(vspace_unmap(vs(), DATA + MIB(1), PAGE_SIZE), WF_ERR_OK);
    r = run(VPROG_LOAD, DATA + MIB(1), 0);
    KT_ASSERT(r.vector == 14 && r.res == VM_FAULT_UNMAPPED, "stale superpage: %llu", U(r.vector));
    r = run(VPROG_LOAD, DATA + MIB(1) + PAGE_SIZE, 0);
    KT_ASSERT(r.vector == VEC_SYSCALL && r.faults == 0, "demoted neighbour refaulted");
    KT_ASSERT_EQ(ctx.regs.rax, DATA + MIB(1) + PAGE_SIZE);
}

VMU_TEST(ring3_cow_clone_write_faults_and_copies, MIB(1))
{
    struct vm_run r = run(VPROG_TOUCH, DATA, MIB(1) / PAGE_SIZE);
    KT_ASSERT(r.vector == VEC_SYSCALL, "touch: vector %llu", U(r.vector));
    KT_ASSERT_EQ(vmo_clone(vmo(DATA_VMO), &S[POOL], &S[CLONE]), WF_ERR_OK);
    /* writable translations were in the TLB: the write must fault and copy */
    r = run(VPROG_STORE, DATA + 8, 0x77);
    KT_ASSERT(r.vector == VEC_SYSCALL, "store after clone: %llu", U(r.vector));
    KT_ASSERT(r.faults >= 1, "the write did not fault: a stale writable entry");
    uint64_t x;
    KT_ASSERT_EQ(vmo_read(vmo(CLONE), 8, &x, 8), WF_ERR_OK);
    KT_ASSERT_EQ(x, 0);
    KT_ASSERT_EQ(vmo_read(vmo(DATA_VMO), 8, &x, 8), WF_ERR_OK);
    KT_ASSERT_EQ(x, 0x77);
    /* a read of another cluster shares it: no copy */
    uint64_t copies = vm_stats.cow_copies;
    r = run(VPROG_LOAD, DATA + MIB(1) - PAGE_SIZE, 0);
    KT_ASSERT(r.vector == VEC_SYSCALL, "load: %llu", U(r.vector));
    KT_ASSERT_EQ(ctx.regs.rax, DATA + MIB(1) - PAGE_SIZE);
    KT_ASSERT_EQ(vm_stats.cow_copies, copies);
    /* the clone's writes stay its own */
    KT_ASSERT_EQ(vmo_write(vmo(CLONE), MIB(1) - PAGE_SIZE, "c", 1), WF_ERR_OK);
    r = run(VPROG_LOAD, DATA + MIB(1) - PAGE_SIZE, 0);
    KT_ASSERT_EQ(ctx.regs.rax, DATA + MIB(1) - PAGE_SIZE);
}
