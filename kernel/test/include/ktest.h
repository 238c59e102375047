/*
 * Kernel self-tests: in-guest tests of what userspace cannot reach, built only
 * into the test image (kernel/test/; docs/testing.md).
 *
 * A test is declared in any file of kernel/test/ with
 *
 *     KTEST(pmm, alloc_all_free_all) { KT_ASSERT(x == y, "x=%lu", x); ... }
 *
 * and lands in the .ktest section. Booting the test image with "ktest" on the
 * command line runs every test in link order through the shared runner
 * (tap.h, also the user suite's) and prints TAP version 14 on the console
 * ("ok 3 - pmm/alloc_all_free_all" or "not ok 3 - ... # message"), then ends
 * QEMU through the test exit device. "ktest=PREFIX" runs only tests whose name
 * starts with PREFIX. A failed KT_ASSERT returns from the test function at once.
 */
#ifndef WEFT_KTEST_H
#define WEFT_KTEST_H

#include "tap.h"
#include "types.h"

#define KTEST(suite, name) TAP_TEST(".ktest", ktest_, suite, name)

#define KT_ASSERT    TAP_ASSERT
#define KT_ASSERT_EQ TAP_ASSERT_EQ
#define ktest_fail   tap_fail
#define ktest_failed tap_failed

/* The decimal value of a kernel command-line option ("ktest.mem=128"), dflt
 * when absent; false when malformed (not digits, empty or past 64 bits). */
bool ktest_cmdline_u64(const char *key, uint64_t dflt, uint64_t *out);

#endif
