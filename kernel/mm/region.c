/*
 * VSpaces and their regions: the bookkeeping of an address space.
 *
 * A VSpace is a top-level page table whose kernel half is the kernel's, and its
 * regions (struct vm_region), in a list by address for walks over a range and in
 * an AVL tree by start address (lib/avl.h) for lookups: finding the region of an
 * address is O(log regions), after a one-entry hint of the last region found. A
 * region says: [start, end) shows the VMO's bytes from offset, with rights. Map
 * only records a region; page-table entries are created by the fault path
 * (kernel/mm/fault.c) and exist only inside regions, so Unmap and Protect need
 * only clear entries: the next access refaults with the region's current rights.
 * Regions are split at MMU-page granularity by Unmap and Protect, so userspace
 * never sees a cluster.
 *
 * Decode then invoke: Map, Unmap and Protect check everything and allocate the
 * region records a split needs before they change anything; clearing entries
 * cannot fail (a superpage that cannot be split is dropped whole, to refault).
 * Destroying a VSpace removes its regions, clearing each one's entries a 2 MiB
 * window per unit of the work budget (vspace_region_remove_some, its progress in
 * the region), then frees its page tables one per unit (vspace_teardown,
 * restarted by the deletion; decisions 088, 089). Unmap and Protect clear
 * entries a few 2 MiB windows per unit, their progress in the VSpace
 * (pending_run; decision 089). The invocation decoders are in
 * kernel/obj/vspace.c.
 */
#include "obj/vspace.h"

#include "arch.h"
#include "cap/decode_gen.h"
#include "cap/preempt.h"
#include "lib/string.h"
#include "obj/pool.h"
#include "obj/vmo.h"

uint64_t vm_unmap_epoch;

/* --- page-table pages from the pool ------------------------------------------ */

paddr_t vspace_pt_alloc(struct pt_ctx *c)
{
    struct vspace *vs = c->owner;
    void *p = pool_zalloc(vs->pool, PAGE_SIZE);
    if (!p)
        return 0;
    vs->pt_pages++;
    vm_stats.pt_pages++;
    return virt_to_phys(p);
}

void vspace_pt_free(struct pt_ctx *c, paddr_t pa)
{
    struct vspace *vs = c->owner;
    vs->pt_pages--;
    vm_stats.pt_pages--;
    pool_zfree(vs->pool, phys_to_virt(pa), PAGE_SIZE);
}

static_assert(sizeof(struct vm_region) <= 128, "a region takes a 128-byte slab chunk");

static void unmap_range(struct vspace *vs, vaddr_t start, vaddr_t end)
{
    struct pt_ctx c = vspace_pt_ctx(vs);
    arch_pt_unmap(&c, start, end);
    vm_stats.demotions += c.demotions;
    vm_unmap_epoch++; /* kernel pointers to IPC buffers may be stale (obj/tcb.h) */
}

/* --- life ----------------------------------------------------------------------- */

void vspace_init(struct vspace *vs, struct pool *p, paddr_t root)
{
    vs->pool = p;
    vs->root = root;
    vs->pt_pages = 1;
    vm_stats.pt_pages++;
    arch_pt_init_root(root);
}

static void region_unlink(struct vm_region *r)
{
    struct vspace *vs = r->vs;
    if (r->prev)
        r->prev->next = r->next;
    else
        vs->regions = r->next;
    if (r->next)
        r->next->prev = r->prev;
    if (r->vmo_prev)
        r->vmo_prev->vmo_next = r->vmo_next;
    else
        r->vmo->maps = r->vmo_next;
    if (r->vmo_next)
        r->vmo_next->vmo_prev = r->vmo_prev;
    if (r->vmo->zap_next == r) { /* a restartable VMO operation's cursor moves on */
        r->vmo->zap_next = r->vmo_next;
        r->vmo->zap_at = 0;
    }
    if (vs->hint == r)
        vs->hint = NULL;
    avl_remove(&vs->tree, &r->node);
    vs->nregions--;
}

/* Links r into its VSpace's list after `after` (NULL: first) and its VMO's after
 * vmo_after (NULL: first). */
static void region_link(struct vm_region *r, struct vm_region *after, struct vm_region *vmo_after)
{
    struct vspace *vs = r->vs;
    r->prev = after;
    r->next = after ? after->next : vs->regions;
    if (r->next)
        r->next->prev = r;
    if (after)
        after->next = r;
    else
        vs->regions = r;
    r->vmo_prev = vmo_after;
    r->vmo_next = vmo_after ? vmo_after->vmo_next : r->vmo->maps;
    if (r->vmo_next)
        r->vmo_next->vmo_prev = r;
    if (vmo_after)
        vmo_after->vmo_next = r;
    else
        r->vmo->maps = r;
    r->node.key = r->start;
    avl_insert(&vs->tree, &r->node);
    vs->nregions++;
}

