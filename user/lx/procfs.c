/*
 * /dev and /proc (docs/linux.md, "/dev and /proc"): lx's own synthetic
 * directories, devices and files, made from what lx knows (struct lx_proc,
 * its pool, the clock, the CPU's cpuid).
 *
 *   /dev: null, zero, full, random, urandom (lx_random), console (the console,
 *         as descriptors 0-2) and tty (ENXIO: no process has a controlling
 *         terminal, as under the Linux guest's init)
 *   /proc: self (a link to the caller's pid), meminfo (lx's pool), cpuinfo
 *         (cpuid), uptime (the clock), and a directory per process:
 *         exe (a link to the path it was started from), fd/ (a link per open
 *         descriptor), maps (its mappings), stat, cmdline (its arguments),
 *         comm (its name)
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lx.h"
#include "lxfs.h"
#include "weft/invoke.h"
#include "wf/syscall.h"

/* The synthetic directories (lx_fd.sub of FD_SYNDIR) and files (FD_PROC). */
enum { SD_DEV, SD_PROC, SD_PID, SD_FD };
enum { PF_MEMINFO, PF_CPUINFO, PF_UPTIME, PF_MAPS, PF_STAT, PF_CMDLINE, PF_COMM };

static const struct {
    const char *name;
    uint32_t perm;
    unsigned major, minor;
} devs[DEV_N] = {
    [DEV_NULL] = {"null", 0666, 1, 3},       [DEV_ZERO] = {"zero", 0666, 1, 5},
    [DEV_FULL] = {"full", 0666, 1, 7},       [DEV_RANDOM] = {"random", 0666, 1, 8},
    [DEV_URANDOM] = {"urandom", 0666, 1, 9}, [DEV_TTY] = {"tty", 0666, 5, 0},
    [DEV_CONSOLE] = {"console", 0600, 5, 1},
};

static const char *const proc_files[] = {"meminfo", "cpuinfo", "uptime"};
static const char *const pid_files[] = {"maps", "stat", "cmdline", "comm"};

#define INO_DEV  0x1000u
#define INO_PROC 0x2000u

static uint32_t pid_ino(int pid, unsigned item)
{
    return INO_PROC + 0x100u * (uint32_t)pid + item;
}

static void dir_node(struct lx_node *n, unsigned sub, int pid, uint32_t ino)
{
    n->kind = FD_SYNDIR;
    n->sub = sub;
    n->pid = pid;
    n->mode = LXF_S_IFDIR | 0555;
    n->ino = ino;
}

static void link_node(struct lx_node *n, const char *target, uint32_t ino)
{
    n->kind = FD_PROC;
    n->mode = LXF_S_IFLNK | 0777;
    n->ino = ino;
    snprintf(n->link, sizeof(n->link), "%s%s", target[0] == '/' ? "" : "/", target);
}

/* A number: its value, or -1 if s is not one (or too large). */
static int number(const char *s, const char **end)
{
    long v = 0;
    const char *c = s;
    while (*c >= '0' && *c <= '9' && v < 100000)
        v = v * 10 + (*c++ - '0');
    *end = c;
    return c == s || v >= 100000 ? -1 : (int)v;
}

static struct lx_proc *proc_shown(int pid)
{
    for (unsigned i = 0; i < LX_MAX_PROCS; i++)
        if (lx.proc[i].used && lx.proc[i].pid == pid)
            return &lx.proc[i];
    return NULL;
}

size_t lx_fd_link(const struct lx_proc *q, int fd, char *out, size_t max)
{
    const struct lx_fd *f = &q->fd[fd];
    int n;
    if (f->kind == FD_PIPE_R || f->kind == FD_PIPE_W)
        n = snprintf(out, max, "pipe:[%u]", (unsigned)f->ino);
    else if (f->kind == FD_SOCK)
        n = snprintf(out, max, "socket:[%u]", (unsigned)f->ino);
    else if (f->kind == FD_EVENT || f->kind == FD_TIMER || f->kind == FD_EPOLL)
        n = snprintf(out, max, "anon_inode:[%s]",
                     f->kind == FD_EVENT   ? "eventfd"
                     : f->kind == FD_TIMER ? "timerfd"
                                           : "eventpoll");
    else
        n = snprintf(out, max, "/%s", f->path);
    return n < 0 ? 0 : (size_t)n < max ? (size_t)n : max - 1;
}

