/*
 * The suite runner (see wftest.h): the shared runner (tap.h) walks the wf_tests
 * section and prints TAP 14; after every test this file revokes the arena and
 * empties the scratch slots so that one test's leftovers (objects, threads,
 * processes) cannot change the next one's result. Each test runs under a
 * __builtin_setjmp point, so that test_skip_now can end it from any depth.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "weft/invoke.h"
#include "wf/syscall.h"
#include "wftest.h"

extern const struct tap_test __start_wf_tests[], __stop_wf_tests[];

const struct wf_bootinfo *test_bootinfo;

wf_cptr_t test_slot(unsigned i)
{
    if (i >= TEST_SCRATCH_SLOTS)
        return 0; /* the null slot: every use fails visibly */
    return test_bootinfo->first_free_slot + i;
}

wf_cptr_t test_arena(void)
{
    const struct wf_bootinfo *bi = test_bootinfo;
    wf_cptr_t best = 0;
    unsigned best_bits = 0;
    for (unsigned i = 0; i < bi->untyped_count && i < WF_BOOTINFO_MAX_UNTYPED; i++)
        if (!bi->untyped[i].device && bi->untyped[i].size_bits > best_bits) {
            best_bits = bi->untyped[i].size_bits;
            best = bi->untyped_first + i;
        }
    return best;
}

/* Destroys what the test made, then empties the scratch slots; a failure here
 * fails the test that left them. */
static void clean_scratch(void)
{
    wf_cptr_t arena = test_arena();
    if (arena) {
        enum wf_error e = wf_cnode_revoke(WF_ROOT_CNODE, arena, 64);
        if (e != WF_ERR_OK)
            tap_fail(__FILE__, __LINE__, "revoking the arena: %s", wf_error_name(e));
    }
    for (unsigned i = 0; i < TEST_SCRATCH_SLOTS; i++) {
        enum wf_error e = wf_cnode_delete(WF_ROOT_CNODE, test_slot(i), 64);
        if (e != WF_ERR_OK)
            tap_fail(__FILE__, __LINE__, "cleaning scratch slot %u: %s", i, wf_error_name(e));
    }
}

static void *skip_jb[5]; /* __builtin_setjmp's buffer */
static bool in_test;

static void run_one(void (*fn)(void))
{
    if (__builtin_setjmp(skip_jb) == 0) {
        in_test = true;
        fn();
    }
    in_test = false;
}

void test_skip_now(const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    tap_skip("%s", why);
    if (in_test)
        __builtin_longjmp(skip_jb, 1);
    for (;;) /* not called from a test: nothing to end */
        wf_sys_yield();
}

unsigned wf_test_run(const struct wf_bootinfo *bi, const char *filter)
{
    static const struct tap_runner runner = {
        .print = printf, .run = run_one, .after_each = clean_scratch};
    test_bootinfo = bi;
    return tap_run(__start_wf_tests, __stop_wf_tests, filter, &runner);
}