static void region_free(struct vspace *vs, struct vm_region *r)
{
    pool_zfree(vs->pool, r, sizeof(*r));
}

void vspace_region_zap(struct vm_region *r, vaddr_t start, vaddr_t end)
{
    unmap_range(r->vs, start, end);
}

/* Clears [*at, end) of vs's tables for one unit; true when *at reached end. */
static bool unmap_some(struct vspace *vs, vaddr_t *at, vaddr_t end)
{
    struct pt_ctx c = vspace_pt_ctx(vs);
    *at = arch_pt_unmap_some(&c, *at, end, 1);
    vm_stats.demotions += c.demotions;
    vm_unmap_epoch++; /* kernel pointers to IPC buffers may be stale (obj/tcb.h) */
    return *at >= end;
}

bool vspace_region_zap_some(struct vm_region *r, vaddr_t *at, vaddr_t end)
{
    return *at >= end || unmap_some(r->vs, at, end);
}

void vspace_region_remove(struct vm_region *r)
{
    struct vspace *vs = r->vs;
    unmap_range(vs, r->start, r->end);
    region_unlink(r);
    region_free(vs, r);
}

bool vspace_region_remove_some(struct vm_region *r)
{
    struct vspace *vs = r->vs;
    if (!r->removing) {
        r->removing = true;
        r->rights = r->max_right = 0;
        r->removed_to = r->start;
    }
    r->removed_to = MAX(r->removed_to, r->start); /* r may be the upper part of a split */
    if (r->removed_to < r->end && !unmap_some(vs, &r->removed_to, r->end))
        return false;
    region_unlink(r);
    region_free(vs, r);
    return true;
}

enum wf_error vspace_teardown(struct vspace *vs)
{
    vs->dying = true;
    vspace_leave_everywhere(vs); /* a thread of it may still run elsewhere */
    /* the first unit was paid by the deletion step that calls us */
    bool first = true;
    for (; vs->regions; first = false) {
        if (!first && preempt_point())
            return WF_ERR_PREEMPTED;
        vspace_region_remove_some(vs->regions);
    }
    /* then the page tables, one per unit (the tables record the progress) */
    struct pt_ctx c = vspace_pt_ctx(vs);
    for (;; first = false) {
        if (!first && preempt_point())
            return WF_ERR_PREEMPTED;
        if (!arch_pt_destroy_step(&c))
            break;
        vm_unmap_epoch++;
    }
    return WF_ERR_OK;
}

void vspace_destroy(struct vspace *vs)
{
    vspace_leave_everywhere(vs);
    while (vs->regions) {
        struct vm_region *r = vs->regions;
        region_unlink(r);
        region_free(vs, r);
    }
    struct pt_ctx c = vspace_pt_ctx(vs);
    arch_pt_destroy(&c);
    vm_unmap_epoch++;
    vspace_pt_free(&c, vs->root);
    assert(vs->pt_pages == 0);
    struct pool *p = vs->pool;
    pool_zfree(p, vs, sizeof(*vs));
    pool_object_gone(p);
}

/* --- regions ---------------------------------------------------------------------- */

/* The last region starting at or before va, or NULL. O(log regions). */
static struct vm_region *region_before(struct vspace *vs, vaddr_t va)
{
    struct avl_node *n = avl_floor(&vs->tree, va);
    return n ? container_of(n, struct vm_region, node) : NULL;
}

/* The first region that may meet [va, ...): the one containing va, else the
 * first after it. Regions before it all end at or below va. */
static struct vm_region *region_from(struct vspace *vs, vaddr_t va)
{
    struct vm_region *r = region_before(vs, va);
    return r ? r : vs->regions;
}

struct vm_region *vspace_find_tree(struct vspace *vs, vaddr_t va)
{
    struct vm_region *r = region_before(vs, va);
    if (!r || va >= r->end)
        return NULL;
    vs->hint = r;
    return r;
}

static enum wf_error settle(struct vspace *vs);

static bool valid_rights(unsigned rights)
{
    if (rights & ~(VM_READ | VM_WRITE | VM_EXEC))
        return false;
    return rights == 0 || (rights & VM_READ);
}

/*
 * Argument errors. Map, Unmap and Protect report which argument is wrong in
 * *why, with the invocation's argument indices (ARG_VSPACE_*), and for
 * RANGE_ERROR the bounds it had to keep given the other arguments (decision
 * 074); the decoders hand it to pool_inv_fail. Kernel callers ignore it.
 */
static_assert(ARG_VSPACE_UNMAP_VADDR == ARG_VSPACE_PROTECT_VADDR &&
                  ARG_VSPACE_UNMAP_LENGTH == ARG_VSPACE_PROTECT_LENGTH,
              "Unmap and Protect share their range arguments");

