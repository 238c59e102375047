/*
 * /dev and /proc: null, zero, full, urandom, console, tty (none: ENXIO); /proc/self (exe, fd/,
 * maps, stat, cmdline), another process's stat, meminfo, cpuinfo, uptime.
 * What differs between machines (numbers, the CPU) is checked, not printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static char text[16384];

/* The whole of a file of /proc (read in small pieces, as programs do). */
static int slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int len = 0;
    ssize_t n;
    while (len < (int)sizeof(text) - 1 && (n = read(fd, text + len, 100)) > 0)
        len += (int)n;
    text[len] = 0;
    close(fd);
    return len;
}

static void dev(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        printf("%s: errno %d\n", path, errno);
        return;
    }
    printf("%s: char %d, %u:%u\n", path, S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
}

int main(void)
{
    char buf[64];
    memset(buf, 'x', sizeof(buf));
    int fd = open("/dev/zero", O_RDONLY);
    ssize_t n = read(fd, buf, 16);
    int zeros = 0;
    for (int i = 0; i < 16; i++)
        zeros += buf[i] == 0;
    printf("/dev/zero: %zd bytes, %d zeros\n", n, zeros);
    close(fd);
    fd = open("/dev/null", O_RDWR);
    printf("/dev/null: write %zd, read %zd\n", write(fd, "abc", 3), read(fd, buf, 8));
    close(fd);
    fd = open("/dev/full", O_WRONLY);
    n = write(fd, "abc", 3);
    printf("/dev/full: write %zd errno %d\n", n, n < 0 ? errno : 0);
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    printf("/dev/urandom: %zd bytes\n", read(fd, buf, 32));
    close(fd);
    fd = open("/dev/tty", O_WRONLY); /* no controlling terminal: ENXIO */
    printf("/dev/tty: %d errno %d\n", fd, fd < 0 ? errno : 0);
    fd = open("/dev/console", O_WRONLY);
    write(fd, "written to /dev/console\n", 24);
    close(fd);
    dev("/dev/null");
    dev("/dev/zero");
    dev("/dev/full");
    dev("/dev/urandom");
    dev("/dev/console");
    dev("/dev/nothing");

    n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("/proc/self/exe: %s\n", buf);
    fd = open("/data/hello.txt", O_RDONLY);
    snprintf(text, sizeof(text), "/proc/self/fd/%d", fd);
    n = readlink(text, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("fd link: %s\n", buf);
    int p[2];
    pipe(p);
    snprintf(text, sizeof(text), "/proc/self/fd/%d", p[0]);
    n = readlink(text, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("pipe link starts pipe:[ %d\n", !strncmp(buf, "pipe:[", 6));
    close(p[0]);
    close(p[1]);
    close(fd);
    n = readlink("/proc/self", buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("/proc/self is the pid: %d\n", atoi(buf) == getpid());

    slurp("/proc/self/stat");
    int spid = 0, sppid = 0;
    char comm[32], state = '?';
    sscanf(text, "%d (%31[^)]) %c %d", &spid, comm, &state, &sppid);
    printf("stat: pid %d, comm %s, state %c, ppid %d\n", spid == getpid(), comm, state,
           sppid == getppid());
    int len = slurp("/proc/self/cmdline");
    printf("cmdline: %s (%d bytes)\n", text, len);
    slurp("/proc/self/maps");
    printf("maps: stack %d, text %d\n", strstr(text, "[stack]") != NULL,
           strstr(text, "r-xp") != NULL);
    pid_t child = fork();
    if (child == 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", getppid());
        slurp(path);
        char st = '?';
        sscanf(text, "%*d (%*[^)]) %c", &st);
        printf("parent's state: %c\n", st);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    slurp("/proc/meminfo");
    printf("meminfo: %d\n", !strncmp(text, "MemTotal:", 9));
    slurp("/proc/cpuinfo");
    printf("cpuinfo: %d\n", !strncmp(text, "processor", 9));
    slurp("/proc/uptime");
    printf("uptime: %d\n", atof(text) > 0);
    printf("missing: %d errno %d\n", open("/proc/self/nothing", O_RDONLY), errno);
    return 0;
}
