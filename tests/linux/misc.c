/*
 * The smaller calls a C library makes at start or on demand: uname, getrandom,
 * prlimit64 (RLIMIT_STACK, RLIMIT_NOFILE's soft limit being at least 64),
 * sched_getaffinity (one CPU: both guests boot with -smp 1), the console as a
 * terminal (isatty, TIOCGWINSZ), getcwd, umask, dup2 and fcntl, ids, and a
 * signal raised against a handler set to SIG_IGN (ignored) before abort().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void)
{
    struct utsname u;
    uname(&u);
    printf("uname: %s %s\n", u.sysname, u.machine);
    unsigned char r[64] = {0};
    ssize_t n = getrandom(r, sizeof(r), 0);
    int nz = 0;
    for (int i = 0; i < 64; i++)
        nz += r[i] != 0;
    printf("getrandom: %zd bytes, %s\n", n, nz > 32 ? "random" : "FAIL");
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    printf("RLIMIT_STACK soft %llu MiB\n", (unsigned long long)rl.rlim_cur >> 20);
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("RLIMIT_NOFILE soft >= 64: %s\n", rl.rlim_cur >= 64 ? "yes" : "no");
    cpu_set_t set;
    CPU_ZERO(&set);
    int a = sched_getaffinity(0, sizeof(set), &set);
    printf("sched_getaffinity: %d, %d CPU\n", a, CPU_COUNT(&set));
    struct winsize ws;
    printf("isatty(1): %d\n", isatty(1));
    printf("TIOCGWINSZ: %d\n", ioctl(1, TIOCGWINSZ, &ws));
    char cwd[64];
    printf("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "FAIL");
    printf("umask: %03o\n", (unsigned)umask(022));
    int fd = open("/data/digits", O_RDONLY);
    printf("dup2: %d\n", dup2(fd, 9));
    char c = 0;
    n = read(9, &c, 1);
    printf("read through the copy: %zd '%c'\n", n, c);
    printf("F_GETFD after dup2: %d\n", fcntl(9, F_GETFD));
    int set_fd = fcntl(9, F_SETFD, FD_CLOEXEC);
    printf("fcntl F_SETFD: %d, F_GETFD: %d\n", set_fd, fcntl(9, F_GETFD));
    int c1 = close(9);
    errno = 0;
    int c2 = close(9);
    printf("close(9) twice: %d %d %s\n", c1, c2, errno == EBADF ? "EBADF" : "FAIL");
    printf("uid %d euid %d gid %d egid %d\n", (int)getuid(), (int)geteuid(), (int)getgid(),
           (int)getegid());
    signal(SIGUSR1, SIG_IGN);
    printf("raise(SIGUSR1) ignored: %d\n", raise(SIGUSR1));
    fflush(stdout);
    abort();
}
