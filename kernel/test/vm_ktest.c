/*
 * Self-tests of the VM through its in-kernel API, on real memory: pools made from
 * boot_pmm, VMOs, VSpaces, the fault path driven as the trap path will drive it
 * (vm_fault with the access of the faulting instruction), and the page tables the
 * MMU would walk (vspace_translate). Ring-3 code against real VSpaces is in
 * kernel/test/arch/x86_64/vm_ktest.c. Every figure asserted here is in MMU pages, so
 * the same test passes unchanged with CLUSTER_ORDER=0 and 4 (the ABI-transparency
 * rule): only the cluster counts differ, and they are computed, not written in.
 *
 * Each test builds a world (a root pool of POOL_BYTES in slot POOL) in setup, runs
 * its body, and tears down by revoking the pool cap and giving the memory back
 * to boot_pmm; the teardown checks that revocation brought usage back to zero.
 */
#include "arch.h"
#include "cap/cdt.h"
#include "cap/delete.h"
#include "cap/preempt.h"
#include "ktest.h"
#include "lib/string.h"
#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/vspace.h"

#define U(x) ((unsigned long long)(x))

enum { POOL, VS, VMO_A, VMO_B, CHILD, VMO_C, VS2, NSLOTS = 16 };
#define POOL_BYTES MIB(24)
#define BASE       0x40000000ull /* 1 GiB: 2 MiB-aligned user address */

static struct slot S[NSLOTS] __aligned(32);
static uint64_t boot_free0;

static struct pool *pool(unsigned i)
{
    return pool_from_cap(S[i].cap);
}

static struct vmo *vmo(unsigned i)
{
    return vmo_from_cap(S[i].cap);
}

static struct vspace *vs(unsigned i)
{
    return vspace_from_cap(S[i].cap);
}

static bool setup(void)
{
    memset(S, 0, sizeof(S));
    boot_free0 = boot_pmm.free_bytes;
    return vm_boot_pool(&S[POOL], POOL_BYTES) == WF_ERR_OK;
}

/* Revokes everything made from the pool and returns its memory. False (with the
 * memory kept) when revocation left usage behind: a leak the test reports. */
static bool teardown(void)
{
    preempt_begin(UINT32_MAX);
    if (cap_revoke(&S[POOL], NULL) != WF_ERR_OK)
        return false;
    struct pool *p = pool(POOL);
    if (p->usage != 0 || p->objects != 0)
        return false;
    vm_boot_pool_release(&S[POOL]);
    return boot_pmm.free_bytes == boot_free0;
}

#define VM_TEST(name)                                                                              \
    static void body_##name(void);                                                                 \
    KTEST(vm, name)                                                                                \
    {                                                                                              \
        KT_ASSERT(setup(), "no pool of %llu bytes", U(POOL_BYTES));                                \
        body_##name();                                                                             \
        bool clean = teardown();                                                                   \
        if (!ktest_failed())                                                                       \
            KT_ASSERT(clean, "revoking the pool left usage %llu, objects %llu",                    \
                      U(pool(POOL)->usage), U(pool(POOL)->objects));                               \
    }                                                                                              \
    static void body_##name(void)

/* A VMO of size in slot i and a VSpace in VS with the VMO mapped at BASE. */
static enum wf_error map_new(unsigned i, uint64_t size, unsigned rights)
{
    enum wf_error e = pool_create_vmo(&S[POOL], size, &S[i]);
    if (e == WF_ERR_OK && slot_is_empty(&S[VS]))
        e = pool_create_vspace(&S[POOL], &S[VS]);
    if (e == WF_ERR_OK)
        e = vspace_map(vs(VS), vmo(i), 0, BASE, size, rights, WF_RIGHT_READ | WF_RIGHT_WRITE);
    return e;
}

static bool mapped(vaddr_t va, unsigned *level)
{
    paddr_t pa;
    unsigned access, l;
    bool ok = vspace_translate(vs(VS), va, &pa, &access, &l);
    if (level)
        *level = l;
    return ok;
}

static uint64_t peek(unsigned v, vaddr_t va)
{
    uint64_t x = ~0ull;
    vspace_read(vs(v), va, &x, sizeof(x));
    return x;
}

