/*
 * System calls of signals, resources and scheduling, compared with Linux:
 * rt_sigtimedwait (a pending signal taken with its siginfo, one sent later
 * by a child, SIGCHLD with the child's status, EAGAIN at a timeout and at
 * once for a zero one, EINTR when a signal outside the set runs its
 * handler, EINVAL, EFAULT, the mask as it was afterwards), getrusage
 * (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD: times that grow with work
 * and a child's that count once waited for), wait4's and waitid's rusage (a
 * busy child's time; NULL; a bad pointer's EFAULT with the child reaped all
 * the same; nothing written when no child is ready), times, sysinfo,
 * getpriority/setpriority (nice kept, clamped, inherited by fork),
 * sched_setaffinity (the one CPU; an empty set EINVAL), prctl PR_SET_NAME /
 * PR_GET_NAME with /proc/self/comm and /proc/self/stat, and membarrier.
 * Only what is deterministic is printed: times as comparisons.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

#define BAD ((void *)16)

static volatile sig_atomic_t handled;

static void on_usr2(int sig)
{
    (void)sig;
    handled++;
}

static const char *err(int r)
{
    return r >= 0 ? "ok" : errname(errno);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static volatile uint64_t sink;

/* Work in user code for about ms milliseconds of the clock. */
static void busy(unsigned ms)
{
    uint64_t end = now_ns() + ms * 1000000ull;
    while (now_ns() < end)
        for (int i = 0; i < 10000; i++)
            sink += (uint64_t)i * i;
}

static uint64_t tv_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000ull + (uint64_t)tv.tv_usec;
}