/* Checks a user range [va, va + length) (arguments va_arg and len_arg) of at
 * most room bytes: ALIGNMENT_ERROR, or RANGE_ERROR with *why, else OK. */
static enum wf_error check_range(vaddr_t va, uint64_t length, uint64_t room, unsigned va_arg,
                                 unsigned len_arg, struct inv_arg *why)
{
    if (!IS_ALIGNED(va | length, PAGE_SIZE))
        return WF_ERR_ALIGNMENT_ERROR;
    if (va >= USER_TOP) {
        *why = INV_RANGE(va_arg, 0, USER_TOP - PAGE_SIZE);
        return WF_ERR_RANGE_ERROR;
    }
    room = MIN(room, USER_TOP - va);
    if (length == 0 || length > room) {
        *why = INV_RANGE(len_arg, PAGE_SIZE, room);
        return WF_ERR_RANGE_ERROR;
    }
    return WF_ERR_OK;
}

enum wf_error vspace_map_why(struct vspace *vs, struct vmo *v, uint64_t offset, vaddr_t va,
                             uint64_t length, unsigned rights, uint64_t cap_rights,
                             struct inv_arg *why)
{
    if (!IS_ALIGNED(offset, PAGE_SIZE))
        return WF_ERR_ALIGNMENT_ERROR;
    /* VMO sizes are whole pages, at least one: offset names a page of it */
    if (offset >= v->size) {
        *why = INV_RANGE(ARG_VSPACE_MAP_OFFSET, 0, v->size - PAGE_SIZE);
        return WF_ERR_RANGE_ERROR;
    }
    enum wf_error e =
        check_range(va, length, v->size - offset, ARG_VSPACE_MAP_VADDR, ARG_VSPACE_MAP_LENGTH, why);
    if (e != WF_ERR_OK)
        return e;
    *why = INV_ARG(ARG_VSPACE_MAP_RIGHTS);
    if (!valid_rights(rights))
        return WF_ERR_INVALID_ARGUMENT;
    unsigned allowed = (cap_rights & WF_RIGHT_READ ? VM_READ | VM_EXEC : 0) |
                       (cap_rights & WF_RIGHT_WRITE ? VM_WRITE : 0);
    if (rights & ~allowed)
        return WF_ERR_INVALID_CAPABILITY;
    if (v->kind == VMO_HIDDEN || v->dying)
        return WF_ERR_INVALID_CAPABILITY;
    if (vs->dying)
        return WF_ERR_ILLEGAL_OPERATION;
    e = settle(vs);
    if (e != WF_ERR_OK)
        return e;
    struct vm_region *before = region_before(vs, va + length - 1);
    if (before && before->end > va)
        return WF_ERR_ILLEGAL_OPERATION;
    struct vm_region *r = pool_zalloc(vs->pool, sizeof(*r));
    if (!r)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    *r = (struct vm_region){.vs = vs,
                            .vmo = v,
                            .start = va,
                            .end = va + length,
                            .offset = offset,
                            .rights = (uint8_t)rights,
                            .max_right = (uint8_t)allowed};
    region_link(r, before, NULL);
    return WF_ERR_OK;
}

enum wf_error vspace_map(struct vspace *vs, struct vmo *v, uint64_t offset, vaddr_t va,
                         uint64_t length, unsigned rights, uint64_t cap_rights)
{
    struct inv_arg why;
    return vspace_map_why(vs, v, offset, va, length, rights, cap_rights, &why);
}

/* How many new region records a change of [va, end) needs: one per region end
 * that lies strictly inside the range's ends (at most two). */
static unsigned splits_needed(struct vspace *vs, vaddr_t va, vaddr_t end)
{
    unsigned n = 0;
    for (struct vm_region *r = region_from(vs, va); r && r->start < end; r = r->next)
        if (r->end > va)
            n += (r->start < va) + (r->end > end);
    return n;
}

/* Splits r at va (inside it) using the zeroed record n: n becomes [va, r->end). */
static void split(struct vm_region *r, struct vm_region *n, vaddr_t va)
{
    *n = *r;
    n->start = va;
    n->offset = r->offset + (va - r->start);
    r->end = va;
    /* n follows r in the VMO's list too: a restartable VMO operation walking it
     * (kernel/mm/vmo_mem.c) reaches n if it had not finished r */
    region_link(n, r, r);
}

/* Splits the regions at the ends of [va, end) with the records in spare
 * (splits_needed of them), so that every region meeting it lies within it. */
