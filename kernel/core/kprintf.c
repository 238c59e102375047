/*
 * kprintf: the kernel's formatted output.
 *
 * One formatter, fmt_vsnprintf (kernel/lib/format.c, shared with the user
 * library), renders into a bounded buffer and returns the length the complete
 * output would have had, exactly as C's vsnprintf; kprintf renders into a stack
 * buffer and hands it to the console (fmt_vprint, also the body of the user
 * library's printf). The formatter is pure code and is
 * unit-tested on the host against the C library's snprintf.
 */
#include "kprintf.h"
#include "lib/format.h"

int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    return fmt_vsnprintf(buf, n, fmt, ap);
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kvsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int kvprintf(const char *fmt, va_list ap)
{
    return fmt_vprint(console_write, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kvprintf(fmt, ap);
    va_end(ap);
    return r;
}