VM_TEST(demand_zero_fills_one_cluster_per_fault)
{
    KT_ASSERT_EQ(map_new(VMO_A, MIB(1), VM_READ | VM_WRITE), WF_ERR_OK);
    KT_ASSERT(!mapped(BASE, NULL), "mapped before any access");
    uint64_t faults = vm_stats.faults;
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + 5 * PAGE_SIZE, VM_READ), VM_FAULT_RESOLVED);
    KT_ASSERT_EQ(vm_stats.faults, faults + 1);
    KT_ASSERT_EQ(vmo(VMO_A)->committed, 1);
    /* the whole cluster around the page is mapped, nothing beyond it */
    uint64_t c0 = ALIGN_DOWN(5 * PAGE_SIZE, CLUSTER_SIZE);
    for (uint64_t off = 0; off < 2 * CLUSTER_SIZE && off < MIB(1); off += PAGE_SIZE)
        KT_ASSERT(mapped(BASE + off, NULL) == (off >= c0 && off < c0 + CLUSTER_SIZE),
                  "page at +%llx", U(off));
    static uint8_t buf[PAGE_SIZE];
    memset(buf, 0x5a, sizeof(buf));
    KT_ASSERT_EQ(vspace_read(vs(VS), BASE + 5 * PAGE_SIZE, buf, sizeof(buf)), WF_ERR_OK);
    for (unsigned i = 0; i < sizeof(buf); i++)
        KT_ASSERT(buf[i] == 0, "byte %u is %u", i, buf[i]);
    /* every page reads zero, and writes stay */
    for (uint64_t off = 0; off < MIB(1); off += PAGE_SIZE) {
        KT_ASSERT(peek(VS, BASE + off) == 0, "page +%llx not zero", U(off));
        uint64_t v = BASE + off;
        KT_ASSERT_EQ(vspace_write(vs(VS), BASE + off, &v, sizeof(v)), WF_ERR_OK);
    }
    for (uint64_t off = 0; off < MIB(1); off += PAGE_SIZE)
        KT_ASSERT_EQ(peek(VS, BASE + off), BASE + off);
    KT_ASSERT_EQ(vmo(VMO_A)->committed, MIB(1) / CLUSTER_SIZE);
}

VM_TEST(faults_outside_regions_and_against_rights_are_refused)
{
    KT_ASSERT_EQ(map_new(VMO_A, 4 * PAGE_SIZE, VM_READ), WF_ERR_OK);
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE - PAGE_SIZE, VM_READ), VM_FAULT_UNMAPPED);
    /* the MMU page right after the region: unmapped, whatever the cluster size */
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + 4 * PAGE_SIZE, VM_READ), VM_FAULT_UNMAPPED);
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE, VM_WRITE), VM_FAULT_RIGHTS);
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE, VM_EXEC), VM_FAULT_RIGHTS);
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + 3 * PAGE_SIZE, VM_READ), VM_FAULT_RESOLVED);
    KT_ASSERT(!mapped(BASE + 4 * PAGE_SIZE, NULL), "the page after the region got mapped");
    uint64_t x = 1;
    KT_ASSERT_EQ(vspace_write(vs(VS), BASE, &x, 8), WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(vspace_read(vs(VS), BASE + 4 * PAGE_SIZE - 4, &x, 8), WF_ERR_INVALID_ARGUMENT);
    /* map errors */
    struct vmo *a = vmo(VMO_A);
    KT_ASSERT_EQ(vspace_map(vs(VS), a, 0, BASE + PAGE_SIZE, PAGE_SIZE, VM_READ, 3),
                 WF_ERR_ILLEGAL_OPERATION);
    KT_ASSERT_EQ(vspace_map(vs(VS), a, 0, BASE + 123, PAGE_SIZE, VM_READ, 3),
                 WF_ERR_ALIGNMENT_ERROR);
    KT_ASSERT_EQ(vspace_map(vs(VS), a, 0, USER_TOP - PAGE_SIZE, 2 * PAGE_SIZE, VM_READ, 3),
                 WF_ERR_RANGE_ERROR);
    KT_ASSERT_EQ(vspace_map(vs(VS), a, PAGE_SIZE, 0, 4 * PAGE_SIZE, VM_READ, 3),
                 WF_ERR_RANGE_ERROR);
    KT_ASSERT_EQ(vspace_map(vs(VS), a, 0, 0, PAGE_SIZE, VM_WRITE, 3), WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(vspace_map(vs(VS), a, 0, 0, PAGE_SIZE, VM_READ | VM_WRITE, WF_RIGHT_READ),
                 WF_ERR_INVALID_CAPABILITY);
}

VM_TEST(unmap_one_page_inside_a_cluster)
{
    KT_ASSERT_EQ(map_new(VMO_A, 16 * PAGE_SIZE, VM_READ | VM_WRITE), WF_ERR_OK);
    for (uint64_t i = 0; i < 16; i++)
        KT_ASSERT_EQ(vspace_write(vs(VS), BASE + i * PAGE_SIZE, &i, 8), WF_ERR_OK);
    KT_ASSERT_EQ(vspace_unmap(vs(VS), BASE + 3 * PAGE_SIZE, PAGE_SIZE), WF_ERR_OK);
    KT_ASSERT(!mapped(BASE + 3 * PAGE_SIZE, NULL), "page 3 still translated");
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + 3 * PAGE_SIZE, VM_READ), VM_FAULT_UNMAPPED);
    KT_ASSERT_EQ(vs(VS)->nregions, 2);
    for (uint64_t i = 0; i < 16; i++)
        if (i != 3)
            KT_ASSERT_EQ(peek(VS, BASE + i * PAGE_SIZE), i);
    KT_ASSERT(!mapped(BASE + 3 * PAGE_SIZE, NULL), "refaulting neighbours mapped page 3");
    /* unmapping an empty range is fine; the VMO keeps the page's contents */
    KT_ASSERT_EQ(vspace_unmap(vs(VS), BASE + 3 * PAGE_SIZE, PAGE_SIZE), WF_ERR_OK);
    uint64_t x;
    KT_ASSERT_EQ(vmo_read(vmo(VMO_A), 3 * PAGE_SIZE, &x, 8), WF_ERR_OK);
    KT_ASSERT_EQ(x, 3);
    KT_ASSERT_EQ(vspace_unmap(vs(VS), BASE, 16 * PAGE_SIZE), WF_ERR_OK);
    KT_ASSERT_EQ(vs(VS)->nregions, 0);
    for (uint64_t i = 0; i < 16; i++)
        KT_ASSERT(!mapped(BASE + i * PAGE_SIZE, NULL), "page %llu still translated", U(i));
}

