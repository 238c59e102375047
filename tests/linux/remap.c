/*
 * mremap and msync, and copies between the kernel (lx under Weft) and memory
 * that moves: mremap grows in place where the range after is free, refuses to
 * grow into a used range without MREMAP_MAYMOVE (ENOMEM) and moves with it,
 * shrinks, moves to MREMAP_FIXED, leaves zeros behind with MREMAP_DONTUNMAP,
 * and answers bad arguments as Linux does; msync's flags and ranges; musl's
 * realloc of large blocks (mremap); read and write through pipes into memory
 * that was moved, unmapped and mapped again, across mappings and 2 MiB
 * boundaries, into more buffers than lx keeps windows for, and into a parent's
 * memory after fork (the child must not see it). Prints one line per check;
 * exits 0 only when all passed. `remap pool` is lx's alone (below).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define P 4096ul

static int failed;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok)
        failed = 1;
}

static void *map(void *at, size_t len, int prot, int extra)
{
    return mmap(at, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
}

static int all(const unsigned char *p, size_t n, unsigned char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

/* -errno of a failed mremap, or 0 when it returned want. */
static long remap_err(void *old, size_t ol, size_t nl, int flags, void *to, void *want)
{
    void *r = mremap(old, ol, nl, flags, to);
    return r == MAP_FAILED ? -errno : r == want ? 0 : 1;
}

/* n bytes from src through a pipe into dst: 0, or -errno of the first call
 * that failed. */
static long through_pipe(const void *src, void *dst, size_t n)
{
    int fd[2];
    if (pipe(fd))
        return -errno;
    long r = 0;
    if (write(fd[1], src, n) != (ssize_t)n)
        r = -errno;
    else if (read(fd[0], dst, n) != (ssize_t)n)
        r = -errno;
    close(fd[0]);
    close(fd[1]);
    return r;
}

