/*
 * oom: touches more memory than lx's pool holds (lx runs it alone: a "weft-only"
 * line). The pool of the process is the limit: the page fault that finds it
 * empty reaches lx, which ends the process with SIGSEGV (where Linux's OOM
 * killer would send SIGKILL), gives its memory back by revoking its pool, and
 * runs the next line.
 */
#include <stdio.h>
#include <sys/mman.h>

#define SIZE (48ul << 20)

int main(void)
{
    printf("touching %lu MiB\n", SIZE >> 20);
    fflush(stdout);
    volatile char *m = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        printf("mmap refused\n");
        return 0;
    }
    for (unsigned long i = 0; i < SIZE; i += 4096)
        m[i] = 1;
    printf("FAIL: every page was touched: the pool did not limit the process\n");
    return 1;
}