static void split_ends(struct vspace *vs, vaddr_t va, vaddr_t end, struct vm_region **spare)
{
    struct vm_region *r = region_before(vs, va);
    if (r && r->start < va && r->end > va)
        split(r, *spare++, va);
    r = region_before(vs, end - 1);
    if (r && r->start < end && r->end > end)
        split(r, *spare++, end);
}

/*
 * The page-table work of Unmap and Protect, bounded (decision 089). The change
 * is recorded in vs->pending and walks [va, end) by address with the cursor at:
 * on reaching a region it first sets its rights (0 for Unmap, so that nothing
 * refaults behind the cursor with the old ones), then clears its entries a few
 * 2 MiB windows per unit, then (Unmap) removes it. Every step leaves the
 * VSpace consistent; a re-execution continues at the cursor. Regions only appear
 * in the range by Map and change only by Unmap/Protect, which finish the
 * pending change first (settle); a VMO removing a region ahead of the cursor
 * changes nothing here, as the walk goes by address.
 */
static enum wf_error pending_run(struct vspace *vs)
{
    struct vm_pending *p = &vs->pending;
    struct pt_ctx c = vspace_pt_ctx(vs);
    while (p->active) {
        struct vm_region *r = region_from(vs, p->at);
        if (r && r->end <= p->at)
            r = r->next;
        if (!r || r->start >= p->end) {
            p->active = false;
            break;
        }
        if (preempt_point())
            return WF_ERR_PREEMPTED;
        if (p->at <= r->start) {
            p->at = r->start;
            /* a region being removed keeps rights 0 (max_right 0) */
            r->rights = p->op == VM_CHANGE_UNMAP ? 0 : (uint8_t)(p->rights & r->max_right);
        }
        p->at = arch_pt_unmap_some(&c, p->at, r->end, 1);
        vm_stats.demotions += c.demotions;
        c.demotions = 0;
        vm_unmap_epoch++; /* kernel pointers to IPC buffers may be stale (obj/tcb.h) */
        if (p->at == r->end && p->op == VM_CHANGE_UNMAP) {
            region_unlink(r);
            region_free(vs, r);
        }
    }
    return WF_ERR_OK;
}

/* Finishes a change whose invocation did not come back (WF_ERR_PREEMPTED if
 * it needs another step). */
static enum wf_error settle(struct vspace *vs)
{
    return vs->pending.active ? pending_run(vs) : WF_ERR_OK;
}

enum wf_error vspace_change(struct vspace *vs, vaddr_t va, uint64_t length, enum vm_change op,
                            unsigned rights, struct inv_arg *why)
{
    enum wf_error e =
        check_range(va, length, USER_TOP, ARG_VSPACE_UNMAP_VADDR, ARG_VSPACE_UNMAP_LENGTH, why);
    if (e != WF_ERR_OK)
        return e;
    vaddr_t end = va + length;
    *why = INV_ARG(ARG_VSPACE_PROTECT_RIGHTS);
    if (op == VM_CHANGE_PROTECT && !valid_rights(rights))
        return WF_ERR_INVALID_ARGUMENT;
    struct vm_pending *p = &vs->pending;
    if (p->active && p->op == op && p->va == va && p->end == end &&
        (op == VM_CHANGE_UNMAP || p->rights == rights))
        return pending_run(vs); /* this call, re-executed */
    if ((e = settle(vs)) != WF_ERR_OK)
        return e;
    if (op == VM_CHANGE_PROTECT) {
        for (struct vm_region *r = region_from(vs, va); r && r->start < end; r = r->next)
            if (r->end > va && (rights & ~r->max_right))
                return WF_ERR_INVALID_ARGUMENT;
    }
    unsigned n = splits_needed(vs, va, end);
    struct vm_region *spare[2];
    assert(n <= 2);
    for (unsigned i = 0; i < n; i++) {
        if (!(spare[i] = pool_zalloc(vs->pool, sizeof(struct vm_region)))) {
            while (i--)
                pool_zfree(vs->pool, spare[i], sizeof(struct vm_region));
            return WF_ERR_NOT_ENOUGH_MEMORY;
        }
    }
    split_ends(vs, va, end, spare);
    *p = (struct vm_pending){
        .active = true, .op = op, .rights = rights, .va = va, .end = end, .at = va};
    return pending_run(vs);
}

enum wf_error vspace_unmap(struct vspace *vs, vaddr_t va, uint64_t length)
{
    struct inv_arg why;
    return vspace_change(vs, va, length, VM_CHANGE_UNMAP, 0, &why);
}

enum wf_error vspace_protect(struct vspace *vs, vaddr_t va, uint64_t length, unsigned rights)
{
    struct inv_arg why;
    if (rights > 0xffff)
        return WF_ERR_INVALID_ARGUMENT;
    return vspace_change(vs, va, length, VM_CHANGE_PROTECT, rights, &why);
}
