/*
 * The boot side of the VM: the root task's pool over memory taken from boot_pmm
 * (the in-kernel API of obj/pool.h for kernel/core/roottask.c), and giving such a
 * pool's memory back (the self-tests build and drop pools this way).
 *
 * The pool object itself (struct pool_root: the pool and its PMM instance) takes
 * one cluster of boot memory; its memory is taken from boot_pmm largest extents
 * first, so it is a few large ranges (a PMM instance owns at most PMM_MAX_RANGES).
 */
#include "arch.h"
#include "cap/cdt.h"
#include "lib/string.h"
#include "obj/pool.h"

/* Gives [base, end) back to boot_pmm as aligned extents. */
static void give_back(paddr_t base, paddr_t end)
{
    while (base < end) {
        unsigned order = 0;
        while (order + 1 < PMM_ORDERS && IS_ALIGNED(base, pmm_order_bytes(order + 1)) &&
               base + pmm_order_bytes(order + 1) <= end)
            order++;
        pmm_free(&boot_pmm, base, order);
        base += pmm_order_bytes(order);
    }
}

enum wf_error vm_boot_pool(struct slot *dest, uint64_t bytes)
{
    assert(slot_is_empty(dest));
    bytes = ALIGN_UP(bytes, CLUSTER_SIZE);
    if (bytes + CLUSTER_SIZE > boot_pmm.free_bytes)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    paddr_t self = pmm_alloc(&boot_pmm, 0);
    if (!self)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    struct pool_root *r = phys_to_virt(self);
    memset(r, 0, sizeof(*r));
    pmm_init(&r->pm);
    uint64_t got = 0;
    while (got < bytes) {
        unsigned order = PMM_ORDERS - 1;
        while (order > 0 && pmm_order_bytes(order) > bytes - got)
            order--;
        paddr_t pa = 0;
        while (!(pa = pmm_alloc(&boot_pmm, order)) && order > 0)
            order--;
        if (!pa || pmm_add_range(&r->pm, pa, pmm_order_bytes(order)) == 0) {
            if (pa)
                pmm_free(&boot_pmm, pa, order);
            for (unsigned i = 0; i < r->pm.nranges; i++)
                give_back(r->pm.range[i].base, r->pm.range[i].end);
            pmm_free(&boot_pmm, self, 0);
            return WF_ERR_NOT_ENOUGH_MEMORY;
        }
        got += pmm_order_bytes(order);
    }
    r->pool.pm = &r->pm;
    r->pool.limit = got;
    r->pool.boot = true;
    cdt_insert_root(dest, cap_object_new(CAP_POOL, &r->pool, 0, 0));
    return WF_ERR_OK;
}

void vm_boot_pool_release(struct slot *s)
{
    struct pool *p = pool_from_cap(s->cap);
    assert(p && p->boot && p->usage == 0 && p->objects == 0);
    struct pool_root *r = container_of(p, struct pool_root, pool);
    assert(r->pm.free_bytes == r->pm.managed_bytes && r->pm.resv_live == 0);
    cdt_remove(s);
    for (unsigned i = 0; i < r->pm.nranges; i++)
        give_back(r->pm.range[i].base, r->pm.range[i].end);
    pmm_free(&boot_pmm, virt_to_phys(r), 0);
}
