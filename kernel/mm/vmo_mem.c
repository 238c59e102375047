/*
 * VMOs: clusters on demand, reservations for superpages, copy-on-write clones.
 *
 * The tree. An anonymous VMO's memory is a radix tree keyed by cluster index:
 * `levels` interior nodes of 512 pointers (an MMU page each, from the pool's
 * slab) above windows. A window covers 2 MiB of offset (VMO_WIN_CLUSTERS
 * clusters) and records each cluster's physical address, so the memory a VMO
 * holds is described by the VMO itself, never by a global per-page array
 * (docs/architecture.md, Memory rule 2). Absent parts of the tree cost nothing.
 *
 * Reservations (Navarro et al., OSDI 2002; FreeBSD vm_reserv). The first cluster
 * a window needs reserves an aligned 2 MiB extent from the pool's PMM instance
 * (when the window lies wholly inside the VMO and one is free); cluster i of the
 * window is then taken from cluster i of the reservation, so once all are present
 * the window is physically contiguous and aligned, and a region mapping it at a
 * 2 MiB-aligned address can map it by one superpage entry (vmo_super_pa; the
 * promotion itself is the fault path's, kernel/mm/fault.c). A window that finds no
 * free extent takes single clusters ("foreign") and is never promoted. Under
 * pressure the PMM breaks the least recently grown reservation; the window keeps
 * the clusters it took and continues with foreign ones.
 *
 * Clones (Zircon's hidden VMOs). Cloning V creates a hidden VMO H that takes V's
 * tree (windows, reservations and all); V and the new clone C become H's two
 * children with empty trees. Looking a cluster up walks V, then H, then H's
 * parent, each only below the offset its child may see (parent_limit: a clone
 * shrunk and grown again must read zeros there). A read maps the ancestor's
 * cluster read-only; a write copies it into the writer's own tree first, and
 * every mapping of the writer's old view of that cluster is removed (it mapped
 * the shared one). No per-cluster reference count exists. H knows its two
 * children; when one is destroyed, H is merged into the other, which takes H's
 * place (kernel/mm/vmo_merge.c, decision 172): a chain of fork-and-exit stays
 * one VMO deep and memory both sides had written is freed.
 *
 * Cost. Shrinking, cloning (which removes V's mappings) and destroying (with the
 * merge it causes) are O(mappings + populated windows + clusters), done in
 * bounded units and restarted
 * (decisions 088, 089; the section "restartable work" below). The invocation
 * decoders are in kernel/obj/vmo.c.
 */
#include "obj/vmo.h"

#include "arch.h"
#include "cap/cdt.h"
#include "core/boot.h"
#include "core/bootmem.h"
#include "lib/string.h"
#include "obj/pool.h"
#include "obj/vspace.h"
#include "cap/preempt.h"

static_assert(VM_READ == WF_VM_READ && VM_WRITE == WF_VM_WRITE && VM_EXEC == WF_VM_EXEC,
              "kernel and ABI mapping rights agree");
static_assert(VMO_WIN_SHIFT == PMM_RESV_MAX_SHIFT, "a window is one reservation");
static_assert(VMO_NODE_SLOTS * sizeof(void *) == PAGE_SIZE, "an interior node is a page");
static_assert(VMO_WIN_SHIFT + 9 * VMO_MAX_LEVELS >= WF_VMO_MAX_BITS, "the tree covers a VMO");

#define WIN_BYTES VM_SUPER_SIZE

static unsigned levels_for(uint64_t size)
{
    uint64_t nwin = (size + WIN_BYTES - 1) / WIN_BYTES;
    unsigned l = 0;
    while (nwin > 1) {
        nwin = (nwin + VMO_NODE_SLOTS - 1) / VMO_NODE_SLOTS;
        l++;
    }
    return l;
}

void vmo_init_anon(struct vmo *v, struct pool *p, uint64_t size)
{
    v->pool = p;
    v->kind = VMO_ANON;
    v->size = size;
    v->levels = (uint8_t)levels_for(size);
}

/* --- the tree ---------------------------------------------------------------- */

