/*
 * Host tests of the VM: the kernel's pool, VMO and VSpace code (and the x86-64
 * page-table code, over the world's buffer) driven through the generated stubs
 * and through the in-kernel API, checked against simple per-page models:
 *  - random Map / Unmap / Protect against an array of (mapped, rights) per page,
 *    each page's Lookup, fault outcome and contents compared after every step;
 *  - random writes, clones and deletions of VMOs against an array of contents per
 *    VMO (copy-on-write must look like copies);
 *  - every invocation error the decoders give, and revocation returning usage to
 *    zero;
 *  - every RANGE_ERROR's details (docs/api.md: the argument, the smallest and the
 *    largest value allowed), fixed cases and, for VSpace_Map / Unmap and VMO_Read,
 *    random arguments: the value given lies outside the bounds and the bounds
 *    themselves pass that check.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "cap/delete.h"
#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/tcb.h"
#include "obj/vspace.h"
#include "cap/decode_gen.h"
#include "cap/preempt.h"
#include "test_cap_world.h"

#define POOL   10
#define VS     11
#define VMO    12
#define CLONE0 20
#define NCLONE 8
#define DEEP   64
#define BASE   0x10000000ull

static struct slot *slot(unsigned i)
{
    return &W.root[i];
}

static void world(void)
{
    world_init(24, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_POOL, 23, POOL, 1);
}

static uint64_t usage(unsigned pool)
{
    wf_word_t u = ~0ull, l, o, f;
    cr_assert_eq(wf_pool_info(pool, &u, &l, &o, &f), WF_ERR_OK);
    return u;
}

Test(vm, pool_retype_create_errors_and_revoke)
{
    world();
    wf_word_t u, limit, objects, free;
    cr_assert_eq(wf_pool_info(POOL, &u, &limit, &objects, &free), WF_ERR_OK);
    cr_assert_eq(u, 0);
    cr_assert_eq(limit, (1ull << 23) - CLUSTER_SIZE);
    cr_assert_eq(objects, 0);
    cr_assert_eq(free, limit);
    /* bad creations */
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_UNTYPED, 12, WORLD_ROOT_CNODE, VMO, DEEP),
                 WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_TCB, 1, WORLD_ROOT_CNODE, VMO, DEEP),
                 WF_ERR_RANGE_ERROR);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_CNODE, 0, WORLD_ROOT_CNODE, VMO, DEEP),
                 WF_ERR_RANGE_ERROR);
    cr_assert_eq(
        wf_pool_create(POOL, WF_OBJ_CNODE, WF_CNODE_RADIX_MAX + 1, WORLD_ROOT_CNODE, VMO, DEEP),
        WF_ERR_RANGE_ERROR);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, 100, WORLD_ROOT_CNODE, VMO, DEEP),
                 WF_ERR_ALIGNMENT_ERROR);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, 0, WORLD_ROOT_CNODE, VMO, DEEP),
                 WF_ERR_RANGE_ERROR);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, POOL, DEEP),
                 WF_ERR_DELETE_FIRST);
    /* Retype makes pools, never VMOs or VSpaces; a pool needs 2^17 bytes */
    cr_assert_eq(wf_untyped_retype(WORLD_ROOT_UT, WF_OBJ_VMO, 0, WORLD_ROOT_CNODE, 0, 0, 30, 1),
                 WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_untyped_retype(WORLD_ROOT_UT, WF_OBJ_POOL, 16, WORLD_ROOT_CNODE, 0, 0, 30, 1),
                 WF_ERR_RANGE_ERROR);
    /* a copy of the pool cap reports but does not create */
    cr_assert_eq(
        wf_cnode_copy(WORLD_ROOT_CNODE, 30, DEEP, WORLD_ROOT_CNODE, POOL, DEEP, WF_RIGHTS_ALL),
        WF_ERR_OK);
    cr_assert_eq(wf_pool_create(30, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS, DEEP),
                 WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(usage(30), 0);
    /* objects, a child pool, a clone; then revoke */
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, 1 << 20, WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 1 << 20, WORLD_ROOT_CNODE, 13, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(13, WF_OBJ_VMO, 1 << 22, WORLD_ROOT_CNODE, 14, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_vmo_clone(VMO, 13, WORLD_ROOT_CNODE, CLONE0, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_vspace_map(VS, VMO, BASE, 0, 1 << 20, WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    cr_assert_eq(wf_vspace_map(VS, 14, BASE + (1 << 20), 0, 1 << 22, WF_VM_READ), WF_ERR_OK);
    struct vspace *vs = vspace_from_cap(slot(VS)->cap);
    for (uint64_t off = 0; off < (1 << 20); off += PAGE_SIZE)
        cr_assert_eq(vm_fault(vs, BASE + off, VM_WRITE), VM_FAULT_RESOLVED);
    /* the child's quota holds: 1 MiB of its 4 MiB VMO at most */
    unsigned got = 0;
    for (uint64_t off = 0; off < (1 << 22); off += PAGE_SIZE)
        got += vm_fault(vs, BASE + (1 << 20) + off, VM_READ) == VM_FAULT_RESOLVED;
    cr_assert(got > 0 && got * PAGE_SIZE <= (1 << 20), "%u pages in a 1 MiB pool", got);
    cr_assert_leq(usage(13), 1 << 20);
    cr_assert_geq(usage(POOL), (1 << 20) + usage(13));
    wf_word_t sz, kind, pa, committed;
    cr_assert_eq(wf_vmo_describe(CLONE0, &sz, &kind, &pa, &committed), WF_ERR_OK);
    cr_assert(sz == 1 << 20 && kind == VMO_CLONE && pa == 0 && committed == 0);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(POOL), 0);
    cr_assert_eq(pool_from_cap(slot(POOL)->cap)->objects, 0);
    for (unsigned i = VS; i <= 30; i++)
        cr_assert(slot_is_empty(slot(i)), "slot %u survived", i);
    /* revoking the untyped destroys the pool itself */
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, WORLD_ROOT_UT, DEEP), WF_ERR_OK);
    cr_assert(slot_is_empty(slot(POOL)));
    world_fini();
}

