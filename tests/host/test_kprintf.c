/*
 * kvsnprintf against the host C library's snprintf: fixed cases for every
 * documented format, then many random format/value combinations. snprintf is
 * the reference model; the outputs and the returned lengths must be identical.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprintf.h"

#define CHECK(...)                                                                                 \
    do {                                                                                           \
        char a[256], b[256];                                                                       \
        int ra = ksnprintf(a, sizeof(a), __VA_ARGS__);                                             \
        int rb = snprintf(b, sizeof(b), __VA_ARGS__);                                              \
        cr_assert_str_eq(a, b, "format %s", #__VA_ARGS__);                                         \
        cr_assert_eq(ra, rb, "length for %s: %d vs %d", #__VA_ARGS__, ra, rb);                     \
    } while (0)

Test(kprintf, integers)
{
    CHECK("%d %d %d", 0, -1, 2147483647);
    CHECK("%d", (int)-2147483647 - 1);
    CHECK("%i|%5d|%-5d|%05d|%+d|% d", 42, 42, 42, -42, 7, 7);
    CHECK("%u %u", 0u, 4294967295u);
    CHECK("%lu %ld %lu", 0ul, -9223372036854775807l - 1, 18446744073709551615ul);
    CHECK("%llu %lld %llx %llX", 18446744073709551615ull, -5ll, 0xdeadbeefcafebabeull, 0xabcull);
    CHECK("%x %X %08x %-8x| %#x %#X %#x", 0xbeefu, 0xbeefu, 0x1fu, 0x1fu, 255u, 255u, 0u);
    CHECK("%zu %zx", (size_t)123456789, (size_t)0xfff);
    CHECK("%hhu %hd %hx", 300, 70000, 0x12345);
    CHECK("%.3d %.0d %5.3x %o", 7, 0, 0xa, 8);
    CHECK("%*d %-*d %.*d", 6, 12, 6, 12, 4, 3);
}

Test(kprintf, strings_chars_pointers)
{
    CHECK("%s|%10s|%-10s|%.2s|%c|%3c|%-3c|%%", "abc", "right", "left", "trunc", 'x', 'y', 'z');
    CHECK("[%s]", "");
    char a[64];
    ksnprintf(a, sizeof(a), "%p", (void *)0xffffffff80001234ull);
    cr_assert_str_eq(a, "0xffffffff80001234");
    ksnprintf(a, sizeof(a), "%p", (void *)0x10);
    cr_assert_str_eq(a, "0x0000000000000010");
    ksnprintf(a, sizeof(a), "%s", (char *)NULL);
    cr_assert_str_eq(a, "(null)");
}

Test(kprintf, truncation_and_length)
{
    char a[8];
    memset(a, 'Z', sizeof(a));
    int r = ksnprintf(a, 5, "hello world %d", 12);
    cr_assert_eq(r, 14);
    cr_assert_str_eq(a, "hell");
    cr_assert_eq(a[5], 'Z', "wrote past the bound");
    cr_assert_eq(ksnprintf(NULL, 0, "%d", 12345), 5);
    r = ksnprintf(a, 1, "abc");
    cr_assert_eq(r, 3);
    cr_assert_eq(a[0], 0);
}

Test(kprintf, unknown_conversion_printed_verbatim)
{
    char a[32];
    ksnprintf(a, sizeof(a), "a%qb");
    cr_assert_str_eq(a, "a%qb");
    ksnprintf(a, sizeof(a), "end%");
    cr_assert_str_eq(a, "end%");
}

Test(kprintf, random_against_libc)
{
    static const char *const convs[] = {"d",   "i",   "u",   "x",  "X",  "ld", "lu", "lx",
                                        "lld", "llu", "llx", "zu", "zx", "o",  "hd", "hhx"};
    static const char *const flags[] = {"", "-", "0", "+", " ", "#", "-0", "0+"};
    srand(12345);
    for (int i = 0; i < 20000; i++) {
        const char *conv = convs[rand() % 16];
        const char *fl = flags[rand() % 8];
        if (strchr(fl, '#') && !strpbrk(conv, "xXo"))
            fl = "";
        if ((strchr(fl, '+') || strchr(fl, ' ')) && !strpbrk(conv, "di"))
            fl = "-";
        char fmt[32];
        int width = rand() % 24, prec = rand() % 4 == 0 ? rand() % 20 : -1;
        if (prec >= 0)
            snprintf(fmt, sizeof(fmt), "<%%%s%d.%d%s>", fl, width, prec, conv);
        else
            snprintf(fmt, sizeof(fmt), "<%%%s%d%s>", fl, width, conv);
        unsigned long long v =
            ((unsigned long long)rand() << 33) ^ ((unsigned long long)rand() << 2) ^ rand();
        v >>= rand() % 64;
        if (rand() % 8 == 0)
            v = 0;
        char a[128], b[128];
        int ra, rb;
        if (conv[0] == 'l' && conv[1] == 'l') {
            ra = ksnprintf(a, sizeof(a), fmt, v);
            rb = snprintf(b, sizeof(b), fmt, v);
        } else if (conv[0] == 'l' || conv[0] == 'z') {
            ra = ksnprintf(a, sizeof(a), fmt, (unsigned long)v);
            rb = snprintf(b, sizeof(b), fmt, (unsigned long)v);
        } else {
            ra = ksnprintf(a, sizeof(a), fmt, (unsigned)v);
            rb = snprintf(b, sizeof(b), fmt, (unsigned)v);
        }
        cr_assert_str_eq(a, b, "format %s value %llx", fmt, v);
        cr_assert_eq(ra, rb);
    }
}
