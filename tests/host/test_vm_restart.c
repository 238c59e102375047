/*
 * Host tests of the VM's bounded, restartable work (decision 088): with work
 * budgets down to one unit, VMO shrink, clone and destruction, VSpace destruction
 * (each also over one huge populated region: a unit per 2 MiB window, decision
 * 089) and the four copy invocations must be restarted (the world's wf_call re-executes
 * an invocation that returns WF_ERR_PREEMPTED, as the syscall path does) and give
 * the same results as with an unlimited budget; an operation whose invocation is
 * never re-executed must leave a VMO that the next operation settles, with nothing
 * leaked.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "arch.h"
#include "cap/decode_gen.h"
#include "cap/invoke.h"
#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/vspace.h"
#include "test_cap_world.h"

#define POOL  10
#define VS    11
#define VMO   12
#define CLONE 13
#define BUF   14
#define VS2   15
#define DEEP  64
#define BASE  0x10000000ull
#define BUFVA 0x80000000ull
#define BIG   (64ull << 20) /* a sparse VMO */
#define NPOP  9             /* populated spots, spread out */
#define NREG  40            /* regions mapping the big VMO */

static struct slot *slot(unsigned i)
{
    return &W.root[i];
}

static uint64_t usage(void)
{
    wf_word_t u = ~0ull, l, o, f;
    cr_assert_eq(wf_pool_info(POOL, &u, &l, &o, &f), WF_ERR_OK);
    return u;
}

static uint64_t spot(unsigned i)
{
    return (uint64_t)i * (BIG / NPOP) + (i % 3) * PAGE_SIZE + 64;
}

/* The world: a pool, a VSpace, a sparse VMO with NPOP values written through the
 * in-kernel API, mapped by NREG regions of 1 MiB (each faulted in at its start). */
static void world(void)
{
    world_init(26, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_POOL, 25, POOL, 1);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, BIG, WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    struct vmo *v = vmo_from_cap(slot(VMO)->cap);
    struct vspace *vs = vspace_from_cap(slot(VS)->cap);
    preempt_begin(UINT32_MAX);
    for (unsigned i = 0; i < NPOP; i++) {
        uint64_t x = 0x1000 + i;
        cr_assert_eq(vmo_write(v, spot(i), &x, 8), WF_ERR_OK);
    }
    for (unsigned r = 0; r < NREG; r++) {
        uint64_t off = (uint64_t)r * (BIG / NREG) & ~(uint64_t)(PAGE_SIZE - 1);
        cr_assert_eq(wf_vspace_map(VS, VMO, BASE + r * (2ull << 20), off, 1ull << 20,
                                   WF_VM_READ | WF_VM_WRITE),
                     WF_ERR_OK);
        cr_assert_eq(vm_fault(vs, BASE + r * (2ull << 20), VM_READ), VM_FAULT_RESOLVED);
    }
}

static uint64_t read_at(unsigned vmo_slot, uint64_t off)
{
    uint64_t x = ~0ull;
    preempt_begin(UINT32_MAX);
    cr_assert_eq(vmo_read(vmo_from_cap(slot(vmo_slot)->cap), off, &x, 8), WF_ERR_OK);
    return x;
}

Test(vm_restart, clone_with_a_tiny_budget_is_restarted_and_correct)
{
    for (uint32_t budget = 1; budget <= 4; budget++) {
        world();
        W.budget = budget;
        cr_assert_eq(wf_vmo_clone(VMO, POOL, WORLD_ROOT_CNODE, CLONE, DEEP), WF_ERR_OK);
        cr_assert_gt(W.restarts, NREG / budget / 2, "budget %u: %u restarts", budget, W.restarts);
        struct vspace *vs = vspace_from_cap(slot(VS)->cap);
        for (unsigned r = 0; r < NREG; r++) { /* every old mapping went */
            paddr_t pa;
            unsigned a, l;
            cr_assert(!vspace_translate(vs, BASE + r * (2ull << 20), &pa, &a, &l),
                      "region %u still mapped", r);
        }
        /* copy-on-write: both see the values, writes stay private */
        for (unsigned i = 0; i < NPOP; i++) {
            cr_assert_eq(read_at(CLONE, spot(i)), 0x1000 + i);
            cr_assert_eq(read_at(VMO, spot(i)), 0x1000 + i);
        }
        uint64_t x = 77;
        cr_assert_eq(vmo_write(vmo_from_cap(slot(CLONE)->cap), spot(1), &x, 8), WF_ERR_OK);
        cr_assert_eq(read_at(VMO, spot(1)), 0x1001);
        cr_assert_eq(read_at(CLONE, spot(1)), 77);
        W.budget = PREEMPT_UNITS_DEFAULT;
        cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
        cr_assert_eq(usage(), 0);
        world_fini();
    }
}

