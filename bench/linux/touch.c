/*
 * touch: first touch of 64 MiB of anonymous memory, the peer of Weft's VM
 * benchmark (user/bench/vm.c): a fresh private anonymous mapping at
 * a 2 MiB-aligned address, one word written to each 4 KiB page, timed around the
 * loop so that the figure holds the loop and every page fault the kernel took for
 * it (entry, allocation, zeroing, mapping, return). Done R times (a fresh mapping
 * each, unmapped after) and the median reported, in two variants:
 *
 *   first_touch_*      as Debian's kernel ships: transparent huge pages "always",
 *                      so aligned 2 MiB ranges are faulted in as huge pages
 *   first_touch_4k_*   the same range marked MADV_NOHUGEPAGE: 4 KiB pages only,
 *                      the peer of Weft's CLUSTER_ORDER=0 build
 *
 * Reported per variant: instructions per MiB, page faults per MiB (getrusage
 * ru_minflt; also the total for 64 MiB), and the share of the range mapped by
 * 2 MiB pages in per mille (AnonHugePages of /proc/self/smaps_rollup).
 *
 * `touch --time-only` (make bench-lx: lx has neither getrusage nor smaps)
 * reports the instructions per MiB only, measured the same way.
 */
#include "lbench.h"

#define SIZE (64ul * LB_MIB)
#define R    5

/* Bytes of this process's anonymous memory mapped by huge pages, from /proc. */
static uint64_t anon_huge_bytes(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    unsigned long long kb = 0;
    int found = 0;
    if (!f)
        lb_fail("no /proc/self/smaps_rollup (is /proc mounted?)", 0);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1) {
            found = 1;
            break;
        }
    fclose(f);
    if (!found)
        lb_fail("no AnonHugePages line in smaps_rollup", 0);
    return (uint64_t)kb * 1024;
}

static int time_only;

static void variant(const char *prefix, int huge)
{
    uint64_t t[R], faults[R], share[R];
    char name[96];
    for (unsigned r = 0; r < R; r++) {
        char *p = lb_map_aligned(SIZE, huge);
        uint64_t f0 = time_only ? 0 : lb_minflt();
        uint64_t t0 = lb_rdtsc();
        lb_touch(p, SIZE);
        t[r] = lb_rdtsc() - t0;
        faults[r] = time_only ? 1 : lb_minflt() - f0;
        share[r] = time_only ? 0 : anon_huge_bytes() * 1000 / SIZE;
        for (size_t off = 0; off < SIZE; off += LB_PAGE)
            if (*(uint64_t *)(p + off) != off)
                lb_fail("a touched page lost its word", (long)off);
        munmap(p, SIZE);
        if (faults[r] == 0 || faults[r] > SIZE / LB_PAGE)
            lb_fail("faults outside 1..16384 for 64 MiB", (long)faults[r]);
    }
    uint64_t tm = lb_median(t, R), fm = lb_median(faults, R), sm = lb_median(share, R);
    snprintf(name, sizeof(name), "%s_instructions_per_mib", prefix);
    lb_report_metric(name, tm / (SIZE / LB_MIB));
    if (time_only)
        return;
    snprintf(name, sizeof(name), "%s_faults_per_mib", prefix);
    lb_report_metric(name, fm / (SIZE / LB_MIB));
    snprintf(name, sizeof(name), "%s_faults_64mib", prefix);
    lb_report_metric(name, fm);
    snprintf(name, sizeof(name), "%s_share_2mib_permille", prefix);
    lb_report_metric(name, sm);
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--time-only") != 0)) {
        fprintf(stderr, "usage: touch [--time-only]\n");
        return 2;
    }
    time_only = argc == 2;
    variant("first_touch", 1);
    variant("first_touch_4k", 0);
    return 0;
}