/* The slot holding window w's pointer, creating interior nodes when create; NULL
 * when absent (or, with *nomem set, when a node could not be allocated). */
struct vmo_window **vmo_win_slot(struct vmo *v, uint64_t w, bool create, bool *nomem)
{
    void **slot = &v->root;
    for (unsigned l = v->levels; l > 0; l--) {
        if (!*slot) {
            if (!create)
                return NULL;
            if (!(*slot = pool_zalloc(v->pool, PAGE_SIZE))) {
                *nomem = true;
                return NULL;
            }
            v->tree_bytes += PAGE_SIZE;
        }
        slot = &((void **)*slot)[(w >> (9 * (l - 1))) & (VMO_NODE_SLOTS - 1)];
    }
    return (struct vmo_window **)slot;
}

struct vmo_window *vmo_window(struct vmo *v, uint64_t w, bool create, bool *nomem)
{
    struct vmo_window **s = vmo_win_slot(v, w, create, nomem);
    if (!s)
        return NULL;
    if (!*s && create) {
        if (!(*s = pool_zalloc(v->pool, sizeof(struct vmo_window))))
            *nomem = true;
        else
            v->tree_bytes += sizeof(struct vmo_window);
    }
    return *s;
}

bool vmo_from_resv(const struct vmo_window *win, unsigned i)
{
    return win->resv.state != PMM_RESV_UNUSED &&
           win->cl[i] == win->resv.base + ((paddr_t)i << CLUSTER_SHIFT);
}

/* A new cluster for index i of window w of v: from the window's reservation
 * (made on the window's first need) or a single cluster. 0: exhausted. */
static paddr_t alloc_cluster(struct vmo *v, struct vmo_window *win, uint64_t w, unsigned i)
{
    if (!win->tried && (w + 1) * WIN_BYTES <= v->size) {
        win->tried = 1;
        if (pool_resv_reserve(v->pool, &win->resv, PMM_RESV_MAX_ORDER, win))
            vm_stats.resv_made++;
        else
            vm_stats.resv_failed++;
    }
    paddr_t pa = pool_resv_take(v->pool, &win->resv, i);
    if (pa)
        return pa;
    pa = pool_alloc(v->pool, 0);
    win->foreign += pa != 0;
    return pa;
}

/* Frees cluster i of win (present). */
static void free_cluster(struct vmo *v, struct vmo_window *win, unsigned i)
{
    if (!vmo_from_resv(win, i))
        win->foreign--;
    pool_free(v->pool, win->cl[i], 0);
    win->cl[i] = 0;
    win->present--;
    v->committed--;
}

/* Frees the clusters of win from index `from` on; the window itself when from
 * is 0 (returns true then). */
bool vmo_free_window(struct vmo *v, struct vmo_window *win, unsigned from)
{
    bool live = pmm_resv_live(&win->resv);
    if (live && from == 0 && win->present == VMO_WIN_CLUSTERS && win->foreign == 0) {
        /* the whole reservation is taken: give it back as one extent */
        pmm_resv_break(v->pool->pm, &win->resv);
        pool_free(v->pool, win->resv.base, PMM_RESV_MAX_ORDER);
        v->committed -= VMO_WIN_CLUSTERS;
        win->present = 0;
    } else {
        if (live) /* a window cut short (or gone) is no superpage candidate */
            pmm_resv_break(v->pool->pm, &win->resv);
        for (unsigned i = from; i < VMO_WIN_CLUSTERS && win->present; i++)
            if (win->cl[i])
                free_cluster(v, win, i);
    }
    if (from)
        return false;
    pool_zfree(v->pool, win, sizeof(*win));
    v->tree_bytes -= sizeof(*win);
    return true;
}

/* True when win holds something at or past index from: a cluster, or a live
 * reservation that a cut must break. */
bool vmo_window_has_from(const struct vmo_window *win, unsigned from)
{
    if (pmm_resv_live(&win->resv))
        return true;
    for (unsigned i = from; i < VMO_WIN_CLUSTERS && win->present; i++)
        if (win->cl[i])
            return true;
    return false;
}

/* A unit of restartable work is about to be done: true when it must stop
 * instead. *paid: the caller's own preemption point paid for one unit already
 * (a deletion step), which is used first. NULL: not preemptible (kernel callers). */
