/* Freestanding string and memory functions (kernel/lib/string.c), shared by the
 * kernel and the user C library. */
#ifndef WEFT_LIB_STRING_H
#define WEFT_LIB_STRING_H

#include <stddef.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memchr(const void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
/* Copies at most n-1 bytes and always NUL-terminates (n > 0). Returns strlen(s). */
size_t strlcpy(char *d, const char *s, size_t n);

#endif
