/*
 * The console's line editor (lineedit.h has the keys and the contract).
 *
 * The model is a terminal in canonical mode, as a Unix tty driver keeps it: the
 * line lives in the editor, not on the screen; every change is shown by echo
 * alone, with the cursor always at the end of the line. Erasing shows as "\b \b"
 * per character (back, blank, back), so nothing depends on a terminal's cursor
 * addressing. A character is an ASCII byte or a UTF-8 sequence: continuation
 * bytes (0x80-0xbf) travel with the byte before them when a line is erased, so
 * a backspace takes off a whole character and moves the cursor once. For that
 * count to match what the terminal shows, a continuation byte that continues
 * no character is refused (a bell), as are 0xf8-0xff; a sequence cut short
 * (a lead byte, then ASCII) shows as one replacement character, which is one
 * character here too.
 *
 * History is a ring of the last LE_HISTORY non-empty lines (a line equal to the
 * newest is not kept twice). Up shows the next older entry in place of the
 * line, Down the next newer one and finally the line that was being typed
 * before Up (the draft). Editing a shown entry edits a copy; the history does
 * not change until Enter adds the result.
 *
 * Escape sequences: a terminal sends the arrow keys as ESC [ A (or ESC O A in
 * its application mode). The editor follows ECMA-48's shape: after ESC [ any
 * parameter (0x30-0x3f) and intermediate (0x20-0x2f) bytes, then one final byte
 * (0x40-0x7e) ends the sequence; A and B are the arrows (with or without
 * parameters: ESC [ 1 ; 5 A, Ctrl-Up, walks the history too), every other
 * sequence is swallowed. A control byte (or DEL) inside a sequence ends it and
 * is taken as typed, so a stray ESC cannot eat an Enter.
 */
#include "lineedit.h"

#include <string.h>

enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };

#define CTRL(c) ((c)&0x1f)

static bool is_cont(char c)
{
    return ((unsigned char)c & 0xc0) == 0x80;
}

