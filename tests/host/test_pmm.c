/*
 * The physical memory manager against a reference model.
 *
 * The model is one state per cluster of a small simulated physical space (hole,
 * free, allocated, reserved-untaken, reserved-taken) plus a bitmap of free clusters
 * and the LRU order of reservations. Random sequences of alloc, free (whole extents
 * and halves of them), reserve, take, break and victim queries run against both;
 * after every step the allocator's free extents (walked) must be exactly the model's
 * free clusters, aligned, disjoint and fully coalesced, every counter must match, and
 * the address each call returns must be the one the documented policy predicts
 * (lowest extent of the smallest sufficient order; LRU reclaim). pmm_verify runs
 * every few dozen steps. Built for every CLUSTER_ORDER from 0 to 6.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "config.h"
#include "core/bootmem.h"
#include "mm/pmm.h"

extern uintptr_t host_phys_base;

#define NCL   1024 /* clusters of simulated physical space */
#define WORDS (NCL / 64)
#define MAXR  12 /* reservation records */
#define MAXE  NCL

enum { HOLE, FREE, ALLOC, UNTAKEN, TAKEN };

struct entry {
    paddr_t pa;
    unsigned order;
    int resv; /* -1: ordinary allocation; else a cluster taken from that record */
};

static struct {
    struct pmm pm;
    unsigned char st[NCL];
    signed char owner[NCL]; /* reservation of an UNTAKEN/TAKEN cluster */
    uint64_t freebm[WORDS];
    uint64_t nfree, nuntaken;
    struct pmm_resv resv[MAXR];
    uint64_t grown[MAXR]; /* model LRU: last growth stamp of a live reservation */
    uint64_t clock;
    struct entry e[MAXE];
    unsigned ne;
    /* the free extents as last walked, per order, ascending */
    paddr_t ext[PMM_ORDERS][NCL];
    unsigned next[PMM_ORDERS];
    uint64_t walkbm[WORDS];
    uint64_t rng;
} M;

static uint64_t rnd(void)
{
    uint64_t x = M.rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return M.rng = x;
}

