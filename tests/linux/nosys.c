/* A system call nobody serves (Linux has number 999, nor
 * lx): -ENOSYS, and the program goes on. Also getpid/getppid: the parent of a
 * program started by the container's init is pid 1. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    errno = 0;
    long r = syscall(999);
    printf("syscall 999: %ld, %s\n", r, errno == ENOSYS ? "ENOSYS" : "other");
    printf("getppid: %d\n", (int)getppid());
    printf("getpid > 1: %s\n", getpid() > 1 ? "yes" : "no");
    printf("gettid == getpid: %s\n", syscall(SYS_gettid) == getpid() ? "yes" : "no");
    return 3;
}