bool vmo_stop(bool *paid)
{
    if (!paid)
        return false;
    if (*paid) {
        *paid = false;
        return false;
    }
    return preempt_point();
}

/* Frees every window at or past window index `first` (the cluster of `first_ci`
 * on) below the node at *slot of the given level covering windows from base,
 * with a vmo_stop() before each window and each interior node freed; returns false
 * when it stopped there. The tree itself is the progress:
 * a repeated call skips what is gone, so its walk is at most one node per
 * level. */
bool vmo_free_subtree(struct vmo *v, void **slot, unsigned level, uint64_t base, uint64_t first_ci,
                      bool *paid)
{
    if (!*slot)
        return true;
    uint64_t first_w = first_ci / VMO_WIN_CLUSTERS;
    if (level == 0) {
        unsigned from = base == first_w ? (unsigned)(first_ci % VMO_WIN_CLUSTERS) : 0;
        if (from && !vmo_window_has_from(*slot, from))
            return true;
        if (vmo_stop(paid))
            return false;
        if (vmo_free_window(v, *slot, from))
            *slot = NULL;
        return true;
    }
    uint64_t span = 1ull << (9 * (level - 1));
    void **node = *slot;
    bool empty = true;
    for (unsigned k = 0; k < VMO_NODE_SLOTS; k++) {
        uint64_t b = base + k * span;
        if (node[k] && b + span > first_w &&
            !vmo_free_subtree(v, &node[k], level - 1, b, first_ci, paid))
            return false;
        empty &= node[k] == NULL;
    }
    if (empty) {
        if (vmo_stop(paid))
            return false;
        pool_zfree(v->pool, node, PAGE_SIZE);
        v->tree_bytes -= PAGE_SIZE;
        *slot = NULL;
    }
    return true;
}

/* The cluster ci as v sees it: v's own (*own true) or an ancestor's; 0 if none. */
static paddr_t find_cluster(struct vmo *v, uint64_t ci, bool *own)
{
    uint64_t w = ci / VMO_WIN_CLUSTERS;
    unsigned i = ci % VMO_WIN_CLUSTERS;
    *own = true;
    for (struct vmo *a = v; a; a = a->parent) {
        bool nomem = false;
        struct vmo_window *win = vmo_window(a, w, false, &nomem);
        if (win && win->cl[i])
            return win->cl[i];
        if ((ci << CLUSTER_SHIFT) >= a->parent_limit)
            break;
        *own = false;
    }
    return 0;
}

/* The addresses [*s, *e) where region r shows its VMO's offsets [off, end):
 * false when none. */
static bool region_span(const struct vm_region *r, uint64_t off, uint64_t end, vaddr_t *s,
                        vaddr_t *e)
{
    uint64_t rend = r->offset + (r->end - r->start);
    uint64_t from = MAX(off, r->offset), to = MIN(end, rend);
    *s = r->start + (from - r->offset);
    *e = r->start + (to - r->offset);
    return from < to;
}

/* Removes region r's mappings of its VMO's offsets [off, end). */
static void zap_region(struct vm_region *r, uint64_t off, uint64_t end)
{
    vaddr_t s, e;
    if (region_span(r, off, end, &s, &e))
        vspace_region_zap(r, s, e);
}

/* Removes every mapping of v's offsets [off, end) (one cluster's: O(mappings)). */
static void zap(struct vmo *v, uint64_t off, uint64_t end)
{
    for (struct vm_region *r = v->maps; r; r = r->vmo_next)
        zap_region(r, off, end);
}

