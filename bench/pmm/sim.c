/*
 * The PMM simulator: the kernel's own kernel/mm/pmm.c and pmm_boot.c, compiled for
 * the host once per CLUSTER_ORDER, run over simulated RAM under the aging workload
 * of workload.c. One run = one CLUSTER_ORDER, one seed, one fragmentation level:
 *
 *   1. boot: a PC-like memory map (640 KiB, 1 MiB..3 GiB, 4 GiB..; kernel image,
 *      an initramfs module and early page tables marked) goes through the real
 *      mm_boot_init;
 *   2. fragmenter (Frag-X, after Quicksilver's Frag-50/Frag-100): every cluster is
 *      drained from the allocator, one random cluster is kept pinned in X% of the
 *      2 MiB regions (a seeded choice, so a higher level pins a superset), and the
 *      rest is freed; the pins stay for the whole run;
 *   3. aging: --age-ticks ticks of the workload;
 *   4. probes of the aged state (in a forked copy, so the state is not disturbed):
 *      2 MiB, then 64 KiB extents are allocated until one fails; of the allocations
 *      the free memory had room for (free extents plus untaken reserved clusters,
 *      divided by the size), the share that succeeded is the success rate;
 *   5. measuring: --measure-ticks more ticks of the workload, counting the 64 KiB
 *      and 2 MiB requests made while free memory sufficed and how many were served
 *      whole, and sampling the cost side every tick.
 * It prints one JSON object: counts and ratios only, never times.
 *
 * Simulated RAM is an anonymous MAP_NORESERVE mapping: the allocator writes only
 * the nodes of free extents, so 4 GiB of RAM costs what those nodes touch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/bootmem.h"
#include "mm/pmm.h"
#include "workload.h"

extern uintptr_t host_phys_base;

struct opts {
    uint64_t ram, seed;
    double frag;
    unsigned age_ticks, measure_ticks, life_max;
    const char *out;
};

static uint64_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    uint64_t v = strtoull(s, &end, 0);
    switch (*end) {
    case 'G':
        v <<= 30;
        break;
    case 'M':
        v <<= 20;
        break;
    case 'K':
        v <<= 10;
        break;
    case 0:
        break;
    default:
        fprintf(stderr, "pmm-sim: bad size %s\n", s);
        exit(2);
    }
    return v;
}

static void usage(void)
{
    fprintf(stderr, "usage: pmm-sim [--ram SIZE] [--seed N] [--frag PERCENT] [--age-ticks N]\n"
                    "               [--measure-ticks N] [--life-max N] [--out FILE]\n");
    exit(2);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A PC-like memory map of ram bytes, as QEMU's -m gives it, through bootmem. */
static paddr_t build_map(struct bootmem *bm, uint64_t ram)
{
    bootmem_init(bm);
    bm->protocol = "simulated";
    uint64_t low = MIN(ram, GIB(3));
    bootmem_add_firmware(bm, 0, 0x9fc00, BOOTMEM_USABLE);
    bootmem_add_firmware(bm, MIB(1), low - MIB(1), BOOTMEM_USABLE);
    paddr_t top = low;
    if (ram > GIB(3)) {
        bootmem_add_firmware(bm, GIB(4), ram - GIB(3), BOOTMEM_USABLE);
        top = GIB(4) + ram - GIB(3);
    }
    bootmem_set(bm, 0, MIB(1), BOOTMEM_RESERVED);      /* as the x86 entry does */
    bootmem_set(bm, MIB(2), 0x180000, BOOTMEM_KERNEL); /* 1.5 MiB image */
    bootmem_add_module(bm, MIB(16), MIB(8) + 0x3000, "initramfs");
    bootmem_alloc_early(bm, 24 * PAGE_SIZE, PAGE_SIZE, GIB(4)); /* page tables */
    return top;
}

static paddr_t *pins;
static size_t npins;

/* Frag-X: pins one random cluster in level% of the 2 MiB regions (kept in pins[]).
 * Returns the bytes pinned. */