VM_TEST(protect_one_page_inside_a_cluster)
{
    KT_ASSERT_EQ(map_new(VMO_A, 16 * PAGE_SIZE, VM_READ | VM_WRITE), WF_ERR_OK);
    for (uint64_t i = 0; i < 16; i++)
        KT_ASSERT_EQ(vspace_write(vs(VS), BASE + i * PAGE_SIZE, &i, 8), WF_ERR_OK);
    KT_ASSERT_EQ(vspace_protect(vs(VS), BASE + 5 * PAGE_SIZE, PAGE_SIZE, VM_READ), WF_ERR_OK);
    KT_ASSERT_EQ(vs(VS)->nregions, 3);
    uint64_t x = 99;
    KT_ASSERT_EQ(vspace_write(vs(VS), BASE + 5 * PAGE_SIZE, &x, 8), WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + 5 * PAGE_SIZE, VM_WRITE), VM_FAULT_RIGHTS);
    KT_ASSERT_EQ(peek(VS, BASE + 5 * PAGE_SIZE), 5);
    KT_ASSERT_EQ(vspace_write(vs(VS), BASE + 4 * PAGE_SIZE, &x, 8), WF_ERR_OK);
    KT_ASSERT_EQ(vspace_write(vs(VS), BASE + 6 * PAGE_SIZE, &x, 8), WF_ERR_OK);
    paddr_t pa;
    unsigned access, level;
    KT_ASSERT(vspace_translate(vs(VS), BASE + 5 * PAGE_SIZE, &pa, &access, &level));
    KT_ASSERT_EQ(access & VM_WRITE, 0);
    KT_ASSERT(vspace_translate(vs(VS), BASE + 6 * PAGE_SIZE, &pa, &access, &level));
    KT_ASSERT(access & VM_WRITE, "page 6 lost its write right");
    /* rights beyond what the cap allowed at Map, and bad rights, are refused */
    KT_ASSERT_EQ(vspace_protect(vs(VS), BASE, PAGE_SIZE, VM_WRITE), WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(vspace_protect(vs(VS), BASE, PAGE_SIZE, 8), WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(vspace_protect(vs(VS), BASE + 5 * PAGE_SIZE, PAGE_SIZE, VM_READ | VM_WRITE),
                 WF_ERR_OK);
    KT_ASSERT_EQ(vspace_write(vs(VS), BASE + 5 * PAGE_SIZE, &x, 8), WF_ERR_OK);
}

VM_TEST(cow_clone_isolates_both_ways)
{
    KT_ASSERT_EQ(map_new(VMO_A, MIB(4), VM_READ | VM_WRITE), WF_ERR_OK);
    for (uint64_t off = 0; off < MIB(4); off += PAGE_SIZE) {
        uint64_t v = off ^ 0xa;
        KT_ASSERT_EQ(vspace_write(vs(VS), BASE + off, &v, 8), WF_ERR_OK);
    }
    uint64_t committed = vmo(VMO_A)->committed;
    KT_ASSERT_EQ(vmo_clone(vmo(VMO_A), &S[POOL], &S[VMO_B]), WF_ERR_OK);
    KT_ASSERT(!mapped(BASE, NULL), "the original's mappings survived the clone");
    KT_ASSERT_EQ(pool_create_vspace(&S[POOL], &S[VS2]), WF_ERR_OK);
    KT_ASSERT_EQ(vspace_map(vs(VS2), vmo(VMO_B), 0, BASE, MIB(4), VM_READ | VM_WRITE, 3),
                 WF_ERR_OK);
    /* both see the contents; no cluster was copied by reading */
    for (uint64_t off = 0; off < MIB(4); off += 64 * PAGE_SIZE) {
        KT_ASSERT_EQ(peek(VS, BASE + off), off ^ 0xa);
        KT_ASSERT_EQ(peek(VS2, BASE + off), off ^ 0xa);
    }
    KT_ASSERT_EQ(vmo(VMO_A)->committed + vmo(VMO_B)->committed, 0);
    uint64_t copies = vm_stats.cow_copies;
    uint64_t a = 111, b = 222;
    KT_ASSERT_EQ(vspace_write(vs(VS), BASE + 7 * PAGE_SIZE, &a, 8), WF_ERR_OK);
    KT_ASSERT_EQ(vspace_write(vs(VS2), BASE + 9 * PAGE_SIZE, &b, 8), WF_ERR_OK);
    KT_ASSERT_EQ(vm_stats.cow_copies, copies + 2);
    KT_ASSERT_EQ(peek(VS, BASE + 7 * PAGE_SIZE), 111);
    KT_ASSERT_EQ(peek(VS2, BASE + 7 * PAGE_SIZE), (7 * PAGE_SIZE) ^ 0xa);
    KT_ASSERT_EQ(peek(VS2, BASE + 9 * PAGE_SIZE), 222);
    KT_ASSERT_EQ(peek(VS, BASE + 9 * PAGE_SIZE), (9 * PAGE_SIZE) ^ 0xa);
    /* the rest of the written clusters was copied with them */
    KT_ASSERT_EQ(peek(VS, BASE + 8 * PAGE_SIZE), (8 * PAGE_SIZE) ^ 0xa);
    KT_ASSERT_EQ(vmo(VMO_A)->committed, 1);
    /* destroying the clone leaves the original whole, and alone: the hidden VMO
     * is merged into it, the cluster it shadowed freed (decision 172) */
    preempt_begin(UINT32_MAX);
    KT_ASSERT_EQ(cap_delete(&S[VMO_B], NULL), WF_ERR_OK);
    for (uint64_t off = 0; off < MIB(4); off += 64 * PAGE_SIZE)
        KT_ASSERT_EQ(peek(VS, BASE + off), off ^ 0xa);
    KT_ASSERT_EQ(peek(VS, BASE + 7 * PAGE_SIZE), 111);
    KT_ASSERT(vmo(VMO_A)->parent == NULL, "the hidden VMO stayed");
    KT_ASSERT_EQ(vmo(VMO_A)->committed, committed);
}

/* Lookups a read of v may visit: v and its ancestors. */
static unsigned walk_depth(const struct vmo *v)
{
    unsigned d = 0;
    for (; v; v = v->parent)
        d++;
    return d;
}

/* 500 generations of fork and exit: each clones the survivor (from the pool, or
 * every other two generations from a child pool), both write, and one of them
 * is destroyed (the clone, or every other time the original) through cap
 * deletion with the default work budget, as userspace deletes. The hidden VMO
 * of each generation is merged into the survivor, so a lookup visits one VMO,
 * the pools use at the same point of the pattern what they used after the
 * first four generations, and the contents are what copies would hold. */
static enum wf_error touch(vaddr_t va, uint64_t len);

#define GEN_SIZE  MIB(3)
#define GEN_PAGES (GEN_SIZE / PAGE_SIZE)
static uint64_t gen_model[2][GEN_PAGES];

VM_TEST(clone_and_destroy_500_generations)
{
    KT_ASSERT_EQ(map_new(VMO_A, GEN_SIZE, VM_READ | VM_WRITE), WF_ERR_OK);
    KT_ASSERT_EQ(touch(BASE, GEN_SIZE), WF_ERR_OK); /* every cluster present */
    for (uint64_t p = 0; p < GEN_PAGES; p++)
        gen_model[0][p] = BASE + p * PAGE_SIZE;
    KT_ASSERT_EQ(pool_create_child(&S[POOL], MIB(8), &S[CHILD]), WF_ERR_OK);
    unsigned cur = 0; /* the survivor: VMO_A + cur, its model gen_model[cur] */
    uint64_t start = 0, child_start = 0, merges = vm_stats.merges;
    for (unsigned g = 0; g < 500; g++) {
        unsigned other = 1 - cur;
        KT_ASSERT_EQ(vmo_clone(vmo(VMO_A + cur), &S[g % 4 < 2 ? POOL : CHILD], &S[VMO_A + other]),
                     WF_ERR_OK);
        memcpy(gen_model[other], gen_model[cur], sizeof(gen_model[cur]));
        uint64_t pa = g * 37 % GEN_PAGES, pb = g * 91 % GEN_PAGES;
        uint64_t a = g, b = ~(uint64_t)g;
        KT_ASSERT_EQ(vmo_write(vmo(VMO_A + cur), pa * PAGE_SIZE, &a, 8), WF_ERR_OK);
        KT_ASSERT_EQ(vmo_write(vmo(VMO_A + other), pb * PAGE_SIZE, &b, 8), WF_ERR_OK);
        gen_model[cur][pa] = a;
        gen_model[other][pb] = b;
        unsigned gone = g % 2 ? other : cur;
        enum wf_error e;
        do
            preempt_begin(PREEMPT_UNITS_DEFAULT);
        while ((e = cap_delete(&S[VMO_A + gone], NULL)) == WF_ERR_PREEMPTED);
        KT_ASSERT_EQ(e, WF_ERR_OK);
        cur = 1 - gone;
        struct vmo *v = vmo(VMO_A + cur);
        KT_ASSERT(walk_depth(v) == 1, "generation %u: a lookup visits %u VMOs", g, walk_depth(v));
        uint64_t x = 0, y = 0;
        KT_ASSERT_EQ(vmo_read(v, pa * PAGE_SIZE, &x, 8), WF_ERR_OK);
        KT_ASSERT_EQ(vmo_read(v, pb * PAGE_SIZE, &y, 8), WF_ERR_OK);
        KT_ASSERT(x == gen_model[cur][pa] && y == gen_model[cur][pb],
                  "generation %u: %llx %llx, a copy holds %llx %llx", g, U(x), U(y),
                  U(gen_model[cur][pa]), U(gen_model[cur][pb]));
        if (g == 3) {
            start = pool(POOL)->usage;
            child_start = pool(CHILD)->usage;
        }
        if (g % 4 == 3) /* the same point of the pattern: the same use */
            KT_ASSERT(pool(POOL)->usage == start && pool(CHILD)->usage == child_start,
                      "generation %u: pool %llu (child %llu), %llu (%llu) after the fourth", g,
                      U(pool(POOL)->usage), U(pool(CHILD)->usage), U(start), U(child_start));
    }
    KT_ASSERT_EQ(vm_stats.merges, merges + 500);
    for (uint64_t p = 0; p < GEN_PAGES; p++) {
        uint64_t x = 0;
        KT_ASSERT_EQ(vmo_read(vmo(VMO_A + cur), p * PAGE_SIZE, &x, 8), WF_ERR_OK);
        KT_ASSERT(x == gen_model[cur][p], "page %llu: %llx, a copy holds %llx", U(p), U(x),
                  U(gen_model[cur][p]));
    }
}

VM_TEST(child_pool_quota_and_exhaustion)
{
    KT_ASSERT_EQ(pool_create_child(&S[POOL], MIB(2), &S[CHILD]), WF_ERR_OK);
    struct pool *c = pool(CHILD);
    KT_ASSERT_EQ(pool_create_vmo(&S[CHILD], MIB(4), &S[VMO_C]), WF_ERR_OK);
    KT_ASSERT_EQ(pool_create_vspace(&S[CHILD], &S[VS]), WF_ERR_OK);
    KT_ASSERT_EQ(vspace_map(vs(VS), vmo(VMO_C), 0, BASE, MIB(4), VM_READ | VM_WRITE, 3), WF_ERR_OK);
    uint64_t touched = 0;
    enum wf_error e = WF_ERR_OK;
    for (uint64_t off = 0; off < MIB(4) && e == WF_ERR_OK; off += PAGE_SIZE) {
        e = vspace_write(vs(VS), BASE + off, &off, 8);
        touched += e == WF_ERR_OK;
    }
    KT_ASSERT_EQ(e, WF_ERR_NOT_ENOUGH_MEMORY);
    KT_ASSERT(c->usage <= c->limit, "usage %llu over limit %llu", U(c->usage), U(c->limit));
    KT_ASSERT(touched * PAGE_SIZE < MIB(2), "touched %llu pages", U(touched));
    /* metadata (objects, tree, page tables: one slab cluster per size class) is
     * charged too, and is at most a few clusters */
    KT_ASSERT(touched * PAGE_SIZE >= MIB(2) - 8 * CLUSTER_SIZE - KIB(64),
              "only %llu pages fit in 2 MiB", U(touched));
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + MIB(4) - PAGE_SIZE, VM_WRITE), VM_FAULT_NOMEM);
    /* a new VMO's object may still fit a slab chunk, its memory does not */
    KT_ASSERT_EQ(pool_create_vmo(&S[CHILD], MIB(1), &S[VMO_B]), WF_ERR_OK);
    KT_ASSERT_EQ(vmo_write(vmo(VMO_B), 0, "x", 1), WF_ERR_NOT_ENOUGH_MEMORY);
    KT_ASSERT(c->usage <= c->limit, "usage %llu over limit %llu", U(c->usage), U(c->limit));
    /* the parent is charged for all of it */
    KT_ASSERT(pool(POOL)->usage >= c->usage, "parent %llu < child %llu", U(pool(POOL)->usage),
              U(c->usage));
    /* revoking the child pool returns everything */
    uint64_t parent_before = pool(POOL)->usage;
    preempt_begin(UINT32_MAX);
    KT_ASSERT_EQ(cap_revoke(&S[CHILD], NULL), WF_ERR_OK);
    KT_ASSERT_EQ(c->usage, 0);
    KT_ASSERT_EQ(c->objects, 0);
    KT_ASSERT(slot_is_empty(&S[VS]) && slot_is_empty(&S[VMO_C]) && slot_is_empty(&S[VMO_B]),
              "children survived");
    KT_ASSERT(pool(POOL)->usage < parent_before, "parent usage did not drop");
    KT_ASSERT_EQ(pool_create_vmo(&S[CHILD], MIB(1), &S[VMO_B]), WF_ERR_OK);
    KT_ASSERT_EQ(vmo_write(vmo(VMO_B), 0, "x", 1), WF_ERR_OK);
}

