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
#include "talarm.h"
#include "tarch.h"
#include "tutil.h"
#include "wf/cmdline.h"

#include <stdio.h>
#include <string.h>

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

/* Counts in a vector or floating-point register for ever (x86-64: xmm7;
 * aarch64: v7; riscv64: ft7, a double, exact up to 2^53), storing the count in
 * shared[slot][0]: the count goes back if the thread's FP/SIMD state is lost
 * or mixed with another's. */
static int sse_counter(uintptr_t slot)
{
#if defined(__x86_64__)
    __asm__ volatile("pxor %%xmm7, %%xmm7\n\t"
                     "movl $1, %%eax\n\t"
                     "movq %%rax, %%xmm6\n\t"
                     "1: paddq %%xmm6, %%xmm7\n\t"
                     "movq %%xmm7, (%0)\n\t"
                     "jmp 1b"
                     :
                     : "r"(&shared[slot][0])
                     : "rax", "xmm6", "xmm7", "memory");
#elif defined(__aarch64__)
    __asm__ volatile("movi v7.2d, #0\n\t"
                     "mov x9, #1\n\t"
                     "fmov d6, x9\n\t"
                     "1: add d7, d7, d6\n\t"
                     "str d7, [%0]\n\t"
                     "b 1b"
                     :
                     : "r"(&shared[slot][0])
                     : "x9", "v6", "v7", "memory");
#elif defined(__riscv)
    __asm__ volatile("fmv.d.x ft7, zero\n\t"
                     "li t0, 1\n\t"
                     "fcvt.d.l ft6, t0\n\t"
                     "1: fadd.d ft7, ft7, ft6\n\t"
                     "fcvt.lu.d t0, ft7, rtz\n\t"
                     "sd t0, 0(%0)\n\t"
                     "j 1b"
                     :
                     : "r"(&shared[slot][0])
                     : "t0", "ft6", "ft7", "memory");
#else
#error "sse_counter: no vector register counter for this architecture"
#endif
    return 0;
}

/* A copy of cap with badge 1 in the test's own slot i (Signal through an
 * unbadged cap sets no bit). */