Test(vm, contig_vmo_and_present_query)
{
    world();
    cr_assert_eq(wf_pool_create_contig(POOL, 3 * PAGE_SIZE, WORLD_ROOT_CNODE, VMO, DEEP),
                 WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_pool_create_contig(POOL, 1 << 18, WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    wf_word_t sz, kind, pa, committed, start, len;
    cr_assert_eq(wf_vmo_describe(VMO, &sz, &kind, &pa, &committed), WF_ERR_OK);
    cr_assert(kind == VMO_PHYS && sz == 1 << 18 && committed == 1 << 18);
    cr_assert(pa && (pa & ((1 << 18) - 1)) == 0, "paddr %llx", (unsigned long long)pa);
    cr_assert_eq(usage(POOL) >= (1 << 18), true);
    cr_assert_eq(wf_vmo_resize(VMO, 1 << 19), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, 64 << 20, WORLD_ROOT_CNODE, 13, DEEP), WF_ERR_OK);
    struct vmo *v = vmo_from_cap(slot(13)->cap);
    cr_assert_eq(wf_vmo_present(13, 0, &start, &len), WF_ERR_OK);
    cr_assert(start == 64 << 20 && len == 0);
    cr_assert_eq(vmo_write(v, (5 << 20) + 8, "ab", 2), WF_ERR_OK);
    cr_assert_eq(wf_vmo_present(13, 0, &start, &len), WF_ERR_OK);
    cr_assert_eq(start, (5 << 20));
    cr_assert_eq(len, CLUSTER_SIZE);
    cr_assert_eq(wf_vmo_present(13, (5 << 20) + CLUSTER_SIZE, &start, &len), WF_ERR_OK);
    cr_assert(start == 64 << 20 && len == 0);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(POOL), 0);
    world_fini();
}

/* Kernel objects from a pool: charged to it, children of its cap, their memory
 * back in the pool when the last cap goes (or the pool is revoked); CNodes and
 * TCBs through their zombies, also when they hold caps to themselves. */
#define KP    40 /* child pool */
#define KEP   41
#define KNTFN 42
#define KRPL  43
#define KCN   44
#define KTCB  45
#define KCOPY 46

static uint64_t objects(unsigned pool)
{
    wf_word_t u, l, o = ~0ull, f;
    cr_assert_eq(wf_pool_info(pool, &u, &l, &o, &f), WF_ERR_OK);
    return o;
}

