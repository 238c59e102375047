/*
 * signal: the Linux peers of Weft's signal_wait_round (a Signal to a
 * higher-priority thread waiting on a notification, which wakes at once and
 * Waits again, kernel/test/bench_ktest.c). Two threads of one process, both
 * SCHED_FIFO, the waiter at the higher priority, so that a wake-up preempts the
 * signaller before its system call returns to it, as Weft's priority scheduler
 * does. One round: the signaller's wake system call, the switch to the waiter,
 * the waiter's return from its wait and its next wait call, the switch back.
 *
 *   futex_wake_wait_round    the waiter sleeps in FUTEX_WAIT on a word that the
 *                            signaller sets to 1 before FUTEX_WAKE; the waiter
 *                            clears it and waits again (private futexes)
 *   eventfd_write_read_round the waiter blocks in read() on an eventfd, the
 *                            signaller write()s 1 to it
 *
 * Checks that the waiter ran in every round: every FUTEX_WAKE woke exactly one
 * thread (so the waiter was back in FUTEX_WAIT before the next), and the eventfd
 * waiter completed exactly one read per write (so no two writes were merged).
 */
#include "lbench.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N     1000
#define WARM  100
#define TOTAL (WARM + LB_BATCHES * N)

#define FUTEX_WAIT_PRIVATE 128 /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define FUTEX_WAKE_PRIVATE 129 /* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */

static int word;
static int efd;
static volatile int stop;
static volatile unsigned long rounds; /* completed waits, counted by the waiter */

static long futex(int *uaddr, int op, int val)
{
    return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static void *futex_waiter(void *arg)
{
    (void)arg;
    for (;;) {
        while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) == 0)
            futex(&word, FUTEX_WAIT_PRIVATE, 0);
        __atomic_store_n(&word, 0, __ATOMIC_RELAXED);
        if (stop)
            return NULL;
        rounds++;
    }
}

static void *eventfd_waiter(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t v;
        if (read(efd, &v, sizeof(v)) != sizeof(v) || stop)
            return NULL;
        if (v != 1)
            lb_fail("eventfd: two writes merged (the waiter did not run)", (long)v);
        rounds++;
    }
}

static long futex_signal(void)
{
    __atomic_store_n(&word, 1, __ATOMIC_RELEASE);
    return futex(&word, FUTEX_WAKE_PRIVATE, 1);
}

static long eventfd_signal(void)
{
    uint64_t one = 1;
    return write(efd, &one, sizeof(one)) == sizeof(one);
}

/* Starts `waiter` at a priority above ours, times TOTAL signals, stops it, reports. */
static void measure(const char *name, void *(*waiter)(void *), long (*signal)(void))
{
    pthread_attr_t attr;
    struct sched_param hi = {.sched_priority = 20};
    pthread_t t;
    uint64_t batch[LB_BATCHES];
    long woke = 0;

    stop = 0;
    rounds = 0;
    if (pthread_attr_init(&attr) || pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED) ||
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO) || pthread_attr_setschedparam(&attr, &hi) ||
        pthread_create(&t, &attr, waiter, NULL))
        lb_fail("starting the SCHED_FIFO waiter", 0);
    /* It ran at once (higher priority) and blocks in its wait: no sleep needed. */
    for (unsigned i = 0; i < WARM; i++)
        woke += signal();
    for (unsigned b = 0; b < LB_BATCHES; b++) {
        uint64_t t0 = lb_rdtsc();
        for (unsigned i = 0; i < N; i++)
            woke += signal();
        batch[b] = lb_rdtsc() - t0;
    }
    unsigned long done = rounds;
    stop = 1;
    signal();
    pthread_join(t, NULL);
    if (woke != TOTAL || done != TOTAL)
        lb_fail(name, (long)(woke * 1000000 + (long)done));
    lb_report_op(name, "same", N, batch);
}

int main(void)
{
    struct sched_param lo = {.sched_priority = 10};
    /* musl's sched_setscheduler() is ENOSYS by design: set the thread's policy. */
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &lo) != 0)
        lb_fail("pthread_setschedparam(SCHED_FIFO)", 0);
    efd = eventfd(0, 0);
    if (efd < 0)
        lb_fail("eventfd", 0);
    measure("futex_wake_wait_round", futex_waiter, futex_signal);
    measure("eventfd_write_read_round", eventfd_waiter, eventfd_signal);
    return 0;
}
