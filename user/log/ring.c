/*
 * The log server's ring and writer names (ring.h). Lines are formatted once,
 * when written: Read then copies bytes, and a line keeps the name its writer
 * had at the time even if init names the badge again later (a restarted
 * program gets the same id).
 */
#include "ring.h"

#include <string.h>

void log_ring_init(struct log_ring *r)
{
    memset(r, 0, sizeof(*r));
    r->next = 1;
}

enum wf_error log_ring_label(struct log_ring *r, wf_word_t caller, wf_word_t badge,
                             const char *name, size_t len)
{
    if (caller != 0)
        return WF_ERR_ILLEGAL_OPERATION;
    if (badge == 0 || badge >= LOG_WRITERS || len > WFP_LOG_NAME_MAX)
        return WF_ERR_RANGE_ERROR;
    memcpy(r->name[badge], name, len);
    r->name_len[badge] = (unsigned)len;
    return WF_ERR_OK;
}

size_t log_ring_writer(const struct log_ring *r, wf_word_t badge, char *out)
{
    if (badge == 0) {
        memcpy(out, "init", 4);
        return 4;
    }
    if (badge < LOG_WRITERS && r->name_len[badge]) {
        memcpy(out, r->name[badge], r->name_len[badge]);
        return r->name_len[badge];
    }
    char digits[20];
    size_t n = 0;
    do
        digits[n++] = (char)('0' + badge % 10);
    while ((badge /= 10) != 0);
    out[0] = '#';
    for (size_t i = 0; i < n; i++)
        out[1 + i] = digits[n - 1 - i];
    return n + 1;
}

const char *log_level_name(wf_word_t level)
{
    static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    return level < sizeof(names) / sizeof(names[0]) ? names[level] : "?";
}

/* Appends len bytes of s to out (filled up to *at, room max), as many as fit. */
static void put(char *out, size_t max, size_t *at, const char *s, size_t len)
{
    size_t n = max - *at < len ? max - *at : len;
    memcpy(out + *at, s, n);
    *at += n;
}

size_t log_format(char *out, size_t max, const char *name, size_t name_len, wf_word_t level,
                  const char *text, size_t text_len)
{
    size_t at = 0;
    const char *lv = log_level_name(level);
    put(out, max, &at, name, name_len);
    put(out, max, &at, " ", 1);
    put(out, max, &at, lv, strlen(lv));
    put(out, max, &at, ": ", 2);
    put(out, max, &at, text, text_len);
    return at;
}

enum wf_error log_ring_write(struct log_ring *r, wf_word_t badge, wf_word_t level, const char *text,
                             size_t len, wf_word_t time, wf_word_t *seq)
{
    if (level > WFP_LOG_LEVEL_DEBUG || len > WFP_LOG_TEXT_MAX)
        return WF_ERR_INVALID_ARGUMENT;
    char name[LOG_SHOWN_NAME_MAX];
    size_t name_len = log_ring_writer(r, badge, name);
    struct log_line *l = &r->line[(r->next - 1) % LOG_RING_LINES];
    l->seq = r->next++;
    l->time = time;
    l->level = level;
    l->len = (unsigned)log_format(l->text, sizeof(l->text), name, name_len, level, text, len);
    if (seq)
        *seq = l->seq;
    return WF_ERR_OK;
}

const struct log_line *log_ring_read(const struct log_ring *r, wf_word_t seq)
{
    /* The oldest kept line is number next - LOG_RING_LINES (or 1). */
    wf_word_t oldest = r->next > LOG_RING_LINES ? r->next - LOG_RING_LINES : 1;
    if (seq < oldest)
        seq = oldest;
    if (seq >= r->next)
        return NULL;
    return &r->line[(seq - 1) % LOG_RING_LINES];
}
