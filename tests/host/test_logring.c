/*
 * The log server's ring (user/log/ring.c) on the host: lines numbered from 1,
 * the last WFP_LOG_LINES_KEPT kept (the oldest replaced first), Read of a
 * number before the oldest kept line, at it, between and beyond the last;
 * levels; writer names ("init" for badge 0, Label's names, "#N" otherwise, a
 * line keeping the name its writer had); Label's errors; the formatted line
 * "NAME LEVEL: text" and its cut at WFP_LOG_TEXT_MAX bytes. Expectations are
 * computed with snprintf, independently of the ring's own formatting.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ring.h"

static struct log_ring r;

static void setup(void)
{
    log_ring_init(&r);
}

TestSuite(logring, .init = setup);

/* Whether l holds exactly the string want. */
static bool line_is(const struct log_line *l, const char *want)
{
    return l && l->len == strlen(want) && memcmp(l->text, want, l->len) == 0;
}

static wf_word_t put(wf_word_t badge, wf_word_t level, const char *text)
{
    wf_word_t seq = 0;
    cr_assert_eq(log_ring_write(&r, badge, level, text, strlen(text), 1000 + r.next, &seq),
                 WF_ERR_OK);
    return seq;
}

Test(logring, empty)
{
    cr_assert_null(log_ring_read(&r, 0));
    cr_assert_null(log_ring_read(&r, 1));
    cr_assert_null(log_ring_read(&r, ~(wf_word_t)0));
}

Test(logring, lines_numbered_and_formatted)
{
    cr_assert_eq(log_ring_label(&r, 0, 5, "shell", 5), WF_ERR_OK);
    cr_assert_eq(put(5, WFP_LOG_LEVEL_INFO, "hello"), 1);
    cr_assert_eq(put(0, WFP_LOG_LEVEL_ERROR, "boom"), 2);
    cr_assert_eq(put(9, WFP_LOG_LEVEL_WARN, "who?"), 3);
    cr_assert_eq(put(5, WFP_LOG_LEVEL_DEBUG, ""), 4);
    const struct log_line *l = log_ring_read(&r, 1);
    cr_assert(line_is(l, "shell INFO: hello"));
    cr_assert_eq(l->seq, 1);
    cr_assert_eq(l->level, WFP_LOG_LEVEL_INFO);
    cr_assert_eq(l->time, 1001);
    cr_assert(line_is(log_ring_read(&r, 2), "init ERROR: boom"));
    cr_assert(line_is(log_ring_read(&r, 3), "#9 WARN: who?"));
    cr_assert(line_is(log_ring_read(&r, 4), "shell DEBUG: "));
    cr_assert_eq(log_ring_read(&r, 4)->time, 1004);
    /* seq 0 reads the first line, beyond the last nothing. */
    cr_assert_eq(log_ring_read(&r, 0)->seq, 1);
    cr_assert_null(log_ring_read(&r, 5));
    cr_assert_null(log_ring_read(&r, 1ull << 40));
}

