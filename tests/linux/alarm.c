/*
 * alarm and setitimer(ITIMER_REAL): the time left returned by alarm (whole
 * seconds) and by setitimer and getitimer, a cancel with 0, SIGALRM on expiry
 * to a handler (interrupting pause and nanosleep, and reaching a process
 * busy in user code), a periodic timer, the default action (the process
 * ends), no timer inherited by a forked child, EINVAL for a bad value.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits;

static void on_alarm(int sig)
{
    (void)sig;
    hits++;
}

static struct itimerval timer(long every_us, long value_us)
{
    struct itimerval v = {{every_us / 1000000, every_us % 1000000},
                          {value_us / 1000000, value_us % 1000000}};
    return v;
}

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm; /* no SA_RESTART: a sleep is interrupted */
    sigaction(SIGALRM, &sa, NULL);

    /* alarm: the seconds left of the one before, 0 cancels */
    printf("alarm(5) = %u\n", alarm(5));
    printf("alarm(2) = %u\n", alarm(2));
    printf("alarm(0) = %u\n", alarm(0));
    printf("alarm(0) again = %u\n", alarm(0));

    /* setitimer: the old value, getitimer the time left, 0 cancels */
    struct itimerval v = timer(0, 10000000), old, cur;
    printf("setitimer 10 s: %d\n", setitimer(ITIMER_REAL, &v, &old));
    printf("old value %.6f interval %.6f\n", seconds(old.it_value), seconds(old.it_interval));
    getitimer(ITIMER_REAL, &cur);
    printf("getitimer: between 9 and 10 s left: %s\n",
           seconds(cur.it_value) > 9 && seconds(cur.it_value) <= 10 ? "yes" : "no");
    printf("alarm(0) after it: %u\n", alarm(0)); /* alarm shares the timer */
    v = timer(0, 10000000);
    setitimer(ITIMER_REAL, &v, NULL);
    struct itimerval zero = timer(0, 0);
    setitimer(ITIMER_REAL, &zero, &old);
    printf("cancelled with 9 to 10 s left: %s\n",
           seconds(old.it_value) > 9 && seconds(old.it_value) <= 10 ? "yes" : "no");
    getitimer(ITIMER_REAL, &cur);
    printf("after the cancel: value %.6f interval %.6f\n", seconds(cur.it_value),
           seconds(cur.it_interval));

    /* a one-shot timer interrupts pause */
    v = timer(0, 200000); /* room for a slow host between the two calls */
    setitimer(ITIMER_REAL, &v, NULL);
    int r = pause();
    printf("pause: %d %s, handler ran %d time(s)\n", r, r < 0 && errno == EINTR ? "EINTR" : "?",
           (int)hits);

    /* and nanosleep */
    v = timer(0, 200000); /* room for a slow host between the two calls */
    setitimer(ITIMER_REAL, &v, NULL);
    struct timespec ts = {5, 0};
    r = nanosleep(&ts, NULL);
    printf("nanosleep 5 s: %d %s, handler ran %d time(s)\n", r,
           r < 0 && errno == EINTR ? "EINTR" : "?", (int)hits);

    /* and a process busy in user code */
    v = timer(0, 200000); /* room for a slow host between the two calls */
    setitimer(ITIMER_REAL, &v, NULL);
    double start = now();
    while (hits < 3 && now() - start < 10)
        ;
    printf("busy loop: handler ran %d time(s)\n", (int)hits);

    /* periodic: three more, then a cancel returns the interval */
    v = timer(20000, 20000);
    setitimer(ITIMER_REAL, &v, NULL);
    while (hits < 6)
        pause();
    setitimer(ITIMER_REAL, &zero, &old);
    printf("periodic: 3 signals, interval %.6f\n", seconds(old.it_interval));
    ts.tv_sec = 0;
    ts.tv_nsec = 100000000;
    nanosleep(&ts, NULL);
    printf("none after the cancel: %s\n", hits == 6 ? "yes" : "no");

    /* a forked child has no timer; SIGALRM's default action ends a process */
    alarm(100);
    pid_t pid = fork();
    if (pid == 0)
        _exit((int)alarm(0));
    int st = 0;
    waitpid(pid, &st, 0);
    printf("child's alarm(0): %d\n", WEXITSTATUS(st));
    printf("parent's alarm kept: %s\n", alarm(0) == 100 ? "yes" : "no");
    pid = fork();
    if (pid == 0) {
        signal(SIGALRM, SIG_DFL);
        struct itimerval w = timer(0, 20000);
        setitimer(ITIMER_REAL, &w, NULL);
        pause();
        _exit(4);
    }
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        printf("child: signal %d\n", WTERMSIG(st));
    else
        printf("child: exited %d\n", WEXITSTATUS(st));

    /* bad values */
    v = timer(0, 0);
    v.it_value.tv_usec = 1000000;
    r = setitimer(ITIMER_REAL, &v, NULL);
    printf("usec 1000000: %d %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : "?");
    v.it_value.tv_usec = 0;
    v.it_value.tv_sec = -1;
    r = setitimer(ITIMER_REAL, &v, NULL);
    printf("negative seconds: %d %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : "?");
    r = setitimer(99, &zero, NULL);
    printf("timer 99: %d %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : "?");
    return 0;
}
