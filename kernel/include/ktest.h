/*
 * Kernel self-tests: in-guest tests of what userspace cannot reach yet.
 *
 * A test is declared anywhere in the kernel with
 *
 *     KTEST(pmm, alloc_all_free_all) { KT_ASSERT(x == y, "x=%lu", x); ... }
 *
 * and lands in the .ktest section. Booting with "ktest" on the command line runs
 * every test in link order and prints TAP version 14 on the console
 * ("ok 3 - pmm/alloc_all_free_all" or "not ok 3 - ... # message"), then ends
 * QEMU through the test exit device. "ktest=PREFIX" runs only tests whose name
 * starts with PREFIX. A failed KT_ASSERT returns from the test function at once.
 */
#ifndef WEFT_KTEST_H
#define WEFT_KTEST_H

#include "types.h"

struct ktest {
    const char *name;
    void (*fn)(void);
};

#define KTEST(suite, name)                                                                         \
    static void ktest_fn_##suite##_##name(void);                                                   \
    __attribute__((used, section(".ktest"),                                                        \
                   aligned(8))) static const struct ktest ktest_##suite##_##name = {               \
        #suite "/" #name, ktest_fn_##suite##_##name};                                              \
    static void ktest_fn_##suite##_##name(void)

/* Records a failure of the running test (first message wins). */
void ktest_fail(const char *file, int line, const char *fmt, ...) __printf(3, 4);
/* True when the running test has failed. */
bool ktest_failed(void);

#define KT_ASSERT(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            ktest_fail(__FILE__, __LINE__, "" __VA_ARGS__);                                        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define KT_ASSERT_EQ(a, b)                                                                         \
    do {                                                                                           \
        unsigned long long ka_ = (unsigned long long)(a), kb_ = (unsigned long long)(b);           \
        if (ka_ != kb_) {                                                                          \
            ktest_fail(__FILE__, __LINE__, "%s == %s: 0x%llx != 0x%llx", #a, #b, ka_, kb_);        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Runs the self-tests selected by filter (NULL or "" for all); returns failures. */
unsigned ktest_run_all(const char *filter);

#endif