static void make_kobjs(bool self)
{
    cr_assert_eq(wf_pool_create(KP, WF_OBJ_ENDPOINT, 0, WORLD_ROOT_CNODE, KEP, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(KP, WF_OBJ_NOTIFICATION, 0, WORLD_ROOT_CNODE, KNTFN, DEEP),
                 WF_ERR_OK);
    cr_assert_eq(wf_pool_create(KP, WF_OBJ_REPLY, 0, WORLD_ROOT_CNODE, KRPL, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(KP, WF_OBJ_CNODE, 4, WORLD_ROOT_CNODE, KCN, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(KP, WF_OBJ_TCB, 0, WORLD_ROOT_CNODE, KTCB, DEEP), WF_ERR_OK);
    cr_assert_eq(objects(KP), 5);
    /* caps inside the CNode: the TCB, the endpoint, maybe itself (minted with a
     * guard; then only a revoke can destroy it) */
    if (self)
        cr_assert_eq(
            wf_cnode_mint(KCN, 0, 4, WORLD_ROOT_CNODE, KCN, DEEP, WF_RIGHTS_ALL, WF_GUARD(0, 60)),
            WF_ERR_OK);
    cr_assert_eq(wf_cnode_copy(KCN, 1, 4, WORLD_ROOT_CNODE, KTCB, DEEP, WF_RIGHTS_ALL), WF_ERR_OK);
    cr_assert_eq(wf_cnode_mint(KCN, 2, 4, WORLD_ROOT_CNODE, KEP, DEEP, WF_RIGHTS_ALL, 7),
                 WF_ERR_OK);
    if (self)
        cr_assert(cap_pooled(cap_cnode_slots(slot(KCN)->cap)[0].cap), "Mint keeps CAP_POOLED");
}

Test(vm, kernel_objects_from_a_pool)
{
    world();
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 1 << 20, WORLD_ROOT_CNODE, KP, DEEP), WF_ERR_OK);
    uint64_t base = usage(POOL);
    make_kobjs(false);
    cr_assert_gt(usage(KP), 0);
    cr_assert_eq(usage(POOL), base + usage(KP));
    /* a Retype'd endpoint is not in the pool's region and stays untouched */
    world_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 50, 1);
    cr_assert(!cap_pooled(slot(50)->cap));
    /* the last cap of the endpoint goes: its memory returns; the copy kept it alive */
    uint64_t u = usage(KP);
    cr_assert_eq(
        wf_cnode_copy(WORLD_ROOT_CNODE, KCOPY, DEEP, WORLD_ROOT_CNODE, KNTFN, DEEP, WF_RIGHTS_ALL),
        WF_ERR_OK);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, KNTFN, DEEP), WF_ERR_OK);
    cr_assert_eq(objects(KP), 5);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, KCOPY, DEEP), WF_ERR_OK);
    cr_assert_eq(objects(KP), 4);
    cr_assert_leq(usage(KP), u);
    /* deleting the CNode (holding the TCB and a badged endpoint) and then
     * the TCB destroys both through their zombies */
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, KCN, DEEP), WF_ERR_OK);
    cr_assert_eq(objects(KP), 3);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, KTCB, DEEP), WF_ERR_OK);
    cr_assert_eq(objects(KP), 2);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, KEP, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, KRPL, DEEP), WF_ERR_OK);
    cr_assert_eq(objects(KP), 0);
    cr_assert_eq(usage(KP), 0);
    cr_assert_eq(usage(POOL), base);
    /* again, and this time revoke the child pool's cap: everything goes */
    make_kobjs(true);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, KP, DEEP), WF_ERR_OK);
    for (unsigned i = KEP; i <= KCOPY; i++)
        cr_assert(slot_is_empty(slot(i)), "slot %u survived", i);
    cr_assert_eq(usage(KP), 0);
    cr_assert_eq(objects(KP), 0);
    cr_assert_eq(usage(POOL), base);
    cr_assert(!slot_is_empty(slot(50)), "the Retype'd endpoint survived");
    /* and the pool itself */
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(POOL), 0);
    cr_assert(slot_is_empty(slot(KP)));
    world_fini();
}

/* A thread deleting the last cap to its own pool-made TCB: the memory stays
 * until another thread's pool invocation (the invoker still uses its TCB). */
Test(vm, own_tcb_freed_after_the_invocation)
{
    world();
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 1 << 20, WORLD_ROOT_CNODE, KP, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(KP, WF_OBJ_TCB, 0, WORLD_ROOT_CNODE, KTCB, DEEP), WF_ERR_OK);
    struct tcb *t = cap_object(slot(KTCB)->cap);
    struct pool *kp = pool_from_cap(slot(KP)->cap);
    preempt_begin(UINT32_MAX);
    cr_assert_eq(cap_delete(slot(KTCB), &t->reaper), WF_ERR_OK); /* as t's own invocation */
    cr_assert(slot_is_empty(slot(KTCB)));
    cr_assert_eq(kp->objects, 1, "freed under its own invocation");
    cr_assert_eq(objects(KP), 0); /* another invocation frees it */
    cr_assert_eq(usage(KP), 0);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    world_fini();
}

Test(vm, kernel_objects_exhaust_a_pool)
{
    world();
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 4 * CLUSTER_SIZE, WORLD_ROOT_CNODE, KP, DEEP),
                 WF_ERR_OK);
    unsigned n = 0;
    enum wf_error e;
    while ((e = wf_pool_create(KP, WF_OBJ_TCB, 0, WORLD_ROOT_CNODE, 60 + n, DEEP)) == WF_ERR_OK)
        n++;
    cr_assert_eq(e, WF_ERR_NOT_ENOUGH_MEMORY);
    /* 4 KiB each (the TCB and its header) */
    cr_assert(n >= 1 && n * PAGE_SIZE <= 4 * CLUSTER_SIZE, "%u TCBs", n);
    cr_assert_leq(usage(KP), 4 * CLUSTER_SIZE);
    cr_assert_eq(objects(KP), n);
    for (unsigned i = 0; i < n; i++)
        cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, 60 + i, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(KP), 0);
    cr_assert_eq(wf_pool_create(KP, WF_OBJ_ENDPOINT, 0, WORLD_ROOT_CNODE, 60, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(POOL), 0);
    world_fini();
}