Test(vm_restart, shrink_with_a_tiny_budget_is_restarted_and_correct)
{
    for (uint32_t budget = 1; budget <= 3; budget++) {
        world();
        uint64_t before = usage();
        W.budget = budget;
        cr_assert_eq(wf_vmo_resize(VMO, BIG / 4), WF_ERR_OK);
        cr_assert_gt(W.restarts, NREG / budget / 2, "budget %u: %u restarts", budget, W.restarts);
        cr_assert_lt(usage(), before, "the clusters past the new size were freed");
        cr_assert_eq(vmo_from_cap(slot(VMO)->cap)->pending, VMO_PENDING_NONE);
        cr_assert_eq(wf_vmo_resize(VMO, BIG), WF_ERR_OK);
        for (unsigned i = 0; i < NPOP; i++)
            cr_assert_eq(read_at(VMO, spot(i)), spot(i) < BIG / 4 ? 0x1000 + i : 0, "spot %u", i);
        W.budget = PREEMPT_UNITS_DEFAULT;
        cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
        cr_assert_eq(usage(), 0);
        world_fini();
    }
}

Test(vm_restart, deleting_a_mapped_vmo_and_a_vspace_is_restarted)
{
    world();
    W.budget = 1;
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    cr_assert_gt(W.restarts, NREG, "%u restarts", W.restarts);
    cr_assert_eq(vspace_from_cap(slot(VS)->cap)->nregions, 0);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, BIG, WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    for (unsigned r = 0; r < NREG; r++)
        cr_assert_eq(wf_vspace_map(VS, VMO, BASE + r * (2ull << 20), 0, PAGE_SIZE, WF_VM_READ),
                     WF_ERR_OK);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, VS, DEEP), WF_ERR_OK);
    cr_assert_geq(W.restarts, NREG - 1, "%u restarts", W.restarts);
    cr_assert_null(vmo_from_cap(slot(VMO)->cap)->maps);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(), 0);
    world_fini();
}

/* One attempt of an invocation with a budget, not re-executed (the thread went
 * away): the stubs' layout, by hand. */
static enum wf_error attempt(unsigned cap, wf_word_t label, const wf_word_t *w, unsigned nw,
                             const unsigned *caps, unsigned nc, uint32_t budget)
{
    struct slot *xs[4];
    for (unsigned i = 0; i < nc; i++)
        xs[i] = slot(caps[i]);
    struct invocation inv = {.slot = slot(cap),
                             .label = label,
                             .args = w,
                             .nargs = nw,
                             .caps = xs,
                             .ncaps = nc,
                             .reaper = &W.reaper};
    preempt_begin(budget);
    return cap_invoke(&inv);
}

