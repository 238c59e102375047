/*
 * IPC benchmarks (docs/perf/ipc.md): ring-3 loops that time N system calls with
 * rdtsc. Under `-icount shift=0,sleep=off` (make bench-ipc) the TSC advances one
 * per guest instruction, so the figures are guest instructions per operation,
 * user-mode loop included, the same on every run. Each prints one JSON line.
 *
 * They are self-tests as well (suite bench_ipc, run by every `ktest` boot): each
 * checks that the operation it names is what ran (the fast path taken N times or
 * never, every fault answered), so a figure cannot silently measure something
 * else. All threads share the kernel test space; the cross-address-space round
 * trip needs VSpaces (the VM work): bench_cross_space() is the hook.
 */
#include "config.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "kprintf.h"
#include "ktest.h"
#include "sched/sched.h"

#define N 1000

extern const uint8_t uprog_script[], uprog_bloop[], uprog_bserver[], uprog_bfault_server[],
    uprog_bwaiter[], uprog_bfault[];
#define PC(prog) (KW_CODE + (uint64_t)(uprog_##prog - uprog_script))

_Static_assert(WF_SYS_CALL == 0x57460000 && WF_SYS_RECV == 0x57460003 &&
                   WF_SYS_REPLY_RECV == 0x57460005 && WF_SYS_WAIT == 0x57460007,
               "user_progs.S has the numbers");
_Static_assert(WF_LABEL_TCB_SUSPEND == 0x2b, "user_progs.S has the label");

static void report(const char *name, const char *space, const char *path, uint64_t total)
{
    uint64_t x10 = total * 10 / N;
    kprintf("{\"bench\": \"ipc\", \"arch\": \"x86_64\", \"cluster_order\": %d, \"case\": \"%s\", "
            "\"space\": \"%s\", \"path\": \"%s\", \"iterations\": %d, "
            "\"instructions_per_op\": %lu.%lu}\n",
            CLUSTER_ORDER, name, space, path, N, (unsigned long)(x10 / 10),
            (unsigned long)(x10 % 10));
}

/* Thread 0 makes syscall nr (cap, info, word 0) N times; returns the rdtsc delta. */
static uint64_t loop(uint64_t nr, uint64_t cap, uint64_t info, uint64_t w0)
{
    uint64_t *p = kw_params(0);
    p[0] = N;
    p[1] = nr;
    p[2] = cap;
    p[3] = info;
    p[4] = w0;
    p[5] = KW_REPLY(1);
    p[6] = KW_TCB(0);
    kw_start_at(0, 10, PC(bloop));
    sched_run_until_idle();
    return kw_res(0, 0)->err;
}

KTEST(bench_ipc, null_syscall)
{
    KT_ASSERT(kw_setup(), "no memory");
    uint64_t t = loop(WF_SYS_YIELD, 0, 0, 0);
    KT_ASSERT(t > 0 && kw_tcb(0)->state == TCB_INACTIVE, "the loop did not finish");
    report("null_syscall_yield", "same", "-", t);
    kw_teardown();
}

/* Client (thread 0) Calls the server (thread 1) N times, one word each way. */
static void round_trip(bool fast)
{
    KT_ASSERT(kw_setup(), "no memory");
    ipc_fastpath_enabled = fast;
    uint64_t *p = kw_params(1);
    p[0] = KW_EP(0);
    p[1] = KW_REPLY(0);
    kw_start_at(1, 20, PC(bserver));
    sched_run_until_idle();
    uint64_t t = loop(WF_SYS_CALL, KW_EP(0), wf_msginfo(1, 0, 1), 7);
    KT_ASSERT(kw_tcb(0)->state == TCB_INACTIVE, "the client did not finish");
    if (fast)
        KT_ASSERT(ipc_stats.fast == 2 * N && ipc_stats.slow == 0, "fast %lu slow %lu",
                  (unsigned long)ipc_stats.fast, (unsigned long)ipc_stats.slow);
    else
        KT_ASSERT(ipc_stats.fast == 0 && ipc_stats.slow == 2 * N, "fast %lu slow %lu",
                  (unsigned long)ipc_stats.fast, (unsigned long)ipc_stats.slow);
    report("call_reply_recv_round_trip", "same", fast ? "fast" : "slow", t);
    kw_teardown();
}

KTEST(bench_ipc, call_reply_recv_fast_path)
{
    round_trip(true);
}

KTEST(bench_ipc, call_reply_recv_slow_path)
{
    round_trip(false);
}

KTEST(bench_ipc, signal_to_a_waiting_thread)
{
    KT_ASSERT(kw_setup(), "no memory");
    kw_params(1)[0] = KW_NTFN(0);
    kw_start_at(1, 20, PC(bwaiter));
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_tcb(1)->state, TCB_BLOCKED_NTFN);
    uint64_t t = loop(WF_SYS_SIGNAL, KW_NTFN(0), 0, 0);
    KT_ASSERT_EQ(kw_tcb(1)->state, TCB_BLOCKED_NTFN);
    KT_ASSERT_EQ(kw_tcb(1)->ctx.regs.rdi, KW_NTFN(0)); /* it woke (badge 0) and waits again */
    report("signal_wait_round", "same", "-", t);
    kw_teardown();
}

KTEST(bench_ipc, fault_round_trip)
{
    KT_ASSERT(kw_setup(), "no memory");
    const unsigned fep[1] = {KW_EP(0)};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_FAULT_ENDPOINT, NULL, 0, fep, 1, NULL),
                 WF_ERR_OK);
    uint64_t *p = kw_params(1);
    p[0] = KW_EP(0);
    p[1] = KW_REPLY(0);
    kw_start_at(1, 20, PC(bfault_server));
    sched_run_until_idle();
    p = kw_params(0);
    p[0] = N;
    p[6] = KW_TCB(0);
    kw_start_at(0, 10, PC(bfault));
    sched_run_until_idle();
    KT_ASSERT(kw_tcb(0)->state == TCB_INACTIVE, "the faulting loop did not finish");
    KT_ASSERT_EQ(ipc_stats.slow, N); /* every fault answered through ReplyRecv */
    report("fault_round_trip", "same", "slow", kw_res(0, 0)->err);
    kw_teardown();
}
