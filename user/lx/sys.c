/*
 * The x86-64 Linux system call table: number -> handler. A number without a
 * handler answers -ENOSYS and is logged once ("lx: ... not served"). docs/linux.md
 * lists every entry with what it does and does not do.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lx.h"
#include "lxsys.h"
#include "weft/invoke.h"
#include "wf/syscall.h"

uint64_t lx_syscalls_served;

#define NSIG 64
enum { SIG_DFL = 0, SIG_IGN = 1 };

/* --- processes --------------------------------------------------------------------- */

static long sys_exit_group(struct lx_call *c)
{
    lx_exit(c->p, (int)(c->a[0] & 0xff) << 8);
    return 0;
}

/* exit: the calling thread ends (the process with its last thread). */
static long sys_exit(struct lx_call *c)
{
    lx_thread_exit(c->t, (int)(c->a[0] & 0xff) << 8);
    return 0;
}

static long sys_gettid(struct lx_call *c)
{
    return c->t->tid;
}

static long sys_getpid(struct lx_call *c)
{
    return c->p->pid;
}

static long sys_getppid(struct lx_call *c)
{
    return c->p->ppid; /* 1: lx, the container's init */
}

static long sys_fork(struct lx_call *c)
{
    return lx_fork(c->t, c->w, 17, 0, 0);
}

/* vfork: a fork whose parent waits until the child has run execve or ended
 * (the child's memory is a copy, not the parent's: what a vfork child may do
 * does not tell them apart). */
static long sys_vfork(struct lx_call *c)
{
    struct lx_thread *t = c->t;
    if (t->vfork_child > 0)
        return -LX_BLOCK; /* still waiting (a retry) */
    if (t->vfork_child < 0) {
        long pid = -t->vfork_child;
        t->vfork_child = 0;
        return pid;
    }
    long pid = lx_fork(t, c->w, 17, 0, 0);
    if (pid < 0)
        return pid;
    t->vfork_child = (int)pid;
    return -LX_BLOCK;
}

static long sys_clone(struct lx_call *c)
{
    /* x86-64: flags, stack, parent_tid, child_tid, tls */
    if (c->a[0] & 0x10000) /* CLONE_THREAD */
        return lx_clone_thread(c->t, c->w, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
    if (c->t->vfork_child == 0 && (c->a[0] & 0x800)) /* CLONE_SIGHAND without a thread */
        return -LX_EINVAL;
    if (c->t->vfork_child == 0 && c->a[1])
        return -LX_EINVAL;  /* a new stack without a thread (shared memory): not served */
    if (c->a[0] & 0x4000) { /* CLONE_VFORK */
        struct lx_call d = *c;
        return sys_vfork(&d);
    }
    return lx_fork(c->t, c->w, c->a[0], c->a[2], c->a[3]);
}

static long sys_execve(struct lx_call *c)
{
    return lx_execve(c->t, c->a[0], c->a[1], c->a[2]);
}

static uint64_t cycles_ns(uint64_t cycles);
static long rusage_out(struct lx_proc *p, uint64_t to, uint64_t user_ns, uint64_t maxrss_kib);

static long sys_wait4(struct lx_call *c)
{
    int64_t pid = (int64_t)(int32_t)c->a[0];
    unsigned opt = (unsigned)c->a[2];
    if (opt & ~(1u | 2u | 8u | 0x40000000u | 0x80000000u | 0x20000000u))
        return -LX_EINVAL;
    if (pid == INT32_MIN)
        return -LX_ESRCH;
    int st = 0;
    struct lx_usage u;
    long r = lx_wait(c->p, pid, &st, opt & 1, true,
                     LX_WEXITED | (opt & (LX_WUNTRACED | LX_WCONTINUED)), &u);
    if (r <= 0)
        return r;
    /* as Linux: the child is reaped even when the status or the rusage
     * cannot be stored */
    if (c->a[1] && lx_copy_out(c->p, c->a[1], &st, 4) < 0)
        return -LX_EFAULT;
    if (c->a[3] && rusage_out(c->p, c->a[3], cycles_ns(u.cpu), u.rss) < 0)
        return -LX_EFAULT;
    return r;
}

static long sys_waitid(struct lx_call *c)
{
    unsigned type = (unsigned)c->a[0], opt = (unsigned)c->a[3];
    int64_t id = (int64_t)(int32_t)c->a[1];
    enum { WNOHANG = 1, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000 };
    if (!(opt & (WEXITED | WSTOPPED | WCONTINUED)) ||
        (opt & ~(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | 0xe0000000u)))
        return -LX_EINVAL;
    int64_t pid = type == 0 ? -1 : type == 1 ? id : type == 2 ? (id ? -id : 0) : INT64_MIN;
    if (pid == INT64_MIN || (type == 1 && id <= 0) || (type == 2 && id < 0))
        return -LX_EINVAL;
    int st = 0;
    struct lx_usage u;
    long r = lx_wait(c->p, pid, &st, opt & WNOHANG, !(opt & WNOWAIT),
                     opt & (WSTOPPED | WEXITED | WCONTINUED), &u);
    if (r < 0)
        return r;
    /* the fifth argument, struct rusage: the child's, as wait4's (reaped
     * all the same when it cannot be stored, as Linux) */
    if (r > 0 && c->a[4] && rusage_out(c->p, c->a[4], cycles_ns(u.cpu), u.rss) < 0)
        return -LX_EFAULT;
    /* siginfo_t: signo, errno, code, then pid, uid, status */
    int32_t si[32] = {0};
    if (r > 0) {
        si[0] = LX_SIGCHLD;
        si[4] = (int32_t)r;
        if (st == 0xffff) { /* CLD_CONTINUED */
            si[2] = 6;
            si[6] = LX_SIGCONT;
        } else if ((st & 0xff) == 0x7f) { /* CLD_STOPPED */
            si[2] = 5;
            si[6] = (st >> 8) & 0xff;
        } else {
            bool sig = (st & 0x7f) != 0;
            si[2] = sig ? ((st & 0x80) ? 3 : 2) : 1; /* CLD_DUMPED, CLD_KILLED, CLD_EXITED */
            si[6] = sig ? (st & 0x7f) : (st >> 8) & 0xff;
        }
    }
    if (c->a[2] && lx_copy_out(c->p, c->a[2], si, sizeof(si)) < 0)
        return -LX_EFAULT;
    return 0;
}

static struct lx_proc *find_pid(int64_t pid)
{
    for (unsigned i = 0; i < LX_MAX_PROCS; i++)
        if (lx.proc[i].used && lx.proc[i].pid == pid)
            return &lx.proc[i];
    return NULL;
}

static long sys_setpgid(struct lx_call *c)
{
    int64_t pid = (int64_t)(int32_t)c->a[0], pgid = (int64_t)(int32_t)c->a[1];
    if (pgid < 0)
        return -LX_EINVAL;
    struct lx_proc *q = pid ? find_pid(pid) : c->p;
    if (!q || (q != c->p && q->ppid != c->p->pid))
        return -LX_ESRCH;
    if (q->sid != c->p->sid || q->pid == q->sid)
        return -LX_EPERM;
    if (!pgid)
        pgid = q->pid;
    if (pgid != q->pid) { /* must name a group of the same session */
        bool found = false;
        for (unsigned i = 0; i < LX_MAX_PROCS; i++)
            found |= lx.proc[i].used && lx.proc[i].state == PROC_RUN && lx.proc[i].pgid == pgid &&
                     lx.proc[i].sid == c->p->sid;
        if (!found)
            return -LX_EPERM;
    }
    q->pgid = (int)pgid;
    return 0;
}

static long sys_getpgid(struct lx_call *c)
{
    struct lx_proc *q = c->a[0] ? find_pid((int64_t)(int32_t)c->a[0]) : c->p;
    return q && q->state == PROC_RUN ? q->pgid : -LX_ESRCH;
}

static long sys_getpgrp(struct lx_call *c)
{
    return c->p->pgid;
}

static long sys_setsid(struct lx_call *c)
{
    struct lx_proc *p = c->p;
    for (unsigned i = 0; i < LX_MAX_PROCS; i++)
        if (lx.proc[i].used && lx.proc[i].pgid == p->pid)
            return -LX_EPERM; /* already leads a process group */
    p->sid = p->pgid = p->pid;
    return p->pid;
}

static long sys_getsid(struct lx_call *c)
{
    struct lx_proc *q = c->a[0] ? find_pid((int64_t)(int32_t)c->a[0]) : c->p;
    return q && q->state == PROC_RUN ? q->sid : -LX_ESRCH;
}

/* pause, rt_sigsuspend: wait for a signal (one that ends the process: no
 * handler runs yet). */
static long sys_pause(struct lx_call *c)
{
    (void)c;
    return -LX_BLOCK;
}

/* poll and ppoll: ready descriptors at once; else 0 for a zero timeout, or
 * the caller waits (answered later: retried after every message, and at the
 * deadline of a finite timeout, when it answers 0). */
static long poll_until(struct lx_call *c, uint64_t nfds, int64_t timeout_ns)
{
    struct lx_thread *t = c->t;
    long n = lx_poll(c->p, c->a[0], nfds);
    if (n != 0 || timeout_ns == 0) {
        t->sleep_until = 0;
        return n;
    }
    if (t->sleep_until) { /* a retry of a poll with a deadline */
        if (wf_clock_ns() < t->sleep_until)
            return -LX_BLOCK;
        t->sleep_until = 0;
        return 0;
    }
    if (timeout_ns > 0)
        t->sleep_until = wf_clock_ns() + (uint64_t)timeout_ns;
    return -LX_BLOCK;
}

static long sys_poll(struct lx_call *c)
{
    int64_t ms = (int64_t)(int32_t)c->a[2];
    return poll_until(c, c->a[1], ms < 0 ? -1 : ms * 1000000);
}

static long sys_ppoll(struct lx_call *c)
{
    int64_t ns = -1;
    if (c->a[2] && !c->t->sleep_until) {
        int64_t ts[2];
        if (lx_copy_in(c->p, ts, c->a[2], sizeof(ts)) < 0)
            return -LX_EFAULT;
        if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
            return -LX_EINVAL;
        ns = ts[0] * 1000000000 + ts[1];
    } else if (c->a[2]) {
        ns = 1; /* a retry: the deadline is kept */
    }
    return poll_until(c, c->a[1], ns);
}

static long sys_pipe2(struct lx_call *c)
{
    return lx_pipe2(c->p, c->a[0], (unsigned)c->a[1]);
}

static long sys_pipe(struct lx_call *c)
{
    return lx_pipe2(c->p, c->a[0], 0);
}

static long sys_zero(struct lx_call *c)
{
    (void)c;
    return 0;
}

static long sys_set_tid_address(struct lx_call *c)
{
    c->t->clear_tid = c->a[0];
    return c->t->tid;
}

static long sys_arch_prctl(struct lx_call *c)
{
    switch (c->a[0]) {
    case 0x1002: /* ARCH_SET_FS */
        if (wf_tcb_set_tls(c->t->tcb, c->a[1]) != WF_ERR_OK)
            return -LX_EPERM;
        c->t->fs_base = c->a[1];
        return 0;
    case 0x1003: /* ARCH_GET_FS */
        return lx_copy_out(c->p, c->a[1], &c->t->fs_base, 8);
    default:
        return -LX_EINVAL;
    }
}

static long sys_uname(struct lx_call *c)
{
    char u[6][65];
    memset(u, 0, sizeof(u));
    strcpy(u[0], "Linux");
    strcpy(u[1], "weft");
    strcpy(u[2], "6.1.0-lx");
    strcpy(u[3], "#1 Weft lx");
    strcpy(u[4], "x86_64");
    strcpy(u[5], "(none)");
    return lx_copy_out(c->p, c->a[0], u, sizeof(u));
}

static long sys_prlimit64(struct lx_call *c)
{
    unsigned res = (unsigned)c->a[1];
    if (res >= 16)
        return -LX_EINVAL;
    if (c->a[0] && c->a[0] != (uint64_t)c->p->pid)
        return -LX_ESRCH;
    if (c->a[3]) {
        uint64_t lim[2] = {~0ull, ~0ull};
        if (res == 3) { /* RLIMIT_STACK */
            lim[0] = LX_STACK_SIZE;
        } else if (res == 7) { /* RLIMIT_NOFILE */
            lim[0] = lim[1] = LX_MAX_FDS;
        }
        return lx_copy_out(c->p, c->a[3], lim, sizeof(lim));
    }
    return 0; /* a new limit is accepted and not enforced */
}

static long sys_getrlimit(struct lx_call *c)
{
    struct lx_call d = *c;
    d.a[0] = 0;
    d.a[1] = c->a[0];
    d.a[2] = 0;
    d.a[3] = c->a[1];
    return sys_prlimit64(&d);
}

static long sys_sched_getaffinity(struct lx_call *c)
{
    if (c->a[1] < 8)
        return -LX_EINVAL;
    uint64_t mask = 1;
    long e = lx_copy_out(c->p, c->a[2], &mask, 8);
    return e < 0 ? e : 8;
}

static long sys_getrandom(struct lx_call *c)
{
    uint8_t buf[256];
    uint64_t done = 0, n = c->a[1] > (1u << 25) ? (1u << 25) : c->a[1];
    while (done < n) {
        size_t k = n - done < sizeof(buf) ? n - done : sizeof(buf);
        lx_random(buf, k);
        if (lx_copy_out(c->p, c->a[0] + done, buf, k) < 0)
            return done ? (long)done : -LX_EFAULT;
        done += k;
    }
    return (long)done;
}

/* getpriority, setpriority: each process's nice value (-20..19; fork keeps
 * it); which: PRIO_PROCESS (a pid, 0 the caller), PRIO_PGRP (a group, 0 the
 * caller's), PRIO_USER (uid 0: every process; any other uid has none). */
static long priority_each(struct lx_call *c, bool set, int nice)
{
    unsigned which = (unsigned)c->a[0];
    int64_t who = (int64_t)(int32_t)c->a[1];
    if (which > 2)
        return -LX_EINVAL;
    if (which == 0 && !who)
        who = c->p->pid;
    if (which == 1 && !who)
        who = c->p->pgid;
    int best = 100; /* the lowest nice of those selected (Linux: the highest priority) */
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        struct lx_proc *q = &lx.proc[i];
        if (!q->used || q->state != PROC_RUN)
            continue;
        if ((which == 0 && q->pid != who) || (which == 1 && q->pgid != who) ||
            (which == 2 && who != 0))
            continue;
        if (set)
            q->nice = nice;
        if (q->nice < best)
            best = q->nice;
    }
    if (best == 100 && which == 0 && who > 1) { /* a thread's tid: its process */
        struct lx_thread *t = lx_thread_by_tid((int)who);
        if (t) {
            if (set)
                t->p->nice = nice;
            best = t->p->nice;
        }
    }
    if (best == 100)
        return -LX_ESRCH;
    return set ? 0 : 20 - best; /* the call's answer: 40..1 for nice -20..19 */
}

