/*
 * The per-architecture parts of the user-level benchmarks (user/bench/):
 * the counter that times a span and the loop that writes one word to each
 * 4 KiB page. Everything else in vm.c is the same on every architecture.
 *
 * Under -icount shift=0,sleep=off every counter below advances by one per
 * guest instruction, so a delta counts the instructions executed in between,
 * the kernel's included:
 *   - x86-64 reads the TSC (rdtsc; user mode may), one count per instruction;
 *   - aarch64 and riscv64 close their counters to user mode (CNTKCTL_EL1 and
 *     scounteren are clear: a read traps), so they ask the kernel's clock
 *     through the CLOCK system call. QEMU's virtual time advances by one
 *     nanosecond per instruction, and the clock reports nanoseconds in steps
 *     of its timebase: 16 (aarch64's 62.5 MHz counter) and 100 (riscv64's
 *     10 MHz time CSR). A delta includes one system call's round trip, the
 *     same in every span.
 * bench_touch's loop is 4 instructions per page on x86-64 and aarch64 (store,
 * add, compare, branch) and 3 on riscv64 (store, add, compare-and-branch).
 */
#ifndef WF_BENCH_ARCH_H
#define WF_BENCH_ARCH_H

#include <stdint.h>

#include "wf/syscall.h"

#if defined(__x86_64__)
static inline uint64_t bench_counter(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Writes one word to each 4 KiB page of [p, end), p < end, both page-aligned. */
static inline void bench_touch(uint64_t p, uint64_t end)
{
    __asm__ volatile("1: movq %0, (%0)\n\t"
                     "addq $4096, %0\n\t"
                     "cmpq %1, %0\n\t"
                     "jb 1b"
                     : "+r"(p)
                     : "r"(end)
                     : "memory", "cc");
}

#elif defined(__aarch64__)
static inline uint64_t bench_counter(void)
{
    return wf_clock_ns();
}

static inline void bench_touch(uint64_t p, uint64_t end)
{
    __asm__ volatile("1: str %0, [%0]\n\t"
                     "add %0, %0, #4096\n\t"
                     "cmp %0, %1\n\t"
                     "b.lo 1b"
                     : "+r"(p)
                     : "r"(end)
                     : "memory", "cc");
}

#elif defined(__riscv) && __riscv_xlen == 64
static inline uint64_t bench_counter(void)
{
    return wf_clock_ns();
}

static inline void bench_touch(uint64_t p, uint64_t end)
{
    __asm__ volatile("1: sd %0, 0(%0)\n\t"
                     "add %0, %0, %2\n\t"
                     "bltu %0, %1, 1b"
                     : "+r"(p)
                     : "r"(end), "r"(4096ull)
                     : "memory");
}

#else
#error "user/bench/bench_arch.h: no counter for this architecture"
#endif

#endif
