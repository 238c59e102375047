/*
 * The log server (user/log, protocol log; docs/userspace.md, "Log") as a
 * child process, the test acting as init: it holds the unbadged endpoint
 * (badge 0) and mints writers' caps with badges 1 and 2. Checked: only badge 0
 * names writers (Label, its range errors); lines read back in order with their
 * numbers, levels, time stamps (the kernel's clock, in order) and the
 * writer's name ("init", the Label, or "#N"); a level above DEBUG refused; Read of a future number
 * answers 0, of an overwritten one the oldest kept line once the ring wrapped;
 * malformed messages refused, the server working on after them; a writer
 * blocked in a Call gets CANCELLED when the server is killed holding it.
 */
#include <string.h>

#include "srvtest.h"
#include "weft/invoke.h"
#include "wf/proto/log.h"

static enum wf_error wr(wf_cptr_t c, wf_word_t level, const char *text)
{
    return wfp_log_write(c, level, text, strlen(text));
}

/* Reads line seq; fails the test unless it is number want_seq at level with the
 * text want. *tsc gets its time stamp. */
#define READ_LINE(c, seq, want_seq, want_level, want, tsc)                                         \
    do {                                                                                           \
        wf_word_t ls_ = 0, lv_ = 9, n_ = 0;                                                        \
        char line_[WFP_LOG_TEXT_MAX];                                                              \
        TEST_ASSERT_ERR(wfp_log_read(c, seq, &ls_, tsc, &lv_, line_, sizeof(line_), &n_),          \
                        WF_ERR_OK);                                                                \
        TEST_ASSERT_EQ(ls_, want_seq);                                                             \
        TEST_ASSERT_EQ(lv_, want_level);                                                           \
        TEST_ASSERT(n_ == strlen(want) && memcmp(line_, want, n_) == 0, "line %lu: '%.*s'",        \
                    (unsigned long)ls_, (int)n_, line_);                                           \
    } while (0)

