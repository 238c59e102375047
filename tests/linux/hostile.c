/*
 * Bad arguments get errors, never a crash of the server: bad pointers
 * (null, unmapped, kernel half, a string running into an unmapped page), bad
 * descriptors, sizes and flags. Each line names the call and the errno name,
 * which must be Linux's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

#define KERNEL_PTR 0xffff800000001000ul

static const char *name(long r)
{
    return r >= 0 ? "ok" : errname((int)-r);
}

/* The raw call: -errno on failure, as the kernel (or lx) answered it. */
static long raw(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
}

#define T(what, nr, a, b, c, d, e, f) printf("%-40s %s\n", what, name(raw(nr, a, b, c, d, e, f)))

int main(void)
{
    /* A page whose string runs into an unmapped page after it. */
    char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + 4096, 4096);
    memset(two, 'a', 4096);
    const long edge = (long)two + 4096 - 100; /* 100 bytes, then nothing */

    T("write from null", SYS_write, 1, 0, 10, 0, 0, 0);
    T("write from the kernel half", SYS_write, 1, KERNEL_PTR, 10, 0, 0, 0);
    T("write to a bad descriptor", SYS_write, 77, (long)"x", 1, 0, 0, 0);
    T("write to a negative descriptor", SYS_write, -5, (long)"x", 1, 0, 0, 0);
    T("read into null", SYS_read, open("/data/digits", O_RDONLY), 0, 4, 0, 0, 0);
    T("writev with a null vector", SYS_writev, 1, 0, 2, 0, 0, 0);
    T("writev with too many vectors", SYS_writev, 1, (long)two, 5000, 0, 0, 0);
    T("open a null path", SYS_open, 0, O_RDONLY, 0, 0, 0, 0);
    T("open a path into an unmapped page", SYS_open, edge, O_RDONLY, 0, 0, 0, 0);
    T("openat with a bad directory", SYS_openat, 55, (long)"x", O_RDONLY, 0, 0, 0);
    T("openat relative to a file", SYS_openat, 3, (long)"x", O_RDONLY, 0, 0, 0);
    T("open a directory to write", SYS_open, (long)"/data", O_WRONLY, 0, 0, 0, 0);
    T("fstat into null", SYS_fstat, 1, 0, 0, 0, 0, 0);
    T("fstat a bad descriptor", SYS_fstat, 99, (long)two, 0, 0, 0, 0);
    T("stat a null path", SYS_stat, 0, (long)two, 0, 0, 0, 0);
    T("getdents64 of a file", SYS_getdents64, 3, (long)two, 4096, 0, 0, 0);
    T("getdents64 of a bad descriptor", SYS_getdents64, 98, (long)two, 4096, 0, 0, 0);
    T("lseek the console", SYS_lseek, 1, 0, SEEK_SET, 0, 0, 0);
    T("lseek with a bad whence", SYS_lseek, 3, 0, 7, 0, 0, 0);
    T("lseek before the start", SYS_lseek, 3, -10, SEEK_SET, 0, 0, 0);
    T("ioctl TCGETS on a file", SYS_ioctl, 3, 0x5401, (long)two, 0, 0, 0);
    T("ioctl TCGETS into null", SYS_ioctl, 1, 0x5401, 0, 0, 0, 0);
    T("mmap of length 0", SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    T("mmap without SHARED or PRIVATE", SYS_mmap, 0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0);
    T("mmap unaligned MAP_FIXED", SYS_mmap, 0x10000001, 4096, PROT_READ,
      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    T("mmap of a bad descriptor", SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, 66, 0);
    T("munmap of length 0", SYS_munmap, (long)two, 0, 0, 0, 0, 0);
    T("mprotect with unknown bits", SYS_mprotect, (long)two, 4096, 0x100, 0, 0, 0);
    T("arch_prctl with an unknown code", SYS_arch_prctl, 0x1234, 0, 0, 0, 0, 0);
    T("arch_prctl ARCH_GET_FS into null", SYS_arch_prctl, 0x1003, 0, 0, 0, 0, 0);
    T("rt_sigaction of signal 0", SYS_rt_sigaction, 0, 0, 0, 8, 0, 0);
    T("rt_sigaction of signal 65", SYS_rt_sigaction, 65, 0, 0, 8, 0, 0);
    T("rt_sigaction with a bad set size", SYS_rt_sigaction, 10, 0, 0, 3, 0, 0);
    T("rt_sigaction of SIGKILL", SYS_rt_sigaction, SIGKILL, (long)two, 0, 8, 0, 0);
    T("rt_sigprocmask with a bad how", SYS_rt_sigprocmask, 9, (long)two, 0, 8, 0, 0);
    T("clock_gettime into null", SYS_clock_gettime, CLOCK_MONOTONIC, 0, 0, 0, 0, 0);
    T("clock_gettime of clock -1", SYS_clock_gettime, -1, (long)two, 0, 0, 0, 0);
    static long minus_one_second[2] = {-1, 0};
    T("nanosleep of -1 s", SYS_nanosleep, (long)minus_one_second, 0, 0, 0, 0, 0);
    T("uname into the kernel half", SYS_uname, KERNEL_PTR, 0, 0, 0, 0, 0);
    T("getrandom into null", SYS_getrandom, 0, 16, 0, 0, 0, 0);
    T("sched_getaffinity with 4 bytes", SYS_sched_getaffinity, 0, 4, (long)two, 0, 0, 0);
    T("prlimit64 of resource 100", SYS_prlimit64, 0, 100, 0, (long)two, 0, 0);
    T("getcwd into 1 byte", SYS_getcwd, (long)two, 1, 0, 0, 0, 0);
    T("dup of a bad descriptor", SYS_dup, 42, 0, 0, 0, 0, 0);
    T("dup3 onto itself", SYS_dup3, 1, 1, 0, 0, 0, 0);
    T("fcntl with an unknown command", SYS_fcntl, 1, 9999, 0, 0, 0, 0);
    T("close a bad descriptor", SYS_close, 1000, 0, 0, 0, 0, 0);
    T("pipe2 into null", SYS_pipe2, 0, 0, 0, 0, 0, 0);
    T("pipe2 into the kernel half", SYS_pipe2, KERNEL_PTR, 0, 0, 0, 0, 0);
    T("pipe2 with unknown flags", SYS_pipe2, (long)two, 0x4, 0, 0, 0, 0);
    T("execve of a null path", SYS_execve, 0, 0, 0, 0, 0, 0);
    T("execve with argv in the kernel half", SYS_execve, (long)"/bin/hello", KERNEL_PTR, 0, 0, 0,
      0);
    static long bad_argv[2] = {KERNEL_PTR, 0};
    T("execve with a bad argv string", SYS_execve, (long)"/bin/hello", (long)bad_argv, 0, 0, 0, 0);
    T("execve of a directory", SYS_execve, (long)"/data", 0, 0, 0, 0, 0);
    T("wait4 without children", SYS_wait4, -1, 0, 0, 0, 0, 0);
    T("wait4 with unknown options", SYS_wait4, -1, 0, 0x100, 0, 0, 0);
    T("waitid of an unknown id type", SYS_waitid, 9, 0, 0, 4, 0, 0);
    T("waitid without WEXITED", SYS_waitid, 0, 0, 0, 0, 0, 0);
    T("kill with signal 65", SYS_kill, getpid(), 65, 0, 0, 0, 0);
    T("kill of a pid nobody has", SYS_kill, 30000, 0, 0, 0, 0, 0);
    T("setpgid to a negative group", SYS_setpgid, 0, -3, 0, 0, 0, 0);
    T("setpgid of a pid nobody has", SYS_setpgid, 30000, 0, 0, 0, 0, 0);
    T("getsid of a pid nobody has", SYS_getsid, 30000, 0, 0, 0, 0, 0);
    T("rt_sigsuspend with a bad set size", SYS_rt_sigsuspend, (long)two, 3, 0, 0, 0, 0);
    T("rt_sigsuspend from null", SYS_rt_sigsuspend, 0, 8, 0, 0, 0, 0);
    printf("still running\n");
    return 0;
}
