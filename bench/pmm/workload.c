/*
 * The aging workload (see workload.h and docs/perf/pmm.md, "The workload").
 *
 * Time advances in ticks. Every object gets a lifetime drawn log-uniformly from
 * [1, life_max] ticks when it is created, so a few objects live through the whole
 * run while most come and go: the mix of long-lived pins and churn that fragments a
 * buddy allocator. Each tick:
 *   1. objects whose lifetime is over die and give their memory back;
 *   2. an eighth of the VMOs that are still growing fault in one more chunk of 64
 *      pages (256 KiB), so big VMOs fill over hundreds of ticks and their windows'
 *      reservations stay partly populated for a long time;
 *   3. each kind creates objects until its committed bytes (what was asked for)
 *      reach its budget, a share of managed RAM, while the memory in use (held
 *      from the PMM, pins included) is below the occupancy target (90%). VMOs
 *      keep faulting whatever the target, so memory runs short at times and the
 *      allocator must break reservations under pressure.
 * Kinds:
 *   SMALL  kernel objects and page tables (<= 4 KiB) from a slab layer: one slab is
 *          one cluster, cut into objects of one power-of-2 size class (32 B..4 KiB);
 *          a slab is returned to the PMM when its last object dies.
 *   VMO    anonymous memory of 16 KiB..64 MiB (log-uniform), faulted in page by
 *          page in address order. Each whole 2 MiB window reserves a 2 MiB extent at
 *          its first fault and takes clusters from it; when the reservation cannot
 *          be made, or was broken under pressure, faults take single clusters. Dense
 *          VMOs touch every page; sparse ones a prefix of each window (10-90%).
 *   B64K   explicit 64 KiB blocks (one extent of that size).
 *   B2M    explicit 2 MiB blocks.
 * A block request that fails while enough memory is free (free extents plus untaken
 * reserved clusters) counts as a fragmentation failure and is then served from
 * single clusters, as the kernel would fall back to small mappings.
 */
#include "workload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_PAGES 512u /* 2 MiB of 4 KiB pages */
#define WINDOW_CL    (WINDOW_PAGES / CLUSTER_PAGES)
#define CHUNK_PAGES  64u
#define NCLASSES     8 /* 32 B .. 4 KiB */

struct slab {
    paddr_t pa;
    unsigned cls, cap, nfree;
    struct slab *prev, *next; /* partial list of the class */
    uint64_t *used;           /* bit per object slot */
};

struct window {
    struct pmm_resv resv; /* the record the PMM links while the reservation lives */
    bool tried;           /* the first fault tried to reserve */
    unsigned pages, target, touched;
    paddr_t cl[WINDOW_CL]; /* the cluster behind each cluster index, or 0 */
};

struct vmo {
    unsigned npages, nwin, cur;
    int grow_idx;           /* in the growing list, or -1 */
    uint64_t touched, held; /* pages, clusters */
    struct window *win;
};

struct obj {
    unsigned kind;
    uint64_t death;
    uint64_t bytes; /* committed: requested bytes */
    union {
        struct {
            struct slab *slab;
            unsigned slot, size;
        } small;
        struct {
            paddr_t pa;      /* 0 when served from single clusters */
            paddr_t *pieces; /* the clusters of a fallback */
            unsigned npieces;
        } block;
        struct vmo *vmo;
    };
};

struct wl {
    struct pmm *pm;
    struct wl_params p;
    uint64_t rng, now, ram;
    uint64_t committed[WL_KINDS];
    struct obj **heap; /* min-heap by death */
    size_t nheap, capheap;
    struct vmo **growing;
    size_t ngrowing, capgrowing;
    struct slab *partial[NCLASSES];
    uint64_t slab_clusters, small_requested, small_class;
    uint64_t vmo_touched, vmo_held;
    struct wl_stats st;
};

