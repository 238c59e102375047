/*
 * The console's line editor (user/console/lineedit.c): turns the bytes typed on
 * a terminal into edited lines and the echo that shows them. Pure: it does no
 * I/O of its own; what it wants shown goes to an emit function, what the user
 * finished comes back as an event. The console server (user/console/consrv.c)
 * feeds it every received byte; the host tests (tests/host/test_lineedit.c)
 * feed it scripts.
 *
 * Keys (docs/userspace.md, Console):
 *   printable bytes (0x20-0x7e, and UTF-8 sequences)  appended and echoed
 *   Backspace (^H) or DEL (0x7f)   erase the last character
 *   ^U                             erase the whole line
 *   ^W                             erase the last word (and the spaces after it)
 *   Up, Down (ESC [ A / B, ESC O A / B)   walk the history of entered lines
 *   Enter (CR, LF, or CR LF)       end the line: echo CR LF, LE_LINE
 *   ^C                             drop the line: echo ^C CR LF, LE_INTERRUPT
 * Other control bytes and other escape sequences (ESC [ params final) are
 * ignored. The cursor is always at the end of the line: erasing a character is
 * "\b \b", which every terminal understands. A line holds at most LE_LINE_MAX
 * bytes; a byte beyond that, or one that cannot be part of UTF-8 text where it
 * comes, is refused with a bell (BEL).
 */
#ifndef CONSOLE_LINEEDIT_H
#define CONSOLE_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>

/* Most bytes of one line, without its newline (with it: 512, one console Read). */
#define LE_LINE_MAX 511
/* Lines the history keeps (the oldest goes first). */
#define LE_HISTORY 16

/* What one input byte did. */
enum le_event {
    LE_NONE = 0,      /* nothing for the reader (an edit, or an ignored byte) */
    LE_LINE = 1,      /* a line is complete: le_line() has it, with its newline */
    LE_INTERRUPT = 2, /* ^C: the line was dropped */
};

/* Where the echo goes: n bytes to show, in order. */
typedef void le_emit_fn(void *ctx, const char *s, size_t n);

struct lineedit {
    le_emit_fn *emit;
    void *ctx;
    char line[LE_LINE_MAX]; /* the line being edited */
    size_t len;
    char done[LE_LINE_MAX + 1]; /* the line Enter completed last, with its newline */
    size_t done_len;
    /* History: hist[(first + i) % LE_HISTORY] for i < count, oldest first. */
    char hist[LE_HISTORY][LE_LINE_MAX];
    size_t hist_len[LE_HISTORY];
    unsigned first, count;
    unsigned browse;         /* 0: editing a new line; k: showing the k-th newest entry */
    char draft[LE_LINE_MAX]; /* the new line, kept while browsing */
    size_t draft_len;
    unsigned esc;  /* escape sequence state (lineedit.c) */
    bool after_cr; /* the last byte was CR: a LF now is part of the Enter */
};

/* Starts an empty editor whose echo goes to emit(ctx, ...). */
void le_init(struct lineedit *le, le_emit_fn *emit, void *ctx);

/* Takes one typed byte; returns what it did. After LE_LINE, le_line() holds
 * the line until the next LE_LINE. */
enum le_event le_feed(struct lineedit *le, unsigned char c);

/* The line the last LE_LINE completed, with its newline; *len its length. */
const char *le_line(const struct lineedit *le, size_t *len);

#endif