enum vm_fault_result vmo_get_cluster(struct vmo *v, uint64_t ci, bool write, paddr_t *pa,
                                     bool *writable)
{
    if ((ci << CLUSTER_SHIFT) >= v->size)
        return VM_FAULT_UNMAPPED;
    *writable = true;
    if (v->kind == VMO_PHYS) {
        *pa = v->phys + (ci << CLUSTER_SHIFT);
        return VM_FAULT_RESOLVED;
    }
    bool own;
    paddr_t shared = find_cluster(v, ci, &own);
    if (shared && (own || !write)) {
        *pa = shared;
        *writable = own;
        return VM_FAULT_RESOLVED;
    }
    uint64_t w = ci / VMO_WIN_CLUSTERS;
    unsigned i = ci % VMO_WIN_CLUSTERS;
    bool nomem = false;
    struct vmo_window *win = vmo_window(v, w, true, &nomem);
    paddr_t npa = win ? alloc_cluster(v, win, w, i) : 0;
    if (!npa)
        return VM_FAULT_NOMEM;
    if (shared) {
        arch_phys_copy(npa, shared, CLUSTER_SIZE);
        vm_stats.cow_copies++;
        zap(v, ci << CLUSTER_SHIFT, (ci + 1) << CLUSTER_SHIFT);
    } else {
        arch_phys_zero(npa, CLUSTER_SIZE);
        vm_stats.zero_fills++;
    }
    win->cl[i] = npa;
    win->present++;
    v->committed++;
    *pa = npa;
    return VM_FAULT_RESOLVED;
}

paddr_t vmo_super_pa(struct vmo *v, uint64_t ci)
{
    if (v->kind == VMO_PHYS || v->kind == VMO_HIDDEN)
        return 0;
    bool nomem = false;
    struct vmo_window *win = vmo_window(v, ci / VMO_WIN_CLUSTERS, false, &nomem);
    if (!win || win->present != VMO_WIN_CLUSTERS || win->foreign || !pmm_resv_full(&win->resv))
        return 0;
    return win->resv.base;
}

/* --- kernel-side copies ---------------------------------------------------------- */

/* Copies len bytes between v at offset and buf: into v when to_vmo. */
static enum wf_error vmo_copy(struct vmo *v, uint64_t offset, void *buf, size_t len, bool to_vmo)
{
    if (offset > v->size || len > v->size - offset)
        return WF_ERR_RANGE_ERROR;
    char *b = buf;
    while (len) {
        uint64_t ci = offset >> CLUSTER_SHIFT, in = offset & (CLUSTER_SIZE - 1);
        size_t n = (size_t)MIN((uint64_t)len, CLUSTER_SIZE - in);
        paddr_t pa;
        bool own;
        if (to_vmo) {
            if (vmo_get_cluster(v, ci, true, &pa, &own) != VM_FAULT_RESOLVED)
                return WF_ERR_NOT_ENOUGH_MEMORY;
            memcpy((char *)phys_to_virt(pa) + in, b, n);
        } else if (v->kind == VMO_PHYS) {
            memcpy(b, (char *)phys_to_virt(v->phys + offset), n);
        } else if ((pa = find_cluster(v, ci, &own)) != 0) {
            memcpy(b, (char *)phys_to_virt(pa) + in, n);
        } else {
            memset(b, 0, n);
        }
        b += n;
        offset += n;
        len -= n;
    }
    return WF_ERR_OK;
}

enum wf_error vmo_write(struct vmo *v, uint64_t offset, const void *src, size_t len)
{
    return vmo_copy(v, offset, (void *)(uintptr_t)src, len, true);
}

enum wf_error vmo_read(struct vmo *v, uint64_t offset, void *dst, size_t len)
{
    return vmo_copy(v, offset, dst, len, false);
}

/* --- life ---------------------------------------------------------------------------- */

static void destroy_one(struct vmo *v)
{
    struct pool *p = v->pool;
    while (v->maps)
        vspace_region_remove(v->maps);
    if (v->kind == VMO_PHYS) {
        if (v->owns_phys)
            pool_free(p, v->phys, pool_order_for(v->size));
    } else {
        vmo_free_subtree(v, &v->root, v->levels, 0, 0, NULL);
    }
    assert(v->committed == 0 && v->tree_bytes == 0);
    pool_zfree(p, v, sizeof(*v));
    pool_object_gone(p);
}

