/*
 * The in-guest test suite's framework (user/test/).
 *
 * A test is declared in any file of user/test/ with
 *
 *     TEST(cnode, copy_then_delete) { TEST_ASSERT_ERR(wf_cnode_copy(...), WF_ERR_OK); ... }
 *
 * and lands in the wf_tests section. wf_test_run() runs every test whose
 * "suite/name" starts with a filter, in link order, and prints TAP version 14
 * on the console: "1..N", then "ok N - suite/name", "ok N - suite/name # SKIP
 * why" or "not ok N - suite/name # file:line: message". A failed assertion
 * returns from the test at once. tools/qemu-test judges the output.
 *
 * Tests run in the root task and share its CSpace: each may use the scratch
 * slots test_slot(0) .. test_slot(TEST_SCRATCH_SLOTS - 1) of the root CNode,
 * which the runner empties (CNode_Delete) after every test.
 *
 * Objects: test_env() gives a test a struct wf_spawn_env (wf/spawn.h) over the
 * arena, the largest RAM untyped, with a pool of TEST_POOL_BITS retyped from it
 * and the scratch slots from TEST_ENV_FIRST_SLOT up. After every test the
 * runner revokes the arena (every thread, process, pool and object the test made
 * is destroyed, whatever state it was left in) before it empties the slots.
 * Tests that start threads or processes give them TEST_CHILD_PRIO, below the
 * root task's, so that a child runs only while the root task waits.
 */
#ifndef WF_TEST_H
#define WF_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/bootinfo.h"
#include "weft/errors.h"

struct wf_test {
    const char *name; /* "suite/name" */
    void (*fn)(void);
};

#define TEST(suite, name)                                                                          \
    static void wf_test_fn_##suite##_##name(void);                                                 \
    __attribute__((used, section("wf_tests"),                                                      \
                   aligned(8))) static const struct wf_test wf_test_##suite##_##name = {           \
        #suite "/" #name, wf_test_fn_##suite##_##name};                                            \
    static void wf_test_fn_##suite##_##name(void)

/* Records a failure (first message wins) / a skip of the running test. */
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TEST_ASSERT(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_fail(__FILE__, __LINE__, "" __VA_ARGS__);                                         \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define TEST_ASSERT_EQ(a, b)                                                                       \
    do {                                                                                           \
        unsigned long long ta_ = (unsigned long long)(a), tb_ = (unsigned long long)(b);           \
        if (ta_ != tb_) {                                                                          \
            test_fail(__FILE__, __LINE__, "%s == %s: 0x%llx != 0x%llx", #a, #b, ta_, tb_);         \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* expr is an enum wf_error (an invocation's result); names both on failure. */
#define TEST_ASSERT_ERR(expr, want)                                                                \
    do {                                                                                           \
        unsigned long long te_ = (unsigned long long)(expr), tw_ = (unsigned long long)(want);     \
        if (te_ != tw_) {                                                                          \
            test_fail(__FILE__, __LINE__, "%s: %s (%llu), expected %s", #expr, wf_error_name(te_), \
                      te_, wf_error_name(tw_));                                                    \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define TEST_SKIP(...)                                                                             \
    do {                                                                                           \
        test_skip(__VA_ARGS__);                                                                    \
        return;                                                                                    \
    } while (0)

#define TEST_SCRATCH_SLOTS  128
#define TEST_ENV_FIRST_SLOT 64 /* test_slot(0..63) are the test's own */
#define TEST_POOL_BITS      24 /* 16 MiB */
#define TEST_CHILD_PRIO     100

/* The root task's bootinfo (set by wf_test_run). */
extern const struct wf_bootinfo *test_bootinfo;

/* CPtr (= slot index, depth 64) of scratch slot i of the root CNode. */
wf_cptr_t test_slot(unsigned i);

struct wf_spawn_env;

/* The running test's spawn environment (made on first use in each test); NULL
 * (after a failed assertion the caller reports) if the arena or its pool cannot
 * be had. */
struct wf_spawn_env *test_env(void);

/* The arena's CPtr (0 if there is no RAM untyped). */
wf_cptr_t test_arena(void);

/* Counts the tests run so far (the running one included). */
extern unsigned test_serial;

/* Runs the tests selected by filter (NULL or "" for all) with bootinfo bi;
 * prints TAP; returns the number of failed tests. */
unsigned wf_test_run(const struct wf_bootinfo *bi, const char *filter);

#endif
