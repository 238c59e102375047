/*
 * lbench.h: what every program of the Linux guest benchmark shares (static musl
 * programs in an initramfs, booted by make bench-linux; docs/perf/linux.md).
 *
 * The guest runs under QEMU's -icount shift=0,sleep=off, where the TSC advances
 * by one per executed guest instruction, so an rdtsc delta is an instruction
 * count: the loop's own instructions plus everything the kernel executed for it,
 * exactly as on the Weft side (kernel/test/bench_ktest.c, user/bench/vm.c).
 *
 * Linux takes timer interrupts (HZ=250: one every 4,000,000 instructions under
 * icount) and, unlike Weft's benchmark boots, runs other work now and then, so a
 * short figure is measured as LB_BATCHES batches and the median batch is reported
 * (a tick lands in at most a few of them); the smallest batch is reported too.
 *
 * Output: one JSON object per line on stdout, in the formats of the Weft
 * benchmarks, with "system": "linux" where Weft's lines carry "cluster_order":
 *   {"bench": "ipc", "arch": "x86_64", "system": "linux", "case": ..., "space": ...,
 *    "path": "-", "iterations": N, "batches": B, "instructions_per_op": X.Y,
 *    "min_instructions_per_op": X.Y}
 *   {"bench": "vm", "arch": "x86_64", "system": "linux", "metric": ..., "value": N}
 * A program that finds its benchmark did not do what it names prints a line
 * starting with "linux-bench: FAIL" and exits with status 1.
 */
#ifndef LBENCH_H
#define LBENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#define LB_BATCHES 15
#define LB_MIB     (1024ul * 1024ul)
#define LB_2MIB    (2ul * LB_MIB)
#define LB_PAGE    4096ul

/* The time stamp counter: guest instructions executed so far under -icount. */
static inline uint64_t lb_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Prints "linux-bench: FAIL <what>" and ends the program with status 1. */
static inline void lb_fail(const char *what, long detail)
{
    printf("linux-bench: FAIL %s (%ld)\n", what, detail);
    fflush(stdout);
    exit(1);
}

static inline int lb_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v[0..n) in place and returns its median (the upper one for even n). */
static inline uint64_t lb_median(uint64_t *v, unsigned n)
{
    qsort(v, n, sizeof(*v), lb_cmp_u64);
    return v[n / 2];
}

/* Prints total/ops with one decimal, as the Weft benchmarks print theirs. */
static inline void lb_print_per_op(uint64_t total, uint64_t ops)
{
    uint64_t x10 = total * 10 / ops;
    printf("%llu.%llu", (unsigned long long)(x10 / 10), (unsigned long long)(x10 % 10));
}

/*
 * Reports an IPC-like figure: batch[0..LB_BATCHES) are the rdtsc deltas of batches
 * of `iterations` operations each. Prints the median and the smallest batch per
 * operation. batch[] is sorted afterwards.
 */
static inline void lb_report_op(const char *name, const char *space, unsigned iterations,
                                uint64_t *batch)
{
#ifdef LB_VERBOSE
    for (unsigned b = 0; b < LB_BATCHES; b++)
        printf("# %s batch %u: %llu\n", name, b, (unsigned long long)batch[b]);
#endif
    uint64_t med = lb_median(batch, LB_BATCHES);
    printf("{\"bench\": \"ipc\", \"arch\": \"x86_64\", \"system\": \"linux\", \"case\": \"%s\", "
           "\"space\": \"%s\", \"path\": \"-\", \"iterations\": %u, \"batches\": %d, "
           "\"instructions_per_op\": ",
           name, space, iterations, LB_BATCHES);
    lb_print_per_op(med, iterations);
    printf(", \"min_instructions_per_op\": ");
    lb_print_per_op(batch[0], iterations);
    printf("}\n");
    fflush(stdout);
}

/* Reports a memory figure in the VM benchmark's format (an integer value). */
static inline void lb_report_metric(const char *metric, uint64_t value)
{
    printf("{\"bench\": \"vm\", \"arch\": \"x86_64\", \"system\": \"linux\", \"metric\": \"%s\", "
           "\"value\": %llu}\n",
           metric, (unsigned long long)value);
    fflush(stdout);
}

