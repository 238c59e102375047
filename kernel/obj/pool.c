/*
 * Pools: memory with a limit, and the invocations that make objects from it.
 *
 * What a pool is and how it is charged is in kernel/mm/charge.c, how it cuts its
 * clusters into objects in kernel/mm/slab.c; this file holds the pool's lifetime
 * and its invocations.
 *
 * Lifetime. The caps of objects made from a pool are inserted as children of the
 * pool cap used (which must be the pool's original: copies of a pool cap can
 * report, not create), and pool_contains makes every object of the pool and its
 * descendants part of the pool cap's region in the derivation tree. Revoking the
 * pool cap therefore destroys them all. If the pool's last cap is deleted while
 * objects remain (their caps pass to the pool's parent), the pool stays, dead,
 * until its last object goes. Which cap is the last is told by the pool's count
 * of its caps, not by the derivation tree: a copy of the original and the
 * original need not be neighbours, as what the original makes is inserted right
 * after it (decision 111).
 *
 * Creation is decode, then invoke, as a structure. The decode step checks every
 * argument and takes every resource the operation needs, memory included, into a
 * struct create_op; when one allocation fails it gives back what it took, so a
 * failed operation leaves the pools, the derivation tree and the slots as they
 * were (tests/host/test_objs.c injects a failure at every allocation point). The
 * invoke step (create_invoke) only initializes and links: it returns void. The
 * in-kernel API (pool_create_vmo, ...) runs the same two steps.
 *
 * A child pool's quota is at most its parent's limit, so a chain of quotas only
 * shrinks (decision 085); Pool_CreateContig refuses with RANGE_ERROR the sizes no
 * state of the pool could ever give (more than the least limit up its chain) and
 * with NOT_ENOUGH_MEMORY those it cannot give now.
 */
#include "obj/pool.h"

#include "arch.h"
#include "cap/cdt.h"
#include "cap/invoke.h"
#include "obj/object.h"
#include "obj/vmo.h"
#include "obj/vspace.h"

/* --- lifetime --------------------------------------------------------------------- */

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
        q = kobj_pool(obj);
        break;
    default:
        return false;
    }
    for (; q; q = q->parent)
        if (q == p)
            return true;
    return false;
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

/* A dead child pool whose last object and last cap are gone is freed. */
static void pool_maybe_free(struct pool *p)
{
    if (p->dead && p->objects == 0 && p->caps == 0 && p->parent)
        pool_free_child(p);
}

void pool_object_gone(struct pool *p)
{
    assert(p->objects > 0);
    p->objects--;
    pool_maybe_free(p);
}

void pool_cap_added(struct pool *p)
{
    p->caps++;
}

void pool_cap_removed(struct pool *p)
{
    assert(p->caps > 0);
    p->caps--;
    pool_maybe_free(p);
}

void pool_finalize(struct pool *p)
{
    assert(p->caps == 1 && !p->dead);
    p->dead = true; /* freed once this cap has left the tree (pool_cap_removed) */
    if (p->parent)
        return;
    /* A root pool's memory returns with its untyped (or boot memory, explicitly):
     * deferred TCBs in it go with it. */
    pool_kobj_forget(p);
}

/* --- creation: decode ------------------------------------------------------------- */

/* An operation that makes one object from a pool: decoded and holding its memory. */
struct create_op {
    struct slot *pool_slot; /* the pool's original cap */
    struct slot *dest;      /* empty */
    uint64_t type, size;
    void *obj;  /* the object's memory (VMO, VSpace, Pool; a kernel object after its header) */
    void *root; /* a VSpace's top-level page table */
};

/* The bounds of Pool_Create's size for type (check_size said RANGE_ERROR). */
static struct inv_arg size_range(const struct pool *p, uint64_t type)
{
    switch (type) {
    case WF_OBJ_VMO:
        return INV_RANGE(ARG_POOL_CREATE_SIZE, PAGE_SIZE, 1ull << WF_VMO_MAX_BITS);
    case WF_OBJ_CNODE:
        return INV_RANGE(ARG_POOL_CREATE_SIZE, WF_CNODE_RADIX_MIN, WF_CNODE_RADIX_MAX);
    case WF_OBJ_POOL: /* a quota inside the parent's limit */
        return INV_RANGE(ARG_POOL_CREATE_SIZE, 0, p->limit);
    default: /* VSpaces and fixed-size kernel objects take size 0 */
        return INV_RANGE(ARG_POOL_CREATE_SIZE, 0, 0);
    }
}