static uint64_t fragment(struct pmm *pm, double level, paddr_t top)
{
    if (level <= 0)
        return 0;
    size_t n = 0, cap = pm->free_bytes / CLUSTER_SIZE;
    paddr_t *cl = malloc(cap * sizeof(*cl));
    size_t nreg = (size_t)(top >> 21) + 1;
    uint32_t *count = calloc(nreg, 4), *chosen = calloc(nreg, 4), *regs = calloc(nreg, 4);
    if (!cl || !count || !chosen || !regs)
        exit(2);
    while (pm->free_bytes)
        cl[n++] = pmm_alloc(pm, 0);
    size_t nr = 0;
    for (size_t i = 0; i < n; i++)
        if (count[cl[i] >> 21]++ == 0)
            regs[nr++] = (uint32_t)(cl[i] >> 21);
    for (size_t i = nr; i > 1; i--) { /* seeded shuffle: a prefix is selected */
        size_t j = rnd() % i;
        uint32_t t = regs[i - 1];
        regs[i - 1] = regs[j];
        regs[j] = t;
    }
    for (size_t r = 0; r < nreg; r++)
        chosen[r] = UINT32_MAX;
    size_t sel = (size_t)(level / 100.0 * (double)nr + 0.5);
    for (size_t i = 0; i < sel; i++)
        chosen[regs[i]] = (uint32_t)(rnd() % count[regs[i]]);
    pins = malloc((sel + 1) * sizeof(*pins));
    for (size_t i = 0; i < n; i++) {
        uint32_t r = (uint32_t)(cl[i] >> 21);
        if (chosen[r] == --count[r])
            pins[npins++] = cl[i]; /* kept for the whole run */
        else
            pmm_free(pm, cl[i], 0);
    }
    uint64_t pinned = npins * CLUSTER_SIZE;
    free(cl);
    free(count);
    free(chosen);
    free(regs);
    return pinned;
}

/* Of the extents of this many bytes that the available memory has room for, the share
 * that can be allocated (allocating until the first failure; a failure changes
 * nothing, so every later attempt would fail too). */
static double probe(struct pmm *pm, uint64_t bytes)
{
    unsigned order = 0;
    while (pmm_order_bytes(order) < bytes)
        order++;
    uint64_t avail = pm->free_bytes + pm->untaken_bytes, got = 0;
    size_t n = 0, cap = avail / bytes;
    paddr_t *held = malloc(cap * sizeof(*held)), pa;
    while (n < cap && (pa = pmm_alloc(pm, order)) != 0) {
        held[n++] = pa;
        got += pmm_order_bytes(order);
    }
    while (n)
        pmm_free(pm, held[--n], order);
    free(held);
    return cap ? (double)(got / bytes) / (double)cap : 1.0;
}

/* Probes the current state in a forked copy of the simulator. */
static void probe_aged(struct pmm *pm, double *p2m, double *p64k)
{
    double *res =
        mmap(NULL, 2 * sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED)
        exit(2);
    pid_t pid = fork();
    if (pid < 0)
        exit(2);
    if (pid == 0) {
        res[0] = probe(pm, MIB(2));
        res[1] = probe(pm, KIB(64));
        pmm_verify(pm);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "pmm-sim: the probe failed\n");
        exit(1);
    }
    *p2m = res[0];
    *p64k = res[1];
    munmap(res, 2 * sizeof(double));
}

static double per_gib(uint64_t bytes, uint64_t ram)
{
    return (double)bytes / ((double)ram / (double)GIB(1));
}

static void json_extents(FILE *f, const struct pmm *pm)
{
    fprintf(f, "[");
    for (unsigned j = 0; j < PMM_ORDERS; j++)
        fprintf(f, "%s%llu", j ? "," : "", (unsigned long long)pm->free_count[j]);
    fprintf(f, "]");
}

static double rate(struct wl_req r)
{
    return r.attempts ? (double)r.ok / (double)r.attempts : 1.0;
}

