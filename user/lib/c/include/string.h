/*
 * The user C library's string and memory functions (kernel/lib/string.c, shared with the kernel).
 * Same contracts as ISO C; nothing here allocates or fails.
 */
#ifndef WF_LIBC_STRING_H
#define WF_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memchr(const void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
