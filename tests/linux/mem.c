/*
 * Memory system calls: brk grows and shrinks the heap, anonymous mmap gives
 * zeroed memory, munmap takes it away (a later MAP_FIXED_NOREPLACE there
 * succeeds), mprotect makes memory read-only (read still works), MAP_FIXED
 * replaces a mapping, madvise(MADV_DONTNEED) leaves zeros, malloc of large and
 * small blocks. Prints one line per check; exits 0 only when all passed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failed;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok)
        failed = 1;
}

int main(void)
{
    char *b0 = (char *)syscall(SYS_brk, 0);
    char *b1 = (char *)syscall(SYS_brk, b0 + 100000);
    check("brk grows", b1 == b0 + 100000);
    memset(b0, 0x5a, 100000);
    check("brk memory holds data", b0[99999] == 0x5a);
    check("brk shrinks", (char *)syscall(SYS_brk, b0 + 10) == b0 + 10);
    char *b2 = (char *)syscall(SYS_brk, b0 + 100000);
    check("brk regrown reads zero", b2 == b0 + 100000 && b0[50000] == 0);

    size_t len = 5 * 4096;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap anonymous", m != MAP_FAILED);
    int zero = 1;
    for (size_t i = 0; i < len; i++)
        zero &= m[i] == 0;
    check("mmap memory is zero", zero);
    memset(m, 7, len);
    check("munmap middle page", munmap(m + 4096, 4096) == 0);
    void *again = mmap(m + 4096, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    check("the hole can be mapped again", again == m + 4096 && m[4096] == 0 && m[8192] == 7);
    void *clash =
        mmap(m, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    check("MAP_FIXED_NOREPLACE refuses a used range", clash == MAP_FAILED && errno == EEXIST);
    check("mprotect read-only", mprotect(m, 4096, PROT_READ) == 0 && m[0] == 7);
    check("mprotect back to writable", mprotect(m, 4096, PROT_READ | PROT_WRITE) == 0);
    m[0] = 9;
    check("written after mprotect", m[0] == 9);
    void *fixed = mmap(m + 2 * 4096, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("MAP_FIXED replaces a page",
          fixed == m + 2 * 4096 && m[2 * 4096] == 0 && m[3 * 4096] == 7);
    check("madvise DONTNEED", madvise(m + 3 * 4096, 4096, MADV_DONTNEED) == 0 && m[3 * 4096] == 0);
    check("munmap all", munmap(m, len) == 0);
    check("munmap unaligned is EINVAL", munmap(m + 1, 4096) == -1 && errno == EINVAL);
    check("mprotect of unmapped memory is ENOMEM",
          mprotect(m, 4096, PROT_READ) == -1 && errno == ENOMEM);

    char *big = malloc(3 << 20);
    check("malloc 3 MiB", big != NULL);
    memset(big, 1, 3 << 20);
    free(big);
    unsigned long sum = 0;
    for (int i = 0; i < 200; i++) {
        char *s = malloc(100 + i);
        memset(s, i, 100 + i);
        sum += (unsigned char)s[50];
        free(s);
    }
    check("small mallocs", sum == 199 * 200 / 2);
    int churn = 1;
    for (int i = 0; i < 400 && churn; i++) {
        char *c = malloc(1 << 20); /* musl: a mapping of its own each time */
        churn = c != NULL;
        if (c) {
            c[0] = c[(1 << 20) - 1] = (char)i;
            free(c);
        }
    }
    check("400 times malloc and free of 1 MiB", churn);
    size_t huge = 64ul << 20;
    unsigned char *h = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int hok = h != MAP_FAILED;
    if (hok) {
        h[12345] = 1;
        h[huge - 1] = 2;
        hok = madvise(h, huge, MADV_DONTNEED) == 0 && h[12345] == 0 && h[huge - 1] == 0;
        munmap(h, huge);
    }
    check("64 MiB mapped, two pages touched, madvise DONTNEED of all", hok);
    printf("mem: %s\n", failed ? "FAILED" : "all passed");
    return failed;
}
