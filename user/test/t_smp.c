/*
 * Threads on several CPUs (docs/smp.md, decision 148): TCB_SetAffinity's
 * range and count, a thread running on another CPU while this one spins,
 * moved while it runs (its registers, FPU included, go with it), stopped,
 * read and deleted there, woken there by a notification (the reschedule
 * IPI), IPC between CPUs, and a TLB shootdown (an unmap or protect seen at
 * once by a thread of this VSpace running elsewhere). The stress test runs
 * all of it at once on every CPU with invariants checked afterwards.
 *
 * The root task runs on CPU 0 at a priority above its children: a child on
 * CPU 0 runs only while the root task blocks, so a child that makes progress
 * while the root task spins runs on another CPU. Tests that need two CPUs
 * skip at -smp 1 (make check-guest-smp runs the suite at 1, 2 and 4).
 */
#include "tutil.h"

#define PG 4096ull

/* Words the children write and the root task reads (one cache line each). */
static volatile uint64_t shared[16][8];

static unsigned cpu_count(void)
{
    wf_word_t n = 0;
    if (wf_tcb_set_affinity(WF_ROOT_TCB, 0, &n) != WF_ERR_OK)
        return 0;
    return (unsigned)n;
}

/* Spins (no blocking call) until *w differs from old or ms pass; true if it did. */
static bool spin_change(volatile uint64_t *w, uint64_t old, unsigned ms)
{
    uint64_t until = wf_clock_ns() + ms * 1000000ull;
    while (*w == old)
        if (wf_clock_ns() > until)
            return false;
    return true;
}

/* Spins for ms, true when *w kept its value throughout. */
static bool spin_still(volatile uint64_t *w, unsigned ms)
{
    uint64_t v = *w, until = wf_clock_ns() + ms * 1000000ull;
    while (wf_clock_ns() < until)
        if (*w != v)
            return false;
    return true;
}

/* Counts in xmm7 for ever, storing the count in shared[slot][0]: the count
 * goes back if the thread's SSE state is lost or mixed with another's. */
static int sse_counter(uintptr_t slot)
{
    __asm__ volatile("pxor %%xmm7, %%xmm7\n\t"
                     "movl $1, %%eax\n\t"
                     "movq %%rax, %%xmm6\n\t"
                     "1: paddq %%xmm6, %%xmm7\n\t"
                     "movq %%xmm7, (%0)\n\t"
                     "jmp 1b"
                     :
                     : "r"(&shared[slot][0])
                     : "rax", "xmm6", "xmm7", "memory");
    return 0;
}

/* A thread at TEST_CHILD_PRIO on cpu running fn(arg), started. */
static enum wf_error start_on(struct wf_thread *t, int (*fn)(uintptr_t), uintptr_t arg,
                              unsigned cpu)
{
    enum wf_error e = wf_thread_create(test_env(), t, fn, arg, TEST_CHILD_PRIO);
    if (!e)
        e = wf_tcb_set_affinity(t->tcb, cpu, 0);
    return e ? e : wf_thread_start(t);
}