Test(vm_restart, abandoned_operations_are_settled_by_the_next_one)
{
    world();
    struct vmo *v = vmo_from_cap(slot(VMO)->cap);
    /* a clone stopped midway: the clone has no cap, the next Resize drops it */
    const wf_word_t cw[2] = {CLONE, DEEP};
    const unsigned cc[2] = {POOL, WORLD_ROOT_CNODE};
    cr_assert_eq(attempt(VMO, WF_LABEL_VMO_CLONE, cw, 2, cc, 2, 3), WF_ERR_PREEMPTED);
    cr_assert_eq(v->pending, VMO_PENDING_CLONE);
    cr_assert(slot_is_empty(slot(CLONE)));
    wf_word_t u, l, objects, f;
    cr_assert_eq(wf_pool_info(POOL, &u, &l, &objects, &f), WF_ERR_OK);
    cr_assert_eq(objects, 4, "VSpace, VMO, hidden VMO, pending clone");
    cr_assert_eq(wf_vmo_resize(VMO, BIG / 2), WF_ERR_OK);
    cr_assert_eq(v->pending, VMO_PENDING_NONE);
    cr_assert_eq(wf_pool_info(POOL, &u, &l, &objects, &f), WF_ERR_OK);
    cr_assert_eq(objects, 2, "the pending clone is gone, and the hidden VMO with it");
    cr_assert_null(v->parent, "the VMO took its tree back from the hidden VMO");
    cr_assert_eq(v->kind, VMO_ANON);
    for (unsigned i = 0; i < NPOP && spot(i) < BIG / 2; i++)
        cr_assert_eq(read_at(VMO, spot(i)), 0x1000 + i);
    /* a shrink stopped midway: the size is the new one, a later grow finishes it */
    const wf_word_t rw[1] = {BIG / 8};
    cr_assert_eq(attempt(VMO, WF_LABEL_VMO_RESIZE, rw, 1, NULL, 0, 2), WF_ERR_PREEMPTED);
    cr_assert_eq(v->pending, VMO_PENDING_SHRINK);
    cr_assert_eq(v->size, BIG / 8);
    struct vspace *vs = vspace_from_cap(slot(VS)->cap);
    cr_assert_eq(vm_fault(vs, BASE + 20 * (2ull << 20), VM_READ), VM_FAULT_UNMAPPED,
                 "no fault past the new size meanwhile");
    cr_assert_eq(wf_vmo_resize(VMO, BIG), WF_ERR_OK);
    cr_assert_eq(v->pending, VMO_PENDING_NONE);
    for (unsigned i = 0; i < NPOP; i++)
        cr_assert_eq(read_at(VMO, spot(i)), spot(i) < BIG / 8 ? 0x1000 + i : 0);
    /* a VMO whose deletion stopped midway is dying: it takes no new work */
    const wf_word_t dw[2] = {VMO, DEEP};
    cr_assert_eq(attempt(WORLD_ROOT_CNODE, WF_LABEL_CNODE_DELETE, dw, 2, NULL, 0, 2),
                 WF_ERR_PREEMPTED);
    cr_assert(v->dying);
    cr_assert_eq(wf_vmo_resize(VMO, BIG / 2), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wf_vmo_write(VMO, 0, 8, VS, BASE), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wf_vspace_map(VS, VMO, BUFVA, 0, PAGE_SIZE, WF_VM_READ),
                 WF_ERR_INVALID_CAPABILITY);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(), 0);
    world_fini();
}

#define COPY (40 * PAGE_SIZE + 136)