/* Bytes of the UTF-8 sequence that lead starts. */
static size_t seq_len(unsigned char lead)
{
    return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/* True when the byte c may follow the line: anything but a continuation byte
 * that continues no character (after ASCII, or after a complete sequence) and
 * the bytes no UTF-8 sequence starts with. */
static bool fits(const struct lineedit *le, unsigned char c)
{
    if (c >= 0xf8)
        return false;
    if (!is_cont((char)c))
        return true;
    size_t i = le->len;
    while (i > 0 && is_cont(le->line[i - 1]))
        i--;
    if (i == 0)
        return false;
    unsigned char lead = (unsigned char)le->line[i - 1];
    return lead >= 0xc0 && le->len - (i - 1) < seq_len(lead);
}

/* Erases line[to, len) on the screen and from the line. */
static void erase_to(struct lineedit *le, size_t to)
{
    static const char rub[] = "\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b";
    size_t chars = 0;
    for (size_t i = to; i < le->len; i++)
        chars += !is_cont(le->line[i]);
    while (chars) {
        size_t k = chars < (sizeof(rub) - 1) / 3 ? chars : (sizeof(rub) - 1) / 3;
        le->emit(le->ctx, rub, 3 * k);
        chars -= k;
    }
    le->len = to;
}

/* Replaces the line with s[0..n), on the screen too. */
static void show(struct lineedit *le, const char *s, size_t n)
{
    erase_to(le, 0);
    memcpy(le->line, s, n);
    le->len = n;
    if (n)
        le->emit(le->ctx, s, n);
}

/* The history entry k-th from the newest (1: the newest). */
static unsigned entry(const struct lineedit *le, unsigned k)
{
    return (le->first + le->count - k) % LE_HISTORY;
}

static void remember(struct lineedit *le)
{
    if (!le->len)
        return;
    if (le->count) {
        unsigned n = entry(le, 1);
        if (le->hist_len[n] == le->len && !memcmp(le->hist[n], le->line, le->len))
            return;
    }
    unsigned slot;
    if (le->count < LE_HISTORY) {
        slot = (le->first + le->count++) % LE_HISTORY;
    } else {
        slot = le->first;
        le->first = (le->first + 1) % LE_HISTORY;
    }
    memcpy(le->hist[slot], le->line, le->len);
    le->hist_len[slot] = le->len;
}

static void older(struct lineedit *le)
{
    if (le->browse >= le->count)
        return;
    if (le->browse == 0) {
        memcpy(le->draft, le->line, le->len);
        le->draft_len = le->len;
    }
    unsigned n = entry(le, ++le->browse);
    show(le, le->hist[n], le->hist_len[n]);
}

static void newer(struct lineedit *le)
{
    if (le->browse == 0)
        return;
    if (--le->browse == 0) {
        show(le, le->draft, le->draft_len);
    } else {
        unsigned n = entry(le, le->browse);
        show(le, le->hist[n], le->hist_len[n]);
    }
}

static enum le_event enter(struct lineedit *le)
{
    le->emit(le->ctx, "\r\n", 2);
    memcpy(le->done, le->line, le->len);
    le->done[le->len] = '\n';
    le->done_len = le->len + 1;
    remember(le);
    le->len = 0;
    le->browse = 0;
    return LE_LINE;
}

/* Takes c as part of an escape sequence; false when c is not (the sequence
 * ended before it and c is a byte of its own). */
static bool escape(struct lineedit *le, unsigned char c)
{
    if ((c < 0x20 && c != 0x1b) || c == 0x7f) {
        le->esc = ESC_NONE;
        return false;
    }
    switch (le->esc) {
    case ESC_START:
        le->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : c == 0x1b ? ESC_START : ESC_NONE;
        return true;
    case ESC_CSI:
        if (c >= 0x20 && c <= 0x3f)
            return true; /* parameters, intermediates */
        break;
    default: /* ESC_SS3: one byte */
        break;
    }
    le->esc = ESC_NONE;
    if (c == 'A')
        older(le);
    else if (c == 'B')
        newer(le);
    return true;
}

void le_init(struct lineedit *le, le_emit_fn *emit, void *ctx)
{
    memset(le, 0, sizeof(*le));
    le->emit = emit;
    le->ctx = ctx;
}

enum le_event le_feed(struct lineedit *le, unsigned char c)
{
    bool after_cr = le->after_cr;
    le->after_cr = false;
    if (le->esc != ESC_NONE && escape(le, c))
        return LE_NONE;
    if (c >= 0x20 && c != 0x7f) {
        if (le->len == LE_LINE_MAX || !fits(le, c)) {
            le->emit(le->ctx, "\a", 1);
        } else {
            le->line[le->len++] = (char)c;
            le->emit(le->ctx, (const char *)&c, 1);
        }
        return LE_NONE;
    }
    size_t to = le->len;
    switch (c) {
    case '\r':
        le->after_cr = true;
        return enter(le);
    case '\n':
        return after_cr ? LE_NONE : enter(le);
    case CTRL('H'):
    case 0x7f:
        while (to > 0 && is_cont(le->line[--to]))
            ;
        erase_to(le, to);
        return LE_NONE;
    case CTRL('U'):
        erase_to(le, 0);
        return LE_NONE;
    case CTRL('W'):
        while (to > 0 && le->line[to - 1] == ' ')
            to--;
        while (to > 0 && le->line[to - 1] != ' ')
            to--;
        erase_to(le, to);
        return LE_NONE;
    case CTRL('C'):
        le->emit(le->ctx, "^C\r\n", 4);
        le->len = 0;
        le->browse = 0;
        return LE_INTERRUPT;
    case 0x1b:
        le->esc = ESC_START;
        return LE_NONE;
    default:
        return LE_NONE;
    }
}

const char *le_line(const struct lineedit *le, size_t *len)
{
    *len = le->done_len;
    return le->done;
}
