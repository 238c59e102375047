/*
 * mtest: a native program linked with musl through Weft's port (decision 096).
 * The in-guest test libc/musl_program (user/test/t_libc.c) starts it with a pool
 * of its own and expects exit status 0.
 *
 * Each check compares what the C library computes with a value worked out
 * independently (by hand, or by a second route through other functions), so a
 * broken port (memory, TLS, stdio, start-up) shows as a failed check or a fault,
 * never as a pass. Output: one line per failed check and a summary line, all
 * prefixed "mtest:" so that they cannot be mistaken for the suite's TAP lines.
 * Exit status: the number of failed checks.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "wf/libc.h"
#include "wf/syscall.h"

static int checks, failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failed++;                                                                              \
            printf("mtest: FAIL line %d: %s: ", __LINE__, #cond);                                  \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static _Thread_local int tls_counter = 42;
static _Thread_local char tls_zero[64];

static void check_format(void)
{
    char buf[128];
    int n = snprintf(buf, sizeof(buf), "%d|%5.2f|%-6s|%#x|%e|%" PRIu64, -17, 3.14159, "ab", 255,
                     12345.678, UINT64_C(18446744073709551615));
    CHECK(strcmp(buf, "-17| 3.14|ab    |0xff|1.234568e+04|18446744073709551615") == 0, "got '%s'",
          buf);
    CHECK(n == (int)strlen(buf), "snprintf returned %d for %zu chars", n, strlen(buf));
    CHECK(snprintf(buf, 4, "%s", "truncated") == 9 && strcmp(buf, "tru") == 0, "got '%s'", buf);
    CHECK(strcmp((snprintf(buf, sizeof(buf), "%g", 0.1 + 0.2), buf), "0.3") == 0, "got '%s'", buf);
    double d = strtod("2.5e3", NULL);
    CHECK(d == 2500.0, "strtod gave %f", d);
}

static void check_strings(void)
{
    errno = 0;
    long v = strtol("  -0x7fffffff", NULL, 16);
    CHECK(v == -0x7fffffffL && errno == 0, "strtol gave %ld errno %d", v, errno);
    errno = 0;
    long big = strtol("99999999999999999999", NULL, 10);
    CHECK(big == LONG_MAX && errno == ERANGE, "overflow gave %ld errno %d", big, errno);
    char *end;
    unsigned long u = strtoul("1234xyz", &end, 10);
    CHECK(u == 1234 && strcmp(end, "xyz") == 0, "strtoul gave %lu, rest '%s'", u, end);

    char s[32] = "Hello, Weft";
    CHECK(strlen(s) == 11 && strchr(s, 'W') == s + 7 && strstr(s, "eft") == s + 8, "string search");
    for (char *p = s; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    CHECK(strcmp(s, "HELLO, WEFT") == 0, "toupper gave '%s'", s);
    CHECK(isdigit('7') && !isalpha('7') && isspace('\t'), "ctype");
    CHECK(memcmp("abc", "abd", 3) < 0 && strncmp("abc", "abd", 2) == 0, "compare");
    CHECK(strcmp(strerror(ENOMEM), "Out of memory") == 0, "strerror gave '%s'", strerror(ENOMEM));
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void check_sort(void)
{
    enum { N = 1000 };
    static int a[N];
    unsigned x = 12345;
    long sum = 0;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        a[i] = (int)(x >> 8) % 10000;
        sum += a[i];
    }
    qsort(a, N, sizeof(a[0]), cmp_int);
    long after = 0;
    int sorted = 1;
    for (int i = 0; i < N; i++) {
        after += a[i];
        if (i && a[i - 1] > a[i])
            sorted = 0;
    }
    CHECK(sorted && after == sum, "qsort: sorted %d, sum %ld vs %ld", sorted, after, sum);
    int key = a[N / 2];
    int *hit = bsearch(&key, a, N, sizeof(a[0]), cmp_int);
    CHECK(hit && *hit == key, "bsearch");
}

/* Many allocations of many sizes, each filled with its own pattern and checked
 * after all are made (overlap shows), freed in a scrambled order; then a large
 * one, which musl maps on its own and unmaps at free. */
static void check_malloc(void)
{
    enum { N = 400 };
    static unsigned char *p[N];
    static size_t len[N];
    unsigned before = wf_libc_mappings();
    for (int i = 0; i < N; i++) {
        len[i] = 1 + (size_t)((i * 7919) % 3000);
        p[i] = malloc(len[i]);
        CHECK(p[i] != NULL, "malloc(%zu) failed", len[i]);
        if (!p[i])
            return;
        memset(p[i], i & 0xff, len[i]);
    }
    int good = 1;
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < len[i]; j++)
            if (p[i][j] != (i & 0xff))
                good = 0;
    CHECK(good, "allocations overlap");
    for (int i = 0; i < N; i++)
        free(p[(i * 37) % N]);

    /* Through a volatile pointer: the compiler may drop a malloc and free pair
     * whose memory nothing else can see. */
    size_t big = 3u << 20;
    static unsigned char *volatile sink;
    unsigned char *b = sink = malloc(big);
    CHECK(b != NULL, "malloc(3 MiB) failed");
    if (b) {
        b[0] = 1;
        b[big - 1] = 2;
        CHECK(b[0] + b[big - 1] == 3, "big block");
        CHECK(wf_libc_mappings() > before, "a 3 MiB block is a mapping of its own");
        unsigned with = wf_libc_mappings();
        free(b);
        CHECK(wf_libc_mappings() == with - 1, "free of a 3 MiB block unmaps it (%u -> %u)", with,
              wf_libc_mappings());
    }
    void *z = calloc(1000, 8);
    int zero = 1;
    for (int i = 0; z && i < 8000; i++)
        if (((unsigned char *)z)[i])
            zero = 0;
    CHECK(z && zero, "calloc gives zeroed memory");
    void *r = realloc(z, 100000);
    CHECK(r != NULL, "realloc");
    free(r);
}

