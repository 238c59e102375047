/*
 * Signals and threads: each thread has its own mask (rt_sigprocmask), a
 * process-directed signal (kill) runs its handler in the one thread that
 * does not block it, a signal every thread blocks stays pending for the
 * process (seen by sigpending in every thread) until one unblocks it, a
 * thread-directed one (pthread_kill) is pending for its thread alone,
 * sigaltstack gives a thread a stack of its own for SA_ONSTACK handlers,
 * tkill/tgkill check their arguments, and kill() of a thread's tid signals
 * its process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static volatile sig_atomic_t usr1_tid, usr2_count, usr2_tid;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_tid = gettid_();
}

static void on_usr2(int sig)
{
    (void)sig;
    usr2_count++;
    usr2_tid = gettid_();
}

static volatile pid_t a_tid, b_tid;
static volatile int a_masked = -1, b_masked = -1, phase;

/* A: unblocks SIGUSR1 and spins until it comes */
static void *thread_a(void *arg)
{
    (void)arg;
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    pthread_sigmask(SIG_BLOCK, NULL, &old);
    a_masked = sigismember(&old, SIGUSR1);
    a_tid = gettid_();
    while (!usr1_tid)
        sched_yield();
    return NULL;
}

/* B: keeps SIGUSR1 blocked; later unblocks SIGUSR2 */
static void *thread_b(void *arg)
{
    (void)arg;
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, NULL, &old);
    b_masked = sigismember(&old, SIGUSR1);
    b_tid = gettid_();
    while (phase < 1)
        sched_yield();
    sigset_t p;
    sigpending(&p);
    printf("B sees SIGUSR2 pending (process and its own): %s\n",
           sigismember(&p, SIGUSR2) ? "yes" : "no");
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    sched_yield();
    sched_yield();
    return NULL;
}

static char altstack[65536];
static volatile int on_alt = -1, ss_onstack = -1;

static void on_alt_handler(int sig)
{
    (void)sig;
    char here;
    on_alt = &here >= altstack && &here < altstack + sizeof(altstack);
    stack_t now;
    sigaltstack(NULL, &now);
    ss_onstack = (now.ss_flags & SS_ONSTACK) != 0;
}

static void *alt_thread(void *arg)
{
    (void)arg;
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
    if (sigaltstack(&ss, NULL))
        printf("sigaltstack failed: %s\n", strerror(errno));
    stack_t small = {.ss_sp = altstack, .ss_size = 100, .ss_flags = 0};
    printf("sigaltstack of 100 bytes: %s\n",
           sigaltstack(&small, NULL) < 0 && errno == ENOMEM ? "ENOMEM" : "accepted");
    raise(SIGWINCH);
    return NULL;
}

static volatile pid_t d_tid;

static void *thread_d(void *arg)
{
    (void)arg;
    d_tid = gettid_();
    while (!usr1_tid)
        sched_yield();
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);

    /* the main thread blocks both; A and B start with its mask */
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    sigprocmask(SIG_BLOCK, &both, NULL);
    pthread_t a, b;
    pthread_create(&a, NULL, thread_a, NULL);
    pthread_create(&b, NULL, thread_b, NULL);
    while (!a_tid || !b_tid)
        sched_yield();
    printf("masks: A blocks SIGUSR1: %d, B blocks SIGUSR1: %d\n", a_masked, b_masked);

    /* process-directed: only A takes it */
    kill(getpid(), SIGUSR1);
    pthread_join(a, NULL);
    printf("kill(getpid(), SIGUSR1) ran in A: %s\n", usr1_tid == a_tid ? "yes" : "no");

    /* every thread blocks SIGUSR2: pending for the process; and one more for B alone */
    kill(getpid(), SIGUSR2);
    sigset_t p;
    sigpending(&p);
    printf("main sees SIGUSR2 pending: %s, handler run: %d\n",
           sigismember(&p, SIGUSR2) ? "yes" : "no", (int)usr2_count);
    pthread_kill(b, SIGUSR2);
    phase = 1;
    pthread_join(b, NULL);
    printf("B unblocked SIGUSR2: the handler ran %d times, in B: %s\n", (int)usr2_count,
           usr2_tid == b_tid ? "yes" : "no");
    sigpending(&p);
    printf("main sees SIGUSR2 pending after: %s\n", sigismember(&p, SIGUSR2) ? "yes" : "no");

    /* a thread-directed signal to the main thread: pending for it alone */
    pthread_kill(pthread_self(), SIGUSR2);
    sigpending(&p);
    printf("pthread_kill(self) while blocked: pending %s, handler run: %d\n",
           sigismember(&p, SIGUSR2) ? "yes" : "no", (int)usr2_count);
    sigprocmask(SIG_UNBLOCK, &both, NULL);
    printf("unblocked in main: handler run: %d, in main: %s\n", (int)usr2_count,
           usr2_tid == getpid() ? "yes" : "no");

    /* sigaltstack */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alt_handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGWINCH, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, alt_thread, NULL);
    pthread_join(t, NULL);
    printf("SA_ONSTACK handler on the alternate stack: %d, SS_ONSTACK: %d\n", on_alt, ss_onstack);
    on_alt = -1;
    raise(SIGWINCH); /* the main thread has no alternate stack */
    printf("main thread's SA_ONSTACK handler on the alternate stack: %d\n", on_alt);

    /* tkill, tgkill errors */
    errno = 0;
    printf("tkill(0): %s\n",
           syscall(SYS_tkill, 0, SIGUSR1) < 0 && errno == EINVAL ? "EINVAL" : "?");
    errno = 0;
    printf("tgkill(pid, 99999999): %s\n",
           syscall(SYS_tgkill, getpid(), 99999999, SIGUSR1) < 0 && errno == ESRCH ? "ESRCH" : "?");
    errno = 0;
    printf("tgkill(pid, pid, 65): %s\n",
           syscall(SYS_tgkill, getpid(), getpid(), 65) < 0 && errno == EINVAL ? "EINVAL" : "?");
    printf("tgkill(pid, pid, 0): %ld\n", syscall(SYS_tgkill, getpid(), getpid(), 0));

    /* kill() of a thread's tid signals its process */
    usr1_tid = 0;
    pthread_t d;
    pthread_create(&d, NULL, thread_d, NULL);
    while (!d_tid)
        sched_yield();
    printf("kill(a thread's tid): %d\n", kill(d_tid, SIGUSR1));
    while (!usr1_tid)
        sched_yield();
    pthread_join(d, NULL);
    printf("its process took it: %s\n", usr1_tid == d_tid || usr1_tid == getpid() ? "yes" : "no");
    return 0;
}