/* Minor (no I/O) page faults of this process so far, from getrusage. */
static inline uint64_t lb_minflt(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        lb_fail("getrusage", 0);
    return (uint64_t)ru.ru_minflt;
}

/*
 * Maps `size` bytes of private anonymous memory at a 2 MiB-aligned address (the
 * Weft VM benchmark maps its 64 MiB at one too) and returns it; nothing is touched.
 * With `huge` false the range is marked MADV_NOHUGEPAGE, so that it is mapped by
 * 4 KiB pages only. The caller unmaps it with munmap(p, size).
 */
static inline char *lb_map_aligned(size_t size, int huge)
{
    char *raw =
        mmap(NULL, size + LB_2MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        lb_fail("mmap", (long)size);
    char *p = (char *)(((uintptr_t)raw + LB_2MIB - 1) & ~(uintptr_t)(LB_2MIB - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (p + size < raw + size + LB_2MIB)
        munmap(p + size, (size_t)(raw + size + LB_2MIB - (p + size)));
    if (!huge && madvise(p, size, MADV_NOHUGEPAGE) != 0)
        lb_fail("madvise(MADV_NOHUGEPAGE)", (long)size);
    return p;
}

/* Writes one word to every 4 KiB page of p[0..size): what Weft's `touch` loop does. */
static inline void lb_touch(char *p, size_t size)
{
    for (size_t off = 0; off < size; off += LB_PAGE)
        *(volatile uint64_t *)(p + off) = off;
}

/*
 * Idle time, for the boots with idle=poll (storage.c, net.c): the idle CPU
 * executes a loop while the guest waits for the host, and the kernel's idle
 * time, converted to TSC ticks at the rate measured at the start, is taken out
 * of an rdtsc delta.
 */

/* The kernel's clock (CLOCK_MONOTONIC) in nanoseconds. */
static inline uint64_t lb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The sum of two values of a file of the kernel's (/proc): those of the lines
 * that match format a or b (sscanf formats with one %llu), two lines in all.
 * Otherwise lb_fail: "no PATH" (errno) when it cannot be read, what (the lines
 * found) when the lines are not two.
 */
static inline uint64_t lb_proc_sum2(const char *path, const char *a, const char *b,
                                    const char *what)
{
    static char line[512];
    unsigned long long v, sum = 0;
    int found = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(line, sizeof(line), "no %s", path);
        lb_fail(line, errno);
    }
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, a, &v) == 1 || sscanf(line, b, &v) == 1) {
            sum += v;
            found++;
        }
    fclose(f);
    if (found != 2)
        lb_fail(what, found);
    return sum;
}

/* The CPU's idle and iowait time so far in nanoseconds (/proc/timer_list). */
static inline uint64_t lb_idle_ns(void)
{
    return lb_proc_sum2("/proc/timer_list", " .idle_sleeptime : %llu nsecs",
                        " .iowait_sleeptime : %llu nsecs",
                        "idle_sleeptime and iowait_sleeptime of one CPU in /proc/timer_list");
}

/* The TSC's rate against the kernel's clock over about 50 million
 * instructions: ticks per nanosecond, times 2^32. */
static inline uint64_t lb_tsc_per_ns_q32(void)
{
    uint64_t n0 = lb_now_ns(), t0 = lb_rdtsc();
    for (volatile uint64_t i = 0; i < 10000000; i++)
        ;
    uint64_t t1 = lb_rdtsc(), n1 = lb_now_ns();
    return (uint64_t)(((unsigned __int128)(t1 - t0) << 32) / (n1 - n0));
}

/* ns nanoseconds of the kernel's clock in TSC ticks at rate q32 (lb_tsc_per_ns_q32). */
static inline uint64_t lb_ns_to_ticks(uint64_t ns, uint64_t q32)
{
    return (uint64_t)((unsigned __int128)ns * q32 >> 32);
}

#endif
