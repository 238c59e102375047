/*
 * libFuzzer target: the console's line editor (user/console/lineedit.c) over
 * arbitrary typed bytes. Properties: no crash, no undefined behaviour (ASan,
 * UBSan); the line never exceeds LE_LINE_MAX; a completed line ends with its
 * only newline; the echo never moves the cursor left of column 0 and, after
 * every byte, leaves it exactly as many columns right as the line has
 * characters (a UTF-8 sequence is one), so what the terminal shows and what the
 * editor holds cannot drift apart.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lineedit.h"

static long col;

static void emit(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\b') {
            if (--col < 0)
                abort();
        } else if (c == '\r') {
            col = 0;
        } else if (c == '\n' || c == '\a' || (c & 0xc0) == 0x80) {
        } else if (c < 0x20 || c == 0x7f) {
            abort(); /* no other control byte is ever echoed */
        } else {
            col++;
        }
    }
}

static long chars(const char *s, size_t n)
{
    long k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xc0) != 0x80;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct lineedit le;
    le_init(&le, emit, NULL);
    col = 0;
    for (size_t i = 0; i < size; i++) {
        enum le_event e = le_feed(&le, data[i]);
        if (le.len > LE_LINE_MAX)
            abort();
        if (e == LE_LINE) {
            size_t n;
            const char *l = le_line(&le, &n);
            if (n < 1 || n > LE_LINE_MAX + 1 || l[n - 1] != '\n' || memchr(l, '\n', n - 1))
                abort();
        }
        if (col != chars(le.line, le.len))
            abort();
    }
    return 0;
}