VM_TEST(revoking_the_pool_returns_every_byte)
{
    KT_ASSERT_EQ(map_new(VMO_A, MIB(6), VM_READ | VM_WRITE), WF_ERR_OK);
    for (uint64_t off = 0; off < MIB(6); off += PAGE_SIZE)
        KT_ASSERT_EQ(vspace_write(vs(VS), BASE + off, &off, 8), WF_ERR_OK);
    KT_ASSERT_EQ(pool_create_child(&S[POOL], MIB(1), &S[CHILD]), WF_ERR_OK);
    KT_ASSERT_EQ(pool_create_vmo(&S[CHILD], MIB(1), &S[VMO_C]), WF_ERR_OK);
    KT_ASSERT_EQ(vmo_write(vmo(VMO_C), 4096, "x", 1), WF_ERR_OK);
    KT_ASSERT_EQ(vmo_clone(vmo(VMO_A), &S[CHILD], &S[VMO_B]), WF_ERR_OK);
    KT_ASSERT_EQ(vmo_write(vmo(VMO_B), 0, "y", 1), WF_ERR_OK);
    KT_ASSERT(pool(POOL)->usage >= MIB(6), "usage %llu", U(pool(POOL)->usage));
    KT_ASSERT(vm_stats.pt_pages > 0);
    /* teardown revokes and checks usage, objects and boot_pmm's free bytes */
}

