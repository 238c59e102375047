/*
 * Pools: memory with a limit, and the slab every VM object comes from.
 *
 * Memory. A root pool owns a PMM instance (mm/pmm.h) over the memory it was made
 * with: the rest of its untyped range after the first cluster, which holds the
 * pool itself (Retype of WF_OBJ_POOL), or extents taken from boot_pmm
 * (vm_boot_pool). A child pool has no memory of its own; it allocates from its
 * root's instance, and every byte charged to it is charged to each ancestor, so
 * a child's quota is a limit inside its parent's (docs/architecture.md, Memory rule
 * 5: how a container's memory limit is enforced). Charging checks every quota on
 * the way up before it changes any; a chain is at most POOL_MAX_DEPTH long.
 *
 * What is charged: clusters (VMO memory, taken from reservations one by one, so a
 * reservation's untaken clusters cost nothing), and the slab clusters that hold
 * objects, VMO trees, regions and page tables. A pool's usage is zero exactly
 * when nothing made from it is alive.
 *
 * The slab. Objects smaller than a cluster are cut from slab clusters: a cluster
 * of one chunk size (a power of two, 32 B to 4 KiB) whose first chunk(s) hold a
 * header (free list, free count, links). The header is found from any chunk by
 * rounding its address down to the cluster, so no table is needed. A cluster
 * whose chunks are all free goes back to the pool at once; a class keeps a list
 * of clusters with free chunks. With CLUSTER_ORDER=0 a 4 KiB chunk (a page table)
 * does not fit next to a header and takes a cluster of its own, as do objects
 * bigger than a cluster (whole extents).
 *
 * Kernel objects (Endpoint, Notification, Reply, CNode, TCB) made by Pool_Create
 * take a slab chunk (or extent) with a 32-byte header in front of the object: the
 * pool it is charged to, and a link for deferred freeing. Their caps (and the
 * zombie of a CNode or TCB) carry CAP_POOLED, which is how deletion knows the
 * memory goes back to a pool (Retype's objects return with their untyped). The
 * memory is freed when the object is gone: at object_finalize for objects without
 * slots, when the zombie has emptied a CNode or TCB (object_release). A TCB whose
 * own invocation destroys it is still used by that invocation's exit (its reaper,
 * its registers): it is freed later, at the next pool operation of another thread
 * (pool_kobj_drain), or dropped with its root pool's memory. The header costs a
 * size class: an endpoint takes 64 bytes, a TCB 4 KiB, a CNode twice its slots.
 *
 * Lifetime. The caps of objects made from a pool are inserted as children of the
 * pool cap used (which must be the pool's original: copies of a pool cap can
 * report, not create), and pool_contains makes every object of the pool and its
 * descendants part of the pool cap's region in the derivation tree. Revoking the
 * pool cap therefore destroys them all. If the pool's last cap is deleted while
 * objects remain (their caps pass to the pool's parent), the pool stays, dead,
 * until its last object goes.
 */
#include "obj/pool.h"

#include "arch.h"
#include "cap/cdt.h"
#include "cap/delete.h"
#include "cap/invoke.h"
#include "obj/object.h"
#include "obj/tcb.h"
#include "obj/vmo.h"
#include "obj/vspace.h"

#define SLAB_MAGIC 0x62616c73u /* "slab" */

struct slab_hdr {
    struct slab_hdr *next, *prev; /* the class's list of clusters with free chunks */
    void *free;                   /* free chunks, linked through their first word */
    uint32_t magic;
    uint16_t nfree, cap;
};
static_assert(sizeof(struct slab_hdr) <= 32, "a slab header fits the smallest chunk");

struct vm_stats vm_stats;

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

/* --- charging -------------------------------------------------------------- */

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

paddr_t pool_alloc(struct pool *p, unsigned order)
{
    if (!pool_charge(p, pmm_order_bytes(order)))
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
    if (pool_available(p) < pmm_order_bytes(order))
        return false;
    return pmm_resv_reserve(p->pm, r, order, owner);
}

