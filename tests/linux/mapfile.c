/*
 * File mappings of a written file (/tmp): a MAP_SHARED store is seen by read
 * and pread and a write() is seen through the mapping; a forked child shares
 * the mapping both ways; msync(MS_SYNC); a MAP_PRIVATE mapping's stores never
 * reach the file; a touch past the file's end (at mmap, and after a truncate)
 * is SIGBUS BUS_ADRERR with the address, with a handler and without one,
 * and EFAULT to a system call given an address there; the file grown again
 * (ftruncate) shows its pages there;
 * PROT_WRITE of MAP_SHARED on an O_RDONLY descriptor and any mapping of an
 * O_WRONLY one are EACCES; the mapping outlives close, and after munmap the
 * file read again holds what was stored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PATH  "/tmp/mapfile.dat"
#define FSIZE 5000 /* two pages, the second partly */

static sigjmp_buf out;
static volatile int s_sig, s_code;
static volatile uintptr_t s_addr;

static void handler(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    s_sig = sig;
    s_code = si->si_code;
    s_addr = (uintptr_t)si->si_addr;
    siglongjmp(out, 1);
}

/* Reads (or writes) *at with the SIGBUS handler: prints what came. */
static void touch(const char *what, volatile char *at, const volatile char *base, int write)
{
    s_sig = 0;
    if (!sigsetjmp(out, 1)) {
        if (write)
            *at = 'w';
        else
            (void)*at;
        printf("%s: no signal\n", what);
        return;
    }
    printf("%s: signal %d code %d at base+%ld\n", what, s_sig, s_code,
           (long)(s_addr - (uintptr_t)base));
}