/* Pool_CreateDevice: a physical VMO over a device untyped, mapped uncached, that
 * the kernel never copies; the decoder's refusals. */
Test(vm, device_vmo_invocation)
{
    world();
    cdt_insert_root(slot(50), cap_untyped_new(0xb8000, 15, true, 0));
    cr_assert_eq(wf_pool_create_device(POOL, WORLD_ROOT_UT, WORLD_ROOT_CNODE, VMO, DEEP),
                 WF_ERR_ILLEGAL_OPERATION); /* RAM untyped */
    cr_assert_eq(wf_pool_create_device(POOL, 50, WORLD_ROOT_CNODE, POOL, DEEP),
                 WF_ERR_DELETE_FIRST);
    cr_assert_eq(wf_pool_create_device(POOL, WORLD_ROOT_CNODE, WORLD_ROOT_CNODE, VMO, DEEP),
                 WF_ERR_INVALID_CAPABILITY);
    cr_assert_eq(wf_pool_create_device(POOL, 50, WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    wf_word_t sz, kind, pa, committed;
    cr_assert_eq(wf_vmo_describe(VMO, &sz, &kind, &pa, &committed), WF_ERR_OK);
    cr_assert(sz == 1 << 15 && kind == VMO_PHYS && pa == 0xb8000 && committed == 0);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_vspace_map(VS, VMO, BASE, 0, 1 << 15, WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    struct vspace *vs = vspace_from_cap(slot(VS)->cap);
    cr_assert_eq(vm_fault(vs, BASE + 3 * PAGE_SIZE, VM_READ), VM_FAULT_RESOLVED);
    paddr_t tpa;
    unsigned access, level;
    cr_assert(vspace_translate(vs, BASE + 3 * PAGE_SIZE, &tpa, &access, &level));
    cr_assert_eq(tpa, 0xb8000 + 3 * PAGE_SIZE);
    cr_assert(access & VM_UNCACHED);
    cr_assert_eq(wf_vmo_read(VMO, 0, 8, VS, BASE + 8 * PAGE_SIZE), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_vmo_resize(VMO, 1 << 16), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wf_vmo_clone(VMO, POOL, WORLD_ROOT_CNODE, CLONE0, DEEP), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(POOL), 0);
    cr_assert(slot_is_empty(slot(VMO)));
    cr_assert(!slot_is_empty(slot(50)), "the device untyped stays");
    world_fini();
}

/* --- regions against a page model ----------------------------------------- */

#define NPAGES 64

static const unsigned rights_set[] = {0, WF_VM_READ, WF_VM_READ | WF_VM_WRITE,
                                      WF_VM_READ | WF_VM_EXEC,
                                      WF_VM_READ | WF_VM_WRITE | WF_VM_EXEC};

struct page_model {
    bool mapped;
    unsigned rights;
    uint64_t value; /* VMO contents at this page's offset (offset = page index) */
};

static void check_pages(struct vspace *vs, const struct page_model *m, unsigned step)
{
    for (unsigned p = 0; p < NPAGES; p++) {
        vaddr_t va = BASE + p * PAGE_SIZE;
        wf_word_t start, len, off, rights;
        enum wf_error e = wf_vspace_lookup(VS, va, &start, &len, &off, &rights);
        if (!m[p].mapped) {
            cr_assert_eq(e, WF_ERR_INVALID_ARGUMENT, "step %u page %u: mapped", step, p);
            cr_assert_eq(vm_fault(vs, va, VM_READ), VM_FAULT_UNMAPPED);
            paddr_t pa;
            unsigned a, l;
            cr_assert(!vspace_translate(vs, va, &pa, &a, &l), "step %u page %u: translated", step,
                      p);
            continue;
        }
        cr_assert_eq(e, WF_ERR_OK, "step %u page %u: not mapped", step, p);
        cr_assert_eq(rights, m[p].rights, "step %u page %u: rights", step, p);
        cr_assert_eq(off + (va - start), p * PAGE_SIZE, "step %u page %u: offset", step, p);
        for (uint64_t a = start; a < start + len; a += PAGE_SIZE) {
            unsigned q = (unsigned)((a - BASE) / PAGE_SIZE);
            cr_assert(m[q].mapped && m[q].rights == rights, "step %u: region over page %u", step,
                      q);
        }
        enum vm_fault_result want = !(m[p].rights & VM_WRITE) ? VM_FAULT_RIGHTS : VM_FAULT_RESOLVED;
        cr_assert_eq(vm_fault(vs, va, VM_WRITE), want, "step %u page %u: write fault", step, p);
        if (m[p].rights & VM_READ) {
            uint64_t x = 0;
            cr_assert_eq(vspace_read(vs, va, &x, 8), WF_ERR_OK);
            cr_assert_eq(x, m[p].value, "step %u page %u: contents", step, p);
        }
    }
}

Test(vm, regions_against_a_page_model)
{
    world();
    srand(5);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, NPAGES * PAGE_SIZE, WORLD_ROOT_CNODE, VMO, DEEP),
                 WF_ERR_OK);
    struct vspace *vs = vspace_from_cap(slot(VS)->cap);
    static struct page_model m[NPAGES];
    memset(m, 0, sizeof(m));
    for (unsigned step = 0; step < 400; step++) {
        unsigned a = (unsigned)rand() % NPAGES, n = 1 + (unsigned)rand() % (NPAGES - a);
        unsigned r = rights_set[rand() % 5];
        vaddr_t va = BASE + a * PAGE_SIZE;
        switch (rand() % 4) {
        case 0: {
            bool free = true;
            for (unsigned p = a; p < a + n; p++)
                free &= !m[p].mapped;
            enum wf_error e = wf_vspace_map(VS, VMO, va, a * PAGE_SIZE, n * PAGE_SIZE, r);
            cr_assert_eq(e, free ? WF_ERR_OK : WF_ERR_ILLEGAL_OPERATION, "step %u: map", step);
            for (unsigned p = a; free && p < a + n; p++)
                m[p] = (struct page_model){true, r, m[p].value};
            break;
        }
        case 1:
            cr_assert_eq(wf_vspace_unmap(VS, va, n * PAGE_SIZE), WF_ERR_OK);
            for (unsigned p = a; p < a + n; p++)
                m[p].mapped = false;
            break;
        case 2:
            cr_assert_eq(wf_vspace_protect(VS, va, n * PAGE_SIZE, r), WF_ERR_OK);
            for (unsigned p = a; p < a + n; p++)
                if (m[p].mapped)
                    m[p].rights = r;
            break;
        default:
            if (m[a].mapped && (m[a].rights & VM_WRITE)) {
                uint64_t v = ((uint64_t)step << 32) | a;
                cr_assert_eq(vspace_write(vs, va, &v, 8), WF_ERR_OK);
                m[a].value = v;
            } else {
                uint64_t v = 1;
                cr_assert_eq(vspace_write(vs, va, &v, 8), WF_ERR_INVALID_ARGUMENT);
            }
        }
        check_pages(vs, m, step);
    }
    /* argument errors */
    cr_assert_eq(wf_vspace_map(VS, VMO, BASE + 1, 0, PAGE_SIZE, WF_VM_READ),
                 WF_ERR_ALIGNMENT_ERROR);
    cr_assert_eq(wf_vspace_unmap(VS, BASE, 0), WF_ERR_RANGE_ERROR);
    cr_assert_eq(wf_vspace_protect(VS, BASE, PAGE_SIZE, 64), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_vspace_map(VS, VMO, USER_TOP, 0, PAGE_SIZE, WF_VM_READ), WF_ERR_RANGE_ERROR);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(POOL), 0);
    world_fini();
}