/* Touches every page of [va, va + len) of VS by writing its address. */
static enum wf_error touch(vaddr_t va, uint64_t len)
{
    for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
        uint64_t v = va + off;
        enum wf_error e = vspace_write(vs(VS), va + off, &v, 8);
        if (e != WF_ERR_OK)
            return e;
    }
    return WF_ERR_OK;
}

VM_TEST(promotion_when_a_window_is_complete_and_not_before)
{
    KT_ASSERT_EQ(map_new(VMO_A, MIB(8), VM_READ | VM_WRITE), WF_ERR_OK);
    uint64_t promos = vm_stats.promotions;
    KT_ASSERT_EQ(touch(BASE, MIB(2)), WF_ERR_OK);
    unsigned level;
    KT_ASSERT(mapped(BASE + 12345 * 8, &level), "not mapped");
    KT_ASSERT_EQ(level, 1);
    KT_ASSERT_EQ(vm_stats.promotions, promos + 1);
    for (uint64_t off = 0; off < MIB(2); off += 97 * PAGE_SIZE)
        KT_ASSERT_EQ(peek(VS, BASE + off), BASE + off);
    /* the second window, its last cluster never touched: 4 KiB pages */
    KT_ASSERT_EQ(touch(BASE + MIB(2), MIB(2) - CLUSTER_SIZE), WF_ERR_OK);
    KT_ASSERT(mapped(BASE + MIB(2), &level), "not mapped");
    KT_ASSERT_EQ(level, 0);
    KT_ASSERT(!mapped(BASE + MIB(4) - PAGE_SIZE, NULL), "the untouched page is mapped");
    KT_ASSERT_EQ(vm_stats.promotions, promos + 1);
    /* the third window, mapped but for its last MMU page: never promoted */
    KT_ASSERT_EQ(vspace_unmap(vs(VS), BASE + MIB(6) - PAGE_SIZE, PAGE_SIZE), WF_ERR_OK);
    KT_ASSERT_EQ(touch(BASE + MIB(4), MIB(2) - PAGE_SIZE), WF_ERR_OK);
    KT_ASSERT(mapped(BASE + MIB(4), &level) && level == 0, "window with a hole promoted");
    KT_ASSERT_EQ(vm_stats.promotions, promos + 1);
    /* a region not 2 MiB-aligned in the VMO is never promoted */
    KT_ASSERT_EQ(pool_create_vmo(&S[POOL], MIB(4), &S[VMO_B]), WF_ERR_OK);
    KT_ASSERT_EQ(
        vspace_map(vs(VS), vmo(VMO_B), PAGE_SIZE, BASE + MIB(8), MIB(3), VM_READ | VM_WRITE, 3),
        WF_ERR_OK);
    KT_ASSERT_EQ(touch(BASE + MIB(8), MIB(3)), WF_ERR_OK);
    KT_ASSERT_EQ(vm_stats.promotions, promos + 1);
}

