/*
 * Pools: page-clustered memory with a limit (docs/architecture.md, Memory rule 5;
 * the design essay opens kernel/obj/pool.c, the newcomer's guide is
 * docs/memory.md).
 *
 * A root pool owns a PMM instance over its memory (made by Untyped_Retype over
 * RAM untyped, or at boot from boot_pmm for the root task). A child pool owns no
 * memory: it draws from its root's instance under its own quota, and everything it
 * is charged is charged to every ancestor too. Everything made from a pool (VMOs,
 * their clusters, VSpaces, their page tables, regions, child pools) is charged to
 * it until destroyed: usage returns to zero when all of it is gone.
 *
 * Small objects and page tables come from a per-pool slab: clusters cut into
 * power-of-two chunks (32 B to 4 KiB), a cluster returning to the pool as soon as
 * its last chunk is freed. Larger objects take whole extents.
 *
 * Lifetime. A pool's caps are the parents of the caps of what is made from it
 * (the derivation tree's region test, pool_contains), so revoking a pool cap
 * destroys everything made from it. A pool whose last cap goes while objects it
 * made still live (their caps then hang under the pool's parent) stays, dead,
 * until its last object is destroyed.
 *
 * Locking: the big kernel lock.
 */
#ifndef WEFT_OBJ_POOL_H
#define WEFT_OBJ_POOL_H

#include "cap/cap.h"
#include "mm/pmm.h"
#include "weft/errors.h"

struct slot;

#define POOL_SLAB_MIN_SHIFT 5  /* 32-byte chunks */
#define POOL_SLAB_MAX_SHIFT 12 /* 4 KiB chunks (page tables) */
#define POOL_SLAB_CLASSES   (POOL_SLAB_MAX_SHIFT - POOL_SLAB_MIN_SHIFT + 1)
#define POOL_MAX_DEPTH      8 /* a pool and at most 7 ancestors */

struct slab_hdr;

struct pool {
    struct pmm *pm;      /* the instance memory comes from (the root's) */
    struct pool *parent; /* NULL for a root pool */
    uint64_t limit;      /* most bytes it may be charged */
    uint64_t usage;      /* bytes charged: its own and its children's */
    uint64_t objects;    /* live objects made directly from it */
    uint64_t slab_bytes; /* of usage: clusters held by its slabs */
    uint32_t depth;      /* 0 for a root */
    bool dead;           /* its last cap is gone; freed with its last object */
    bool boot;           /* a root pool over boot_pmm memory (vm_boot_pool) */
    struct slab_hdr *partial[POOL_SLAB_CLASSES]; /* slab clusters with free chunks */
};

/* A root pool and its instance, at the start of its memory (or a cluster of boot
 * memory): what Retype of WF_OBJ_POOL and vm_boot_pool set up. */
struct pool_root {
    struct pool pool;
    struct pmm pm;
};
static_assert(sizeof(struct pool_root) <= PAGE_SIZE, "a root pool fits one MMU page");

/* Sets up a root pool in the zeroed 2^size_bits bytes of RAM at pa (Retype of
 * WF_OBJ_POOL): the pool in the first cluster, the rest its memory. Returns its
 * original cap. */
struct cap pool_create_in(paddr_t pa, unsigned size_bits);

/* The pool a cap names (a Pool cap), or NULL. */
struct pool *pool_from_cap(struct cap c);

/* True when the object of cap c was made from pool p or from one of its
 * descendant pools (the derivation tree's region of a Pool cap). obj is the
 * object's kernel address (needed for zombies, whose cap may not hold it). */
bool pool_contains(const struct pool *p, struct cap c, const void *obj);

/* Charges bytes to p and its ancestors if every quota allows: true, or false with
 * nothing charged. pool_uncharge gives them back. */
bool pool_charge(struct pool *p, uint64_t bytes);
void pool_uncharge(struct pool *p, uint64_t bytes);

/* Bytes p could still be charged: the least quota left along its ancestors, at
 * most the free (and reclaimable reserved) memory of its instance. */
uint64_t pool_available(const struct pool *p);

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

