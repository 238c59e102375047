/*
 * idle: the memory an idle process costs, as the system reports it: MemFree of
 * /proc/meminfo (under lx: lx's pool, which holds everything its processes are
 * made of) before and after forking N children that each block in a read of a
 * pipe, divided by N. The parent has touched nothing beyond its start; each
 * child returns from fork on its own stack (a copy-on-write page or so) and
 * waits. Then the pipe's write end closes, every child reads end-of-file and
 * exits 0, and the parent reaps them all (checked). Reported in bytes per
 * process (the median of R rounds after an untimed one).
 *
 * For make bench-lx only: under Linux MemFree does not move after the first
 * round (the kernel serves the next rounds' task structures, stacks and page
 * tables from its slab caches and per-CPU page lists, which MemFree counts as
 * used), so the figure says nothing there.
 */
#include "lbench.h"

#include <sys/wait.h>
#include <unistd.h>

#define N 8 /* lx serves at most 16 processes */
#define R 3

/* MemFree of /proc/meminfo, in bytes. */
static uint64_t mem_free(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    unsigned long long kb = 0;
    int found = 0;
    if (!f)
        lb_fail("no /proc/meminfo (is /proc mounted?)", 0);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemFree: %llu kB", &kb) == 1) {
            found = 1;
            break;
        }
    fclose(f);
    if (!found)
        lb_fail("no MemFree line in /proc/meminfo", 0);
    return (uint64_t)kb * 1024;
}

static uint64_t round_once(void)
{
    int p[2];
    pid_t kids[N];
    if (pipe(p) != 0)
        lb_fail("pipe", 0);
    usleep(50000); /* the last round's children are gone (Linux frees some late) */
    uint64_t before = mem_free();
    for (unsigned i = 0; i < N; i++) {
        kids[i] = fork();
        if (kids[i] < 0)
            lb_fail("fork", (long)i);
        if (kids[i] == 0) {
            char c;
            close(p[1]);
            _exit(read(p[0], &c, 1) == 0 ? 0 : 1);
        }
    }
    usleep(50000); /* the children run into their reads */
    for (unsigned i = 0; i < N; i++)
        if (waitpid(kids[i], NULL, WNOHANG) != 0)
            lb_fail("a child ended early", (long)i);
    uint64_t after = mem_free();
    close(p[1]);
    close(p[0]);
    for (unsigned i = 0; i < N; i++) {
        int st;
        if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            lb_fail("a child's exit", (long)i);
    }
    return before > after ? (before - after) / N : 0;
}

int main(void)
{
    uint64_t v[R];
    round_once(); /* untimed: what the first fork allocates once */
    for (unsigned r = 0; r < R; r++)
        v[r] = round_once();
    lb_report_metric("idle_process_bytes", lb_median(v, R));
    return 0;
}
