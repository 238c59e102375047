/*
 * Threads (musl's pthreads over clone with CLONE_THREAD): 8 threads adding
 * to a counter under a mutex, a producer and a consumer on condition
 * variables, thread-specific data and its destructors, __thread variables
 * per thread, gettid distinct and getpid shared, pthread_kill running the
 * handler in the target thread, a detached thread, fork from a thread (the
 * child has that thread alone), execve from a process with a second thread
 * running, and the main thread ending (pthread_exit) while another goes on
 * and ends the process with exit(3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static pid_t tids[N], pids[N];
static __thread int mine;
static int tls_ok[N];

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static void *adder(void *arg)
{
    int i = (int)(long)arg;
    mine = i * 10;
    tids[i] = gettid_();
    pids[i] = getpid();
    for (int k = 0; k < 1000; k++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        if (k % 100 == 0)
            sched_yield();
    }
    tls_ok[i] = mine == i * 10;
    return (void *)(long)(i + 100);
}

/* a bounded queue on two condition variables */
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int queue[4], qlen, qhead;

static void *producer(void *arg)
{
    (void)arg;
    for (int v = 1; v <= 200; v++) {
        pthread_mutex_lock(&lock);
        while (qlen == 4)
            pthread_cond_wait(&not_full, &lock);
        queue[(qhead + qlen++) % 4] = v;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static pthread_key_t key;
static int destroyed;

static void destructor(void *v)
{
    pthread_mutex_lock(&lock);
    destroyed += (int)(long)v;
    pthread_mutex_unlock(&lock);
}

static void *keyed(void *arg)
{
    pthread_setspecific(key, arg);
    return pthread_getspecific(key) == arg ? (void *)1 : NULL;
}

static volatile sig_atomic_t handled_tid, stop;

static void on_usr1(int sig)
{
    (void)sig;
    handled_tid = gettid_();
}

static volatile pid_t spinner_tid;

static void *spinner(void *arg)
{
    (void)arg;
    spinner_tid = gettid_();
    while (!handled_tid)
        sched_yield();
    return NULL;
}

static void *forker(void *arg)
{
    (void)arg;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        /* the child is one thread: the one that forked, now its main thread */
        printf("fork from a thread: child's tid is its pid: %s\n",
               gettid_() == getpid() ? "yes" : "no");
        fflush(stdout);
        _exit(5);
    }
    int st = 0;
    waitpid(c, &st, 0);
    return (void *)(long)(WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *survivor(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    (void)main_thread;
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
    printf("the second thread goes on after the main thread ended\n");
    fflush(stdout);
    exit(3);
}

static volatile int detached_done;

static void *detached(void *arg)
{
    (void)arg;
    detached_done = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "exec")) {
        printf("execve from a thread-holding process: new image runs\n");
        return 0;
    }

    /* 8 threads, one mutex */
    pthread_t th[N];
    for (int i = 0; i < N; i++)
        if (pthread_create(&th[i], NULL, adder, (void *)(long)i)) {
            printf("pthread_create failed\n");
            return 1;
        }
    long sum = 0;
    for (int i = 0; i < N; i++) {
        void *r;
        pthread_join(th[i], &r);
        sum += (long)r;
    }
    printf("counter %ld, join values %ld\n", counter, sum);
    int distinct = 1, same_pid = 1, tls = 1;
    for (int i = 0; i < N; i++) {
        distinct &= tids[i] != getpid() && tids[i] > 0;
        for (int j = 0; j < i; j++)
            distinct &= tids[i] != tids[j];
        same_pid &= pids[i] == getpid();
        tls &= tls_ok[i];
    }
    printf("gettid distinct: %s; getpid the same in every thread: %s; __thread: %s\n",
           distinct ? "yes" : "no", same_pid ? "yes" : "no", tls ? "yes" : "no");
    printf("main thread's tid is the pid: %s\n", gettid_() == getpid() ? "yes" : "no");

    /* condition variables */
    pthread_t prod;
    pthread_create(&prod, NULL, producer, NULL);
    long got = 0;
    for (int n = 0; n < 200; n++) {
        pthread_mutex_lock(&lock);
        while (!qlen)
            pthread_cond_wait(&not_empty, &lock);
        got += queue[qhead];
        qhead = (qhead + 1) % 4;
        qlen--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
    }
    pthread_join(prod, NULL);
    printf("consumer got %ld (expected %d)\n", got, 200 * 201 / 2);

    /* thread-specific data */
    pthread_key_create(&key, destructor);
    int ok = 0;
    for (int i = 1; i <= 4; i++) {
        pthread_t k;
        void *r;
        pthread_create(&k, NULL, keyed, (void *)(long)i);
        pthread_join(k, &r);
        ok += r != NULL;
    }
    printf("thread-specific data: %d of 4 kept, destructors summed %d\n", ok, destroyed);

    /* pthread_kill runs the handler in the target thread */
    signal(SIGUSR1, on_usr1);
    pthread_t sp;
    pthread_create(&sp, NULL, spinner, NULL);
    while (!spinner_tid)
        sched_yield();
    pthread_kill(sp, SIGUSR1);
    pthread_join(sp, NULL);
    printf("pthread_kill: handler ran in the target thread: %s\n",
           handled_tid == spinner_tid ? "yes" : "no");
    printf("tgkill to a tid of another process: %s\n",
           syscall(SYS_tgkill, 1, getpid(), 0) < 0 && errno == ESRCH ? "ESRCH" : "no error");

    /* a detached thread */
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t dt;
    pthread_create(&dt, &at, detached, NULL);
    while (!detached_done)
        sched_yield();
    printf("detached thread ran\n");

    /* fork from a thread */
    pthread_t fk;
    void *fr;
    pthread_create(&fk, NULL, forker, NULL);
    pthread_join(fk, &fr);
    printf("the forking thread saw its child exit %ld\n", (long)fr);

    /* execve with another thread running: that thread ends */
    pid_t c = fork();
    if (c == 0) {
        pthread_t s;
        pthread_create(&s, NULL, sleeper, NULL);
        char *av[] = {"/bin/threads", "exec", NULL};
        execv(av[0], av);
        _exit(99);
    }
    int st;
    waitpid(c, &st, 0);
    printf("execve child: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* the main thread ends first; the other ends the process */
    c = fork();
    if (c == 0) {
        pthread_t self = pthread_self(), s;
        pthread_create(&s, NULL, survivor, &self);
        pthread_exit(NULL);
    }
    waitpid(c, &st, 0);
    printf("main thread ended first: process exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* a default action ends every thread */
    c = fork();
    if (c == 0) {
        pthread_t s;
        pthread_create(&s, NULL, sleeper, NULL);
        for (;;)
            pause();
    }
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    kill(c, SIGTERM);
    waitpid(c, &st, 0);
    printf("SIGTERM to a process of two threads: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}