static void check_mmap(void)
{
    unsigned before = wf_libc_mappings();
    size_t len = 16 * 4096;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap failed, errno %d", errno);
    if (m == MAP_FAILED)
        return;
    int zero = 1;
    for (size_t i = 0; i < len; i++)
        zero &= m[i] == 0;
    CHECK(zero, "anonymous memory is zero");
    memset(m, 0x5a, len);
    /* A hole in the middle: two ranges remain, each still holding its bytes. */
    CHECK(munmap(m + 4 * 4096, 4 * 4096) == 0, "munmap of the middle");
    CHECK(wf_libc_mappings() == before + 2, "split into two: %u", wf_libc_mappings() - before);
    CHECK(m[0] == 0x5a && m[len - 1] == 0x5a, "the rest keeps its contents");
    CHECK(mprotect(m, 4096, PROT_READ) == 0, "mprotect");
    CHECK(mprotect(m + 4 * 4096, 4096, PROT_READ) == -1 && errno == ENOMEM,
          "mprotect of the hole: errno %d", errno);
    CHECK(munmap(m, len) == 0 && wf_libc_mappings() == before, "all gone");
    errno = 0;
    CHECK(mmap(NULL, len, PROT_READ, MAP_SHARED, 3, 0) == MAP_FAILED && errno == ENODEV,
          "file mapping refused: errno %d", errno);
    CHECK(mmap(NULL, (size_t)1 << 46, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
                  MAP_FAILED &&
              errno == ENOMEM,
          "64 TiB refused: errno %d", errno);
}

static jmp_buf jb;

static void jump_back(int v)
{
    longjmp(jb, v);
}

static void check_control(void)
{
    volatile int visits = 0;
    int v = setjmp(jb);
    visits++;
    if (v == 0)
        jump_back(7);
    CHECK(v == 7 && visits == 2, "setjmp/longjmp: v %d visits %d", v, visits);

    CHECK(tls_counter == 42, "TLS initial value %d", tls_counter);
    tls_counter++;
    int zero = 1;
    for (unsigned i = 0; i < sizeof(tls_zero); i++)
        zero &= tls_zero[i] == 0;
    CHECK(tls_counter == 43 && zero, "TLS");
    errno = 0;
    CHECK(write(5, "x", 1) == -1 && errno == EBADF, "write to fd 5: errno %d", errno);
    assert(checks > 0);
}

/* The clocks: the kernel's CLOCK through clock_gettime, compared with a second
 * time source (wf_cycles: the TSC on x86-64) and with the clock's own ordering; CPU-time clocks are
 * refused. */
static void check_clock(void)
{
    struct timespec a, b, r;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "clock_gettime: errno %d", errno);
    uint64_t t0 = wf_cycles();
    for (volatile unsigned i = 0; i < 200000; i++)
        ;
    CHECK(clock_gettime(CLOCK_BOOTTIME, &b) == 0, "CLOCK_BOOTTIME: errno %d", errno);
    uint64_t t1 = wf_cycles();
    int64_t ns = (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec);
    CHECK(ns > 0 && a.tv_nsec < 1000000000 && b.tv_nsec < 1000000000,
          "the clock did not advance over a loop: %lld ns", (long long)ns);
    CHECK(t1 > t0, "cycle counter");
    CHECK(time(NULL) == b.tv_sec || time(NULL) == b.tv_sec + 1, "time() %lld vs the clock %lld",
          (long long)time(NULL), (long long)b.tv_sec);
    CHECK(clock_getres(CLOCK_MONOTONIC, &r) == 0 && r.tv_sec == 0 && r.tv_nsec == 1,
          "clock_getres");
    errno = 0;
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a) == -1 && errno == EINVAL,
          "CPU-time clock: errno %d", errno);
    struct timespec prev = b;
    unsigned backwards = 0;
    for (unsigned i = 0; i < 1000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &a);
        backwards +=
            a.tv_sec < prev.tv_sec || (a.tv_sec == prev.tv_sec && a.tv_nsec < prev.tv_nsec);
        prev = a;
    }
    CHECK(backwards == 0, "the clock went backwards %u times in 1000 reads", backwards);
}

int main(int argc, char **argv, char **envp)
{
    CHECK(argc == 1 && strcmp(argv[0], "mtest") == 0 && envp[0] == NULL, "argv[0] '%s'",
          argc ? argv[0] : "");
    check_format();
    check_strings();
    check_sort();
    check_malloc();
    check_mmap();
    check_control();
    check_clock();
    printf("mtest: %d checks, %d failed\n", checks, failed);
    return failed;
}