VM_TEST(demotion_on_partial_unmap_and_protect)
{
    KT_ASSERT_EQ(map_new(VMO_A, MIB(4), VM_READ | VM_WRITE), WF_ERR_OK);
    KT_ASSERT_EQ(touch(BASE, MIB(4)), WF_ERR_OK);
    unsigned level;
    KT_ASSERT(mapped(BASE, &level) && level == 1, "first window not promoted");
    KT_ASSERT(mapped(BASE + MIB(2), &level) && level == 1, "second window not promoted");
    uint64_t demos = vm_stats.demotions;
    KT_ASSERT_EQ(vspace_unmap(vs(VS), BASE + 77 * PAGE_SIZE, PAGE_SIZE), WF_ERR_OK);
    KT_ASSERT_EQ(vm_stats.demotions, demos + 1);
    KT_ASSERT(!mapped(BASE + 77 * PAGE_SIZE, NULL), "the unmapped page is translated");
    KT_ASSERT(mapped(BASE + 76 * PAGE_SIZE, &level) && level == 0, "neighbour: level %u", level);
    KT_ASSERT_EQ(peek(VS, BASE + 76 * PAGE_SIZE), BASE + 76 * PAGE_SIZE);
    KT_ASSERT_EQ(peek(VS, BASE + 78 * PAGE_SIZE), BASE + 78 * PAGE_SIZE);
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + 77 * PAGE_SIZE, VM_READ), VM_FAULT_UNMAPPED);
    /* refaulting the rest of the window does not promote it again */
    KT_ASSERT_EQ(touch(BASE, 77 * PAGE_SIZE), WF_ERR_OK);
    KT_ASSERT(mapped(BASE, &level) && level == 0, "re-promoted with a hole");
    /* protect of one page of the second window demotes it too */
    KT_ASSERT_EQ(vspace_protect(vs(VS), BASE + MIB(3), PAGE_SIZE, VM_READ), WF_ERR_OK);
    KT_ASSERT_EQ(vm_stats.demotions, demos + 2);
    KT_ASSERT(mapped(BASE + MIB(3) + PAGE_SIZE, &level) && level == 0, "second window still big");
    uint64_t x = 5;
    KT_ASSERT_EQ(vspace_write(vs(VS), BASE + MIB(3), &x, 8), WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(vspace_write(vs(VS), BASE + MIB(3) + PAGE_SIZE, &x, 8), WF_ERR_OK);
}

