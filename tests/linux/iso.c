/*
 * Two lx instances side by side (make check-lx-iso: init runs lx and lxb,
 * the same program, each running this from its lx.rc): the first to create
 * /tmp/iso-role holds six children, the other probes for them. /tmp is the
 * file server both are given, so it is how they meet; processes are each
 * lx's own, so the prober must see none of the holder's: kill(pid, 0) is
 * ESRCH, /proc lists only its own pid, /proc/PID/stat cannot be opened, wait
 * finds no child. Exit status 0 when that holds (and the holder was seen to
 * be there), 1 otherwise.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILDREN 6
#define MAX_PID  64

static void nap(void)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Until path exists, at most about 30 s. */
static int wait_for(const char *path)
{
    struct stat st;
    for (int i = 0; i < 600; i++) {
        if (stat(path, &st) == 0)
            return 0;
        nap();
    }
    return -1;
}

static int touch(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int hold(void)
{
    pid_t kids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        kids[i] = fork();
        if (kids[i] == 0)
            for (;;)
                pause();
    }
    printf("iso: holder pid %d, children %d..%d\n", getpid(), kids[0], kids[CHILDREN - 1]);
    touch("/tmp/iso-ready");
    int r = wait_for("/tmp/iso-done");
    for (int i = 0; i < CHILDREN; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    unlink("/tmp/iso-ready");
    unlink("/tmp/iso-done");
    unlink("/tmp/iso-role");
    printf("iso: holder %s\n", r ? "timed out" : "done");
    return r ? 1 : 0;
}

static int probe(void)
{
    if (wait_for("/tmp/iso-ready")) {
        printf("iso: prober: the holder never came\n");
        return 1;
    }
    pid_t me = getpid();
    int seen = 0;
    for (pid_t p = 2; p < MAX_PID; p++) {
        if (p == me)
            continue;
        if (kill(p, 0) == 0 || errno != ESRCH) {
            printf("iso: kill(%d, 0) reaches a process\n", p);
            seen++;
        }
        char path[32];
        snprintf(path, sizeof(path), "/proc/%d/stat", p);
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            printf("iso: %s opens\n", path);
            close(fd);
            seen++;
        }
    }
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && atoi(e->d_name) != me) {
            printf("iso: /proc lists %s\n", e->d_name);
            seen++;
        }
    }
    if (d)
        closedir(d);
    if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
        printf("iso: wait finds a child\n");
        seen++;
    }
    touch("/tmp/iso-done");
    printf("iso: prober pid %d saw %d of the other lx's processes\n", me, seen);
    return seen ? 1 : 0;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: iso (run by two lx instances at once; no arguments)\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = open("/tmp/iso-role", O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd >= 0) {
        close(fd);
        return hold();
    }
    return probe();
}
