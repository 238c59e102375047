/*
 * IPC across CPUs in guest instructions (docs/perf/smp.md; make bench-smp).
 *
 * Under `-icount shift=0,sleep=off` QEMU runs every vCPU in one thread, round
 * robin, and counts the guest instructions of all of them in one counter,
 * which the TSC of every vCPU reads. So an rdtsc delta is the instructions all
 * CPUs executed meanwhile. A CPU with nothing to run waits in `hlt`, which
 * executes nothing (and with sleep=off the clock skips to the next event), and
 * a CPU that spins (for the kernel lock, for a remote call's acknowledgement)
 * runs `pause`, on which QEMU's round robin goes on to the next vCPU: idle and
 * waiting cost (almost) no instructions. The figures are then the work of
 * every CPU involved, and the same on every run: the interleaving is decided
 * by the instruction counts alone.
 *
 *   - call_reply_recv_round_trip, space "cross_cpu": the client (uprog_bloop)
 *     on CPU 0, the server on the last CPU; both CPUs idle while the other
 *     works, so the figure holds both slow paths, both reschedule IPIs and both
 *     idle exits.
 *   - call_reply_recv_round_trip, space "same_cpu_other_busy": client and
 *     server on CPU 0 (the fast path), a thread on the last CPU counting in a
 *     loop of two instructions; the counter includes that CPU's instructions,
 *     so the client's loop (uprog_bloop_busy) reads the count with each rdtsc
 *     and the figure is the delta less twice the count.
 *
 * Each also checks what ran: the paths taken (slow twice per round trip across
 * CPUs, fast twice on one), the server's last message, the busy thread's CPU.
 * At one CPU they skip. Without -icount the figures are wall-clock noise.
 */
#include "config.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "kprintf.h"
#include "ktest.h"
#include "sched/sched.h"
#include "sched/smp.h"

#define N 1000
#define N_BUSY                                                                                     \
    30000 /* 10 million instructions or so: QEMU's round robin
                        switches to the busy CPU several times meanwhile */

extern const uint8_t uprog_script[], uprog_bloop[], uprog_bserver[], uprog_bbusy[],
    uprog_bloop_busy[];
#define PC(prog) (KW_CODE + (uint64_t)(uprog_##prog - uprog_script))

static void report(const char *space, const char *path, uint64_t total, unsigned n)
{
    uint64_t x10 = total * 10 / n;
    kprintf("{\"bench\": \"smp\", \"arch\": \"x86_64\", \"cluster_order\": %d, \"cpus\": %u, "
            "\"case\": \"call_reply_recv_round_trip\", \"space\": \"%s\", \"path\": \"%s\", "
            "\"iterations\": %u, \"instructions_per_op\": %lu.%lu}\n",
            CLUSTER_ORDER, smp_online, space, path, n, (unsigned long)(x10 / 10),
            (unsigned long)(x10 % 10));
}

/* Gives up the lock until thread i is in state s or about a second passes. */
static bool wait_state(unsigned i, enum tcb_state s)
{
    uint64_t until = arch_clock_ns() + 1000000000ull;
    kernel_lock_release();
    while (__atomic_load_n(&kw_tcb(i)->state, __ATOMIC_ACQUIRE) != s && arch_clock_ns() < until)
        cpu_relax();
    kernel_lock_acquire();
    return kw_tcb(i)->state == s;
}

static bool client_done(void)
{
    return kw_tcb(0)->state == TCB_INACTIVE;
}

/* Client (thread 0, CPU 0) Calls the server (thread 1, on server_cpu) N times,
 * one word each way, fast path on; with busy, thread 2 counts on the last CPU
 * meanwhile. */
static void round_trip(unsigned server_cpu, bool busy)
{
    unsigned last = smp_online - 1, n = busy ? N_BUSY : N;
    KT_ASSERT(kw_setup(), "no memory");
    ipc_fastpath_set(true);
    uint64_t *p = kw_params(1);
    p[0] = KW_EP(0);
    p[1] = KW_REPLY(0);
    p[2] = wf_msginfo(1, 0, 1);
    p = kw_params(0);
    p[0] = n;
    p[1] = WF_SYS_CALL;
    p[2] = KW_EP(0);
    p[3] = wf_msginfo(1, 0, 1);
    p[4] = 7;
    p[5] = KW_REPLY(1);
    p[6] = KW_TCB(0);
    sched_set_cpu(kw_tcb(1), server_cpu);
    kw_start_at(1, 20, PC(bserver));
    bool ready = server_cpu ? wait_state(1, TCB_BLOCKED_RECV) : true;
    if (!server_cpu)
        sched_run_until_idle();
    ready = ready && kw_tcb(1)->state == TCB_BLOCKED_RECV;
    volatile uint64_t *count = &kw_shared()[2];
    *count = 0;
    if (busy) {
        sched_set_cpu(kw_tcb(2), last);
        kw_start_at(2, 20, PC(bbusy));
        uint64_t until = arch_clock_ns() + 5000000000ull;
        kernel_lock_release();
        while (!*count && arch_clock_ns() < until)
            cpu_relax();
        kernel_lock_acquire();
    }
    bool counting = !busy || *count;
    struct ipc_stats st0 = ipc_stats;
    kw_start_at(0, 10, busy ? PC(bloop_busy) : PC(bloop));
    sched_run_until(client_done);
    struct ipc_stats st = ipc_stats;
    uint64_t t = kw_res(0, 0)->err, counted = busy ? kw_res(0, 0)->info : 0;
    bool done = client_done();
    struct tcb *srv = kw_tcb(1);
    bool srv_ok = srv->state == TCB_BLOCKED_RECV && ctx_sysno(&srv->ctx) == WF_SYS_REPLY_RECV &&
                  ctx_mr(&srv->ctx, 0) == 7 && srv->cpu == server_cpu;
    bool busy_ok = !busy || (kw_tcb(2)->cpu == last && sched_is_current(kw_tcb(2)));
    kw_teardown();
    KT_ASSERT(ready, "the server never waited");
    KT_ASSERT(counting, "the busy thread never counted");
    KT_ASSERT(done && t > 0, "the client did not finish");
    KT_ASSERT(srv_ok, "the server is not waiting with the client's word on its CPU");
    KT_ASSERT(busy_ok, "the busy thread left its CPU");
    uint64_t fast = st.fast - st0.fast, slow = st.slow - st0.slow;
    if (server_cpu)
        KT_ASSERT(fast == 0 && slow == 2 * n, "fast %lu slow %lu", (unsigned long)fast,
                  (unsigned long)slow);
    else
        KT_ASSERT(fast == 2 * n && slow == 0, "fast %lu slow %lu", (unsigned long)fast,
                  (unsigned long)slow);
    if (busy)
        kprintf("# the busy CPU counted %lu meanwhile, of %lu\n", (unsigned long)counted,
                (unsigned long)t);
    report(server_cpu ? "cross_cpu" : (busy ? "same_cpu_other_busy" : "same_cpu"),
           server_cpu ? "slow" : "fast", t - 2 * counted, n);
}

KTEST(bench_smp, call_reply_recv_round_trip_between_cpus)
{
    if (smp_online < 2)
        TAP_SKIP("one CPU");
    round_trip(smp_online - 1, false);
}

KTEST(bench_smp, call_reply_recv_round_trip_on_one_cpu_while_another_is_busy)
{
    if (smp_online < 2)
        TAP_SKIP("one CPU");
    round_trip(0, true);
}
