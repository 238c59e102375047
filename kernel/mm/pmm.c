/*
 * The physical memory manager: page-clustered buddy extents and reservations.
 *
 * Page clustering (docs/architecture.md, Memory; Telix; Navarro et al., "Practical,
 * transparent operating system support for superpages", OSDI 2002) makes the kernel's
 * allocation unit a cluster of 2^CLUSTER_ORDER MMU pages. Free memory is a set of
 * power-of-2-sized, size-aligned extents of clusters, kept as in a binary buddy
 * system: allocating splits the smallest sufficient extent, freeing merges an extent
 * with its buddy while the buddy is free.
 *
 * No per-page array. Linux keeps a struct page per 4 KiB (16 MiB per GiB) and finds
 * a buddy by indexing that array. Here each free extent is a node of a balanced
 * binary tree (one AVL tree per order, keyed by address; the kernel's AVL tree,
 * kernel/lib/avl.c) and the node is written in the first bytes of the free extent
 * itself, reached through the direct map. Finding a buddy is a lookup in the tree
 * of its order: O(log n) in the number of free extents n. The instance's own
 * structure is a fixed few hundred bytes, so the
 * bookkeeping grows with fragmentation (free extents and reservations), never with
 * RAM: one boot extent of 1 GiB costs one 40-byte node.
 *
 * Reservations (Navarro; FreeBSD vm_reserv). A VMO window reserves an aligned
 * superpage-sized extent at its first fault and takes clusters from it as it faults;
 * once every cluster is taken the window can be mapped by one superpage entry. The
 * record of a reservation (its base, a bitmap of taken clusters, tree and list links)
 * is provided by the owner, so its cost is proportional to the number of
 * reservations and is paid by the object that benefits. Untaken clusters are in no
 * free tree, so nobody else can allocate them. Live reservations sit in a tree by
 * address (a free of a taken cluster returns it to its reservation, as in FreeBSD)
 * and those with untaken clusters in an LRU list ordered by last growth. When no free
 * extent can serve an allocation, the least recently grown reservation that holds an
 * untaken aligned extent of the wanted order is broken: its untaken clusters become
 * free extents and its owner finds it BROKEN. Only the first PMM_RECLAIM_SCAN entries
 * are examined, which keeps every operation O(log n).
 *
 * Invariants (checked by pmm_verify):
 *  - every free extent is aligned to its size, lies inside one owned range, and is in
 *    the tree of its order; free extents are disjoint and never overlap a reservation;
 *  - no free extent has a free buddy of the same order (coalescing is complete), so
 *    the free set has exactly one representation and the per-order counts after
 *    freeing everything equal those at boot;
 *  - free_bytes, free_extents, free_count[], untaken_bytes and resv_live match the
 *    structures; the LRU list holds exactly the live reservations with untaken
 *    clusters, least recently grown first.
 *
 * Policy, for determinism: an allocation takes the lowest-addressed extent of the
 * smallest sufficient order and keeps the lower half at each split. The same
 * sequence of calls always gives the same addresses.
 */
#include "mm/pmm.h"
#include "arch.h"
#include "panic.h"

#define U(x) ((unsigned long long)(x))

/* The node written at the start of every free extent: its key is the extent's
 * address, which is the node's own (a node whose key is not is damaged). */
struct pmm_free {
    struct avl_node node;
};

static_assert(sizeof(struct pmm_free) <= PAGE_SIZE, "a free node fits in one cluster");
static_assert(PMM_RESV_MAX_ORDER < 16, "ntaken counts at most 2^15 clusters");
static_assert(PMM_ORDERS <= 64, "orders fit a word");

/* --- Free extents ----------------------------------------------------------------
 * One AVL tree per order (lib/avl.h), keyed by address. */

static paddr_t node_pa(const struct avl_node *n)
{
    return n->key;
}