static long sys_getpriority(struct lx_call *c)
{
    return priority_each(c, false, 0);
}

static long sys_setpriority(struct lx_call *c)
{
    int64_t nice = (int64_t)(int32_t)c->a[2];
    nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
    return priority_each(c, true, (int)nice);
}

/* sched_setaffinity: lx's processes have one CPU, 0: a mask must hold it
 * (EINVAL otherwise, as Linux for a mask of no CPU it has). */
static long sys_sched_setaffinity(struct lx_call *c)
{
    int64_t pid = (int64_t)(int32_t)c->a[0];
    if (pid < 0)
        return -LX_ESRCH;
    if (pid && !find_pid(pid) && !lx_thread_by_tid((int)pid))
        return -LX_ESRCH;
    uint8_t first = 0;
    if (c->a[1] && lx_copy_in(c->p, &first, c->a[2], 1) < 0)
        return -LX_EFAULT;
    return first & 1 ? 0 : -LX_EINVAL;
}

/* prctl: PR_SET_NAME and PR_GET_NAME (the process's comm, 15 bytes at
 * most: /proc/PID/stat and comm show it); other options EINVAL, logged
 * once each (the first 8). */
static long sys_prctl(struct lx_call *c)
{
    enum { PR_SET_NAME = 15, PR_GET_NAME = 16 };
    char name[16];
    switch (c->a[0]) {
    case PR_SET_NAME: {
        long n = lx_copy_str(c->p, name, c->a[1], sizeof(name));
        if (n < 0 && n != -LX_ENAMETOOLONG)
            return -LX_EFAULT;
        name[sizeof(name) - 1] = 0;
        snprintf(c->p->name, sizeof(name), "%s", name);
        return 0;
    }
    case PR_GET_NAME:
        memset(name, 0, sizeof(name));
        snprintf(name, sizeof(name), "%s", c->p->name);
        return lx_copy_out(c->p, c->a[1], name, sizeof(name)) < 0 ? -LX_EFAULT : 0;
    default: {
        static uint64_t logged; /* the options below 64 already logged */
        static unsigned lines;  /* at most 8: a program cannot flood the console */
        uint64_t op = c->a[0];
        bool seen = op < 64 && (logged & (1ull << op));
        if (!seen && lines < 8) {
            lines++;
            if (op < 64)
                logged |= 1ull << op;
            lx_say("pid %d (%s): prctl option %llu not served: EINVAL", c->p->pid, c->p->name,
                   (unsigned long long)op);
        }
        return -LX_EINVAL;
    }
    }
}

/* membarrier: the commands that need no rseq (lx has none). A barrier
 * suspends and resumes each thread running user code (of the caller's
 * process, or of every process for the global commands), which takes it
 * through the kernel, a full and serialising barrier; threads in a call lx
 * holds are in the kernel already. */
static long sys_membarrier(struct lx_call *c)
{
    enum {
        QUERY = 0,
        GLOBAL = 1,
        GLOBAL_EXPEDITED = 2,
        REGISTER_GLOBAL_EXPEDITED = 4,
        PRIVATE_EXPEDITED = 8,
        REGISTER_PRIVATE_EXPEDITED = 16,
        PRIVATE_EXPEDITED_SYNC_CORE = 32,
        REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64,
        SERVED = 127,
    };
    uint64_t cmd = c->a[0];
    if (c->a[1])
        return -LX_EINVAL;
    bool private = false;
    switch (cmd) {
    case QUERY:
        return SERVED;
    case REGISTER_GLOBAL_EXPEDITED:
        return 0;
    case REGISTER_PRIVATE_EXPEDITED:
    case REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
        c->p->membarrier_private = true;
        return 0;
    case PRIVATE_EXPEDITED:
    case PRIVATE_EXPEDITED_SYNC_CORE:
        if (!c->p->membarrier_private)
            return -LX_EPERM;
        private = true;
        break;
    case GLOBAL:
    case GLOBAL_EXPEDITED:
        break;
    default:
        return -LX_EINVAL;
    }
    for (unsigned i = 0; i < lx.thread_hi; i++) {
        struct lx_thread *t = &lx.thread[i];
        if (!t->used || t == c->t || t->waiting || t->stopped_tcb || (private && t->p != c->p) ||
            t->p->state != PROC_RUN)
            continue;
        if (wf_tcb_suspend(t->tcb) == WF_ERR_OK)
            wf_tcb_resume(t->tcb);
    }
    return 0;
}

