/*
 * The suite runner (see wftest.h): walks the wf_tests section, prints TAP 14,
 * revokes the arena and empties the scratch slots after every test so that one
 * test's leftovers (objects, threads, processes) cannot change the next one's
 * result.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "weft/invoke.h"
#include "wftest.h"

extern const struct wf_test __start_wf_tests[], __stop_wf_tests[];

const struct wf_bootinfo *test_bootinfo;

static bool cur_failed, cur_skipped;
static char cur_msg[256];

/* Keeps a TAP line one line, and its directive unambiguous. */
static void sanitize(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '#')
            *s = ' ';
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    if (cur_failed)
        return;
    cur_failed = true;
    int n = snprintf(cur_msg, sizeof(cur_msg), "%s:%d: ", file, line);
    if (n < 0 || (size_t)n >= sizeof(cur_msg))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur_msg + n, sizeof(cur_msg) - (size_t)n, fmt, ap);
    va_end(ap);
    sanitize(cur_msg);
}

void test_skip(const char *fmt, ...)
{
    if (cur_failed || cur_skipped)
        return;
    cur_skipped = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur_msg, sizeof(cur_msg), fmt, ap);
    va_end(ap);
    sanitize(cur_msg);
}

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

unsigned test_serial;

static bool selected(const struct wf_test *t, const char *filter)
{
    return !filter || !*filter || strncmp(t->name, filter, strlen(filter)) == 0;
}

/* Destroys what the test made, then empties the scratch slots; a failure here
 * fails the test that left them. */
static void clean_scratch(void)
{
    wf_cptr_t arena = test_arena();
    if (arena) {
        enum wf_error e = wf_cnode_revoke(WF_ROOT_CNODE, arena, 64);
        if (e != WF_ERR_OK && !cur_failed) {
            cur_skipped = false;
            test_fail(__FILE__, __LINE__, "revoking the arena: %s", wf_error_name(e));
        }
    }
    for (unsigned i = 0; i < TEST_SCRATCH_SLOTS; i++) {
        enum wf_error e = wf_cnode_delete(WF_ROOT_CNODE, test_slot(i), 64);
        if (e != WF_ERR_OK && !cur_failed) {
            cur_skipped = false;
            test_fail(__FILE__, __LINE__, "cleaning scratch slot %u: %s", i, wf_error_name(e));
        }
    }
}

unsigned wf_test_run(const struct wf_bootinfo *bi, const char *filter)
{
    unsigned plan = 0, num = 0, failures = 0;
    test_bootinfo = bi;
    for (const struct wf_test *t = __start_wf_tests; t < __stop_wf_tests; t++)
        plan += selected(t, filter);
    printf("TAP version 14\n1..%u\n", plan);
    for (const struct wf_test *t = __start_wf_tests; t < __stop_wf_tests; t++) {
        if (!selected(t, filter))
            continue;
        cur_failed = cur_skipped = false;
        cur_msg[0] = 0;
        test_serial++;
        t->fn();
        clean_scratch();
        num++;
        if (cur_failed) {
            failures++;
            printf("not ok %u - %s # %s\n", num, t->name, cur_msg);
        } else if (cur_skipped) {
            printf("ok %u - %s # SKIP %s\n", num, t->name, cur_msg);
        } else {
            printf("ok %u - %s\n", num, t->name);
        }
    }
    return failures;
}