static wf_cptr_t badged(wf_cptr_t cap, unsigned i)
{
    return wf_cnode_mint(WF_ROOT_CNODE, test_slot(i), 64, WF_ROOT_CNODE, cap, 64, WF_RIGHTS_ALL, 1)
               ? 0
               : test_slot(i);
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
        /* Elsewhere again: it goes on from where it was (its register kept). */
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
    wf_word_t pc = 0;
    TEST_ASSERT_ERR(test_reg_read(t.tcb, WF_FAULT_WORD_PC, &pc), WF_ERR_OK);
    TEST_ASSERT(pc >= (uintptr_t)sse_counter && pc < (uintptr_t)sse_counter + 128, "pc %#llx",
                (unsigned long long)pc);
    uint64_t v = shared[1][0];
    TEST_ASSERT_ERR(wf_tcb_resume(t.tcb), WF_ERR_OK);
    TEST_ASSERT(spin_change(&shared[1][0], v, 2000), "no progress after Resume");
    /* Reading the registers of a running thread stops it for the read only. */
    TEST_ASSERT_ERR(test_reg_read(t.tcb, WF_FAULT_WORD_PC, &pc), WF_ERR_OK);
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

static wf_cptr_t nt_go;

/* Waits on nt_go arg times, counting in shared[2][0]. */
static int ntfn_counter(uintptr_t rounds)
{
    for (uintptr_t i = 0; i < rounds; i++) {
        wf_word_t bits;
        wf_word_t e = wf_sys_wait(nt_go, &bits);
        if (e != WF_ERR_OK)
            return (int)(1000 + e);
        shared[2][0]++;
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
    TEST_ASSERT(nt_go);
    wf_cptr_t go = badged(nt_go, 10);
    TEST_ASSERT(go);
    shared[2][0] = 0;
    struct wf_thread t;
    TEST_ASSERT_ERR(start_on(&t, ntfn_counter, 50, n - 1), WF_ERR_OK);
    /* This thread never blocks: the waiter's CPU idles until the Signal's
     * IPI wakes it (its own tick alone does not make it choose again). */
    for (uint64_t i = 0; i < 50; i++) {
        TEST_ASSERT(spin_still(&shared[2][0], 2), "counted without a signal");
        TEST_ASSERT_ERR(wf_sys_signal(go), WF_ERR_OK);
        TEST_ASSERT(spin_change(&shared[2][0], i, 2000), "signal %llu lost", (unsigned long long)i);
    }
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
    wf_thread_destroy(e, &t);
}

/*
 * A device interrupt for a thread on another CPU: the machine's clock
 * (talarm.h) raises its interrupt, the kernel takes it where the controller
 * sends it (CPU 0: decision 178) and signals the
 * notification bound to the line, whose waiter runs on the last CPU: the
 * remote wake-up's IPI has to reach that CPU, which otherwise idles through
 * its ticks. The waiter is the driver: it quiets the clock and acks the line.
 */
#define AL_BADGE 0x40

static wf_cptr_t al_ntfn, al_handler;

/* The driver: waits for the interrupt until it has seen rounds events,
 * checks its badge, asks the clock whether the event happened, quiets it,
 * counts the event in shared[4][0] and acks the line. A delivery without an
 * event is not counted: on x86-64 a burst of the RTC's periods can reach the
 * CPU twice before the kernel masks the line (t_irq.c). */
static int alarm_driver(uintptr_t rounds)
{
    while (shared[4][0] < rounds) {
        wf_word_t bits = 0;
        wf_word_t e = wf_sys_wait(al_ntfn, &bits);
        if (e != WF_ERR_OK)
            return (int)(1000 + e);
        if (bits != AL_BADGE)
            return 2;
        bool raised = test_alarm.raised();
        test_alarm.quiet();
        if (raised)
            shared[4][0]++;
        if (wf_irqhandler_ack(al_handler) != WF_ERR_OK)
            return 3;
    }
    return 0;
}

TEST(smp, device_interrupt_wakes_its_driver_on_another_cpu)
{
    TEST_ENV(e);
    unsigned n = cpu_count();
    if (n < 2)
        TEST_SKIP("one CPU");
    unsigned next = 0;
    TEST_ASSERT(test_alarm.setup(&next), "no access to %s", test_alarm.name);
    al_ntfn = test_slot(next);
    wf_cptr_t nb = test_slot(next + 1);
    al_handler = test_slot(next + 2);
    wf_cptr_t ntfn = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(ntfn);
    TEST_ASSERT_ERR(wf_cnode_move(WF_ROOT_CNODE, al_ntfn, 64, WF_ROOT_CNODE, ntfn, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(
        wf_cnode_mint(WF_ROOT_CNODE, nb, 64, WF_ROOT_CNODE, al_ntfn, 64, WF_RIGHT_WRITE, AL_BADGE),
        WF_ERR_OK);
    test_alarm.quiet();
    TEST_ASSERT_ERR(wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, test_alarm.line, WF_IRQ_TRIGGER_DEFAULT,
                                      WF_ROOT_CNODE, al_handler, 64),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(al_handler, nb), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_ack(al_handler), WF_ERR_OK); /* unmasked, the clock quiet */
    const unsigned rounds = 3;
    shared[4][0] = 0;
    struct wf_thread t;
    TEST_ASSERT_ERR(start_on(&t, alarm_driver, rounds, n - 1), WF_ERR_OK);
    /* This thread never blocks: the driver runs on CPU n - 1 or not at all. */
    for (uint64_t i = 0; i < rounds; i++) {
        TEST_ASSERT(spin_still(&shared[4][0], 2), "counted before the clock was armed");
        test_alarm.arm(20000000ull);
        TEST_ASSERT(spin_change(&shared[4][0], i, 3000), "interrupt %llu never woke the driver",
                    (unsigned long long)i);
    }
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
    wf_word_t irq = 0, trig = 0, count = 0;
    TEST_ASSERT_ERR(wf_irqhandler_describe(al_handler, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT(count >= rounds, "the handler counted %llu interrupts", (unsigned long long)count);
    test_alarm.quiet();
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
    /* One count may follow: the access it stands for was made before the
     * shootdown, the thread interrupted between the access and the count
     * (under TCG they can be two translation blocks, and the shootdown's IPI
     * is taken between them). A stale TLB entry lets it go on counting. */
    uint64_t after = shared[3][0], until = wf_clock_ns() + 50000000ull;
    while (wf_clock_ns() < until && shared[3][0] <= after + 1)
        ;
    TEST_ASSERT(shared[3][0] <= after + 1, "the thread on CPU %u still %s the page (%llu more)",
                n - 1, write ? "writes" : "reads", (unsigned long long)(shared[3][0] - after));
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

/*
 * What an Unmap costs when threads of the VSpace run on other CPUs (the TLB
 * shootdown; docs/perf/smp.md, make bench-smp): threads on CPUs 1 to k - 1
 * touch a page the root task mapped and wrote on CPU 0, then spin (with
 * pause) in this VSpace; the root task times its Unmap with wf_cycles(): the
 * TSC on x86-64, the kernel's clock (the CLOCK system call, in 16 ns steps on
 * aarch64 and 100 ns on riscv64) on the ports, whose counters user mode cannot
 * read (wf/syscall.h). Under -icount shift=0,sleep=off either
 * counts the guest instructions of every vCPU, a spinning one's few (QEMU's
 * round robin moves on at each pause), so the figure is the Unmap's work on
 * every CPU: the system call, the IPIs, each CPU's flush until it answers
 * (and on the ports one CLOCK call). One figure line per k (1, 2, 4 up to the
 * CPUs online); the test checks that each thread saw every round's page.
 */
#if defined(__x86_64__)
#define UC_PAUSE() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define UC_PAUSE() __asm__ volatile("yield" ::: "memory")
#else
#define UC_PAUSE() __asm__ volatile("" ::: "memory")
#endif
#define UC_ROUNDS 20
#define UC_VA     (TEST_VA + 0x3000000)
static volatile uint64_t uc_round, uc_seen[4][8];

static int uc_toucher(uintptr_t i)
{
    uint64_t last = 0;
    for (;;) {
        uint64_t r;
        while ((r = uc_round) == last)
            UC_PAUSE();
        if (r == ~0ull)
            return 0;
        if (*(volatile uint64_t *)UC_VA != r) /* the TLB holds it now */
            return 1;
        last = uc_seen[i][0] = r;
    }
}

TEST(smp, unmap_cost_with_the_page_touched_on_1_2_and_4_cpus)
{
    TEST_ENV(e);
    unsigned n = cpu_count();
    wf_cptr_t v = test_vmo(PG);
    TEST_ASSERT(v);
    for (unsigned k = 1; k <= 4 && k <= n; k *= 2) {
        struct wf_thread th[3];
        uc_round = 0;
        for (unsigned i = 1; i < k; i++) {
            uc_seen[i][0] = 0;
            TEST_ASSERT_ERR(start_on(&th[i - 1], uc_toucher, i, i), WF_ERR_OK);
        }
        uint64_t total = 0;
        bool ok = true;
        for (uint64_t r = 1; ok && r <= UC_ROUNDS; r++) {
            ok = !wf_vspace_map(WF_ROOT_VSPACE, v, UC_VA, 0, PG, WF_VM_READ | WF_VM_WRITE);
            if (!ok)
                break;
            *(volatile uint64_t *)UC_VA = r;
            uc_round = r;
            uint64_t until = wf_clock_ns() + 5000000000ull;
            for (unsigned i = 1; ok && i < k; i++)
                while (ok && uc_seen[i][0] != r) {
                    UC_PAUSE();
                    ok = wf_clock_ns() < until;
                }
            uint64_t t0 = wf_cycles();
            ok = !wf_vspace_unmap(WF_ROOT_VSPACE, UC_VA, PG) && ok;
            total += wf_cycles() - t0;
        }
        uc_round = ~0ull;
        for (unsigned i = 1; i < k; i++) {
            struct wf_event ev;
            TEST_ASSERT_ERR(wf_thread_wait(&th[i - 1], &ev), WF_ERR_OK);
            TEST_ASSERT(ev.label == WF_EXIT_LABEL && ev.w[0] == 0, "CPU %u: label %llu status %llu",
                        i, (unsigned long long)ev.label, (unsigned long long)ev.w[0]);
            wf_thread_destroy(e, &th[i - 1]);
        }
        TEST_ASSERT(ok, "a map or unmap failed, or a thread did not see round's page (k %u)", k);
        printf("figure: smp.unmap_touched_by_%u_cpus %llu\n", k,
               (unsigned long long)(total / UC_ROUNDS));
    }
    TEST_ASSERT_ERR(wf_cnode_delete(WF_ROOT_CNODE, v, 64), WF_ERR_OK);
}

/*
 * The scaling of CPU-bound work (docs/perf/smp.md, bench/smp/scaling.py):
 * two threads each counting in a word of its own cache line, one per CPU
 * (both on CPU 0 at one CPU), for SC_NS of CLOCK time while the root task
 * sleeps on its timer; prints the sum of both counts per second. Wall-clock
 * work on a shared host: not a check, so it runs only when the command line
 * says smp.scaling=1 (the script's boots), and skips otherwise.
 */
#define SC_NS 1000000000ull
static volatile uint64_t sc_count[2][8];

static int sc_counter(uintptr_t i)
{
    for (;;)
        sc_count[i][0]++;
    return 0;
}

TEST(smp, scaling_of_two_counting_threads)
{
    char arg[8];
    if (!test_bootinfo || !wf_cmdline_get(test_bootinfo->cmdline, "smp.scaling", arg, sizeof(arg)))
        TEST_SKIP("measures only with smp.scaling=1 (bench/smp/scaling.py)");
    TEST_ENV(e);
    unsigned n = cpu_count();
    wf_cptr_t nt = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(nt);
    struct wf_thread th[2];
    for (unsigned i = 0; i < 2; i++) {
        sc_count[i][0] = 0;
        TEST_ASSERT_ERR(start_on(&th[i], sc_counter, i, n > 1 ? i : 0), WF_ERR_OK);
    }
    TEST_ASSERT_ERR(wf_tcb_bind_notification(WF_ROOT_TCB, nt), WF_ERR_OK);
    /* A tick first: both threads run from here on. */
    wf_word_t bits = 0;
    TEST_ASSERT_ERR(wf_tcb_set_deadline(WF_ROOT_TCB, wf_clock_ns() + 20000000ull, 1), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_wait(nt, &bits), WF_ERR_OK);
    uint64_t c0 = sc_count[0][0] + sc_count[1][0], t0 = wf_clock_ns();
    TEST_ASSERT_ERR(wf_tcb_set_deadline(WF_ROOT_TCB, t0 + SC_NS, 1), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_wait(nt, &bits), WF_ERR_OK);
    uint64_t c1 = sc_count[0][0] + sc_count[1][0], t1 = wf_clock_ns();
    uint64_t a = sc_count[0][0], b = sc_count[1][0];
    for (unsigned i = 0; i < 2; i++)
        wf_thread_destroy(e, &th[i]);
    TEST_ASSERT_ERR(wf_tcb_unbind_notification(WF_ROOT_TCB), WF_ERR_OK);
    TEST_ASSERT(a && b, "a thread never counted (%llu, %llu)", (unsigned long long)a,
                (unsigned long long)b);
    printf("figure: smp.scaling_cpus%u_increments_per_s %llu\n", n,
           (unsigned long long)((c1 - c0) * 1000000000ull / (t1 - t0)));
}

/*
 * The stress test: on every CPU at once, for a bounded number of rounds,
 *   - IPC: a server on each CPU i, its client on CPU i + 1 (the last one's on
 *     CPU 0), each call checked;
 *   - notifications: two pairs of threads on different CPUs signalling each
 *     other back and forth (a lost wake-up stops the pair: the monitor names it);
 *   - faults and mappings: a thread on the last CPU faulting a fresh
 *     demand-zero region of this VSpace in, page by page, round after round,
 *     while the root task maps, touches and unmaps another region (each Unmap
 *     a TLB shootdown to the CPUs running these threads);
 *   - revokes under load: a thread blocked in Recv on an endpoint on another
 *     CPU while the root task deletes the endpoint (its Recv is cancelled).
 * Meanwhile the root task sleeps on its timer between looks (it takes the
 * kernel lock about once a tick) and watches the counters: when nothing at all
 * moves for ST_STALL_NS it names every thread left and its state (all blocked:
 * a lost wake-up) and fails, instead of the harness's time limit. Afterwards:
 * every thread reported its exit with status 0 (each one accounted for), the
 * counts are exact (no lost wake-up: each call answered once, each signal
 * waited for once), and the pool's usage is back where it started (no leak).
 */
#define ST_CPUS   4                     /* servers and clients on the first 4 CPUs at most */
#define ST_PAIRS  2                     /* notification pairs at most */
#define ST_CALLS  30                    /* calls per client */
#define ST_PINGS  30                    /* round trips per notification pair */
#define ST_FAULTS 3                     /* rounds of the faulting thread */
#define ST_PAGES  32                    /* pages per round */
#define ST_CHURN  6                     /* map/touch/unmap rounds of the root task */
#define ST_EPS    4                     /* endpoints deleted under a waiting thread */
#define ST_FVA    (TEST_VA + 0x1000000) /* the faulting thread's region */
#define ST_UVA    (TEST_VA + 0x2000000) /* the root task's region */

static struct {
    wf_cptr_t ep[ST_CPUS], rp[ST_CPUS];          /* server i: endpoint, Reply */
    wf_cptr_t ping[ST_PAIRS], pong[ST_PAIRS];    /* pair i's notifications */
    wf_cptr_t ping1[ST_PAIRS], pong1[ST_PAIRS];  /* their caps with badge 1 */
    wf_cptr_t fault_vmo;                         /* the faulting thread's VMO */
    wf_cptr_t rev_ep[ST_EPS], rev_rp;            /* endpoints the root task deletes */
    volatile uint64_t progress[4 * ST_CPUS + 2]; /* + servers' replies */
    /* Thread i runs fn[i](arg[i]) (st_run), then sets done[i] to its status + 1. */
    int (*fn[2 * ST_CPUS + 2 * ST_PAIRS + 2])(uintptr_t);
    uintptr_t arg[2 * ST_CPUS + 2 * ST_PAIRS + 2];
    volatile uint64_t done[2 * ST_CPUS + 2 * ST_PAIRS + 2];
} st;

static int st_run(uintptr_t i)
{
    int r = st.fn[i](st.arg[i]);
    st.done[i] = (uint64_t)r + 1;
    return r;
}

static int st_server(uintptr_t i)
{
    struct wf_msgregs m = {0};
    wf_word_t e = wf_sys_recv(st.ep[i], st.rp[i], &m);
    while (e == WF_ERR_OK && wf_msginfo_label(m.info) != 9) {
        m.w[0] = m.w[0] * 3 + i;
        m.info = wf_msginfo(2, 0, 1);
        st.progress[3 * ST_CPUS + 2 + i]++;
        e = wf_sys_reply_recv(st.ep[i], st.rp[i], &m);
    }
    if (e == WF_ERR_OK) {
        m.info = wf_msginfo(0, 0, 0);
        wf_sys_send(st.rp[i], &m);
    }
    return (int)e;
}

static int st_client(uintptr_t i)
{
    for (wf_word_t k = 0; k < ST_CALLS; k++) {
        struct wf_msgregs m = {.info = wf_msginfo(1, 0, 1), .w = {k}};
        if (wf_sys_call(st.ep[i], &m) != WF_ERR_OK || m.w[0] != k * 3 + i)
            return 1;
        st.progress[i]++;
    }
    struct wf_msgregs q = {.info = wf_msginfo(9, 0, 0)};
    return wf_sys_call(st.ep[i], &q) == WF_ERR_OK ? 0 : 2;
}

static int st_ping(uintptr_t i)
{
    for (unsigned k = 0; k < ST_PINGS; k++) {
        wf_word_t bits = 0;
        if (wf_sys_signal(st.ping1[i]) || wf_sys_wait(st.pong[i], &bits) || bits != 1)
            return 1;
        st.progress[ST_CPUS + i]++;
    }
    return 0;
}

static int st_pong(uintptr_t i)
{
    for (unsigned k = 0; k < ST_PINGS; k++) {
        wf_word_t bits = 0;
        if (wf_sys_wait(st.ping[i], &bits) || bits != 1 || wf_sys_signal(st.pong1[i]))
            return 1;
        st.progress[2 * ST_CPUS + i]++;
    }
    return 0;
}

static int st_faulter(uintptr_t arg)
{
    (void)arg;
    for (unsigned r = 0; r < ST_FAULTS; r++) {
        if (wf_vspace_map(WF_ROOT_VSPACE, st.fault_vmo, ST_FVA, 0, ST_PAGES * PG,
                          WF_VM_READ | WF_VM_WRITE))
            return 1;
        for (unsigned p = 0; p < ST_PAGES; p++) {
            volatile uint64_t *w = (volatile uint64_t *)(ST_FVA + p * PG);
            if (*w != (r ? r - 1 + p : 0))
                return 2; /* demand-zero at first, then what the last round left */
            *w = r + p;
        }
        for (unsigned p = 0; p < ST_PAGES; p++)
            if (*(volatile uint64_t *)(ST_FVA + p * PG) != r + p)
                return 3;
        if (wf_vspace_unmap(WF_ROOT_VSPACE, ST_FVA, ST_PAGES * PG))
            return 4;
        st.progress[3 * ST_CPUS]++;
    }
    return 0;
}

static int st_receiver(uintptr_t arg)
{
    (void)arg;
    for (unsigned k = 0; k < ST_EPS; k++) {
        struct wf_msgregs m = {0};
        st.progress[3 * ST_CPUS + 1] = k + 1;
        wf_word_t e = wf_sys_recv(st.rev_ep[k], st.rev_rp, &m);
        if (e != WF_ERR_CANCELLED)
            return (int)(100 + k * 10 + e);
    }
    return 0;
}

/* A new kernel object in the test's own slot i (test_slot(i)); 0 on failure. */
static wf_cptr_t st_obj(struct wf_spawn_env *e, wf_word_t type, unsigned i)
{
    return wf_untyped_retype(e->untyped, type, 0, e->cnode, 0, 0, test_slot(i), 1) ? 0
                                                                                   : test_slot(i);
}

/* How long nothing at all may move before the stress test calls it a hang: on
 * a loaded host with fewer cores than vCPUs the kernel lock convoys and
 * everything is slow (docs/smp.md), but something moves every few ms. */
#define ST_STALL_NS 60000000000ull
#define ST_THREADS  (2 * ST_CPUS + 2 * ST_PAIRS + 2)

static const char *const st_names[] = {"server", "client", "ping", "pong", "faulter", "receiver"};
static struct wf_thread st_th[ST_THREADS];
static unsigned st_kind[ST_THREADS], st_cpu[ST_THREADS], st_nt;
static wf_cptr_t st_nap_ntfn;

/* Thread st_nt: fn(arg) on cpu, through st_run. */
static enum wf_error st_start(unsigned kind, int (*fn)(uintptr_t), uintptr_t arg, unsigned cpu)
{
    unsigned i = st_nt++;
    st.fn[i] = fn;
    st.arg[i] = arg;
    st_kind[i] = kind;
    st_cpu[i] = cpu;
    return start_on(&st_th[i], st_run, i, cpu);
}

/* Sleeps until the next timer tick (the root task's timer signals the
 * notification bound to it): the root task waits without taking the kernel
 * lock, which the threads under test then have to themselves. */
static void st_nap(void)
{
    wf_word_t bits = 0;
    if (wf_tcb_set_deadline(WF_ROOT_TCB, wf_clock_ns() + 10000000ull, 1) == WF_ERR_OK)
        wf_sys_wait(st_nap_ntfn, &bits);
}

/* Everything that moves: every counter and every exit. */
static uint64_t st_moves(void)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < sizeof(st.progress) / sizeof(st.progress[0]); i++)
        m += st.progress[i];
    for (unsigned i = 0; i < st_nt; i++)
        m += st.done[i];
    return m;
}

/* The watch on progress: true once nothing moved for ST_STALL_NS. */
struct st_watch {
    uint64_t moves, since;
};
static bool st_stalled(struct st_watch *w)
{
    uint64_t m = st_moves(), now = wf_clock_ns();
    if (m != w->moves || !w->since) {
        w->moves = m;
        w->since = now;
    }
    return now - w->since > ST_STALL_NS;
}

/* On a hang: each thread that has not finished, where it is and what it waits
 * for (all of them blocked: a lost wake-up; some runnable: a CPU that does not
 * run its queue). */
static void st_report(void)
{
    for (unsigned i = 0; i < st_nt; i++) {
        wf_word_t state = ~0ull;
        if (st.done[i])
            continue;
        wf_tcb_describe(st_th[i].tcb, &state, 0, 0, 0);
        printf("# stress: thread %u (%s %lu) on CPU %u: state %lu\n", i, st_names[st_kind[i]],
               (unsigned long)st.arg[i], st_cpu[i], (unsigned long)state);
    }
    for (unsigned i = 0; i < sizeof(st.progress) / sizeof(st.progress[0]); i++)
        printf("# stress: progress[%u] = %lu\n", i, (unsigned long)st.progress[i]);
}

TEST(smp, stress_ipc_signals_faults_unmaps_and_revokes_on_every_cpu)
{
    TEST_ENV(e);
    unsigned n = cpu_count();
    unsigned k = n < ST_CPUS ? n : ST_CPUS, pairs = n < ST_PAIRS ? n : ST_PAIRS;
    wf_word_t usage0 = 0, usage1 = 0, prio = 0;
    TEST_ASSERT_ERR(wf_tcb_describe(WF_ROOT_TCB, 0, &prio, 0, 0), WF_ERR_OK);
    memset((void *)&st, 0, sizeof(st));
    st_nt = 0;
    /* Endpoints, Replies and notifications come from the untyped; the
     * VMOs and the threads' stacks from the pool, whose usage is checked. */
    /* In the test's own slots: the environment's are for the threads. */
    unsigned own = 20;
    for (unsigned i = 0; i < k; i++) {
        st.ep[i] = st_obj(e, WF_OBJ_ENDPOINT, own++);
        st.rp[i] = st_obj(e, WF_OBJ_REPLY, own++);
        TEST_ASSERT(st.ep[i] && st.rp[i]);
    }
    for (unsigned i = 0; i < pairs; i++) {
        st.ping[i] = st_obj(e, WF_OBJ_NOTIFICATION, own++);
        st.pong[i] = st_obj(e, WF_OBJ_NOTIFICATION, own++);
        TEST_ASSERT(st.ping[i] && st.pong[i]);
        st.ping1[i] = badged(st.ping[i], own++);
        st.pong1[i] = badged(st.pong[i], own++);
        TEST_ASSERT(st.ping1[i] && st.pong1[i]);
    }
    for (unsigned i = 0; i < ST_EPS; i++)
        TEST_ASSERT((st.rev_ep[i] = st_obj(e, WF_OBJ_ENDPOINT, own++)) != 0);
    TEST_ASSERT((st.rev_rp = st_obj(e, WF_OBJ_REPLY, own++)) != 0);
    TEST_ASSERT((st_nap_ntfn = st_obj(e, WF_OBJ_NOTIFICATION, own++)) != 0);
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &usage0, 0, 0, 0), WF_ERR_OK);
    st.fault_vmo = test_vmo(ST_PAGES * PG);
    wf_cptr_t churn = test_vmo(ST_PAGES * PG);
    TEST_ASSERT(st.fault_vmo && churn);

    for (unsigned i = 0; i < k; i++) {
        TEST_ASSERT_ERR(st_start(0, st_server, i, i), WF_ERR_OK);
        TEST_ASSERT_ERR(st_start(1, st_client, i, (i + 1) % n), WF_ERR_OK);
    }
    for (unsigned i = 0; i < pairs; i++) {
        TEST_ASSERT_ERR(st_start(2, st_ping, i, (i + 1) % n), WF_ERR_OK);
        TEST_ASSERT_ERR(st_start(3, st_pong, i, (i + 2) % n), WF_ERR_OK);
    }
    TEST_ASSERT_ERR(st_start(4, st_faulter, 0, n - 1), WF_ERR_OK);
    unsigned receiver = st_nt;
    TEST_ASSERT_ERR(st_start(5, st_receiver, 0, n > 2 ? 2 : n - 1), WF_ERR_OK);

    /* The root task at its children's priority: CPU 0's threads share it. It
     * waits by sleeping (st_nap), so from here to the unbind below a failure
     * is recorded, not returned. */
    TEST_ASSERT_ERR(wf_tcb_set_priority(WF_ROOT_TCB, WF_ROOT_TCB, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_bind_notification(WF_ROOT_TCB, st_nap_ntfn), WF_ERR_OK);
    bool ok = true, stuck = false;
    unsigned deleted = 0;
    struct st_watch watch = {0};
    for (unsigned r = 0; ok && !stuck && (r < ST_CHURN || deleted < ST_EPS); r++) {
        if (r < ST_CHURN) {
            ok = !wf_vspace_map(WF_ROOT_VSPACE, churn, ST_UVA, 0, ST_PAGES * PG,
                                WF_VM_READ | WF_VM_WRITE);
            for (unsigned p = 0; ok && p < ST_PAGES; p++)
                *(volatile uint64_t *)(ST_UVA + p * PG) += 1;
            ok = ok && !wf_vspace_unmap(WF_ROOT_VSPACE, ST_UVA, ST_PAGES * PG);
        }
        /* Every third round, an endpoint goes under its waiting receiver
         * (the rounds after the churn only delete). */
        if (ok && r % 3 == 2 && deleted < ST_EPS) {
            wf_word_t state = 0;
            while (!(stuck = st_stalled(&watch)) &&
                   (st.progress[3 * ST_CPUS + 1] != deleted + 1 ||
                    wf_tcb_describe(st_th[receiver].tcb, &state, 0, 0, 0) ||
                    state != WF_THREAD_STATE_BLOCKED_RECV))
                st_nap();
            ok = stuck || !wf_cnode_delete(WF_ROOT_CNODE, st.rev_ep[deleted], 64);
            deleted++;
        }
        st_nap();
    }
    /* Every exit is awaited, watching for a hang: nothing moving for
     * ST_STALL_NS names each thread left and its state. */
    for (;;) {
        unsigned left = 0;
        for (unsigned i = 0; i < st_nt; i++)
            left += !st.done[i];
        if (!left || (stuck = st_stalled(&watch)))
            break;
        st_nap();
    }
    if (stuck)
        st_report();
    wf_tcb_set_deadline(WF_ROOT_TCB, 0, 0);
    bool unbound = wf_tcb_unbind_notification(WF_ROOT_TCB) == WF_ERR_OK;
    TEST_ASSERT_ERR(wf_tcb_set_priority(WF_ROOT_TCB, WF_ROOT_TCB, prio), WF_ERR_OK);
    TEST_ASSERT(!stuck, "nothing moved for %llu s (threads left above)",
                (unsigned long long)(ST_STALL_NS / 1000000000ull));
    TEST_ASSERT(ok, "a map, unmap or delete failed");
    TEST_ASSERT(unbound);
    TEST_ASSERT_EQ(deleted, ST_EPS);
    for (unsigned i = 0; i < st_nt; i++) {
        struct wf_event ev;
        TEST_ASSERT_ERR(wf_thread_wait(&st_th[i], &ev), WF_ERR_OK);
        TEST_ASSERT(ev.label == WF_EXIT_LABEL && ev.w[0] == 0, "thread %u: label %llu status %llu",
                    i, (unsigned long long)ev.label, (unsigned long long)ev.w[0]);
        TEST_ASSERT_EQ(st.done[i], 1);
        wf_thread_destroy(e, &st_th[i]);
    }
    for (unsigned i = 0; i < k; i++) {
        TEST_ASSERT_EQ(st.progress[i], ST_CALLS);
        TEST_ASSERT_EQ(st.progress[3 * ST_CPUS + 2 + i], ST_CALLS);
    }
    for (unsigned i = 0; i < pairs; i++) {
        TEST_ASSERT_EQ(st.progress[ST_CPUS + i], ST_PINGS);
        TEST_ASSERT_EQ(st.progress[2 * ST_CPUS + i], ST_PINGS);
    }
    TEST_ASSERT_EQ(st.progress[3 * ST_CPUS], ST_FAULTS);
    TEST_ASSERT_EQ(st.progress[3 * ST_CPUS + 1], ST_EPS);
    /* Each churn round added one to every page of the churn VMO. */
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, churn, ST_UVA, 0, ST_PAGES * PG, WF_VM_READ),
                    WF_ERR_OK);
    for (unsigned p = 0; p < ST_PAGES; p++)
        TEST_ASSERT_EQ(*(volatile uint64_t *)(ST_UVA + p * PG), ST_CHURN);
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, ST_UVA, ST_PAGES * PG), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_delete(WF_ROOT_CNODE, churn, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_delete(WF_ROOT_CNODE, st.fault_vmo, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &usage1, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT(usage1 == usage0, "pool usage %llu, was %llu", (unsigned long long)usage1,
                (unsigned long long)usage0);
}