/* --- clones against a contents model ------------------------------------------ */

#define CPAGES 96

Test(vm, clones_against_a_contents_model)
{
    world();
    srand(9);
    static uint64_t model[NCLONE][CPAGES];
    bool live[NCLONE] = {true};
    memset(model, 0, sizeof(model));
    struct slot *pool = slot(POOL);
    preempt_begin(UINT32_MAX); /* the in-kernel API below, never restarted */
    cr_assert_eq(pool_create_vmo(pool, CPAGES * PAGE_SIZE, slot(CLONE0)), WF_ERR_OK);
    for (unsigned step = 0; step < 600; step++) {
        unsigned k = (unsigned)rand() % NCLONE;
        if (!live[k])
            continue;
        struct vmo *v = vmo_from_cap(slot(CLONE0 + k)->cap);
        int op = rand() % 10;
        if (op < 6) {
            unsigned p = (unsigned)rand() % CPAGES;
            uint64_t val = ((uint64_t)step << 16) | (k << 8) | 1;
            cr_assert_eq(vmo_write(v, p * PAGE_SIZE + 16, &val, 8), WF_ERR_OK);
            model[k][p] = val;
        } else if (op < 8) {
            unsigned j = 0;
            while (j < NCLONE && live[j])
                j++;
            if (j == NCLONE)
                continue;
            cr_assert_eq(vmo_clone(v, pool, slot(CLONE0 + j)), WF_ERR_OK);
            memcpy(model[j], model[k], sizeof(model[k]));
            live[j] = true;
        } else {
            cr_assert_eq(cap_delete(slot(CLONE0 + k), &W.reaper), WF_ERR_OK);
            live[k] = false;
            memset(model[k], 0, sizeof(model[k]));
        }
        for (unsigned i = 0; i < NCLONE; i++) {
            if (!live[i])
                continue;
            struct vmo *w = vmo_from_cap(slot(CLONE0 + i)->cap);
            for (unsigned p = 0; p < CPAGES; p++) {
                uint64_t x = ~0ull;
                cr_assert_eq(vmo_read(w, p * PAGE_SIZE + 16, &x, 8), WF_ERR_OK);
                cr_assert_eq(x, model[i][p], "step %u: VMO %u page %u", step, i, p);
            }
        }
    }
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(POOL), 0);
    cr_assert_eq(pool_from_cap(pool->cap)->objects, 0);
    world_fini();
}

