/*
 * The physical memory manager: page-clustered buddy extents and reservations
 * (docs/architecture.md, Memory; the design essay opens kernel/mm/pmm.c).
 *
 * Units. A cluster is 2^CLUSTER_ORDER MMU pages (CLUSTER_SIZE bytes). An extent of
 * order k is 2^k clusters, aligned to its size. Every size and order in this
 * interface is in clusters unless it says bytes.
 *
 * An instance (struct pmm) owns the memory handed to it with pmm_add_range. There is
 * no global allocator: the boot instance (boot_pmm) takes all usable RAM, and each
 * Pool will own one instance over the memory donated to it.
 *
 * Locking: an instance is not thread-safe. Its owner serialises every call (the big
 * kernel lock today, the pool's lock later).
 *
 * Physical address 0 is never managed, so 0 means "no memory" in every result.
 */
#ifndef WEFT_MM_PMM_H
#define WEFT_MM_PMM_H

#include "types.h"
#include "config.h"
#include "lib/avl.h"

/* The largest free extent: 2^PMM_MAX_SHIFT bytes (1 TiB). */
#define PMM_MAX_SHIFT 40
/* Number of extent orders: 0 .. PMM_ORDERS - 1. */
#define PMM_ORDERS (PMM_MAX_SHIFT - CLUSTER_SHIFT + 1)
/* The largest reservation: a 2 MiB superpage (see docs/decisions/013). */
#define PMM_RESV_MAX_SHIFT 21
#define PMM_RESV_MAX_ORDER (PMM_RESV_MAX_SHIFT - CLUSTER_SHIFT)
#define PMM_RESV_WORDS     (((1u << PMM_RESV_MAX_ORDER) + 63) / 64)
/* Distinct (non-adjacent) physical ranges one instance can own. */
#define PMM_MAX_RANGES 32
/* How many least-recently-grown reservations an allocation examines before it
 * gives up on breaking one (keeps pmm_alloc O(log n)). */
#define PMM_RECLAIM_SCAN 16

/* Bytes in an extent of the given order. */
static inline paddr_t pmm_order_bytes(unsigned order)
{
    return CLUSTER_SIZE << order;
}

enum pmm_resv_state {
    PMM_RESV_UNUSED = 0, /* never reserved (a zeroed record) */
    PMM_RESV_LIVE,       /* holds an extent; clusters may be taken */
    PMM_RESV_BROKEN,     /* broken by its owner or under pressure; owns nothing */
};

/*
 * A reservation: an aligned extent set aside for one owner (a VMO window) whose
 * clusters the owner takes one at a time. The record is provided by the owner and
 * lives as long as the owner wants; while LIVE the instance links it into its
 * structures, so the owner must not move or free it before pmm_resv_break.
 * Fields are read-only to the owner; read them through the accessors below.
 */
struct pmm_resv {
    struct avl_node link;                 /* in pm->resv_tree, key base */
    struct pmm_resv *lru_prev, *lru_next; /* pm's LRU list, while untaken clusters remain */
    paddr_t base;
    void *owner;
    uint16_t ntaken;
    uint8_t order;
    uint8_t state; /* enum pmm_resv_state */
    bool in_lru;
    uint64_t taken[PMM_RESV_WORDS]; /* bit i: cluster i is taken */
};

/* One allocator instance. All fields are protected by the owner's lock; counters
 * are read directly by the boot log, the self-tests and the simulator. */
struct pmm {
    struct avl_tree free_tree[PMM_ORDERS]; /* free extents of each order, by address */
    uint64_t free_count[PMM_ORDERS];       /* number of free extents of each order */
    struct avl_tree resv_tree;             /* live reservations, by base */
    struct pmm_resv *lru_head, *lru_tail;  /* least recently grown first */
    struct {
        paddr_t base, end;
    } range[PMM_MAX_RANGES]; /* memory owned, sorted, merged when adjacent */
    unsigned nranges;

    uint64_t managed_bytes; /* every byte handed to the instance (cluster-trimmed) */
    uint64_t unused_bytes;  /* offered to pmm_add_range but not usable as clusters */
    uint64_t free_bytes;    /* in free extents */
    uint64_t free_extents;  /* sum of free_count[] */
    uint64_t untaken_bytes; /* in live reservations, not yet taken (reclaimable) */

    uint64_t resv_live;      /* reservations now live */
    uint64_t resv_made;      /* reservations ever made */
    uint64_t resv_full;      /* times a reservation became fully populated */
    uint64_t resv_broken;    /* reservations broken, by owners or under pressure */
    uint64_t resv_reclaimed; /* of those, broken under pressure by pmm_alloc */

    uint64_t n_alloc, n_alloc_failed, n_free, n_reserve, n_reserve_failed, n_take, n_break;
    uint64_t n_split, n_merge;
};

/* Makes pm an empty instance. */
void pmm_init(struct pmm *pm);