/* --- resource use ---------------------------------------------------------------------
 *
 * The kernel counts no thread's time, so lx reports as user time the time
 * each thread was not waiting in a call lx answers later (a busy thread's
 * time, as Linux's would be; a sleeping one's does not grow), kept in
 * wf_cycles() units and turned into nanoseconds by the counter's rate
 * against the clock since lx began. System time is 0: lx serves the calls,
 * in time of its own. */

static uint64_t cycles0, clock0; /* lx_sys_init's readings */

static uint64_t cycles_ns(uint64_t cycles)
{
    uint64_t dc = wf_cycles() - cycles0, dn = wf_clock_ns() - clock0;
    if (!dc || !dn)
        return cycles;
    return (uint64_t)((double)cycles * ((double)dn / (double)dc));
}

static uint64_t proc_cpu(const struct lx_proc *p)
{
    uint64_t now = wf_cycles(), c = p->cpu_done;
    for (unsigned i = 0; i < lx.thread_hi; i++)
        if (lx.thread[i].used && lx.thread[i].p == p)
            c += lx_thread_cpu(&lx.thread[i], now);
    return cycles_ns(c);
}

/* struct rusage: ru_utime, ru_stime (timevals), then 14 longs (ru_maxrss in
 * KiB: the process's pool use for RUSAGE_SELF and RUSAGE_THREAD, the
 * largest of the waited-for children's pool use when they ended for
 * RUSAGE_CHILDREN and wait4). */
static long rusage_out(struct lx_proc *p, uint64_t to, uint64_t user_ns, uint64_t maxrss_kib)
{
    int64_t r[18] = {0};
    r[0] = (int64_t)(user_ns / 1000000000ull);
    r[1] = (int64_t)(user_ns % 1000000000ull / 1000);
    r[4] = (int64_t)maxrss_kib;
    return lx_copy_out(p, to, r, sizeof(r)) < 0 ? -LX_EFAULT : 0;
}

static uint64_t self_rss(const struct lx_proc *p)
{
    wf_word_t used = 0;
    return wf_pool_info(p->pool, &used, NULL, NULL, NULL) == WF_ERR_OK ? used / 1024 : 0;
}

static long sys_getrusage(struct lx_call *c)
{
    int64_t who = (int64_t)(int32_t)c->a[0];
    switch (who) {
    case 0: /* RUSAGE_SELF */
        return rusage_out(c->p, c->a[1], proc_cpu(c->p), self_rss(c->p));
    case -1: /* RUSAGE_CHILDREN: those waited for */
        return rusage_out(c->p, c->a[1], cycles_ns(c->p->child_cpu), c->p->child_rss);
    case 1: /* RUSAGE_THREAD */
        return rusage_out(c->p, c->a[1], cycles_ns(lx_thread_cpu(c->t, wf_cycles())),
                          self_rss(c->p));
    default:
        return -LX_EINVAL;
    }
}

/* times: the same times in clock ticks (100 a second); returns the ticks
 * since boot. */
static long sys_times(struct lx_call *c)
{
    const uint64_t tick = 10000000ull;
    if (c->a[0]) {
        int64_t t[4] = {(int64_t)(proc_cpu(c->p) / tick), 0,
                        (int64_t)(cycles_ns(c->p->child_cpu) / tick), 0};
        if (lx_copy_out(c->p, c->a[0], t, sizeof(t)) < 0)
            return -LX_EFAULT;
    }
    return (long)(wf_clock_ns() / tick);
}

/* sysinfo: the uptime, lx's pool as the RAM (in bytes, mem_unit 1), the
 * number of threads; no load, swap or high memory. */
static long sys_sysinfo(struct lx_call *c)
{
    struct {
        int64_t uptime;
        uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
        uint16_t procs, pad;
        uint64_t totalhigh, freehigh;
        uint32_t mem_unit;
    } si;
    _Static_assert(sizeof(si) == 112, "Linux's struct sysinfo");
    memset(&si, 0, sizeof(si));
    wf_word_t used = 0, limit = 0;
    wf_pool_info(WF_CHILD_POOL, &used, &limit, NULL, NULL);
    si.uptime = (int64_t)((wf_clock_ns() + 999999999ull) / 1000000000ull);
    si.totalram = limit;
    si.freeram = limit > used ? limit - used : 0;
    for (unsigned i = 0; i < lx.thread_hi; i++)
        si.procs += lx.thread[i].used;
    si.mem_unit = 1;
    return lx_copy_out(c->p, c->a[0], &si, sizeof(si)) < 0 ? -LX_EFAULT : 0;
}

/* --- signals ---------------------------------------------- */

static bool ignored_by_default(int sig);

static long sys_rt_sigaction(struct lx_call *c)
{
    int sig = (int)c->a[0];
    if (sig < 1 || sig > NSIG || c->a[3] != 8)
        return -LX_EINVAL;
    if (c->a[2] && lx_copy_out(c->p, c->a[2], c->p->sigaction[sig], 32) < 0)
        return -LX_EFAULT;
    if (c->a[1]) {
        if (sig == 9 || sig == 19)
            return -LX_EINVAL;
        uint64_t act[4];
        if (lx_copy_in(c->p, act, c->a[1], sizeof(act)) < 0)
            return -LX_EFAULT;
        memcpy(c->p->sigaction[sig], act, sizeof(act));
        if (act[0] == SIG_IGN || (act[0] == SIG_DFL && ignored_by_default(sig))) {
            uint64_t bit = 1ull << (sig - 1); /* POSIX: discarded, from every thread */
            c->p->sigpending &= ~bit;
            for (unsigned i = 0; i < lx.thread_hi; i++)
                if (lx.thread[i].used && lx.thread[i].p == c->p)
                    lx.thread[i].sigpending &= ~bit;
        }
    }
    return 0;
}

static long sys_rt_sigprocmask(struct lx_call *c)
{
    if (c->a[3] != 8)
        return -LX_EINVAL;
    uint64_t old = c->t->sigmask;
    if (c->a[1]) {
        uint64_t set;
        if (lx_copy_in(c->p, &set, c->a[1], 8) < 0)
            return -LX_EFAULT;
        set &= ~((1ull << 8) | (1ull << 18)); /* SIGKILL, SIGSTOP */
        if (c->a[0] == 0)
            c->t->sigmask |= set;
        else if (c->a[0] == 1)
            c->t->sigmask &= ~set;
        else if (c->a[0] == 2)
            c->t->sigmask = set;
        else
            return -LX_EINVAL;
    }
    if (c->a[2] && lx_copy_out(c->p, c->a[2], &old, 8) < 0)
        return -LX_EFAULT;
    return 0;
}

static bool ignored_by_default(int sig)
{
    /* SIGCHLD, SIGCONT (once it has continued the process), SIGURG, SIGWINCH */
    return sig == 17 || sig == 18 || sig == 23 || sig == 28;
}

static bool stop_signal(int sig)
{
    return sig >= LX_SIGSTOP && sig <= LX_SIGTTOU;
}

#define STOP_BITS (0xfull << (LX_SIGSTOP - 1))
#define CONT_BIT  (1ull << (LX_SIGCONT - 1))

/* Whether process group pgid is orphaned (POSIX): no member has a parent
 * in another group of the same session (lx, pid 1, counts for none, as
 * Linux's init). The stop signals but SIGSTOP do not stop such a group. */
bool lx_group_orphaned(int pgid)
{
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        const struct lx_proc *q = &lx.proc[i];
        if (!q->used || q->state != PROC_RUN || q->pgid != pgid || q->ppid == 1)
            continue;
        const struct lx_proc *parent = lx_proc_of_any(q->ppid);
        if (parent && parent->pgid != pgid && parent->sid == q->sid)
            return false;
    }
    return true;
}

/* SIGCHLD to p's parent for a stop (CLD_STOPPED) or a continue
 * (CLD_CONTINUED), unless the parent asked SA_NOCLDSTOP. */
static void notify_parent(struct lx_proc *p, int code, int status)
{
    struct lx_proc *parent = p->ppid != 1 ? lx_proc_of_any(p->ppid) : NULL;
    if (!parent || parent->state != PROC_RUN || (parent->sigaction[LX_SIGCHLD][1] & 1))
        return;
    parent->siginfo[LX_SIGCHLD].code = code;
    parent->siginfo[LX_SIGCHLD].pid = p->pid;
    parent->siginfo[LX_SIGCHLD].status = status;
    lx_signal(parent, LX_SIGCHLD);
}

/* p stops (sig): every thread running user code is suspended; threads lx
 * holds (a waiting call, the one being answered) are not answered until it
 * goes on (main.c). The parent is told (SIGCHLD, wait's WUNTRACED). */
void lx_stop(struct lx_proc *p, int sig)
{
    if (p->state != PROC_RUN || p->stopped)
        return;
    p->stopped = true;
    p->stop_sig = sig;
    p->stop_report = true;
    p->cont_report = false;
    lx.nstops++;
    for (unsigned i = 0; i < lx.thread_hi; i++) {
        struct lx_thread *t = &lx.thread[i];
        if (t->used && t->p == p && !t->waiting && t != lx.serving && !t->stopped_tcb &&
            wf_tcb_suspend(t->tcb) == WF_ERR_OK)
            t->stopped_tcb = true;
    }
    lx.nsignalled++;
    notify_parent(p, 5, sig); /* CLD_STOPPED */
}

