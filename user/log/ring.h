/*
 * The log server's state (user/log/ring.c): the ring of the last
 * WFP_LOG_LINES_KEPT lines and the writers' names. Pure logic, no system call:
 * the server (user/log/main.c) stamps and echoes, tests/host/test_logring.c
 * tests the ring on the host.
 *
 * Lines are numbered from 1 in the order they arrive. Each kept line holds its
 * sequence number, its time stamp (what the server passes: nanoseconds
 * since boot), its level and its text already formatted for Read as
 * "NAME LEVEL: text", with the writer's name as it was when the line was
 * written, cut to WFP_LOG_TEXT_MAX bytes. Line seq lives in slot
 * (seq - 1) % WFP_LOG_LINES_KEPT, so a new line replaces the oldest one once the
 * ring is full.
 *
 * Writers are known by the badge of their log cap. Badge 0 is init, named
 * "init"; badges 1 to 63 take the name Label gave them; any other badge, or
 * one never named, shows as "#N" (N the badge in decimal).
 */
#ifndef LOG_RING_H
#define LOG_RING_H

#include <stddef.h>

#include "weft/errors.h"
#include "weft/types.h"
#include "wf/proto/log.h"

#define LOG_RING_LINES WFP_LOG_LINES_KEPT
#define LOG_WRITERS    64u /* badges that Label may name: 1 .. LOG_WRITERS - 1 */

/* Longest writer name as shown: a Label's name, "init" or "#N" (N < 2^64). */
#define LOG_SHOWN_NAME_MAX (WFP_LOG_NAME_MAX > 21 ? WFP_LOG_NAME_MAX : 21)

struct log_line {
    wf_word_t seq; /* 0: the slot never held a line */
    wf_word_t time;
    wf_word_t level;
    unsigned len;
    char text[WFP_LOG_TEXT_MAX]; /* "NAME LEVEL: text", not terminated */
};

struct log_ring {
    struct log_line line[LOG_RING_LINES];
    wf_word_t next; /* the sequence number the next line gets (from 1) */
    unsigned name_len[LOG_WRITERS];
    char name[LOG_WRITERS][WFP_LOG_NAME_MAX];
};

/* Empties r: no lines, no names; the first line will be number 1. */
void log_ring_init(struct log_ring *r);

/* Names writer badge (1 .. LOG_WRITERS - 1) name (len bytes; 0: forget the
 * name), asked by the client with badge caller. ILLEGAL_OPERATION unless
 * caller is 0, RANGE_ERROR for another badge or a name over WFP_LOG_NAME_MAX. */
enum wf_error log_ring_label(struct log_ring *r, wf_word_t caller, wf_word_t badge,
                             const char *name, size_t len);

/* Writes badge's name as shown (no terminator) to out (room for
 * LOG_SHOWN_NAME_MAX bytes); returns its length. */
size_t log_ring_writer(const struct log_ring *r, wf_word_t badge, char *out);

/* The name of level (LEVEL_ERROR .. LEVEL_DEBUG: "ERROR", "WARN", "INFO",
 * "DEBUG"), "?" for any other. */
const char *log_level_name(wf_word_t level);

/* Formats "NAME LEVEL: text" into out (at most max bytes, the rest cut);
 * returns the bytes written. */
size_t log_format(char *out, size_t max, const char *name, size_t name_len, wf_word_t level,
                  const char *text, size_t text_len);

/* Adds the line text (len bytes, at most WFP_LOG_TEXT_MAX) of writer badge at
 * level, stamped time. INVALID_ARGUMENT (nothing kept) for a level above
 * LEVEL_DEBUG or a text too long; else the line is kept and its number stored
 * in *seq (may be NULL). */
enum wf_error log_ring_write(struct log_ring *r, wf_word_t badge, wf_word_t level, const char *text,
                             size_t len, wf_word_t time, wf_word_t *seq);

/* The oldest kept line whose number is at least seq, or NULL when there is
 * none yet (seq beyond the last line written). */
const struct log_line *log_ring_read(const struct log_ring *r, wf_word_t seq);

#endif