/* --- restartable work (decision 088) ----------------------------------------------------
 *
 * Shrinking, cloning and destroying cost O(mappings + their populated windows +
 * clusters). Each is a loop of units with a preemption point before each
 * (cap/preempt.h): clearing one 2 MiB window of one region's entries (or 512
 * steps over missing ones: arch_pt_unmap_some), freeing one window or one
 * interior node. The progress is in the VMO: `pending` names the operation under
 * way, zap_next the next mapping to clear of [zap_from, zap_to) and zap_at the
 * cursor in it (regions mapped later are linked before it and need no clearing;
 * region_unlink moves it on; a region split off another follows it, so the walk
 * reaches it when it had not finished the other), and the tree itself shows what
 * is left to free. A region being removed carries its own progress
 * (vspace_region_remove_some). The re-executed invocation continues from there.
 *  - A shrink sets the new size first (faults past it are refused, so no new
 *    mapping appears there), then clears the mappings, then frees the tree past
 *    the new size. Any later Resize, Clone or destruction finishes it first.
 *  - A clone moves v's tree to the hidden VMO and makes the clone first (O(1)),
 *    then clears v's old mappings; the clone's cap is placed only when none is
 *    left, so nothing observes the clone while a stale writable mapping of v could
 *    still change the memory they share. A clone whose invocation is not
 *    re-executed is dropped by the next operation on v (O(1): its tree is empty).
 *  - Destruction (vmo_teardown, from the deletion of the last cap) removes the
 *    regions, then frees the tree, and that of each ancestor dying with it;
 *    the first ancestor that keeps a child is merged into it, a window per
 *    unit (vmo_merge_some: its tree is the progress). vmo_destroy then frees
 *    the objects and puts the child in the emptied ancestor's place (O(1)).
 */

/* Clears the mappings still to clear, a region's 2 MiB window per unit (zap_at in
 * zap_next is the cursor): false when stopped. */
static bool zap_pending(struct vmo *v, bool *paid)
{
    while (v->zap_next) {
        if (vmo_stop(paid))
            return false;
        struct vm_region *r = v->zap_next;
        vaddr_t s, e;
        if (region_span(r, v->zap_from, v->zap_to, &s, &e)) {
            v->zap_at = MAX(v->zap_at, s);
            if (!vspace_region_zap_some(r, &v->zap_at, e))
                continue;
        }
        v->zap_next = r->vmo_next;
        v->zap_at = 0;
    }
    return true;
}

/* In h's place under h's parent, replaces old by new (NULL: old is gone). */
static void child_replace(struct vmo *h, struct vmo *old, struct vmo *new)
{
    if (!h)
        return;
    unsigned k = h->child[0] == old ? 0 : 1;
    assert(h->child[k] == old);
    h->child[k] = new;
}

/* The hidden VMO h lost a child and has one left, t. When the merge (run by the
 * teardown of the one that went) left h empty, t takes h's place under h's
 * parent, seeing no more of it than it saw through h, and h is freed. O(1): a
 * merge that could not finish leaves h as it is. */
static void merge_finish(struct vmo *h)
{
    struct vmo *t = h->child[0] ? h->child[0] : h->child[1];
    assert(h->kind == VMO_HIDDEN && h->children == 1 && t && t->parent == h);
    if (h->root || t->dying)
        return;
    child_replace(h->parent, h, t);
    t->parent = h->parent;
    t->parent_limit = MIN(t->parent_limit, h->parent_limit);
    h->child[0] = h->child[1] = NULL;
    h->children = 0;
    vm_stats.merges++;
    destroy_one(h);
}

/* Drops a clone that never got its cap (its tree is empty: O(1)). v, alone
 * under the hidden VMO again, takes its tree back when it has none of its own
 * yet (O(1)); else the hidden VMO stays above it. */
static void abandon_clone(struct vmo *v)
{
    struct vmo *c = v->clone, *h = c->parent;
    struct pool *cp = c->pool;
    assert(v->pending == VMO_PENDING_CLONE && !c->root && !c->maps && v->parent == h);
    v->clone = NULL;
    v->zap_next = NULL;
    v->zap_at = 0;
    v->pending = VMO_PENDING_NONE;
    child_replace(h, c, NULL);
    h->children--; /* v remains */
    pool_zfree(cp, c, sizeof(*c));
    pool_object_gone(cp);
    if (!v->root && v->levels == h->levels) {
        vmo_merge_some(h, v, NULL);
        merge_finish(h);
    }
}