static char pread1(int fd, off_t off)
{
    char c = '?';
    if (pread(fd, &c, 1, off) != 1)
        return '!';
    return c;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    mkdir("/tmp", 01777); /* the Linux guest's root has none */
    int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("open: %s\n", strerror(errno));
        return 1;
    }
    static char buf[FSIZE];
    for (int i = 0; i < FSIZE; i++)
        buf[i] = (char)('a' + i % 26);
    if (write(fd, buf, FSIZE) != FSIZE)
        printf("write: FAIL\n");

    /* Shared: three pages over a file of two. */
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        printf("mmap shared: %s\n", strerror(errno));
        return 1;
    }
    printf("mapped: %c%c%c ... %c\n", m[0], m[1], m[2], m[FSIZE - 1]);
    printf("past the end in the last page: %d\n", m[FSIZE + 10]);
    m[10] = 'X';
    printf("store seen by pread: %c\n", pread1(fd, 10));
    char r[4] = {0};
    lseek(fd, 9, SEEK_SET);
    printf("read: %zd %.3s\n", read(fd, r, 3), r);
    pwrite(fd, "Y", 1, 20);
    printf("pwrite seen through the mapping: %c\n", m[20]);

    /* A forked child shares it both ways. */
    m[40] = 'P';
    pid_t pid = fork();
    if (pid == 0) {
        printf("child sees the parent's store: %c\n", m[40]);
        m[30] = 'C';
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("parent sees the child's store: %c, read: %c\n", m[30], pread1(fd, 30));
    printf("msync MS_SYNC: %d\n", msync(m, 3 * 4096, MS_SYNC));
    printf("msync MS_ASYNC: %d\n", msync(m, 4096, MS_ASYNC));

    /* Private: a copy-on-write view; its stores stay its own. */
    char *pv = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (pv == MAP_FAILED) {
        printf("mmap private: %s\n", strerror(errno));
        return 1;
    }
    printf("private sees the file: %c %c\n", pv[10], pv[30]);
    pv[0] = 'Z';
    printf("private store: mapping %c, file %c, shared mapping %c\n", pv[0], pread1(fd, 0), m[0]);

    /* SIGBUS past the file's end, with a handler... */
    struct sigaction sa = {0};
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    touch("shared read past the end", m + 2 * 4096 + 100, m, 0);
    touch("shared write past the end", m + 2 * 4096 + 8, m, 1);
    char *pp = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (pp != MAP_FAILED) {
        touch("private read past the end", pp + 2 * 4096 + 4, pp, 0);
        munmap(pp, 3 * 4096);
    }
    /* A system call given an address there: EFAULT. */
    int pfd[2] = {-1, -1};
    if (pipe(pfd) == 0) {
        errno = 0;
        ssize_t n = write(pfd[1], m + 2 * 4096 + 16, 8);
        printf("write from past the end: %zd %s\n", n, n < 0 ? strerror(errno) : "");
        n = pread(fd, m + 2 * 4096, 8, 0);
        printf("pread into past the end: %zd %s\n", n, n < 0 ? strerror(errno) : "");
        n = write(pfd[1], m + 4096, 8); /* lx: a window on the object now */
        printf("write from the second page: %zd\n", n);
    }
    /* ... after a truncate that cut the shared mapping's file ... */
    if (ftruncate(fd, 4096))
        printf("ftruncate: %s\n", strerror(errno));
    touch("read of a page the truncate cut", m + 4096 + 16, m, 0);
    touch("read before the cut", m + 4000, m, 0);
    if (pfd[1] >= 0) {
        errno = 0;
        ssize_t n = write(pfd[1], m + 4096 + 16, 8);
        printf("write from the cut page: %zd %s\n", n, n < 0 ? strerror(errno) : "");
        close(pfd[0]);
        close(pfd[1]);
    }
    /* ... and without one: the child ends with SIGBUS. */
    signal(SIGBUS, SIG_DFL);
    pid = fork();
    if (pid == 0) {
        volatile char c = m[2 * 4096];
        (void)c;
        _exit(0);
    }
    waitpid(pid, &status, 0);
    printf("child without a handler: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));

    /* The file grown again: the pages are there (zeros), stores reach it. */
    if (ftruncate(fd, 3 * 4096))
        printf("ftruncate: %s\n", strerror(errno));
    sigaction(SIGBUS, &sa, NULL);
    touch("read of the cut page grown back", m + 4096 + 16, m, 0);
    touch("write of the page past the first end", m + 2 * 4096 + 8, m, 1);
    printf("grown pages: %d %c, read: %c\n", m[4096 + 16], m[2 * 4096 + 8],
           pread1(fd, 2 * 4096 + 8));
    signal(SIGBUS, SIG_DFL);

    /* EACCES as Linux's. */
    int ro = open(PATH, O_RDONLY);
    void *x = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("shared writable of O_RDONLY: %s\n", x == MAP_FAILED ? strerror(errno) : "mapped");
    x = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
    printf("shared read-only of O_RDONLY: %s\n", x == MAP_FAILED ? strerror(errno) : "mapped");
    if (x != MAP_FAILED)
        printf("  sees %c\n", ((char *)x)[10]);
    x = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    printf("private writable of O_RDONLY: %s\n", x == MAP_FAILED ? strerror(errno) : "mapped");
    close(ro);
    int wo = open(PATH, O_WRONLY);
    x = mmap(NULL, 4096, PROT_READ, MAP_SHARED, wo, 0);
    printf("shared of O_WRONLY: %s\n", x == MAP_FAILED ? strerror(errno) : "mapped");
    close(wo);

    /* The mapping outlives close; after munmap the file holds the stores. */
    close(fd);
    m[50] = 'L';
    printf("munmap: %d\n", munmap(m, 3 * 4096));
    munmap(pv, 2 * 4096);
    fd = open(PATH, O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    printf("reopened: size %lld, bytes %c %c %c %c %c %c\n", (long long)st.st_size, pread1(fd, 0),
           pread1(fd, 10), pread1(fd, 20), pread1(fd, 30), pread1(fd, 40), pread1(fd, 50));
    close(fd);
    unlink(PATH);
    return 0;
}
