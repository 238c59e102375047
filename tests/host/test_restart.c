/*
 * The restart policy (user/init/restart.c) against a reference computed here:
 * the k-th restart inside a window waits base << k (at most the cap), the
 * (bound + 1)-th inside a window gives up and records nothing, and restarts
 * older than the window are forgotten, so a program that ran long enough is
 * restarted after the base delay again.
 */
#include <criterion/criterion.h>

#include "restart.h"

static const struct restart_policy pol = {
    .base_delay = 100, .max_delay = 1000, .window = 10000, .max_restarts = 5};

Test(restart, delays_double_up_to_the_cap_then_the_bound_gives_up)
{
    struct restart_history h = {0};
    uint64_t t = 50000;
    const uint64_t want[] = {100, 200, 400, 800, 1000};
    for (unsigned k = 0; k < 5; k++) {
        struct restart_decision d = restart_decide(&pol, &h, t);
        cr_assert(!d.give_up, "restart %u", k);
        cr_assert_eq(d.when, t + want[k], "restart %u waits %lu", k, (unsigned long)(d.when - t));
        t = d.when + 1;
    }
    struct restart_decision d = restart_decide(&pol, &h, t);
    cr_assert(d.give_up);
    cr_assert_eq(h.n, 5, "giving up records nothing");
}

Test(restart, restarts_older_than_the_window_are_forgotten)
{
    struct restart_history h = {0};
    uint64_t t = 1000;
    for (unsigned k = 0; k < 5; k++)
        cr_assert(!restart_decide(&pol, &h, t + k).give_up);
    /* Just inside the window of the first: still bounded. */
    cr_assert(restart_decide(&pol, &h, t + pol.window - 1).give_up);
    /* The first left the window: one restart allowed, at the longest delay (4 remain). */
    struct restart_decision d = restart_decide(&pol, &h, t + pol.window);
    cr_assert(!d.give_up);
    cr_assert_eq(d.when - (t + pol.window), 1000);
    /* Long after all of them: the base delay again. */
    d = restart_decide(&pol, &h, t + 10 * pol.window);
    cr_assert(!d.give_up);
    cr_assert_eq(d.when - (t + 10 * pol.window), pol.base_delay);
    cr_assert_eq(h.n, 1);
}

Test(restart, the_default_policy_is_sane)
{
    const struct restart_policy def = RESTART_POLICY_DEFAULT;
    cr_assert_lt(def.base_delay, def.max_delay);
    cr_assert_lt(def.max_delay, def.window);
    cr_assert(def.max_restarts >= 1 && def.max_restarts <= RESTART_MAX_BOUND);
    struct restart_history h = {0};
    unsigned n = 0;
    while (!restart_decide(&def, &h, 1u << 20).give_up)
        n++;
    cr_assert_eq(n, def.max_restarts);
}

Test(restart, out_of_range_bounds_and_histories_are_clamped)
{
    struct restart_policy p = pol;
    p.max_restarts = 0; /* taken as RESTART_MAX_BOUND */
    struct restart_history h = {.n = 1000};
    for (unsigned k = 0; k < RESTART_MAX_BOUND; k++)
        h.at[k] = 5;
    cr_assert(restart_decide(&p, &h, 6).give_up);
    cr_assert_eq(h.n, RESTART_MAX_BOUND);
    struct restart_history e = {0};
    unsigned n = 0;
    while (!restart_decide(&p, &e, 7).give_up)
        n++;
    cr_assert_eq(n, RESTART_MAX_BOUND);
}