/* Finishes a pending shrink: WF_ERR_OK or WF_ERR_PREEMPTED. */
static enum wf_error finish_shrink(struct vmo *v)
{
    bool paid = false;
    if (!zap_pending(v, &paid) || !vmo_free_subtree(v, &v->root, v->levels, 0, v->trim_ci, &paid))
        return WF_ERR_PREEMPTED;
    v->pending = VMO_PENDING_NONE;
    return WF_ERR_OK;
}

/* Settles v's pending operation before another starts: a shrink is finished, a
 * clone without its cap dropped. */
static enum wf_error settle(struct vmo *v)
{
    if (v->pending == VMO_PENDING_CLONE)
        abandon_clone(v);
    return v->pending == VMO_PENDING_SHRINK ? finish_shrink(v) : WF_ERR_OK;
}

enum wf_error vmo_teardown(struct vmo *v)
{
    bool paid = true; /* by the deletion step that calls us */
    v->dying = true;
    if (v->pending == VMO_PENDING_CLONE)
        abandon_clone(v);
    v->pending = VMO_PENDING_NONE;
    v->zap_next = NULL;
    v->zap_at = 0;
    while (v->maps) {
        if (vmo_stop(&paid))
            return WF_ERR_PREEMPTED;
        vspace_region_remove_some(v->maps);
    }
    struct vmo *a = v;
    for (;; a = a->parent) {
        if (a->kind != VMO_PHYS && !vmo_free_subtree(a, &a->root, a->levels, 0, 0, &paid))
            return WF_ERR_PREEMPTED;
        if (!a->parent || a->parent->children > 1)
            break;
    }
    /* a's parent keeps one child, a's sibling: it is merged into that child */
    struct vmo *h = a->parent;
    if (h && !vmo_merge_some(h, h->child[0] == a ? h->child[1] : h->child[0], &paid))
        return WF_ERR_PREEMPTED;
    return WF_ERR_OK;
}

void vmo_destroy(struct vmo *v)
{
    if (v->pending == VMO_PENDING_CLONE)
        abandon_clone(v);
    for (;;) {
        struct vmo *parent = v->parent;
        child_replace(parent, v, NULL);
        destroy_one(v);
        if (!parent)
            return;
        if (--parent->children > 0) {
            merge_finish(parent);
            return;
        }
        v = parent;
    }
}

enum wf_error vmo_phys_take(struct vmo_phys_op *op)
{
    op->v = pool_zalloc(pool_from_cap(op->pool_slot->cap), sizeof(struct vmo));
    return op->v ? WF_ERR_OK : WF_ERR_NOT_ENOUGH_MEMORY;
}

void vmo_phys_invoke(const struct vmo_phys_op *op)
{
    struct pool *p = pool_from_cap(op->pool_slot->cap);
    struct vmo *v = op->v;
    v->pool = p;
    v->kind = VMO_PHYS;
    v->size = op->size;
    v->phys = op->pa;
    v->owns_phys = op->owns_phys;
    v->device = op->device;
    pool_object_made(p);
    cdt_insert_new(op->pool_slot, op->dest,
                   cap_object_new(CAP_VMO, v, WF_RIGHT_READ | WF_RIGHT_WRITE, 0));
}

enum wf_error vmo_create_phys(struct slot *pool_slot, paddr_t pa, uint64_t size, struct slot *dest)
{
    assert(pool_from_cap(pool_slot->cap) && slot_is_empty(dest));
    if (!IS_ALIGNED(pa | size, PAGE_SIZE) || size == 0)
        return WF_ERR_ALIGNMENT_ERROR;
    struct vmo_phys_op op = {.pool_slot = pool_slot, .dest = dest, .pa = pa, .size = size};
    enum wf_error e = vmo_phys_take(&op);
    if (e == WF_ERR_OK)
        vmo_phys_invoke(&op);
    return e;
}