static void sigtimedwait_cases(void)
{
    sigset_t set, old, now;
    siginfo_t si;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);

    /* pending already: raise (tkill: SI_TKILL), kill (SI_USER) */
    raise(SIGUSR1);
    memset(&si, 0, sizeof(si));
    int r = sigwaitinfo(&set, &si);
    printf("sigwaitinfo raised: %d signo %d code %d self %d\n", r, si.si_signo, si.si_code,
           si.si_pid == getpid());
    kill(getpid(), SIGUSR1);
    struct timespec zero = {0, 0};
    r = sigtimedwait(&set, &si, &zero);
    printf("sigtimedwait killed: %d code %d self %d\n", r, si.si_code, si.si_pid == getpid());

    /* nothing pending: EAGAIN at once for a zero timeout, after it otherwise */
    r = sigtimedwait(&set, &si, &zero);
    printf("zero timeout: %d %s\n", r, err(r));
    struct timespec t50 = {0, 50000000};
    uint64_t t0 = now_ns();
    r = sigtimedwait(&set, &si, &t50);
    printf("50 ms timeout: %d %s, waited at least 50 ms: %d\n", r, err(r),
           now_ns() - t0 >= 50000000ull);

    /* sent later, by a child */
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec d = {0, 100000000};
        nanosleep(&d, NULL);
        kill(getppid(), SIGUSR1);
        _exit(7);
    }
    struct timespec t5 = {5, 0};
    r = sigtimedwait(&set, &si, &t5);
    printf("from child: %s code %d from child %d\n", r == SIGUSR1 ? "SIGUSR1" : "other", si.si_code,
           si.si_pid == pid);
    r = sigwaitinfo(&set, &si);
    printf("child ended: %s code %d status %d from child %d\n", r == SIGCHLD ? "SIGCHLD" : "other",
           si.si_code, si.si_status, si.si_pid == pid);
    waitpid(pid, NULL, 0);

    /* a signal outside the set with a handler: EINTR after it ran */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_RESTART; /* sigtimedwait is not restarted */
    sigaction(SIGUSR2, &sa, NULL);
    pid = fork();
    if (pid == 0) {
        struct timespec d = {0, 100000000};
        nanosleep(&d, NULL);
        kill(getppid(), SIGUSR2);
        struct timespec later = {0, 500000000}; /* its SIGCHLD well after */
        nanosleep(&later, NULL);
        _exit(0);
    }
    /* the system call itself: musl's sigtimedwait makes it again after EINTR */
    r = (int)syscall(SYS_rt_sigtimedwait, &set, &si, &t5, 8);
    printf("other signal: %d %s, handler ran %d\n", r, err(r), handled);
    sigwaitinfo(&set, &si); /* its SIGCHLD */
    waitpid(pid, NULL, 0);

    struct timespec bad = {0, 2000000000};
    r = sigtimedwait(&set, &si, &bad);
    printf("bad timeout: %s\n", err(r));
    r = (int)syscall(SYS_rt_sigtimedwait, BAD, &si, &zero, 8);
    printf("bad set: %s\n", err(r));
    r = (int)syscall(SYS_rt_sigtimedwait, &set, &si, &zero, 4);
    printf("bad size: %s\n", err(r));
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("mask kept: USR1 %d CHLD %d USR2 %d\n", sigismember(&now, SIGUSR1),
           sigismember(&now, SIGCHLD), sigismember(&now, SIGUSR2));
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void rusage_cases(void)
{
    /* The children waited for earlier (the signal cases') count already, with
     * what a tick happened to see of them: only changes are compared. */
    struct rusage a, b, ch, ch0;
    int r = getrusage(RUSAGE_CHILDREN, &ch0);
    printf("getrusage children: %s\n", err(r));
    getrusage(RUSAGE_SELF, &a);
    busy(100);
    r = getrusage(RUSAGE_SELF, &b);
    uint64_t ua = tv_us(a.ru_utime), ub = tv_us(b.ru_utime);
    printf("getrusage self: %s, user time grew %d, system time kept or grew %d, maxrss %d\n",
           err(r), ub > ua, tv_us(b.ru_stime) >= tv_us(a.ru_stime), b.ru_maxrss > 0);
    struct timespec d = {0, 200000000};
    getrusage(RUSAGE_SELF, &a);
    nanosleep(&d, NULL);
    getrusage(RUSAGE_SELF, &b);
    printf("getrusage self: sleeping 200 ms added less than 100 ms of user time %d\n",
           tv_us(b.ru_utime) - tv_us(a.ru_utime) < 100000);
    r = getrusage(RUSAGE_THREAD, &a);
    printf("getrusage thread: %s, user time set %d\n", err(r), tv_us(a.ru_utime) > 0);
    pid_t pid = fork();
    if (pid == 0) {
        busy(100);
        _exit(0);
    }
    getrusage(RUSAGE_CHILDREN, &ch);
    printf("getrusage children before wait: unchanged %d\n",
           tv_us(ch.ru_utime) == tv_us(ch0.ru_utime) && tv_us(ch.ru_stime) == tv_us(ch0.ru_stime));
    waitpid(pid, NULL, 0);
    getrusage(RUSAGE_CHILDREN, &ch);
    printf("getrusage children after wait: user time grew by 50 ms or more %d\n",
           tv_us(ch.ru_utime) - tv_us(ch0.ru_utime) >= 50000);
    r = getrusage(7, &a);
    printf("getrusage 7: %s\n", err(r));
    r = getrusage(RUSAGE_SELF, BAD);
    printf("getrusage bad pointer: %s\n", err(r));

    struct tms t1, t2;
    clock_t c1 = times(&t1);
    busy(50);
    clock_t c2 = times(&t2);
    printf("times: ticks grew %d, user kept or grew %d, children's %d\n", c2 > c1,
           t2.tms_utime >= t1.tms_utime, t2.tms_cutime >= 5);
    r = (int)syscall(SYS_times, BAD);
    printf("times bad pointer: %s\n", err(r));
    r = (int)syscall(SYS_times, NULL);
    printf("times no buffer: %s\n", r == -1 ? err(r) : "ok");
}

/* A child busy for 100 ms that exits with 3. */
static pid_t busy_child(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        busy(100);
        _exit(3);
    }
    return pid;
}

static void print_ru(const char *what, int r, const struct rusage *ru)
{
    uint64_t u = tv_us(ru->ru_utime);
    printf("%s: %s, user time 50 ms or more %d, under 10 s %d, system time under 10 s %d, maxrss "
           "set %d\n",
           what, err(r), u >= 50000, u<10000000, tv_us(ru->ru_stime) < 10000000, ru->ru_maxrss> 0);
}