static unsigned rndn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static void map_ram(void)
{
    static void *ram;
    if (!ram) {
        ram = mmap(NULL, NCL * CLUSTER_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        cr_assert_neq(ram, MAP_FAILED);
    }
    host_phys_base = (uintptr_t)ram;
}

static unsigned cl(paddr_t pa)
{
    return (unsigned)(pa >> CLUSTER_SHIFT);
}

static void set_state(unsigned c, int s, int owner)
{
    if (M.st[c] == FREE)
        M.nfree--;
    if (M.st[c] == UNTAKEN)
        M.nuntaken--;
    M.st[c] = (unsigned char)s;
    M.owner[c] = (signed char)owner;
    if (s == FREE) {
        M.nfree++;
        M.freebm[c / 64] |= 1ull << (c % 64);
    } else {
        M.freebm[c / 64] &= ~(1ull << (c % 64));
    }
    if (s == UNTAKEN)
        M.nuntaken++;
}

static bool bm_all(const uint64_t *bm, unsigned lo, unsigned n)
{
    for (unsigned c = lo; c < lo + n;) {
        if (n >= 64 && c % 64 == 0 && lo + n - c >= 64) {
            if (bm[c / 64] != ~0ull)
                return false;
            c += 64;
        } else {
            if (!((bm[c / 64] >> (c % 64)) & 1))
                return false;
            c++;
        }
    }
    return true;
}

/* --- checking against the model ---------------------------------------------------- */

static void walk_cb(void *ctx, paddr_t base, unsigned order)
{
    cr_assert(IS_ALIGNED(base, pmm_order_bytes(order)), "extent %lx order %u misaligned",
              (unsigned long)base, order);
    cr_assert_lt(base + pmm_order_bytes(order) - 1, (paddr_t)NCL * CLUSTER_SIZE);
    unsigned c0 = cl(base), n = 1u << order;
    for (unsigned c = c0; c < c0 + n; c++) {
        cr_assert(!((M.walkbm[c / 64] >> (c % 64)) & 1), "extents overlap at cluster %u", c);
        M.walkbm[c / 64] |= 1ull << (c % 64);
    }
    M.ext[order][M.next[order]++] = base;
}

static void check(void)
{
    memset(M.walkbm, 0, sizeof(M.walkbm));
    memset(M.next, 0, sizeof(M.next));
    pmm_walk_free(&M.pm, walk_cb, NULL);
    for (unsigned w = 0; w < WORDS; w++)
        cr_assert_eq(M.walkbm[w], M.freebm[w], "free clusters differ in word %u: %lx vs model %lx",
                     w, (unsigned long)M.walkbm[w], (unsigned long)M.freebm[w]);
    for (unsigned j = 0; j + 1 < PMM_ORDERS; j++) {
        cr_assert_eq(M.pm.free_count[j], M.next[j], "order %u count", j);
        for (unsigned i = 0; i < M.next[j]; i++) {
            paddr_t buddy = M.ext[j][i] ^ pmm_order_bytes(j);
            if (cl(buddy) + (1u << j) <= NCL)
                cr_assert(!bm_all(M.freebm, cl(buddy), 1u << j),
                          "extent %lx order %u not merged with its free buddy",
                          (unsigned long)M.ext[j][i], j);
        }
    }
    cr_assert_eq(M.pm.free_bytes, M.nfree * CLUSTER_SIZE);
    cr_assert_eq(M.pm.untaken_bytes, M.nuntaken * CLUSTER_SIZE);
    unsigned live = 0;
    int victim = -1;
    for (int i = 0; i < MAXR; i++) {
        struct pmm_resv *r = &M.resv[i];
        if (!pmm_resv_live(r))
            continue;
        live++;
        if (r->ntaken < pmm_resv_clusters(r) && (victim < 0 || M.grown[i] < M.grown[victim]))
            victim = i;
    }
    cr_assert_eq(M.pm.resv_live, live);
    cr_assert_eq(pmm_resv_victim(&M.pm), victim < 0 ? NULL : &M.resv[victim], "LRU victim");
}

/* The extent the policy must hand out for order k (no reclaim), or 0. */
static paddr_t predict(unsigned k)
{
    for (unsigned j = k; j < PMM_ORDERS; j++)
        if (M.next[j])
            return M.ext[j][0];
    return 0;
}

/* Model: can reservation i give an aligned untaken group of 2^k clusters? */
static bool model_can_serve(int i, unsigned k)
{
    struct pmm_resv *r = &M.resv[i];
    if (k > r->order)
        return false;
    unsigned c0 = cl(r->base), g = 1u << k;
    for (unsigned lo = c0; lo < c0 + pmm_resv_clusters(r); lo += g) {
        bool all = true;
        for (unsigned c = lo; c < lo + g && all; c++)
            all = M.st[c] == UNTAKEN;
        if (all)
            return true;
    }
    return false;
}

/* The reservation pmm_alloc(k) must break when nothing is free, or -1. */
static int predict_reclaim(unsigned k)
{
    if (k > PMM_RESV_MAX_ORDER)
        return -1;
    int order[MAXR], n = 0;
    for (int i = 0; i < MAXR; i++)
        if (pmm_resv_live(&M.resv[i]) && M.resv[i].ntaken < pmm_resv_clusters(&M.resv[i]))
            order[n++] = i;
    for (int a = 1; a < n; a++) /* sort by growth stamp */
        for (int b = a; b > 0 && M.grown[order[b]] < M.grown[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    for (int a = 0; a < n && a < PMM_RECLAIM_SCAN; a++)
        if (model_can_serve(order[a], k))
            return order[a];
    return -1;
}

static void model_break(int i)
{
    struct pmm_resv *r = &M.resv[i];
    unsigned c0 = cl(r->base);
    for (unsigned c = c0; c < c0 + pmm_resv_clusters(r); c++) {
        cr_assert(M.owner[c] == i && (M.st[c] == UNTAKEN || M.st[c] == TAKEN));
        set_state(c, M.st[c] == UNTAKEN ? FREE : ALLOC, -1);
    }
    for (unsigned e = 0; e < M.ne; e++)
        if (M.e[e].resv == i)
            M.e[e].resv = -1;
}

static void add_entry(paddr_t pa, unsigned order, int resv)
{
    cr_assert_lt(M.ne, MAXE);
    M.e[M.ne++] = (struct entry){pa, order, resv};
}

/* --- operations -------------------------------------------------------------------- */

static void op_alloc(unsigned k)
{
    paddr_t want = predict(k);
    int breaks = want ? -1 : predict_reclaim(k);
    paddr_t pa = pmm_alloc(&M.pm, k);
    if (breaks >= 0) {
        cr_assert_eq(M.resv[breaks].state, PMM_RESV_BROKEN, "reservation %d not reclaimed", breaks);
        model_break(breaks);
        cr_assert_neq(pa, 0, "reclaim did not serve order %u", k);
    } else {
        cr_assert_eq(pa, want, "alloc order %u: got %lx, policy says %lx", k, (unsigned long)pa,
                     (unsigned long)want);
    }
    if (!pa)
        return;
    cr_assert(IS_ALIGNED(pa, pmm_order_bytes(k)));
    for (unsigned c = cl(pa); c < cl(pa) + (1u << k); c++) {
        cr_assert_eq(M.st[c], FREE, "alloc handed out cluster %u in state %d", c, M.st[c]);
        set_state(c, ALLOC, -1);
    }
    add_entry(pa, k, -1);
}

static void op_free(void)
{
    if (!M.ne)
        return;
    unsigned i = rndn(M.ne);
    struct entry en = M.e[i];
    if (en.order > 0 && rndn(4) == 0) {
        /* free one half, keep the other as its own entry */
        en.order--;
        paddr_t keep = en.pa, give = en.pa + pmm_order_bytes(en.order);
        if (rndn(2)) {
            keep = give;
            give = en.pa;
        }
        M.e[i] = (struct entry){keep, en.order, -1};
        en.pa = give;
    } else {
        M.e[i] = M.e[--M.ne];
    }
    int r = en.resv;
    bool was_full = r >= 0 && pmm_resv_full(&M.resv[r]);
    pmm_free(&M.pm, en.pa, en.order);
    for (unsigned c = cl(en.pa); c < cl(en.pa) + (1u << en.order); c++) {
        cr_assert_eq(M.st[c], r >= 0 ? TAKEN : ALLOC);
        set_state(c, r >= 0 ? UNTAKEN : FREE, r);
    }
    if (was_full)
        M.grown[r] = ++M.clock; /* re-enters the LRU list at its tail */
}

static void op_reserve(void)
{
    int i = (int)rndn(MAXR);
    struct pmm_resv *r = &M.resv[i];
    if (pmm_resv_live(r))
        return;
    unsigned maxo = PMM_RESV_MAX_ORDER < 7 ? PMM_RESV_MAX_ORDER : 7;
    unsigned k = rndn(maxo + 1);
    paddr_t want = predict(k);
    bool ok = pmm_resv_reserve(&M.pm, r, k, &M);
    cr_assert_eq(ok, want != 0);
    if (!ok)
        return;
    cr_assert_eq(r->base, want);
    cr_assert(r->owner == &M && r->ntaken == 0 && pmm_resv_clusters(r) == 1u << k);
    for (unsigned c = cl(want); c < cl(want) + (1u << k); c++) {
        cr_assert_eq(M.st[c], FREE);
        set_state(c, UNTAKEN, i);
    }
    M.grown[i] = ++M.clock;
}

static void op_take(void)
{
    int i = (int)rndn(MAXR);
    struct pmm_resv *r = &M.resv[i];
    if (r->state == PMM_RESV_UNUSED)
        return;
    unsigned idx = rndn(pmm_resv_clusters(r));
    paddr_t pa = pmm_resv_take(&M.pm, r, idx);
    if (!pmm_resv_live(r)) {
        cr_assert_eq(pa, 0, "take from a broken reservation");
        return;
    }
    unsigned c = cl(r->base) + idx;
    if (M.st[c] == TAKEN) {
        cr_assert_eq(pa, 0, "cluster taken twice");
        return;
    }
    cr_assert_eq(pa, r->base + (paddr_t)idx * CLUSTER_SIZE);
    cr_assert_eq(M.st[c], UNTAKEN);
    set_state(c, TAKEN, i);
    add_entry(pa, 0, i);
    M.grown[i] = ++M.clock;
    unsigned taken = 0;
    for (unsigned k = cl(r->base); k < cl(r->base) + pmm_resv_clusters(r); k++)
        taken += M.st[k] == TAKEN;
    cr_assert_eq(pmm_resv_full(r), taken == pmm_resv_clusters(r));
}

static void op_break(void)
{
    int i = (int)rndn(MAXR);
    struct pmm_resv *r = &M.resv[i];
    bool live = pmm_resv_live(r);
    pmm_resv_break(&M.pm, r);
    if (!live)
        return;
    cr_assert_eq(r->state, PMM_RESV_BROKEN);
    model_break(i);
}

/* Random ranges (unaligned, sometimes adjacent) over the simulated space. */
static void setup(uint64_t seed)
{
    memset(&M, 0, sizeof(M));
    M.rng = seed * 0x9e3779b97f4a7c15ull + 1;
    map_ram();
    pmm_init(&M.pm);
    paddr_t space = (paddr_t)NCL * CLUSTER_SIZE, at = 0;
    unsigned nr = 1 + rndn(4);
    for (unsigned i = 0; i < nr && at < space; i++) {
        paddr_t gap = (paddr_t)rndn((unsigned)(space / PAGE_SIZE / 8)) * PAGE_SIZE;
        if (rndn(3) == 0)
            gap = 0; /* adjacent to the previous range */
        paddr_t base = at + gap;
        if (base >= space)
            break;
        paddr_t size = (paddr_t)(1 + rndn((unsigned)((space - base) / PAGE_SIZE))) * PAGE_SIZE;
        if (i + 1 == nr && rndn(2))
            size = space - base;
        paddr_t added = pmm_add_range(&M.pm, base, size);
        paddr_t b = ALIGN_UP(MAX(base, CLUSTER_SIZE), CLUSTER_SIZE);
        paddr_t e = ALIGN_DOWN(base + size, CLUSTER_SIZE);
        cr_assert_eq(added, e > b ? e - b : 0, "range %lx+%lx", (unsigned long)base,
                     (unsigned long)size);
        for (paddr_t p = b; p < e; p += CLUSTER_SIZE)
            set_state(cl(p), FREE, -1);
        at = base + size;
    }
    cr_assert_eq(M.pm.managed_bytes, M.nfree * CLUSTER_SIZE);
    check();
}

static void run_seed(uint64_t seed, unsigned steps)
{
    setup(seed);
    unsigned phase = 0, bias = 50;
    for (unsigned s = 0; s < steps; s++) {
        if (phase-- == 0) { /* sweep occupancy: alternate filling and draining */
            phase = 50 + rndn(400);
            bias = 20 + rndn(60);
        }
        unsigned dice = rndn(100);
        if (dice < 8)
            op_reserve();
        else if (dice < 28)
            op_take();
        else if (dice < 33)
            op_break();
        else if (rndn(100) < bias) {
            unsigned k = 0;
            while (k < 12 && rndn(3) == 0)
                k++;
            op_alloc(k);
        } else {
            op_free();
        }
        check();
        if (s % 61 == 0)
            pmm_verify(&M.pm);
    }
    /* Free everything: the free set returns exactly to the boot set. */
    for (int i = 0; i < MAXR; i++) {
        if (pmm_resv_live(&M.resv[i])) {
            pmm_resv_break(&M.pm, &M.resv[i]);
            model_break(i);
        }
    }
    while (M.ne) {
        struct entry en = M.e[--M.ne];
        pmm_free(&M.pm, en.pa, en.order);
        for (unsigned c = cl(en.pa); c < cl(en.pa) + (1u << en.order); c++)
            set_state(c, FREE, -1);
    }
    check();
    pmm_verify(&M.pm);
    cr_assert_eq(M.pm.free_bytes, M.pm.managed_bytes);
}

/* Millions of operations over all orders: 4 tests x SEEDS x STEPS per CLUSTER_ORDER. */
#define SEEDS 16
#define STEPS 9000

/* Every path must have been taken, or the sequences prove little. */
struct coverage {
    uint64_t alloc_failed, reclaimed, full, split, merge, reserve_failed;
};

static void run_seeds(unsigned first, struct coverage *cov)
{
    for (unsigned s = 0; s < SEEDS; s++) {
        run_seed(first + s, STEPS);
        cov->alloc_failed += M.pm.n_alloc_failed;
        cov->reclaimed += M.pm.resv_reclaimed;
        cov->full += M.pm.resv_full;
        cov->split += M.pm.n_split;
        cov->merge += M.pm.n_merge;
        cov->reserve_failed += M.pm.n_reserve_failed;
    }
    cr_assert(cov->alloc_failed && cov->reclaimed && cov->full && cov->split && cov->merge &&
                  cov->reserve_failed,
              "coverage: failed %lu reclaimed %lu full %lu split %lu merge %lu resv-failed %lu",
              (unsigned long)cov->alloc_failed, (unsigned long)cov->reclaimed,
              (unsigned long)cov->full, (unsigned long)cov->split, (unsigned long)cov->merge,
              (unsigned long)cov->reserve_failed);
}

#define RANDOM_TEST(n)                                                                             \
    Test(pmm_random, seeds_##n, .timeout = 120)                                                    \
    {                                                                                              \
        struct coverage cov = {0};                                                                 \
        run_seeds((n)*1000 + CLUSTER_ORDER * 100000, &cov);                                        \
    }
RANDOM_TEST(0)
RANDOM_TEST(1)
RANDOM_TEST(2)
RANDOM_TEST(3)

/* --- targeted cases ------------------------------------------------------------------ */

Test(pmm, add_range_trims_and_skips_address_zero)
{
    setup(1);
    pmm_init(&M.pm);
    cr_assert_eq(pmm_add_range(&M.pm, 0, CLUSTER_SIZE), 0, "address 0 must not be managed");
    cr_assert_eq(pmm_add_range(&M.pm, CLUSTER_SIZE + 1, CLUSTER_SIZE), 0);
    cr_assert_eq(M.pm.free_bytes, 0);
    paddr_t got = pmm_add_range(&M.pm, 4 * CLUSTER_SIZE - 1, 4 * CLUSTER_SIZE + 1);
    cr_assert_eq(got, 4 * CLUSTER_SIZE);
    cr_assert_eq(M.pm.free_extents, 1, "one aligned extent of 4 clusters");
    cr_assert_eq(M.pm.free_count[2], 1);
    cr_assert_eq(M.pm.unused_bytes, 2 * CLUSTER_SIZE + 1);
    /* An adjacent range coalesces with it. */
    cr_assert_eq(pmm_add_range(&M.pm, 8 * CLUSTER_SIZE, 8 * CLUSTER_SIZE), 8 * CLUSTER_SIZE);
    cr_assert_eq(M.pm.free_extents, 2); /* [4,8) order 2 and [8,16) order 3 */
    cr_assert_eq(M.pm.nranges, 1);
    pmm_verify(&M.pm);
}

Test(pmm, alloc_all_free_all_restores_the_boot_set)
{
    setup(7);
    uint64_t counts[PMM_ORDERS];
    memcpy(counts, M.pm.free_count, sizeof(counts));
    uint64_t free0 = M.pm.free_bytes;
    static paddr_t got[NCL];
    unsigned n = 0;
    paddr_t pa;
    while ((pa = pmm_alloc(&M.pm, 0)) != 0)
        got[n++] = pa;
    cr_assert_eq(M.pm.free_bytes, 0);
    cr_assert_eq((uint64_t)n * CLUSTER_SIZE, free0);
    for (unsigned i = n; i > 1; i--) { /* free in a random order */
        unsigned j = rndn(i);
        paddr_t t = got[i - 1];
        got[i - 1] = got[j];
        got[j] = t;
    }
    for (unsigned i = 0; i < n; i++)
        pmm_free(&M.pm, got[i], 0);
    cr_assert_eq(M.pm.free_bytes, free0);
    cr_assert_eq(memcmp(counts, M.pm.free_count, sizeof(counts)), 0);
    pmm_verify(&M.pm);
}

Test(pmm, reservation_lifecycle)
{
    map_ram();
    memset(&M, 0, sizeof(M));
    pmm_init(&M.pm);
    pmm_add_range(&M.pm, 0, (paddr_t)NCL * CLUSTER_SIZE);
    unsigned k = PMM_RESV_MAX_ORDER < 5 ? PMM_RESV_MAX_ORDER : 5, n = 1u << k;
    struct pmm_resv *a = &M.resv[0], *b = &M.resv[1];
    cr_assert(pmm_resv_reserve(&M.pm, a, k, NULL));
    cr_assert(pmm_resv_reserve(&M.pm, b, k, NULL));
    cr_assert_eq(pmm_resv_victim(&M.pm), a, "least recently grown first");
    cr_assert_neq(pmm_resv_take(&M.pm, a, n - 1), 0);
    cr_assert_eq(pmm_resv_victim(&M.pm), b, "a grew, b is now older");
    cr_assert_eq(pmm_resv_take(&M.pm, a, n - 1), 0, "taken twice");
    for (unsigned i = 0; i + 1 < n; i++)
        cr_assert_eq(pmm_resv_take(&M.pm, a, i), a->base + i * CLUSTER_SIZE);
    cr_assert(pmm_resv_full(a));
    cr_assert_eq(M.pm.resv_full, 1);
    cr_assert_eq(pmm_resv_victim(&M.pm), b);
    pmm_resv_break(&M.pm, b); /* nothing taken: the whole extent is free again */
    cr_assert_eq(b->state, PMM_RESV_BROKEN);
    cr_assert_null(pmm_resv_victim(&M.pm), "a full reservation is no victim");
    pmm_free(&M.pm, a->base, 0); /* back to the reservation */
    cr_assert(!pmm_resv_full(a));
    cr_assert_eq(pmm_resv_victim(&M.pm), a);
    cr_assert_eq(M.pm.untaken_bytes, CLUSTER_SIZE);
    pmm_resv_break(&M.pm, a);
    for (unsigned i = 1; i < n; i++)
        pmm_free(&M.pm, a->base + i * CLUSTER_SIZE, 0);
    cr_assert_eq(M.pm.free_bytes, M.pm.managed_bytes);
    cr_assert_eq(M.pm.resv_broken, 2);
    cr_assert_eq(pmm_metadata_bytes(&M.pm), sizeof(struct pmm) + M.pm.free_extents * 40);
    pmm_verify(&M.pm);
}

Test(pmm, pressure_breaks_the_least_recently_grown)
{
    map_ram();
    memset(&M, 0, sizeof(M));
    pmm_init(&M.pm);
    unsigned k = PMM_RESV_MAX_ORDER < 3 ? PMM_RESV_MAX_ORDER : 3, n = 1u << k;
    pmm_add_range(&M.pm, n * CLUSTER_SIZE, 3 * n * CLUSTER_SIZE); /* not a power of 2 */
    for (int i = 0; i < 3; i++)
        cr_assert(pmm_resv_reserve(&M.pm, &M.resv[i], k, NULL));
    cr_assert_eq(M.pm.free_bytes, 0);
    cr_assert_neq(pmm_resv_take(&M.pm, &M.resv[0], 0), 0);
    /* resv[1] is now least recently grown */
    paddr_t pa = pmm_alloc(&M.pm, k);
    cr_assert_eq(pa, M.resv[1].base);
    cr_assert_eq(M.resv[1].state, PMM_RESV_BROKEN);
    cr_assert_eq(M.pm.resv_reclaimed, 1);
    /* a whole-reservation request cannot be served by a partly taken one */
    cr_assert_neq(pmm_resv_take(&M.pm, &M.resv[2], 1), 0);
    cr_assert_eq(pmm_alloc(&M.pm, k), 0);
    cr_assert_neq(pmm_alloc(&M.pm, 0), 0, "a single cluster can be reclaimed");
    pmm_verify(&M.pm);
}

Test(pmm, boot_instance_takes_usable_ram_only)
{
    map_ram();
    static struct bootmem bm;
    bootmem_init(&bm);
    paddr_t space = (paddr_t)NCL * CLUSTER_SIZE;
    bootmem_add_firmware(&bm, 0, 0x9f000, BOOTMEM_USABLE);
    bootmem_add_firmware(&bm, 0x100000, space - 0x100000 - 0x3000, BOOTMEM_USABLE);
    bootmem_set(&bm, 0x200000, 0x123000, BOOTMEM_KERNEL);
    bootmem_add_module(&bm, space / 2 + 0x1000, 0x5000, "initramfs");
    mm_boot_init(&bm);
    cr_assert_eq(mm_boot_info.bm, &bm);
    cr_assert_eq(boot_pmm.free_bytes, mm_boot_info.free_bytes);
    cr_assert_eq(mm_boot_info.usable_bytes, bootmem_total(&bm, BOOTMEM_USABLE));
    cr_assert_eq(mm_boot_info.free_bytes + mm_boot_info.unused_bytes, mm_boot_info.usable_bytes);
    pmm_verify(&boot_pmm);
    /* nothing handed out overlaps a non-usable region */
    paddr_t pa;
    uint64_t total = 0;
    while ((pa = pmm_alloc(&boot_pmm, 0)) != 0) {
        total += CLUSTER_SIZE;
        for (unsigned i = 0; i < bm.n; i++)
            if (bm.r[i].type != BOOTMEM_USABLE)
                cr_assert(pa + CLUSTER_SIZE <= bm.r[i].base || pa >= bm.r[i].base + bm.r[i].size,
                          "cluster %lx overlaps a %s region", (unsigned long)pa,
                          bootmem_type_name(bm.r[i].type));
    }
    cr_assert_eq(total, mm_boot_info.free_bytes);
}

/* --- kernel bugs are caught (debug build) ------------------------------------------- */

static paddr_t panic_setup(void)
{
    map_ram();
    memset(&M, 0, sizeof(M));
    pmm_init(&M.pm);
    pmm_add_range(&M.pm, 0, (paddr_t)NCL * CLUSTER_SIZE / 2);
    return pmm_alloc(&M.pm, 1);
}

Test(pmm_panic, double_free, .signal = SIGABRT)
{
    paddr_t pa = panic_setup();
    pmm_free(&M.pm, pa, 1);
    pmm_free(&M.pm, pa, 1);
}

Test(pmm_panic, double_free_of_a_part, .signal = SIGABRT)
{
    paddr_t pa = panic_setup();
    pmm_free(&M.pm, pa + CLUSTER_SIZE, 0);
    pmm_free(&M.pm, pa, 1);
}

Test(pmm_panic, foreign_free, .signal = SIGABRT)
{
    panic_setup();
    pmm_free(&M.pm, (paddr_t)NCL * CLUSTER_SIZE * 3 / 4, 0);
}

Test(pmm_panic, foreign_free_of_untaken_reserved_cluster, .signal = SIGABRT)
{
    panic_setup();
    cr_assert(pmm_resv_reserve(&M.pm, &M.resv[0], MIN(PMM_RESV_MAX_ORDER, 3), NULL));
    cr_assert_neq(pmm_resv_take(&M.pm, &M.resv[0], 0), 0);
    pmm_free(&M.pm, M.resv[0].base + CLUSTER_SIZE, 0);
}

Test(pmm_panic, misaligned_free, .signal = SIGABRT)
{
    paddr_t pa = panic_setup();
    pmm_free(&M.pm, pa + CLUSTER_SIZE, 1);
}

Test(pmm_panic, free_not_on_a_page, .signal = SIGABRT)
{
    paddr_t pa = panic_setup();
    pmm_free(&M.pm, pa + 8, 0);
}
