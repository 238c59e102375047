/*
 * init: pid 1 of the Linux guest benchmark (make bench-linux, docs/perf/linux.md).
 *
 * The initramfs holds this program as /init and the benchmarks under /bench. The
 * kernel finds no /dev/console in it (tools/mkcpio.py stores plain files only),
 * so init mounts devtmpfs, proc and sysfs itself and opens the console. It then
 * prints one "info" JSON line (kernel release and version, command line, the
 * transparent huge page setting, the kernel's view of the CPU's vulnerabilities
 * and their mitigations), runs each benchmark in turn (fork, execv, waitpid), and
 * prints "linux-bench: done N run, F failed". It ends QEMU through the
 * isa-debug-exit device at port 0x501 (iopl(3), then writing 0 if all passed, 1
 * otherwise: QEMU exits with status 1 or 3, as Weft's test boots do), and falls
 * back to reboot(RB_POWER_OFF) when the device is absent.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const benches[] = {"getppid", "pipe", "signal", "touch", "fork"};
#define NBENCH (sizeof(benches) / sizeof(benches[0]))

#define DEBUG_EXIT_PORT 0x501

/* Prints s as the body of a JSON string: quotes, backslashes and controls escaped. */
static void json_str(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
}

/* The first line of `path` without its newline, or "" if it cannot be read. */
static const char *first_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    buf[0] = 0;
    if (f) {
        if (!fgets(buf, (int)len, f))
            buf[0] = 0;
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = 0;
    return buf;
}

/*
 * Prints which of the CPU flags that steer the measured paths Linux found (from
 * /proc/cpuinfo): erms/fsrm/rep_good choose how pages are zeroed and copied, la57
 * gives 5-level page tables, pti and pcid how the address space is switched.
 */
static void cpu_flags(void)
{
    static const char *const want[] = {"erms", "fsrm", "rep_good", "la57", "pti", "pcid", "smap"};
    char line[4096];
    const char *sep = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "flags", 5) == 0)
            break;
    fclose(f);
    if (strncmp(line, "flags", 5) != 0)
        return;
    line[strcspn(line, "\n")] = ' ';
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char pat[32];
        snprintf(pat, sizeof(pat), " %s ", want[i]);
        if (strstr(line, pat)) {
            printf("%s%s", sep, want[i]);
            sep = " ";
        }
    }
}

static void print_info(void)
{
    static const char *const vulns[] = {"meltdown",          "spectre_v1", "spectre_v2",
                                        "spec_store_bypass", "retbleed",   "mds"};
    struct utsname u;
    char buf[1024], path[128];
    uname(&u);
    printf("{\"bench\": \"info\", \"arch\": \"x86_64\", \"system\": \"linux\", \"release\": \"");
    json_str(u.release);
    printf("\", \"version\": \"");
    json_str(u.version);
    printf("\", \"cmdline\": \"");
    json_str(first_line("/proc/cmdline", buf, sizeof(buf)));
    printf("\", \"thp\": \"");
    json_str(first_line("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)));
    printf("\"");
    for (size_t i = 0; i < sizeof(vulns) / sizeof(vulns[0]); i++) {
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s", vulns[i]);
        printf(", \"%s\": \"", vulns[i]);
        json_str(first_line(path, buf, sizeof(buf)));
        printf("\"");
    }
    printf(", \"cpu_flags\": \"");
    cpu_flags();
    printf("\"}\n");
    fflush(stdout);
}

static void power_off(int failed)
{
    sync();
    if (iopl(3) == 0)
        outb(failed ? 1 : 0, DEBUG_EXIT_PORT);
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}

int main(void)
{
    mkdir("/dev", 0755);
    mkdir("/proc", 0555);
    mkdir("/sys", 0555);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    int fd = open("/dev/console", O_RDWR | O_NOCTTY);
    if (fd >= 0) {
        for (int i = 0; i < 3; i++)
            if (fd != i)
                dup2(fd, i);
        if (fd > 2)
            close(fd);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    print_info();

    unsigned failed = 0;
    for (size_t i = 0; i < NBENCH; i++) {
        char path[64];
        int st = -1;
        snprintf(path, sizeof(path), "/bench/%s", benches[i]);
        pid_t pid = fork();
        if (pid == 0) {
            char *const argv[] = {path, NULL};
            execv(path, argv);
            _exit(127);
        }
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            printf("linux-bench: FAIL %s (status %d)\n", benches[i], st);
            failed++;
        }
    }
    printf("linux-bench: done %zu run, %u failed\n", NBENCH, failed);
    fflush(stdout);
    power_off(failed != 0);
    return 0;
}