/* --- RANGE_ERROR details ------------------------------------------------------- */

/* Invokes cap as the stubs do, keeping the reply words (error details) in d. */
static enum wf_error call(wf_cptr_t cap, wf_word_t label, const wf_word_t *w, unsigned nw,
                          wf_cptr_t xcap, wf_word_t *d)
{
    memset(d, 0xee, WF_REPLY_MAX_WORDS * sizeof(*d));
    return (enum wf_error)wf_call(cap, label, w, nw, &xcap, xcap ? 1 : 0, d, WF_REPLY_MAX_WORDS);
}

#define ASSERT_RANGE(e, d, arg, lo, hi)                                                            \
    do {                                                                                           \
        cr_assert_eq((e), WF_ERR_RANGE_ERROR, "got %s", wf_error_name(e));                         \
        cr_assert_eq((d)[0], (wf_word_t)(arg), "argument %llu", (unsigned long long)(d)[0]);       \
        cr_assert_eq((d)[1], (wf_word_t)(lo), "smallest %#llx", (unsigned long long)(d)[1]);       \
        cr_assert_eq((d)[2], (wf_word_t)(hi), "largest %#llx", (unsigned long long)(d)[2]);        \
    } while (0)

static enum wf_error pool_create(wf_cptr_t pool, wf_word_t type, wf_word_t size, unsigned dest,
                                 wf_word_t *d)
{
    const wf_word_t w[4] = {type, size, dest, DEEP};
    return call(pool, WF_LABEL_POOL_CREATE, w, 4, WORLD_ROOT_CNODE, d);
}

Test(vm, pool_range_errors_carry_their_bounds)
{
    world();
    wf_word_t d[WF_REPLY_MAX_WORDS];
    ASSERT_RANGE(pool_create(POOL, WF_OBJ_TCB, 1, VMO, d), d, ARG_POOL_CREATE_SIZE, 0, 0);
    ASSERT_RANGE(pool_create(POOL, WF_OBJ_VSPACE, 5, VMO, d), d, ARG_POOL_CREATE_SIZE, 0, 0);
    ASSERT_RANGE(pool_create(POOL, WF_OBJ_CNODE, 0, VMO, d), d, ARG_POOL_CREATE_SIZE,
                 WF_CNODE_RADIX_MIN, WF_CNODE_RADIX_MAX);
    ASSERT_RANGE(pool_create(POOL, WF_OBJ_CNODE, WF_CNODE_RADIX_MAX + 1, VMO, d), d,
                 ARG_POOL_CREATE_SIZE, WF_CNODE_RADIX_MIN, WF_CNODE_RADIX_MAX);
    ASSERT_RANGE(pool_create(POOL, WF_OBJ_VMO, 0, VMO, d), d, ARG_POOL_CREATE_SIZE, PAGE_SIZE,
                 1ull << WF_VMO_MAX_BITS);
    ASSERT_RANGE(pool_create(POOL, WF_OBJ_VMO, (1ull << WF_VMO_MAX_BITS) + PAGE_SIZE, VMO, d), d,
                 ARG_POOL_CREATE_SIZE, PAGE_SIZE, 1ull << WF_VMO_MAX_BITS);
    /* the bounds pass: the largest VMO exists (demand-zero costs nothing yet) */
    cr_assert_eq(pool_create(POOL, WF_OBJ_VMO, 1ull << WF_VMO_MAX_BITS, VMO, d), WF_ERR_OK);
    cr_assert_eq(pool_create(POOL, WF_OBJ_CNODE, WF_CNODE_RADIX_MIN, VS, d), WF_ERR_OK);
    /* child pools nest POOL_MAX_DEPTH deep; the deepest's Create of a pool names
     * the invoked pool (its depth) with the depths that may */
    unsigned p = POOL;
    for (unsigned depth = 1; depth < POOL_MAX_DEPTH; depth++) {
        cr_assert_eq(pool_create(p, WF_OBJ_POOL, 1 << 20, 30 + depth, d), WF_ERR_OK);
        p = 30 + depth;
    }
    ASSERT_RANGE(pool_create(p, WF_OBJ_POOL, 1 << 20, 40, d), d, WF_CAP_INVOKED, 0,
                 POOL_MAX_DEPTH - 2);
    cr_assert(slot_is_empty(slot(40)));
    cr_assert_eq(pool_create(p, WF_OBJ_ENDPOINT, 0, 40, d), WF_ERR_OK); /* other objects: yes */
    /* CreateContig: a power of two from a page to the largest extent the pool
     * could ever give (its 8 MiB less a cluster holds 4 MiB in one piece) */
    const wf_word_t big = pmm_order_bytes(PMM_ORDERS - 1), most = MIN(big, 4ull << 20);
    const wf_word_t cw[2][3] = {{PAGE_SIZE / 2, 41, DEEP}, {2 * big, 41, DEEP}};
    for (unsigned i = 0; i < 2; i++)
        ASSERT_RANGE(call(POOL, WF_LABEL_POOL_CREATE_CONTIG, cw[i], 3, WORLD_ROOT_CNODE, d), d,
                     ARG_POOL_CREATE_CONTIG_SIZE, PAGE_SIZE, most);
    /* in range but not a power of two: the value is wrong, not out of bounds */
    const wf_word_t odd[3] = {3 * PAGE_SIZE, 41, DEEP};
    cr_assert_eq(call(POOL, WF_LABEL_POOL_CREATE_CONTIG, odd, 3, WORLD_ROOT_CNODE, d),
                 WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(d[0], ARG_POOL_CREATE_CONTIG_SIZE);
    /* CreateDevice: the untyped (cap argument 0) is below a page */
    cdt_insert_root(slot(50), cap_untyped_new(0xb8000, 11, true, 0));
    const wf_word_t dw[2] = {41, DEEP};
    const wf_cptr_t dc[2] = {50, WORLD_ROOT_CNODE};
    memset(d, 0xee, sizeof(d));
    enum wf_error e = (enum wf_error)wf_call(POOL, WF_LABEL_POOL_CREATE_DEVICE, dw, 2, dc, 2, d, 4);
    ASSERT_RANGE(e, d, XCAP_POOL_CREATE_DEVICE_UNTYPED, PAGE_SIZE, 1ull << WF_UNTYPED_MAX_BITS);
    cr_assert(slot_is_empty(slot(41)));
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(POOL), 0);
    world_fini();
}