int main(int argc, char **argv)
{
    struct opts o = {
        .ram = GIB(4), .seed = 1, .age_ticks = 3000, .measure_ticks = 1000, .life_max = 4000};
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--ram"))
            o.ram = parse_size(v);
        else if (!strcmp(a, "--seed"))
            o.seed = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--frag"))
            o.frag = strtod(v, NULL);
        else if (!strcmp(a, "--age-ticks"))
            o.age_ticks = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--measure-ticks"))
            o.measure_ticks = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--life-max"))
            o.life_max = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--out"))
            o.out = v;
        else
            usage();
    }
    if (o.ram < MIB(64)) {
        fprintf(stderr, "pmm-sim: --ram must be at least 64M\n");
        return 2;
    }

    static struct bootmem bm;
    paddr_t top = build_map(&bm, o.ram);
    void *ram =
        mmap(NULL, top, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED) {
        perror("pmm-sim: mmap");
        return 2;
    }
    host_phys_base = (uintptr_t)ram;
    mm_boot_init(&bm);
    struct pmm *pm = &boot_pmm;
    uint64_t managed = pm->managed_bytes;
    uint64_t boot_meta = pmm_metadata_bytes(pm), boot_extents = pm->free_extents;
    uint64_t boot_free = pm->free_bytes, boot_count[PMM_ORDERS];
    memcpy(boot_count, pm->free_count, sizeof(boot_count));

    rng_state = o.seed * 0x2545f4914f6cdd1dull;
    uint64_t pinned = fragment(pm, o.frag, top);

    struct wl_params p = {
        .seed = o.seed,
        .budget = {[WL_SMALL] = 0.04, [WL_VMO] = 0.85, [WL_B64K] = 0.06, [WL_B2M] = 0.10},
        .occupancy = 0.90,
        .life_max = o.life_max,
        .page_table_share = 0.35,
        .sparse_share = 0.25,
    };
    struct wl *w = wl_create(pm, &p);
    uint64_t meta_peak = 0;
    for (unsigned t = 0; t < o.age_ticks; t++) {
        wl_tick(w);
        meta_peak = MAX(meta_peak, pmm_metadata_bytes(pm));
    }
    struct wl_stats aged = wl_stats(w);
    uint64_t aged_meta = pmm_metadata_bytes(pm), aged_free = pm->free_bytes;
    uint64_t aged_untaken = pm->untaken_bytes, aged_extents = pm->free_extents;
    uint64_t aged_resv = pm->resv_live, aged_held = wl_held(w);
    struct pmm aged_pm = *pm; /* counters only */
    double probe_2m, probe_64k;
    probe_aged(pm, &probe_2m, &probe_64k);

    wl_reset_requests(w);
    double slab_over = 0, slab_round = 0, small_req = 0, vmo_round = 0, vmo_touch = 0;
    for (unsigned t = 0; t < o.measure_ticks; t++) {
        wl_tick(w);
        meta_peak = MAX(meta_peak, pmm_metadata_bytes(pm));
        struct wl_stats s = wl_stats(w);
        slab_over += (double)(s.small_slab - s.small_requested);
        slab_round += (double)(s.small_slab - s.small_class);
        small_req += (double)s.small_requested;
        vmo_round += (double)(s.vmo_held - s.vmo_touched);
        vmo_touch += (double)s.vmo_touched;
    }
    double ticks = o.measure_ticks ? o.measure_ticks : 1;
    struct wl_stats st = wl_stats(w);
    struct pmm end = *pm;
    uint64_t end_meta = pmm_metadata_bytes(pm);
    pmm_verify(pm);

    FILE *f = o.out ? fopen(o.out, "w") : stdout;
    if (!f) {
        perror(o.out);
        return 2;
    }
