/*
 * Kernel formatted output.
 *
 * Formats: %d %i %u %x %X %p %s %c %%, length modifiers hh h l ll z, flags
 * '-' '0' '+' ' ', a width (number or '*') and a precision for %s and the
 * integer conversions. %p prints 0x followed by 16 hex digits. A NULL %s prints
 * "(null)". Unknown conversions are printed verbatim.
 */
#ifndef WEFT_KPRINTF_H
#define WEFT_KPRINTF_H

#include <stdarg.h>
#include "types.h"

/* Formats into buf (at most n bytes including the NUL; buf may be NULL when n
 * is 0). Returns the length the full output would have had, as C's vsnprintf. */
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __printf(3, 4);

/* Formats to the kernel console. Returns the number of characters written. */
int kprintf(const char *fmt, ...) __printf(1, 2);
int kvprintf(const char *fmt, va_list ap);

/* Writes len bytes to the console (provided by the console driver). */
void console_write(const char *s, size_t len);

#endif