/* A stopped p goes on: its suspended threads resume (a call one was sending
 * is made again), its held answers go out (main.c's wake). */
void lx_continue(struct lx_proc *p)
{
    if (p->state != PROC_RUN || !p->stopped)
        return;
    p->stopped = false;
    p->stop_report = false;
    p->cont_report = true;
    lx.nstops++;
    for (unsigned i = 0; i < lx.thread_hi; i++) {
        struct lx_thread *t = &lx.thread[i];
        if (t->used && t->p == p && t->stopped_tcb) {
            t->stopped_tcb = false;
            wf_tcb_resume(t->tcb);
        }
    }
    lx.nsignalled++;
    notify_parent(p, 6, LX_SIGCONT); /* CLD_CONTINUED */
}

/* What a signal does as it is sent, whatever its action (Linux's
 * prepare_signal): a stop signal discards a pending SIGCONT; SIGCONT discards
 * pending stop signals and continues a stopped process. */
static void prepare(struct lx_proc *p, int sig)
{
    uint64_t drop = stop_signal(sig) ? CONT_BIT : sig == LX_SIGCONT ? STOP_BITS : 0;
    if (!drop)
        return;
    p->sigpending &= ~drop;
    for (unsigned i = 0; i < lx.thread_hi; i++)
        if (lx.thread[i].used && lx.thread[i].p == p)
            lx.thread[i].sigpending &= ~drop;
    if (sig == LX_SIGCONT)
        lx_continue(p);
}

/* A signal's default action on p that is not ignoring it: a stop signal stops
 * p (but for SIGSTOP, not in an orphaned group: dropped), any other ends it. */
static void default_action(struct lx_proc *p, int sig)
{
    if (!stop_signal(sig))
        lx_exit(p, sig);
    else if (sig == LX_SIGSTOP || !lx_group_orphaned(p->pgid))
        lx_stop(p, sig);
}

/* A signal to process p (kill): SIGKILL ends it; an ignored signal is
 * dropped; one with a handler, or one every thread blocks, waits in p's
 * sigpending, for the first thread that does not block it (lx_deliver); any
 * other takes its default action (ends p, or stops it). */
long lx_signal(struct lx_proc *p, int sig)
{
    if (sig <= 0 || sig > NSIG || p->state != PROC_RUN)
        return 0;
    p->siginfo[sig].fault = false; /* sent, not a fault's (main.c) */
    if (sig == LX_SIGKILL) {
        lx_exit(p, sig);
        return 0;
    }
    prepare(p, sig);
    uint64_t h = p->sigaction[sig][0], bit = 1ull << (sig - 1);
    bool blocked = true;
    for (unsigned i = 0; i < lx.thread_hi && blocked; i++)
        if (lx.thread[i].used && lx.thread[i].p == p && !(lx.thread[i].sigmask & bit))
            blocked = false;
    /* an ignored signal is dropped, but a blocked one stays pending (its
     * action may change before it is unblocked; sigtimedwait may take it) */
    if (!blocked && (h == SIG_IGN || (h == SIG_DFL && ignored_by_default(sig))))
        return 0;
    if (blocked || h > SIG_IGN || p->stopped) { /* a stopped process takes it once it goes on */
        p->sigpending |= bit;
        lx.nsignalled++;
        return 0;
    }
    default_action(p, sig);
    return 0;
}

/* A signal to thread t alone (tkill, tgkill, a fault): as lx_signal, but
 * pending for t (its default action still acts on the whole process). */
long lx_signal_thread(struct lx_thread *t, int sig)
{
    struct lx_proc *p = t->p;
    if (sig <= 0 || sig > NSIG || p->state != PROC_RUN)
        return 0;
    p->siginfo[sig].fault = false;
    if (sig == LX_SIGKILL) {
        lx_exit(p, sig);
        return 0;
    }
    prepare(p, sig);
    uint64_t h = p->sigaction[sig][0], bit = 1ull << (sig - 1);
    if (!(t->sigmask & bit) && (h == SIG_IGN || (h == SIG_DFL && ignored_by_default(sig))))
        return 0;
    if ((t->sigmask & bit) || h > SIG_IGN || p->stopped) {
        t->sigpending |= bit;
        lx.nsignalled++;
        return 0;
    }
    default_action(p, sig);
    return 0;
}

/* A signal to every process of group pgid (the terminal's ^C, ^Z; kill of a
 * group); -ESRCH when there is none. */
long lx_signal_group(int pgid, int sig)
{
    long r = -LX_ESRCH;
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        struct lx_proc *q = &lx.proc[i];
        if (q->used && q->state == PROC_RUN && q->pgid == pgid) {
            q->siginfo[sig].code = 0x80; /* SI_KERNEL */
            q->siginfo[sig].pid = 0;
            q->siginfo[sig].status = 0;
            lx_signal(q, sig);
            r = 0;
        }
    }
    return r;
}

/* Whether the call of fault message w, waiting when sig came, starts again
 * after the handler (SA_RESTART) rather than failing with EINTR. */
bool lx_restartable(struct lx_thread *t, const wf_word_t *w, int sig)
{
    uint64_t nr = w[WF_FAULT_WORD_RAX];
    if (nr == 34 || nr == 130 || nr == 35 || nr == 230 || nr == 128)
        return false; /* pause, sigsuspend, sleeps, sigtimedwait: EINTR always, as Linux */
    return (t->p->sigaction[sig][1] & 0x10000000) != 0; /* SA_RESTART */
}

enum {
    SA_SIGINFO = 4,
    SA_ONSTACK = 0x08000000,
    SA_NODEFER = 0x40000000,
    SA_RESETHAND = 0x80000000,
    UNBLOCKABLE = (1ull << 8) | (1ull << 18), /* SIGKILL, SIGSTOP */
};

/* Linux's x86-64 signal frame (arch/x86/kernel/signal.c): the return address
 * (sa_restorer), then struct ucontext (flags, link, stack, sigcontext, mask),
 * then siginfo. No FPU state is saved: a handler runs at a system call or a
 * fault, where the C calling convention already lets it clobber them. */
struct sigframe {
    uint64_t pretcode;
    uint64_t uc_flags, uc_link;
    uint64_t ss_sp, ss_flags, ss_size;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2, fpstate, reserved1[8];
    uint64_t uc_sigmask;
    int32_t si_signo, si_errno, si_code, si_pad; /* siginfo_fill writes from si_signo */
    union {
        struct {
            int32_t pid, uid, status;
        } kill;
        uint64_t addr;
        uint8_t bytes[112];
    } si;
};
_Static_assert(sizeof(struct sigframe) == 8 + 304 + 128, "Linux's rt_sigframe without FPU state");

/* Linux's siginfo_t (128 bytes) for sig as p's siginfo[sig] says: si_addr
 * for a fault; the sender's pid, uid 0 and (SIGCHLD) the status otherwise. */
static void siginfo_fill(const struct lx_proc *p, int sig, int32_t *si)
{
    memset(si, 0, 128);
    si[0] = sig;
    si[2] = p->siginfo[sig].code;
    if (p->siginfo[sig].fault) {
        uint64_t addr = p->siginfo[sig].addr;
        memcpy(&si[4], &addr, 8);
    } else {
        si[4] = p->siginfo[sig].pid;
        si[6] = p->siginfo[sig].status;
    }
}

/* Acts on p's pending signals it does not block, with regs the registers its
 * thread is about to resume with: an ignored one is dropped, a default action
 * ends p (its state says so), a handler gets a frame on the user stack and
 * regs are changed to run it. True when regs changed or p ended. */
