/*
 * Signals delivered: handlers run on Linux's signal frame and return through
 * rt_sigreturn with every register as it was (a value kept in callee-saved
 * registers across the raise), SA_SIGINFO's siginfo (signal, code, sender),
 * a blocked signal delivered when unblocked, SIGCHLD interrupting pause
 * (EINTR), a handler for a real fault (SIGSEGV at address 0, left with
 * siglongjmp), sigsuspend, a read restarted after a handler (SA_RESTART), a
 * handler in a process busy in user code (no system call to answer), and
 * SA_RESETHAND (the second signal takes the default action).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, code, from_self, chld;
static sigjmp_buf out;
static volatile void *fault_addr = (void *)1;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    code = si->si_code;
    from_self = si->si_pid == getpid();
}

static void on_chld(int sig)
{
    (void)sig;
    chld++;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    (void)sig;
    fault_addr = si->si_addr;
    siglongjmp(out, 1);
}

static void on_usr(int sig)
{
    got = sig;
}

static uint64_t mix(uint64_t x)
{
    return x * 0x9e3779b97f4a7c15ull ^ (x >> 7);
}

int main(int argc, char **argv)
{
    (void)argv;
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);

    /* values live across the signal in registers the handler clobbers */
    uint64_t a = mix((uint64_t)argc), b = mix(a), c = mix(b);
    kill(getpid(), SIGUSR1);
    uint64_t a2 = mix((uint64_t)argc), b2 = mix(a2), c2 = mix(b2);
    printf("kill: handler ran for %d, si_code %d (SI_USER), from itself %s\n", (int)got, (int)code,
           from_self ? "yes" : "no");
    printf("registers kept: %s\n", a == a2 && b == b2 && c == c2 ? "yes" : "no");

    /* blocked, then delivered when unblocked */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    got = 0;
    raise(SIGUSR1);
    printf("blocked: handler ran: %s\n", got ? "yes" : "no");
    sigpending(&set);
    printf("pending: %s\n", sigismember(&set, SIGUSR1) ? "yes" : "no");
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: handler ran for %d\n", (int)got);

    /* SIGCHLD wakes pause */
    signal(SIGCHLD, on_chld);
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    while (!chld)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("sigsuspend: SIGCHLD handled %d time(s)\n", (int)chld);
    waitpid(pid, NULL, 0);
    chld = 0;
    pid = fork();
    if (pid == 0) {
        usleep(20000);
        _exit(0);
    }
    errno = 0;
    int r = pause();
    printf("pause: %d %s, SIGCHLD handled %d time(s)\n", r, errno == EINTR ? "EINTR" : "?",
           (int)chld);
    waitpid(pid, NULL, 0);

    /* a read restarted after the handler (SA_RESTART) */
    int p[2], q[2];
    pipe(p);
    pipe(q);
    pid = fork();
    if (pid == 0) {
        struct sigaction r2;
        memset(&r2, 0, sizeof(r2));
        r2.sa_handler = on_usr;
        r2.sa_flags = SA_RESTART;
        sigaction(SIGUSR2, &r2, NULL);
        close(p[1]);
        write(q[1], "r", 1); /* ready */
        char buf[8] = {0};
        ssize_t n = read(p[0], buf, sizeof(buf) - 1);
        printf("child: read %zd '%s' after the handler for %d\n", n, buf, (int)got);
        _exit(0);
    }
    char ready;
    read(q[0], &ready, 1);
    usleep(20000);
    kill(pid, SIGUSR2);
    usleep(20000);
    write(p[1], "data", 4);
    waitpid(pid, NULL, 0);

    /* a handler runs in a process busy in user code */
    pipe(q);
    pid = fork();
    if (pid == 0) {
        got = 0;
        signal(SIGUSR1, on_usr);
        write(q[1], "r", 1);
        while (!got)
            ; /* no system call: the signal must stop the loop */
        printf("child: a busy loop interrupted by %d\n", (int)got);
        _exit(4);
    }
    read(q[0], &ready, 1);
    kill(pid, SIGUSR1);
    int st = 0;
    waitpid(pid, &st, 0);
    printf("busy child: %s %d\n", WIFEXITED(st) ? "exited" : "signal",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));

    /* a real fault */
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (!sigsetjmp(out, 1)) {
        volatile int *null = (volatile int *)(uintptr_t)(argc - argc);
        *null = 1;
        printf("no fault: FAIL\n");
    }
    printf("SIGSEGV handled, si_addr %p\n", (void *)fault_addr);

    /* SA_RESETHAND: once */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    got = 0;
    raise(SIGUSR2);
    printf("SA_RESETHAND: handler ran for %d; again:\n", (int)got);
    raise(SIGUSR2);
    printf("still alive: FAIL\n");
    return 0;
}