VM_TEST(resize_frees_and_zeroes_the_tail)
{
    KT_ASSERT_EQ(map_new(VMO_A, MIB(1), VM_READ | VM_WRITE), WF_ERR_OK);
    KT_ASSERT_EQ(touch(BASE, MIB(1)), WF_ERR_OK);
    uint64_t usage = pool(POOL)->usage;
    KT_ASSERT_EQ(vmo_resize(vmo(VMO_A), 3 * PAGE_SIZE), WF_ERR_OK);
    KT_ASSERT(pool(POOL)->usage < usage, "shrinking freed nothing");
    KT_ASSERT(!mapped(BASE + 3 * PAGE_SIZE, NULL), "page past the end still mapped");
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + 3 * PAGE_SIZE, VM_READ), VM_FAULT_UNMAPPED);
    KT_ASSERT_EQ(peek(VS, BASE + 2 * PAGE_SIZE), BASE + 2 * PAGE_SIZE);
    KT_ASSERT_EQ(vmo_resize(vmo(VMO_A), MIB(1)), WF_ERR_OK);
    KT_ASSERT_EQ(peek(VS, BASE + 3 * PAGE_SIZE), 0);
    KT_ASSERT_EQ(peek(VS, BASE + MIB(1) - PAGE_SIZE), 0);
    KT_ASSERT_EQ(peek(VS, BASE + 2 * PAGE_SIZE), BASE + 2 * PAGE_SIZE);
    /* growing past one tree level keeps the contents */
    KT_ASSERT_EQ(vmo_resize(vmo(VMO_A), MIB(64)), WF_ERR_OK);
    KT_ASSERT_EQ(peek(VS, BASE + 2 * PAGE_SIZE), BASE + 2 * PAGE_SIZE);
    uint64_t x;
    KT_ASSERT_EQ(vmo_write(vmo(VMO_A), MIB(40), "z", 1), WF_ERR_OK);
    KT_ASSERT_EQ(vmo_read(vmo(VMO_A), 2 * PAGE_SIZE, &x, 8), WF_ERR_OK);
    KT_ASSERT_EQ(x, BASE + 2 * PAGE_SIZE);
    KT_ASSERT_EQ(vmo_read(vmo(VMO_A), MIB(64) - 4, &x, 8), WF_ERR_RANGE_ERROR);
}