bool lx_deliver(struct lx_thread *t, wf_word_t *regs)
{
    struct lx_proc *p = t->p;
    for (;;) {
        int sig = lx_signal_next(t);
        if (!sig)
            return false;
        uint64_t bit = 1ull << (sig - 1);
        if (t->sigpending & bit)
            t->sigpending &= ~bit;
        else
            p->sigpending &= ~bit;
        uint64_t *act = p->sigaction[sig];
        if (act[0] == SIG_IGN || (act[0] == SIG_DFL && ignored_by_default(sig)))
            continue;
        if (act[0] == SIG_DFL) {
            default_action(p, sig);
            if (stop_signal(sig))
                continue; /* stopped (or dropped): the answer waits (main.c) */
            return true;
        }
        uint64_t sp = regs[WF_FAULT_WORD_RSP];
        bool on_alt = t->ss_size && sp - t->ss_sp <= t->ss_size;
        if ((act[1] & SA_ONSTACK) && t->ss_size && !on_alt)
            sp = t->ss_sp + t->ss_size; /* the alternate stack (sigaltstack) */
        else
            sp -= 128; /* the red zone */
        sp = ((sp - (sizeof(struct sigframe) - 8)) & ~15ull) - 8;
        struct sigframe f;
        memset(&f, 0, sizeof(f));
        f.pretcode = act[2];
        f.ss_sp = t->ss_sp;
        f.ss_size = t->ss_size;
        f.ss_flags = t->ss_size ? 0 : 2; /* SS_DISABLE */
        f.r8 = regs[WF_FAULT_WORD_R8];
        f.r9 = regs[WF_FAULT_WORD_R9];
        f.r10 = regs[WF_FAULT_WORD_R10];
        f.r11 = regs[WF_FAULT_WORD_R11];
        f.r12 = regs[WF_FAULT_WORD_R12];
        f.r13 = regs[WF_FAULT_WORD_R13];
        f.r14 = regs[WF_FAULT_WORD_R14];
        f.r15 = regs[WF_FAULT_WORD_R15];
        f.rdi = regs[WF_FAULT_WORD_RDI];
        f.rsi = regs[WF_FAULT_WORD_RSI];
        f.rbp = regs[WF_FAULT_WORD_RBP];
        f.rbx = regs[WF_FAULT_WORD_RBX];
        f.rdx = regs[WF_FAULT_WORD_RDX];
        f.rax = regs[WF_FAULT_WORD_RAX];
        f.rcx = regs[WF_FAULT_WORD_RCX];
        f.rsp = regs[WF_FAULT_WORD_RSP];
        f.rip = regs[WF_FAULT_WORD_RIP];
        f.eflags = regs[WF_FAULT_WORD_RFLAGS];
        f.cs = 0x33;
        f.ss = 0x2b;
        f.oldmask = f.uc_sigmask = t->suspended ? t->suspend_mask : t->sigmask;
        int32_t si[32];
        siginfo_fill(p, sig, si);
        memcpy((char *)&f + offsetof(struct sigframe, si_signo), si, sizeof(si));
        if (p->siginfo[sig].fault) { /* the sigcontext's trap number, error code and cr2 */
            f.trapno = p->siginfo[sig].trapno;
            f.err = p->siginfo[sig].err;
            f.cr2 = f.trapno == 14 ? p->siginfo[sig].addr : 0;
        }
        if (lx_copy_out(p, sp, &f, sizeof(f)) < 0) {
            lx_exit(p, LX_SIGSEGV); /* Linux: no room for the frame */
            return true;
        }
        uint64_t handler = act[0];
        t->suspended = false;
        t->sigmask |= act[3];
        if (!(act[1] & SA_NODEFER))
            t->sigmask |= bit;
        t->sigmask &= ~(uint64_t)UNBLOCKABLE;
        if (act[1] & SA_RESETHAND)
            memset(act, 0, 4 * sizeof(act[0]));
        regs[WF_FAULT_WORD_RIP] = handler;
        regs[WF_FAULT_WORD_RSP] = sp;
        regs[WF_FAULT_WORD_RDI] = (wf_word_t)sig;
        regs[WF_FAULT_WORD_RSI] = sp + offsetof(struct sigframe, si_signo);
        regs[WF_FAULT_WORD_RDX] = sp + offsetof(struct sigframe, uc_flags);
        regs[WF_FAULT_WORD_RAX] = 0;
        regs[WF_FAULT_WORD_RFLAGS] &= ~(wf_word_t)((1u << 10) | (1u << 8)); /* DF, TF */
        return true;
    }
}

/* rt_sigreturn: the registers and mask of the frame at the stack pointer (the
 * handler's return popped pretcode). */
static long sys_rt_sigreturn(struct lx_call *c)
{
    struct sigframe f;
    uint64_t at = c->w[WF_FAULT_WORD_RSP] - 8;
    if (lx_copy_in(c->p, &f, at, offsetof(struct sigframe, si_signo)) < 0) {
        lx_exit(c->p, LX_SIGSEGV);
        return 0;
    }
    wf_word_t *r = c->t->regs;
    r[WF_FAULT_WORD_RAX] = f.rax;
    r[WF_FAULT_WORD_RIP] = f.rip;
    r[WF_FAULT_WORD_RSP] = f.rsp;
    r[WF_FAULT_WORD_RFLAGS] = f.eflags;
    r[WF_FAULT_WORD_RBX] = f.rbx;
    r[WF_FAULT_WORD_RCX] = f.rcx;
    r[WF_FAULT_WORD_RDX] = f.rdx;
    r[WF_FAULT_WORD_RSI] = f.rsi;
    r[WF_FAULT_WORD_RDI] = f.rdi;
    r[WF_FAULT_WORD_RBP] = f.rbp;
    r[WF_FAULT_WORD_R8] = f.r8;
    r[WF_FAULT_WORD_R9] = f.r9;
    r[WF_FAULT_WORD_R10] = f.r10;
    r[WF_FAULT_WORD_R11] = f.r11;
    r[WF_FAULT_WORD_R12] = f.r12;
    r[WF_FAULT_WORD_R13] = f.r13;
    r[WF_FAULT_WORD_R14] = f.r14;
    r[WF_FAULT_WORD_R15] = f.r15;
    c->t->sigmask = f.uc_sigmask & ~(uint64_t)UNBLOCKABLE;
    c->t->full = true;
    return (long)f.rax;
}

static long sys_rt_sigpending(struct lx_call *c)
{
    if (c->a[1] > 8)
        return -LX_EINVAL;
    uint64_t set = (c->t->sigpending | c->p->sigpending) & c->t->sigmask; /* as Linux */
    return lx_copy_out(c->p, c->a[0], &set, c->a[1]);
}

/* rt_sigsuspend: the given mask until a signal is delivered, then the old one
 * again (the frame keeps it). */
static long sys_rt_sigsuspend(struct lx_call *c)
{
    if (!c->t->suspended) {
        uint64_t set;
        if (c->a[1] != 8)
            return -LX_EINVAL;
        if (lx_copy_in(c->p, &set, c->a[0], 8) < 0)
            return -LX_EFAULT;
        c->t->suspend_mask = c->t->sigmask;
        c->t->sigmask = set & ~(uint64_t)UNBLOCKABLE;
        c->t->suspended = true;
    }
    return -LX_BLOCK;
}

/* rt_sigtimedwait: takes a pending signal of the set (the thread's own
 * first), its siginfo to info; otherwise waits (answered later) until one
 * comes, EAGAIN at the end of the timeout (at once for a zero one), EINTR
 * when a signal outside the set runs its handler first. While it waits the
 * set is blocked for delivery (suspend_mask keeps the mask to restore), so
 * that a signal of the set is taken here, not delivered. */
static long sys_rt_sigtimedwait(struct lx_call *c)
{
    struct lx_thread *t = c->t;
    if (c->a[3] != 8)
        return -LX_EINVAL;
    uint64_t set;
    if (lx_copy_in(c->p, &set, c->a[0], 8) < 0)
        return -LX_EFAULT;
    set &= ~(uint64_t)UNBLOCKABLE;
    bool retry = t->suspended;
    if (!retry && c->a[2]) {
        int64_t ts[2];
        if (lx_copy_in(c->p, ts, c->a[2], sizeof(ts)) < 0)
            return -LX_EFAULT;
        if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
            return -LX_EINVAL;
        t->sleep_until = wf_clock_ns() + (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
    }
    uint64_t ready = (t->sigpending | c->p->sigpending) & set;
    bool expired = !ready && c->a[2] && wf_clock_ns() >= t->sleep_until;
    if (!ready && !expired) {
        if (!retry) {
            t->suspend_mask = t->sigmask;
            t->sigmask |= set;
            t->suspended = true;
        }
        return -LX_BLOCK;
    }
    if (retry) {
        t->sigmask = t->suspend_mask;
        t->suspended = false;
    }
    t->sleep_until = 0;
    if (!ready)
        return -LX_EAGAIN;
    uint64_t mine = t->sigpending & set;
    int sig = __builtin_ctzll(mine ? mine : ready) + 1;
    uint64_t bit = 1ull << (sig - 1);
    if (mine)
        t->sigpending &= ~bit;
    else
        c->p->sigpending &= ~bit;
    if (c->a[1]) {
        int32_t si[32];
        siginfo_fill(c->p, sig, si);
        if (lx_copy_out(c->p, c->a[1], si, sizeof(si)) < 0)
            return -LX_EFAULT;
    }
    return sig;
}

/* kill(pid, sig): one process, a process group (0: the caller's, < -1:
 * -pid's), or every process but lx (-1). */
static long sys_kill(struct lx_call *c)
{
    int64_t pid = (int64_t)(int32_t)c->a[0];
    int sig = (int)c->a[1];
    if (sig < 0 || sig > NSIG)
        return -LX_EINVAL;
    if (pid == 1)
        return -LX_EPERM; /* lx: nothing a process may signal */
    struct lx_proc *targets[LX_MAX_PROCS];
    unsigned n = 0;
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        struct lx_proc *q = &lx.proc[i];
        if (!q->used || q->state != PROC_RUN)
            continue;
        if ((pid > 0 && q->pid == pid) || (pid == 0 && q->pgid == c->p->pgid) || pid == -1 ||
            (pid < -1 && q->pgid == -pid))
            targets[n++] = q;
    }
    if (!n && pid > 1) { /* a thread's tid: its process, as Linux */
        struct lx_thread *t = lx_thread_by_tid((int)pid);
        if (t)
            targets[n++] = t->p;
    }
    if (!n)
        return -LX_ESRCH;
    for (unsigned i = 0; i < n && sig; i++) { /* SI_USER, from the caller */
        targets[i]->siginfo[sig].code = 0;
        targets[i]->siginfo[sig].pid = c->p->pid;
        targets[i]->siginfo[sig].status = 0;
    }
    /* the caller last: its own end leaves no one to answer */
    for (unsigned i = 0; i < n; i++)
        if (targets[i] != c->p)
            lx_signal(targets[i], sig);
    for (unsigned i = 0; i < n; i++)
        if (targets[i] == c->p)
            lx_signal(c->p, sig);
    return 0;
}

/* tkill(tid, sig) and tgkill(tgid, tid, sig): to one thread (SI_TKILL, from
 * the caller). */