Test(vm_restart, copies_with_a_tiny_budget_are_restarted_and_correct)
{
    world();
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, 1 << 20, WORLD_ROOT_CNODE, BUF, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS2, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_vspace_map(VS, BUF, BUFVA, 0, 1 << 20, WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    cr_assert_eq(wf_vspace_map(VS2, BUF, BUFVA, 0, 1 << 20, WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    struct vspace *vs = vspace_from_cap(slot(VS)->cap);
    static uint8_t pattern[COPY], back[COPY];
    for (unsigned i = 0; i < COPY; i++)
        pattern[i] = (uint8_t)(i * 7 + i / 4096);
    preempt_begin(UINT32_MAX);
    cr_assert_eq(vspace_write(vs, BUFVA + 8, pattern, COPY), WF_ERR_OK);
    W.budget = 1;
    /* VMO_Write: the buffer into the big VMO at an odd offset */
    cr_assert_eq(wf_vmo_write(VMO, 3 * PAGE_SIZE + 40, COPY, VS, BUFVA + 8), WF_ERR_OK);
    cr_assert_geq(W.restarts, COPY / VM_COPY_UNIT, "%u restarts", W.restarts);
    preempt_begin(UINT32_MAX);
    cr_assert_eq(vmo_read(vmo_from_cap(slot(VMO)->cap), 3 * PAGE_SIZE + 40, back, COPY), WF_ERR_OK);
    cr_assert(memcmp(back, pattern, COPY) == 0, "VMO_Write contents");
    /* VMO_Read: back into the buffer further on */
    cr_assert_eq(wf_vmo_read(VMO, 3 * PAGE_SIZE + 40, COPY, VS, BUFVA + (512 << 10)), WF_ERR_OK);
    cr_assert_geq(W.restarts, COPY / VM_COPY_UNIT);
    memset(back, 0, COPY);
    preempt_begin(UINT32_MAX);
    cr_assert_eq(vspace_read(vs, BUFVA + (512 << 10), back, COPY), WF_ERR_OK);
    cr_assert(memcmp(back, pattern, COPY) == 0, "VMO_Read contents");
    /* VSpace_Read: from VS into VS2 (the same buffer VMO, another place) */
    cr_assert_eq(wf_vspace_read(VS, BUFVA + 8, COPY, VS2, BUFVA + (256 << 10)), WF_ERR_OK);
    cr_assert_geq(W.restarts, COPY / VM_COPY_UNIT);
    memset(back, 0, COPY);
    preempt_begin(UINT32_MAX);
    cr_assert_eq(vspace_read(vs, BUFVA + (256 << 10), back, COPY), WF_ERR_OK);
    cr_assert(memcmp(back, pattern, COPY) == 0, "VSpace_Read contents");
    /* VSpace_Write: into VS2 from VS */
    cr_assert_eq(wf_vspace_write(VS2, BUFVA + (768 << 10), COPY, VS, BUFVA + 8), WF_ERR_OK);
    cr_assert_geq(W.restarts, COPY / VM_COPY_UNIT);
    memset(back, 0, COPY);
    preempt_begin(UINT32_MAX);
    cr_assert_eq(vspace_read(vs, BUFVA + (768 << 10), back, COPY), WF_ERR_OK);
    cr_assert(memcmp(back, pattern, COPY) == 0, "VSpace_Write contents");
    /* a copy that fails midway reports the byte and clears its record */
    cr_assert_eq(wf_vmo_write(VMO, 0, 2 << 20, VS, BUFVA), WF_ERR_INVALID_ARGUMENT);
    cr_assert_null(vmo_from_cap(slot(VMO)->cap)->copy.thread);
    cr_assert_eq(vmo_from_cap(slot(VMO)->cap)->copy.done, 0);
    W.budget = PREEMPT_UNITS_DEFAULT;
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(), 0);
    world_fini();
}

/* --- Unmap, Protect and page-table freeing (decision 089) ------------------- */

#define HUGE     0x4000000000ull /* 256 GiB: a PML4 slot of its own */
#define HWINDOWS (BIG >> 21)     /* 2 MiB windows of the huge region */

/* world() plus one region showing all of the big VMO at HUGE, every 2 MiB window
 * of it faulted in (with `access`) at two pages. */
static struct vspace *huge_world(unsigned access)
{
    world();
    cr_assert_eq(wf_vspace_map(VS, VMO, HUGE, 0, BIG, WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    struct vspace *vs = vspace_from_cap(slot(VS)->cap);
    preempt_begin(UINT32_MAX);
    for (unsigned w = 0; w < HWINDOWS; w++) {
        cr_assert_eq(vm_fault(vs, HUGE + ((uint64_t)w << 21), access), VM_FAULT_RESOLVED);
        cr_assert_eq(vm_fault(vs, HUGE + ((uint64_t)w << 21) + 77 * PAGE_SIZE, access),
                     VM_FAULT_RESOLVED);
    }
    return vs;
}

static bool mapped(struct vspace *vs, vaddr_t va, unsigned *access)
{
    paddr_t pa;
    unsigned l;
    return vspace_translate(vs, va, &pa, access, &l);
}

Test(vm_restart, unmap_of_a_huge_populated_region_is_restarted_and_exact)
{
    uint64_t ref_usage = 0, ref_pt = 0;
    static const uint32_t budgets[] = {PREEMPT_UNITS_DEFAULT, 1, 2, 3};
    for (unsigned b = 0; b < 4; b++) {
        struct vspace *vs = huge_world(VM_READ);
        W.budget = budgets[b];
        cr_assert_eq(wf_vspace_unmap(VS, HUGE, BIG), WF_ERR_OK);
        if (budgets[b] < 4)
            cr_assert_geq(W.restarts, HWINDOWS / budgets[b] - 1, "budget %u: %u restarts",
                          budgets[b], W.restarts);
        cr_assert_not(vs->pending.active);
        cr_assert_eq(vs->nregions, NREG);
        cr_assert_null(vspace_find(vs, HUGE));
        for (unsigned w = 0; w < HWINDOWS; w++) {
            unsigned a;
            cr_assert_not(mapped(vs, HUGE + ((uint64_t)w << 21), &a), "window %u", w);
            cr_assert_not(mapped(vs, HUGE + ((uint64_t)w << 21) + 77 * PAGE_SIZE, &a));
        }
        if (b == 0) {
            ref_usage = usage();
            ref_pt = vs->pt_pages;
        }
        cr_assert_eq(usage(), ref_usage, "budget %u: the same memory in use", budgets[b]);
        cr_assert_eq(vs->pt_pages, ref_pt);
        W.budget = PREEMPT_UNITS_DEFAULT;
        cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
        cr_assert_eq(usage(), 0);
        world_fini();
    }
}

Test(vm_restart, protect_of_a_huge_populated_region_is_restarted_and_exact)
{
    for (uint32_t budget = 1; budget <= 2; budget++) {
        struct vspace *vs = huge_world(VM_READ | VM_WRITE);
        uint64_t before = usage();
        W.budget = budget;
        cr_assert_eq(wf_vspace_protect(VS, HUGE, BIG, WF_VM_READ), WF_ERR_OK);
        cr_assert_geq(W.restarts, HWINDOWS / budget - 1, "%u restarts", W.restarts);
        cr_assert_eq(vspace_find(vs, HUGE)->rights, VM_READ);
        for (unsigned w = 0; w < HWINDOWS; w++) {
            unsigned a = 0;
            vaddr_t va = HUGE + ((uint64_t)w << 21);
            cr_assert(!mapped(vs, va, &a) || !(a & VM_WRITE), "window %u still writable", w);
            cr_assert_eq(vm_fault(vs, va, VM_WRITE), VM_FAULT_RIGHTS);
        }
        cr_assert_leq(usage(), before, "no memory taken");
        W.budget = PREEMPT_UNITS_DEFAULT;
        cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
        cr_assert_eq(usage(), 0);
        world_fini();
    }
}

Test(vm_restart, an_abandoned_unmap_is_finished_by_the_next_change_or_map)
{
    struct vspace *vs = huge_world(VM_READ);
    const wf_word_t uw[2] = {HUGE, BIG};
    cr_assert_eq(attempt(VS, WF_LABEL_VSPACE_UNMAP, uw, 2, NULL, 0, 3), WF_ERR_PREEMPTED);
    cr_assert(vs->pending.active);
    unsigned a;
    cr_assert_not(mapped(vs, HUGE, &a), "the first window went");
    cr_assert(mapped(vs, HUGE + BIG - (2ull << 20), &a), "the last one is still there");
    preempt_begin(UINT32_MAX);
    cr_assert_eq(vm_fault(vs, HUGE, VM_READ), VM_FAULT_RIGHTS, "nothing refaults behind it");
    /* a Protect elsewhere finishes it first */
    cr_assert_eq(wf_vspace_protect(VS, BASE, PAGE_SIZE, WF_VM_READ), WF_ERR_OK);
    cr_assert_not(vs->pending.active);
    cr_assert_null(vspace_find(vs, HUGE));
    cr_assert_not(mapped(vs, HUGE + BIG - (2ull << 20), &a));
    /* and a Map does too */
    cr_assert_eq(
        attempt(VS, WF_LABEL_VSPACE_UNMAP, (const wf_word_t[]){BASE, 8ull << 20}, 2, NULL, 0, 1),
        WF_ERR_PREEMPTED);
    cr_assert(vs->pending.active);
    cr_assert_eq(wf_vspace_map(VS, VMO, HUGE, 0, PAGE_SIZE, WF_VM_READ), WF_ERR_OK);
    cr_assert_not(vs->pending.active);
    cr_assert_eq(vs->nregions, NREG - 4 + 1);
    W.budget = PREEMPT_UNITS_DEFAULT;
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(), 0);
    world_fini();
}

Test(vm_restart, freeing_the_page_tables_of_a_vspace_is_restarted)
{
    world();
    uint64_t before = usage();
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS2, DEEP), WF_ERR_OK);
    struct vspace *vs2 = vspace_from_cap(slot(VS2)->cap);
    /* one page in many PML4 and PDPT slots: three tables each, left after Unmap */
    preempt_begin(UINT32_MAX);
    for (unsigned i = 0; i < 8; i++)
        for (unsigned j = 0; j < 4; j++) {
            vaddr_t va = ((uint64_t)(i + 1) << 39) + ((uint64_t)j << 30);
            cr_assert_eq(wf_vspace_map(VS2, VMO, va, 0, PAGE_SIZE, WF_VM_READ), WF_ERR_OK);
            cr_assert_eq(vm_fault(vs2, va, VM_READ), VM_FAULT_RESOLVED);
            cr_assert_eq(wf_vspace_unmap(VS2, va, PAGE_SIZE), WF_ERR_OK);
        }
    uint64_t tables = vs2->pt_pages;
    cr_assert_eq(tables, 1 + 8 + 8 * 4 * 2, "root, PDPTs, PDs and PTs");
    W.budget = 1;
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, VS2, DEEP), WF_ERR_OK);
    cr_assert_geq(W.restarts, tables - 2, "one table per unit: %u restarts", W.restarts);
    cr_assert_eq(usage(), before, "every table went back to the pool");
    W.budget = PREEMPT_UNITS_DEFAULT;
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(), 0);
    world_fini();
}

