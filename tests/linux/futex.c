/*
 * Raw futex(2) calls: FUTEX_WAIT (a word that differs: EAGAIN; a relative
 * timeout: ETIMEDOUT, not early), FUTEX_WAKE of a waiting thread,
 * FUTEX_WAIT_BITSET with absolute timeouts on CLOCK_MONOTONIC and
 * CLOCK_REALTIME, FUTEX_WAKE_BITSET (a bitset that does not match wakes no
 * one), FUTEX_CMP_REQUEUE and FUTEX_REQUEUE, a wait a signal interrupts
 * (EINTR), the errors (EINVAL, EFAULT, ENOSYS), a shared futex between two
 * processes on a MAP_SHARED page, and robust lists (set_robust_list,
 * get_robust_list, the list walked when a process ends holding a lock).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

/* <linux/futex.h>'s values (musl-gcc has no kernel headers) */
#define FUTEX_WAIT                0
#define FUTEX_WAKE                1
#define FUTEX_REQUEUE             3
#define FUTEX_CMP_REQUEUE         4
#define FUTEX_WAIT_BITSET         9
#define FUTEX_WAKE_BITSET         10
#define FUTEX_PRIVATE_FLAG        128
#define FUTEX_CLOCK_REALTIME      256
#define FUTEX_WAIT_PRIVATE        (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE        (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE     (FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_BITSET_PRIVATE (FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY    0xffffffffu
#define FUTEX_WAITERS             0x80000000u

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const void *ts,
                  volatile uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static const char *err(long r)
{
    static char buf[32];
    if (r < 0)
        return errname(errno);
    snprintf(buf, sizeof(buf), "%ld", r);
    return buf;
}

static uint64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static volatile uint32_t word, word2;
static volatile int started;

struct waiter {
    int op;
    uint32_t bitset;
    volatile uint32_t *at;
    long result;
    int err;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    w->result = futex(w->at, w->op, 0, NULL, NULL, w->bitset);
    w->err = w->result < 0 ? errno : 0;
    return NULL;
}

static void report(const char *what, struct waiter *w)
{
    errno = w->err;
    printf("%s: the waiter returned %s\n", what, err(w->result));
}

