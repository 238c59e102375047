/*
 * The per-pool slab: small objects, page tables and pool-made kernel objects,
 * charged to their pool (the design essay is in kernel/mm/slab.c).
 *
 * Locking: the big kernel lock.
 */
#ifndef WEFT_MM_SLAB_H
#define WEFT_MM_SLAB_H

#include "mm/pmm.h"

#define POOL_SLAB_MIN_SHIFT 5  /* 32-byte chunks */
#define POOL_SLAB_MAX_SHIFT 12 /* 4 KiB chunks (page tables) */
#define POOL_SLAB_CLASSES   (POOL_SLAB_MAX_SHIFT - POOL_SLAB_MIN_SHIFT + 1)

struct pool;
struct reaper;

/* Allocates size bytes (at most one cluster's worth of chunk, or whole extents
 * beyond) of zeroed memory from p's slab, charged to p: a kernel pointer, or NULL
 * when the pool is exhausted. pool_zfree takes the same size back. */
void *pool_zalloc(struct pool *p, size_t size);
void pool_zfree(struct pool *p, void *obj, size_t size);

/* Memory for a kernel object of bytes bytes made by Pool_Create (Endpoint,
 * Notification, Reply, CNode, TCB), behind a header that names its pool: the
 * object's zeroed memory, or NULL when p is exhausted. Nothing is counted as an
 * object of p (pool_object_made) until kobj_commit; kobj_abandon gives uncommitted
 * memory back. */
void *kobj_alloc(struct pool *p, uint64_t bytes);
void kobj_commit(void *obj);
void kobj_abandon(void *obj);

/* The pool the pool-made kernel object at obj is charged to. */
struct pool *kobj_pool(const void *obj);

/* Returns the memory of the pool-made kernel object at obj (CAP_POOLED) to its
 * pool: now, or, for the TCB (tcb true) whose own reaper r is doing the deletion,
 * once that invocation is over (pool_kobj_drain). */
void pool_kobj_free(void *obj, bool tcb, const struct reaper *r);

/* Frees the TCBs deferred by pool_kobj_free, except the one whose reaper is r
 * (the invoker's, which may be one of them). Called before every invocation's
 * decode (cap_invoke) and at every finalization: reclaiming them is not part of
 * any operation. */
void pool_kobj_drain(const struct reaper *r);

/* Drops the deferred TCBs in root pool p's memory, which returns with its untyped
 * or boot memory as a whole (pool_finalize of a root pool). */
void pool_kobj_forget(const struct pool *p);

#endif
