/*
 * Charging: how a pool's limit is enforced.
 *
 * A root pool owns a PMM instance (mm/pmm.h) over the memory it was made with: the
 * rest of its untyped range after the first cluster, which holds the pool itself
 * (Retype of WF_OBJ_POOL), or extents taken from boot_pmm (vm_boot_pool). A child
 * pool has no memory of its own; it allocates from its root's instance, and every
 * byte charged to it is charged to each ancestor, so a child's quota is a limit
 * inside its parent's (how a container's memory limit is enforced). A child's
 * quota is at most its parent's limit (Pool_Create checks it), so the limits shrink
 * down a chain. Charging checks every quota on the way up before it changes any; a
 * chain is at most POOL_MAX_DEPTH long.
 *
 * What is charged: clusters (VMO memory, taken from reservations one by one, so a
 * reservation's untaken clusters cost nothing), and the slab clusters that hold
 * objects, VMO trees, regions and page tables (mm/slab.c). A pool's usage is zero
 * exactly when nothing made from it is alive.
 */
#include "mm/charge.h"

#include "obj/pool.h"

#if WEFT_HOST
uint64_t mm_fail_countdown;
uint64_t mm_alloc_points;

bool mm_alloc_fails(void)
{
    mm_alloc_points++;
    return mm_fail_countdown && --mm_fail_countdown == 0;
}
#endif

bool pool_charge(struct pool *p, uint64_t bytes)
{
    for (struct pool *q = p; q; q = q->parent)
        if (q->usage + bytes > q->limit)
            return false;
    for (struct pool *q = p; q; q = q->parent)
        q->usage += bytes;
    return true;
}

void pool_uncharge(struct pool *p, uint64_t bytes)
{
    for (struct pool *q = p; q; q = q->parent) {
        assert(q->usage >= bytes);
        q->usage -= bytes;
    }
}

uint64_t pool_available(const struct pool *p)
{
    uint64_t left = p->pm->free_bytes + p->pm->untaken_bytes;
    for (const struct pool *q = p; q; q = q->parent)
        left = MIN(left, q->limit - q->usage);
    return left;
}

uint64_t pool_ceiling(const struct pool *p)
{
    uint64_t most = p->limit;
    for (const struct pool *q = p->parent; q; q = q->parent)
        most = MIN(most, q->limit);
    return most;
}

unsigned pool_order_for(uint64_t bytes)
{
    unsigned o = 0;
    while (pmm_order_bytes(o) < bytes)
        o++;
    return o;
}

paddr_t pool_alloc(struct pool *p, unsigned order)
{
    if (mm_alloc_fails() || !pool_charge(p, pmm_order_bytes(order)))
        return 0;
    paddr_t pa = pmm_alloc(p->pm, order);
    if (!pa)
        pool_uncharge(p, pmm_order_bytes(order));
    return pa;
}

void pool_free(struct pool *p, paddr_t pa, unsigned order)
{
    pmm_free(p->pm, pa, order);
    pool_uncharge(p, pmm_order_bytes(order));
}

bool pool_resv_reserve(struct pool *p, struct pmm_resv *r, unsigned order, void *owner)
{
    if (mm_alloc_fails() || pool_available(p) < pmm_order_bytes(order))
        return false;
    return pmm_resv_reserve(p->pm, r, order, owner);
}

paddr_t pool_resv_take(struct pool *p, struct pmm_resv *r, unsigned idx)
{
    if (mm_alloc_fails() || !pmm_resv_live(r) || pmm_resv_taken(r, idx) ||
        !pool_charge(p, CLUSTER_SIZE))
        return 0;
    paddr_t pa = pmm_resv_take(p->pm, r, idx);
    assert(pa);
    return pa;
}
