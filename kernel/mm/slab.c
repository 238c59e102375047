/*
 * The slab: how a pool cuts clusters into small objects.
 *
 * Objects smaller than a cluster are cut from slab clusters: a cluster of one
 * chunk size (a power of two, 32 B to 4 KiB) whose first chunk(s) hold a header
 * (free list, free count, links). The header is found from any chunk by rounding
 * its address down to the cluster, so no table is needed. A cluster whose chunks
 * are all free goes back to the pool at once; a class keeps a list of clusters
 * with free chunks. With CLUSTER_ORDER=0 a 4 KiB chunk (a page table) does not fit
 * next to a header and takes a cluster of its own, as do objects bigger than a
 * cluster (whole extents). Every cluster is charged to the pool (mm/charge.c).
 *
 * Kernel objects (Endpoint, Notification, Reply, CNode, TCB) made by Pool_Create
 * take a slab chunk (or extent) with a 32-byte header in front of the object: the
 * pool it is charged to, and a link for deferred freeing. Their caps (and the
 * zombie of a CNode or TCB) carry CAP_POOLED, which is how deletion knows the
 * memory goes back to a pool (Retype's objects return with their untyped). The
 * memory is freed when the object is gone: at object_finalize for objects without
 * slots, when the zombie has emptied a CNode or TCB (object_release). A TCB whose
 * own invocation destroys it is still used by that invocation's exit (its reaper,
 * its registers): it is freed later, before the next invocation of another thread
 * (pool_kobj_drain), or dropped with its root pool's memory. The header costs a
 * size class: an endpoint takes 64 bytes, a TCB 4 KiB, a CNode twice its slots.
 */
#include "mm/slab.h"

#include "arch.h"
#include "cap/delete.h"
#include "mm/charge.h"
#include "mm/vm.h"
#include "obj/pool.h"
#include "obj/tcb.h"

#define SLAB_MAGIC 0x62616c73u /* "slab" */

struct slab_hdr {
    struct slab_hdr *next, *prev; /* the class's list of clusters with free chunks */
    void *free;                   /* free chunks, linked through their first word */
    uint32_t magic;
    uint16_t nfree, cap;
};
static_assert(sizeof(struct slab_hdr) <= 32, "a slab header fits the smallest chunk");

struct vm_stats vm_stats;

static unsigned size_shift(size_t size)
{
    unsigned s = POOL_SLAB_MIN_SHIFT;
    while ((1ull << s) < size)
        s++;
    return s;
}

/* Chunks of 2^shift bytes come from a slab cluster when at least two fit beside
 * the header; else the object takes whole clusters. */
static bool slab_fits(unsigned shift)
{
    if (shift > POOL_SLAB_MAX_SHIFT)
        return false;
    uint64_t first = ALIGN_UP(sizeof(struct slab_hdr), 1ull << shift) >> shift;
    return (CLUSTER_SIZE >> shift) >= first + 2;
}

static void list_remove(struct pool *p, unsigned cls, struct slab_hdr *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        p->partial[cls] = h->next;
    if (h->next)
        h->next->prev = h->prev;
    h->next = h->prev = NULL;
}

static void list_push(struct pool *p, unsigned cls, struct slab_hdr *h)
{
    h->prev = NULL;
    h->next = p->partial[cls];
    if (h->next)
        h->next->prev = h;
    p->partial[cls] = h;
}

static struct slab_hdr *slab_grow(struct pool *p, unsigned shift)
{
    paddr_t pa = pool_alloc(p, 0);
    if (!pa)
        return NULL;
    p->slab_bytes += CLUSTER_SIZE;
    vm_stats.meta_bytes += CLUSTER_SIZE;
    struct slab_hdr *h = phys_to_virt(pa);
    uint64_t size = 1ull << shift;
    uint64_t first = ALIGN_UP(sizeof(struct slab_hdr), size) >> shift;
    *h = (struct slab_hdr){.magic = SLAB_MAGIC};
    h->cap = (uint16_t)((CLUSTER_SIZE >> shift) - first);
    h->nfree = h->cap;
    for (uint64_t i = (CLUSTER_SIZE >> shift); i-- > first;) {
        void **chunk = (void **)((char *)h + (i << shift));
        *chunk = h->free;
        h->free = chunk;
    }
    list_push(p, shift - POOL_SLAB_MIN_SHIFT, h);
    return h;
}

