/*
 * The test runner shared by the kernel's self-tests (ktest.h, in the test
 * image) and the in-guest user suite (user/test/wftest.h, in init): one TAP
 * version 14 writer, one way to record a failure or a skip, one set of
 * assertion macros. Only the walk's surroundings differ, and they come in
 * struct tap_runner: how to print (kprintf or printf), how to call a test (the
 * user suite's can end a test early) and what to do after each test (the user
 * suite cleans its scratch slots and arena).
 *
 * A test is a struct tap_test in a section of its own (".ktest" in the kernel,
 * "wf_tests" in init), laid down by the KTEST / TEST macros. tap_run runs every
 * test whose "suite/name" starts with a filter (or one of its comma-separated
 * prefixes: "umode/bench,bench_vm/"), in link order, and prints
 * "1..N", then one "ok N - suite/name", "ok N - suite/name # SKIP why" or
 * "not ok N - suite/name # file:line: message" per test. tools/qemu-test judges
 * the output.
 */
#ifndef WEFT_TAP_H
#define WEFT_TAP_H

#include <stdbool.h>

struct tap_test {
    const char *name; /* "suite/name" */
    void (*fn)(void);
};

/* Declares a test function `suite_name` and its entry in the named section. */
#define TAP_TEST(section_, prefix_, suite, name)                                                   \
    static void prefix_##fn_##suite##_##name(void);                                                \
    __attribute__((used, section(section_),                                                        \
                   aligned(8))) static const struct tap_test prefix_##suite##_##name = {           \
        #suite "/" #name, prefix_##fn_##suite##_##name};                                           \
    static void prefix_##fn_##suite##_##name(void)

struct tap_runner {
    int (*print)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
    void (*run)(void (*fn)(void)); /* runs one test function; NULL: call it */
    void (*after_each)(void);      /* may be NULL; may record a failure of the test */
};

/* Records a failure of the running test (the first message wins: later calls
 * do nothing) / a skip (ignored after a failure or a skip). A failure
 * recorded after a skip replaces it. */
void tap_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True when the running test has failed. */
bool tap_failed(void);

/* Runs the tests in [first, last) that filter selects (NULL or "" for all) and
 * prints TAP through r; returns the number of failed tests. */
unsigned tap_run(const struct tap_test *first, const struct tap_test *last, const char *filter,
                 const struct tap_runner *r);

/* Counts the tests run so far (the running one included). */
extern unsigned tap_serial;

/* Assertions: on failure they record it and return from the test at once. */
#define TAP_ASSERT(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            tap_fail(__FILE__, __LINE__, "" __VA_ARGS__);                                          \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define TAP_ASSERT_EQ(a, b)                                                                        \
    do {                                                                                           \
        unsigned long long ta_ = (unsigned long long)(a), tb_ = (unsigned long long)(b);           \
        if (ta_ != tb_) {                                                                          \
            tap_fail(__FILE__, __LINE__, "%s == %s: 0x%llx != 0x%llx", #a, #b, ta_, tb_);          \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define TAP_SKIP(...)                                                                              \
    do {                                                                                           \
        tap_skip(__VA_ARGS__);                                                                     \
        return;                                                                                    \
    } while (0)

#endif