/* True when [pa, pa + size) meets no range of the boot map but reserved ones. */
static bool device_range_ok(paddr_t pa, uint64_t size)
{
    const struct bootmem *bm = &boot_memory; /* core/boot.h */
    for (unsigned i = 0; i < bm->n; i++) {
        const struct bootmem_region *r = &bm->r[i];
        if (r->type != BOOTMEM_RESERVED && r->base < pa + size && pa < r->base + r->size)
            return false;
    }
    return true;
}

enum wf_error vmo_device_decode(struct slot *pool_slot, struct cap ut, struct slot *dest,
                                struct vmo_phys_op *op)
{
    struct pool *p = pool_from_cap(pool_slot->cap);
    assert(slot_is_empty(dest));
    if (!p || !slot_revocable(pool_slot) || p->dead || cap_type(ut) != CAP_UNTYPED ||
        !cap_untyped_is_device(ut))
        return WF_ERR_ILLEGAL_OPERATION;
    *op = (struct vmo_phys_op){.pool_slot = pool_slot,
                               .dest = dest,
                               .pa = cap_untyped_paddr(ut),
                               .size = 1ull << cap_untyped_size_bits(ut),
                               .device = true};
    if (op->size < PAGE_SIZE)
        return WF_ERR_RANGE_ERROR;
    if (!device_range_ok(op->pa, op->size))
        return WF_ERR_INVALID_ARGUMENT;
    return vmo_phys_take(op);
}

enum wf_error vmo_create_device(struct slot *pool_slot, struct cap ut, struct slot *dest)
{
    struct vmo_phys_op op;
    enum wf_error e = vmo_device_decode(pool_slot, ut, dest, &op);
    if (e == WF_ERR_OK)
        vmo_phys_invoke(&op);
    return e;
}

/* Makes v's view of the cluster holding byte `size - 1` its own with the bytes
 * from size to the cluster's end zeroed (a shrink to a size inside a cluster).
 * False when memory is exhausted. */
static bool own_tail(struct vmo *v, uint64_t size)
{
    uint64_t in = size & (CLUSTER_SIZE - 1);
    if (!in)
        return true;
    bool own;
    uint64_t ci = size >> CLUSTER_SHIFT;
    if (!find_cluster(v, ci, &own))
        return true;
    paddr_t pa;
    if (vmo_get_cluster(v, ci, true, &pa, &own) != VM_FAULT_RESOLVED)
        return false;
    arch_phys_zero(pa + in, CLUSTER_SIZE - in);
    return true;
}

/* Grows the tree to `levels` (nodes allocated first: false when impossible). */
static bool grow_levels(struct vmo *v, unsigned levels)
{
    void *nodes[VMO_MAX_LEVELS];
    unsigned n = levels - v->levels;
    for (unsigned k = 0; k < n; k++) {
        if (!(nodes[k] = pool_zalloc(v->pool, PAGE_SIZE))) {
            while (k--)
                pool_zfree(v->pool, nodes[k], PAGE_SIZE);
            return false;
        }
    }
    for (unsigned k = 0; k < n; k++) {
        if (v->root) {
            ((void **)nodes[k])[0] = v->root;
            v->root = nodes[k];
            v->tree_bytes += PAGE_SIZE;
        } else {
            pool_zfree(v->pool, nodes[k], PAGE_SIZE);
        }
    }
    v->levels = (uint8_t)levels;
    return true;
}

enum wf_error vmo_resize(struct vmo *v, uint64_t size)
{
    enum wf_error e = settle(v);
    if (e != WF_ERR_OK)
        return e;
    if (size < v->size) {
        if (!own_tail(v, size))
            return WF_ERR_NOT_ENOUGH_MEMORY;
        v->zap_from = ALIGN_UP(size, PAGE_SIZE);
        v->zap_to = v->size;
        v->zap_next = v->maps;
        v->zap_at = 0;
        v->trim_ci = (size + CLUSTER_SIZE - 1) >> CLUSTER_SHIFT;
        v->parent_limit = MIN(v->parent_limit, size);
        v->size = size;
        v->pending = VMO_PENDING_SHRINK;
        return finish_shrink(v);
    }
    if (levels_for(size) > v->levels && !grow_levels(v, levels_for(size)))
        return WF_ERR_NOT_ENOUGH_MEMORY;
    v->size = size;
    return WF_ERR_OK;
}

