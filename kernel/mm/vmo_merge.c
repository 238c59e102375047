/*
 * Merging a hidden VMO into its last child (decision 172; Zircon merges its
 * hidden VMOs the same way).
 *
 * Cloning V makes a hidden VMO H that holds V's tree, with V and the clone C as
 * its two children (kernel/mm/vmo_mem.c, "Clones"). When one of them is
 * destroyed, H is left with one child T, and H's clusters are of use to T alone:
 * those T has not shadowed (written after the clone) and that lie below T's
 * parent_limit are what T sees through H, the others nobody sees. The merge
 * moves the first into T's tree at the same offset (a clone's offsets are its
 * parent's) and frees the second; then T takes H's place under H's parent and H
 * is freed (vmo_mem.c, merge_finish). Without it memory both sides had written
 * stayed allocated until H went, and each fork-and-exit deepened every lookup
 * by one VMO.
 *
 * A window of H at a time (one unit of work):
 *  - wholly at or past T's limit: freed;
 *  - T has no window there and is charged to H's pool: the window itself moves
 *    into T's tree, its reservation with it (a window H held complete is one T
 *    can map by a superpage), and its clusters past the limit are freed;
 *  - otherwise cluster by cluster: one T holds already, or past the limit, is
 *    freed; any other moves into T's window. When T is charged to another pool
 *    (a clone made from a child pool), the moved clusters' charge moves with
 *    them, H's pool and its ancestors uncharged, T's charged, a window at a
 *    time. H's window is freed right after, its reservation broken, so a moved
 *    cluster is an ordinary allocation T frees to the instance both pools
 *    draw from.
 * When T holds no tree at all and is charged to H's pool, it takes H's whole
 * tree instead, once H's clusters past the limit are freed (the tree is the
 * progress of that freeing too).
 *
 * Mappings. No cluster a VSpace maps is freed: with the sibling's mappings and
 * tree gone, a mapping of one of H's clusters belongs to T or to a clone below
 * T, and shows it only where T holds none and below T's limit (the lookup rule,
 * find_cluster in vmo_mem.c), which are exactly the clusters that move. A moved
 * cluster stays mapped read-only where it was; T's next write to it faults,
 * finds it T's own (vmo_get_cluster) and maps it writable: no copy, and no walk
 * over T's mappings at merge time.
 *
 * When and cost. The merge runs inside the teardown of the destroyed sibling
 * (vmo_teardown, after its mappings and tree are gone), with a preemption point
 * before each window and each interior node freed; the re-executed deletion
 * continues it (decision 088), H's tree showing what is left. O(windows of H +
 * clusters in the windows both hold) <= O(clusters of H), and nothing else:
 * vmo_destroy's part is O(1).
 *
 * When it cannot go on, it stops where it is (each step done is complete and
 * correct) and H stays above T with one child, what it keeps still shown to T:
 * T is being destroyed as well (H goes with it); T's pool draws from another
 * root pool's memory (a cluster cannot change instances); T's quota cannot take
 * a window's charge, or T's tree cannot get a node. Also when the teardown
 * that merged H saw H get clusters again before the sibling was freed (H's own
 * parent merging into it meanwhile): vmo_destroy does no unbounded work, so H
 * stays. Locking: the big lock.
 */
#include "obj/vmo.h"

#include "obj/pool.h"

/* Moves the charge of bytes from pool `from` (and its ancestors) to `to` (and
 * its): false, with nothing changed, when to's quotas cannot take it. */
static bool move_charge(struct pool *from, struct pool *to, uint64_t bytes)
{
    if (from == to || bytes == 0)
        return true;
    pool_uncharge(from, bytes);
    if (pool_charge(to, bytes))
        return true;
    bool back = pool_charge(from, bytes); /* what was just uncharged fits again */
    assert(back);
    (void)back;
    return false;
}

/* Moves cluster i of h's window hw into t's window tw (where t has none). */
static void move_cluster(struct vmo *h, struct vmo_window *hw, struct vmo *t, struct vmo_window *tw,
                         unsigned i)
{
    tw->cl[i] = hw->cl[i];
    tw->present++;
    tw->foreign += !vmo_from_resv(tw, i);
    t->committed++;
    hw->foreign -= !vmo_from_resv(hw, i);
    hw->cl[i] = 0;
    hw->present--;
    h->committed--;
    vm_stats.merge_moves++;
}

/* Merges window w of h (in *hs) into t, whose first `lim` clusters see h; *hs
 * is NULL after. False when t cannot take it (no tree node or window, or no
 * quota): nothing moved then. */