Test(vm_restart, present_with_a_tiny_budget_is_restarted_and_the_same)
{
    world();
    /* a fresh sparse VMO: a page at 0, a run of 1 MiB in the middle, the last page */
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, BIG, WORLD_ROOT_CNODE, BUF, DEEP), WF_ERR_OK);
    struct vmo *v = vmo_from_cap(slot(BUF)->cap);
    preempt_begin(UINT32_MAX);
    for (uint64_t a = BIG / 2; a < BIG / 2 + (1 << 20); a += PAGE_SIZE)
        cr_assert_eq(vmo_write(v, a, &a, 8), WF_ERR_OK);
    uint64_t x = 1;
    cr_assert_eq(vmo_write(v, 0, &x, 8), WF_ERR_OK);
    cr_assert_eq(vmo_write(v, BIG - 8, &x, 8), WF_ERR_OK);
    const uint64_t offs[] = {
        0,           2 * CLUSTER_SIZE, CLUSTER_SIZE,   BIG / 2 - PAGE_SIZE, BIG / 2 + 8192,
        BIG * 3 / 4, BIG - PAGE_SIZE,  BIG + PAGE_SIZE};
    const uint64_t want_start[] = {
        0, BIG / 2, BIG / 2, BIG / 2, BIG / 2 + 8192, BIG - CLUSTER_SIZE, BIG - PAGE_SIZE, BIG};
    for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        wf_word_t s0, l0, s1, l1;
        W.budget = PREEMPT_UNITS_DEFAULT;
        cr_assert_eq(wf_vmo_present(BUF, offs[i], &s0, &l0), WF_ERR_OK);
        cr_assert_eq(s0, MAX(want_start[i], offs[i] < BIG ? offs[i] : BIG), "offset %#lx: %#lx",
                     (unsigned long)offs[i], (unsigned long)s0);
        W.budget = 1;
        cr_assert_eq(wf_vmo_present(BUF, offs[i], &s1, &l1), WF_ERR_OK);
        cr_assert_eq(s1, s0, "offset %#lx: start", (unsigned long)offs[i]);
        cr_assert_eq(l1, l0, "offset %#lx: length", (unsigned long)offs[i]);
        uint64_t looked = (MIN(s0 + l0, BIG) - MIN(offs[i], BIG)) >> CLUSTER_SHIFT;
        cr_assert_geq(W.restarts + 1, looked / VMO_SCAN_UNIT, "offset %#lx: %u restarts",
                      (unsigned long)offs[i], W.restarts);
    }
    wf_word_t s, l;
    cr_assert_eq(wf_vmo_present(BUF, CLUSTER_SIZE, &s, &l), WF_ERR_OK);
    cr_assert_eq(l, 1 << 20);
    cr_assert_eq(wf_vmo_present(BUF, 0, &s, &l), WF_ERR_OK);
    cr_assert_eq(l, CLUSTER_SIZE);
    /* an abandoned scan is replaced by the next Present of another offset */
    const wf_word_t pw[1] = {CLUSTER_SIZE};
    cr_assert_eq(attempt(BUF, WF_LABEL_VMO_PRESENT, pw, 1, NULL, 0, 1), WF_ERR_PREEMPTED);
    cr_assert(v->scan.active);
    cr_assert_eq(wf_vmo_present(BUF, BIG / 2 + 8192, &s, &l), WF_ERR_OK);
    cr_assert_eq(s, BIG / 2 + 8192);
    cr_assert_eq(l, (1 << 20) - 8192);
    cr_assert_not(v->scan.active);
    W.budget = PREEMPT_UNITS_DEFAULT;
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(), 0);
    world_fini();
}