static void free_insert(struct pmm *pm, paddr_t pa, unsigned order)
{
    struct pmm_free *f = phys_to_virt(pa);
    f->node.key = pa;
    avl_insert(&pm->free_tree[order], &f->node);
    pm->free_count[order]++;
    pm->free_extents++;
    pm->free_bytes += pmm_order_bytes(order);
}

static void free_remove(struct pmm *pm, struct avl_node *n, unsigned order)
{
    avl_remove(&pm->free_tree[order], n);
    n->key = 0; /* no longer a free node: never read again (a debugging aid) */
    pm->free_count[order]--;
    pm->free_extents--;
    pm->free_bytes -= pmm_order_bytes(order);
}

/* Makes [pa, pa + 2^order clusters) free, merging with free buddies. */
static void free_extent(struct pmm *pm, paddr_t pa, unsigned order)
{
    while (order + 1 < PMM_ORDERS) {
        paddr_t buddy = pa ^ pmm_order_bytes(order);
        struct avl_node *b = avl_find(&pm->free_tree[order], buddy);
        if (!b)
            break;
        free_remove(pm, b, order);
        pm->n_merge++;
        pa = MIN(pa, buddy);
        order++;
    }
    free_insert(pm, pa, order);
}

/* Takes an extent of this order from the free trees (no reclaim); 0 if none. */
static paddr_t take_free(struct pmm *pm, unsigned order)
{
    unsigned j = order;
    while (j < PMM_ORDERS && !pm->free_tree[j].root)
        j++;
    if (j >= PMM_ORDERS)
        return 0;
    struct avl_node *n = avl_first(&pm->free_tree[j]);
    paddr_t pa = node_pa(n);
    free_remove(pm, n, j);
    while (j > order) {
        j--;
        free_insert(pm, pa + pmm_order_bytes(j), j);
        pm->n_split++;
    }
    return pa;
}

/* --- Owned ranges ---------------------------------------------------------------- */

