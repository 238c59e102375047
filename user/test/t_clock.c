/*
 * The CLOCK system call: nanoseconds since boot, for every thread without a
 * cap. It never goes backwards, it advances while a thread computes, and it is
 * the TSC scaled by one factor fixed at boot (x86-64), so two spans give the
 * same ratio of nanoseconds to TSC counts. The calibration itself is checked
 * against the PIT at boot (the kernel prints the TSC rate).
 */
#include "tutil.h"
#include "wf/syscall.h"

static uint64_t tsc(void)
{
    return __builtin_ia32_rdtsc();
}

static void spin(unsigned n)
{
    for (volatile unsigned i = 0; i < n; i++)
        ;
}

TEST(clock, never_goes_backwards)
{
    uint64_t prev = wf_clock_ns();
    for (unsigned i = 0; i < 2000; i++) {
        uint64_t now = wf_clock_ns();
        TEST_ASSERT(now >= prev, "read %u: %llu after %llu", i, (unsigned long long)now,
                    (unsigned long long)prev);
        prev = now;
    }
}

TEST(clock, advances_with_the_tsc_at_one_rate)
{
    uint64_t n0 = wf_clock_ns(), c0 = tsc();
    spin(200000);
    uint64_t n1 = wf_clock_ns(), c1 = tsc();
    spin(800000);
    uint64_t n2 = wf_clock_ns(), c2 = tsc();
    TEST_ASSERT(n1 > n0 && n2 > n1, "the clock did not advance: %llu %llu %llu",
                (unsigned long long)n0, (unsigned long long)n1, (unsigned long long)n2);
    /* ns per count over each span, in parts per million: equal within 1%
     * (the reads of clock and TSC are not simultaneous). */
    uint64_t r1 = (n1 - n0) * 1000000 / (c1 - c0), r2 = (n2 - n1) * 1000000 / (c2 - c1);
    TEST_ASSERT(r1 > 0 && r2 > 0, "rates %llu %llu", (unsigned long long)r1,
                (unsigned long long)r2);
    uint64_t diff = r1 > r2 ? r1 - r2 : r2 - r1;
    TEST_ASSERT(diff * 100 <= (r1 > r2 ? r1 : r2), "ns per TSC count %llu vs %llu (ppm)",
                (unsigned long long)r1, (unsigned long long)r2);
}

TEST(clock, needs_no_cap_and_ignores_its_arguments)
{
    struct wf_msgregs m = {.w = {1, 2, 3, 4}};
    uint64_t before = wf_clock_ns();
    TEST_ASSERT_ERR(wf_syscall(WF_SYS_CLOCK, 12345, 678, &m), WF_ERR_OK);
    TEST_ASSERT(m.w[0] >= before, "%llu before %llu", (unsigned long long)m.w[0],
                (unsigned long long)before);
}