paddr_t pool_resv_take(struct pool *p, struct pmm_resv *r, unsigned idx)
{
    if (!pmm_resv_live(r) || pmm_resv_taken(r, idx) || !pool_charge(p, CLUSTER_SIZE))
        return 0;
    paddr_t pa = pmm_resv_take(p->pm, r, idx);
    assert(pa);
    return pa;
}

/* --- the slab --------------------------------------------------------------- */

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

unsigned pool_order_for(uint64_t bytes)
{
    unsigned o = 0;
    while (pmm_order_bytes(o) < bytes)
        o++;
    return o;
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

/* --- objects and lifetime ----------------------------------------------------- */

struct pool *pool_from_cap(struct cap c)
{
    return cap_type(c) == CAP_POOL ? cap_object(c) : NULL;
}

bool pool_contains(const struct pool *p, struct cap c, const void *obj)
{
    const struct pool *q;
    switch (cap_type(c)) {
    case CAP_POOL:
        q = cap_object(c);
        break;
    case CAP_VMO:
        q = ((struct vmo *)cap_object(c))->pool;
        break;
    case CAP_VSPACE:
        q = ((struct vspace *)cap_object(c))->pool;
        break;
    case CAP_CNODE:
    case CAP_TCB:
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
    case CAP_REPLY:
    case CAP_ZOMBIE:
        if (!cap_pooled(c) || !obj)
            return false;
        q = kobj_hdr(obj)->pool;
        break;
    default:
        return false;
    }
    for (; q; q = q->parent)
        if (q == p)
            return true;
    return false;
}

static void pool_init(struct pool *p, struct pmm *pm, struct pool *parent, uint64_t limit)
{
    p->pm = pm;
    p->parent = parent;
    p->limit = limit;
    p->depth = parent ? parent->depth + 1 : 0;
}

struct cap pool_create_in(paddr_t pa, unsigned size_bits)
{
    struct pool_root *r = phys_to_virt(pa);
    pmm_init(&r->pm);
    paddr_t added = pmm_add_range(&r->pm, pa + CLUSTER_SIZE, (1ull << size_bits) - CLUSTER_SIZE);
    pool_init(&r->pool, &r->pm, NULL, added);
    return cap_object_new(CAP_POOL, &r->pool, 0, 0);
}

void pool_object_made(struct pool *p)
{
    p->objects++;
}

static void pool_free_child(struct pool *p)
{
    struct pool *parent = p->parent;
    assert(p->usage == 0 && p->objects == 0);
    pool_zfree(parent, p, sizeof(*p));
    pool_object_gone(parent);
}

void pool_object_gone(struct pool *p)
{
    assert(p->objects > 0);
    if (--p->objects == 0 && p->dead && p->parent)
        pool_free_child(p);
}

void pool_finalize(struct pool *p)
{
    p->dead = true;
    if (p->objects == 0 && p->parent)
        pool_free_child(p);
    if (p->parent)
        return;
    /* A root pool's memory returns with its untyped (or boot memory, explicitly):
     * deferred TCBs in it go with it. */
    for (struct kobj_hdr **h = &deferred; *h;) {
        if ((*h)->pool->pm == p->pm)
            *h = (*h)->next;
        else
            h = &(*h)->next;
    }
}

/* --- kernel objects ------------------------------------------------------------------ */

/* Bytes of the object (without header) of a kernel object type. */
static uint64_t kobj_bytes(uint64_t type, unsigned radix)
{
    return 1ull << object_size_bits(type, radix);
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

/* --- creation ------------------------------------------------------------------- */

static enum wf_error check_create(uint64_t type, uint64_t size)
{
    switch (type) {
    case WF_OBJ_VMO:
        if (size == 0 || size > (1ull << WF_VMO_MAX_BITS))
            return WF_ERR_RANGE_ERROR;
        return IS_ALIGNED(size, PAGE_SIZE) ? WF_ERR_OK : WF_ERR_ALIGNMENT_ERROR;
    case WF_OBJ_VSPACE:
        return size == 0 ? WF_ERR_OK : WF_ERR_RANGE_ERROR;
    case WF_OBJ_POOL:
        return WF_ERR_OK;
    case WF_OBJ_CNODE:
        return size < WF_CNODE_RADIX_MIN || size > WF_CNODE_RADIX_MAX ? WF_ERR_RANGE_ERROR
                                                                      : WF_ERR_OK;
    case WF_OBJ_TCB:
    case WF_OBJ_ENDPOINT:
    case WF_OBJ_NOTIFICATION:
    case WF_OBJ_REPLY:
        return size == 0 ? WF_ERR_OK : WF_ERR_RANGE_ERROR;
    default:
        return WF_ERR_INVALID_ARGUMENT;
    }
}

/* Makes a kernel object (Retype's types but Untyped and Pool) behind a header in
 * p's slab: its cap, marked CAP_POOLED, or a null cap when p is exhausted. */
static struct cap make_kobj(struct pool *p, uint64_t type, unsigned radix)
{
    uint64_t bytes = KOBJ_HDR + kobj_bytes(type, radix);
    struct kobj_hdr *h = pool_zalloc(p, bytes);
    if (!h)
        return cap_null();
    h->pool = p;
    h->bytes = bytes;
    pool_object_made(p);
    struct cap c = object_create(type, radix, virt_to_phys((char *)h + KOBJ_HDR), false);
    return cap_set_pooled(c, true);
}

/* Makes the object (everything checked but memory): its cap, or a null cap when
 * the pool is exhausted (nothing then is left allocated). */
static struct cap make_object(struct pool *p, uint64_t type, uint64_t size)
{
    switch (type) {
    case WF_OBJ_VMO: {
        struct vmo *v = pool_zalloc(p, sizeof(*v));
        if (!v)
            return cap_null();
        vmo_init_anon(v, p, size);
        pool_object_made(p);
        return cap_object_new(CAP_VMO, v, WF_RIGHT_READ | WF_RIGHT_WRITE, 0);
    }
    case WF_OBJ_VSPACE: {
        struct vspace *vs = pool_zalloc(p, sizeof(*vs));
        void *root = vs ? pool_zalloc(p, PAGE_SIZE) : NULL;
        if (!root) {
            if (vs)
                pool_zfree(p, vs, sizeof(*vs));
            return cap_null();
        }
        vspace_init(vs, p, virt_to_phys(root));
        pool_object_made(p);
        return cap_object_new(CAP_VSPACE, vs, 0, 0);
    }
    case WF_OBJ_POOL: {
        struct pool *c = pool_zalloc(p, sizeof(*c));
        if (!c)
            return cap_null();
        pool_init(c, p->pm, p, size);
        pool_object_made(p);
        return cap_object_new(CAP_POOL, c, 0, 0);
    }
    default:
        return make_kobj(p, type, (unsigned)size);
    }
}

/* Checks that the cap in pool_slot may create: a live pool's original cap. */
static bool may_create(const struct slot *pool_slot)
{
    struct pool *p = pool_from_cap(pool_slot->cap);
    return p && slot_revocable(pool_slot) && !p->dead;
}

/* True when p may not make an object of type: a child pool below the deepest. */
static bool too_deep(const struct pool *p, uint64_t type)
{
    return type == WF_OBJ_POOL && p->depth + 1 >= POOL_MAX_DEPTH;
}

static enum wf_error create(struct slot *pool_slot, uint64_t type, uint64_t size, struct slot *dest)
{
    assert(slot_is_empty(dest));
    if (!may_create(pool_slot))
        return WF_ERR_ILLEGAL_OPERATION;
    struct pool *p = pool_from_cap(pool_slot->cap);
    if (too_deep(p, type))
        return WF_ERR_RANGE_ERROR;
    enum wf_error e = check_create(type, size);
    if (e != WF_ERR_OK)
        return e;
    struct cap c = make_object(p, type, size);
    if (cap_is_null(c))
        return WF_ERR_NOT_ENOUGH_MEMORY;
    cdt_insert_new(pool_slot, dest, c);
    return WF_ERR_OK;
}

enum wf_error pool_create_vmo(struct slot *pool_slot, uint64_t size, struct slot *dest)
{
    return create(pool_slot, WF_OBJ_VMO, size, dest);
}

enum wf_error pool_create_vspace(struct slot *pool_slot, struct slot *dest)
{
    return create(pool_slot, WF_OBJ_VSPACE, 0, dest);
}

enum wf_error pool_create_child(struct slot *pool_slot, uint64_t quota, struct slot *dest)
{
    return create(pool_slot, WF_OBJ_POOL, quota, dest);
}

enum wf_error pool_create_kobj(struct slot *pool_slot, uint64_t type, uint64_t size,
                               struct slot *dest)
{
    if (type == WF_OBJ_VMO || type == WF_OBJ_VSPACE || type == WF_OBJ_POOL)
        return WF_ERR_INVALID_ARGUMENT;
    return create(pool_slot, type, size, dest);
}

/* --- invocations ------------------------------------------------------------------ */

enum wf_error pool_inv_fail(struct invocation *inv, enum wf_error e, struct vm_arg a,
                            const struct pool *p)
{
    switch (e) {
    case WF_ERR_OK:
        return e;
    case WF_ERR_INVALID_ARGUMENT:
        return inv_fail(inv, e, 1, a.index, 0, 0, 0);
    case WF_ERR_RANGE_ERROR:
        assert(a.min <= a.max);
        return inv_fail(inv, e, 3, a.index, a.min, a.max, 0);
    case WF_ERR_NOT_ENOUGH_MEMORY:
        return inv_fail(inv, e, 1, p ? pool_available(p) : 0, 0, 0, 0);
    default:
        return inv_fail(inv, e, 0, 0, 0, 0, 0);
    }
}

static enum wf_error fail(struct invocation *inv, enum wf_error e, struct vm_arg a)
{
    return pool_inv_fail(inv, e, a, pool_from_cap(inv->slot->cap));
}

/* The bounds of Pool_Create's size for type (check_create said RANGE_ERROR). */
static struct vm_arg create_size_range(uint64_t type)
{
    switch (type) {
    case WF_OBJ_VMO:
        return VM_RANGE(ARG_POOL_CREATE_SIZE, PAGE_SIZE, 1ull << WF_VMO_MAX_BITS);
    case WF_OBJ_CNODE:
        return VM_RANGE(ARG_POOL_CREATE_SIZE, WF_CNODE_RADIX_MIN, WF_CNODE_RADIX_MAX);
    default: /* VSpaces and fixed-size kernel objects take size 0 */
        return VM_RANGE(ARG_POOL_CREATE_SIZE, 0, 0);
    }
}

enum wf_error pool_decode_create(struct invocation *inv)
{
    uint64_t type = inv->args[ARG_POOL_CREATE_TYPE];
    uint64_t size = inv->args[ARG_POOL_CREATE_SIZE];
    pool_kobj_drain(inv->reaper);
    if (!may_create(inv->slot))
        return fail(inv, WF_ERR_ILLEGAL_OPERATION, VM_ARG(0));
    enum wf_error e = check_create(type, size);
    if (e == WF_ERR_RANGE_ERROR)
        return fail(inv, e, create_size_range(type));
    if (e != WF_ERR_OK)
        return fail(inv, e, VM_ARG(ARG_POOL_CREATE_TYPE));
    /* A child pool: the invoked pool's depth (0 for a root) must leave room. */
    if (too_deep(pool_from_cap(inv->slot->cap), type))
        return fail(inv, WF_ERR_RANGE_ERROR, VM_RANGE(WF_CAP_INVOKED, 0, POOL_MAX_DEPTH - 2));
    struct slot *dest;
    e = inv_dest_slot(inv, XCAP_POOL_CREATE_DEST_ROOT, ARG_POOL_CREATE_DEST_INDEX,
                      ARG_POOL_CREATE_DEST_DEPTH, &dest);
    if (e != WF_ERR_OK)
        return e;
    /* Everything but memory is checked: create fails only for that. */
    return fail(inv, create(inv->slot, type, size, dest), VM_ARG(ARG_POOL_CREATE_SIZE));
}

enum wf_error pool_decode_create_contig(struct invocation *inv)
{
    uint64_t size = inv->args[ARG_POOL_CREATE_CONTIG_SIZE];
    if (!may_create(inv->slot))
        return fail(inv, WF_ERR_ILLEGAL_OPERATION, VM_ARG(0));
    if (size >= PAGE_SIZE && size <= pmm_order_bytes(PMM_ORDERS - 1) && !IS_POW2(size))
        return fail(inv, WF_ERR_INVALID_ARGUMENT, VM_ARG(ARG_POOL_CREATE_CONTIG_SIZE));
    if (size < PAGE_SIZE || size > pmm_order_bytes(PMM_ORDERS - 1))
        return fail(
            inv, WF_ERR_RANGE_ERROR,
            VM_RANGE(ARG_POOL_CREATE_CONTIG_SIZE, PAGE_SIZE, pmm_order_bytes(PMM_ORDERS - 1)));
    struct slot *dest;
    enum wf_error e =
        inv_dest_slot(inv, XCAP_POOL_CREATE_CONTIG_DEST_ROOT, ARG_POOL_CREATE_CONTIG_DEST_INDEX,
                      ARG_POOL_CREATE_CONTIG_DEST_DEPTH, &dest);
    if (e != WF_ERR_OK)
        return e;
    struct pool *p = pool_from_cap(inv->slot->cap);
    unsigned order = pool_order_for(size);
    paddr_t pa = pool_alloc(p, order);
    if (!pa)
        return fail(inv, WF_ERR_NOT_ENOUGH_MEMORY, VM_ARG(0));
    arch_phys_zero(pa, pmm_order_bytes(order));
    e = vmo_create_phys(inv->slot, pa, size, dest);
    if (e != WF_ERR_OK) {
        pool_free(p, pa, order);
        return fail(inv, e, VM_ARG(0));
    }
    vmo_from_cap(dest->cap)->owns_phys = true;
    return WF_ERR_OK;
}

enum wf_error pool_decode_create_device(struct invocation *inv)
{
    if (!may_create(inv->slot))
        return fail(inv, WF_ERR_ILLEGAL_OPERATION, VM_ARG(0));
    struct slot *ut = inv->caps[XCAP_POOL_CREATE_DEVICE_UNTYPED];
    if (!cap_untyped_is_device(ut->cap))
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 1, XCAP_POOL_CREATE_DEVICE_UNTYPED, 0, 0, 0);
    if (cap_untyped_size_bits(ut->cap) < PAGE_SHIFT) /* the untyped's size, in bytes */
        return fail(
            inv, WF_ERR_RANGE_ERROR,
            VM_RANGE(XCAP_POOL_CREATE_DEVICE_UNTYPED, PAGE_SIZE, 1ull << WF_UNTYPED_MAX_BITS));
    struct slot *dest;
    enum wf_error e =
        inv_dest_slot(inv, XCAP_POOL_CREATE_DEVICE_DEST_ROOT, ARG_POOL_CREATE_DEVICE_DEST_INDEX,
                      ARG_POOL_CREATE_DEVICE_DEST_DEPTH, &dest);
    if (e != WF_ERR_OK)
        return e;
    e = vmo_create_device(inv->slot, ut->cap, dest);
    return fail(inv, e, VM_ARG(XCAP_POOL_CREATE_DEVICE_UNTYPED));
}

enum wf_error pool_decode_info(struct invocation *inv)
{
    pool_kobj_drain(inv->reaper);
    struct pool *p = pool_from_cap(inv->slot->cap);
    inv->reply[RES_POOL_INFO_USAGE_BYTES] = p->usage;
    inv->reply[RES_POOL_INFO_LIMIT_BYTES] = p->limit;
    inv->reply[RES_POOL_INFO_OBJECTS] = p->objects;
    inv->reply[RES_POOL_INFO_FREE_BYTES] = pool_available(p);
    return WF_ERR_OK;
}