#define U(x) ((unsigned long long)(x))
    fprintf(f,
            "{\"cluster_order\": %d, \"cluster_bytes\": %llu, \"seed\": %llu, "
            "\"frag_level\": %g,\n",
            CLUSTER_ORDER, U(CLUSTER_SIZE), U(o.seed), o.frag);
    fprintf(f,
            " \"ram_bytes\": %llu, \"managed_bytes\": %llu, \"age_ticks\": %u, "
            "\"measure_ticks\": %u, \"life_max\": %u,\n",
            U(o.ram), U(managed), o.age_ticks, o.measure_ticks, o.life_max);
    fprintf(
        f, " \"sizeof\": {\"pmm\": %zu, \"free_node\": %llu, \"resv\": %zu},\n", sizeof(struct pmm),
        U((pmm_metadata_bytes(pm) - sizeof(struct pmm) - pm->resv_live * sizeof(struct pmm_resv)) /
          (pm->free_extents ? pm->free_extents : 1)),
        sizeof(struct pmm_resv));
    fprintf(f,
            " \"boot\": {\"free_bytes\": %llu, \"free_extents\": %llu, \"metadata_bytes\": "
            "%llu, \"metadata_per_gib\": %.1f, \"unused_bytes\": %llu},\n",
            U(boot_free), U(boot_extents), U(boot_meta), per_gib(boot_meta, managed),
            U(mm_boot_info.unused_bytes));
    fprintf(f, " \"pinned_bytes\": %llu,\n", U(pinned));
    fprintf(f,
            " \"aged\": {\"metadata_bytes\": %llu, \"metadata_per_gib\": %.1f, "
            "\"free_bytes\": %llu, \"untaken_bytes\": %llu, \"free_extents\": %llu, "
            "\"resv_live\": %llu, \"held_bytes\": %llu, \"extents_by_order\": ",
            U(aged_meta), per_gib(aged_meta, managed), U(aged_free), U(aged_untaken),
            U(aged_extents), U(aged_resv), U(aged_held));
    json_extents(f, &aged_pm);
    fprintf(f, "},\n");
    fprintf(f,
            " \"end\": {\"metadata_bytes\": %llu, \"metadata_per_gib\": %.1f, "
            "\"free_extents\": %llu, \"resv_live\": %llu},\n",
            U(end_meta), per_gib(end_meta, managed), U(end.free_extents), U(end.resv_live));
    fprintf(f, " \"metadata_peak_per_gib\": %.1f,\n", per_gib(meta_peak, managed));
    static const char *const req_name[WL_KINDS] = {
        [WL_VMO] = "2m_window", [WL_B64K] = "64k", [WL_B2M] = "2m_block"};
    const struct wl_stats *phase[2] = {&st, &aged};
    for (int ph = 0; ph < 2; ph++) {
        fprintf(f, " \"%s\": {", ph ? "aging_requests" : "requests");
        for (unsigned k = WL_VMO; k < WL_KINDS; k++)
            fprintf(f, "%s\"%s\": {\"attempts\": %llu, \"ok\": %llu, \"rate\": %.4f}",
                    k > WL_VMO ? ", " : "", req_name[k], U(phase[ph]->req[k].attempts),
                    U(phase[ph]->req[k].ok), rate(phase[ph]->req[k]));
        fprintf(f, "},\n");
    }
    fprintf(f, " \"after_aging\": {\"success_2m\": %.4f, \"success_64k\": %.4f},\n", probe_2m,
            probe_64k);
    fprintf(f,
            " \"reservations\": {\"made\": %llu, \"failed\": %llu, \"full\": %llu, "
            "\"broken\": %llu, \"broken_under_pressure\": %llu, \"promotions\": %llu},\n",
            U(end.resv_made), U(end.n_reserve_failed), U(end.resv_full), U(end.resv_broken),
            U(end.resv_reclaimed), U(st.promotions));
    uint64_t ops = end.n_alloc + end.n_free + end.n_reserve + end.n_take + end.n_break;
    fprintf(f,
            " \"ops\": {\"total\": %llu, \"alloc\": %llu, \"alloc_failed\": %llu, "
            "\"free\": %llu, \"reserve\": %llu, \"take\": %llu, \"break\": %llu, "
            "\"split\": %llu, \"merge\": %llu},\n",
            U(ops), U(end.n_alloc), U(end.n_alloc_failed), U(end.n_free), U(end.n_reserve),
            U(end.n_take), U(end.n_break), U(end.n_split), U(end.n_merge));
    fprintf(f, " \"objects\": {\"created\": [%llu, %llu, %llu, %llu], \"oom\": %llu},\n",
            U(st.created[WL_SMALL]), U(st.created[WL_VMO]), U(st.created[WL_B64K]),
            U(st.created[WL_B2M]), U(st.oom));
    fprintf(f,
            " \"cost\": {\"small_requested_bytes\": %.0f, \"slab_overhead_bytes\": %.0f, "
            "\"slab_cluster_rounding_bytes\": %.0f, \"slab_overhead_per_gib\": %.1f, "
            "\"vmo_touched_bytes\": %.0f, \"vmo_rounding_bytes\": %.0f, "
            "\"vmo_rounding_per_gib\": %.1f}\n",
            small_req / ticks, slab_over / ticks, slab_round / ticks,
            per_gib((uint64_t)(slab_over / ticks), managed), vmo_touch / ticks, vmo_round / ticks,
            per_gib((uint64_t)(vmo_round / ticks), managed));
    fprintf(f, "}\n");
    if (f != stdout)
        fclose(f);

    /* Everything back: the free set must be exactly the boot set again. */
    wl_destroy(w);
    while (npins)
        pmm_free(pm, pins[--npins], 0);
    free(pins);
    pmm_verify(pm);
    if (pm->free_bytes != boot_free || memcmp(boot_count, pm->free_count, sizeof(boot_count)) ||
        pm->resv_live || pm->untaken_bytes) {
        fprintf(stderr, "pmm-sim: after freeing everything the free set differs from boot\n");
        return 1;
    }
    munmap(ram, top);
    return 0;
}
