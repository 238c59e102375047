/*
 * The aging workload of the PMM simulator (bench/pmm/sim.c; documented in
 * docs/perf/pmm.md). It drives one struct pmm the way the kernel will: kernel
 * objects through a slab layer over clusters, anonymous VMOs faulting in 2 MiB
 * windows through reservations, and explicit 64 KiB and 2 MiB blocks.
 */
#ifndef WEFT_BENCH_PMM_WORKLOAD_H
#define WEFT_BENCH_PMM_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/pmm.h"

enum wl_kind { WL_SMALL, WL_VMO, WL_B64K, WL_B2M, WL_KINDS };

struct wl_params {
    uint64_t seed;
    double budget[WL_KINDS]; /* share of managed RAM each kind may commit */
    double occupancy;        /* no creation while this share of managed RAM is in use */
    unsigned life_max;       /* lifetimes are log-uniform in [1, life_max] ticks */
    double page_table_share; /* small requests that are exactly 4 KiB */
    double sparse_share;     /* VMOs that touch only a prefix of each window */
};

/* Counts of explicit block requests made while free memory sufficed. */
struct wl_req {
    uint64_t attempts, ok;
};

struct wl_stats {
    /* 64 KiB (WL_B64K) and 2 MiB (WL_B2M) blocks; 2 MiB window reservations (WL_VMO) */
    struct wl_req req[WL_KINDS];
    uint64_t created[WL_KINDS], died[WL_KINDS];
    uint64_t oom;        /* requests refused for lack of any memory */
    uint64_t promotions; /* VMO windows that became fully populated from a reservation */
    uint64_t window_reserve_failed;
    /* cost side, at the moment of wl_cost() */
    uint64_t small_requested, small_class, small_slab; /* bytes */
    uint64_t vmo_touched, vmo_held;                    /* bytes */
};

struct wl;

struct wl *wl_create(struct pmm *pm, const struct wl_params *p);
/* Kills every object (all memory goes back to the PMM) and frees w. */
void wl_destroy(struct wl *w);
/* One tick: deaths that are due, VMO growth, creations up to the budgets. */
void wl_tick(struct wl *w);
/* Zeroes the request counters (start of a measured phase). */
void wl_reset_requests(struct wl *w);
/* Current statistics, with the cost-side byte counts filled in. */
struct wl_stats wl_stats(const struct wl *w);
/* Bytes each kind holds from the PMM now. */
uint64_t wl_held(const struct wl *w);

#endif
