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
 * Small objects and page tables come from a per-pool slab (mm/slab.h); charging
 * is mm/charge.h. This file's pool.c holds the pool's lifetime and its
 * invocations.
 *
 * Lifetime. A pool's caps are the parents of the caps of what is made from it
 * (the derivation tree's region test, pool_contains), so revoking a pool cap
 * destroys everything made from it. A pool whose last cap goes while objects it
 * made still live (their caps then hang under the pool's parent) stays, dead,
 * until its last object is destroyed. The caps of a pool are the one kind whose
 * copies need not be adjacent in the derivation tree (what Pool_Create makes
 * lands right after the original, before older copies), so the pool counts them
 * (`caps`) and that count, not the neighbours, says which cap is the last
 * (decision 111).
 *
 * Locking: the big kernel lock.
 */
#ifndef WEFT_OBJ_POOL_H
#define WEFT_OBJ_POOL_H

#include "cap/cap.h"
#include "cap/invoke.h"
#include "mm/charge.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "weft/errors.h"

struct slot;

#define POOL_MAX_DEPTH 8 /* a pool and at most 7 ancestors */

struct slab_hdr;

struct pool {
    struct pmm *pm;      /* the instance memory comes from (the root's) */
    struct pool *parent; /* NULL for a root pool */
    uint64_t limit;      /* most bytes it may be charged */
    uint64_t usage;      /* bytes charged: its own and its children's */
    uint64_t objects;    /* live objects made directly from it */
    uint64_t caps;       /* caps naming it (cdt.c counts them: they need not be adjacent) */
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

/* A new object was made from p / an object made from p was destroyed (the last
 * one of a dead pool frees the pool). */
void pool_object_made(struct pool *p);
void pool_object_gone(struct pool *p);

/* The last cap to the pool in c is being deleted (object_finalize): p is dead,
 * and freed when the cap has left the tree (pool_cap_removed) and its last
 * object is gone. */
void pool_finalize(struct pool *p);

/* A cap to p entered / left the derivation tree (kernel/cap/cdt.c). */
void pool_cap_added(struct pool *p);
void pool_cap_removed(struct pool *p);

/* inv_error (cap/invoke.h) for an invocation whose memory comes from p: a
 * NOT_ENOUGH_MEMORY reports the bytes p still has (p may be NULL: 0). */
enum wf_error pool_inv_fail(struct invocation *inv, enum wf_error e, struct inv_arg a,
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