/* --- zapping and removing one huge populated region ----------------------------- */

/* Whether 2 MiB window w of the huge region has its first page mapped. */
static bool window_mapped(struct vspace *vs, unsigned w)
{
    unsigned a;
    return mapped(vs, HUGE + ((uint64_t)w << 21), &a);
}

/* A region whose every 2 MiB window is populated costs a unit per window to
 * remove, whoever removes it: the deletion of its VMO (here with the region split
 * by an Unmap midway) or of its VSpace. A stopped removal leaves the region with
 * no rights, which no fault or Protect gives back. */
Test(vm_restart, removing_a_huge_populated_region_is_bounded_and_restarted)
{
    for (unsigned by_vspace = 0; by_vspace < 2; by_vspace++) {
        struct vspace *vs = huge_world(VM_READ | VM_WRITE);
        struct vmo *v = vmo_from_cap(slot(VMO)->cap);
        if (by_vspace) /* the huge region alone */
            cr_assert_eq(wf_vspace_unmap(VS, BASE, NREG * (2ull << 20)), WF_ERR_OK);
        cr_assert_eq(v->maps, vspace_find(vs, HUGE), "the huge region is removed first");
        const wf_word_t dw[2] = {by_vspace ? VS : VMO, DEEP};
        cr_assert_eq(attempt(WORLD_ROOT_CNODE, WF_LABEL_CNODE_DELETE, dw, 2, NULL, 0, 3),
                     WF_ERR_PREEMPTED);
        struct vm_region *r = vspace_find(vs, HUGE + BIG - PAGE_SIZE);
        cr_assert_not_null(r, "the region went in one unit");
        cr_assert(r->removing && r->rights == 0 && r->max_right == 0);
        cr_assert_not(window_mapped(vs, 0), "the first window went");
        cr_assert(window_mapped(vs, HWINDOWS - 1), "the last one is still there");
        preempt_begin(UINT32_MAX);
        cr_assert_eq(vm_fault(vs, HUGE, VM_READ), VM_FAULT_RIGHTS, "nothing refaults behind it");
        cr_assert_eq(wf_vspace_protect(VS, HUGE, BIG, WF_VM_READ), WF_ERR_INVALID_ARGUMENT);
        if (!by_vspace) {
            /* split: the upper part carries the removal and is removed too */
            cr_assert_eq(wf_vspace_unmap(VS, HUGE + BIG / 2, 2ull << 20), WF_ERR_OK);
            cr_assert(vspace_find(vs, HUGE + BIG - PAGE_SIZE)->removing);
            cr_assert(window_mapped(vs, HWINDOWS - 1));
        }
        W.budget = 1;
        cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, by_vspace ? VS : VMO, DEEP), WF_ERR_OK);
        cr_assert_geq(W.restarts, HWINDOWS - 4, "%u restarts", W.restarts);
        if (!by_vspace) {
            cr_assert_eq(vs->nregions, 0);
            for (unsigned w = 0; w < HWINDOWS; w++)
                cr_assert_not(window_mapped(vs, w), "window %u", w);
        } else {
            cr_assert_null(vmo_from_cap(slot(VMO)->cap)->maps);
        }
        W.budget = PREEMPT_UNITS_DEFAULT;
        cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
        cr_assert_eq(usage(), 0);
        world_fini();
    }
}