static long thread_kill(struct lx_call *c, int64_t tgid, int64_t tid, int64_t sig)
{
    if (sig < 0 || sig > NSIG || tid <= 0 || (tgid != -1 && tgid <= 0))
        return -LX_EINVAL;
    struct lx_thread *t = tid <= INT32_MAX ? lx_thread_by_tid((int)tid) : NULL;
    if (!t || (tgid != -1 && t->p->pid != tgid))
        return -LX_ESRCH;
    if (sig) {
        t->p->siginfo[sig].code = -6;
        t->p->siginfo[sig].pid = c->p->pid;
        t->p->siginfo[sig].status = 0;
    }
    return lx_signal_thread(t, (int)sig);
}

static long sys_tkill(struct lx_call *c)
{
    return thread_kill(c, -1, (int64_t)(int32_t)c->a[0], (int64_t)(int32_t)c->a[1]);
}

static long sys_tgkill(struct lx_call *c)
{
    return thread_kill(c, (int64_t)(int32_t)c->a[0], (int64_t)(int32_t)c->a[1],
                       (int64_t)(int32_t)c->a[2]);
}

/* sigaltstack: the calling thread's alternate signal stack (SA_ONSTACK
 * handlers run on it). */
static long sys_sigaltstack(struct lx_call *c)
{
    struct lx_thread *t = c->t;
    uint64_t sp = c->w[WF_FAULT_WORD_RSP];
    bool on = t->ss_size && sp - t->ss_sp <= t->ss_size;
    if (c->a[0]) {
        uint64_t ss[3]; /* ss_sp, ss_flags (int, padded), ss_size */
        if (lx_copy_in(c->p, ss, c->a[0], sizeof(ss)) < 0)
            return -LX_EFAULT;
        if (on)
            return -LX_EPERM;
        uint32_t flags = (uint32_t)ss[1];
        if (flags & ~(2u | 0x80000000u)) /* SS_DISABLE, SS_AUTODISARM */
            return -LX_EINVAL;
        if (flags & 2) {
            ss[0] = ss[2] = 0;
        } else if (ss[2] < 2048) { /* MINSIGSTKSZ */
            return -LX_ENOMEM;
        }
        if (c->a[1]) {
            uint64_t old[3] = {t->ss_sp, t->ss_size ? 0 : 2, t->ss_size};
            if (lx_copy_out(c->p, c->a[1], old, sizeof(old)) < 0)
                return -LX_EFAULT;
        }
        t->ss_sp = ss[0];
        t->ss_size = ss[2];
        return 0;
    }
    if (c->a[1]) {
        uint64_t old[3] = {t->ss_sp, on ? 1 : t->ss_size ? 0 : 2, t->ss_size};
        if (lx_copy_out(c->p, c->a[1], old, sizeof(old)) < 0)
            return -LX_EFAULT;
    }
    return 0;
}

/* set_robust_list, get_robust_list: the thread's list of robust futexes,
 * walked when it ends (futex.c). */
static long sys_set_robust_list(struct lx_call *c)
{
    if (c->a[1] != 24) /* sizeof(struct robust_list_head) */
        return -LX_EINVAL;
    c->t->robust_list = c->a[0];
    c->t->robust_len = c->a[1];
    return 0;
}

static long sys_get_robust_list(struct lx_call *c)
{
    int64_t tid = (int64_t)(int32_t)c->a[0];
    struct lx_thread *t = tid ? lx_thread_by_tid((int)tid) : c->t;
    if (!t)
        return -LX_ESRCH;
    if (t->p != c->p)
        return -LX_EPERM;
    uint64_t len = 24;
    if (lx_copy_out(c->p, c->a[1], &t->robust_list, 8) < 0 ||
        lx_copy_out(c->p, c->a[2], &len, 8) < 0)
        return -LX_EFAULT;
    return 0;
}

/* --- memory ------------------------------------------------------------------------ */

static long sys_brk(struct lx_call *c)
{
    return lx_brk(c->p, c->a[0]);
}

static long sys_mmap(struct lx_call *c)
{
    return lx_mmap(c->p, c->a[0], c->a[1], (unsigned)c->a[2], (unsigned)c->a[3], (int)c->a[4],
                   c->a[5]);
}

static long sys_munmap(struct lx_call *c)
{
    return lx_munmap(c->p, c->a[0], c->a[1]);
}

static long sys_mprotect(struct lx_call *c)
{
    return lx_mprotect(c->p, c->a[0], c->a[1], (unsigned)c->a[2]);
}

static long sys_madvise(struct lx_call *c)
{
    return lx_madvise(c->p, c->a[0], c->a[1], (int)c->a[2]);
}

/* --- time -------------------------------------------------------------------------- */

/* CLOCK_REALTIME has no calendar behind it yet: it counts from 2026-01-01
 * 00:00 UTC at boot. The others are the CLOCK system call's monotonic time. */
#define LX_EPOCH_S 1767225600ull

static long clock_ns(unsigned clk, uint64_t *ns)
{
    if (clk > 11 || clk == 8 || clk == 9 || clk == 10)
        return -LX_EINVAL;
    *ns = wf_clock_ns() + (clk == 0 || clk == 5 || clk == 11 ? LX_EPOCH_S * 1000000000ull : 0);
    return 0;
}

static long sys_clock_gettime(struct lx_call *c)
{
    uint64_t ns;
    long e = clock_ns((unsigned)c->a[0], &ns);
    if (e < 0)
        return e;
    uint64_t ts[2] = {ns / 1000000000ull, ns % 1000000000ull};
    return lx_copy_out(c->p, c->a[1], ts, sizeof(ts));
}

static long sys_clock_getres(struct lx_call *c)
{
    uint64_t ns;
    long e = clock_ns((unsigned)c->a[0], &ns);
    if (e < 0 || !c->a[1])
        return e;
    uint64_t ts[2] = {0, 1};
    return lx_copy_out(c->p, c->a[1], ts, sizeof(ts));
}

static long sys_gettimeofday(struct lx_call *c)
{
    uint64_t ns;
    clock_ns(0, &ns);
    uint64_t tv[2] = {ns / 1000000000ull, (ns % 1000000000ull) / 1000};
    if (c->a[0] && lx_copy_out(c->p, c->a[0], tv, sizeof(tv)) < 0)
        return -LX_EFAULT;
    if (c->a[1]) {
        uint32_t tz[2] = {0, 0};
        return lx_copy_out(c->p, c->a[1], tz, sizeof(tz));
    }
    return 0;
}

static long sys_time(struct lx_call *c)
{
    uint64_t ns;
    clock_ns(0, &ns);
    uint64_t t = ns / 1000000000ull;
    if (c->a[0] && lx_copy_out(c->p, c->a[0], &t, 8) < 0)
        return -LX_EFAULT;
    return (long)t;
}

/* A sleep waits answered later: main.c arms lx's timer for the earliest
 * deadline and retries the call when it fires. */
static long sleep_until(struct lx_call *c, uint64_t deadline)
{
    extern wf_cptr_t lx_timer;
    if (!lx_timer)
        return -LX_ENOSYS;
    if (wf_clock_ns() >= deadline) {
        c->t->sleep_until = 0;
        return 0;
    }
    c->t->sleep_until = deadline;
    return -LX_BLOCK;
}

static long sys_nanosleep(struct lx_call *c)
{
    if (c->t->sleep_until) /* a retry */
        return sleep_until(c, c->t->sleep_until);
    uint64_t ts[2];
    if (lx_copy_in(c->p, ts, c->a[0], sizeof(ts)) < 0)
        return -LX_EFAULT;
    if ((int64_t)ts[0] < 0 || ts[1] >= 1000000000ull)
        return -LX_EINVAL;
    return sleep_until(c, wf_clock_ns() + ts[0] * 1000000000ull + ts[1]);
}

static long sys_clock_nanosleep(struct lx_call *c)
{
    if (c->t->sleep_until)
        return sleep_until(c, c->t->sleep_until);
    uint64_t ts[2], now;
    long e = clock_ns((unsigned)c->a[0], &now);
    if (e < 0)
        return e;
    if (lx_copy_in(c->p, ts, c->a[2], sizeof(ts)) < 0)
        return -LX_EFAULT;
    if ((int64_t)ts[0] < 0 || ts[1] >= 1000000000ull)
        return -LX_EINVAL;
    uint64_t t = ts[0] * 1000000000ull + ts[1];
    uint64_t base = wf_clock_ns();
    if (c->a[1] & 1) /* TIMER_ABSTIME */
        return t > now ? sleep_until(c, base + (t - now)) : 0;
    return sleep_until(c, base + t);
}

/* --- alarm and ITIMER_REAL ----------------------------------------------------------
 *
 * One real-time interval timer per process (decision 169): its expiry in lx's
 * clock and its interval. lx.alarm_next is the earliest of all; serve()
 * checks it before each wake() and lx's timer is armed for it, so SIGALRM
 * comes on time to a process that is running, sleeping or waiting alike. A
 * fork starts with none; execve keeps it, as Linux does. */

#define NS_SEC  1000000000ull
#define NS_USEC 1000ull

static void alarms_next(void)
{
    uint64_t next = 0;
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        const struct lx_proc *q = &lx.proc[i];
        if (q->used && q->state == PROC_RUN && q->alarm_at && (!next || q->alarm_at < next))
            next = q->alarm_at;
    }
    lx.alarm_next = next;
}