static void on_usr1(int sig)
{
    (void)sig;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct timespec rel = {0, 30 * 1000 * 1000};

    /* FUTEX_WAIT */
    word = 1;
    printf("wait on a word that differs: %s\n", err(futex(&word, FUTEX_WAIT, 2, NULL, NULL, 0)));
    uint64_t t0 = now_ns(CLOCK_MONOTONIC);
    long r = futex(&word, FUTEX_WAIT_PRIVATE, 1, &rel, NULL, 0);
    uint64_t took = now_ns(CLOCK_MONOTONIC) - t0;
    printf("wait 30 ms: %s, not early: %s\n", err(r), took >= 30000000 ? "yes" : "no");
    struct timespec zero = {0, 0};
    printf("wait 0 s: %s\n", err(futex(&word, FUTEX_WAIT, 1, &zero, NULL, 0)));
    printf("wake with no waiter: %s\n", err(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0)));

    /* absolute timeouts */
    uint64_t at = now_ns(CLOCK_MONOTONIC) + 30000000;
    struct timespec abs_ts = {(time_t)(at / 1000000000), (long)(at % 1000000000)};
    r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 1, &abs_ts, NULL, FUTEX_BITSET_MATCH_ANY);
    printf("wait_bitset to a monotonic deadline: %s, not early: %s\n", err(r),
           now_ns(CLOCK_MONOTONIC) >= at ? "yes" : "no");
    at = now_ns(CLOCK_REALTIME) + 30000000;
    abs_ts = (struct timespec){(time_t)(at / 1000000000), (long)(at % 1000000000)};
    r = futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, &abs_ts, NULL,
              FUTEX_BITSET_MATCH_ANY);
    printf("wait_bitset to a realtime deadline: %s, not early: %s\n", err(r),
           now_ns(CLOCK_REALTIME) >= at ? "yes" : "no");
    abs_ts = (struct timespec){1, 0};
    printf("wait_bitset to a deadline past: %s\n",
           err(futex(&word, FUTEX_WAIT_BITSET, 1, &abs_ts, NULL, ~0u)));

    /* errors */
    struct timespec bad = {0, 2000000000};
    printf("bad timeout: %s\n", err(futex(&word, FUTEX_WAIT, 1, &bad, NULL, 0)));
    printf("timeout at a bad address: %s\n", err(futex(&word, FUTEX_WAIT, 1, (void *)8, NULL, 0)));
    printf("unaligned word: %s\n",
           err(futex((uint32_t *)((char *)&word + 1), FUTEX_WAIT, 1, NULL, NULL, 0)));
    printf("word at a bad address: %s\n", err(futex((uint32_t *)16, FUTEX_WAIT, 1, NULL, NULL, 0)));
    printf("wait_bitset with bitset 0: %s\n",
           err(futex(&word, FUTEX_WAIT_BITSET, 1, NULL, NULL, 0)));
    printf("wake_bitset with bitset 0: %s\n",
           err(futex(&word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0)));
    printf("unknown op: %s\n", err(futex(&word, 99, 1, NULL, NULL, 0)));
    printf("CLOCK_REALTIME with FUTEX_WAKE: %s\n",
           err(futex(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0)));
    printf("requeue of a negative count: %s\n",
           err(futex(&word, FUTEX_REQUEUE, 1, (void *)-1l, &word2, 0)));

    /* FUTEX_WAKE of a waiting thread */
    word = 0;
    struct waiter w1 = {FUTEX_WAIT_PRIVATE, 0, &word, 0, 0};
    pthread_t th;
    pthread_create(&th, NULL, wait_thread, &w1);
    long woken = 0;
    while (!(woken = futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)))
        sched_yield();
    pthread_join(th, NULL);
    printf("wake: %ld woken\n", woken);
    report("wake", &w1);

    /* bitsets */
    struct waiter w2 = {FUTEX_WAIT_BITSET_PRIVATE, 2, &word, 0, 0};
    started = 0;
    pthread_create(&th, NULL, wait_thread, &w2);
    while (!started)
        sched_yield();
    sleep_ms(30);
    printf("wake_bitset 1 (the waiter's is 2): %s woken\n",
           err(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 1)));
    printf("wake_bitset 6: %s woken\n",
           err(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 6)));
    pthread_join(th, NULL);
    report("wake_bitset", &w2);

    /* requeue: three waiters on word; one woken and one moved to word2, then
     * the last moved, then both on word2 woken */
    struct waiter w3[3];
    pthread_t t3[3];
    started = 0;
    for (int i = 0; i < 3; i++) {
        w3[i] = (struct waiter){FUTEX_WAIT_PRIVATE, 0, &word, 0, 0};
        pthread_create(&t3[i], NULL, wait_thread, &w3[i]);
    }
    while (started < 3)
        sched_yield();
    sleep_ms(50);
    printf("cmp_requeue, the word differs: %s\n",
           err(futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1l, &word2, 7)));
    printf("cmp_requeue 1 woken, 1 moved: %s\n",
           err(futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1l, &word2, 0)));
    printf("requeue 0 woken, 5 moved: %s\n",
           err(futex(&word, FUTEX_REQUEUE_PRIVATE, 0, (void *)5l, &word2, 0)));
    printf("wake on the first word: %s\n",
           err(futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));
    printf("wake on the second word: %s\n",
           err(futex(&word2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)));
    int zeros = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(t3[i], NULL);
        zeros += w3[i].result == 0;
    }
    printf("requeue: %d of 3 waiters returned 0\n", zeros);

    /* a signal interrupts a wait */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    struct waiter w4 = {FUTEX_WAIT_PRIVATE, 0, &word, 0, 0};
    started = 0;
    pthread_create(&th, NULL, wait_thread, &w4);
    while (!started)
        sched_yield();
    sleep_ms(30);
    pthread_kill(th, SIGUSR1);
    pthread_join(th, NULL);
    report("a signal during the wait", &w4);

    /* a shared futex: two processes, one MAP_SHARED page */
    volatile uint32_t *shared =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    shared[0] = 0;
    shared[1] = 0;
    pid_t c = fork();
    if (c == 0) {
        shared[1] = 1;
        while (shared[0] == 0)
            futex(&shared[0], FUTEX_WAIT, 0, NULL, NULL, 0);
        _exit(shared[0] == 42 ? 0 : 1);
    }
    while (!shared[1])
        sched_yield();
    sleep_ms(30);
    shared[0] = 42;
    woken = 0;
    for (int tries = 0; tries < 100 && !woken; tries++) {
        woken = futex(&shared[0], FUTEX_WAKE, 1, NULL, NULL, 0);
        if (!woken)
            sleep_ms(5);
    }
    int st = 0;
    waitpid(c, &st, 0);
    printf("shared futex: %ld woken in the other process, which saw the word: %s\n", woken,
           WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");

    /* robust lists */
    void *head = NULL;
    size_t len = 0;
    static long mine[3];
    mine[0] = (long)mine;
    printf("set_robust_list of a bad size: %s\n", err(syscall(SYS_set_robust_list, mine, 23)));
    syscall(SYS_set_robust_list, mine, 24);
    r = syscall(SYS_get_robust_list, 0, &head, &len);
    printf("get_robust_list: %s, the head set: %s, size %zu\n", err(r), head == mine ? "yes" : "no",
           len);
    printf("get_robust_list of no thread: %s\n",
           err(syscall(SYS_get_robust_list, 999999, &head, &len)));
    /* a process ends holding a robust futex in a shared page: marked as its
     * owner's death, the waiters bit kept */
    struct robust {
        void *next;
        long offset;
        void *pending;
        void *entry_next;
        uint32_t word;
    } *rb = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    c = fork();
    if (c == 0) {
        rb->next = &rb->entry_next;
        rb->offset = (long)((char *)&rb->word - (char *)&rb->entry_next);
        rb->pending = NULL;
        rb->entry_next = rb;
        rb->word = (uint32_t)syscall(SYS_gettid) | FUTEX_WAITERS;
        syscall(SYS_set_robust_list, rb, 24);
        _exit(0);
    }
    waitpid(c, &st, 0);
    printf("robust word after its owner ended: %#x\n", rb->word);
    return 0;
}