/* A clone clears the VMO's old mappings and a shrink those past the new size a
 * 2 MiB window per unit, even inside one region, and reach a part split off the
 * region midway (by a Protect). */
Test(vm_restart, zapping_a_huge_populated_region_is_bounded_and_restarted)
{
    for (unsigned shrink = 0; shrink < 2; shrink++) {
        struct vspace *vs = huge_world(VM_READ | VM_WRITE);
        struct vmo *v = vmo_from_cap(slot(VMO)->cap);
        unsigned first = shrink ? HWINDOWS / 4 : 0; /* the first window to clear */
        if (shrink) {
            const wf_word_t rw[1] = {BIG / 4};
            cr_assert_eq(attempt(VMO, WF_LABEL_VMO_RESIZE, rw, 1, NULL, 0, 3), WF_ERR_PREEMPTED);
            cr_assert_eq(v->pending, VMO_PENDING_SHRINK);
        } else {
            const wf_word_t cw[2] = {CLONE, DEEP};
            const unsigned cc[2] = {POOL, WORLD_ROOT_CNODE};
            cr_assert_eq(attempt(VMO, WF_LABEL_VMO_CLONE, cw, 2, cc, 2, 3), WF_ERR_PREEMPTED);
            cr_assert_eq(v->pending, VMO_PENDING_CLONE);
        }
        cr_assert_eq(v->zap_next, vspace_find(vs, HUGE), "stopped inside the huge region");
        cr_assert_not(window_mapped(vs, first));
        cr_assert(window_mapped(vs, HWINDOWS - 1), "the last window is still there");
        /* a Protect splits the region: the walk still reaches the upper part */
        cr_assert_eq(wf_vspace_protect(VS, HUGE + BIG / 2, 2ull << 20, WF_VM_READ), WF_ERR_OK);
        cr_assert(window_mapped(vs, HWINDOWS - 1));
        W.budget = 1;
        if (shrink)
            cr_assert_eq(wf_vmo_resize(VMO, BIG), WF_ERR_OK);
        else
            cr_assert_eq(wf_vmo_clone(VMO, POOL, WORLD_ROOT_CNODE, CLONE, DEEP), WF_ERR_OK);
        cr_assert_geq(W.restarts, HWINDOWS - first - 4, "%u restarts", W.restarts);
        cr_assert_eq(v->pending, VMO_PENDING_NONE);
        for (unsigned w = 0; w < HWINDOWS; w++)
            cr_assert_eq(window_mapped(vs, w), w < first, "window %u", w);
        W.budget = PREEMPT_UNITS_DEFAULT;
        cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
        cr_assert_eq(usage(), 0);
        world_fini();
    }
}