Test(vm, vmo_and_vspace_range_errors_carry_their_bounds)
{
    world();
    const wf_word_t size = 16 * PAGE_SIZE;
    wf_word_t d[WF_REPLY_MAX_WORDS];
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, size, WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS, DEEP), WF_ERR_OK);
    /* VMO_Read / Write: offset at most the size, then len at most what is left */
    wf_word_t w[4] = {size + PAGE_SIZE, 0, BASE};
    ASSERT_RANGE(call(VMO, WF_LABEL_VMO_READ, w, 3, VS, d), d, ARG_VMO_READ_OFFSET, 0, size);
    w[0] = 3 * PAGE_SIZE;
    w[1] = size;
    ASSERT_RANGE(call(VMO, WF_LABEL_VMO_WRITE, w, 3, VS, d), d, ARG_VMO_WRITE_LEN, 0,
                 size - 3 * PAGE_SIZE);
    /* VMO_Resize */
    w[0] = 0;
    ASSERT_RANGE(call(VMO, WF_LABEL_VMO_RESIZE, w, 1, 0, d), d, ARG_VMO_RESIZE_SIZE, PAGE_SIZE,
                 1ull << WF_VMO_MAX_BITS);
    /* VSpace_Map: the offset within the VMO, the address within the user half,
     * then the length within both the user half and the VMO from offset */
    const wf_word_t rw = WF_VM_READ | WF_VM_WRITE;
    wf_word_t m[4] = {USER_TOP, 0, PAGE_SIZE, rw};
    ASSERT_RANGE(call(VS, WF_LABEL_VSPACE_MAP, m, 4, VMO, d), d, ARG_VSPACE_MAP_VADDR, 0,
                 USER_TOP - PAGE_SIZE);
    m[0] = BASE;
    m[2] = 0;
    ASSERT_RANGE(call(VS, WF_LABEL_VSPACE_MAP, m, 4, VMO, d), d, ARG_VSPACE_MAP_LENGTH, PAGE_SIZE,
                 size);
    m[0] = USER_TOP - PAGE_SIZE;
    m[2] = 2 * PAGE_SIZE;
    ASSERT_RANGE(call(VS, WF_LABEL_VSPACE_MAP, m, 4, VMO, d), d, ARG_VSPACE_MAP_LENGTH, PAGE_SIZE,
                 PAGE_SIZE);
    m[0] = BASE;
    m[1] = size;
    m[2] = PAGE_SIZE;
    ASSERT_RANGE(call(VS, WF_LABEL_VSPACE_MAP, m, 4, VMO, d), d, ARG_VSPACE_MAP_OFFSET, 0,
                 size - PAGE_SIZE);
    m[1] = 5 * PAGE_SIZE;
    m[2] = size;
    ASSERT_RANGE(call(VS, WF_LABEL_VSPACE_MAP, m, 4, VMO, d), d, ARG_VSPACE_MAP_LENGTH, PAGE_SIZE,
                 size - 5 * PAGE_SIZE);
    m[2] = size - 5 * PAGE_SIZE; /* the largest passes */
    cr_assert_eq(call(VS, WF_LABEL_VSPACE_MAP, m, 4, VMO, d), WF_ERR_OK);
    /* VSpace_Unmap / Protect */
    wf_word_t u[3] = {BASE, 0, WF_VM_READ};
    ASSERT_RANGE(call(VS, WF_LABEL_VSPACE_UNMAP, u, 2, 0, d), d, ARG_VSPACE_UNMAP_LENGTH, PAGE_SIZE,
                 USER_TOP - BASE);
    u[0] = USER_TOP + PAGE_SIZE;
    u[1] = PAGE_SIZE;
    ASSERT_RANGE(call(VS, WF_LABEL_VSPACE_PROTECT, u, 3, 0, d), d, ARG_VSPACE_PROTECT_VADDR, 0,
                 USER_TOP - PAGE_SIZE);
    u[0] = USER_TOP - 4 * PAGE_SIZE;
    u[1] = 8 * PAGE_SIZE;
    ASSERT_RANGE(call(VS, WF_LABEL_VSPACE_PROTECT, u, 3, 0, d), d, ARG_VSPACE_PROTECT_LENGTH,
                 PAGE_SIZE, 4 * PAGE_SIZE);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    world_fini();
}