/* Checks Pool_Create's size for type from p: WF_ERR_OK, RANGE_ERROR (size_range
 * gives the bounds) or ALIGNMENT_ERROR; INVALID_ARGUMENT for an unknown type. */
static enum wf_error check_size(const struct pool *p, uint64_t type, uint64_t size)
{
    switch (type) {
    case WF_OBJ_VMO:
        if (size == 0 || size > (1ull << WF_VMO_MAX_BITS))
            return WF_ERR_RANGE_ERROR;
        return IS_ALIGNED(size, PAGE_SIZE) ? WF_ERR_OK : WF_ERR_ALIGNMENT_ERROR;
    case WF_OBJ_POOL:
        return size > p->limit ? WF_ERR_RANGE_ERROR : WF_ERR_OK;
    case WF_OBJ_CNODE:
        return size < WF_CNODE_RADIX_MIN || size > WF_CNODE_RADIX_MAX ? WF_ERR_RANGE_ERROR
                                                                      : WF_ERR_OK;
    case WF_OBJ_VSPACE:
    case WF_OBJ_TCB:
    case WF_OBJ_ENDPOINT:
    case WF_OBJ_NOTIFICATION:
    case WF_OBJ_REPLY:
        return size == 0 ? WF_ERR_OK : WF_ERR_RANGE_ERROR;
    default:
        return WF_ERR_INVALID_ARGUMENT;
    }
}

/* Checks that the cap in pool_slot may create: a live pool's original cap. */
static bool may_create(const struct slot *pool_slot)
{
    struct pool *p = pool_from_cap(pool_slot->cap);
    return p && slot_revocable(pool_slot) && !p->dead;
}

/* Checks everything Pool_Create of (type, size) from pool_slot needs but the
 * destination and memory: WF_ERR_OK, or the error with *why its details. */
static enum wf_error check_create(const struct slot *pool_slot, uint64_t type, uint64_t size,
                                  struct inv_arg *why)
{
    *why = INV_ARG(ARG_POOL_CREATE_TYPE);
    if (!may_create(pool_slot))
        return WF_ERR_ILLEGAL_OPERATION;
    const struct pool *p = pool_from_cap(pool_slot->cap);
    enum wf_error e = check_size(p, type, size);
    if (e == WF_ERR_RANGE_ERROR)
        *why = size_range(p, type);
    if (e == WF_ERR_ALIGNMENT_ERROR)
        *why = INV_ARG(ARG_POOL_CREATE_SIZE);
    if (e != WF_ERR_OK)
        return e;
    /* A child pool: the invoked pool's depth (0 for a root) must leave room. */
    if (type == WF_OBJ_POOL && p->depth + 1 >= POOL_MAX_DEPTH) {
        *why = INV_RANGE(WF_CAP_INVOKED, 0, POOL_MAX_DEPTH - 2);
        return WF_ERR_RANGE_ERROR;
    }
    return WF_ERR_OK;
}

/* Takes the memory op's object needs from p: WF_ERR_OK, or NOT_ENOUGH_MEMORY with
 * nothing taken. */
static enum wf_error take_memory(struct pool *p, struct create_op *op)
{
    switch (op->type) {
    case WF_OBJ_VMO:
        op->obj = pool_zalloc(p, sizeof(struct vmo));
        break;
    case WF_OBJ_VSPACE:
        op->obj = pool_zalloc(p, sizeof(struct vspace));
        op->root = op->obj ? pool_zalloc(p, PAGE_SIZE) : NULL;
        if (op->obj && !op->root) {
            pool_zfree(p, op->obj, sizeof(struct vspace));
            op->obj = NULL;
        }
        break;
    case WF_OBJ_POOL:
        op->obj = pool_zalloc(p, sizeof(struct pool));
        break;
    default:
        op->obj = kobj_alloc(p, 1ull << object_size_bits(op->type, (unsigned)op->size));
        break;
    }
    return op->obj ? WF_ERR_OK : WF_ERR_NOT_ENOUGH_MEMORY;
}

/* The last step of decoding Pool_Create of (type, size), which check_create has
 * passed, from the pool cap in pool_slot into the empty slot dest: WF_ERR_OK with
 * *op filled and holding its memory, or NOT_ENOUGH_MEMORY (details in *why) with
 * nothing changed. */
static enum wf_error create_take(struct slot *pool_slot, uint64_t type, uint64_t size,
                                 struct slot *dest, struct create_op *op, struct inv_arg *why)
{
    assert(slot_is_empty(dest));
    struct pool *p = pool_from_cap(pool_slot->cap);
    *op = (struct create_op){.pool_slot = pool_slot, .dest = dest, .type = type, .size = size};
    enum wf_error e = take_memory(p, op);
    if (e != WF_ERR_OK)
        *why = INV_FREE(pool_available(p));
    return e;
}

