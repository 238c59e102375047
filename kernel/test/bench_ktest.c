/*
 * IPC benchmarks (docs/perf/ipc.md): ring-3 loops that time N system calls with
 * rdtsc. Under `-icount shift=0,sleep=off` (make bench-ipc) the TSC advances one
 * per guest instruction, so the figures are guest instructions per operation,
 * user-mode loop included, the same on every run. Each prints one JSON line.
 *
 * They are self-tests as well (suite bench_ipc, run by every `ktest` boot): each
 * checks that the operation it names is what ran (the fast path taken N times or
 * never, every fault answered), so a figure cannot silently measure something
 * else. The same-space figures run every thread in the kernel test space; the
 * cross-space round trip gives the client and the server each a real VSpace of
 * its own (struct space below) holding its code, parameters and stack at the
 * very addresses the kernel test space uses, so the same loops run unchanged and
 * every switch between the two loads another page-table root.
 */
#include "cap/delete.h"
#include "cap/preempt.h"
#include "config.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "kprintf.h"
#include "ktest.h"
#include "lib/string.h"
#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/vspace.h"
#include "sched/sched.h"

#define N 1000

extern const uint8_t uprog_script[], uprog_script_end[], uprog_bloop[], uprog_bserver[],
    uprog_bcapserver[], uprog_bfault_server[], uprog_bwaiter[], uprog_bfault[];
#define PC(prog) (KW_CODE + (uint64_t)(uprog_##prog - uprog_script))

_Static_assert(WF_SYS_CALL == 0x57460000 && WF_SYS_RECV == 0x57460003 &&
                   WF_SYS_REPLY_RECV == 0x57460005 && WF_SYS_WAIT == 0x57460007,
               "user_progs.S has the numbers");
_Static_assert(WF_LABEL_TCB_SUSPEND == 0x2b, "user_progs.S has the label");

/* One JSON line: n operations took total instructions; words and caps, when
 * words >= 0, are the message's (the round trips of every length). */
static void report_n(const char *name, const char *space, const char *path, uint64_t total,
                     unsigned n, int words, unsigned caps)
{
    uint64_t x10 = total * 10 / n;
    kprintf("{\"bench\": \"ipc\", \"arch\": \"x86_64\", \"cluster_order\": %d, \"case\": \"%s\", "
            "\"space\": \"%s\", \"path\": \"%s\", \"iterations\": %u, ",
            CLUSTER_ORDER, name, space, path, n);
    if (words >= 0)
        kprintf("\"words\": %d, \"caps\": %u, ", words, caps);
    kprintf("\"instructions_per_op\": %lu.%lu}\n", (unsigned long)(x10 / 10),
            (unsigned long)(x10 % 10));
}

