/*
 * Time: CLOCK_MONOTONIC never goes back and advances across a 20 ms
 * nanosleep; CLOCK_REALTIME and gettimeofday answer; a bad clock is EINVAL.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static long long ns(const struct timespec *t)
{
    return t->tv_sec * 1000000000ll + t->tv_nsec;
}

int main(void)
{
    struct timespec a, b, c, r;
    int ok = clock_gettime(CLOCK_MONOTONIC, &a) == 0;
    for (int i = 0; i < 100; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        ok &= ns(&b) >= ns(&a);
    }
    printf("monotonic never goes back: %s\n", ok ? "yes" : "no");
    struct timespec d = {0, 20000000};
    int s = nanosleep(&d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &c);
    printf("nanosleep 20 ms: %s\n", s == 0 && ns(&c) - ns(&b) >= 20000000 ? "slept" : "FAIL");
    printf("realtime: %s\n",
           clock_gettime(CLOCK_REALTIME, &r) == 0 && r.tv_sec > 1000000000 ? "set" : "FAIL");
    struct timeval tv;
    printf("gettimeofday: %s\n",
           gettimeofday(&tv, NULL) == 0 && tv.tv_sec > 1000000000 ? "set" : "FAIL");
    errno = 0;
    printf("clock 99: %s\n", clock_gettime(99, &r) == -1 && errno == EINVAL ? "EINVAL" : "FAIL");
    return 0;
}