TEST(logsrv, label_write_read_in_order)
{
    struct srv s;
    TEST_ASSERT_ERR(srv_start(&s, "log"), WF_ERR_OK);
    wf_cptr_t w1 = srv_client(&s, 1), w2 = srv_client(&s, 2);
    TEST_ASSERT(w1 && w2);

    /* Only init names writers, badges 1 to 63. */
    TEST_ASSERT_ERR(wfp_log_label(w1, 1, "me", 2), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wfp_log_label(s.ep, 0, "x", 1), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_log_label(s.ep, 64, "x", 1), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_log_label(s.ep, 1, "alpha", 5), WF_ERR_OK);

    wf_word_t ls = 9, t0 = 0, t1 = 0, t2 = 0, t3 = 0, before = wf_clock_ns();
    TEST_ASSERT_ERR(wfp_log_read(w2, 1, &ls, 0, 0, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(ls, 0); /* nothing written yet */
    TEST_ASSERT_ERR(wr(w1, WFP_LOG_LEVEL_INFO, "logsrv test line one"), WF_ERR_OK);
    TEST_ASSERT_ERR(wr(w2, WFP_LOG_LEVEL_WARN, "logsrv test line two"), WF_ERR_OK);
    TEST_ASSERT_ERR(wr(s.ep, WFP_LOG_LEVEL_DEBUG, "three"), WF_ERR_OK);
    TEST_ASSERT_ERR(wr(w1, WFP_LOG_LEVEL_DEBUG + 1, "bad level"), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wr(w1, ~(wf_word_t)0, "bad level"), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wr(w1, WFP_LOG_LEVEL_ERROR, ""), WF_ERR_OK);

    /* Any client reads; seq 0 is the first line. */
    READ_LINE(w2, 0, 1, WFP_LOG_LEVEL_INFO, "alpha INFO: logsrv test line one", &t0);
    READ_LINE(w2, 2, 2, WFP_LOG_LEVEL_WARN, "#2 WARN: logsrv test line two", &t1);
    READ_LINE(s.ep, 3, 3, WFP_LOG_LEVEL_DEBUG, "init DEBUG: three", &t2);
    READ_LINE(w1, 4, 4, WFP_LOG_LEVEL_ERROR, "alpha ERROR: ", &t3);
    /* Stamped with the kernel's clock when written. */
    wf_word_t after = wf_clock_ns();
    TEST_ASSERT(before <= t0 && t0 <= t1 && t1 <= t2 && t2 <= t3 && t3 <= after,
                "time stamps %lu %lu %lu %lu outside [%lu, %lu]", (unsigned long)t0,
                (unsigned long)t1, (unsigned long)t2, (unsigned long)t3, (unsigned long)before,
                (unsigned long)after);
    TEST_ASSERT_ERR(wfp_log_read(w1, 5, &ls, 0, 0, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(ls, 0);
    TEST_ASSERT_ERR(wfp_log_read(w1, ~(wf_word_t)0, &ls, 0, 0, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(ls, 0);

    /* A new name shows on new lines only. */
    TEST_ASSERT_ERR(wfp_log_label(s.ep, 2, "beta", 4), WF_ERR_OK);
    TEST_ASSERT_ERR(wr(w2, WFP_LOG_LEVEL_DEBUG, "five"), WF_ERR_OK);
    READ_LINE(w1, 5, 5, WFP_LOG_LEVEL_DEBUG, "beta DEBUG: five", &t0);
    READ_LINE(w1, 2, 2, WFP_LOG_LEVEL_WARN, "#2 WARN: logsrv test line two", &t1);
}

TEST(logsrv, ring_wraps)
{
    struct srv s;
    TEST_ASSERT_ERR(srv_start(&s, "log"), WF_ERR_OK);
    wf_cptr_t w3 = srv_client(&s, 3);
    TEST_ASSERT(w3);
    const unsigned total = WFP_LOG_LINES_KEPT + 10;
    char text[16];
    for (unsigned i = 1; i <= total; i++) {
        unsigned n = 0;
        for (unsigned v = i; v; v /= 10)
            n++;
        for (unsigned v = i, k = n; k; v /= 10)
            text[--k] = (char)('0' + v % 10);
        text[n] = 0;
        TEST_ASSERT_ERR(wr(w3, WFP_LOG_LEVEL_DEBUG, text), WF_ERR_OK);
    }
    /* Lines 1..10 are gone: asking for them gives line 11. */
    READ_LINE(w3, 1, 11, WFP_LOG_LEVEL_DEBUG, "#3 DEBUG: 11", 0);
    READ_LINE(w3, 10, 11, WFP_LOG_LEVEL_DEBUG, "#3 DEBUG: 11", 0);
    READ_LINE(w3, 11, 11, WFP_LOG_LEVEL_DEBUG, "#3 DEBUG: 11", 0);
    READ_LINE(w3, 200, 200, WFP_LOG_LEVEL_DEBUG, "#3 DEBUG: 200", 0);
    READ_LINE(w3, total, total, WFP_LOG_LEVEL_DEBUG, "#3 DEBUG: 266", 0);
    wf_word_t ls = 9;
    TEST_ASSERT_ERR(wfp_log_read(w3, total + 1, &ls, 0, 0, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(ls, 0);
}

TEST(logsrv, malformed_messages_refused)
{
    struct srv s;
    TEST_ASSERT_ERR(srv_start(&s, "log"), WF_ERR_OK);
    wf_word_t w[60] = {WFP_LOG_LEVEL_INFO, WFP_LOG_TEXT_MAX + 1}, out[4];
    /* Too many bytes, too few words, a word too many, a stray label. */
    TEST_ASSERT_ERR(wf_proto_call(s.ep, WFP_LOG_WRITE, w, 53, 0, 0, out, 4, 0, 0),
                    WF_ERR_RANGE_ERROR);
    w[1] = 16;
    TEST_ASSERT_ERR(wf_proto_call(s.ep, WFP_LOG_WRITE, w, 3, 0, 0, out, 4, 0, 0),
                    WF_ERR_TRUNCATED_MESSAGE);
    TEST_ASSERT_ERR(wf_proto_call(s.ep, WFP_LOG_READ, w, 2, 0, 0, out, 4, 0, 0),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_proto_call(s.ep, WFP_LOG_LAST, w, 1, 0, 0, out, 4, 0, 0),
                    WF_ERR_ILLEGAL_OPERATION);
    /* No line was kept; the server works on. */
    wf_word_t ls = 9;
    TEST_ASSERT_ERR(wfp_log_read(s.ep, 0, &ls, 0, 0, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(ls, 0);
    TEST_ASSERT_ERR(wr(s.ep, WFP_LOG_LEVEL_DEBUG, "after"), WF_ERR_OK);
    READ_LINE(s.ep, 0, 1, WFP_LOG_LEVEL_DEBUG, "init DEBUG: after", 0);
}

static int write_client(uintptr_t c)
{
    return (int)wfp_log_write((wf_cptr_t)c, WFP_LOG_LEVEL_DEBUG, "never answered", 14);
}

TEST(logsrv, killed_mid_call_cancels_the_writer)
{
    struct srv s;
    TEST_ASSERT_ERR(srv_start(&s, "log"), WF_ERR_OK);
    wf_cptr_t w1 = srv_client(&s, 1);
    TEST_ASSERT(w1);
    wf_word_t err;
    TEST_ASSERT_ERR(srv_kill_mid_call(&s, write_client, w1, &err), WF_ERR_OK);
    TEST_ASSERT(err != 1000, "the server answered before it was killed");
    TEST_ASSERT_ERR(err, WF_ERR_CANCELLED);
}