/* A page-aligned value near one of the interesting edges (0, a few pages, the
 * VMO's size, the top of the user half, far beyond). */
static wf_word_t edge_value(wf_word_t size)
{
    const wf_word_t edges[] = {0, BASE, size, USER_TOP, USER_TOP - BASE, 1ull << 63};
    wf_word_t v = edges[rand() % 6];
    wf_word_t delta = (wf_word_t)(rand() % 5) * PAGE_SIZE;
    return rand() % 2 ? v + delta : v - delta;
}

Test(vm, random_range_errors_bound_the_argument)
{
    world();
    const wf_word_t size = 32 * PAGE_SIZE;
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, size, WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS, DEEP), WF_ERR_OK);
    srand(74);
    unsigned ranged = 0;
    for (unsigned step = 0; step < 3000; step++) {
        unsigned op = (unsigned)rand() % 3;
        static const wf_word_t labels[3] = {WF_LABEL_VSPACE_MAP, WF_LABEL_VSPACE_UNMAP,
                                            WF_LABEL_VMO_READ};
        static const unsigned nw[3] = {WF_VSPACE_MAP_NWORDS, WF_VSPACE_UNMAP_NWORDS,
                                       WF_VMO_READ_NWORDS};
        wf_word_t w[4], d[WF_REPLY_MAX_WORDS];
        wf_cptr_t invoked = op == 2 ? VMO : VS, xcap = op == 1 ? 0 : op == 2 ? VS : VMO;
        if (op == 0) /* vaddr offset length rights */
            memcpy(w,
                   (wf_word_t[4]){edge_value(size), edge_value(size), edge_value(size), WF_VM_READ},
                   sizeof(w));
        else if (op == 1) /* vaddr length */
            memcpy(w, (wf_word_t[2]){edge_value(size), edge_value(size)}, 2 * sizeof(wf_word_t));
        else /* offset len vaddr */
            memcpy(w, (wf_word_t[3]){edge_value(size), edge_value(size), BASE},
                   3 * sizeof(wf_word_t));
        enum wf_error e = call(invoked, labels[op], w, nw[op], xcap, d);
        if (e == WF_ERR_OK && op == 0)
            cr_assert_eq(wf_vspace_unmap(VS, w[0], w[2]), WF_ERR_OK);
        if (e != WF_ERR_RANGE_ERROR)
            continue;
        ranged++;
        unsigned a = (unsigned)d[0];
        wf_word_t lo = d[1], hi = d[2];
        cr_assert(a < nw[op] && lo <= hi, "step %u: argument %u, [%#llx, %#llx]", step, a,
                  (unsigned long long)lo, (unsigned long long)hi);
        cr_assert(w[a] < lo || w[a] > hi, "step %u: %#llx is inside [%#llx, %#llx]", step,
                  (unsigned long long)w[a], (unsigned long long)lo, (unsigned long long)hi);
        /* Either bound instead passes the check of that argument. */
        const wf_word_t bounds[2] = {lo, hi};
        for (unsigned b = 0; b < 2; b++) {
            wf_word_t fixed[4];
            memcpy(fixed, w, sizeof(fixed));
            fixed[a] = bounds[b];
            wf_word_t d2[WF_REPLY_MAX_WORDS];
            enum wf_error e2 = call(invoked, labels[op], fixed, nw[op], xcap, d2);
            cr_assert(e2 != WF_ERR_RANGE_ERROR || d2[0] != a,
                      "step %u: argument %u still out of range at %#llx", step, a,
                      (unsigned long long)bounds[b]);
            if (e2 == WF_ERR_OK && op == 0)
                cr_assert_eq(wf_vspace_unmap(VS, fixed[0], fixed[2]), WF_ERR_OK);
        }
    }
    cr_assert(ranged > 500, "only %u range errors", ranged);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    world_fini();
}