/* A Protect stopped before reaching a region that its VMO's deletion then starts
 * removing gives it no rights when re-executed: nothing refaults behind the
 * removal, and no mapping outlives the region. */
Test(vm_restart, a_pending_protect_gives_no_rights_back_to_a_region_being_removed)
{
    struct vspace *vs = huge_world(VM_READ | VM_WRITE);
    const wf_word_t pw[3] = {BASE, HUGE + BIG - BASE, WF_VM_READ};
    cr_assert_eq(attempt(VS, WF_LABEL_VSPACE_PROTECT, pw, 3, NULL, 0, 3), WF_ERR_PREEMPTED);
    cr_assert(vs->pending.active && vs->pending.at < HUGE);
    const wf_word_t dw[2] = {VMO, DEEP};
    cr_assert_eq(attempt(WORLD_ROOT_CNODE, WF_LABEL_CNODE_DELETE, dw, 2, NULL, 0, 3),
                 WF_ERR_PREEMPTED);
    cr_assert(vspace_find(vs, HUGE + BIG - PAGE_SIZE)->removing);
    cr_assert_eq(wf_vspace_protect(VS, BASE, HUGE + BIG - BASE, WF_VM_READ), WF_ERR_OK);
    cr_assert_not(vs->pending.active);
    cr_assert_eq(vspace_find(vs, HUGE + BIG - PAGE_SIZE)->rights, 0);
    preempt_begin(UINT32_MAX);
    cr_assert_eq(vm_fault(vs, HUGE, VM_READ), VM_FAULT_RIGHTS);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, VMO, DEEP), WF_ERR_OK);
    cr_assert_eq(vs->nregions, 0);
    for (unsigned w = 0; w < HWINDOWS; w++)
        cr_assert_not(window_mapped(vs, w), "window %u outlived its region", w);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(), 0);
    world_fini();
}
