/*
 * The IPC table on the ports (docs/perf/ipc.md, "Per architecture"): the
 * operations x86-64's bench_ktest.c times, run by the threads of the
 * self-tests' world (ipc/ktest_world.h) in EL0 / U-mode through the loops of
 * the architecture's world_progs.S (uprog_bloop, uprog_bcall, uprog_bserver,
 * uprog_bfault_server, uprog_bfault). EL0 and U-mode are not given a counter
 * to read, so the kernel reads its clock (arch_clock_ns) around the whole run
 * instead, twice, for n and 2n operations: the difference is n operations,
 * the start and the end cancelled. Under -icount shift=0,sleep=off the clock
 * advances one nanosecond per guest instruction, so the figure printed is
 * guest instructions per operation (`make bench-ipc ARCH=aarch64`,
 * `ARCH=riscv64`); elsewhere it is time. Each also checks that what it names
 * is what ran (the path every Call and ReplyRecv took, the waiter woken and
 * waiting again, every fault answered), so a figure cannot measure something
 * else. Built where ktest_arch.h defines KTEST_UMODE (the ports); x86-64's
 * are bench_ktest.c's, whose loops read the TSC in ring 3.
 */
#include "ktest_arch.h"

#ifdef KTEST_UMODE

#include "arch.h"
#include "arch/context.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "kprintf.h"
#include "ktest.h"
#include "ktest_umode.h"
#include "weft/objects.h"

extern const uint8_t uprog_script[], uprog_bloop[], uprog_bcall[], uprog_bserver[],
    uprog_bfault_server[], uprog_bfault[];
#define PC(prog) (KW_CODE + (uint64_t)(uprog_##prog - uprog_script))

/* Operations per run: the runs are n and 2n. */
#define BENCH_N 2000

/* The clock around one run of every runnable thread, from the start of
 * thread 0 (at prio 10, pc) until nothing is runnable. */
static uint64_t timed_run(uint64_t pc)
{
    uint64_t t0 = arch_clock_ns();
    kw_start_at(0, 10, pc);
    sched_run_until_idle();
    return arch_clock_ns() - t0;
}

/* Thread 0's parameters for uprog_bloop: the system call nr (cap, info, word
 * 0, Reply cap) n times, then Suspend itself. */
static void bloop_params(uint64_t n, uint64_t nr, uint64_t cap, uint64_t info, uint64_t w0,
                         uint64_t reply)
{
    uint64_t *p = kw_params(0);
    p[0] = n;
    p[1] = nr;
    p[2] = cap;
    p[3] = info;
    p[4] = w0;
    p[5] = reply;
    p[6] = KW_TCB(0);
    p[7] = WF_SYS_CALL;
    p[8] = wf_msginfo(WF_LABEL_TCB_SUSPEND, 0, 0);
}

/* One case: run(n) returns its clock delta for n operations or 0 when a
 * check failed (message in *why); printed as guest instructions per operation
 * (thousandths), the difference of the runs of n and 2n over n. */
static bool bench_case(const char *what, uint64_t (*run)(uint64_t n, const char **why))
{
    uint64_t t[2];
    const char *why = NULL;
    for (unsigned k = 0; k < 2; k++) {
        ku_leave(); /* the world's threads run on the kernel's own root */
        if (!kw_setup()) {
            kprintf("# %s: no memory for the test world\n", what);
            return false;
        }
        ipc_stats = (struct ipc_stats){0};
        t[k] = run((uint64_t)BENCH_N << k, &why);
        kw_teardown();
        ipc_fastpath_set(true);
        if (!t[k]) {
            kprintf("# %s: %s\n", what, why ? why : "did not finish");
            return false;
        }
    }
    if (t[1] <= t[0]) {
        /* possible only where the clock is time (no -icount): a host stall in
         * the first run; the checks passed, the figure is not given */
        kprintf("# %s: the longer run was not longer (%llu, %llu ns): no figure\n", what,
                (unsigned long long)t[0], (unsigned long long)t[1]);
        return true;
    }
    uint64_t per_1000 = (t[1] - t[0]) * 1000 / BENCH_N;
    kprintf("# %s %s: %llu.%03llu ns (instructions under -icount shift=0)\n", WEFT_ARCH_NAME, what,
            (unsigned long long)(per_1000 / 1000), (unsigned long long)(per_1000 % 1000));
    return true;
}

#define CHECK(cond, msg)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            *why = msg;                                                                            \
            return 0;                                                                              \
        }                                                                                          \
    } while (0)

/* Yield with nothing else runnable: the null system call. */
static uint64_t null_syscall(uint64_t n, const char **why)
{
    bloop_params(n, WF_SYS_YIELD, 0, 0, 0, 0);
    uint64_t t = timed_run(PC(bloop));
    CHECK(kw_tcb(0)->state == TCB_INACTIVE, "the loop did not finish");
    CHECK(ipc_stats.fast == 0 && ipc_stats.slow == 0, "an IPC ran");
    return t;
}

KTEST(umode, bench_null_syscall)
{
    KT_ASSERT(bench_case("null system call (Yield)", null_syscall));
}