static void test_mremap(void)
{
    /* four pages with twelve free after them */
    unsigned char *m = map(NULL, 16 * P, PROT_READ | PROT_WRITE, 0);
    memset(m, 1, 4 * P);
    munmap(m + 2 * P, 14 * P);
    check("mremap grows in place into a free range",
          mremap(m, 2 * P, 4 * P, 0) == m && all(m, 2 * P, 1) && all(m + 2 * P, 2 * P, 0));
    memset(m + 2 * P, 2, 2 * P);
    void *block = map(m + 4 * P, P, PROT_READ, MAP_FIXED_NOREPLACE);
    check("a page after it is mapped", block == m + 4 * P);
    check("mremap without MREMAP_MAYMOVE into a used range: ENOMEM",
          remap_err(m, 4 * P, 6 * P, 0, NULL, NULL) == -ENOMEM && all(m, 2 * P, 1));
    unsigned char *n = mremap(m, 4 * P, 6 * P, MREMAP_MAYMOVE);
    check("MREMAP_MAYMOVE moves it", n != MAP_FAILED && n != m);
    check("moved memory holds its data and grows with zeros",
          all(n, 2 * P, 1) && all(n + 2 * P, 2 * P, 2) && all(n + 4 * P, 2 * P, 0));
    check("the old range is unmapped", msync(m, P, MS_ASYNC) == -1 && errno == ENOMEM);
    check("the page after it is kept", msync(block, P, MS_SYNC) == 0);
    munmap(block, P);
    check("mremap shrinks", mremap(n, 6 * P, 2 * P, 0) == n && all(n, 2 * P, 1));
    check("the tail is unmapped", msync(n + 2 * P, P, MS_SYNC) == -1 && errno == ENOMEM);

    unsigned char *t = map(NULL, 3 * P, PROT_READ | PROT_WRITE, 0);
    memset(t, 9, 3 * P);
    check("MREMAP_FIXED moves onto a mapping",
          mremap(n, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, t) == t && all(t, 2 * P, 1) &&
              all(t + 2 * P, P, 9));
    check("and the source is gone", msync(n, 2 * P, MS_SYNC) == -1 && errno == ENOMEM);
    check("MREMAP_FIXED without MREMAP_MAYMOVE: EINVAL",
          remap_err(t, P, P, MREMAP_FIXED, n, NULL) == -EINVAL);
    check("unknown flags: EINVAL", remap_err(t, P, P, 8, NULL, NULL) == -EINVAL);
    check("a flag above bit 31: EINVAL",
          syscall(SYS_mremap, t, P, P, 1ul << 32, 0) == -1 && errno == EINVAL);
    check("unaligned address: EINVAL", remap_err(t + 1, P, P, 0, NULL, NULL) == -EINVAL);
    check("new size 0: EINVAL", remap_err(t, P, 0, 0, NULL, NULL) == -EINVAL);
    check("unaligned MREMAP_FIXED target: EINVAL",
          remap_err(t, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, n + 1, NULL) == -EINVAL);
    check("overlapping MREMAP_FIXED: EINVAL",
          remap_err(t, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, t + P, NULL) == -EINVAL);
    check("old size 0 of private memory: EINVAL",
          remap_err(t, 0, P, MREMAP_MAYMOVE, NULL, NULL) == -EINVAL);
    check("growing an unmapped address: EFAULT",
          remap_err(n, P, 2 * P, MREMAP_MAYMOVE, NULL, NULL) == -EFAULT);
    check("shrinking an unmapped range: EFAULT", remap_err(n, 2 * P, P, 0, NULL, NULL) == -EFAULT);
    check("MREMAP_FIXED from an unmapped range: EFAULT",
          remap_err(n, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, t, NULL) == -EFAULT && all(t, P, 1));
    check("mprotect splits the mapping", mprotect(t + 2 * P, P, PROT_READ) == 0);
    check("growing across two mappings: EFAULT",
          remap_err(t, 3 * P, 4 * P, MREMAP_MAYMOVE, NULL, NULL) == -EFAULT);
    check("mremap of a read-only mapping",
          mremap(t + 2 * P, P, 2 * P, MREMAP_MAYMOVE) != MAP_FAILED);

    unsigned char *d = map(NULL, P, PROT_READ | PROT_WRITE, 0);
    memset(d, 5, P);
    unsigned char *e = mremap(d, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
    check("MREMAP_DONTUNMAP moves the data", e != MAP_FAILED && e != d && all(e, P, 5));
    check("and leaves zeros behind", e != MAP_FAILED && all(d, P, 0));
    check("MREMAP_DONTUNMAP needs the same size: EINVAL",
          remap_err(d, P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL, NULL) == -EINVAL);
}

static void test_msync(void)
{
    unsigned char *m = map(NULL, 3 * P, PROT_READ | PROT_WRITE, 0);
    check("msync MS_SYNC", msync(m, 3 * P, MS_SYNC) == 0);
    check("msync MS_ASYNC | MS_INVALIDATE", msync(m, P, MS_ASYNC | MS_INVALIDATE) == 0);
    check("msync flags 0", msync(m, P, 0) == 0);
    check("msync MS_SYNC | MS_ASYNC: EINVAL",
          msync(m, P, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL);
    check("msync unknown flags: EINVAL", msync(m, P, 8) == -1 && errno == EINVAL);
    check("msync unaligned: EINVAL", msync(m + 1, P, MS_SYNC) == -1 && errno == EINVAL);
    check("msync of a length rounded up to a page", msync(m, 1, MS_SYNC) == 0);
    check("mprotect PROT_NONE", mprotect(m + P, P, PROT_NONE) == 0);
    check("msync over PROT_NONE memory", msync(m, 3 * P, MS_SYNC) == 0);
    munmap(m + 2 * P, P);
    check("msync past the end: ENOMEM", msync(m, 3 * P, MS_ASYNC) == -1 && errno == ENOMEM);
    check("msync of nothing mapped: ENOMEM",
          msync(m + 2 * P, P, MS_INVALIDATE) == -1 && errno == ENOMEM);
    check("msync of length 0 anywhere", msync(m + 2 * P, 0, MS_SYNC) == 0);
    munmap(m, 2 * P);
}

static void test_realloc(void)
{
    size_t n = 200000;
    unsigned char *b = malloc(n);
    int ok = b != NULL;
    for (size_t i = 0; ok && i < n; i++)
        b[i] = (unsigned char)(i * 7);
    static const size_t sizes[] = {1 << 20, 3 << 20, 2 << 20,
                                   300000}; /* lx has 16 MiB in check-lx */
    for (unsigned k = 0; ok && k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        unsigned char *c = realloc(b, sizes[k]);
        if (!c) {
            ok = 0;
            break;
        }
        b = c;
        for (size_t i = 0; i < n; i++)
            ok &= b[i] == (unsigned char)(i * 7);
        memset(b + n, 0x33, sizes[k] - n);
    }
    check("realloc of a large block keeps its data as it grows and shrinks", ok);
    free(b);
}

static void test_copies(void)
{
    /* a buffer across two mappings and a 2 MiB boundary of the second */
    unsigned char *a = map(NULL, 4 << 20, PROT_READ | PROT_WRITE, 0);
    unsigned char *hole = a + (2 << 20) - 2048;
    memset(hole, 0x41, 4096);
    unsigned char *b = map(NULL, 4 << 20, PROT_READ | PROT_WRITE, 0);
    unsigned char *into = b + (2 << 20) - 100;
    check("a copy across a 2 MiB boundary",
          through_pipe(hole, into, 4096) == 0 && all(into, 4096, 0x41));
    unsigned char *two = map(NULL, 4 * P, PROT_READ | PROT_WRITE, 0);
    munmap(two + 2 * P, 2 * P);
    unsigned char *next = map(two + 2 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE);
    memset(two, 0x42, 4 * P);
    check("a copy across two mappings",
          next == two + 2 * P && through_pipe(two + P, into, 2 * P) == 0 && all(into, 2 * P, 0x42));
    munmap(two, 4 * P);

    /* memory copied through, unmapped, mapped again, moved */
    check("a read into unmapped memory: EFAULT",
          through_pipe(hole, two, 4096) == -EFAULT && munmap(a, 4 << 20) == 0);
    unsigned char *again = map(a, 4 << 20, PROT_READ | PROT_WRITE, MAP_FIXED_NOREPLACE);
    check("mapped again: the new memory", again == a && all(hole, 4096, 0));
    memset(hole, 0x43, 100);
    check("written through the new memory",
          through_pipe(hole, into, 100) == 0 && all(into, 100, 0x43));
    /* the page after b is used (mapped here if it was not) */
    unsigned char *after = map(b + (4 << 20), P, PROT_READ, MAP_FIXED_NOREPLACE);
    unsigned char *moved = mremap(b, 4 << 20, 8 << 20, MREMAP_MAYMOVE);
    if (after != MAP_FAILED)
        munmap(after, P);
    check("a copy into moved memory",
          moved != MAP_FAILED && through_pipe(hole, moved + (6 << 20), 100) == 0 &&
              all(moved + (6 << 20), 100, 0x43) && all(moved + (2 << 20) - 100, 100, 0x43));
    check("the old address faults", through_pipe(hole, b, 1) == -EFAULT);
    munmap(moved, 8 << 20);

    /* more buffers in turn than lx keeps windows for */
    unsigned char *many = map(NULL, 24 << 20, PROT_READ | PROT_WRITE, 0);
    int ok = many != MAP_FAILED;
    for (int round = 0; ok && round < 3; round++)
        for (int k = 0; ok && k < 12; k++) {
            unsigned char c = (unsigned char)(round * 16 + k);
            ok = through_pipe(&c, many + ((size_t)k << 21) + 7, 1) == 0 &&
                 many[((size_t)k << 21) + 7] == c;
        }
    check("copies into 12 buffers 2 MiB apart, three times", ok);
    munmap(many, 24 << 20);

    /* protection as copy_to_user and copy_from_user see it */
    unsigned char *ro = map(NULL, P, PROT_READ, 0);
    unsigned char *none = map(NULL, P, PROT_NONE, 0);
    check("a read into read-only memory: EFAULT", through_pipe(hole, ro, 1) == -EFAULT);
    unsigned char sink[1] = {1};
    check("a write from PROT_NONE memory: EFAULT", through_pipe(none, sink, 1) == -EFAULT);
    check("a write from read-only memory", through_pipe(ro, sink, 1) == 0 && sink[0] == 0);
    munmap(ro, P);
    munmap(none, P);
    munmap(a, 4 << 20);
}

/* A read into the parent's memory after fork is the parent's alone, and the
 * child's into its own is the child's. */
static void test_fork(void)
{
    static unsigned char buf[8192];
    unsigned char a[64];
    memset(a, 'A', sizeof(a));
    memset(buf, 'A', sizeof(buf));
    through_pipe(a, buf, sizeof(a)); /* lx has copied into buf before the fork */
    int go[2], data[2], back[2];
    if (pipe(go) || pipe(data) || pipe(back)) {
        check("pipes", 0);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(go[0], &c, 1); /* the parent has read into its buf */
        char ok = all(buf, sizeof(buf), 'A') ? 'y' : 'n';
        unsigned char mine[16];
        memset(mine, 'C', sizeof(mine));
        write(back[1], mine, sizeof(mine));
        read(data[0], buf, 16); /* into the child's buf */
        write(back[1], &ok, 1);
        _exit(buf[0] == 'D' ? 0 : 1);
    }
    unsigned char b[16];
    memset(b, 'B', sizeof(b));
    write(data[1], b, sizeof(b));
    read(data[0], buf, sizeof(b)); /* the parent's buf, after fork */
    check("a read into the parent's memory after fork", all(buf, 16, 'B'));
    write(go[1], "x", 1);
    unsigned char got[16];
    read(back[0], got, sizeof(got));
    check("the child's write reaches the parent", all(got, sizeof(got), 'C'));
    memset(b, 'D', sizeof(b));
    write(data[1], b, sizeof(b));
    char ok = 0;
    read(back[0], &ok, 1);
    check("the child does not see it", ok == 'y');
    int status = 0;
    waitpid(pid, &status, 0);
    check("the child's read is its own", WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                                             all(buf, 16, 'B') &&
                                             all(buf + 16, sizeof(buf) - 16, 'A'));
}

/* `remap pool` (under lx alone): reads into fresh pages until the process's
 * memory runs out. lx's copy into the page then faults in lx, which must
 * answer EFAULT and go on serving the process. */
static int pool(void)
{
    const size_t size = 64ul << 20, step = 4096; /* a page: clusters may be one page */
    unsigned char *m = map(NULL, size, PROT_READ | PROT_WRITE, 0);
    int fd[2];
    if (m == MAP_FAILED || pipe(fd))
        return 1;
    for (size_t at = 0; at < size; at += step) {
        unsigned char c = 0x5a;
        if (write(fd[1], &c, 1) != 1)
            return 1;
        if (read(fd[0], m + at, 1) == 1)
            continue;
        check("a read into memory the pool cannot hold: EFAULT", errno == EFAULT);
        /* The process itself may not touch m any more (its page tables
         * need memory too): lx reads into a page it filled before and
         * writes it back. The byte of the failed read may still be there. */
        unsigned char c2 = 0x6b, back[2] = {0, 0};
        long k = write(fd[1], &c2, 1) == 1 ? read(fd[0], m + step, 2) : -1;
        int ok = k >= 1 && write(fd[1], m + step, (size_t)k) == k && read(fd[0], back, 2) == k &&
                 (k == 2 ? back[0] == 0x5a && back[1] == 0x6b : back[0] == 0x6b);
        check("and a copy into memory that exists works", at > step && ok);
        return failed;
    }
    printf("FAIL: every page was filled: the pool did not limit the process\n");
    return 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "pool"))
        return pool();
    test_mremap();
    test_msync();
    test_realloc();
    test_copies();
    test_fork();
    return failed;
}
