/*
 * The console's line editor (user/console/lineedit.c) on the host. Every key
 * with its echo and its effect on the line; the history (walk, draft, ring,
 * duplicates, edits of a shown entry); escape sequences; UTF-8 erasure; the
 * length limit. Then a model check: a screen model interprets everything the
 * editor echoes (printing, backspace, CR, LF; a UTF-8 sequence fills one cell)
 * and after every byte of long random inputs the screen's current row must show
 * exactly the editor's line with the cursor at its end, and every completed line
 * must be what the screen showed when Enter came.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineedit.h"

/* --- echo capture ------------------------------------------------------------------- */

static struct {
    char buf[1 << 16];
    size_t n;
} E;

static void capture(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    cr_assert_leq(E.n + n, sizeof(E.buf));
    memcpy(E.buf + E.n, s, n);
    E.n += n;
}

static struct lineedit le;

static void setup(void)
{
    memset(&E, 0, sizeof(E));
    le_init(&le, capture, NULL);
}

TestSuite(lineedit, .init = setup);

/* Feeds the bytes of s; returns the last event other than LE_NONE (or LE_NONE). */
static enum le_event type(const char *s, size_t n)
{
    enum le_event last = LE_NONE;
    for (size_t i = 0; i < n; i++) {
        enum le_event e = le_feed(&le, (unsigned char)s[i]);
        if (e != LE_NONE)
            last = e;
    }
    return last;
}
#define TYPE(s) type((s), sizeof(s) - 1)

/* The echo since the last call, as a C string (then forgotten). */
static const char *echo(void)
{
    static char out[sizeof(E.buf) + 1];
    memcpy(out, E.buf, E.n);
    out[E.n] = 0;
    E.n = 0;
    return out;
}

static void assert_line(const char *want)
{
    cr_assert_eq(le.len, strlen(want), "line length %zu, want %zu", le.len, strlen(want));
    cr_assert_eq(memcmp(le.line, want, le.len), 0, "line is '%.*s', want '%s'", (int)le.len,
                 le.line, want);
}

static void assert_done(const char *want)
{
    size_t n;
    const char *l = le_line(&le, &n);
    cr_assert_eq(n, strlen(want));
    cr_assert_eq(memcmp(l, want, n), 0, "completed '%.*s', want '%s'", (int)n, l, want);
}

/* --- keys --------------------------------------------------------------------------- */

Test(lineedit, printable_bytes_echo_and_enter_completes)
{
    cr_assert_eq(TYPE("ls -l"), LE_NONE);
    cr_assert_str_eq(echo(), "ls -l");
    assert_line("ls -l");
    cr_assert_eq(TYPE("\r"), LE_LINE);
    cr_assert_str_eq(echo(), "\r\n");
    assert_done("ls -l\n");
    assert_line("");
    /* An empty line is a line too. */
    cr_assert_eq(TYPE("\r"), LE_LINE);
    assert_done("\n");
}

Test(lineedit, cr_lf_is_one_enter_lf_alone_is_one)
{
    cr_assert_eq(le_feed(&le, 'a'), LE_NONE);
    cr_assert_eq(le_feed(&le, '\r'), LE_LINE);
    cr_assert_eq(le_feed(&le, '\n'), LE_NONE); /* the LF of CR LF */
    assert_done("a\n");
    cr_assert_eq(le_feed(&le, 'b'), LE_NONE);
    cr_assert_eq(le_feed(&le, '\n'), LE_LINE);
    assert_done("b\n");
    cr_assert_eq(le_feed(&le, '\n'), LE_LINE); /* LF after LF: a second line */
    assert_done("\n");
    cr_assert_eq(le_feed(&le, '\r'), LE_LINE);
    cr_assert_eq(le_feed(&le, '\r'), LE_LINE); /* CR CR: two */
    cr_assert_str_eq(echo(), "a\r\nb\r\n\r\n\r\n\r\n");
}

Test(lineedit, backspace_and_del_erase_one_character)
{
    TYPE("abc");
    echo();
    cr_assert_eq(TYPE("\b"), LE_NONE);
    cr_assert_str_eq(echo(), "\b \b");
    assert_line("ab");
    TYPE("\x7f");
    cr_assert_str_eq(echo(), "\b \b");
    assert_line("a");
    TYPE("\x7f\x7f\b");
    cr_assert_str_eq(echo(), "\b \b"); /* nothing left to erase: no echo */
    assert_line("");
    TYPE("xy\r");
    assert_done("xy\n");
}

