/*
 * When init restarts a program that ended or faulted (docs/userspace.md,
 * "Supervision"; decision 110): a pure function of the program's restart history
 * and the time, so that the host test (tests/host/test_restart.c) checks the
 * policy as init runs it.
 *
 * Time is the TSC (rdtsc): the kernel has no clock call, and init learns no TSC
 * frequency, so the delays are in TSC cycles; the defaults assume a TSC of about
 * 1 to 3 GHz. The k-th restart inside the window waits base << k cycles (at most
 * max_delay): the first comes after a short delay, a program that keeps failing
 * waits twice as long each time. More than max_restarts restarts inside one
 * window (a sliding window of the last max_restarts restart times) and the
 * program is given up: its state becomes FAILED.
 */
#ifndef INIT_RESTART_H
#define INIT_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#define RESTART_MAX_BOUND 16u /* most restarts per window a policy may allow */

struct restart_policy {
    uint64_t base_delay;   /* cycles before the first restart in a window */
    uint64_t max_delay;    /* cap of the doubling */
    uint64_t window;       /* cycles over which restarts are counted */
    unsigned max_restarts; /* restarts allowed inside a window (1..RESTART_MAX_BOUND) */
};

/* init's policy: 2^24 cycles (a few ms) doubling up to 2^31 (about a second),
 * at most 5 restarts in 2^37 cycles (about a minute at 2 GHz). */
#define RESTART_POLICY_DEFAULT                                                                     \
    {                                                                                              \
        1ull << 24, 1ull << 31, 1ull << 37, 5u                                                     \
    }

/* A program's restarts: the times they were decided, oldest first. */
struct restart_history {
    uint64_t at[RESTART_MAX_BOUND];
    unsigned n;
};

struct restart_decision {
    bool give_up;  /* the bound is reached: do not restart (state FAILED) */
    uint64_t when; /* else the TSC value at which to restart */
};

/* Decides the restart of a program that ended at time now, and records it in h
 * (nothing is recorded when it gives up). Times before a window's start are
 * forgotten. A policy with max_restarts 0 or above RESTART_MAX_BOUND is taken as
 * RESTART_MAX_BOUND. */
struct restart_decision restart_decide(const struct restart_policy *p, struct restart_history *h,
                                       uint64_t now);

#endif
