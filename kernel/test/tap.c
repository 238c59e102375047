/*
 * The shared test runner (tap.h): the kernel's test image and the user suite
 * in init both link this file, so TAP comes out of one writer.
 */
#include "tap.h"

#include <stdarg.h>
#include <stddef.h>

#include "lib/format.h"
#include "lib/string.h"

static bool cur_failed, cur_skipped;
static char cur_msg[256];
unsigned tap_serial;

/* Keeps a TAP line one line, and its directive unambiguous. */
static void sanitize(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '#')
            *s = ' ';
}

/* The message: "file:line: " (when file is given), then fmt. */
static void record(const char *file, int line, const char *fmt, va_list ap)
{
    size_t n = 0;
    if (file) {
        int r = fmt_snprintf(cur_msg, sizeof(cur_msg), "%s:%d: ", file, line);
        n = r < 0 ? 0 : (size_t)r < sizeof(cur_msg) ? (size_t)r : sizeof(cur_msg) - 1;
    }
    fmt_vsnprintf(cur_msg + n, sizeof(cur_msg) - n, fmt, ap);
    sanitize(cur_msg);
}

void tap_fail(const char *file, int line, const char *fmt, ...)
{
    if (cur_failed)
        return;
    cur_failed = true;
    cur_skipped = false;
    va_list ap;
    va_start(ap, fmt);
    record(file, line, fmt, ap);
    va_end(ap);
}

void tap_skip(const char *fmt, ...)
{
    if (cur_failed || cur_skipped)
        return;
    cur_skipped = true;
    va_list ap;
    va_start(ap, fmt);
    record(NULL, 0, fmt, ap);
    va_end(ap);
}

bool tap_failed(void)
{
    return cur_failed;
}

/* Whether t's name starts with one of filter's comma-separated prefixes
 * (every test for NULL or ""). */
static bool selected(const struct tap_test *t, const char *filter)
{
    if (!filter || !*filter)
        return true;
    for (const char *p = filter;; p++) {
        size_t n = 0;
        while (p[n] && p[n] != ',')
            n++;
        if (n && strncmp(t->name, p, n) == 0)
            return true;
        p += n;
        if (!*p)
            return false;
    }
}

unsigned tap_run(const struct tap_test *first, const struct tap_test *last, const char *filter,
                 const struct tap_runner *r)
{
    unsigned plan = 0, num = 0, failures = 0;
    for (const struct tap_test *t = first; t < last; t++)
        plan += selected(t, filter);
    r->print("TAP version 14\n1..%u\n", plan);
    for (const struct tap_test *t = first; t < last; t++) {
        if (!selected(t, filter))
            continue;
        cur_failed = cur_skipped = false;
        cur_msg[0] = 0;
        tap_serial++;
        if (r->run)
            r->run(t->fn);
        else
            t->fn();
        if (r->after_each)
            r->after_each();
        num++;
        if (cur_failed) {
            failures++;
            r->print("not ok %u - %s # %s\n", num, t->name, cur_msg);
        } else if (cur_skipped) {
            r->print("ok %u - %s # SKIP %s\n", num, t->name, cur_msg);
        } else {
            r->print("ok %u - %s\n", num, t->name);
        }
    }
    return failures;
}
