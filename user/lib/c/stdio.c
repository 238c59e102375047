/*
 * Formatted output of the user C library. vsnprintf is the kernel's own
 * formatter (kernel/lib/format.c, linked into every program), so kernel and
 * user output agree and one host test (tests/host/test_kprintf.c, against the
 * host C library) covers both. Console output goes through wf_console_write of
 * the Weft runtime (user/lib/weft).
 */
#include <stdio.h>
#include <string.h>

#include "lib/format.h"
#include "wf/runtime.h"

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    return fmt_vsnprintf(buf, n, fmt, ap);
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = fmt_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int vprintf(const char *fmt, va_list ap)
{
    return fmt_vprint(wf_console_write, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vprintf(fmt, ap);
    va_end(ap);
    return r;
}

int putchar(int c)
{
    char ch = (char)c;
    wf_console_write(&ch, 1);
    return (unsigned char)ch;
}

int puts(const char *s)
{
    wf_console_write(s, strlen(s));
    wf_console_write("\n", 1);
    return 0;
}