VM_TEST(reservations_break_under_pressure)
{
    /* A child pool's VMO touches one cluster in each window, holding
     * reservations; another VMO then needs the memory they keep. */
    struct pmm *pm = pool(POOL)->pm;
    uint64_t nwin = pm->free_bytes / MIB(2);
    KT_ASSERT_EQ(pool_create_vmo(&S[POOL], nwin * MIB(2), &S[VMO_A]), WF_ERR_OK);
    uint64_t made = pm->resv_made;
    for (uint64_t w = 0; w < nwin; w++)
        KT_ASSERT_EQ(vmo_write(vmo(VMO_A), w * MIB(2), "r", 1), WF_ERR_OK);
    KT_ASSERT(pm->resv_made > made, "no reservation was made");
    uint64_t broken = pm->resv_reclaimed;
    KT_ASSERT_EQ(pool_create_vmo(&S[POOL], MIB(8), &S[VMO_B]), WF_ERR_OK);
    static uint8_t page[PAGE_SIZE];
    for (uint64_t off = 0; off < MIB(8); off += PAGE_SIZE)
        KT_ASSERT_EQ(vmo_write(vmo(VMO_B), off, page, 8), WF_ERR_OK);
    KT_ASSERT(pm->resv_reclaimed > broken, "nothing was reclaimed");
    char c;
    KT_ASSERT_EQ(vmo_read(vmo(VMO_A), 0, &c, 1), WF_ERR_OK);
    KT_ASSERT_EQ(c, 'r');
}

/* Device memory: a VMO over a device untyped (the VGA text buffer at 0xb8000,
 * which no boot map lists as RAM) maps uncached, at exactly its address, and is
 * never copied by the kernel; RAM, RAM untyped and sub-page untyped are refused. */
VM_TEST(device_vmo_maps_uncached)
{
    enum { DEV = NSLOTS - 1, BAD = NSLOTS - 2 };
    const paddr_t vga = 0xb8000;
    cdt_insert_root(&S[DEV], cap_untyped_new(vga, PAGE_SHIFT, true, 0));
    KT_ASSERT_EQ(vmo_create_device(&S[POOL], S[DEV].cap, &S[VMO_A]), WF_ERR_OK);
    KT_ASSERT(vmo(VMO_A)->device && vmo(VMO_A)->phys == vga && vmo(VMO_A)->size == PAGE_SIZE);
    KT_ASSERT_EQ(pool_create_vspace(&S[POOL], &S[VS]), WF_ERR_OK);
    KT_ASSERT_EQ(vspace_map(vs(VS), vmo(VMO_A), 0, BASE, PAGE_SIZE, VM_READ | VM_WRITE,
                            WF_RIGHT_READ | WF_RIGHT_WRITE),
                 WF_ERR_OK);
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + 8, VM_WRITE), VM_FAULT_RESOLVED);
    paddr_t pa;
    unsigned access, level;
    KT_ASSERT(vspace_translate(vs(VS), BASE + 8, &pa, &access, &level));
    KT_ASSERT_EQ(pa, vga + 8);
    KT_ASSERT_EQ(level, 0);
    KT_ASSERT_EQ(access, VM_READ | VM_WRITE | VM_UNCACHED);
    uint64_t x = 0;
    KT_ASSERT_EQ(vspace_read(vs(VS), BASE, &x, sizeof(x)), WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(vspace_write(vs(VS), BASE, &x, sizeof(x)), WF_ERR_INVALID_ARGUMENT);
    /* An ordinary VMO's pages stay cached. */
    KT_ASSERT_EQ(pool_create_vmo(&S[POOL], PAGE_SIZE, &S[VMO_B]), WF_ERR_OK);
    KT_ASSERT_EQ(vspace_map(vs(VS), vmo(VMO_B), 0, BASE + MIB(2), PAGE_SIZE, VM_READ | VM_WRITE,
                            WF_RIGHT_READ | WF_RIGHT_WRITE),
                 WF_ERR_OK);
    KT_ASSERT_EQ(vm_fault(vs(VS), BASE + MIB(2), VM_WRITE), VM_FAULT_RESOLVED);
    KT_ASSERT(vspace_translate(vs(VS), BASE + MIB(2), &pa, &access, &level));
    KT_ASSERT_EQ(access, VM_READ | VM_WRITE);
    /* Refusals: RAM untyped, device untyped over RAM (the kernel image), less
     * than a page; nothing is made. */
    uint64_t usage = pool(POOL)->usage;
    KT_ASSERT_EQ(vmo_create_device(&S[POOL], cap_untyped_new(vga, PAGE_SHIFT, false, 0), &S[BAD]),
                 WF_ERR_ILLEGAL_OPERATION);
    paddr_t ram = ALIGN_DOWN(virt_to_phys(S), PAGE_SIZE);
    KT_ASSERT_EQ(vmo_create_device(&S[POOL], cap_untyped_new(ram, PAGE_SHIFT, true, 0), &S[BAD]),
                 WF_ERR_INVALID_ARGUMENT);
    KT_ASSERT_EQ(vmo_create_device(&S[POOL], cap_untyped_new(vga, 11, true, 0), &S[BAD]),
                 WF_ERR_RANGE_ERROR);
    KT_ASSERT(slot_is_empty(&S[BAD]));
    KT_ASSERT_EQ(pool(POOL)->usage, usage);
    cdt_remove(&S[DEV]);
}
