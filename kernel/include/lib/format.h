/*
 * The formatter shared by the kernel (kprintf.h) and the user library
 * (user/lib/c: snprintf, printf): kernel/lib/format.c.
 *
 * Formats: %d %i %u %x %X %o %p %s %c %%, length modifiers hh h l ll z, flags
 * '-' '0' '+' ' ' '#', a width (number or '*') and a precision (number or '*')
 * for %s and the integer conversions. %p prints 0x followed by 16 hex digits. A
 * NULL %s prints "(null)". Unknown conversions are printed verbatim. No floating
 * point.
 */
#ifndef WEFT_LIB_FORMAT_H
#define WEFT_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Formats into buf (at most n bytes including the NUL; buf may be NULL when n is
 * 0). Returns the length the full output would have had, as C's vsnprintf. */
int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The longest output fmt_vprint writes; the rest is cut. */
#define FMT_PRINT_MAX 511

/* Formats into a stack buffer and hands the result (at most FMT_PRINT_MAX
 * bytes) to write: kprintf's and printf's one body. Returns the number of
 * bytes written. */
int fmt_vprint(void (*write)(const char *s, size_t len), const char *fmt, va_list ap);

#endif
