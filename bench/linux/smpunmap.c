/*
 * smpunmap: munmap of a page touched by threads on 1, 2 and 4 CPUs, the peer
 * of Weft's smp/unmap_cost_with_the_page_touched_on_1_2_and_4_cpus (user/test/
 * t_smp.c; docs/perf/smp.md, make bench-smp). The main thread, on CPU 0, maps
 * the one page of a memfd (MAP_SHARED) and writes it; threads on CPUs 1 to
 * k - 1, each pinned there (sched_setaffinity), read it and spin with pause in
 * the same address space (running, so that Linux does not leave their CPUs out
 * of the TLB flush as it does CPUs in lazy TLB mode); the main thread times
 * its munmap with rdtsc. As Weft's test maps the page of a VMO, which keeps
 * it, the memfd keeps the page: munmap removes the mapping and flushes the
 * TLBs but frees nothing (a private anonymous page would be freed with it,
 * work Weft's Unmap does not do). The page is mapped each round at the same
 * address (MAP_FIXED), 1 MiB into a PROT_NONE reservation of 4 MiB aligned to
 * 4 MiB, so the reservation lies on both sides of it in the same 2 MiB and
 * its page table stays when it goes, as Weft's Unmap keeps its tables (a page
 * put where mmap chose was alone in its 2 MiB at k = 1, and munmap freed its
 * page tables too, and beside the threads' stacks at k = 2 and 4, so k = 1
 * came out the dearest). Under -icount shift=0,sleep=off the TSC counts every
 * vCPU's instructions, a spinning one's few (QEMU's round robin moves on at
 * each pause), so the figure is the munmap's work on every CPU. R rounds per
 * k; the median is reported (a timer tick lands in a few), and the smallest.
 *
 * Output: {"bench": "smp", "arch": "x86_64", "system": "linux", "cpus": k,
 * "case": "unmap_touched", "iterations": R, "instructions_per_op": X,
 * "min_instructions_per_op": Y}, for each k of 1, 2, 4 up to the CPUs online.
 *
 *   smpunmap [--help]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "lbench.h"

#define R    21
#define RESV (4ul << 20) /* the reservation; twice as much is mapped to align it */

static volatile uint64_t round_no;
static volatile char *volatile page;
static volatile uint64_t seen[4][8];

static void pin(unsigned cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set))
        lb_fail("sched_setaffinity", (long)cpu);
}

static void *toucher(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;
    uint64_t last = 0;
    pin(i);
    for (;;) {
        uint64_t r;
        while ((r = round_no) == last)
            __builtin_ia32_pause();
        if (r == ~0ull)
            return NULL;
        if (*(volatile uint64_t *)page != r)
            lb_fail("a toucher read another round's page", (long)i);
        last = seen[i][0] = r;
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        printf("usage: smpunmap  (munmap of a page touched on 1, 2, 4 CPUs; JSON lines)\n");
        return strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    pin(0);
    char *resv =
        mmap(NULL, 2 * RESV, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (resv == MAP_FAILED)
        lb_fail("mmap (the reservation)", 0);
    int fd = memfd_create("smpunmap", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, LB_PAGE))
        lb_fail("memfd_create", 0);
    char *slot = (char *)(((uintptr_t)resv + RESV - 1) / RESV * RESV) + (1ul << 20);
    for (unsigned k = 1; k <= 4 && k <= n; k *= 2) {
        pthread_t th[3];
        uint64_t t[R];
        round_no = 0;
        for (unsigned i = 1; i < k; i++) {
            seen[i][0] = 0;
            if (pthread_create(&th[i - 1], NULL, toucher, (void *)(uintptr_t)i))
                lb_fail("pthread_create", (long)i);
        }
        for (uint64_t r = 1; r <= R; r++) {
            char *p = mmap(slot, LB_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
            if (p != slot)
                lb_fail("mmap", (long)r);
            *(volatile uint64_t *)p = r;
            page = p;
            round_no = r;
            for (unsigned i = 1; i < k; i++)
                while (seen[i][0] != r)
                    __builtin_ia32_pause();
            uint64_t t0 = lb_rdtsc();
            if (munmap(p, LB_PAGE))
                lb_fail("munmap", (long)r);
            t[r - 1] = lb_rdtsc() - t0;
        }
        round_no = ~0ull;
        for (unsigned i = 1; i < k; i++)
            pthread_join(th[i - 1], NULL);
        uint64_t med = lb_median(t, R);
        printf("{\"bench\": \"smp\", \"arch\": \"x86_64\", \"system\": \"linux\", \"cpus\": %u, "
               "\"case\": \"unmap_touched\", \"iterations\": %u, \"instructions_per_op\": %llu, "
               "\"min_instructions_per_op\": %llu}\n",
               k, R, (unsigned long long)med, (unsigned long long)t[0]);
        fflush(stdout);
    }
    return 0;
}
