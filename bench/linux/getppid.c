/*
 * getppid: Linux's null system call, the peer of Weft's `Yield` loop
 * (null_syscall_yield in kernel/test/bench_ktest.c). LB_BATCHES batches of N calls;
 * each batch's rdtsc delta covers the calls and the loop around them.
 */
#include "lbench.h"

#include <unistd.h>

#define N 1000

int main(void)
{
    uint64_t batch[LB_BATCHES];
    /* init (pid 1) started us: the call must really have answered. */
    if (getppid() != 1)
        lb_fail("getppid is not 1", (long)getppid());
    for (unsigned i = 0; i < N; i++)
        getppid();
    for (unsigned b = 0; b < LB_BATCHES; b++) {
        uint64_t t0 = lb_rdtsc();
        for (unsigned i = 0; i < N; i++)
            getppid();
        batch[b] = lb_rdtsc() - t0;
    }
    lb_report_op("getppid", "same", N, batch);
    return 0;
}