/* True when [pa, pa + size) lies inside memory pm owns. */
static bool owns(const struct pmm *pm, paddr_t pa, paddr_t size)
{
    unsigned lo = 0, hi = pm->nranges;
    while (lo < hi) { /* first range ending above pa */
        unsigned mid = (lo + hi) / 2;
        if (pm->range[mid].end <= pa)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < pm->nranges && pm->range[lo].base <= pa && pa + size <= pm->range[lo].end;
}

static bool range_insert(struct pmm *pm, paddr_t base, paddr_t end)
{
    unsigned i = 0;
    while (i < pm->nranges && pm->range[i].end <= base)
        i++;
    if (i < pm->nranges && pm->range[i].base < end)
        panic("pmm: range [0x%llx-0x%llx) overlaps [0x%llx-0x%llx) given before", U(base), U(end),
              U(pm->range[i].base), U(pm->range[i].end));
    bool join_prev = i > 0 && pm->range[i - 1].end == base;
    bool join_next = i < pm->nranges && pm->range[i].base == end;
    if (join_prev && join_next) {
        pm->range[i - 1].end = pm->range[i].end;
        for (unsigned j = i; j + 1 < pm->nranges; j++)
            pm->range[j] = pm->range[j + 1];
        pm->nranges--;
    } else if (join_prev) {
        pm->range[i - 1].end = end;
    } else if (join_next) {
        pm->range[i].base = base;
    } else {
        if (pm->nranges == PMM_MAX_RANGES)
            return false;
        for (unsigned j = pm->nranges; j > i; j--)
            pm->range[j] = pm->range[j - 1];
        pm->range[i].base = base;
        pm->range[i].end = end;
        pm->nranges++;
    }
    return true;
}

/* --- Reservations ---------------------------------------------------------------- */

static struct pmm_resv *resv_of(struct avl_node *n)
{
    return n ? container_of(n, struct pmm_resv, link) : NULL;
}

static paddr_t resv_bytes(const struct pmm_resv *r)
{
    return pmm_order_bytes(r->order);
}

/* The live reservation overlapping [pa, pa + size), or NULL. */
static struct pmm_resv *resv_overlapping(const struct pmm *pm, paddr_t pa, paddr_t size)
{
    struct pmm_resv *r = resv_of(avl_floor(&pm->resv_tree, pa + size - 1));
    return r && r->base + resv_bytes(r) > pa ? r : NULL;
}

static void lru_remove(struct pmm *pm, struct pmm_resv *r)
{
    if (!r->in_lru)
        return;
    if (r->lru_prev)
        r->lru_prev->lru_next = r->lru_next;
    else
        pm->lru_head = r->lru_next;
    if (r->lru_next)
        r->lru_next->lru_prev = r->lru_prev;
    else
        pm->lru_tail = r->lru_prev;
    r->lru_prev = r->lru_next = NULL;
    r->in_lru = false;
}

static void lru_append(struct pmm *pm, struct pmm_resv *r)
{
    r->lru_prev = pm->lru_tail;
    r->lru_next = NULL;
    if (pm->lru_tail)
        pm->lru_tail->lru_next = r;
    else
        pm->lru_head = r;
    pm->lru_tail = r;
    r->in_lru = true;
}

/* Mask of bits [lo % 64, lo % 64 + n) in one word, for n < 64 (no word crossing:
 * lo is aligned to n and n is a power of two). */
static uint64_t bits_mask(unsigned lo, unsigned n)
{
    return ((1ull << n) - 1) << (lo % 64);
}

/* True when the n clusters from lo (an aligned power-of-2 group) are all taken
 * (want == true) or all untaken (want == false). */
static bool bits_all(const struct pmm_resv *r, unsigned lo, unsigned n, bool want)
{
    if (n < 64) {
        uint64_t m = bits_mask(lo, n), w = r->taken[lo / 64] & m;
        return want ? w == m : w == 0;
    }
    for (unsigned i = lo / 64; i < (lo + n) / 64; i++)
        if (r->taken[i] != (want ? ~0ull : 0))
            return false;
    return true;
}

static void bits_set(struct pmm_resv *r, unsigned lo, unsigned n, bool value)
{
    if (n < 64) {
        uint64_t m = bits_mask(lo, n);
        r->taken[lo / 64] = value ? r->taken[lo / 64] | m : r->taken[lo / 64] & ~m;
        return;
    }
    for (unsigned i = lo / 64; i < (lo + n) / 64; i++)
        r->taken[i] = value ? ~0ull : 0;
}

/* True when r holds an aligned group of 2^order untaken clusters. */
static bool resv_can_serve(const struct pmm_resv *r, unsigned order)
{
    if (order > r->order)
        return false;
    unsigned n = pmm_resv_clusters(r), g = 1u << order;
    if (g >= 64) {
        for (unsigned lo = 0; lo < n; lo += g)
            if (bits_all(r, lo, g, false))
                return true;
        return false;
    }
    uint64_t starts = ~0ull / ((1ull << g) - 1); /* a bit at every multiple of g */
    for (unsigned i = 0; i < (n + 63) / 64; i++) {
        uint64_t x = r->taken[i] | (n < 64 ? ~0ull << n : 0);
        for (unsigned s = 1; s < g; s <<= 1)
            x |= x >> s; /* bit j: some cluster in [j, j + g) is taken */
        if (~x & starts)
            return true;
    }
    return false;
}

/* Frees the untaken clusters of [lo, lo + 2^order) of r as maximal aligned extents. */
static void resv_release(struct pmm *pm, struct pmm_resv *r, unsigned lo, unsigned order)
{
    unsigned n = 1u << order;
    if (bits_all(r, lo, n, false)) {
        free_extent(pm, r->base + ((paddr_t)lo << CLUSTER_SHIFT), order);
        return;
    }
    if (order == 0 || bits_all(r, lo, n, true))
        return;
    resv_release(pm, r, lo, order - 1);
    resv_release(pm, r, lo + n / 2, order - 1);
}

static void resv_break(struct pmm *pm, struct pmm_resv *r, bool pressure)
{
    avl_remove(&pm->resv_tree, &r->link);
    lru_remove(pm, r);
    pm->untaken_bytes -= (paddr_t)(pmm_resv_clusters(r) - r->ntaken) << CLUSTER_SHIFT;
    r->state = PMM_RESV_BROKEN;
    pm->resv_live--;
    pm->resv_broken++;
    pm->resv_reclaimed += pressure;
    resv_release(pm, r, 0, r->order);
}

/* Breaks the least recently grown reservation (of the first PMM_RECLAIM_SCAN) that
 * can serve an allocation of this order. Returns false if none can. */
static bool reclaim(struct pmm *pm, unsigned order)
{
    unsigned seen = 0;
    for (struct pmm_resv *r = pm->lru_head; r && seen < PMM_RECLAIM_SCAN; r = r->lru_next, seen++) {
        if (resv_can_serve(r, order)) {
            resv_break(pm, r, true);
            return true;
        }
    }
    return false;
}

/* --- The interface --------------------------------------------------------------- */

void pmm_init(struct pmm *pm)
{
    *pm = (struct pmm){0};
}

paddr_t pmm_add_range(struct pmm *pm, paddr_t base, paddr_t size)
{
    paddr_t end = base + size < base ? ~(paddr_t)0 : base + size;
    paddr_t b = ALIGN_UP(MAX(base, CLUSTER_SIZE), CLUSTER_SIZE), e = ALIGN_DOWN(end, CLUSTER_SIZE);
    if (b < base || e <= b || !range_insert(pm, b, e)) {
        pm->unused_bytes += size;
        return 0;
    }
    paddr_t added = e - b;
    pm->unused_bytes += size - added;
    pm->managed_bytes += added;
    while (b < e) {
        unsigned order = 0;
        while (order + 1 < PMM_ORDERS && IS_ALIGNED(b, pmm_order_bytes(order + 1)) &&
               pmm_order_bytes(order + 1) <= e - b)
            order++;
        free_extent(pm, b, order);
        b += pmm_order_bytes(order);
    }
    return added;
}

paddr_t pmm_alloc(struct pmm *pm, unsigned order)
{
    pm->n_alloc++;
    paddr_t pa = order < PMM_ORDERS ? take_free(pm, order) : 0;
    if (!pa && order <= PMM_RESV_MAX_ORDER && reclaim(pm, order)) {
        pa = take_free(pm, order);
        assert(pa);
    }
    pm->n_alloc_failed += !pa;
    return pa;
}

#ifdef WEFT_DEBUG
static void check_free(const struct pmm *pm, paddr_t pa, unsigned order)
{
    if (order >= PMM_ORDERS)
        panic("pmm: free of 0x%llx with impossible order %u", U(pa), order);
    paddr_t size = pmm_order_bytes(order);
    if (!IS_ALIGNED(pa, size))
        panic("pmm: misaligned free of 0x%llx: order %u needs 0x%llx-byte alignment", U(pa), order,
              U(size));
    if (!owns(pm, pa, size))
        panic("pmm: foreign free of 0x%llx (order %u): not memory of this allocator", U(pa), order);
    for (unsigned j = 0; j < PMM_ORDERS; j++) {
        struct avl_node *n = avl_floor(&pm->free_tree[j], pa + size - 1);
        if (n && node_pa(n) + pmm_order_bytes(j) > pa)
            panic("pmm: double free of 0x%llx (order %u): 0x%llx (order %u) is already free", U(pa),
                  order, U(node_pa(n)), j);
    }
}
#endif

void pmm_free(struct pmm *pm, paddr_t pa, unsigned order)
{
#ifdef WEFT_DEBUG
    check_free(pm, pa, order);
#endif
    paddr_t size = pmm_order_bytes(order);
    pm->n_free++;
    struct pmm_resv *r = resv_overlapping(pm, pa, size);
    if (!r) {
        free_extent(pm, pa, order);
        return;
    }
    if (order > r->order)
        panic("pmm: free of 0x%llx (order %u) covers the live reservation at 0x%llx", U(pa), order,
              U(r->base));
    unsigned lo = (unsigned)((pa - r->base) >> CLUSTER_SHIFT), n = 1u << order;
    if (!bits_all(r, lo, n, true))
        panic("pmm: double or foreign free of 0x%llx (order %u): not taken from the "
              "reservation at 0x%llx",
              U(pa), order, U(r->base));
    if (r->ntaken == pmm_resv_clusters(r))
        lru_append(pm, r); /* it has something to give again */
    bits_set(r, lo, n, false);
    r->ntaken -= n;
    pm->untaken_bytes += size;
}

bool pmm_resv_reserve(struct pmm *pm, struct pmm_resv *r, unsigned order, void *owner)
{
    assert(order <= PMM_RESV_MAX_ORDER);
    assert(r->state != PMM_RESV_LIVE);
    pm->n_reserve++;
    paddr_t pa = take_free(pm, order);
    if (!pa) {
        pm->n_reserve_failed++;
        return false;
    }
    *r = (struct pmm_resv){
        .base = pa, .owner = owner, .order = (uint8_t)order, .state = PMM_RESV_LIVE};
    r->link.key = pa;
    avl_insert(&pm->resv_tree, &r->link);
    lru_append(pm, r);
    pm->untaken_bytes += pmm_order_bytes(order);
    pm->resv_live++;
    pm->resv_made++;
    return true;
}

paddr_t pmm_resv_take(struct pmm *pm, struct pmm_resv *r, unsigned idx)
{
    pm->n_take++;
    if (r->state != PMM_RESV_LIVE)
        return 0;
    assert(idx < pmm_resv_clusters(r));
    if (pmm_resv_taken(r, idx))
        return 0;
    bits_set(r, idx, 1, true);
    r->ntaken++;
    pm->untaken_bytes -= CLUSTER_SIZE;
    lru_remove(pm, r);
    if (r->ntaken == pmm_resv_clusters(r))
        pm->resv_full++;
    else
        lru_append(pm, r); /* now the most recently grown */
    return r->base + ((paddr_t)idx << CLUSTER_SHIFT);
}

void pmm_resv_break(struct pmm *pm, struct pmm_resv *r)
{
    if (r->state != PMM_RESV_LIVE)
        return;
    pm->n_break++;
    resv_break(pm, r, false);
}

struct pmm_resv *pmm_resv_victim(const struct pmm *pm)
{
    return pm->lru_head;
}

uint64_t pmm_metadata_bytes(const struct pmm *pm)
{
    return sizeof(*pm) + pm->free_extents * sizeof(struct pmm_free) +
           pm->resv_live * sizeof(struct pmm_resv);
}

void pmm_walk_free(const struct pmm *pm, void (*fn)(void *ctx, paddr_t base, unsigned order),
                   void *ctx)
{
    for (unsigned j = 0; j < PMM_ORDERS; j++)
        for (struct avl_node *n = avl_first(&pm->free_tree[j]); n; n = avl_next(n))
            fn(ctx, node_pa(n), j);
}

/* --- Verification ---------------------------------------------------------------- */

/* Checks the shape of a tree (lib/avl.h: links, order, heights, balance). */
static void verify_tree(const struct avl_tree *t, const char *what, unsigned order)
{
    if (avl_check(t) < 0)
        panic("pmm verify: %s tree (order %u) damaged", what, order);
}

void pmm_verify(const struct pmm *pm)
{
    uint64_t bytes = 0, extents = 0;
    for (unsigned j = 0; j < PMM_ORDERS; j++) {
        verify_tree(&pm->free_tree[j], "free", j);
        paddr_t size = pmm_order_bytes(j), prev_end = 0;
        uint64_t count = 0;
        for (struct avl_node *l = avl_first(&pm->free_tree[j]); l; l = avl_next(l)) {
            paddr_t pa = node_pa(l);
            if (phys_to_virt(pa) != (void *)l || !IS_ALIGNED(pa, size))
                panic("pmm verify: free extent 0x%llx (order %u) damaged or misaligned", U(pa), j);
            if (pa < prev_end)
                panic("pmm verify: free extents out of order at 0x%llx", U(pa));
            if (!owns(pm, pa, size))
                panic("pmm verify: free extent 0x%llx (order %u) outside owned memory", U(pa), j);
            if (j + 1 < PMM_ORDERS && avl_find(&pm->free_tree[j], pa ^ size))
                panic("pmm verify: free extent 0x%llx (order %u) has a free buddy", U(pa), j);
            for (unsigned k = 0; k < PMM_ORDERS; k++) {
                struct avl_node *o = avl_floor(&pm->free_tree[k], pa + size - 1);
                if (o && o != l && node_pa(o) + pmm_order_bytes(k) > pa)
                    panic("pmm verify: free extents 0x%llx and 0x%llx overlap", U(pa),
                          U(node_pa(o)));
            }
            if (resv_overlapping(pm, pa, size))
                panic("pmm verify: free extent 0x%llx overlaps a reservation", U(pa));
            prev_end = pa + size;
            count++;
        }
        if (count != pm->free_count[j])
            panic("pmm verify: order %u has %llu extents, counter says %llu", j, U(count),
                  U(pm->free_count[j]));
        bytes += count * size;
        extents += count;
    }
    if (bytes != pm->free_bytes || extents != pm->free_extents)
        panic("pmm verify: free bytes/extents %llu/%llu, counters %llu/%llu", U(bytes), U(extents),
              U(pm->free_bytes), U(pm->free_extents));

    verify_tree(&pm->resv_tree, "reservation", 0);
    uint64_t live = 0, untaken = 0, in_lru = 0;
    paddr_t prev_end = 0;
    for (struct avl_node *l = avl_first(&pm->resv_tree); l; l = avl_next(l)) {
        const struct pmm_resv *r = resv_of(l);
        unsigned n = pmm_resv_clusters(r), taken = 0;
        for (unsigned i = 0; i < n; i++)
            taken += pmm_resv_taken(r, i);
        if (r->state != PMM_RESV_LIVE || r->order > PMM_RESV_MAX_ORDER || taken != r->ntaken ||
            r->link.key != r->base || !IS_ALIGNED(r->base, resv_bytes(r)) || r->base < prev_end ||
            !owns(pm, r->base, resv_bytes(r)) || r->in_lru != (taken < n))
            panic("pmm verify: reservation at 0x%llx damaged", U(r->base));
        prev_end = r->base + resv_bytes(r);
        live++;
        untaken += (paddr_t)(n - taken) << CLUSTER_SHIFT;
        in_lru += r->in_lru;
    }
    if (live != pm->resv_live || untaken != pm->untaken_bytes)
        panic("pmm verify: %llu live reservations with %llu untaken bytes, counters %llu/%llu",
              U(live), U(untaken), U(pm->resv_live), U(pm->untaken_bytes));
    uint64_t walked = 0;
    for (const struct pmm_resv *r = pm->lru_head; r; r = r->lru_next) {
        if (!r->in_lru || r->state != PMM_RESV_LIVE ||
            (r->lru_next && r->lru_next->lru_prev != r) || (!r->lru_next && pm->lru_tail != r) ||
            ++walked > in_lru)
            panic("pmm verify: LRU list damaged at 0x%llx", U(r->base));
    }
    if (walked != in_lru)
        panic("pmm verify: LRU list holds %llu of %llu reservations", U(walked), U(in_lru));
}
