/*
 * The self-test runner (see ktest.h): walks the .ktest section and prints TAP.
 */
#include "ktest.h"
#include "kprintf.h"
#include "lib/string.h"

extern const struct ktest __start_ktest[], __stop_ktest[];

static bool cur_failed;
static char cur_msg[256];

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
    if (cur_failed)
        return;
    cur_failed = true;
    int n = ksnprintf(cur_msg, sizeof(cur_msg), "%s:%d: ", file, line);
    if (n < 0 || (size_t)n >= sizeof(cur_msg))
        return;
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(cur_msg + n, sizeof(cur_msg) - (size_t)n, fmt, ap);
    va_end(ap);
    for (char *p = cur_msg; *p; p++)
        if (*p == '\n' || *p == '#')
            *p = ' '; /* keep the TAP line one line, the directive unambiguous */
}

bool ktest_failed(void)
{
    return cur_failed;
}

static bool selected(const struct ktest *t, const char *filter)
{
    return !filter || !*filter || strncmp(t->name, filter, strlen(filter)) == 0;
}

unsigned ktest_run_all(const char *filter)
{
    unsigned plan = 0, num = 0, failures = 0;
    for (const struct ktest *t = __start_ktest; t < __stop_ktest; t++)
        plan += selected(t, filter);
    kprintf("TAP version 14\n1..%u\n", plan);
    for (const struct ktest *t = __start_ktest; t < __stop_ktest; t++) {
        if (!selected(t, filter))
            continue;
        cur_failed = false;
        cur_msg[0] = 0;
        t->fn();
        num++;
        if (cur_failed) {
            failures++;
            kprintf("not ok %u - %s # %s\n", num, t->name, cur_msg);
        } else {
            kprintf("ok %u - %s\n", num, t->name);
        }
    }
    return failures;
}
