/*
 * forkwrite: fork + the child writing all 64 MiB of anonymous memory the parent
 * touched + _exit + waitpid, timed in the parent around the whole cycle: fork
 * shares the 64 MiB copy-on-write, the child's writes copy every page (one word
 * written per 4 KiB page), the child exits and its copies are freed, the
 * parent's waitpid returns. R timed cycles after one untimed, the median
 * reported, with the 64 MiB mapped as Debian ships (transparent huge pages: a
 * write copies a 2 MiB page) and with MADV_NOHUGEPAGE (4 KiB pages). Checks each
 * child's exit status (the child checks that it reads its own writes back) and
 * that the parent's memory is intact after.
 */
#include "lbench.h"

#include <sys/wait.h>
#include <unistd.h>

#define SIZE (64ul * LB_MIB)
#define R    5
#define WARM 1

static uint64_t fork_write_exit_wait(char *p, size_t size, uint64_t mark)
{
    int st;
    uint64_t t0 = lb_rdtsc();
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t off = 0; off < size; off += LB_PAGE)
            *(uint64_t *)(p + off) = off ^ mark;
        for (size_t off = 0; off < size; off += LB_PAGE)
            if (*(uint64_t *)(p + off) != (off ^ mark))
                _exit(1);
        _exit(7);
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        lb_fail("fork or waitpid", (long)pid);
    uint64_t t = lb_rdtsc() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
        lb_fail("the child's exit status", st);
    return t;
}

static void variant(const char *metric, int huge)
{
    uint64_t t[R];
    char *p = lb_map_aligned(SIZE, huge);
    lb_touch(p, SIZE);
    for (unsigned r = 0; r < WARM; r++)
        fork_write_exit_wait(p, SIZE, 0x5a5a0000u + r);
    for (unsigned r = 0; r < R; r++)
        t[r] = fork_write_exit_wait(p, SIZE, 0xa5a50000u + r);
    for (size_t off = 0; off < SIZE; off += LB_PAGE)
        if (*(uint64_t *)(p + off) != off)
            lb_fail("the parent's memory changed", (long)off);
    munmap(p, SIZE);
    lb_report_metric(metric, lb_median(t, R));
}

int main(void)
{
    variant("fork_write_exit_wait_64mib_instructions", 1);
    variant("fork_write_exit_wait_64mib_4k_instructions", 0);
    return 0;
}