/* Decodes Pool_Create of (type, size) from the pool cap in pool_slot into the
 * empty slot dest: check_create, then create_take. */
static enum wf_error create_decode(struct slot *pool_slot, uint64_t type, uint64_t size,
                                   struct slot *dest, struct create_op *op, struct inv_arg *why)
{
    enum wf_error e = check_create(pool_slot, type, size, why);
    if (e != WF_ERR_OK)
        return e;
    return create_take(pool_slot, type, size, dest, op, why);
}

/* --- creation: invoke --------------------------------------------------------------- */

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

/* Makes the decoded object in the memory op holds and places its cap. */
static void create_invoke(const struct create_op *op)
{
    struct pool *p = pool_from_cap(op->pool_slot->cap);
    struct cap c;
    switch (op->type) {
    case WF_OBJ_VMO:
        vmo_init_anon(op->obj, p, op->size);
        c = cap_object_new(CAP_VMO, op->obj, WF_RIGHT_READ | WF_RIGHT_WRITE, 0);
        pool_object_made(p);
        break;
    case WF_OBJ_VSPACE:
        vspace_init(op->obj, p, virt_to_phys(op->root));
        c = cap_object_new(CAP_VSPACE, op->obj, 0, 0);
        pool_object_made(p);
        break;
    case WF_OBJ_POOL:
        pool_init(op->obj, p->pm, p, op->size);
        c = cap_object_new(CAP_POOL, op->obj, 0, 0);
        pool_object_made(p);
        break;
    default:
        kobj_commit(op->obj);
        c = object_create(op->type, (unsigned)op->size, virt_to_phys(op->obj), false);
        c = cap_set_pooled(c, true);
        break;
    }
    cdt_insert_new(op->pool_slot, op->dest, c);
}