long lx_syn_lookup(struct lx_proc *p, const char *name, struct lx_node *n)
{
    (void)p;
    memset(n, 0, sizeof(*n));
    if (!strcmp(name, "dev")) {
        dir_node(n, SD_DEV, 0, INO_DEV);
        n->mode = LXF_S_IFDIR | 0755;
        return 0;
    }
    if (!strncmp(name, "dev/", 4)) {
        for (unsigned i = 0; i < DEV_N; i++) {
            if (strcmp(name + 4, devs[i].name))
                continue;
            n->kind = i == DEV_CONSOLE ? FD_CONSOLE : FD_DEV;
            n->sub = i;
            n->mode = LXF_S_IFCHR | devs[i].perm;
            n->ino = INO_DEV + 1 + i;
            n->rdev = (devs[i].major << 8) | devs[i].minor;
            return 0;
        }
        return -LX_ENOENT;
    }
    if (!strcmp(name, "proc")) {
        dir_node(n, SD_PROC, 0, INO_PROC);
        return 0;
    }
    if (strncmp(name, "proc/", 5))
        return -LX_ENOENT;
    const char *s = name + 5;
    for (unsigned i = 0; i < sizeof(proc_files) / sizeof(proc_files[0]); i++) {
        if (!strcmp(s, proc_files[i])) {
            n->kind = FD_PROC;
            n->sub = PF_MEMINFO + i;
            n->mode = LXF_S_IFREG | 0444;
            n->ino = INO_PROC + 1 + i;
            return 0;
        }
    }
    const char *e;
    int pid = number(s, &e);
    struct lx_proc *q = pid > 0 ? proc_shown(pid) : NULL;
    if (!q || (*e && *e != '/'))
        return -LX_ENOENT;
    if (!*e) {
        dir_node(n, SD_PID, pid, pid_ino(pid, 0));
        return 0;
    }
    s = e + 1;
    n->pid = pid;
    if (!strcmp(s, "exe")) {
        if (q->state != PROC_RUN)
            return -LX_ENOENT;
        link_node(n, q->exe, pid_ino(pid, 1));
        return 0;
    }
    if (!strcmp(s, "fd")) {
        dir_node(n, SD_FD, pid, pid_ino(pid, 2));
        n->mode = LXF_S_IFDIR | 0500;
        return 0;
    }
    for (unsigned i = 0; i < sizeof(pid_files) / sizeof(pid_files[0]); i++) {
        if (!strcmp(s, pid_files[i])) {
            n->kind = FD_PROC;
            n->sub = PF_MAPS + i;
            n->mode = LXF_S_IFREG | 0444;
            n->ino = pid_ino(pid, 3 + i);
            return 0;
        }
    }
    if (!strncmp(s, "fd/", 3)) {
        int fd = number(s + 3, &e);
        if (fd < 0 || *e || fd >= LX_MAX_FDS || q->fd[fd].kind == FD_NONE)
            return -LX_ENOENT;
        char target[LX_PATH_MAX];
        lx_fd_link(q, fd, target, sizeof(target));
        link_node(n, target, pid_ino(pid, 16 + (unsigned)fd));
        if (target[0] != '/') /* pipe:[N] is a name, not a path */
            snprintf(n->link, sizeof(n->link), "%s", target);
        return 0;
    }
    return -LX_ENOENT;
}

/* The entry number k of synthetic directory f: its name, inode and d_type. */
bool lx_syn_entry(struct lx_proc *p, const struct lx_fd *f, unsigned k, char *name, size_t max,
                  uint32_t *ino, unsigned *dtype)
{
    (void)p;
    if (k < 2) {
        snprintf(name, max, "%s", k ? ".." : ".");
        *ino = f->ino;
        *dtype = 4;
        return true;
    }
    k -= 2;
    struct lx_proc *q = f->pid ? proc_shown(f->pid) : NULL;
    switch (f->sub) {
    case SD_DEV:
        if (k >= DEV_N)
            return false;
        snprintf(name, max, "%s", devs[k].name);
        *ino = INO_DEV + 1 + k;
        *dtype = 2;
        return true;
    case SD_PROC:
        if (k == 0) {
            snprintf(name, max, "self");
            *ino = INO_PROC + 8;
            *dtype = 10;
            return true;
        }
        k--;
        if (k < sizeof(proc_files) / sizeof(proc_files[0])) {
            snprintf(name, max, "%s", proc_files[k]);
            *ino = INO_PROC + 1 + k;
            *dtype = 8;
            return true;
        }
        k -= sizeof(proc_files) / sizeof(proc_files[0]);
        for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
            if (lx.proc[i].used && k-- == 0) {
                snprintf(name, max, "%d", lx.proc[i].pid);
                *ino = pid_ino(lx.proc[i].pid, 0);
                *dtype = 4;
                return true;
            }
        }
        return false;
    case SD_PID:
        if (!q)
            return false;
        if (k < 2) {
            snprintf(name, max, "%s", k ? "fd" : "exe");
            *ino = pid_ino(f->pid, 1 + k);
            *dtype = k ? 4 : 10;
            return true;
        }
        k -= 2;
        if (k >= sizeof(pid_files) / sizeof(pid_files[0]))
            return false;
        snprintf(name, max, "%s", pid_files[k]);
        *ino = pid_ino(f->pid, 3 + k);
        *dtype = 8;
        return true;
    case SD_FD:
        if (!q)
            return false;
        for (unsigned fd = 0; fd < LX_MAX_FDS; fd++) {
            if (q->fd[fd].kind != FD_NONE && k-- == 0) {
                snprintf(name, max, "%u", fd);
                *ino = pid_ino(f->pid, 16 + fd);
                *dtype = 10;
                return true;
            }
        }
        return false;
    default:
        return false;
    }
}