static void report(const char *name, const char *space, const char *path, uint64_t total)
{
    report_n(name, space, path, total, N, -1, 0);
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

/*
 * Address spaces of their own for threads 0 and 1: a boot pool, and per thread a
 * VSpace with a code VMO (the benchmark loops, read-execute at KW_CODE) and a data
 * VMO of four pages at KW_BASE(i) (parameters, results, IPC buffer, stack), every
 * page faulted in before the loops start so that they time IPC alone.
 */
enum { SP_POOL, SP_VS, SP_CODE = SP_VS + 2, SP_DATA = SP_CODE + 2, SP_SLOTS = SP_DATA + 2 };
static struct slot spaces[SP_SLOTS] __aligned(32);

#define KW_DATA_SIZE 0x4000ull

static bool space_make(unsigned i)
{
    struct slot *vsl = &spaces[SP_VS + i], *code = &spaces[SP_CODE + i];
    struct slot *data = &spaces[SP_DATA + i];
    if (pool_create_vspace(&spaces[SP_POOL], vsl) != WF_ERR_OK ||
        pool_create_vmo(&spaces[SP_POOL], PAGE_SIZE, code) != WF_ERR_OK ||
        pool_create_vmo(&spaces[SP_POOL], KW_DATA_SIZE, data) != WF_ERR_OK)
        return false;
    struct vspace *vs = vspace_from_cap(vsl->cap);
    struct vmo *cv = vmo_from_cap(code->cap), *dv = vmo_from_cap(data->cap);
    if (vmo_write(cv, 0, uprog_script, (size_t)(uprog_script_end - uprog_script)) != WF_ERR_OK ||
        vmo_write(dv, 0, kw_params(i), PAGE_SIZE) != WF_ERR_OK ||
        vmo_write(dv, KW_IPCBUF(i) - KW_BASE(i), kw_ipcbuf(i), PAGE_SIZE) != WF_ERR_OK ||
        vspace_map(vs, cv, 0, KW_CODE, PAGE_SIZE, VM_READ | VM_EXEC, WF_RIGHT_READ) != WF_ERR_OK ||
        vspace_map(vs, dv, 0, KW_BASE(i), KW_DATA_SIZE, VM_READ | VM_WRITE,
                   WF_RIGHT_READ | WF_RIGHT_WRITE) != WF_ERR_OK)
        return false;
    if (vm_fault(vs, KW_CODE, VM_EXEC) != VM_FAULT_RESOLVED)
        return false;
    for (uint64_t off = 0; off < KW_DATA_SIZE; off += PAGE_SIZE)
        if (vm_fault(vs, KW_BASE(i) + off, VM_WRITE) != VM_FAULT_RESOLVED)
            return false;
    tcb_set_cap(kw_tcb(i), WF_TCB_SLOT_VSPACE, vsl);
    return true;
}

/* Gives threads 0 and 1 their own VSpaces, each thread's parameters (kw_params)
 * copied into its own data page as they are now. */
static bool spaces_setup(void)
{
    memset(spaces, 0, sizeof(spaces));
    return vm_boot_pool(&spaces[SP_POOL], MIB(4)) == WF_ERR_OK && space_make(0) && space_make(1);
}

/* Thread i's word at off in its own data VMO. */
static uint64_t space_word(unsigned i, uint64_t off)
{
    uint64_t w = 0;
    vmo_read(vmo_from_cap(spaces[SP_DATA + i].cap), off, &w, sizeof(w));
    return w;
}

/* After kw_teardown (the TCBs and their VSpace caps are gone): everything made
 * from the pool is destroyed and the pool's memory goes back to boot_pmm. */
static bool spaces_teardown(void)
{
    vspace_activate(NULL);
    preempt_begin(UINT32_MAX);
    struct pool *pl = pool_from_cap(spaces[SP_POOL].cap);
    if (cap_revoke(&spaces[SP_POOL], NULL) != WF_ERR_OK || pl->usage || pl->objects)
        return false;
    vm_boot_pool_release(&spaces[SP_POOL]);
    return true;
}

/* The cap-transfer round trips: one cap per Call, each into a fresh free slot of
 * the root CNode, so as many iterations as there are free slots. */
#define N_CAP    30
#define CAP_SLOT KW_FREE
_Static_assert(CAP_SLOT + N_CAP <= 64, "the root CNode has the slots");

/*
 * Client (thread 0) Calls the server (thread 1) n times with `words` words each
 * way (and `caps` caps, 0 or 1, on the Call); with cross, each in a VSpace of its
 * own. The figure is one Call + ReplyRecv. Checks the path every call took, the
 * words and cap the server last received and that nothing leaked.
 */
static void round_trip_n(bool fast, bool cross, unsigned words, unsigned caps, const char *name)
{
    const unsigned n = caps ? N_CAP : N;
    uint64_t free0 = boot_pmm.free_bytes;
    KT_ASSERT(kw_setup(), "no memory");
    ipc_fastpath_set(fast);
    struct wf_ipc_buffer *cb = kw_ipcbuf(0), *sb = kw_ipcbuf(1);
    for (unsigned i = WF_MSG_REG_WORDS; i < WF_MSG_MAX_WORDS; i++)
        cb->msg[i] = 0xc000 + i;
    cb->caps_or_badges[0] = KW_NTFN(0);
    sb->receive_cnode = 1;
    sb->receive_index = CAP_SLOT;
    sb->receive_depth = 64;
    uint64_t *p = kw_params(1);
    p[0] = KW_EP(0);
    p[1] = KW_REPLY(0);
    p[2] = wf_msginfo(1, 0, words);
    p[3] = KW_IPCBUF(1) + __builtin_offsetof(struct wf_ipc_buffer, receive_index);
    p = kw_params(0);
    p[0] = n;
    p[1] = WF_SYS_CALL;
    p[2] = KW_EP(0);
    p[3] = wf_msginfo(1, caps, words);
    p[4] = 7;
    p[5] = KW_REPLY(1);
    p[6] = KW_TCB(0);
    if (cross && !spaces_setup()) {
        kw_teardown();
        KT_ASSERT(false, "no memory for the address spaces");
    }
    kw_start_at(1, 20, caps ? PC(bcapserver) : PC(bserver));
    sched_run_until_idle();
    KT_ASSERT_EQ(kw_tcb(1)->state, TCB_BLOCKED_RECV);
    kw_start_at(0, 10, PC(bloop));
    sched_run_until_idle();
    bool done = kw_tcb(0)->state == TCB_INACTIVE;
    uint64_t t = cross ? space_word(0, 0x1000) : kw_res(0, 0)->err;
    /* the server waits in ReplyRecv again, holding the message it last received */
    struct tcb *srv = kw_tcb(1);
    bool srv_ok = srv->state == TCB_BLOCKED_RECV && ctx_sysno(&srv->ctx) == WF_SYS_REPLY_RECV &&
                  (words == 0 || ctx_mr(&srv->ctx, 0) == 7);
    uint64_t last = words > WF_MSG_REG_WORDS
                        ? (cross ? space_word(1, KW_IPCBUF(1) - KW_BASE(1) + 8 * (words - 1))
                                 : sb->msg[words - 1])
                        : 0xc000 + words - 1;
    bool caps_ok = true;
    for (unsigned i = 0; i < (caps ? n : 0); i++)
        caps_ok = caps_ok && cap_type(kw_slot(CAP_SLOT + i)->cap) == CAP_NOTIFICATION;
    struct ipc_stats st = ipc_stats;
    kw_teardown();
    if (cross)
        KT_ASSERT(spaces_teardown(), "revoking the pool did not destroy everything");
    KT_ASSERT_EQ(boot_pmm.free_bytes, free0);
    KT_ASSERT(done && t > 0, "the client did not finish");
    /* cross: the client's loop wrote its figure into its own VMO, not the test space */
    KT_ASSERT(!cross || kw_res(0, 0)->err == 0, "the client ran in the kernel test space");
    KT_ASSERT(srv_ok, "the server is not waiting with the client's words");
    KT_ASSERT(last == 0xc000 + words - 1, "the server's last word is %lx", (unsigned long)last);
    KT_ASSERT(caps_ok, "a cap did not arrive");
    if (fast)
        KT_ASSERT(st.fast == 2 * n && st.slow == 0, "fast %lu slow %lu", (unsigned long)st.fast,
                  (unsigned long)st.slow);
    else
        KT_ASSERT(st.fast == 0 && st.slow == 2 * n, "fast %lu slow %lu", (unsigned long)st.fast,
                  (unsigned long)st.slow);
    if (name)
        report_n(name, cross ? "cross" : "same", fast ? "fast" : "slow", t, n, (int)words, caps);
    else
        report("call_reply_recv_round_trip", cross ? "cross" : "same", fast ? "fast" : "slow", t);
}

/* The headline: one word each way, no caps. */
static void round_trip(bool fast, bool cross)
{
    round_trip_n(fast, cross, 1, 0, NULL);
}

/* Every length the table shows, fast path, same or cross space. */
static void every_length(bool cross)
{
    static const unsigned lengths[] = {0, 4, 5, 16, 64, 120};
    static const char *const names[] = {
        "call_reply_recv_round_trip_w0",  "call_reply_recv_round_trip_w4",
        "call_reply_recv_round_trip_w5",  "call_reply_recv_round_trip_w16",
        "call_reply_recv_round_trip_w64", "call_reply_recv_round_trip_w120"};
    for (unsigned i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
        round_trip_n(true, cross, lengths[i], 0, names[i]);
}

KTEST(bench_ipc, call_reply_recv_of_every_length)
{
    every_length(false);
}

KTEST(bench_ipc, call_reply_recv_of_every_length_cross_space)
{
    every_length(true);
}

KTEST(bench_ipc, call_reply_recv_with_a_cap)
{
    round_trip_n(true, false, 1, 1, "call_reply_recv_round_trip_cap1");
}

KTEST(bench_ipc, call_reply_recv_with_a_cap_cross_space)
{
    round_trip_n(true, true, 1, 1, "call_reply_recv_round_trip_cap1");
}

KTEST(bench_ipc, call_reply_recv_fast_path)
{
    round_trip(true, false);
}

KTEST(bench_ipc, call_reply_recv_slow_path)
{
    round_trip(false, false);
}

KTEST(bench_ipc, call_reply_recv_cross_space_fast_path)
{
    round_trip(true, true);
}

KTEST(bench_ipc, call_reply_recv_cross_space_slow_path)
{
    round_trip(false, true);
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

/* A foreign system call's round trip (decision 138): thread 0, in FOREIGN mode,
 * makes Linux's getppid (110) N times; its handler answers each with one word
 * (ReplyRecv): the fault message in and the reply back, both on the fast path
 * of foreign system calls, the kernel's part of a Linux system call under lx.
 * The slow variant turns the fast path off. */
static void foreign_round_trip(bool fast)
{
    KT_ASSERT(kw_setup(), "no memory");
    const unsigned fep[1] = {KW_EP(0)};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_FAULT_ENDPOINT, NULL, 0, fep, 1, NULL),
                 WF_ERR_OK);
    const wf_word_t foreign[1] = {WF_ABI_MODE_FOREIGN};
    KT_ASSERT_EQ(kw_invoke(KW_TCB(0), WF_LABEL_TCB_SET_ABI, foreign, 1, NULL, 0, NULL), WF_ERR_OK);
    uint64_t *p = kw_params(1);
    p[0] = KW_EP(0);
    p[1] = KW_REPLY(0);
    p[2] = wf_msginfo(0, 0, 1); /* one word: rax */
    kw_start_at(1, 20, PC(bserver));
    sched_run_until_idle();
    bool was = ipc_fastpath_set(fast);
    uint64_t t = loop(110, 0, 0, 0);
    ipc_fastpath_set(was);
    struct ipc_stats st = ipc_stats;
    bool done = kw_tcb(0)->state == TCB_INACTIVE;
    kw_teardown();
    KT_ASSERT(done, "the calling loop did not finish");
    if (fast)
        KT_ASSERT(st.fault_fast == N && st.fast == N && st.slow == 0,
                  "fault_fast %lu fast %lu slow %lu", (unsigned long)st.fault_fast,
                  (unsigned long)st.fast, (unsigned long)st.slow);
    else
        KT_ASSERT(st.fault_fast == 0 && st.fast == 0, "fault_fast %lu fast %lu",
                  (unsigned long)st.fault_fast, (unsigned long)st.fast);
    report("foreign_syscall_round_trip", "same", fast ? "fast" : "slow", t);
}

KTEST(bench_ipc, foreign_syscall_round_trip_fast_path)
{
    foreign_round_trip(true);
}

KTEST(bench_ipc, foreign_syscall_round_trip_slow_path)
{
    foreign_round_trip(false);
}
