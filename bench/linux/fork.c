/*
 * fork: fork + _exit + waitpid of a process that has touched 64 MiB of anonymous
 * memory (docs/testing.md's Linux reference), timed in the parent around the
 * whole cycle: fork copies the page tables (write-protecting the 64 MiB for
 * copy-on-write), the child exits at once and its address space is torn down, the
 * parent's waitpid returns. R timed cycles after two untimed ones, the median
 * reported, with the 64 MiB mapped as Debian ships (transparent huge pages) and
 * with MADV_NOHUGEPAGE (4 KiB pages), and for a process with no extra memory.
 * Checks each child's exit status and that the parent's memory is intact after.
 */
#include "lbench.h"

#include <sys/wait.h>
#include <unistd.h>

#define SIZE (64ul * LB_MIB)
#define R    21
#define WARM 2

static uint64_t fork_exit_wait(void)
{
    int st;
    uint64_t t0 = lb_rdtsc();
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        lb_fail("fork or waitpid", (long)pid);
    uint64_t t = lb_rdtsc() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
        lb_fail("the child's exit status", st);
    return t;
}

static void variant(const char *metric, size_t size, int huge)
{
    uint64_t t[R];
    char *p = size ? lb_map_aligned(size, huge) : NULL;
    if (p)
        lb_touch(p, size);
    for (unsigned r = 0; r < WARM; r++)
        fork_exit_wait();
    for (unsigned r = 0; r < R; r++)
        t[r] = fork_exit_wait();
    for (size_t off = 0; off < size; off += LB_PAGE)
        if (*(uint64_t *)(p + off) != off)
            lb_fail("the parent's memory changed", (long)off);
    if (p)
        munmap(p, size);
    lb_report_metric(metric, lb_median(t, R));
}

int main(void)
{
    variant("fork_exit_wait_64mib_instructions", SIZE, 1);
    variant("fork_exit_wait_64mib_4k_instructions", SIZE, 0);
    variant("fork_exit_wait_0mib_instructions", 0, 1);
    return 0;
}
