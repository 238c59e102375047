/*
 * pipe: a round trip between two processes on one CPU through two pipes, the
 * Linux peer of Weft's cross-address-space Call + ReplyRecv. The parent writes one
 * byte to the child's pipe and reads the child's answer from the other; the child
 * reads the byte and writes it back. Each round trip is two writes, two reads and
 * two process switches. The parent checks every byte that comes back.
 */
#include "lbench.h"

#include <sys/wait.h>
#include <unistd.h>

#define N    1000
#define WARM 2000

static void round_trip(int to, int from, unsigned i)
{
    unsigned char c = (unsigned char)i, r = 0;
    if (write(to, &c, 1) != 1 || read(from, &r, 1) != 1)
        lb_fail("pipe write or read", (long)i);
    if (r != c)
        lb_fail("pipe answered another byte", (long)r);
}

int main(void)
{
    int req[2], ans[2];
    if (pipe(req) != 0 || pipe(ans) != 0)
        lb_fail("pipe", 0);
    pid_t child = fork();
    if (child < 0)
        lb_fail("fork", 0);
    if (child == 0) {
        unsigned char c;
        close(req[1]);
        close(ans[0]);
        while (read(req[0], &c, 1) == 1)
            if (write(ans[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(req[0]);
    close(ans[1]);

    uint64_t batch[LB_BATCHES];
    for (unsigned i = 0; i < WARM; i++)
        round_trip(req[1], ans[0], i);
    for (unsigned b = 0; b < LB_BATCHES; b++) {
        uint64_t t0 = lb_rdtsc();
        for (unsigned i = 0; i < N; i++)
            round_trip(req[1], ans[0], i);
        batch[b] = lb_rdtsc() - t0;
    }
    close(req[1]); /* the child reads end-of-file and exits */
    int st;
    if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        lb_fail("the echoing child failed", st);
    lb_report_op("pipe_round_trip", "cross", N, batch);
    return 0;
}