/* Appends to buf (len bytes used of max). */
static void add(char *buf, size_t max, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t max, size_t *len, const char *fmt, ...)
{
    if (*len >= max)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, max - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < max ? *len + (size_t)n : max - 1;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static void cpu_text(char *buf, size_t max, size_t *len)
{
    uint32_t r[4];
    char vendor[13], model[49];
    cpuid(0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    cpuid(0x80000000u, r);
    model[0] = 0;
    if (r[0] >= 0x80000004u) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002u + i, r);
            memcpy(model + 16 * i, r, 16);
        }
        model[48] = 0;
    }
    cpuid(1, r);
    add(buf, max, len,
        "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: %s\n"
        "stepping\t: %u\n\n",
        vendor, (r[0] >> 8) & 0xf, (r[0] >> 4) & 0xf, model, r[0] & 0xf);
}

static void maps_text(const struct lx_proc *q, char *buf, size_t max, size_t *len)
{
    for (unsigned i = 0; i < q->nvma; i++) {
        const struct lx_vma *v = &q->vma[i];
        const char *name = "";
        if (v->end == LX_STACK_TOP)
            name = "[stack]";
        else if (q->brk_start && v->start >= q->brk_start && v->start < q->brk_start + LX_BRK_MAX)
            name = "[heap]";
        add(buf, max, len, "%08llx-%08llx %c%c%cp %08llx 00:00 0%s%s\n",
            (unsigned long long)v->start, (unsigned long long)v->end, v->prot & 1 ? 'r' : '-',
            v->prot & 2 ? 'w' : '-', v->prot & 4 ? 'x' : '-', (unsigned long long)v->off,
            name[0] ? "                    " : "", name);
    }
}

static void stat_text(const struct lx_proc *p, const struct lx_proc *q, char *buf, size_t max,
                      size_t *len)
{
    uint64_t vsize = 0;
    for (unsigned i = 0; i < q->nvma; i++)
        vsize += q->vma[i].end - q->vma[i].start;
    char state = q->state == PROC_ZOMBIE ? 'Z' : q->stopped ? 'T' : q == p ? 'R' : 'S';
    const struct lx_thread *main_thread = lx_thread_by_tid(q->pid);
    uint64_t blocked = main_thread && main_thread->p == q ? main_thread->sigmask : 0;
    add(buf, max, len,
        "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 %u 0 0 %llu 0 "
        "18446744073709551615 0 0 %llu 0 0 %llu %llu 0 0 0 0 0 17 0 0 0 0 0 0 0 %llu 0 0 0 0 "
        "%d\n",
        q->pid, q->name, state, q->ppid, q->pgid, q->sid, q->nthreads ? q->nthreads : 1,
        (unsigned long long)vsize, (unsigned long long)LX_STACK_TOP,
        (unsigned long long)q->sigpending, (unsigned long long)blocked,
        (unsigned long long)q->brk_start, q->state == PROC_ZOMBIE ? q->wstatus : 0);
}

/* The text of synthetic file f (made anew at each read): its length. */
long lx_syn_text(struct lx_proc *p, const struct lx_fd *f, char *buf, size_t max)
{
    size_t len = 0;
    const struct lx_proc *q = f->pid ? proc_shown(f->pid) : NULL;
    switch (f->sub) {
    case PF_MEMINFO: {
        wf_word_t used = 0, limit = 0, objects = 0, free = 0;
        wf_pool_info(WF_CHILD_POOL, &used, &limit, &objects, &free);
        add(buf, max, &len, "MemTotal:       %8llu kB\nMemFree:        %8llu kB\n",
            (unsigned long long)limit / 1024, (unsigned long long)(limit - used) / 1024);
        add(buf, max, &len, "MemAvailable:   %8llu kB\n",
            (unsigned long long)(limit - used) / 1024);
        /* lx's own (Linux has no such line): the slots of lx's CNode in use */
        add(buf, max, &len, "LxSlots:        %8llu\n",
            (unsigned long long)(lx.env.next_slot - lx.env.nrecycle -
                                 (1ull << lx.env.cnode_radix) / 4));
        break;
    }
    case PF_CPUINFO:
        cpu_text(buf, max, &len);
        break;
    case PF_UPTIME: {
        uint64_t cs = wf_clock_ns() / 10000000ull;
        add(buf, max, &len, "%llu.%02llu 0.00\n", (unsigned long long)cs / 100,
            (unsigned long long)cs % 100);
        break;
    }
    case PF_MAPS:
    case PF_STAT:
    case PF_CMDLINE:
    case PF_COMM:
        if (!q)
            return -LX_ESRCH;
        if (f->sub == PF_MAPS) {
            maps_text(q, buf, max, &len);
        } else if (f->sub == PF_STAT) {
            stat_text(p, q, buf, max, &len);
        } else if (f->sub == PF_COMM) {
            add(buf, max, &len, "%s\n", q->name);
        } else if (q->state == PROC_RUN) { /* a zombie's is empty, as Linux's */
            len = q->cmdline_len < max ? q->cmdline_len : max;
            memcpy(buf, q->cmdline, len);
        }
        break;
    default:
        return -LX_EINVAL;
    }
    return (long)len;
}
