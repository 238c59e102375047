/*
 * Many processes: 500 times fork, the child writes to its memory and exits
 * with a status of its own, the parent writes to its memory and waits for it.
 * Every child must start and report its status, and the memory left free
 * (/proc/meminfo's MemAvailable) after the last must be about what it was
 * after the first few: a process that forks and reaps again and again does
 * not run its system out of memory.
 *
 * Run as "forkmany lx" (under lx alone) it also reads lx's own line of
 * /proc/meminfo, LxSlots (the slots of lx's CNode in use), and fails unless it
 * is the same after the last fork as after the first few, and fails unless
 * MemAvailable (lx's pool) is exactly the same too: the kernel merges what each
 * fork shared into the process that stays (decision 172), so a process that
 * forks and reaps holds its own memory and nothing more, with nothing copied.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 500
#define EARLY  20
#define SLACK  (4L << 20) /* bytes MemAvailable may drift by */

static char data[256 << 10]; /* written by both sides after each fork */

/* The number on /proc/meminfo's line key (a format: "MemAvailable: %ld kB"),
 * or -1. */
static long meminfo(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long v = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, key, &v) == 1)
            break;
    fclose(f);
    return v;
}

static long available(void)
{
    long kb = meminfo("MemAvailable: %ld kB");
    return kb < 0 ? -1 : kb * 1024;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    bool lx = argc > 1 && !strcmp(argv[1], "lx");
    long early = -1, early_slots = -1;
    int bad = 0;
    for (int i = 0; i < ROUNDS; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            printf("FAIL: fork %d: %m\n", i);
            return 1;
        }
        if (pid == 0) {
            memset(data, i & 0xff, sizeof(data));
            _exit(i % 100);
        }
        memset(data + (i % 4) * (64 << 10), 0x5a, 64 << 10);
        int st = 0;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != i % 100)
            bad++;
        if (i == EARLY - 1) {
            early = available();
            early_slots = meminfo("LxSlots: %ld");
        }
    }
    long late = available(), late_slots = meminfo("LxSlots: %ld");
    printf("%d children forked and reaped, %d with a wrong status\n", ROUNDS, bad);
    printf("MemAvailable readable: %s\n", early > 0 && late > 0 ? "yes" : "no");
    printf("memory after %d forks within 4 MiB of that after %d: %s\n", ROUNDS, EARLY,
           late + SLACK >= early ? "yes" : "no");
    if (late + SLACK < early)
        printf("(MemAvailable %ld kB after %d, %ld kB after %d)\n", early / 1024, EARLY,
               late / 1024, ROUNDS);
    if (lx) {
        bool same = early_slots >= 0 && late_slots == early_slots;
        printf("%s: lx's CNode slots in use after %d forks: %ld, after %d: %ld\n",
               same ? "ok" : "FAIL", EARLY, early_slots, ROUNDS, late_slots);
        bool kept = early > 0 && late == early;
        printf("%s: lx's pool after %d forks: %ld kB free, after %d: %ld kB\n",
               kept ? "ok" : "FAIL", EARLY, early / 1024, ROUNDS, late / 1024);
        if (!same || !kept || late + SLACK < early)
            return 1;
    }
    return bad != 0;
}