Test(logring, levels)
{
    wf_word_t seq = 99;
    for (wf_word_t lv = WFP_LOG_LEVEL_DEBUG + 1; lv < WFP_LOG_LEVEL_DEBUG + 5; lv++)
        cr_assert_eq(log_ring_write(&r, 1, lv, "x", 1, 0, &seq), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(log_ring_write(&r, 1, ~(wf_word_t)0, "x", 1, 0, &seq), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(seq, 99, "a refused line gets no number");
    cr_assert_null(log_ring_read(&r, 0));
    cr_assert_str_eq(log_level_name(WFP_LOG_LEVEL_ERROR), "ERROR");
    cr_assert_str_eq(log_level_name(WFP_LOG_LEVEL_WARN), "WARN");
    cr_assert_str_eq(log_level_name(WFP_LOG_LEVEL_INFO), "INFO");
    cr_assert_str_eq(log_level_name(WFP_LOG_LEVEL_DEBUG), "DEBUG");
    cr_assert_str_eq(log_level_name(4), "?");
    static char big[WFP_LOG_TEXT_MAX + 1];
    cr_assert_eq(log_ring_write(&r, 1, 0, big, sizeof(big), 0, &seq), WF_ERR_INVALID_ARGUMENT);
}

Test(logring, wrap_around)
{
    const unsigned total = 3 * LOG_RING_LINES + 17;
    char text[32], want[64];
    for (unsigned i = 1; i <= total; i++) {
        snprintf(text, sizeof(text), "line %u", i);
        cr_assert_eq(put(i % 3, i % 4, text), i);
    }
    const wf_word_t oldest = total - LOG_RING_LINES + 1;
    /* Anything before the oldest kept line reads the oldest. */
    for (wf_word_t s = 0; s <= oldest; s += oldest / 7 + 1)
        cr_assert_eq(log_ring_read(&r, s)->seq, oldest, "seq %lu", (unsigned long)s);
    cr_assert_eq(log_ring_read(&r, oldest)->seq, oldest);
    for (wf_word_t s = oldest; s <= total; s++) {
        const struct log_line *l = log_ring_read(&r, s);
        snprintf(want, sizeof(want), "%s %s: line %lu",
                 s % 3 == 0   ? "init"
                 : s % 3 == 1 ? "#1"
                              : "#2",
                 log_level_name(s % 4), (unsigned long)s);
        cr_assert(line_is(l, want), "seq %lu: want '%s'", (unsigned long)s, want);
        cr_assert_eq(l->seq, s);
        cr_assert_eq(l->level, s % 4);
    }
    cr_assert_null(log_ring_read(&r, total + 1));
}

Test(logring, writer_names)
{
    char out[LOG_SHOWN_NAME_MAX], want[32];
    size_t n = log_ring_writer(&r, 0, out);
    cr_assert(n == 4 && memcmp(out, "init", 4) == 0);
    const wf_word_t badges[] = {1, 7, 10, 63, 64, 1000, 18446744073709551615ull};
    for (unsigned i = 0; i < sizeof(badges) / sizeof(badges[0]); i++) {
        n = log_ring_writer(&r, badges[i], out);
        snprintf(want, sizeof(want), "#%llu", (unsigned long long)badges[i]);
        cr_assert(n == strlen(want) && memcmp(out, want, n) == 0, "badge %llu",
                  (unsigned long long)badges[i]);
    }
    /* A longest name; renaming; a line keeps the name of its time. */
    char name[WFP_LOG_NAME_MAX];
    memset(name, 'z', sizeof(name));
    cr_assert_eq(log_ring_label(&r, 0, 63, name, sizeof(name)), WF_ERR_OK);
    n = log_ring_writer(&r, 63, out);
    cr_assert(n == sizeof(name) && memcmp(out, name, n) == 0);
    cr_assert_eq(log_ring_label(&r, 0, 7, "old", 3), WF_ERR_OK);
    put(7, 2, "a");
    cr_assert_eq(log_ring_label(&r, 0, 7, "new", 3), WF_ERR_OK);
    put(7, 2, "b");
    cr_assert(line_is(log_ring_read(&r, 1), "old INFO: a"));
    cr_assert(line_is(log_ring_read(&r, 2), "new INFO: b"));
    /* An empty name forgets it. */
    cr_assert_eq(log_ring_label(&r, 0, 7, "", 0), WF_ERR_OK);
    put(7, 2, "c");
    cr_assert(line_is(log_ring_read(&r, 3), "#7 INFO: c"));
}

Test(logring, label_errors)
{
    cr_assert_eq(log_ring_label(&r, 1, 2, "x", 1), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(log_ring_label(&r, 63, 2, "x", 1), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(log_ring_label(&r, 0, 0, "x", 1), WF_ERR_RANGE_ERROR);
    cr_assert_eq(log_ring_label(&r, 0, 64, "x", 1), WF_ERR_RANGE_ERROR);
    cr_assert_eq(log_ring_label(&r, 0, ~(wf_word_t)0, "x", 1), WF_ERR_RANGE_ERROR);
    static char big[WFP_LOG_NAME_MAX + 1];
    cr_assert_eq(log_ring_label(&r, 0, 2, big, sizeof(big)), WF_ERR_RANGE_ERROR);
    char out[LOG_SHOWN_NAME_MAX];
    cr_assert(log_ring_writer(&r, 2, out) == 2 && memcmp(out, "#2", 2) == 0,
              "a refused Label names nobody");
}

Test(logring, long_lines_cut)
{
    static char text[WFP_LOG_TEXT_MAX], want[2 * WFP_LOG_TEXT_MAX];
    memset(text, 'q', sizeof(text));
    char name[WFP_LOG_NAME_MAX];
    memset(name, 'w', sizeof(name));
    cr_assert_eq(log_ring_label(&r, 0, 3, name, sizeof(name)), WF_ERR_OK);
    cr_assert_eq(log_ring_write(&r, 3, 3, text, sizeof(text), 0, NULL), WF_ERR_OK);
    int n = snprintf(want, sizeof(want), "%.*s DEBUG: %.*s", (int)sizeof(name), name,
                     (int)sizeof(text), text);
    cr_assert_gt(n, WFP_LOG_TEXT_MAX);
    const struct log_line *l = log_ring_read(&r, 1);
    cr_assert_eq(l->len, WFP_LOG_TEXT_MAX);
    cr_assert(memcmp(l->text, want, WFP_LOG_TEXT_MAX) == 0);
    /* log_format cuts anywhere, even inside the name. */
    char small[5];
    cr_assert_eq(log_format(small, sizeof(small), "abcdef", 6, 0, "t", 1), 5);
    cr_assert(memcmp(small, "abcde", 5) == 0);
    cr_assert_eq(log_format(small, 0, "abcdef", 6, 0, "t", 1), 0);
}
