/*
 * Two lx instances side by side (make check-lx-iso: init runs lx and lxb,
 * the same program, each running this from its lx.rc). Both run the same
 * steps at once and share nothing a Linux program can reach: each prints
 * its lines to the console with a tag of its own, and tests/linux/iso-check.py
 * checks their order there (both hold their children before either probes,
 * both have probed before either lets its children go), so that each probe
 * ran while the other's processes and files existed.
 *
 * Each instance:
 *   - finds its /tmp empty, creates /tmp/iso with O_EXCL (a /tmp shared
 *     with the other would make one of the two fail) and writes its tag;
 *   - writes 1 MiB to /tmp/iso-big and sees /proc/meminfo's MemFree (its
 *     lx's pool) fall by most of it: its /tmp is charged to its own lx;
 *   - forks six children that wait, prints "holds", waits, prints "probing";
 *   - probes: no pid but its own and its children's answers kill(pid, 0)
 *     (ESRCH), opens /proc/PID/stat or is listed in /proc; /tmp lists only
 *     iso and iso-big (any other name is counted) and /tmp/iso still holds
 *     its own tag;
 *   - waits, lets its children go, removes iso-big and sees MemFree rise.
 * Exit status 0 when all of that holds, 1 otherwise.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILDREN 6
#define MAX_PID  64
#define BIG      (1024 * 1024)
#define SLACK    (256 * 1024) /* of BIG, what the pool's figures may miss */

static char tag[20];
static int failed;

static void fail(const char *what)
{
    printf("iso: %s: %s (errno %d)\n", tag, what, errno);
    failed = 1;
}

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* MemFree of /proc/meminfo in bytes (lx's pool), -1 when unreadable. */
static long mem_free(void)
{
    char buf[512];
    int fd = open("/proc/meminfo", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    const char *p = strstr(buf, "MemFree:");
    return p ? atol(p + 8) * 1024 : -1;
}

/* Names in /tmp other than . and .., those in want not counted. */
static int tmp_others(const char *const *want, int nwant)
{
    DIR *d = opendir("/tmp");
    if (!d) {
        fail("opendir /tmp");
        return 1;
    }
    int others = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        int mine = 0;
        for (int i = 0; i < nwant; i++)
            mine |= !strcmp(e->d_name, want[i]);
        if (!mine) {
            printf("iso: %s: /tmp holds %s\n", tag, e->d_name);
            others++;
        }
    }
    closedir(d);
    return others;
}

static int is_mine(pid_t p, pid_t me, const pid_t *kids)
{
    if (p == me)
        return 1;
    for (int i = 0; i < CHILDREN; i++)
        if (kids[i] == p)
            return 1;
    return 0;
}

/* The other lx's processes this one reaches. */
static int probe_procs(pid_t me, const pid_t *kids)
{
    int seen = 0;
    for (pid_t p = 2; p < MAX_PID; p++) {
        if (is_mine(p, me, kids))
            continue;
        if (kill(p, 0) == 0 || errno != ESRCH) {
            printf("iso: %s: kill(%d, 0) reaches a process\n", tag, p);
            seen++;
        }
        char path[32];
        snprintf(path, sizeof(path), "/proc/%d/stat", p);
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            printf("iso: %s: %s opens\n", tag, path);
            close(fd);
            seen++;
        }
    }
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && !is_mine(atoi(e->d_name), me, kids)) {
            printf("iso: %s: /proc lists %s\n", tag, e->d_name);
            seen++;
        }
    }
    if (d)
        closedir(d);
    else
        fail("opendir /proc");
    return seen;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: iso (run by two lx instances at once; no arguments)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_REALTIME, &b);
    snprintf(tag, sizeof(tag), "%08lx", (unsigned long)((a.tv_nsec ^ b.tv_nsec ^ b.tv_sec) | 1));
    pid_t me = getpid();
    printf("iso: %s: pid %d starts\n", tag, me);

    /* Files: an empty /tmp of its own. */
    int others = tmp_others(NULL, 0);
    if (others)
        printf("iso: %s: /tmp starts with %d names\n", tag, others);
    int fd = open("/tmp/iso", O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0 || write(fd, tag, strlen(tag)) != (ssize_t)strlen(tag))
        fail("create /tmp/iso");
    if (fd >= 0)
        close(fd);

    /* Its memory: 1 MiB in /tmp is taken from its lx's pool. */
    static char big[64 * 1024];
    memset(big, 'x', sizeof(big));
    long before = mem_free();
    fd = open("/tmp/iso-big", O_CREAT | O_EXCL | O_WRONLY, 0644);
    for (int i = 0; fd >= 0 && i < BIG / (int)sizeof(big); i++)
        if (write(fd, big, sizeof(big)) != (ssize_t)sizeof(big)) {
            fail("write /tmp/iso-big");
            break;
        }
    if (fd < 0)
        fail("create /tmp/iso-big");
    else
        close(fd);
    long after = mem_free();
    printf("iso: %s: 1 MiB in /tmp takes %ld KiB of its pool\n", tag, (before - after) / 1024);
    if (before < 0 || after < 0 || before - after < BIG - SLACK)
        fail("/tmp is not charged to this lx");

    /* Processes: six children, held while the other one probes. */
    pid_t kids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            for (;;)
                pause();
        if (kids[i] < 0)
            fail("fork");
    }
    printf("iso: %s: holds children %d..%d\n", tag, kids[0], kids[CHILDREN - 1]);
    nap(5000);
    printf("iso: %s: probing\n", tag);
    int seen = probe_procs(me, kids);
    const char *const mine[] = {"iso", "iso-big"};
    int files = tmp_others(mine, 2);
    char got[sizeof(tag)] = {0};
    fd = open("/tmp/iso", O_RDONLY);
    if (fd < 0 || read(fd, got, sizeof(got) - 1) < 0 || strcmp(got, tag)) {
        printf("iso: %s: /tmp/iso holds \"%s\"\n", tag, got);
        files++;
    }
    if (fd >= 0)
        close(fd);
    printf("iso: %s: saw %d of the other lx's processes and %d of its files\n", tag, seen, files);
    nap(5000);

    for (int i = 0; i < CHILDREN; i++) {
        if (kids[i] > 0) {
            kill(kids[i], SIGKILL);
            waitpid(kids[i], NULL, 0);
        }
    }
    before = mem_free();
    if (unlink("/tmp/iso-big") || unlink("/tmp/iso"))
        fail("unlink");
    after = mem_free();
    printf("iso: %s: removing it gives %ld KiB back\n", tag, (after - before) / 1024);
    if (after - before < BIG - SLACK)
        fail("removing /tmp's file gives its lx nothing back");
    printf("iso: %s: released\n", tag);
    return failed || seen || files || others ? 1 : 0;
}