/* Call + ReplyRecv between thread 0 (uprog_bcall, prio 10) and thread 1
 * (uprog_bserver, prio 20), one word each way, every Call and ReplyRecv on
 * the path asked for. */
static uint64_t round_trips(uint64_t n, bool fast, const char **why)
{
    kw_call_bench_params(n);
    ipc_fastpath_set(fast);
    kw_start_at(1, 20, PC(bserver));
    sched_run_until_idle();
    CHECK(kw_tcb(1)->state == TCB_BLOCKED_RECV, "the server is not waiting");
    ipc_stats = (struct ipc_stats){0};
    uint64_t t = timed_run(PC(bcall));
    CHECK(kw_tcb(0)->state == TCB_INACTIVE, "the client did not finish");
    CHECK(kw_tcb(1)->state == TCB_BLOCKED_RECV && ctx_sysno(&kw_tcb(1)->ctx) == WF_SYS_REPLY_RECV &&
              ctx_mr(&kw_tcb(1)->ctx, 0) == 1,
          "the server is not waiting with the client's word");
    if (fast)
        CHECK(ipc_stats.fast == 2 * n && ipc_stats.slow == 0, "not every call took the fast path");
    else
        CHECK(ipc_stats.fast == 0 && ipc_stats.slow == 2 * n, "a call took the fast path");
    return t;
}

static uint64_t slow_round_trips(uint64_t n, const char **why)
{
    return round_trips(n, false, why);
}

KTEST(umode, bench_call_reply_recv_slow_path)
{
    KT_ASSERT(bench_case("Call + ReplyRecv round trip, slow path", slow_round_trips));
}

/* Thread 1 (prio 20) waits on a notification; thread 0 signals it n times:
 * each Signal wakes the waiter, which runs at once and waits again. */
static uint64_t signal_wait(uint64_t n, const char **why)
{
    uint64_t *w = kw_params(1);
    w[0] = WF_SYS_WAIT;
    w[1] = WF_SYS_WAIT;
    w[2] = KW_NTFN(0);
    w[3] = 0;
    w[4] = 0;
    kw_start_at(1, 20, PC(bserver));
    sched_run_until_idle();
    CHECK(kw_tcb(1)->state == TCB_BLOCKED_NTFN, "the waiter is not waiting");
    uint64_t pc = ctx_pc(&kw_tcb(1)->ctx);
    bloop_params(n, WF_SYS_SIGNAL, KW_NTFN(0), 0, 0, 0);
    uint64_t t = timed_run(PC(bloop));
    CHECK(kw_tcb(0)->state == TCB_INACTIVE, "the signaller did not finish");
    /* it woke and waits again: in its loop's Wait now, not its first */
    CHECK(kw_tcb(1)->state == TCB_BLOCKED_NTFN && ctx_pc(&kw_tcb(1)->ctx) != pc &&
              ctx_cap(&kw_tcb(1)->ctx) == KW_NTFN(0),
          "the waiter did not wake and wait again");
    return t;
}

KTEST(umode, bench_signal_wait_round)
{
    KT_ASSERT(
        bench_case("Signal to a waiting higher-priority thread, and its Wait back", signal_wait));
}

/* Thread 0 executes an undefined instruction with thread 1 (prio 20) as its
 * fault handler: each fault is a message to the handler, whose ReplyRecv
 * with no words resumes thread 0 at the same instruction. */
static uint64_t fault_round_trips(uint64_t n, const char **why)
{
    const unsigned fep[1] = {KW_EP(0)};
    CHECK(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_FAULT_ENDPOINT, NULL, 0, fep, 1, NULL) == WF_ERR_OK,
          "no fault endpoint");
    uint64_t *h = kw_params(1);
    h[0] = n;
    h[1] = WF_SYS_RECV;
    h[2] = WF_SYS_REPLY_RECV;
    h[3] = KW_EP(0);
    h[4] = KW_REPLY(0);
    h[5] = KW_TCB(1);
    h[6] = WF_SYS_CALL;
    h[7] = wf_msginfo(WF_LABEL_TCB_SUSPEND, 0, 0);
    kw_start_at(1, 20, PC(bfault_server));
    sched_run_until_idle();
    CHECK(kw_tcb(1)->state == TCB_BLOCKED_RECV, "the handler is not waiting");
    ipc_stats = (struct ipc_stats){0};
    uint64_t t = timed_run(PC(bfault));
    /* n replies, n + 1 faults: the last one waits for its reply */
    CHECK(kw_tcb(1)->state == TCB_INACTIVE, "the handler did not finish");
    CHECK(kw_tcb(0)->state == TCB_BLOCKED_REPLY &&
              kw_tcb(0)->fault == WF_FAULT_TYPE_USER_EXCEPTION &&
              ctx_pc(&kw_tcb(0)->ctx) == PC(bfault),
          "the faulting thread is not waiting for its reply");
    CHECK(ipc_stats.slow == n, "not every fault was answered through ReplyRecv");
    return t;
}

KTEST(umode, bench_fault_round_trip)
{
    KT_ASSERT(
        bench_case("fault round trip (undefined instruction, handler, resume)", fault_round_trips));
}

#endif
