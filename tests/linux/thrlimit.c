/*
 * lx's limits on threads (a "weft-only" line of lx.rc: Linux has no such
 * limit): pthread_create until lx refuses (EAGAIN, never a hang or a fault),
 * every thread joined, then the same again, which must reach the same count
 * (nothing leaked: TCBs, slots, Reply objects); clone's flag checks; a futex
 * wait on a word at an address that is not mapped (EFAULT). Prints FAIL on
 * any difference.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX 200

static void *idle(void *arg)
{
    volatile int *go = arg;
    while (!*go)
        sched_yield();
    return NULL;
}

static int round_of_threads(int *err)
{
    static pthread_t th[MAX];
    volatile int go = 0;
    int n = 0;
    *err = 0;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 16384);
    while (n < MAX) {
        int e = pthread_create(&th[n], &at, idle, (void *)&go);
        if (e) {
            *err = e;
            break;
        }
        n++;
    }
    go = 1;
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    return n;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int e1, e2;
    int n1 = round_of_threads(&e1);
    int n2 = round_of_threads(&e2);
    printf("threads created: %d then %d (%s, %s)\n", n1, n2, e1 == EAGAIN ? "EAGAIN" : "?",
           e2 == EAGAIN ? "EAGAIN" : "?");
    if (n1 != n2 || n1 < 8 || e1 != EAGAIN || e2 != EAGAIN)
        printf("FAIL: the second round differs, or no EAGAIN\n");
    /* CLONE_THREAD without CLONE_SIGHAND, CLONE_SIGHAND without CLONE_VM */
    long r = syscall(SYS_clone, CLONE_THREAD | CLONE_VM, 0, 0, 0, 0);
    printf("clone(CLONE_THREAD|CLONE_VM): %s\n", r < 0 && errno == EINVAL ? "EINVAL" : "FAIL");
    r = syscall(SYS_clone, CLONE_SIGHAND, 0, 0, 0, 0);
    printf("clone(CLONE_SIGHAND): %s\n", r < 0 && errno == EINVAL ? "EINVAL" : "FAIL");
    r = syscall(SYS_futex, (uint32_t *)0x1000, 0, 0, NULL, NULL, 0);
    printf("futex wait on an unmapped word: %s\n", r < 0 && errno == EFAULT ? "EFAULT" : "FAIL");
    return 0;
}