void lx_alarms(void)
{
    uint64_t now = wf_clock_ns();
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        struct lx_proc *q = &lx.proc[i];
        if (!q->used || q->state != PROC_RUN || !q->alarm_at || q->alarm_at > now)
            continue;
        /* periodic: the next expiry (those already missed are one signal) */
        q->alarm_at = q->alarm_every ? q->alarm_at + q->alarm_every : 0;
        if (q->alarm_at && q->alarm_at <= now)
            q->alarm_at = now + q->alarm_every;
        q->siginfo[LX_SIGALRM].code = 0x80; /* SI_KERNEL, as Linux's itimer */
        q->siginfo[LX_SIGALRM].pid = 0;
        q->siginfo[LX_SIGALRM].status = 0;
        lx_signal(q, LX_SIGALRM);
    }
    alarms_next();
    lx_timer_arm();
}

/* The time left of p's timer (ns; 0: none), at least a microsecond when it
 * runs, as Linux reports it. */
static uint64_t alarm_left(const struct lx_proc *p)
{
    if (!p->alarm_at)
        return 0;
    uint64_t now = wf_clock_ns();
    return p->alarm_at > now + NS_USEC ? p->alarm_at - now : NS_USEC;
}

static void alarm_set(struct lx_proc *p, uint64_t value, uint64_t every)
{
    p->alarm_at = value ? wf_clock_ns() + value : 0;
    p->alarm_every = value ? every : 0;
    alarms_next();
    lx_timer_arm();
}

/* struct itimerval: interval, then value, each seconds and microseconds */
static long itimer_out(struct lx_proc *p, uint64_t uaddr)
{
    uint64_t left = alarm_left(p);
    int64_t v[4] = {(int64_t)(p->alarm_every / NS_SEC),
                    (int64_t)(p->alarm_every % NS_SEC / NS_USEC), (int64_t)(left / NS_SEC),
                    (int64_t)(left % NS_SEC / NS_USEC)};
    return lx_copy_out(p, uaddr, v, sizeof(v)) < 0 ? -LX_EFAULT : 0;
}

static long itimer_which(struct lx_proc *p, uint64_t which)
{
    if (which == 1 || which == 2) { /* ITIMER_VIRTUAL, ITIMER_PROF: CPU time */
        lx_say("pid %d (%s): itimer %llu (CPU time) not served: EINVAL", p->pid, p->name,
               (unsigned long long)which);
        return -LX_EINVAL;
    }
    return which ? -LX_EINVAL : 0;
}

static long sys_getitimer(struct lx_call *c)
{
    long e = itimer_which(c->p, c->a[0]);
    return e ? e : itimer_out(c->p, c->a[1]);
}

static long sys_setitimer(struct lx_call *c)
{
    long e = itimer_which(c->p, c->a[0]);
    if (e)
        return e;
    int64_t v[4] = {0, 0, 0, 0}; /* Linux reads no new value as all zeros */
    if (c->a[1] && lx_copy_in(c->p, v, c->a[1], sizeof(v)) < 0)
        return -LX_EFAULT;
    for (unsigned i = 0; i < 4; i++)
        if (v[i] < 0 || (i % 2 && v[i] >= 1000000))
            return -LX_EINVAL;
    if (c->a[2] && itimer_out(c->p, c->a[2]) < 0)
        return -LX_EFAULT;
    alarm_set(c->p, (uint64_t)v[2] * NS_SEC + (uint64_t)v[3] * NS_USEC,
              (uint64_t)v[0] * NS_SEC + (uint64_t)v[1] * NS_USEC);
    return 0;
}

/* alarm(2): the seconds left of the timer before (rounded to the nearest,
 * at least 1 when it ran, as Linux), then expiry in a[0] seconds (0: none). */
static long sys_alarm(struct lx_call *c)
{
    uint64_t left = alarm_left(c->p);
    uint64_t secs = left / NS_SEC;
    if (left && (!secs || left % NS_SEC >= NS_SEC / 2))
        secs++;
    alarm_set(c->p, (uint64_t)(uint32_t)c->a[0] * NS_SEC, 0);
    return (long)secs;
}

/* --- files ------------------------------------------------------------------------- */

static long sys_read(struct lx_call *c)
{
    return lx_read(c->p, (int)c->a[0], c->a[1], c->a[2]);
}

static long sys_write(struct lx_call *c)
{
    return lx_write(c->p, (int)c->a[0], c->a[1], c->a[2]);
}

static long vector(struct lx_call *c, bool writing)
{
    uint64_t n = c->a[2];
    if (n > 1024)
        return -LX_EINVAL;
    long total = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t iov[2];
        if (lx_copy_in(c->p, iov, c->a[1] + 16 * i, sizeof(iov)) < 0)
            return total ? total : -LX_EFAULT;
        if (!iov[1])
            continue;
        long r = writing ? lx_write(c->p, (int)c->a[0], iov[0], iov[1])
                         : lx_read(c->p, (int)c->a[0], iov[0], iov[1]);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((uint64_t)r < iov[1])
            break;
    }
    return total;
}

static long sys_readv(struct lx_call *c)
{
    return vector(c, false);
}

static long sys_writev(struct lx_call *c)
{
    return vector(c, true);
}

static long sys_open(struct lx_call *c)
{
    return lx_openat(c->p, -100, c->a[0], (unsigned)c->a[1]);
}

static long sys_openat(struct lx_call *c)
{
    return lx_openat(c->p, (int)c->a[0], c->a[1], (unsigned)c->a[2]);
}

static long sys_close(struct lx_call *c)
{
    return lx_close(c->p, (int)c->a[0]);
}

static long sys_lseek(struct lx_call *c)
{
    return lx_lseek(c->p, (int)c->a[0], (int64_t)c->a[1], (int)c->a[2]);
}

static long sys_pread64(struct lx_call *c)
{
    int fd = (int)c->a[0];
    if (fd < 0 || fd >= LX_MAX_FDS || c->p->fd[fd].kind == FD_NONE)
        return -LX_EBADF;
    if (c->p->fd[fd].kind != FD_FILE)
        return -LX_ESPIPE;
    uint64_t saved = c->p->fd[fd].off;
    c->p->fd[fd].off = c->a[3];
    long r = lx_read(c->p, fd, c->a[1], c->a[2]);
    c->p->fd[fd].off = saved;
    return r;
}

/* sendfile from an initramfs file to the console (what cat does first). */
static long sys_sendfile(struct lx_call *c)
{
    int out = (int)c->a[0], in = (int)c->a[1];
    if (out < 0 || out >= LX_MAX_FDS || c->p->fd[out].kind == FD_NONE || in < 0 ||
        in >= LX_MAX_FDS || c->p->fd[in].kind == FD_NONE)
        return -LX_EBADF;
    struct lx_fd *src = &c->p->fd[in];
    if (src->kind != FD_FILE ||
        (c->p->fd[out].kind != FD_CONSOLE && c->p->fd[out].kind != FD_PIPE_W))
        return -LX_EINVAL;
    uint64_t off = src->off;
    if (c->a[2] && lx_copy_in(c->p, &off, c->a[2], 8) < 0)
        return -LX_EFAULT;
    if ((int64_t)off < 0)
        return -LX_EINVAL;
    uint64_t n = off >= src->size ? 0 : src->size - off;
    if (n > c->a[3])
        n = c->a[3];
    long put = lx_put(c->p, &c->p->fd[out], src->data + off, n);
    if (put < 0)
        return put;
    n = (uint64_t)put;
    off += n;
    if (c->a[2])
        return lx_copy_out(c->p, c->a[2], &off, 8) < 0 ? -LX_EFAULT : (long)n;
    src->off = off;
    return (long)n;
}

static long sys_stat(struct lx_call *c)
{
    return lx_fstatat(c->p, -100, c->a[0], c->a[1], 0);
}

static long sys_fstat(struct lx_call *c)
{
    return lx_fstatat(c->p, (int)c->a[0], 0, c->a[1], 0x1000);
}

static long sys_newfstatat(struct lx_call *c)
{
    return lx_fstatat(c->p, (int)c->a[0], c->a[1], c->a[2], (unsigned)c->a[3]);
}

static long sys_getdents64(struct lx_call *c)
{
    return lx_getdents64(c->p, (int)c->a[0], c->a[1], c->a[2]);
}

static long sys_ioctl(struct lx_call *c)
{
    return lx_ioctl(c->p, (int)c->a[0], (unsigned long)c->a[1], c->a[2]);
}

static long sys_access(struct lx_call *c)
{
    return lx_faccessat(c->p, -100, c->a[0]);
}

static long sys_faccessat(struct lx_call *c)
{
    return lx_faccessat(c->p, (int)c->a[0], c->a[1]);
}

static long sys_dup(struct lx_call *c)
{
    return lx_dup(c->p, (int)c->a[0], -1, 0, false);
}

static long sys_dup2(struct lx_call *c)
{
    if (c->a[0] == c->a[1]) {
        int fd = (int)c->a[0];
        return fd >= 0 && fd < LX_MAX_FDS && c->p->fd[fd].kind != FD_NONE ? fd : -LX_EBADF;
    }
    return lx_dup(c->p, (int)c->a[0], (int)c->a[1], 0, false);
}

static long sys_dup3(struct lx_call *c)
{
    if (c->a[0] == c->a[1])
        return -LX_EINVAL;
    return lx_dup(c->p, (int)c->a[0], (int)c->a[1], 0, (c->a[2] & 02000000) != 0);
}

static long sys_fcntl(struct lx_call *c)
{
    return lx_fcntl(c->p, (int)c->a[0], (int)c->a[1], c->a[2]);
}