TEST(smp, affinity_range_and_cpu_count)
{
    TEST_ENV(e);
    unsigned n = cpu_count();
    TEST_ASSERT(n >= 1 && n <= 64, "%u CPUs", n);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, sse_counter, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    wf_word_t cpus = 0;
    TEST_ASSERT_ERR(wf_tcb_set_affinity(t.tcb, n - 1, &cpus), WF_ERR_OK);
    TEST_ASSERT_EQ(cpus, n);
    TEST_ASSERT_ERR(wf_tcb_set_affinity(t.tcb, n, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_tcb_set_affinity(t.tcb, ~0ull, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_tcb_set_affinity(e->pool, 0, 0), WF_ERR_ILLEGAL_OPERATION);
    wf_thread_destroy(e, &t);
}

TEST(smp, thread_moves_between_cpus_while_it_runs_with_its_registers)
{
    TEST_ENV(e);
    unsigned n = cpu_count();
    if (n < 2)
        TEST_SKIP("one CPU");
    struct wf_thread t;
    shared[0][0] = 0;
    TEST_ASSERT_ERR(start_on(&t, sse_counter, 0, 1), WF_ERR_OK);
    /* It counts on CPU 1 while this thread spins on CPU 0. */
    TEST_ASSERT(spin_change(&shared[0][0], 0, 2000), "no progress on CPU 1");
    uint64_t last = shared[0][0];
    for (unsigned round = 0; round < 2 * n; round++) {
        /* To CPU 0, behind this spinning thread: it stops. */
        TEST_ASSERT_ERR(wf_tcb_set_affinity(t.tcb, 0, 0), WF_ERR_OK);
        uint64_t v = shared[0][0];
        TEST_ASSERT(v >= last, "count went back: %llu < %llu", (unsigned long long)v,
                    (unsigned long long)last);
        TEST_ASSERT(spin_still(&shared[0][0], 30), "it ran on CPU 0 above this thread");
        /* Elsewhere again: it goes on from where it was (xmm7 kept). */
        unsigned to = 1 + round % (n - 1);
        TEST_ASSERT_ERR(wf_tcb_set_affinity(t.tcb, to, 0), WF_ERR_OK);
        TEST_ASSERT(spin_change(&shared[0][0], v, 2000), "no progress on CPU %u", to);
        last = shared[0][0];
        TEST_ASSERT(last > v, "count went back after the move to CPU %u", to);
    }
    wf_thread_destroy(e, &t);
    TEST_ASSERT(spin_still(&shared[0][0], 30), "a deleted thread still runs");
}

TEST(smp, suspend_read_resume_and_delete_a_thread_running_elsewhere)
{
    TEST_ENV(e);
    unsigned n = cpu_count();
    if (n < 2)
        TEST_SKIP("one CPU");
    struct wf_thread t;
    shared[1][0] = 0;
    TEST_ASSERT_ERR(start_on(&t, sse_counter, 1, n - 1), WF_ERR_OK);
    TEST_ASSERT(spin_change(&shared[1][0], 0, 2000), "no progress on CPU %u", n - 1);
    TEST_ASSERT_ERR(wf_tcb_suspend(t.tcb), WF_ERR_OK);
    TEST_ASSERT(spin_still(&shared[1][0], 30), "a suspended thread still runs");
    /* Its registers are where it stopped: inside sse_counter's loop. */
    wf_word_t rip = 0;
    TEST_ASSERT_ERR(wf_tcb_read_registers(t.tcb, WF_FAULT_WORD_RIP, &rip, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT(rip >= (uintptr_t)sse_counter && rip < (uintptr_t)sse_counter + 128, "rip %#llx",
                (unsigned long long)rip);
    uint64_t v = shared[1][0];
    TEST_ASSERT_ERR(wf_tcb_resume(t.tcb), WF_ERR_OK);
    TEST_ASSERT(spin_change(&shared[1][0], v, 2000), "no progress after Resume");
    /* Reading the registers of a running thread stops it for the read only. */
    TEST_ASSERT_ERR(wf_tcb_read_registers(t.tcb, WF_FAULT_WORD_RIP, &rip, 0, 0, 0), WF_ERR_OK);
    v = shared[1][0];
    TEST_ASSERT(spin_change(&shared[1][0], v, 2000), "no progress after a register read");
    wf_thread_destroy(e, &t);
    TEST_ASSERT(spin_still(&shared[1][0], 30), "a deleted thread still runs");
}

static wf_cptr_t pp_ep, pp_rp;

/* Replies to each request with w[0] + 1 until label 9. */
static int inc_server(uintptr_t arg)
{
    (void)arg;
    struct wf_msgregs m = {0};
    wf_word_t e = wf_sys_recv(pp_ep, pp_rp, &m);
    while (e == WF_ERR_OK && wf_msginfo_label(m.info) != 9) {
        m.w[0]++;
        m.info = wf_msginfo(2, 0, 1);
        e = wf_sys_reply_recv(pp_ep, pp_rp, &m);
    }
    if (e == WF_ERR_OK) {
        m.info = wf_msginfo(0, 0, 0);
        wf_sys_send(pp_rp, &m);
    }
    return (int)e;
}

TEST(smp, ipc_round_trips_between_cpus)
{
    TEST_ENV(e);
    unsigned n = cpu_count();
    pp_ep = test_obj(WF_OBJ_ENDPOINT, 0);
    pp_rp = test_obj(WF_OBJ_REPLY, 0);
    TEST_ASSERT(pp_ep && pp_rp);
    struct wf_thread t;
    TEST_ASSERT_ERR(start_on(&t, inc_server, 0, n - 1), WF_ERR_OK);
    for (wf_word_t i = 0; i < 300; i++) {
        struct wf_msgregs m = {.info = wf_msginfo(1, 0, 1), .w = {i}};
        TEST_ASSERT_ERR(wf_sys_call(pp_ep, &m), WF_ERR_OK);
        TEST_ASSERT_EQ(wf_msginfo_label(m.info), 2);
        TEST_ASSERT_EQ(m.w[0], i + 1);
    }
    struct wf_msgregs q = {.info = wf_msginfo(9, 0, 0)};
    TEST_ASSERT_ERR(wf_sys_call(pp_ep, &q), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
    wf_thread_destroy(e, &t);
}

static wf_cptr_t nt_go, nt_ack;

/* Waits on nt_go arg times, counting in shared[2][0], acknowledging each. */
static int ntfn_counter(uintptr_t rounds)
{
    for (uintptr_t i = 0; i < rounds; i++) {
        wf_word_t bits;
        wf_word_t e = wf_sys_wait(nt_go, &bits);
        if (e != WF_ERR_OK)
            return (int)(1000 + e);
        shared[2][0]++;
        if (nt_ack)
            wf_sys_signal(nt_ack);
    }
    return 0;
}

TEST(smp, notification_wakes_a_thread_idle_on_another_cpu)
{
    TEST_ENV(e);
    unsigned n = cpu_count();
    if (n < 2)
        TEST_SKIP("one CPU");
    nt_go = test_obj(WF_OBJ_NOTIFICATION, 0);
    nt_ack = 0;
    TEST_ASSERT(nt_go);
    shared[2][0] = 0;
    struct wf_thread t;
    TEST_ASSERT_ERR(start_on(&t, ntfn_counter, 50, n - 1), WF_ERR_OK);
    /* This thread never blocks: the waiter's CPU idles until the Signal's
     * IPI wakes it (its own tick alone does not make it choose again). */
    for (uint64_t i = 0; i < 50; i++) {
        TEST_ASSERT(spin_still(&shared[2][0], 2), "counted without a signal");
        TEST_ASSERT_ERR(wf_sys_signal(nt_go), WF_ERR_OK);
        TEST_ASSERT(spin_change(&shared[2][0], i, 2000), "signal %llu lost", (unsigned long long)i);
    }
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
    wf_thread_destroy(e, &t);
}

/* Reads (or writes, arg bit 0) the word at TEST_VA + arg & ~1 for ever,
 * counting in shared[3][0]. */
static int toucher(uintptr_t arg)
{
    volatile uint64_t *p = (volatile uint64_t *)(TEST_VA + (arg & ~1ull));
    for (;;) {
        if (arg & 1)
            *p = shared[3][0];
        else
            (void)*p;
        shared[3][0]++;
    }
    return 0;
}

/* A thread of this VSpace on another CPU reads or writes a page in a loop;
 * after Unmap (or Protect to read-only) returns, its next access faults: its
 * CPU's TLB no longer holds the old translation. */
static void shootdown_case(bool write)
{
    struct wf_spawn_env *e = test_env();
    unsigned n = cpu_count();
    wf_cptr_t v = test_vmo(PG);
    TEST_ASSERT(e && v);
    wf_word_t off = write ? 0x10000 : 0x20000;
    TEST_ASSERT_ERR(
        wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA + off, 0, PG, WF_VM_READ | WF_VM_WRITE),
        WF_ERR_OK);
    *(volatile uint64_t *)(TEST_VA + off) = 1; /* faulted in here first */
    shared[3][0] = 0;
    struct wf_thread t;
    TEST_ASSERT_ERR(start_on(&t, toucher, off | write, n - 1), WF_ERR_OK);
    TEST_ASSERT(spin_change(&shared[3][0], 0, 2000), "no progress on CPU %u", n - 1);
    TEST_ASSERT(spin_change(&shared[3][0], shared[3][0], 2000));
    if (write)
        TEST_ASSERT_ERR(wf_vspace_protect(WF_ROOT_VSPACE, TEST_VA + off, PG, WF_VM_READ),
                        WF_ERR_OK);
    else
        TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, TEST_VA + off, PG), WF_ERR_OK);
    TEST_ASSERT(spin_still(&shared[3][0], 50), "the thread on CPU %u still %s the page", n - 1,
                write ? "writes" : "reads");
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], TEST_VA + off);
    wf_thread_destroy(e, &t);
    wf_vspace_unmap(WF_ROOT_VSPACE, TEST_VA + off, PG);
}

TEST(smp, unmap_is_seen_at_once_by_a_thread_on_another_cpu)
{
    if (cpu_count() < 2)
        TEST_SKIP("one CPU");
    shootdown_case(false);
}

TEST(smp, protect_is_seen_at_once_by_a_thread_on_another_cpu)
{
    if (cpu_count() < 2)
        TEST_SKIP("one CPU");
    shootdown_case(true);
}