/* Allocates size bytes (at most one cluster's worth of chunk, or whole extents
 * beyond) of zeroed memory from p's slab, charged to p: a kernel pointer, or NULL
 * when the pool is exhausted. pool_zfree takes the same size back. */
void *pool_zalloc(struct pool *p, size_t size);
void pool_zfree(struct pool *p, void *obj, size_t size);

/* A new object was made from p / an object made from p was destroyed (the last
 * one of a dead pool frees the pool). */
void pool_object_made(struct pool *p);
void pool_object_gone(struct pool *p);

/* The last cap to the pool in c is being deleted (object_finalize). */
void pool_finalize(struct pool *p);

/* Returns the memory of the pool-made kernel object at obj (CAP_POOLED) to its
 * pool: now, or, for the TCB (tcb true) whose own reaper r is doing the deletion,
 * once that invocation is over (pool_kobj_drain). */
struct reaper;
void pool_kobj_free(void *obj, bool tcb, const struct reaper *r);

/* Frees the TCBs deferred by pool_kobj_free, except the one whose reaper is r
 * (the invoker's, which may be one of them). Called at every pool invocation. */
void pool_kobj_drain(const struct reaper *r);

/* The argument a VM invocation's error is about: its index (a cap argument's
 * index, or WF_CAP_INVOKED, where the number out of range belongs to a cap) and,
 * for RANGE_ERROR, the smallest and largest value it may take given the other
 * arguments and the objects' state (decision 074). */
struct vm_arg {
    wf_word_t index;
    uint64_t min, max;
};
#define VM_ARG(i)           ((struct vm_arg){.index = (i)})
#define VM_RANGE(i, lo, hi) ((struct vm_arg){.index = (i), .min = (lo), .max = (hi)})

/* Records the details of a VM invocation's error e (docs/api.md) and returns e:
 * a.index for INVALID_ARGUMENT; a.index, a.min, a.max for RANGE_ERROR (a.min <=
 * a.max); the bytes p still has (p may be NULL: 0) for NOT_ENOUGH_MEMORY; none
 * otherwise; WF_ERR_OK passes through. The one error mapper of the Pool, VMO
 * and VSpace decoders. */
struct invocation;
enum wf_error pool_inv_fail(struct invocation *inv, enum wf_error e, struct vm_arg a,
                            const struct pool *p);

/*
 * In-kernel API (the root-task builder; the same code paths as Pool_Create).
 * Each places the new object's original cap, as a child of the pool cap in
 * pool_slot, in the empty slot dest, and returns WF_ERR_OK or the error
 * Pool_Create would (NOT_ENOUGH_MEMORY, RANGE_ERROR, ALIGNMENT_ERROR).
 */
enum wf_error pool_create_vmo(struct slot *pool_slot, uint64_t size, struct slot *dest);
enum wf_error pool_create_vspace(struct slot *pool_slot, struct slot *dest);
enum wf_error pool_create_child(struct slot *pool_slot, uint64_t quota, struct slot *dest);

/* A kernel object of type (CNode, TCB, Endpoint, Notification or Reply; size: the
 * CNode's radix, else 0) from the pool, as Pool_Create: INVALID_ARGUMENT for other
 * types. */
enum wf_error pool_create_kobj(struct slot *pool_slot, uint64_t type, uint64_t size,
                               struct slot *dest);

/* Makes the root pool (a struct pool_root in one cluster of boot_pmm) over bytes
 * (rounded up to clusters) of memory taken from boot_pmm, largest extents first,
 * and places its original cap in the empty slot dest as a root of the derivation
 * tree. Returns WF_ERR_OK, or WF_ERR_NOT_ENOUGH_MEMORY (nothing taken) when
 * boot_pmm has less free or the pool's range table would overflow. Defined in
 * kernel/mm/vm_boot.c. */
enum wf_error vm_boot_pool(struct slot *dest, uint64_t bytes);

/* Gives the memory of a boot pool back to boot_pmm and empties its slot s (the
 * only cap to it). The pool must have nothing left (usage 0, no objects): the
 * self-tests' clean-up. */
void vm_boot_pool_release(struct slot *s);

#endif
