/*
 * The in-guest test suite's framework (user/test/).
 *
 * A test is declared in any file of user/test/ with
 *
 *     TEST(cnode, copy_then_delete) { TEST_ASSERT_ERR(wf_cnode_copy(...), WF_ERR_OK); ... }
 *
 * and lands in the wf_tests section. wf_test_run() runs every test whose
 * "suite/name" starts with a filter, in link order, through the runner the
 * kernel's self-tests also use (kernel/test/tap.c, tap.h), which prints TAP
 * version 14 on the console: "1..N", then "ok N - suite/name", "ok N -
 * suite/name # SKIP why" or "not ok N - suite/name # file:line: message". A
 * failed assertion returns from the test at once. tools/qemu-test judges the
 * output.
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

#include "tap.h"
#include "weft/bootinfo.h"
#include "weft/errors.h"

#define TEST(suite, name) TAP_TEST("wf_tests", wf_test_, suite, name)

/* Records a failure (first message wins) / a skip of the running test. */
#define test_fail      tap_fail
#define test_skip      tap_skip
#define TEST_ASSERT    TAP_ASSERT
#define TEST_ASSERT_EQ TAP_ASSERT_EQ
#define TEST_SKIP      TAP_SKIP

/* expr is an enum wf_error (an invocation's result); names both on failure. */
#define TEST_ASSERT_ERR(expr, want)                                                                \
    do {                                                                                           \
        unsigned long long te_ = (unsigned long long)(expr), tw_ = (unsigned long long)(want);     \
        if (te_ != tw_) {                                                                          \
            tap_fail(__FILE__, __LINE__, "%s: %s (%llu), expected %s", #expr, wf_error_name(te_),  \
                     te_, wf_error_name(tw_));                                                     \
            return;                                                                                \
        }                                                                                          \
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
#define test_serial tap_serial

/* Runs the tests selected by filter (NULL or "" for all) with bootinfo bi;
 * prints TAP; returns the number of failed tests. */
unsigned wf_test_run(const struct wf_bootinfo *bi, const char *filter);

/* Ends the running test at once, as skipped, with the reason given. */
__attribute__((noreturn, format(printf, 1, 2))) void test_skip_now(const char *fmt, ...);

#ifndef WEFT_DEBUG
/* A release build (DEBUG=0) has no debug system calls (the "debug" syscalls of
 * abi/weft.def are unknown to a release kernel: the caller would fault). In the
 * suite, a test that makes one is skipped from that point on, naming the call;
 * the rest of the suite runs on the release kernel (make check does that). */
#include "wf/syscall.h"
#define WF_TEST_DEBUG_ONLY(call)                                                                   \
    test_skip_now("%s is a debug system call (this is a release build)", call)
#define wf_debug_cap_identify(c) ((void)(c), WF_TEST_DEBUG_ONLY("DEBUG_CAP_IDENTIFY"), (wf_word_t)0)
#define wf_debug_stat(s, v)      ((void)(s), (void)(v), WF_TEST_DEBUG_ONLY("DEBUG_STAT"), (wf_word_t)0)
#define wf_debug_dump_cspace()   WF_TEST_DEBUG_ONLY("DEBUG_DUMP_CSPACE")
#endif

#endif