/* The in-kernel API: decode, then invoke. */
static enum wf_error create(struct slot *pool_slot, uint64_t type, uint64_t size, struct slot *dest)
{
    struct create_op op;
    struct inv_arg why;
    enum wf_error e = create_decode(pool_slot, type, size, dest, &op, &why);
    if (e == WF_ERR_OK)
        create_invoke(&op);
    return e;
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

/* --- invocations ------------------------------------------------------------------ */

enum wf_error pool_inv_fail(struct invocation *inv, enum wf_error e, struct inv_arg a,
                            const struct pool *p)
{
    if (e == WF_ERR_NOT_ENOUGH_MEMORY)
        a.free = p ? pool_available(p) : 0;
    return inv_error(inv, e, a);
}

enum wf_error pool_decode_create(struct invocation *inv)
{
    uint64_t type = inv->args[ARG_POOL_CREATE_TYPE];
    uint64_t size = inv->args[ARG_POOL_CREATE_SIZE];
    struct inv_arg why;
    enum wf_error e = check_create(inv->slot, type, size, &why);
    if (e != WF_ERR_OK)
        return inv_error(inv, e, why);
    struct slot *dest;
    e = inv_dest_slot(inv, XCAP_POOL_CREATE_DEST_ROOT, ARG_POOL_CREATE_DEST_INDEX,
                      ARG_POOL_CREATE_DEST_DEPTH, &dest);
    if (e != WF_ERR_OK)
        return e;
    struct create_op op;
    e = create_take(inv->slot, type, size, dest, &op, &why);
    if (e != WF_ERR_OK)
        return inv_error(inv, e, why);
    create_invoke(&op);
    return WF_ERR_OK;
}

/* Pool_CreateContig decoded: an extent of the pool's and the VMO that will own it. */
struct contig_op {
    unsigned order;
    struct vmo_phys_op phys;
};

/* The largest size Pool_CreateContig from p could ever give (what one extent of
 * the PMM holds, at most the least limit up p's chain): 0 when none. */
static uint64_t contig_max(const struct pool *p)
{
    uint64_t most = MIN(pmm_order_bytes(PMM_ORDERS - 1), pool_ceiling(p));
    if (most < CLUSTER_SIZE)
        return 0;
    return 1ull << (63 - __builtin_clzll(most));
}

static enum wf_error contig_decode(struct invocation *inv, struct contig_op *op)
{
    uint64_t size = inv->args[ARG_POOL_CREATE_CONTIG_SIZE];
    if (!may_create(inv->slot))
        return inv_error(inv, WF_ERR_ILLEGAL_OPERATION, INV_NONE);
    struct pool *p = pool_from_cap(inv->slot->cap);
    uint64_t max = contig_max(p);
    if (max < PAGE_SIZE) /* no size at all: the pool is too small for any extent */
        return inv_error(inv, WF_ERR_NOT_ENOUGH_MEMORY, INV_FREE(pool_available(p)));
    if (size < PAGE_SIZE || size > max)
        return inv_error(inv, WF_ERR_RANGE_ERROR,
                         INV_RANGE(ARG_POOL_CREATE_CONTIG_SIZE, PAGE_SIZE, max));
    if (!IS_POW2(size))
        return inv_error(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(ARG_POOL_CREATE_CONTIG_SIZE));
    struct slot *dest;
    enum wf_error e =
        inv_dest_slot(inv, XCAP_POOL_CREATE_CONTIG_DEST_ROOT, ARG_POOL_CREATE_CONTIG_DEST_INDEX,
                      ARG_POOL_CREATE_CONTIG_DEST_DEPTH, &dest);
    if (e != WF_ERR_OK)
        return e;
    *op = (struct contig_op){
        .order = pool_order_for(size),
        .phys = {.pool_slot = inv->slot, .dest = dest, .size = size, .owns_phys = true}};
    op->phys.pa = pool_alloc(p, op->order);
    if (op->phys.pa && vmo_phys_take(&op->phys) != WF_ERR_OK) {
        pool_free(p, op->phys.pa, op->order);
        op->phys.pa = 0;
    }
    if (!op->phys.pa)
        return inv_error(inv, WF_ERR_NOT_ENOUGH_MEMORY, INV_FREE(pool_available(p)));
    return WF_ERR_OK;
}

/* The physical VMO over the extent, zeroed. */
static void contig_invoke(const struct contig_op *op)
{
    arch_phys_zero(op->phys.pa, pmm_order_bytes(op->order));
    vmo_phys_invoke(&op->phys);
}

enum wf_error pool_decode_create_contig(struct invocation *inv)
{
    struct contig_op op;
    enum wf_error e = contig_decode(inv, &op);
    if (e == WF_ERR_OK)
        contig_invoke(&op);
    return e;
}

enum wf_error pool_decode_create_device(struct invocation *inv)
{
    if (!may_create(inv->slot))
        return inv_error(inv, WF_ERR_ILLEGAL_OPERATION, INV_NONE);
    struct slot *ut = inv->caps[XCAP_POOL_CREATE_DEVICE_UNTYPED];
    if (!cap_untyped_is_device(ut->cap))
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 1, XCAP_POOL_CREATE_DEVICE_UNTYPED, 0, 0, 0);
    if (cap_untyped_size_bits(ut->cap) < PAGE_SHIFT) /* the untyped's size, in bytes */
        return inv_error(
            inv, WF_ERR_RANGE_ERROR,
            INV_RANGE(XCAP_POOL_CREATE_DEVICE_UNTYPED, PAGE_SIZE, 1ull << WF_UNTYPED_MAX_BITS));
    struct slot *dest;
    enum wf_error e =
        inv_dest_slot(inv, XCAP_POOL_CREATE_DEVICE_DEST_ROOT, ARG_POOL_CREATE_DEVICE_DEST_INDEX,
                      ARG_POOL_CREATE_DEVICE_DEST_DEPTH, &dest);
    if (e != WF_ERR_OK)
        return e;
    struct vmo_phys_op op;
    e = vmo_device_decode(inv->slot, ut->cap, dest, &op);
    if (e == WF_ERR_NOT_ENOUGH_MEMORY)
        return inv_error(inv, e, INV_FREE(pool_available(pool_from_cap(inv->slot->cap))));
    if (e != WF_ERR_OK)
        return inv_error(inv, e, INV_ARG(XCAP_POOL_CREATE_DEVICE_UNTYPED));
    vmo_phys_invoke(&op);
    return WF_ERR_OK;
}

enum wf_error pool_decode_info(struct invocation *inv)
{
    struct pool *p = pool_from_cap(inv->slot->cap);
    inv->reply[RES_POOL_INFO_USAGE_BYTES] = p->usage;
    inv->reply[RES_POOL_INFO_LIMIT_BYTES] = p->limit;
    inv->reply[RES_POOL_INFO_OBJECTS] = p->objects;
    inv->reply[RES_POOL_INFO_FREE_BYTES] = pool_available(p);
    return WF_ERR_OK;
}
