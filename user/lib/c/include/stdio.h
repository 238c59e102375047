/*
 * The user C library's formatted output (user/lib/c/stdio.c). The formats are
 * those of the kernel's formatter (kernel/include/lib/format.h, the same code):
 * %d %i %u %x %X %o %p %s %c %%, hh h l ll z, flags - 0 + space #, width and
 * precision; no floating point. Output goes to the console (user/lib/weft:
 * wf_console_write, the CONSOLE_WRITE system call).
 */
#ifndef WF_LIBC_STDIO_H
#define WF_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

/* As ISO C: format into buf (at most n bytes with the NUL); return the length
 * the whole output would have had. */
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Format to the console; return the number of characters written. Output longer
 * than 512 characters is cut. */
int vprintf(const char *fmt, va_list ap);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write one character / a string and a newline to the console. */
int putchar(int c);
int puts(const char *s);

#endif