static bool merge_window(struct vmo *h, struct vmo *t, uint64_t w, struct vmo_window **hs,
                         uint64_t lim)
{
    struct vmo_window *hw = *hs;
    uint64_t first = w * VMO_WIN_CLUSTERS;
    unsigned seen = lim > first ? (unsigned)MIN(lim - first, (uint64_t)VMO_WIN_CLUSTERS) : 0;
    if (seen) {
        bool nomem = false;
        struct vmo_window **ts = vmo_win_slot(t, w, true, &nomem);
        if (!ts)
            return false;
        if (!*ts && t->pool == h->pool) { /* the window moves whole */
            *ts = hw;
            *hs = NULL;
            h->committed -= hw->present;
            t->committed += hw->present;
            h->tree_bytes -= sizeof(*hw);
            t->tree_bytes += sizeof(*hw);
            vm_stats.merge_moves += hw->present;
            if (seen < VMO_WIN_CLUSTERS && vmo_window_has_from(hw, seen))
                vmo_free_window(t, hw, seen);
            return true;
        }
        struct vmo_window *tw = vmo_window(t, w, true, &nomem);
        if (!tw)
            return false;
        unsigned n = 0;
        for (unsigned i = 0; i < seen && tw->present < VMO_WIN_CLUSTERS; i++)
            n += hw->cl[i] && !tw->cl[i];
        if (n) {
            if (!move_charge(h->pool, t->pool, (uint64_t)n << CLUSTER_SHIFT))
                return false;
            for (unsigned i = 0; i < seen; i++)
                if (hw->cl[i] && !tw->cl[i])
                    move_cluster(h, hw, t, tw, i);
        }
    }
    /* what t shadows or cannot see, and the window; its reservation is broken
     * (it is no longer whole), so the moved clusters are ordinary allocations */
    vmo_free_window(h, hw, 0);
    *hs = NULL;
    return true;
}

enum merge_result { MERGE_DONE, MERGE_STOPPED, MERGE_STUCK };

/* Merges the windows below the node at *slot (of the given level, covering
 * windows from base) into t, freeing h's nodes as they empty, with a
 * vmo_stop() before each window and each node freed. A repeated call skips
 * what is gone (as vmo_free_subtree). */
static enum merge_result merge_subtree(struct vmo *h, struct vmo *t, void **slot, unsigned level,
                                       uint64_t base, uint64_t lim, bool *paid)
{
    if (!*slot)
        return MERGE_DONE;
    if (level == 0) {
        if (vmo_stop(paid))
            return MERGE_STOPPED;
        return merge_window(h, t, base, (struct vmo_window **)slot, lim) ? MERGE_DONE : MERGE_STUCK;
    }
    uint64_t span = 1ull << (9 * (level - 1));
    void **node = *slot;
    for (unsigned k = 0; k < VMO_NODE_SLOTS; k++) {
        if (!node[k]) /* most slots of a sparse tree: no call */
            continue;
        enum merge_result r = merge_subtree(h, t, &node[k], level - 1, base + k * span, lim, paid);
        if (r != MERGE_DONE)
            return r;
    }
    if (vmo_stop(paid))
        return MERGE_STOPPED;
    pool_zfree(h->pool, node, PAGE_SIZE);
    h->tree_bytes -= PAGE_SIZE;
    *slot = NULL;
    return MERGE_DONE;
}

bool vmo_merge_some(struct vmo *h, struct vmo *t, bool *paid)
{
    assert(h->kind == VMO_HIDDEN && t->parent == h);
    if (t->dying || t->pool->pm != h->pool->pm)
        return true;
    uint64_t lim = (t->parent_limit + CLUSTER_SIZE - 1) >> CLUSTER_SHIFT;
    if (!t->root && t->pool == h->pool && t->levels == h->levels) {
        /* t has nothing of its own: it takes h's tree, less what it cannot see
         * (nothing when its limit is past h's end: no walk then) */
        if (t->parent_limit < h->size && !vmo_free_subtree(h, &h->root, h->levels, 0, lim, paid))
            return false;
        t->root = h->root;
        t->committed = h->committed;
        t->tree_bytes = h->tree_bytes;
        vm_stats.merge_moves += h->committed;
        h->root = NULL;
        h->committed = 0;
        h->tree_bytes = 0;
        return true;
    }
    return merge_subtree(h, t, &h->root, h->levels, 0, lim, paid) != MERGE_STOPPED;
}
