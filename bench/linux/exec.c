/*
 * exec: vfork, execve of busybox `true` in the child, its exit, waitpid in the
 * parent, the cycle timed whole (the cost of starting a program, as a shell
 * does: the new image, its start-up, its exit and the wait). /bin/busybox is
 * Debian's busybox-static in both initramfs images (make bench-linux, make
 * bench-lx). The median of R cycles after WARM untimed ones.
 */
#include "lbench.h"

#include <sys/wait.h>
#include <unistd.h>

#define R    21
#define WARM 2

static uint64_t exec_wait(void)
{
    static char *const argv[] = {"busybox", "true", NULL};
    static char *const envp[] = {"PATH=/bin", NULL};
    int st;
    uint64_t t0 = lb_rdtsc();
    pid_t pid = vfork();
    if (pid == 0) {
        execve("/bin/busybox", argv, envp);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        lb_fail("vfork or waitpid", (long)pid);
    uint64_t t = lb_rdtsc() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        lb_fail("busybox true's exit status", st);
    return t;
}

int main(void)
{
    uint64_t t[R];
    for (unsigned r = 0; r < WARM; r++)
        exec_wait();
    for (unsigned r = 0; r < R; r++)
        t[r] = exec_wait();
    lb_report_metric("vfork_exec_true_wait_instructions", lb_median(t, R));
    return 0;
}
