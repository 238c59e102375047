/*
 * lxinit: pid 1 of the Linux guest that checks lx against Linux
 * (tests/linux/run.py, mk/extra/lx.mk). It runs each line of /lx.rc exactly as
 * lx does with no arguments (the same word splitting, the same environment,
 * lines starting "weft-only " left out,
 * the same "=== run:", "=== exit N" and "=== signal N" frames), prints
 * "=== done", and ends QEMU through the isa-debug-exit device (as the
 * benchmark guest's init, bench/linux/init.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 32

static char *const env[] = {"HOME=/", "PATH=/bin", "TERM=linux", NULL};

/* The same splitting as lx's (user/lx/main.c). */
static int split(char *s, char **argv, int max)
{
    int n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            return n;
        if (n == max)
            return -1;
        char *out = s;
        argv[n++] = out;
        int quoted = 0;
        while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
            if (*s == '"')
                quoted = !quoted;
            else
                *out++ = *s;
            s++;
        }
        if (*s)
            s++;
        *out = 0;
    }
}

int main(void)
{
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    /* busybox runs its applets through /proc/self/exe (lx serves that name) */
    mkdir("/proc", 0755);
    mount("proc", "/proc", "proc", 0, NULL);
    int fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd >= 0) {
        for (int i = 0; i < 3; i++)
            if (fd != i)
                dup2(fd, i);
        if (fd > 2)
            close(fd);
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    FILE *f = fopen("/lx.rc", "re"); /* not inherited by the programs */
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        char copy[512], *argv[MAX_ARGS + 1];
        memcpy(copy, line, sizeof(copy));
        if (!strncmp(line, "weft-only ", 10))
            continue; /* lx's own checks (tests/linux/run.py) */
        int argc = split(line, argv, MAX_ARGS);
        if (argc == 0)
            continue;
        printf("=== run: %s\n", copy);
        if (argc < 0)
            continue;
        argv[argc] = NULL;
        pid_t pid = fork();
        if (pid == 0) {
            execve(argv[0], argv, env);
            _exit(errno == ENOENT ? 127 : 126); /* as a shell reports it */
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid)
            printf("=== lxinit: fork or wait failed\n");
        else if (WIFSIGNALED(st))
            printf("=== signal %d\n", WTERMSIG(st));
        else
            printf("=== exit %d\n", WEXITSTATUS(st));
    }
    printf("=== done\n");
    sync();
    if (iopl(3) == 0)
        outb(0, 0x501);
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}
