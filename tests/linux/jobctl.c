/*
 * Job control without a terminal: SIGSTOP, SIGTSTP and SIGCONT sent with
 * kill, the status words wait4 gives with WUNTRACED and WCONTINUED (and
 * waitid's WSTOPPED, WCONTINUED, WNOWAIT), each stop or continue reported
 * once, the parent's SIGCHLD with CLD_STOPPED / CLD_CONTINUED (none with
 * SA_NOCLDSTOP), a signal with a handler or a fatal one held while stopped
 * (SIGKILL ends it), a blocked SIGTSTP stopping once unblocked, a
 * process stopping itself, SIGTSTP dropped in an orphaned process group.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t chld_codes[16], nchld;
static int pfd[2]; /* the children's reports to the parent */

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (nchld < 16)
        chld_codes[nchld++] = si->si_code * 100 + si->si_status;
}

static void on_usr1(int sig)
{
    (void)sig;
    if (write(pfd[1], "u", 1) != 1)
        _exit(90);
}

static void on_cont(int sig)
{
    (void)sig;
    if (write(pfd[1], "c", 1) != 1)
        _exit(91);
}

static void nap(void)
{
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Until the handler has counted n SIGCHLDs (a continued child tells its
 * parent as it goes on), at most about 3 s. */
static void wait_chld(int n)
{
    for (int i = 0; i < 100 && nchld < n; i++)
        nap();
}

static void status(const char *what, pid_t got, pid_t want, int st)
{
    printf("%s: %s ", what, got == want ? "the child" : "another");
    if (WIFEXITED(st))
        printf("exited %d\n", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("signal %d\n", WTERMSIG(st));
    else if (WIFSTOPPED(st))
        printf("stopped %d\n", WSTOPSIG(st));
    else if (WIFCONTINUED(st))
        printf("continued\n");
    else
        printf("status %#x\n", st);
}

/* What the children wrote so far, without waiting. */
static void drain(const char *what)
{
    char buf[16];
    int fl = fcntl(pfd[0], F_GETFL);
    fcntl(pfd[0], F_SETFL, fl | O_NONBLOCK);
    ssize_t n = read(pfd[0], buf, sizeof(buf));
    fcntl(pfd[0], F_SETFL, fl);
    printf("%s: %.*s\n", what, n > 0 ? (int)n : 4, n > 0 ? buf : "none");
}

/* A child that reports it is ready, then waits for signals: in the parent's
 * process group (0), a group of its own (1), or a session of its own (2). */
static pid_t child(int own_group)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (own_group == 1)
            setpgid(0, 0);
        else if (own_group == 2)
            setsid();
        signal(SIGUSR1, on_usr1);
        if (write(pfd[1], "r", 1) != 1)
            _exit(92);
        for (;;)
            pause();
    }
    char r;
    if (read(pfd[0], &r, 1) != 1 || r != 'r')
        printf("child not ready\n");
    return pid;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (pipe(pfd))
        return 1;
    int st = 0;
    pid_t got;

    /* SIGSTOP, SIGCONT, SIGTERM with wait4's options */
    pid_t pid = child(0);
    kill(pid, SIGSTOP);
    got = waitpid(pid, &st, WUNTRACED);
    status("SIGSTOP", got, pid, st);
    printf("reported once: %d\n", waitpid(pid, &st, WUNTRACED | WNOHANG));
    printf("stop not an exit: %d\n", waitpid(pid, &st, WNOHANG));
    kill(pid, SIGUSR1); /* held while stopped */
    nap();
    drain("while stopped");
    kill(pid, SIGCONT);
    got = waitpid(pid, &st, WCONTINUED);
    status("SIGCONT", got, pid, st);
    printf("continue reported once: %d\n", waitpid(pid, &st, WCONTINUED | WNOHANG));
    char u;
    printf("handler after the continue: %s\n", read(pfd[0], &u, 1) == 1 && u == 'u' ? "yes" : "no");
    kill(pid, SIGCONT); /* not stopped: nothing to report */
    nap();
    printf("continue of a running child: %d\n", waitpid(pid, &st, WCONTINUED | WNOHANG));
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGTERM); /* pending while stopped: it ends once continued */
    nap();
    printf("SIGTERM while stopped: %d\n", waitpid(pid, &st, WNOHANG));
    kill(pid, SIGCONT);
    got = waitpid(pid, &st, 0);
    status("SIGTERM, then SIGCONT", got, pid, st);

    /* waitid: WSTOPPED, WNOWAIT, WCONTINUED, WEXITED */
    pid = child(1);
    kill(pid, SIGTSTP);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    int r = waitid(P_PID, pid, &si, WSTOPPED | WNOWAIT);
    printf("waitid WNOWAIT: %d code %d status %d pid %s\n", r, si.si_code, si.si_status,
           si.si_pid == pid ? "the child" : "another");
    memset(&si, 0, sizeof(si));
    r = waitid(P_PID, pid, &si, WSTOPPED | WNOHANG);
    printf("waitid WSTOPPED: %d code %d status %d\n", r, si.si_code, si.si_status);
    memset(&si, 0, sizeof(si));
    r = waitid(P_PID, pid, &si, WSTOPPED | WNOHANG);
    printf("again: %d pid %d\n", r, si.si_pid);
    kill(pid, SIGCONT);
    memset(&si, 0, sizeof(si));
    r = waitid(P_PID, pid, &si, WCONTINUED);
    printf("waitid WCONTINUED: %d code %d status %d\n", r, si.si_code, si.si_status);
    kill(pid, SIGKILL);
    memset(&si, 0, sizeof(si));
    r = waitid(P_PID, pid, &si, WEXITED);
    printf("waitid WEXITED: %d code %d status %d\n", r, si.si_code, si.si_status);
    r = waitid(P_ALL, 0, &si, WNOHANG);
    printf("waitid without options: %d errno %s\n", r, errno == EINVAL ? "EINVAL" : "other");

    /* the parent's SIGCHLD: CLD_STOPPED and CLD_CONTINUED, then SA_NOCLDSTOP */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    pid = child(1);
    kill(pid, SIGTSTP);
    waitpid(pid, &st, WUNTRACED);
    wait_chld(1);
    kill(pid, SIGCONT);
    waitpid(pid, &st, WCONTINUED);
    wait_chld(2);
    kill(pid, SIGINT);
    waitpid(pid, &st, 0);
    wait_chld(3);
    for (int i = 0; i < nchld; i++)
        printf("SIGCHLD %d: code %d status %d\n", i, chld_codes[i] / 100, chld_codes[i] % 100);
    nchld = 0;
    sa.sa_flags |= SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    pid = child(1);
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGCONT);
    waitpid(pid, &st, WCONTINUED);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    wait_chld(1);
    nap();
    printf("SA_NOCLDSTOP: %d SIGCHLD, code %d status %d\n", (int)nchld,
           nchld ? chld_codes[0] / 100 : 0, nchld ? chld_codes[0] % 100 : 0);
    signal(SIGCHLD, SIG_DFL);

    /* a blocked SIGTSTP stops the child when it unblocks it; a SIGCONT
     * handler runs once it goes on; a child stops itself */
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGCONT, on_cont);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTSTP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        if (write(pfd[1], "r", 1) != 1)
            _exit(92);
        char go;
        if (read(pfd[0], &go, 1) != 1) /* the parent's byte: SIGTSTP is pending */
            _exit(93);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(SIGSTOP);
        _exit(4);
    }
    char rd;
    if (read(pfd[0], &rd, 1) != 1)
        printf("child not ready\n");
    kill(pid, SIGTSTP);
    nap();
    printf("blocked SIGTSTP: %d\n", waitpid(pid, &st, WUNTRACED | WNOHANG));
    if (write(pfd[1], "g", 1) != 1)
        printf("write failed\n");
    got = waitpid(pid, &st, WUNTRACED);
    status("unblocked", got, pid, st);
    kill(pid, SIGCONT);
    got = waitpid(pid, &st, WUNTRACED);
    status("raise(SIGSTOP)", got, pid, st);
    drain("SIGCONT handler");
    kill(pid, SIGCONT);
    got = waitpid(pid, &st, 0);
    status("after raise", got, pid, st);
    drain("SIGCONT handler");

    /* an orphaned process group (the child's session is its own): SIGTSTP
     * is dropped, SIGSTOP stops */
    pid = child(2);
    kill(pid, SIGTSTP);
    nap();
    printf("SIGTSTP in an orphaned group: %d\n", waitpid(pid, &st, WUNTRACED | WNOHANG));
    kill(pid, SIGSTOP);
    got = waitpid(pid, &st, WUNTRACED);
    status("SIGSTOP there", got, pid, st);
    kill(pid, SIGKILL);
    got = waitpid(pid, &st, 0);
    status("SIGKILL while stopped", got, pid, st);
    return 0;
}