void *pool_zalloc(struct pool *p, size_t size)
{
    if (mm_alloc_fails())
        return NULL;
    unsigned shift = size_shift(size);
    if (!slab_fits(shift)) {
        unsigned order = pool_order_for(size);
        paddr_t pa = pool_alloc(p, order);
        if (!pa)
            return NULL;
        arch_phys_zero(pa, pmm_order_bytes(order));
        vm_stats.meta_bytes += pmm_order_bytes(order);
        return phys_to_virt(pa);
    }
    unsigned cls = shift - POOL_SLAB_MIN_SHIFT;
    struct slab_hdr *h = p->partial[cls];
    if (!h && !(h = slab_grow(p, shift)))
        return NULL;
    void **chunk = h->free;
    h->free = *chunk;
    if (--h->nfree == 0)
        list_remove(p, cls, h);
    arch_phys_zero(virt_to_phys(chunk), 1ull << shift);
    return chunk;
}

void pool_zfree(struct pool *p, void *obj, size_t size)
{
    unsigned shift = size_shift(size);
    if (!slab_fits(shift)) {
        unsigned order = pool_order_for(size);
        vm_stats.meta_bytes -= pmm_order_bytes(order);
        pool_free(p, virt_to_phys(obj), order);
        return;
    }
    unsigned cls = shift - POOL_SLAB_MIN_SHIFT;
    struct slab_hdr *h = (struct slab_hdr *)ALIGN_DOWN((uintptr_t)obj, CLUSTER_SIZE);
    assert(h->magic == SLAB_MAGIC && h->nfree < h->cap);
    void **chunk = obj;
    *chunk = h->free;
    h->free = chunk;
    if (h->nfree++ == 0)
        list_push(p, cls, h);
    if (h->nfree == h->cap) {
        list_remove(p, cls, h);
        h->magic = 0;
        p->slab_bytes -= CLUSTER_SIZE;
        vm_stats.meta_bytes -= CLUSTER_SIZE;
        pool_free(p, virt_to_phys(h), 0);
    }
}

/* --- pool-made kernel objects ------------------------------------------------------ */

/* The header in front of a pool-made kernel object. */
#define KOBJ_HDR 32
struct kobj_hdr {
    struct pool *pool;
    struct kobj_hdr *next; /* the deferred list */
    uint64_t bytes;        /* header plus object: what pool_zfree takes back */
};
static_assert(sizeof(struct kobj_hdr) <= KOBJ_HDR, "the header fits in front of the object");

/* TCBs destroyed by their own invocation, freed later (pool_kobj_drain). */
static struct kobj_hdr *deferred;

static struct kobj_hdr *kobj_hdr(const void *obj)
{
    return (struct kobj_hdr *)((uintptr_t)obj - KOBJ_HDR);
}

void *kobj_alloc(struct pool *p, uint64_t bytes)
{
    struct kobj_hdr *h = pool_zalloc(p, KOBJ_HDR + bytes);
    if (!h)
        return NULL;
    h->pool = p;
    h->bytes = KOBJ_HDR + bytes;
    return (char *)h + KOBJ_HDR;
}

void kobj_commit(void *obj)
{
    pool_object_made(kobj_hdr(obj)->pool);
}

void kobj_abandon(void *obj)
{
    struct kobj_hdr *h = kobj_hdr(obj);
    pool_zfree(h->pool, h, h->bytes);
}

struct pool *kobj_pool(const void *obj)
{
    return kobj_hdr(obj)->pool;
}

static void kobj_free(struct kobj_hdr *h)
{
    struct pool *p = h->pool;
    pool_zfree(p, h, h->bytes);
    pool_object_gone(p);
}

void pool_kobj_drain(const struct reaper *r)
{
    for (struct kobj_hdr **h = &deferred; *h;) {
        struct kobj_hdr *d = *h;
        struct reaper *own = &((struct tcb *)((uintptr_t)d + KOBJ_HDR))->reaper;
        if (own == r || !reaper_is_empty(own)) { /* in use, or anchoring unfinished work */
            h = &d->next;
            continue;
        }
        *h = d->next;
        kobj_free(d);
    }
}

void pool_kobj_free(void *obj, bool tcb, const struct reaper *r)
{
    struct kobj_hdr *h = kobj_hdr(obj);
    if (tcb && r == &((struct tcb *)obj)->reaper) {
        h->next = deferred;
        deferred = h;
        return;
    }
    kobj_free(h);
}

void pool_kobj_forget(const struct pool *p)
{
    for (struct kobj_hdr **h = &deferred; *h;) {
        if ((*h)->pool->pm == p->pm)
            *h = (*h)->next;
        else
            h = &(*h)->next;
    }
}