Test(lineedit, ctrl_u_kills_the_line)
{
    TYPE("hello world");
    echo();
    TYPE("\x15");
    cr_assert_str_eq(echo(), "\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b\b \b");
    assert_line("");
    TYPE("\x15");
    cr_assert_str_eq(echo(), "");
    /* A long line: one erasure per character, in several emits. */
    char many[100];
    memset(many, 'z', sizeof(many));
    type(many, sizeof(many));
    echo();
    TYPE("\x15");
    const char *e = echo();
    cr_assert_eq(strlen(e), 300);
    for (unsigned i = 0; i < 100; i++)
        cr_assert_eq(memcmp(e + 3 * i, "\b \b", 3), 0);
}

Test(lineedit, ctrl_w_kills_a_word_and_the_spaces_after_it)
{
    TYPE("cat  foo bar  ");
    echo();
    TYPE("\x17");
    assert_line("cat  foo ");
    cr_assert_eq(strlen(echo()), 3 * 5); /* "bar  " */
    TYPE("\x17");
    assert_line("cat  ");
    TYPE("\x17");
    assert_line("");
    TYPE("\x17");
    assert_line("");
    TYPE("one\x17two\r");
    assert_done("two\n");
}

Test(lineedit, ctrl_c_drops_the_line)
{
    TYPE("rm -rf");
    echo();
    cr_assert_eq(TYPE("\x03"), LE_INTERRUPT);
    cr_assert_str_eq(echo(), "^C\r\n");
    assert_line("");
    /* Nothing of it reached the history. */
    TYPE("\x1b[A");
    assert_line("");
    cr_assert_str_eq(echo(), "");
}

Test(lineedit, other_control_bytes_are_ignored)
{
    TYPE("a\t\x01\x02\x04\x07\x0e\x1f"
         "b");
    cr_assert_str_eq(echo(), "ab");
    assert_line("ab");
}

Test(lineedit, a_full_line_rings_the_bell)
{
    char big[LE_LINE_MAX + 3];
    memset(big, 'q', sizeof(big));
    type(big, sizeof(big));
    cr_assert_eq(le.len, LE_LINE_MAX);
    cr_assert_eq(E.n, LE_LINE_MAX + 3);
    cr_assert_eq(memcmp(E.buf + LE_LINE_MAX, "\a\a\a", 3), 0);
    E.n = 0;
    TYPE("\b!"); /* room again for one */
    cr_assert_str_eq(echo(), "\b \b!");
    cr_assert_eq(TYPE("\r"), LE_LINE);
    size_t n;
    const char *l = le_line(&le, &n);
    cr_assert_eq(n, LE_LINE_MAX + 1);
    cr_assert_eq(l[LE_LINE_MAX - 1], '!');
    cr_assert_eq(l[LE_LINE_MAX], '\n');
}

Test(lineedit, utf8_characters_erase_whole)
{
    TYPE("a\xc3\xa9\xe2\x82\xac"); /* a, e-acute (2 bytes), euro (3 bytes) */
    echo();
    cr_assert_eq(le.len, 6);
    TYPE("\b");
    cr_assert_str_eq(echo(), "\b \b");
    assert_line("a\xc3\xa9");
    TYPE("\b");
    cr_assert_str_eq(echo(), "\b \b");
    assert_line("a");
    TYPE("\xe2\x82\xac\xe2\x82\xac x\x17");
    assert_line("a\xe2\x82\xac\xe2\x82\xac ");
    echo();
    TYPE("\x15");
    cr_assert_str_eq(echo(), "\b \b\b \b\b \b\b \b"); /* four characters, eight bytes */
}

Test(lineedit, bytes_that_are_not_utf8_text_ring_the_bell)
{
    TYPE("\xa9");         /* a continuation byte with nothing to continue */
    TYPE("a\x82");        /* ...or after ASCII */
    TYPE("\xc3\xa9\xa9"); /* ...or after a complete sequence */
    TYPE("\xf8\xff");     /* bytes no sequence starts with */
    cr_assert_str_eq(echo(), "\aa\a\xc3\xa9\a\a\a");
    assert_line("a\xc3\xa9");
    /* A sequence cut short is one character. */
    TYPE("\xe2\x82x\b\b");
    assert_line("a\xc3\xa9");
}