static long sys_getcwd(struct lx_call *c)
{
    if (c->a[1] < 2)
        return -LX_ERANGE;
    long e = lx_copy_out(c->p, c->a[0], "/", 2);
    return e < 0 ? e : 2;
}

static long sys_umask(struct lx_call *c)
{
    (void)c;
    return 022;
}

static long sys_readlink_none(struct lx_call *c)
{
    (void)c;
    return -LX_ENOENT; /* no symbolic links (and no /proc) yet */
}

static long sys_futex(struct lx_call *c)
{
    return lx_futex(c->t, c->a);
}

/* --- the table --------------------------------------------------------------------- */

#define E(nr, nm, f) [nr] = {#nm, f}
static const struct lx_sysent table[] = {
    E(0, read, sys_read),
    E(1, write, sys_write),
    E(2, open, sys_open),
    E(3, close, sys_close),
    E(4, stat, sys_stat),
    E(5, fstat, sys_fstat),
    E(6, lstat, sys_stat),
    E(7, poll, sys_poll),
    E(8, lseek, sys_lseek),
    E(9, mmap, sys_mmap),
    E(10, mprotect, sys_mprotect),
    E(11, munmap, sys_munmap),
    E(12, brk, sys_brk),
    E(13, rt_sigaction, sys_rt_sigaction),
    E(14, rt_sigprocmask, sys_rt_sigprocmask),
    E(15, rt_sigreturn, sys_rt_sigreturn),
    E(16, ioctl, sys_ioctl),
    E(17, pread64, sys_pread64),
    E(19, readv, sys_readv),
    E(20, writev, sys_writev),
    E(21, access, sys_access),
    E(22, pipe, sys_pipe),
    E(24, sched_yield, sys_zero),
    E(25, mremap, lx_sys_mremap),
    E(26, msync, lx_sys_msync),
    E(28, madvise, sys_madvise),
    E(32, dup, sys_dup),
    E(33, dup2, sys_dup2),
    E(34, pause, sys_pause),
    E(35, nanosleep, sys_nanosleep),
    E(36, getitimer, sys_getitimer),
    E(37, alarm, sys_alarm),
    E(38, setitimer, sys_setitimer),
    E(39, getpid, sys_getpid),
    E(40, sendfile, sys_sendfile),
    E(56, clone, sys_clone),
    E(57, fork, sys_fork),
    E(58, vfork, sys_vfork),
    E(59, execve, sys_execve),
    E(60, exit, sys_exit),
    E(61, wait4, sys_wait4),
    E(62, kill, sys_kill),
    E(63, uname, sys_uname),
    E(72, fcntl, sys_fcntl),
    E(79, getcwd, sys_getcwd),
    E(89, readlink, sys_readlink_none),
    E(95, umask, sys_umask),
    E(96, gettimeofday, sys_gettimeofday),
    E(97, getrlimit, sys_getrlimit),
    E(98, getrusage, sys_getrusage),
    E(99, sysinfo, sys_sysinfo),
    E(100, times, sys_times),
    E(102, getuid, sys_zero),
    E(104, getgid, sys_zero),
    E(107, geteuid, sys_zero),
    E(108, getegid, sys_zero),
    E(110, getppid, sys_getppid),
    E(109, setpgid, sys_setpgid),
    E(111, getpgrp, sys_getpgrp),
    E(112, setsid, sys_setsid),
    E(121, getpgid, sys_getpgid),
    E(124, getsid, sys_getsid),
    E(127, rt_sigpending, sys_rt_sigpending),
    E(128, rt_sigtimedwait, sys_rt_sigtimedwait),
    E(130, rt_sigsuspend, sys_rt_sigsuspend),
    E(131, sigaltstack, sys_sigaltstack),
    E(140, getpriority, sys_getpriority),
    E(141, setpriority, sys_setpriority),
    E(157, prctl, sys_prctl),
    E(158, arch_prctl, sys_arch_prctl),
    E(186, gettid, sys_gettid),
    E(200, tkill, sys_tkill),
    E(201, time, sys_time),
    E(202, futex, sys_futex),
    E(203, sched_setaffinity, sys_sched_setaffinity),
    E(204, sched_getaffinity, sys_sched_getaffinity),
    E(217, getdents64, sys_getdents64),
    E(218, set_tid_address, sys_set_tid_address),
    E(228, clock_gettime, sys_clock_gettime),
    E(229, clock_getres, sys_clock_getres),
    E(230, clock_nanosleep, sys_clock_nanosleep),
    E(231, exit_group, sys_exit_group),
    E(234, tgkill, sys_tgkill),
    E(247, waitid, sys_waitid),
    E(257, openat, sys_openat),
    E(262, newfstatat, sys_newfstatat),
    E(267, readlinkat, sys_readlink_none),
    E(269, faccessat, sys_faccessat),
    E(271, ppoll, sys_ppoll),
    E(273, set_robust_list, sys_set_robust_list),
    E(274, get_robust_list, sys_get_robust_list),
    E(292, dup3, sys_dup3),
    E(293, pipe2, sys_pipe2),
    E(302, prlimit64, sys_prlimit64),
    E(318, getrandom, sys_getrandom),
    E(324, membarrier, sys_membarrier),
    E(439, faccessat2, sys_faccessat),
};
#undef E
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* Numbers already logged as not served (a bit per number below 512), and how
 * many lines were written: a program cannot flood the console through lx. */
#define LOG_MAX 32
static uint64_t logged[8];
static unsigned nlogged;

static void log_unserved(const struct lx_proc *p, uint64_t nr)
{
    if (nr < 512) {
        if (logged[nr / 64] & (1ull << (nr % 64)))
            return;
        logged[nr / 64] |= 1ull << (nr % 64);
    }
    if (nlogged > LOG_MAX)
        return;
    if (nlogged++ == LOG_MAX) {
        lx_say("more system calls not served; not logged any more");
        return;
    }
    lx_say("pid %d (%s): system call %llu not served: ENOSYS", p->pid, p->name,
           (unsigned long long)nr);
}

/* The system calls that leave every descriptor table as it was (reads,
 * writes, waits, ids), one bit per number: the others move lx_fd_changed's
 * epoch before and after they run. A table that changes otherwise (a
 * process ending, a signal's default action) changes through fd_clear,
 * which moves it too. */
static const uint64_t keeps_fds[] = {
    /* read 0, write 1, poll 7, pread64 17, pwrite64 18, readv 19, writev 20,
     * select 23, getpid 39 */
    1ull << 0 | 1ull << 1 | 1ull << 7 | 1ull << 17 | 1ull << 18 | 1ull << 19 | 1ull << 20 |
        1ull << 23 | 1ull << 39,
    /* getppid 110 */
    1ull << (110 - 64),
    /* gettid 186 */
    1ull << (186 - 128),
    /* futex 202, clock_gettime 228, epoll_wait 232 */
    1ull << (202 - 192) | 1ull << (228 - 192) | 1ull << (232 - 192),
    /* pselect6 270, ppoll 271, epoll_pwait 281 */
    1ull << (270 - 256) | 1ull << (271 - 256) | 1ull << (281 - 256),
};

/* Every number's handler (lx_fd_calls', else table's) and whether it keeps
 * the descriptor tables (keeps_fds), in one entry, made by lx_sys_init; the
 * entry past the end stands for every larger number (no handler). */
struct lx_dispatch {
    lx_handler fn;
    bool keeps_fds;
};
static struct lx_dispatch dispatch[LX_NSYSCALLS + 1];

void lx_sys_init(void)
{
    cycles0 = wf_cycles();
    clock0 = wf_clock_ns();
    _Static_assert(NTABLE <= LX_NSYSCALLS, "every number of table has a dispatch entry");
    for (unsigned nr = 0; nr < LX_NSYSCALLS; nr++) {
        dispatch[nr].fn = lx_fd_calls[nr].fn ? lx_fd_calls[nr].fn
                          : nr < NTABLE      ? table[nr].fn
                                             : NULL;
        dispatch[nr].keeps_fds = nr < 64 * (sizeof(keeps_fds) / sizeof(keeps_fds[0])) &&
                                 (keeps_fds[nr / 64] >> (nr % 64) & 1);
    }
}

enum lx_outcome lx_syscall(struct lx_thread *t, const wf_word_t *w, wf_word_t *ret)
{
    struct lx_proc *p = t->p;
    struct lx_call c = {p,
                        {w[WF_FAULT_WORD_RDI], w[WF_FAULT_WORD_RSI], w[WF_FAULT_WORD_RDX],
                         w[WF_FAULT_WORD_R10], w[WF_FAULT_WORD_R8], w[WF_FAULT_WORD_R9]},
                        w,
                        t};
    uint64_t nr = w[WF_FAULT_WORD_RAX];
    lx_syscalls_served++;
    lx.calling = t;
    long r;
    const struct lx_dispatch *d = &dispatch[nr < LX_NSYSCALLS ? nr : LX_NSYSCALLS];
    bool keeps = d->keeps_fds;
    if (!keeps)
        lx.files.fd_epoch++; /* lx_fd_changed */
    if (d->fn) {
        r = d->fn(&c);
    } else {
        log_unserved(p, nr);
        lx_nosys_count(nr);
        r = -LX_ENOSYS;
    }
    if (!keeps)
        lx.files.fd_epoch++;
    if (p->state != PROC_RUN || !t->used || r == -LX_EXECED)
        return LX_GONE;
    if (r == -LX_BLOCK)
        return LX_WAIT;
    *ret = (wf_word_t)r;
    return LX_ANSWER;
}
