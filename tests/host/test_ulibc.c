/*
 * The user C library's string functions (kernel/lib/string.c, shared with the kernel, compiled here as
 * wfc_*) against the host C library's, on random buffers, lengths, overlaps and
 * strings with bytes above 0x7f (comparisons are of unsigned chars).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

void *wfc_memcpy(void *restrict d, const void *restrict s, size_t n);
void *wfc_memmove(void *d, const void *s, size_t n);
void *wfc_memset(void *d, int c, size_t n);
void *wfc_memchr(const void *s, int c, size_t n);
int wfc_memcmp(const void *a, const void *b, size_t n);
size_t wfc_strlen(const char *s);
size_t wfc_strnlen(const char *s, size_t max);
int wfc_strcmp(const char *a, const char *b);
int wfc_strncmp(const char *a, const char *b, size_t n);
char *wfc_strchr(const char *s, int c);

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void fill(unsigned char *b, size_t n, unsigned alphabet)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(rand() % alphabet + (alphabet < 256 ? 0x7e : 0));
}

Test(ulibc, memory_functions)
{
    srand(1);
    static unsigned char a[300], b[300], x[300], y[300];
    for (int round = 0; round < 20000; round++) {
        fill(a, sizeof(a), 256);
        size_t n = (size_t)rand() % (round % 4 ? 200 : 24), so = (size_t)rand() % 100,
               dof = (size_t)rand() % 100;
        memcpy(x, a, sizeof(a));
        memcpy(y, a, sizeof(a));
        cr_assert_eq(wfc_memmove(x + dof, x + so, n), x + dof);
        memmove(y + dof, y + so, n);
        cr_assert_eq(memcmp(x, y, sizeof(x)), 0, "memmove %zu->%zu n %zu", so, dof, n);
        memset(b, 0, sizeof(b));
        cr_assert_eq(wfc_memcpy(b, a + so, n), b);
        cr_assert_eq(memcmp(b, a + so, n), 0);
        cr_assert_eq(b[n], 0, "memcpy wrote past n");
        int c = rand() % 256;
        size_t at = (size_t)rand() % 64;
        unsigned char after = (unsigned char)~c;
        x[at + n] = after;
        cr_assert_eq(wfc_memset(x + at, c + 256, n), x + at);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(x[at + i], (unsigned char)c);
        cr_assert_eq(x[at + n], after, "memset wrote past n");
        cr_assert_eq(wfc_memchr(a, c, n), memchr(a, c, n));
        memcpy(b, a, sizeof(a));
        if (n && rand() % 2)
            b[rand() % n] ^= (unsigned char)(1 + rand() % 255);
        cr_assert_eq(sign(wfc_memcmp(a, b, n)), sign(memcmp(a, b, n)));
    }
}

Test(ulibc, string_functions)
{
    srand(2);
    static char s[64], t[64];
    for (int round = 0; round < 20000; round++) {
        size_t ls = (size_t)rand() % 20, lt = (size_t)rand() % 20;
        fill((unsigned char *)s, ls, 4); /* few distinct bytes: many equal prefixes */
        fill((unsigned char *)t, lt, 4);
        s[ls] = t[lt] = 0;
        size_t n = (size_t)rand() % 25;
        cr_assert_eq(wfc_strlen(s), strlen(s));
        cr_assert_eq(wfc_strnlen(s, n), strnlen(s, n));
        cr_assert_eq(sign(wfc_strcmp(s, t)), sign(strcmp(s, t)), "'%s' '%s'", s, t);
        cr_assert_eq(sign(wfc_strncmp(s, t, n)), sign(strncmp(s, t, n)));
        int c = rand() % 5 ? 0x7e + rand() % 4 : 0;
        cr_assert_eq(wfc_strchr(s, c), strchr(s, c));
    }
}