static void init_child(struct vmo *c, struct vmo *h, uint64_t size, enum vmo_kind kind)
{
    c->kind = (uint8_t)kind;
    c->size = size;
    c->levels = (uint8_t)levels_for(size);
    c->root = NULL;
    c->committed = 0;
    c->parent = h;
    c->parent_limit = size;
}

enum wf_error vmo_clone_decode(struct vmo *v, struct slot *pool_slot, struct slot *dest,
                               struct vmo_clone_op *op)
{
    struct pool *cp = pool_from_cap(pool_slot->cap);
    assert(cp && slot_is_empty(dest));
    if (v->kind == VMO_PHYS || v->kind == VMO_HIDDEN || !slot_revocable(pool_slot) || cp->dead)
        return WF_ERR_ILLEGAL_OPERATION;
    if (v->pending == VMO_PENDING_CLONE && v->clone->pool != cp)
        abandon_clone(v);
    enum wf_error e = v->pending == VMO_PENDING_SHRINK ? finish_shrink(v) : WF_ERR_OK;
    if (e != WF_ERR_OK)
        return e;
    *op = (struct vmo_clone_op){.v = v, .pool_slot = pool_slot, .dest = dest};
    if (v->pending == VMO_PENDING_CLONE) /* under way: continues, needs nothing */
        return WF_ERR_OK;
    op->h = pool_zalloc(v->pool, sizeof(struct vmo));
    op->c = op->h ? pool_zalloc(cp, sizeof(struct vmo)) : NULL;
    if (!op->c) {
        if (op->h)
            pool_zfree(v->pool, op->h, sizeof(struct vmo));
        return WF_ERR_NOT_ENOUGH_MEMORY;
    }
    return WF_ERR_OK;
}

/* The first step of a clone, O(1): the hidden VMO h takes v's tree, v and the
 * clone c become its children, and v's mappings are marked to go. */
static void clone_start(struct vmo *v, struct vmo *h, struct vmo *c, struct pool *cp)
{
    *h = *v;
    h->kind = VMO_HIDDEN;
    h->maps = NULL;
    h->children = 2;
    h->child[0] = v;
    h->child[1] = c;
    child_replace(h->parent, v, h);
    memset(&h->copy, 0, sizeof(h->copy));
    c->pool = cp;
    init_child(v, h, v->size, (enum vmo_kind)v->kind);
    v->tree_bytes = 0;
    init_child(c, h, v->size, VMO_CLONE);
    pool_object_made(v->pool);
    pool_object_made(cp);
    /* v's mappings show clusters that are shared now: they go before the clone
     * can be seen */
    v->pending = VMO_PENDING_CLONE;
    v->clone = c;
    v->zap_from = 0;
    v->zap_to = v->size;
    v->zap_next = v->maps;
    v->zap_at = 0;
}

enum wf_error vmo_clone_invoke(const struct vmo_clone_op *op)
{
    struct vmo *v = op->v;
    if (op->h)
        clone_start(v, op->h, op->c, pool_from_cap(op->pool_slot->cap));
    assert(v->pending == VMO_PENDING_CLONE);
    bool paid = false;
    if (!zap_pending(v, &paid))
        return WF_ERR_PREEMPTED;
    struct vmo *c = v->clone;
    v->clone = NULL;
    v->pending = VMO_PENDING_NONE;
    cdt_insert_new(op->pool_slot, op->dest,
                   cap_object_new(CAP_VMO, c, WF_RIGHT_READ | WF_RIGHT_WRITE, 0));
    return WF_ERR_OK;
}

enum wf_error vmo_clone(struct vmo *v, struct slot *pool_slot, struct slot *dest)
{
    struct vmo_clone_op op;
    enum wf_error e = vmo_clone_decode(v, pool_slot, dest, &op);
    return e == WF_ERR_OK ? vmo_clone_invoke(&op) : e;
}

bool vmo_visible(struct vmo *v, uint64_t ci)
{
    bool own;
    return v->kind == VMO_PHYS || find_cluster(v, ci, &own) != 0;
}