/* Hands [base, base + size) to pm. The range is trimmed inward to cluster alignment
 * (and never includes physical address 0); what is trimmed away is counted in
 * pm->unused_bytes. The memory must be RAM reachable through phys_to_virt, unused by
 * anyone, and must not overlap memory given before (a kernel bug: panics).
 * Returns the bytes added: 0 when nothing is a whole cluster or the range table is
 * full (then the whole range is counted unused). */
paddr_t pmm_add_range(struct pmm *pm, paddr_t base, paddr_t size);

/* Allocates an extent of 2^order clusters aligned to its size; returns its physical
 * address, or 0 when no such extent can be had. Takes the lowest-addressed extent of
 * the smallest sufficient order. When none is free it breaks the least recently grown
 * reservation (among the PMM_RECLAIM_SCAN least recent) that holds an untaken aligned
 * extent of that order; that reservation's owner finds it BROKEN. O(log n). */
paddr_t pmm_alloc(struct pmm *pm, unsigned order);

/* Frees the extent of 2^order clusters at pa, coalescing buddies. pa must be an
 * extent (or part of one) that pm handed out. A cluster taken from a live reservation
 * goes back to that reservation, not to the free extents. Debug builds panic, naming
 * the address, on a misaligned free, a free of memory pm does not own, and a double
 * free. O(log n). */
void pmm_free(struct pmm *pm, paddr_t pa, unsigned order);

/* Reserves an aligned extent of 2^order clusters (order <= PMM_RESV_MAX_ORDER) for
 * owner, recording it in r (caller-provided, in any state but LIVE). Never breaks
 * another reservation. Returns false (r untouched) when no such extent is free. */
bool pmm_resv_reserve(struct pmm *pm, struct pmm_resv *r, unsigned order, void *owner);

/* Takes cluster idx of the live reservation r and returns its physical address, or 0
 * when r is not live (broken under pressure) or the cluster is already taken. The
 * reservation becomes the most recently grown. */
paddr_t pmm_resv_take(struct pmm *pm, struct pmm_resv *r, unsigned idx);

/* Breaks r: its untaken clusters become free extents; its taken clusters stay with
 * the owner as ordinary allocations (freed later with pmm_free). Does nothing when r
 * is not live. */
void pmm_resv_break(struct pmm *pm, struct pmm_resv *r);

/* The reservation that pressure would break first: the least recently grown one
 * that still holds untaken clusters; NULL if none. */
struct pmm_resv *pmm_resv_victim(const struct pmm *pm);

static inline bool pmm_resv_live(const struct pmm_resv *r)
{
    return r->state == PMM_RESV_LIVE;
}

static inline unsigned pmm_resv_clusters(const struct pmm_resv *r)
{
    return 1u << r->order;
}

/* True when every cluster of the live reservation r is taken: the owner may promote. */
static inline bool pmm_resv_full(const struct pmm_resv *r)
{
    return r->state == PMM_RESV_LIVE && r->ntaken == pmm_resv_clusters(r);
}

static inline bool pmm_resv_taken(const struct pmm_resv *r, unsigned idx)
{
    return (r->taken[idx / 64] >> (idx % 64)) & 1;
}

/* Bytes the instance holds for its own bookkeeping: the instance itself, the link of
 * every free extent (kept inside the free memory) and the record of every live
 * reservation. Grows with the number of free extents and reservations, not with RAM. */
uint64_t pmm_metadata_bytes(const struct pmm *pm);

/* Calls fn for every free extent, order by order, lowest address first. */
void pmm_walk_free(const struct pmm *pm, void (*fn)(void *ctx, paddr_t base, unsigned order),
                   void *ctx);

/* Checks every invariant of pm (tree shapes and balance, alignment, counters,
 * coalescing, reservation records, the LRU list); panics naming the first broken
 * one. O(n log n): for tests. */
void pmm_verify(const struct pmm *pm);

/* --- The boot instance (kernel/mm/pmm_boot.c) --- */

struct bootmem;

/* What mm_boot_init found (for the boot log and the self-tests). */
struct mm_boot_info {
    const struct bootmem *bm; /* the description handed to mm_boot_init */
    uint64_t ram_bytes;       /* every RAM region, whatever its use */
    uint64_t usable_bytes;    /* BOOTMEM_USABLE regions */
    uint64_t free_bytes;      /* free in boot_pmm right after boot */
    uint64_t unused_bytes;    /* usable but not whole clusters (trimmed or too small) */
    unsigned unused_ranges;   /* usable regions too small to hold one cluster */
};

/* The instance that takes all usable RAM at boot. */
extern struct pmm boot_pmm;
extern struct mm_boot_info mm_boot_info;

/* Initialises boot_pmm with every BOOTMEM_USABLE region of bm (which already
 * excludes the kernel image, the modules and the early page tables) and prints total,
 * free and metadata bytes. Called once, after the direct map of all RAM is live;
 * bm must stay valid afterwards (the self-tests read it). */
void mm_boot_init(struct bootmem *bm);

#endif