/* --- history ------------------------------------------------------------------------ */

Test(lineedit, up_and_down_walk_the_history)
{
    TYPE("first\rsecond\rthird\r");
    TYPE("dra");
    echo();
    TYPE("\x1b[A");
    assert_line("third");
    cr_assert_str_eq(echo(), "\b \b\b \b\b \bthird");
    TYPE("\x1b[A");
    assert_line("second");
    TYPE("\x1b[A");
    assert_line("first");
    echo();
    TYPE("\x1b[A"); /* no older entry: nothing happens */
    assert_line("first");
    cr_assert_str_eq(echo(), "");
    TYPE("\x1b[B");
    assert_line("second");
    TYPE("\x1b[B\x1b[B");
    assert_line("dra"); /* back to the draft */
    echo();
    TYPE("\x1b[B"); /* nothing newer */
    cr_assert_str_eq(echo(), "");
    assert_line("dra");
    /* Enter on a shown entry enters it (again: not stored twice in a row). */
    TYPE("\x15\x1b[A\x1b[A\r");
    assert_done("second\n");
    TYPE("\x1b[A");
    assert_line("second");
    TYPE("\x1b[A");
    assert_line("third");
}

Test(lineedit, editing_a_shown_entry_leaves_the_history_alone)
{
    TYPE("make\r");
    TYPE("\x1b[A\b\bke check\r");
    assert_done("make check\n");
    TYPE("\x1b[A");
    assert_line("make check");
    TYPE("\x1b[A");
    assert_line("make");
}

Test(lineedit, empty_and_repeated_lines_are_not_kept)
{
    TYPE("x\rx\r\r\ry\r");
    TYPE("\x1b[A");
    assert_line("y");
    TYPE("\x1b[A");
    assert_line("x");
    echo();
    TYPE("\x1b[A");
    assert_line("x");
    cr_assert_str_eq(echo(), "");
}

Test(lineedit, the_history_keeps_the_newest_lines)
{
    char l[8];
    for (int i = 0; i < LE_HISTORY + 5; i++) {
        int n = snprintf(l, sizeof(l), "c%d\r", i);
        type(l, (size_t)n);
    }
    for (int i = LE_HISTORY + 4; i >= 5; i--) {
        TYPE("\x1b[A");
        snprintf(l, sizeof(l), "c%d", i);
        assert_line(l);
    }
    TYPE("\x1b[A"); /* c4 and older are gone */
    assert_line("c5");
}

Test(lineedit, escape_sequences)
{
    TYPE("one\rtwo\r");
    TYPE("\x1bOA"); /* application mode */
    assert_line("two");
    TYPE("\x1bOB");
    assert_line("");
    TYPE("\x1b[1;5A"); /* with parameters */
    assert_line("two");
    TYPE("\x15");
    echo();
    /* Other sequences vanish whole: right arrow, Delete, F5, Alt-x, ESC ESC [ C. */
    TYPE("\x1b[C\x1b[3~\x1b[15~\x1bx\x1b\x1b[C");
    cr_assert_str_eq(echo(), "");
    assert_line("");
    /* A control byte ends a sequence and counts: a stray ESC cannot eat Enter. */
    TYPE("ab\x1b\r");
    assert_done("ab\n");
    TYPE("cd\x1b[1\x7f");
    assert_line("c");
    /* A printable byte after the sequence is typed. */
    TYPE("\x1b[Dz");
    assert_line("cz");
}

/* --- the screen model --------------------------------------------------------------- */

#define CELLS 4096

/* A terminal row: cells of one character each (a UTF-8 sequence is one), the
 * cursor, and every completed row's text. */
static struct {
    char cell[CELLS][32];
    unsigned char cell_len[CELLS];
    size_t width; /* cells written on this row */
    size_t cur;
    char last_row[CELLS * 32];
    size_t last_len;
    bool cr; /* the cursor went to column 0 */
} S;

static void screen_reset(void)
{
    memset(&S, 0, sizeof(S));
}

