/*
 * init: pid 1 of the Linux guest benchmark (make bench-linux, docs/perf/linux.md).
 *
 * The initramfs holds this program as /init and the benchmarks under /bench. The
 * kernel finds no /dev/console in it (tools/mkcpio.py stores plain files only),
 * so init mounts devtmpfs, proc and sysfs itself and opens the console. If the
 * initramfs holds /lib/modules/order (the storage boot, make bench-linux-storage:
 * the cloud kernel builds virtio-pci and virtio-blk as modules), init loads each
 * module it names, /lib/modules/NAME.ko, in that order (finit_module); a module
 * that does not load is a failure. It brings online every CPU the kernel left
 * offline (writes 1 to /sys/devices/system/cpu/cpuN/online: the SMP boot, make
 * bench-smp-linux, starts the kernel with maxcpus=1, docs/perf/smp.md says why);
 * a CPU that does not come online is a failure. It then prints one "info" JSON
 * line (kernel release and version, command line, the transparent huge page
 * setting, the kernel's view of the CPU's vulnerabilities and their
 * mitigations, the modules loaded, the CPUs online), runs each benchmark in
 * turn (fork, execv, waitpid): those /bench/list
 * names, one a line, if the initramfs holds it, otherwise the five of make
 * bench-linux; and prints "linux-bench: done N run, F failed". It ends QEMU through the
 * isa-debug-exit device at port 0x501 (iopl(3), then writing 0 if all passed, 1
 * otherwise: QEMU exits with status 1 or 3, as Weft's test boots do), and falls
 * back to reboot(RB_POWER_OFF) when the device is absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const default_benches[] = {"getppid", "pipe",      "signal", "touch",
                                              "fork",    "forkwrite", "exec"};
#define NDEFAULT (sizeof(default_benches) / sizeof(default_benches[0]))
#define MAX_LIST 16
#define NAME_LEN 64

/* The programs to run and the modules loaded, as read from the lists. */
static char benches[MAX_LIST][NAME_LEN];
static size_t nbench;
static char loaded[MAX_LIST * NAME_LEN];

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

/*
 * Reads up to MAX_LIST names, one a line, from `path` into out[]; returns how
 * many, or -1 if the file cannot be opened. A name that is too long, or too many
 * names, is an error (-2): the list is part of the initramfs and must be exact.
 */
static int read_list(const char *path, char out[][NAME_LEN])
{
    char line[NAME_LEN + 2];
    int n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        size_t len = strcspn(line, "\n");
        if (line[len] != '\n' || len >= NAME_LEN || n == MAX_LIST) {
            fclose(f);
            return -2;
        }
        line[len] = 0;
        if (len)
            memcpy(out[n++], line, len + 1);
    }
    fclose(f);
    return n;
}

/* Loads the modules /lib/modules/order names; returns how many failed. */
static unsigned load_modules(void)
{
    char names[MAX_LIST][NAME_LEN];
    int n = read_list("/lib/modules/order", names);
    unsigned failed = 0;
    if (n == -1)
        return 0;
    if (n < 0) {
        printf("linux-bench: FAIL /lib/modules/order (a name too long or too many)\n");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        char path[NAME_LEN + 32];
        snprintf(path, sizeof(path), "/lib/modules/%.63s.ko", names[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0) {
            printf("linux-bench: FAIL module %s (errno %d)\n", names[i], errno);
            failed++;
        } else {
            if (loaded[0])
                strcat(loaded, " ");
            strcat(loaded, names[i]);
        }
        if (fd >= 0)
            close(fd);
    }
    return failed;
}

/*
 * Writes 1 to the online file of each CPU that has one and reads 0 (CPU 0 has
 * none); returns how many failed. Under -icount QEMU 7.2 runs the vCPUs round
 * robin and gives the next one a turn only when the running one halts, pauses
 * or changes the next timer deadline; Linux's boot CPU waits for a starting CPU
 * in a loop that does none of these while its tick is periodic, as it is when
 * the kernel starts its CPUs, so those never run (docs/perf/smp.md). Here the
 * tick is one-shot, and each tick's reprogramming gives the starting CPU a turn.
 */
static unsigned online_cpus(void)
{
    unsigned failed = 0;
    for (unsigned cpu = 1; cpu < 4096; cpu++) {
        char path[64], buf[16];
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u", cpu);
        if (access(path, F_OK) != 0)
            break;
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online", cpu);
        if (strcmp(first_line(path, buf, sizeof(buf)), "0") != 0)
            continue;
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "1", 1) != 1) {
            printf("linux-bench: FAIL CPU %u does not come online (errno %d)\n", cpu, errno);
            failed++;
        }
        if (fd >= 0)
            close(fd);
    }
    return failed;
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
    printf("\", \"modules\": \"");
    json_str(loaded);
    printf("\", \"cpus_online\": \"");
    json_str(first_line("/sys/devices/system/cpu/online", buf, sizeof(buf)));
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
    unsigned failed = load_modules();
    failed += online_cpus();
    print_info();

    int n = read_list("/bench/list", benches);
    if (n == -1) {
        for (size_t i = 0; i < NDEFAULT; i++)
            strcpy(benches[i], default_benches[i]);
        nbench = NDEFAULT;
    } else if (n < 0) {
        printf("linux-bench: FAIL /bench/list (a name too long or too many)\n");
        failed++;
    } else {
        nbench = (size_t)n;
    }
    for (size_t i = 0; i < nbench; i++) {
        char path[NAME_LEN + 8];
        int st = -1;
        snprintf(path, sizeof(path), "/bench/%.63s", benches[i]);
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
    printf("linux-bench: done %zu run, %u failed\n", nbench, failed);
    fflush(stdout);
    power_off(failed != 0);
    return 0;
}
