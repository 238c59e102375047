/*
 * The formatter behind the kernel's kprintf and the user library's snprintf:
 * C's vsnprintf for the subset of formats lib/format.h lists. It renders into a
 * bounded buffer and returns the length the complete output would have had.
 *
 * Pure code with no dependency beyond the compiler's freestanding headers (it
 * counts string lengths itself), so the same file is linked into the kernel,
 * into user programs (user/lib/c) and into host tests, where it is checked
 * against the host C library's snprintf (tests/host/test_kprintf.c).
 */
#include "lib/format.h"

#include <stdbool.h>
#include <stdint.h>

/* strnlen, without depending on a C library. */
static size_t bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

struct out {
    char *buf;
    size_t cap; /* bytes available for characters (excluding the NUL) */
    size_t len; /* characters produced so far (may exceed cap) */
};

static void out_c(struct out *o, char c)
{
    if (o->len < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_c(o, c);
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int prec; /* -1 when absent */
};

static void out_str(struct out *o, const struct spec *sp, const char *s)
{
    if (!s)
        s = "(null)";
    size_t n = bounded_len(s, sp->prec >= 0 ? (size_t)sp->prec : SIZE_MAX);
    int pad = sp->width > (int)n ? sp->width - (int)n : 0;
    if (!sp->left)
        out_pad(o, ' ', pad);
    for (size_t i = 0; i < n; i++)
        out_c(o, s[i]);
    if (sp->left)
        out_pad(o, ' ', pad);
}

static void out_num(struct out *o, const struct spec *sp, unsigned long long v, bool neg,
                    unsigned base, bool upper, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int nd = 0;
    while (v) {
        tmp[nd++] = digits[v % base];
        v /= base;
    }
    /* "%#o" raises the precision so that the first digit is a zero. */
    int prec = sp->prec;
    if (sp->alt && base == 8 && prec <= nd)
        prec = nd + 1;
    /* A precision of zero with a value of zero prints no digits, as in C. */
    int zeros = prec > nd ? prec - nd : 0;
    if (nd == 0 && prec != 0)
        zeros = zeros ? zeros : 1;
    char sign = neg ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
    int plen = prefix ? (int)bounded_len(prefix, SIZE_MAX) : 0;
    int body = nd + zeros + (sign ? 1 : 0) + plen;
    int pad = sp->width > body ? sp->width - body : 0;
    if (sp->zero && !sp->left && sp->prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left)
        out_pad(o, ' ', pad);
    if (sign)
        out_c(o, sign);
    for (int i = 0; i < plen; i++)
        out_c(o, prefix[i]);
    out_pad(o, '0', zeros);
    while (nd)
        out_c(o, tmp[--nd]);
    if (sp->left)
        out_pad(o, ' ', pad);
}

int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct out o = {buf, n ? n - 1 : 0, 0};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            out_c(&o, *p);
            continue;
        }
        const char *start = p++;
        struct spec sp = {.prec = -1};
        for (;; p++) {
            if (*p == '-')
                sp.left = true;
            else if (*p == '0')
                sp.zero = true;
            else if (*p == '+')
                sp.plus = true;
            else if (*p == ' ')
                sp.space = true;
            else if (*p == '#')
                sp.alt = true;
            else
                break;
        }
        if (*p == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = true;
                sp.width = -sp.width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                sp.width = sp.width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            sp.prec = 0;
            if (*p == '*') {
                sp.prec = va_arg(ap, int);
                if (sp.prec < 0)
                    sp.prec = -1;
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    sp.prec = sp.prec * 10 + (*p++ - '0');
            }
        }
        int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t */
        if (*p == 'h') {
            lng = -1;
            if (*++p == 'h') {
                lng = -2;
                p++;
            }
        } else if (*p == 'l') {
            lng = 1;
            if (*++p == 'l') {
                lng = 2;
                p++;
            }
        } else if (*p == 'z') {
            lng = 3;
            p++;
        }
        char c = *p;
        if (c == 'd' || c == 'i') {
            long long v = lng == 2               ? va_arg(ap, long long)
                          : lng == 1 || lng == 3 ? va_arg(ap, long)
                                                 : va_arg(ap, int);
            if (lng == -1)
                v = (short)v;
            else if (lng == -2)
                v = (signed char)v;
            unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
            out_num(&o, &sp, u, v < 0, 10, false, NULL);
        } else if (c == 'u' || c == 'x' || c == 'X' || c == 'o') {
            unsigned long long v = lng == 2               ? va_arg(ap, unsigned long long)
                                   : lng == 1 || lng == 3 ? va_arg(ap, unsigned long)
                                                          : va_arg(ap, unsigned int);
            if (lng == -1)
                v = (unsigned short)v;
            else if (lng == -2)
                v = (unsigned char)v;
            unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
            const char *prefix = NULL;
            if (sp.alt && v && base == 16)
                prefix = c == 'X' ? "0X" : "0x";
            out_num(&o, &sp, v, false, base, c == 'X', prefix);
        } else if (c == 'p') {
            struct spec ps = sp;
            if (ps.prec < 0)
                ps.prec = 16;
            out_num(&o, &ps, (uintptr_t)va_arg(ap, void *), false, 16, false, "0x");
        } else if (c == 's') {
            out_str(&o, &sp, va_arg(ap, const char *));
        } else if (c == 'c') {
            char ch = (char)va_arg(ap, int);
            int pad = sp.width > 1 ? sp.width - 1 : 0;
            if (!sp.left)
                out_pad(&o, ' ', pad);
            out_c(&o, ch);
            if (sp.left)
                out_pad(&o, ' ', pad);
        } else if (c == '%') {
            out_c(&o, '%');
        } else {
            /* Unknown or truncated conversion: print it as written. */
            for (const char *q = start; q <= p && *q; q++)
                out_c(&o, *q);
            if (!c)
                break;
        }
    }
    if (n)
        buf[o.len < o.cap ? o.len : o.cap] = 0;
    return (int)o.len;
}

int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = fmt_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int fmt_vprint(void (*write)(const char *s, size_t len), const char *fmt, va_list ap)
{
    char buf[FMT_PRINT_MAX + 1];
    int r = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t len = r < 0 ? 0 : (size_t)r < sizeof(buf) ? (size_t)r : sizeof(buf) - 1;
    write(buf, len);
    return (int)len;
}
