/*
 * Charging memory to pools: every byte a pool's objects use is counted against
 * the pool's limit and each ancestor's (the design essay is in kernel/mm/charge.c;
 * struct pool is in obj/pool.h, the newcomer's guide is docs/memory.md).
 *
 * Locking: the big kernel lock.
 */
#ifndef WEFT_MM_CHARGE_H
#define WEFT_MM_CHARGE_H

#include "mm/pmm.h"

struct pool;

/* Charges bytes to p and its ancestors if every quota allows: true, or false with
 * nothing charged. pool_uncharge gives them back. */
bool pool_charge(struct pool *p, uint64_t bytes);
void pool_uncharge(struct pool *p, uint64_t bytes);

/* Bytes p could still be charged: the least quota left along its ancestors, at
 * most the free (and reclaimable reserved) memory of its instance. */
uint64_t pool_available(const struct pool *p);

/* Most bytes p could ever be charged, whatever is freed: the least limit along p
 * and its ancestors (a root pool's limit is its memory). */
uint64_t pool_ceiling(const struct pool *p);

/* The extent order (in clusters) that holds bytes. */
unsigned pool_order_for(uint64_t bytes);

/* Allocates (and charges) an extent of 2^order clusters; 0 when the quota or the
 * memory is exhausted. The memory is not zeroed. */
paddr_t pool_alloc(struct pool *p, unsigned order);

/* Frees (and uncharges) an extent pool_alloc (or pool_resv_take) gave. */
void pool_free(struct pool *p, paddr_t pa, unsigned order);

/* Reserves an aligned extent of 2^order clusters for owner (pmm_resv_reserve on
 * p's instance); nothing is charged until clusters are taken. False when no such
 * extent is free or the quota left is smaller than the reservation. */
bool pool_resv_reserve(struct pool *p, struct pmm_resv *r, unsigned order, void *owner);

/* Takes (and charges) cluster idx of the live reservation r: its address, or 0
 * when r is not live or the quota is exhausted. */
paddr_t pool_resv_take(struct pool *p, struct pmm_resv *r, unsigned idx);

#if WEFT_HOST
/* Host tests' allocation-failure injection: when non-zero, counts down at every
 * allocation point (pool_alloc, pool_resv_reserve, pool_resv_take, pool_zalloc)
 * and that point fails when it reaches zero. mm_alloc_points counts the points
 * passed, to size the injection loop. */
extern uint64_t mm_fail_countdown;
extern uint64_t mm_alloc_points;
#endif

/* True when the allocation point being passed must fail (host tests only; the
 * kernel's is constant false). */
#if WEFT_HOST
bool mm_alloc_fails(void);
#else
static inline bool mm_alloc_fails(void)
{
    return false;
}
#endif

#endif