static uint64_t rnd(struct wl *w)
{
    uint64_t z = (w->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double unif(struct wl *w)
{
    return (double)(rnd(w) >> 11) / (double)(1ull << 53);
}

static uint64_t log_uniform(struct wl *w, uint64_t lo, uint64_t hi)
{
    return (uint64_t)exp(log((double)lo) + unif(w) * (log((double)hi + 1) - log((double)lo)));
}

static void *xcalloc(size_t n, size_t s)
{
    void *p = calloc(n, s);
    if (!p) {
        fprintf(stderr, "pmm-sim: out of host memory\n");
        exit(2);
    }
    return p;
}

static unsigned order_of(uint64_t bytes)
{
    unsigned o = 0;
    while (pmm_order_bytes(o) < bytes)
        o++;
    return o;
}

/* Free memory that an allocation may use: free extents and untaken reserved clusters. */
static uint64_t available(const struct wl *w)
{
    return w->pm->free_bytes + w->pm->untaken_bytes;
}

/* --- the heap of deaths ------------------------------------------------------------ */

static void heap_push(struct wl *w, struct obj *o)
{
    if (w->nheap == w->capheap) {
        w->capheap = w->capheap ? 2 * w->capheap : 1024;
        w->heap = realloc(w->heap, w->capheap * sizeof(*w->heap));
        if (!w->heap)
            exit(2);
    }
    size_t i = w->nheap++;
    while (i && w->heap[(i - 1) / 2]->death > o->death) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = o;
}

static struct obj *heap_pop(struct wl *w)
{
    struct obj *top = w->heap[0], *last = w->heap[--w->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= w->nheap)
            break;
        if (c + 1 < w->nheap && w->heap[c + 1]->death < w->heap[c]->death)
            c++;
        if (w->heap[c]->death >= last->death)
            break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (w->nheap)
        w->heap[i] = last;
    return top;
}

/* --- slab layer -------------------------------------------------------------------- */

static unsigned class_of(unsigned size)
{
    unsigned c = 0;
    while ((32u << c) < size)
        c++;
    return c;
}

static void partial_unlink(struct wl *w, struct slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        w->partial[s->cls] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
}

static void partial_push(struct wl *w, struct slab *s)
{
    s->prev = NULL;
    s->next = w->partial[s->cls];
    if (s->next)
        s->next->prev = s;
    w->partial[s->cls] = s;
}

static bool small_create(struct wl *w, struct obj *o)
{
    unsigned size =
        unif(w) < w->p.page_table_share ? 4096 : (unsigned)ALIGN_UP(log_uniform(w, 16, 4095), 8);
    unsigned cls = class_of(size);
    struct slab *s = w->partial[cls];
    if (!s) {
        paddr_t pa = pmm_alloc(w->pm, 0);
        if (!pa)
            return false;
        s = xcalloc(1, sizeof(*s));
        s->pa = pa;
        s->cls = cls;
        s->cap = s->nfree = (unsigned)(CLUSTER_SIZE / (32u << cls));
        s->used = xcalloc((s->cap + 63) / 64, 8);
        partial_push(w, s);
        w->slab_clusters++;
    }
    unsigned slot = 0;
    while (s->used[slot / 64] == ~0ull)
        slot += 64;
    while ((s->used[slot / 64] >> (slot % 64)) & 1)
        slot++;
    s->used[slot / 64] |= 1ull << (slot % 64);
    if (--s->nfree == 0)
        partial_unlink(w, s);
    o->small.slab = s;
    o->small.slot = slot;
    o->small.size = size;
    o->bytes = size;
    w->small_requested += size;
    w->small_class += 32u << cls;
    return true;
}

static void small_destroy(struct wl *w, struct obj *o)
{
    struct slab *s = o->small.slab;
    unsigned slot = o->small.slot;
    s->used[slot / 64] &= ~(1ull << (slot % 64));
    if (s->nfree++ == 0)
        partial_push(w, s);
    w->small_requested -= o->small.size;
    w->small_class -= 32u << s->cls;
    if (s->nfree == s->cap) {
        partial_unlink(w, s);
        pmm_free(w->pm, s->pa, 0);
        w->slab_clusters--;
        free(s->used);
        free(s);
    }
}

/* --- explicit blocks --------------------------------------------------------------- */

static bool block_create(struct wl *w, struct obj *o, uint64_t bytes)
{
    unsigned order = order_of(bytes);
    o->bytes = bytes;
    struct wl_req *rq = &w->st.req[o->kind];
    bool counted = available(w) >= bytes;
    rq->attempts += counted;
    o->block.pa = pmm_alloc(w->pm, order);
    if (o->block.pa) {
        rq->ok += counted;
        return true;
    }
    unsigned n = 1u << order; /* fall back to single clusters */
    o->block.pieces = xcalloc(n, sizeof(paddr_t));
    for (unsigned i = 0; i < n; i++) {
        o->block.pieces[i] = pmm_alloc(w->pm, 0);
        if (!o->block.pieces[i]) {
            while (i--)
                pmm_free(w->pm, o->block.pieces[i], 0);
            free(o->block.pieces);
            return false;
        }
    }
    o->block.npieces = n;
    return true;
}

static void block_destroy(struct wl *w, struct obj *o)
{
    if (o->block.pa) {
        pmm_free(w->pm, o->block.pa, order_of(o->bytes));
        return;
    }
    for (unsigned i = 0; i < o->block.npieces; i++)
        pmm_free(w->pm, o->block.pieces[i], 0);
    free(o->block.pieces);
}

/* --- VMOs -------------------------------------------------------------------------- */

/* Faults page i of window win in. Returns false when no memory is left. */
static bool vmo_touch(struct wl *w, struct vmo *v, struct window *win, unsigned i)
{
    unsigned c = i / CLUSTER_PAGES;
    win->touched++;
    v->touched++;
    w->vmo_touched++;
    if (win->cl[c])
        return true;
    if (!win->tried && win->pages == WINDOW_PAGES) {
        /* a 2 MiB request too: counted with the explicit ones' rule */
        bool counted = available(w) >= MIB(2);
        win->tried = true;
        w->st.req[WL_VMO].attempts += counted;
        if (pmm_resv_reserve(w->pm, &win->resv, PMM_RESV_MAX_ORDER, v))
            w->st.req[WL_VMO].ok += counted;
        else
            w->st.window_reserve_failed++;
    }
    paddr_t pa = 0;
    if (pmm_resv_live(&win->resv)) {
        pa = pmm_resv_take(w->pm, &win->resv, c);
        if (pa && pmm_resv_full(&win->resv))
            w->st.promotions++;
    }
    if (!pa)
        pa = pmm_alloc(w->pm, 0);
    if (!pa) {
        win->touched--;
        v->touched--;
        w->vmo_touched--;
        w->st.oom++;
        return false;
    }
    win->cl[c] = pa;
    v->held++;
    w->vmo_held++;
    return true;
}

static void growing_remove(struct wl *w, struct vmo *v)
{
    if (v->grow_idx < 0)
        return;
    struct vmo *last = w->growing[--w->ngrowing];
    w->growing[v->grow_idx] = last;
    last->grow_idx = v->grow_idx;
    v->grow_idx = -1;
}

/* Faults up to n more pages in; stops growing when done or out of memory. */
static void vmo_grow(struct wl *w, struct vmo *v, unsigned n)
{
    while (n && v->cur < v->nwin) {
        struct window *win = &v->win[v->cur];
        if (win->touched == win->target) {
            v->cur++;
            continue;
        }
        if (!vmo_touch(w, v, win, win->touched)) {
            growing_remove(w, v);
            return;
        }
        n--;
    }
    if (v->cur == v->nwin)
        growing_remove(w, v);
}

static bool vmo_create(struct wl *w, struct obj *o)
{
    struct vmo *v = xcalloc(1, sizeof(*v));
    v->npages = (unsigned)log_uniform(w, 4, 16384); /* 16 KiB .. 64 MiB */
    v->nwin = (v->npages + WINDOW_PAGES - 1) / WINDOW_PAGES;
    v->win = xcalloc(v->nwin, sizeof(*v->win));
    bool sparse = unif(w) < w->p.sparse_share;
    double frac = sparse ? 0.1 + 0.8 * unif(w) : 1.0;
    uint64_t target = 0;
    for (unsigned i = 0; i < v->nwin; i++) {
        struct window *win = &v->win[i];
        win->pages = MIN(WINDOW_PAGES, v->npages - i * WINDOW_PAGES);
        win->target = MAX(1u, (unsigned)(win->pages * frac));
        target += win->target;
    }
    o->vmo = v;
    o->bytes = target * PAGE_SIZE;
    v->grow_idx = -1;
    if (w->ngrowing == w->capgrowing) {
        w->capgrowing = w->capgrowing ? 2 * w->capgrowing : 256;
        w->growing = realloc(w->growing, w->capgrowing * sizeof(*w->growing));
        if (!w->growing)
            exit(2);
    }
    v->grow_idx = (int)w->ngrowing;
    w->growing[w->ngrowing++] = v;
    vmo_grow(w, v, (unsigned)MAX(1, target / 4)); /* the first burst of faults */
    return true;
}

static void vmo_destroy(struct wl *w, struct obj *o)
{
    struct vmo *v = o->vmo;
    growing_remove(w, v);
    for (unsigned i = 0; i < v->nwin; i++) {
        struct window *win = &v->win[i];
        struct pmm_resv *r = &win->resv;
        if (pmm_resv_full(r)) {
            /* a promoted window: one extent back */
            paddr_t base = r->base;
            pmm_resv_break(w->pm, r);
            pmm_free(w->pm, base, PMM_RESV_MAX_ORDER);
        } else {
            for (unsigned c = 0; c < WINDOW_CL; c++)
                if (win->cl[c])
                    pmm_free(w->pm, win->cl[c], 0);
            pmm_resv_break(w->pm, r); /* whole again, freed as one extent */
        }
    }
    w->vmo_touched -= v->touched;
    w->vmo_held -= v->held;
    free(v->win);
    free(v);
}

/* --- objects ----------------------------------------------------------------------- */

static void destroy(struct wl *w, struct obj *o)
{
    switch (o->kind) {
    case WL_SMALL:
        small_destroy(w, o);
        break;
    case WL_VMO:
        vmo_destroy(w, o);
        break;
    default:
        block_destroy(w, o);
    }
    w->committed[o->kind] -= o->bytes;
    w->st.died[o->kind]++;
    free(o);
}

static bool create(struct wl *w, unsigned kind)
{
    struct obj *o = xcalloc(1, sizeof(*o));
    o->kind = kind;
    bool ok;
    switch (kind) {
    case WL_SMALL:
        ok = small_create(w, o);
        break;
    case WL_VMO:
        ok = vmo_create(w, o);
        break;
    case WL_B64K:
        ok = block_create(w, o, KIB(64));
        break;
    default:
        ok = block_create(w, o, MIB(2));
    }
    if (!ok) {
        w->st.oom++;
        free(o);
        return false;
    }
    o->death = w->now + log_uniform(w, 1, w->p.life_max);
    w->committed[kind] += o->bytes;
    w->st.created[kind]++;
    heap_push(w, o);
    return true;
}

struct wl *wl_create(struct pmm *pm, const struct wl_params *p)
{
    struct wl *w = xcalloc(1, sizeof(*w));
    w->pm = pm;
    w->p = *p;
    w->rng = p->seed;
    w->ram = pm->managed_bytes;
    return w;
}

void wl_tick(struct wl *w)
{
    w->now++;
    while (w->nheap && w->heap[0]->death <= w->now)
        destroy(w, heap_pop(w));
    size_t n = (w->ngrowing + 7) / 8;
    for (size_t i = 0; i < n && w->ngrowing; i++)
        vmo_grow(w, w->growing[rnd(w) % w->ngrowing], CHUNK_PAGES);
    /* Fill every kind up to its budget, interleaving kinds so none takes the
     * lowest addresses first. */
    bool more = true;
    unsigned fails = 0;
    uint64_t cap = (uint64_t)(w->p.occupancy * (double)w->ram);
    while (more && fails < 64) {
        more = false;
        for (unsigned k = 0; k < WL_KINDS; k++) {
            if (w->committed[k] >= (uint64_t)(w->p.budget[k] * (double)w->ram) || wl_held(w) >= cap)
                continue;
            more = true;
            fails += !create(w, k);
        }
    }
}

void wl_destroy(struct wl *w)
{
    while (w->nheap)
        destroy(w, heap_pop(w));
    free(w->heap);
    free(w->growing);
    free(w);
}

void wl_reset_requests(struct wl *w)
{
    memset(w->st.req, 0, sizeof(w->st.req));
}

struct wl_stats wl_stats(const struct wl *w)
{
    struct wl_stats s = w->st;
    s.small_requested = w->small_requested;
    s.small_class = w->small_class;
    s.small_slab = w->slab_clusters * CLUSTER_SIZE;
    s.vmo_touched = w->vmo_touched * PAGE_SIZE;
    s.vmo_held = w->vmo_held * CLUSTER_SIZE;
    return s;
}

uint64_t wl_held(const struct wl *w)
{
    return w->pm->managed_bytes - w->pm->free_bytes - w->pm->untaken_bytes;
}