static void wait_rusage_cases(void)
{
    struct rusage ru;
    int st = 0;
    pid_t pid = busy_child();
    memset(&ru, 0, sizeof(ru));
    pid_t r = wait4(pid, &st, 0, &ru);
    printf("wait4 rusage: same pid %d, exit status %d\n", r == pid, WEXITSTATUS(st));
    print_ru("wait4 rusage", r, &ru);

    pid = busy_child();
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    memset(&ru, 0, sizeof(ru));
    int w = (int)syscall(SYS_waitid, P_PID, pid, &si, WEXITED, &ru);
    printf("waitid rusage: same pid %d, code %d, status %d\n", si.si_pid == pid,
           si.si_code == CLD_EXITED, si.si_status);
    print_ru("waitid rusage", w, &ru);

    pid = busy_child();
    r = wait4(pid, &st, 0, NULL);
    printf("wait4 no rusage: same pid %d, exit status %d\n", r == pid, WEXITSTATUS(st));
    pid = busy_child();
    w = (int)syscall(SYS_waitid, P_PID, pid, &si, WEXITED, NULL);
    printf("waitid no rusage: %s, same pid %d\n", err(w), si.si_pid == pid);

    /* a bad pointer: EFAULT, the status stored and the child reaped all the same */
    pid = busy_child();
    st = 0;
    r = wait4(pid, &st, 0, BAD);
    printf("wait4 bad rusage: %s, exit status %d\n", err(r), WEXITSTATUS(st));
    r = waitpid(pid, NULL, WNOHANG);
    printf("wait4 bad rusage: afterwards %s\n", err(r));
    pid = busy_child();
    w = (int)syscall(SYS_waitid, P_PID, pid, &si, WEXITED, BAD);
    printf("waitid bad rusage: %s\n", err(w));
    r = waitpid(pid, NULL, WNOHANG);
    printf("waitid bad rusage: afterwards %s\n", err(r));

    /* a stopped child's use so far; then none ready: nothing written */
    pid = fork();
    if (pid == 0) {
        busy(100);
        raise(SIGSTOP);
        _exit(0);
    }
    memset(&ru, 0, sizeof(ru));
    r = wait4(pid, &st, WUNTRACED, &ru);
    printf("wait4 stopped: stopped %d\n", r == pid && WIFSTOPPED(st));
    print_ru("wait4 stopped rusage", r, &ru);
    memset(&ru, 0xa5, sizeof(ru));
    memset(&si, 0, sizeof(si));
    w = (int)syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOHANG, &ru);
    printf("waitid none ready: %s, pid %d, rusage untouched %d\n", err(w), si.si_pid,
           ru.ru_maxrss == (long)0xa5a5a5a5a5a5a5a5ull);
    kill(pid, SIGKILL);
    r = wait4(pid, &st, 0, &ru);
    printf("wait4 killed: %s, signal %d\n", r == pid ? "ok" : err(r),
           WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void sysinfo_cases(void)
{
    struct sysinfo si;
    int r = sysinfo(&si);
    printf("sysinfo: %s, uptime %d, ram %d, free within it %d, unit %d, procs %d\n", err(r),
           si.uptime > 0, si.totalram > 0, si.freeram > 0 && si.freeram <= si.totalram,
           si.mem_unit >= 1, si.procs >= 1);
    r = sysinfo(BAD);
    printf("sysinfo bad pointer: %s\n", err(r));
}

static void priority_cases(void)
{
    errno = 0;
    int n = getpriority(PRIO_PROCESS, 0);
    printf("getpriority: %d %s\n", n, errno ? "error" : "ok");
    int r = setpriority(PRIO_PROCESS, 0, 5);
    printf("setpriority 5: %s, now %d\n", err(r), getpriority(PRIO_PROCESS, 0));
    r = setpriority(PRIO_PROCESS, getpid(), 100);
    printf("setpriority 100: %s, now %d\n", err(r), getpriority(PRIO_PROCESS, getpid()));
    r = setpriority(PRIO_PGRP, 0, 3);
    printf("setpriority group: %s, now %d\n", err(r), getpriority(PRIO_PGRP, 0));
    pid_t pid = fork();
    if (pid == 0) {
        printf("child's nice: %d\n", getpriority(PRIO_PROCESS, 0));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    r = setpriority(PRIO_PROCESS, 0, -4);
    printf("setpriority -4: %s, now %d\n", err(r), getpriority(PRIO_PROCESS, 0));
    errno = 0;
    r = getpriority(PRIO_PROCESS, 99999);
    printf("getpriority 99999: %s\n", errno ? err(-1) : "ok");
    errno = 0;
    r = getpriority(7, 0);
    printf("getpriority which 7: %s\n", errno ? err(-1) : "ok");
    errno = 0;
    r = getpriority(PRIO_USER, 12345);
    printf("getpriority user 12345: %s\n", errno ? err(-1) : "ok");
    r = setpriority(PRIO_PROCESS, 99999, 1);
    printf("setpriority 99999: %s\n", err(r));
    setpriority(PRIO_PROCESS, 0, 0);
}

static void affinity_cases(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    int r = sched_setaffinity(0, sizeof(set), &set);
    printf("sched_setaffinity cpu 0: %s\n", err(r));
    r = sched_setaffinity(getpid(), sizeof(set), &set);
    printf("sched_setaffinity own pid: %s\n", err(r));
    CPU_ZERO(&set);
    r = sched_setaffinity(0, sizeof(set), &set);
    printf("sched_setaffinity empty: %s\n", err(r));
    CPU_SET(0, &set);
    r = sched_setaffinity(99999, sizeof(set), &set);
    printf("sched_setaffinity 99999: %s\n", err(r));
    r = (int)syscall(SYS_sched_setaffinity, 0, sizeof(set), BAD);
    printf("sched_setaffinity bad pointer: %s\n", err(r));
    CPU_ZERO(&set);
    r = sched_getaffinity(0, sizeof(set), &set);
    printf("sched_getaffinity: %s, %d CPU, cpu 0 %d\n", err(r), CPU_COUNT(&set),
           (int)CPU_ISSET(0, &set));
}

static void slurp(const char *path, char *buf, size_t max)
{
    buf[0] = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, max - 1);
    buf[n > 0 ? n : 0] = 0;
    close(fd);
}

static void prctl_cases(void)
{
    char name[32] = {0}, text[512];
    int r = prctl(PR_GET_NAME, name);
    printf("PR_GET_NAME: %s \"%s\"\n", err(r), name);
    r = prctl(PR_SET_NAME, "renamed-program-with-a-long-name");
    memset(name, 0, sizeof(name));
    prctl(PR_GET_NAME, name);
    printf("PR_SET_NAME: %s, now \"%s\"\n", err(r), name);
    slurp("/proc/self/comm", text, sizeof(text));
    printf("/proc/self/comm: %s", text);
    slurp("/proc/self/stat", text, sizeof(text));
    char comm[32] = "";
    sscanf(text, "%*d (%31[^)])", comm);
    printf("/proc/self/stat comm: %s\n", comm);
    r = prctl(PR_SET_NAME, BAD);
    printf("PR_SET_NAME bad pointer: %s\n", err(r));
    r = prctl(PR_GET_NAME, BAD);
    printf("PR_GET_NAME bad pointer: %s\n", err(r));
    r = prctl(9999, 0, 0, 0, 0);
    printf("prctl 9999: %s\n", err(r));
}

static void membarrier_cases(void)
{
    enum { QUERY = 0, GLOBAL = 1, PRIVATE_EXPEDITED = 8, REGISTER_PRIVATE_EXPEDITED = 16 };
    long q = syscall(SYS_membarrier, QUERY, 0, 0);
    printf("membarrier query: %s, the commands lx serves %#lx\n", err((int)q), q & 0x7f);
    long r = syscall(SYS_membarrier, PRIVATE_EXPEDITED, 0, 0);
    printf("membarrier private, unregistered: %s\n", err((int)r));
    r = syscall(SYS_membarrier, REGISTER_PRIVATE_EXPEDITED, 0, 0);
    printf("membarrier register: %s\n", err((int)r));
    r = syscall(SYS_membarrier, PRIVATE_EXPEDITED, 0, 0);
    printf("membarrier private: %s\n", err((int)r));
    r = syscall(SYS_membarrier, GLOBAL, 0, 0);
    printf("membarrier global: %s\n", err((int)r));
    r = syscall(SYS_membarrier, 3, 0, 0);
    printf("membarrier 3: %s\n", err((int)r));
    r = syscall(SYS_membarrier, QUERY, 4, 0);
    printf("membarrier flags: %s\n", err((int)r));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    sigtimedwait_cases();
    rusage_cases();
    wait_rusage_cases();
    sysinfo_cases();
    priority_cases();
    affinity_cases();
    prctl_cases();
    membarrier_cases();
    return 0;
}