static void screen(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\b') {
            cr_assert_gt(S.cur, 0, "backspace at column 0");
            S.cur--;
        } else if (c == '\r') {
            S.cur = 0;
            S.cr = true;
        } else if (c == '\n') {
            cr_assert(S.cr, "LF without CR");
            S.last_len = 0;
            for (size_t k = 0; k < S.width; k++) {
                memcpy(S.last_row + S.last_len, S.cell[k], S.cell_len[k]);
                S.last_len += S.cell_len[k];
            }
            S.width = S.cur = 0;
            S.cr = false;
        } else if (c == '\a') {
        } else if ((c & 0xc0) == 0x80 && S.cur > 0 && S.cell_len[S.cur - 1] < 32) {
            S.cell[S.cur - 1][S.cell_len[S.cur - 1]++] = (char)c;
        } else {
            cr_assert(c >= 0x20 || c == '^', "control byte %#x echoed", c);
            cr_assert_lt(S.cur, CELLS);
            S.cell[S.cur][0] = (char)c;
            S.cell_len[S.cur] = 1;
            if (++S.cur > S.width)
                S.width = S.cur;
        }
    }
}

/* The screen shows the line exactly: the cells before the cursor spell it, the
 * cells after it are blank. Continuation bytes without a lead byte before them
 * (possible in random input) fill cells of their own; the model accepts that. */
static void assert_screen_shows_line(void)
{
    char shown[CELLS * 32];
    size_t n = 0;
    for (size_t k = 0; k < S.cur; k++) {
        memcpy(shown + n, S.cell[k], S.cell_len[k]);
        n += S.cell_len[k];
    }
    cr_assert_eq(n, le.len, "screen shows %zu bytes, the line has %zu", n, le.len);
    cr_assert_eq(memcmp(shown, le.line, n), 0, "screen and line differ");
    for (size_t k = S.cur; k < S.width; k++)
        cr_assert(S.cell_len[k] == 1 && S.cell[k][0] == ' ', "cell %zu not blank", k);
}

/* A random byte, weighted towards the interesting ones. */
static unsigned char pick(unsigned r)
{
    static const unsigned char special[] = {'\r', '\n', '\b', 0x7f, 0x15, 0x17, 0x1b, '[',
                                            'A',  'B',  'O',  ' ',  0xc3, 0xa9, 0xe2, 0x82};
    unsigned k = r % 8;
    if (k < 4)
        return (unsigned char)('a' + (r >> 3) % 26);
    if (k < 7)
        return special[(r >> 3) % sizeof(special)];
    return (unsigned char)(r >> 3);
}

Test(lineedit, random_input_keeps_the_screen_and_the_line_equal)
{
    srand(1);
    for (unsigned round = 0; round < 40; round++) {
        screen_reset();
        le_init(&le, screen, NULL);
        size_t lines = 0;
        for (unsigned i = 0; i < 5000; i++) {
            unsigned char c = pick((unsigned)rand());
            if (c == 0x03)
                c = 'c'; /* ^C has a model of its own below */
            char before[CELLS * 4];
            size_t before_len = le.len;
            memcpy(before, le.line, le.len);
            enum le_event e = le_feed(&le, c);
            if (e == LE_LINE) {
                size_t n;
                const char *l = le_line(&le, &n);
                cr_assert_eq(n, before_len + 1);
                cr_assert_eq(memcmp(l, before, before_len), 0);
                cr_assert_eq(l[before_len], '\n');
                /* The row that was finished: the line, then blanks. */
                cr_assert_geq(S.last_len, before_len);
                cr_assert_eq(memcmp(S.last_row, before, before_len), 0);
                for (size_t k = before_len; k < S.last_len; k++)
                    cr_assert_eq(S.last_row[k], ' ');
                lines++;
            }
            cr_assert_leq(le.len, LE_LINE_MAX);
            assert_screen_shows_line();
        }
        cr_assert_gt(lines, 0);
    }
}

Test(lineedit, random_input_with_ctrl_c)
{
    srand(2);
    screen_reset();
    le_init(&le, screen, NULL);
    unsigned interrupts = 0;
    for (unsigned i = 0; i < 20000; i++) {
        unsigned r = (unsigned)rand();
        unsigned char c = r % 97 == 0 ? 0x03 : pick(r);
        enum le_event e = le_feed(&le, c);
        if (e == LE_INTERRUPT) {
            interrupts++;
            cr_assert_eq(le.len, 0);
        }
        assert_screen_shows_line();
    }
    cr_assert_gt(interrupts, 0);
}
