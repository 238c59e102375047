/*
 * The CLOCK system call: nanoseconds since boot, for every thread without a
 * cap. It never goes backwards, it advances while a thread computes, and it is
 * the TSC scaled by one factor fixed at boot (x86-64), so two spans give the
 * same ratio of nanoseconds to TSC counts. The calibration itself is checked
 * against the PIT at boot (the kernel prints the TSC rate). On aarch64 the
 * clock is the generic timer's, whose counter EL0 may not read (CNTKCTL_EL1),
 * so there is nothing to compare it with from here.
 */
#include "tarch.h"
#include "tutil.h"
#include "wf/syscall.h"

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

#if defined(__x86_64__)

static uint64_t tsc(void)
{
    return __builtin_ia32_rdtsc();
}

static void spin(unsigned n)
{
    for (volatile unsigned i = 0; i < n; i++)
        ;
}

/* One clock read bracketed by two TSC reads: *n the clock, [*lo, *hi] the TSC
 * window it was taken in. Retries (up to 1000 times) until the window is
 * narrower than 50,000 counts, so that an interrupt between the reads only
 * costs a retry. */
static bool sample(uint64_t *n, uint64_t *lo, uint64_t *hi)
{
    for (unsigned i = 0; i < 1000; i++) {
        *lo = tsc();
        *n = wf_clock_ns();
        *hi = tsc();
        if (*hi - *lo < 50000)
            return true;
    }
    return false;
}

TEST(clock, advances_with_the_tsc_at_one_rate)
{
    uint64_t n[3], lo[3], hi[3];
    for (unsigned i = 0; i < 3; i++) {
        if (i)
            spin(i * 300000);
        TEST_ASSERT(sample(&n[i], &lo[i], &hi[i]), "no quiet window for sample %u", i);
    }
    TEST_ASSERT(n[1] > n[0] && n[2] > n[1], "the clock did not advance: %llu %llu %llu",
                (unsigned long long)n[0], (unsigned long long)n[1], (unsigned long long)n[2]);
    /* The clock is the TSC times one factor: over each span, ns per count (in
     * parts per billion) lies between the span's clock delta over its widest
     * and its narrowest TSC delta. The two spans' ranges must meet (0.1% of
     * slack for the clock's rounding). */
    uint64_t rmin[2], rmax[2];
    for (unsigned k = 0; k < 2; k++) {
        uint64_t dn = n[k + 1] - n[k];
        TEST_ASSERT(lo[k + 1] > hi[k], "TSC windows overlap");
        rmin[k] = dn * 1000000 / (hi[k + 1] - lo[k]);
        rmax[k] = dn * 1000000 / (lo[k + 1] - hi[k]) + 1;
    }
    uint64_t top = rmax[0] < rmax[1] ? rmax[0] : rmax[1];
    uint64_t bottom = rmin[0] > rmin[1] ? rmin[0] : rmin[1];
    TEST_ASSERT(bottom <= top + top / 1000,
                "ns per TSC count (ppm) in [%llu, %llu] over one span, [%llu, %llu] over the "
                "next",
                (unsigned long long)rmin[0], (unsigned long long)rmax[0],
                (unsigned long long)rmin[1], (unsigned long long)rmax[1]);
}

#else

TEST_X86_64_ONLY(clock, advances_with_the_tsc_at_one_rate,
                 "the clock against the TSC (rdtsc); aarch64's counter is closed to EL0")

#endif

TEST(clock, needs_no_cap_and_ignores_its_arguments)
{
    struct wf_msgregs m = {.w = {1, 2, 3, 4}};
    uint64_t before = wf_clock_ns();
    TEST_ASSERT_ERR(wf_syscall(WF_SYS_CLOCK, 12345, 678, &m), WF_ERR_OK);
    TEST_ASSERT(m.w[0] >= before, "%llu before %llu", (unsigned long long)m.w[0],
                (unsigned long long)before);
}

/* TCB_SetDeadline: the root task binds a notification to itself, arms its timer
 * and Waits: the Wait ends with the bits once the clock has passed the deadline,
 * not before; a deadline in the past fires at the next tick; a disarmed timer
 * never fires (Poll finds nothing after the deadline has passed). */
TEST(clock, a_deadline_signals_the_bound_notification)
{
    wf_cptr_t n = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(n);
    TEST_ASSERT_ERR(wf_tcb_bind_notification(WF_ROOT_TCB, n), WF_ERR_OK);
    uint64_t t0 = wf_clock_ns(), deadline = t0 + 30000000; /* 30 ms */
    TEST_ASSERT_ERR(wf_tcb_set_deadline(WF_ROOT_TCB, deadline, 0x5), WF_ERR_OK);
    wf_word_t bits = 0;
    TEST_ASSERT_ERR(wf_sys_wait(n, &bits), WF_ERR_OK);
    uint64_t woke = wf_clock_ns();
    TEST_ASSERT_EQ(bits, 0x5);
    TEST_ASSERT(woke >= deadline, "woken at %llu, before the deadline %llu",
                (unsigned long long)woke, (unsigned long long)deadline);
    /* Already past: fires at the next tick. */
    TEST_ASSERT_ERR(wf_tcb_set_deadline(WF_ROOT_TCB, 1, 0x8), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_wait(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0x8);
    /* Disarmed: nothing comes, even well after the deadline. */
    deadline = wf_clock_ns() + 20000000;
    TEST_ASSERT_ERR(wf_tcb_set_deadline(WF_ROOT_TCB, deadline, 0x1), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_deadline(WF_ROOT_TCB, 0, 0), WF_ERR_OK);
    while (wf_clock_ns() < deadline + 30000000)
        wf_sys_yield();
    TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0);
    TEST_ASSERT_ERR(wf_tcb_set_deadline(WF_ROOT_TCB, 5, 0), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_tcb_unbind_notification(WF_ROOT_TCB), WF_ERR_OK);
}
