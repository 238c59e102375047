/*
 * Bounded VM work from userspace (decision 088). Long VM invocations are done
 * in units with preemption points and restarted by re-executing the system call,
 * so a higher-priority thread woken by an interrupt runs before they complete,
 * and the results after any number of restarts are those of one uninterrupted
 * run:
 *  - a watcher thread above the root task, woken by the machine's clock
 *    interrupt (talarm.h: the CMOS RTC, the PL031, the Goldfish RTC, re-armed
 *    at every interrupt, through an IRQHandler and a notification), samples
 *    the committed bytes of a VMO that a long VMO_Write is filling: it must
 *    see the copy half done at least once;
 *  - clone, shrink and deletion of a 1 GiB sparse VMO with a few populated
 *    clusters spread out and mapped by hundreds of regions (one unit each, more
 *    than one work budget), with the contents checked afterwards;
 *  - hundreds of regions in one VSpace, each faulted in and looked up (the
 *    region lookup is a balanced tree).
 */
#include "talarm.h"
#include "tarch.h"
#include "tutil.h"
#include "weft/invocations.h"

#define ROOT WF_ROOT_CNODE
#define PG   4096ull
#define GIB  (1ull << 30)
#define NREG 320 /* regions: more units than one budget (256) */

#define mem ((volatile uint64_t *)TEST_VA)

/* --- the watcher ------------------------------------------------------------------ */

/* The watcher's clock: quieted and armed again at every interrupt, a period
 * of VM_TICK_NS or the clock's resolution if that is longer (talarm.h). */
#define VM_TICK_NS 1000000ull

static struct {
    wf_cptr_t ntfn, handler, vmo;
    volatile int phase; /* 1 while the root task is inside the long invocation */
    volatile int stop;
    volatile unsigned wakes, nseen;
    volatile wf_word_t seen[256];
} w;

static int watcher(uintptr_t arg)
{
    (void)arg;
    for (;;) {
        wf_word_t bits, committed;
        if (wf_sys_wait(w.ntfn, &bits) != WF_ERR_OK)
            return 1;
        if (w.stop)
            return 0;
        bool raised = test_alarm.raised();
        if (w.phase && w.nseen < 256 && wf_vmo_describe(w.vmo, 0, 0, 0, &committed) == WF_ERR_OK)
            w.seen[w.nseen++] = committed;
        w.wakes += raised;
        test_alarm.arm(VM_TICK_NS);
        if (wf_irqhandler_ack(w.handler) != WF_ERR_OK)
            return 2;
    }
}

/* The clock's interrupts wake a watcher above the root task while the root
 * task copies 4 MiB into a VMO (VMO_Write, 1,024 units of 4 KiB): the
 * watcher must find the copy half done at least once, so the kernel stopped
 * at a preemption point for the pending interrupt and let it run. The copy
 * is repeated until that happens, for six copies and at least four of the
 * clock's periods (a PL031 second each). */
TEST(vmwork, interrupt_thread_runs_during_a_long_copy)
{
    TEST_ENV(e);
    unsigned next = 0;
    TEST_ASSERT(test_alarm.setup(&next), "no access to %s", test_alarm.name);
    w = (typeof(w)){.ntfn = test_slot(next), .handler = test_slot(next + 1)};
    wf_cptr_t n = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(n);
    TEST_ASSERT_ERR(wf_cnode_move(ROOT, w.ntfn, 64, ROOT, n, 64), WF_ERR_OK);
    test_alarm.quiet();
    TEST_ASSERT_ERR(wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, test_alarm.line, WF_IRQ_TRIGGER_DEFAULT,
                                      ROOT, w.handler, 64),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(w.handler, w.ntfn), WF_ERR_OK);
    /* the source: 4 MiB filled with a pattern; the target: a 1 GiB sparse VMO */
    const wf_word_t len = 4ull << 20;
    wf_cptr_t src = test_vmo(len), dst = test_vmo(GIB);
    TEST_ASSERT(src && dst);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, src, TEST_VA, 0, len, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    for (wf_word_t i = 0; i < len / 8; i += 64)
        mem[i] = i * 0x9e3779b97f4a7c15ull;
    w.vmo = dst;
    /* the watcher runs above us: we step down below it for the test */
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_tcb_set_priority(WF_ROOT_TCB, WF_ROOT_TCB, 150), WF_ERR_OK);
    enum wf_error err = wf_thread_create(e, &t, watcher, 0, 200);
    if (!err)
        err = wf_thread_start(&t);
    if (!err)
        err = wf_irqhandler_ack(w.handler);
    test_alarm.arm(VM_TICK_NS);
    const uint64_t period =
        test_alarm.resolution_ns > VM_TICK_NS ? test_alarm.resolution_ns : VM_TICK_NS;
    const uint64_t until = wf_clock_ns() + 4 * period;
    unsigned tries = 0, mid = 0;
    for (; !err && !mid && (tries < 6 || wf_clock_ns() < until); tries++) {
        const wf_word_t off = 128ull << 20;
        wf_word_t before = 0, after = 0;
        /* empty again (the pool holds 16 MiB) */
        err = wf_vmo_resize(dst, PG);
        if (!err)
            err = wf_vmo_resize(dst, GIB);
        if (!err)
            err = wf_vmo_describe(dst, 0, 0, 0, &before);
        w.nseen = 0;
        w.phase = 1;
        if (!err)
            err = wf_vmo_write(dst, off, len, WF_ROOT_VSPACE, TEST_VA);
        w.phase = 0;
        if (!err)
            err = wf_vmo_describe(dst, 0, 0, 0, &after);
        for (unsigned i = 0; i < w.nseen; i++)
            mid += w.seen[i] > before && w.seen[i] < after;
    }
    w.stop = 1;
    test_alarm.quiet();
    (void)wf_sys_signal(w.ntfn);
    wf_word_t ticks = w.wakes;
    struct wf_event ev;
    (void)wf_thread_wait(&t, &ev);
    TEST_ASSERT_ERR(wf_tcb_set_priority(WF_ROOT_TCB, WF_ROOT_TCB, 255), WF_ERR_OK);
    TEST_ASSERT_ERR(err, WF_ERR_OK);
    TEST_ASSERT(ticks > 0, "%s never woke the watcher", test_alarm.name);
    TEST_ASSERT(mid > 0,
                "in %u copies of 4 MiB the watcher (%u wakes by %s) never ran while one was "
                "under way",
                tries, (unsigned)ticks, test_alarm.name);
    /* every copy is complete and right */
    static uint64_t back[64];
    for (wf_word_t i = 0; i < len / 8; i += 64 * 64) {
        TEST_ASSERT_ERR(
            wf_vmo_read(dst, 128ull * 1024 * 1024 + i * 8, 8, WF_ROOT_VSPACE, (uintptr_t)back),
            WF_ERR_OK);
        TEST_ASSERT_EQ(back[0], i * 0x9e3779b97f4a7c15ull);
    }
}

/* --- clone, shrink and delete with hundreds of regions ---------------------------- */

/* Offset of spot i of a 1 GiB VMO: spread out, inside a page of its own. */
static wf_word_t spot(unsigned i)
{
    return (wf_word_t)i * (GIB / 16) + (i % 4) * PG + 8 * i;
}

/* Maps page k of NREG of v (offsets spread over the whole VMO) at TEST_VA + 2k
 * pages, and touches every TOUCH-th (a cluster each: the pool has 16 MiB). */
#define TOUCH 8
static enum wf_error map_regions(wf_cptr_t v, wf_cptr_t vs)
{
    for (unsigned k = 0; k < NREG; k++) {
        enum wf_error e = wf_vspace_map(vs, v, TEST_VA + 2 * k * PG, k * (GIB / NREG) & ~(PG - 1),
                                        PG, WF_VM_READ | WF_VM_WRITE);
        if (e)
            return e;
        if (k % TOUCH == 0)
            (void)mem[2 * k * PG / 8];
    }
    return WF_ERR_OK;
}

static wf_word_t peek(wf_cptr_t v, wf_word_t off)
{
    static uint64_t x;
    x = ~0ull;
    return wf_vmo_read(v, off, 8, WF_ROOT_VSPACE, (uintptr_t)&x) == WF_ERR_OK ? x : ~1ull;
}

TEST(vmwork, clone_shrink_delete_of_a_sparse_gib_with_many_regions)
{
    TEST_ENV(e);
    wf_cptr_t v = test_vmo(GIB), c = test_slot(0);
    TEST_ASSERT(v);
    static uint64_t val;
    for (unsigned i = 0; i < 16; i++) {
        val = 0x5000 + i;
        TEST_ASSERT_ERR(wf_vmo_write(v, spot(i), 8, WF_ROOT_VSPACE, (uintptr_t)&val), WF_ERR_OK);
    }
    TEST_ASSERT_ERR(map_regions(v, WF_ROOT_VSPACE), WF_ERR_OK);
    /* clone: every region's mapping goes (NREG units), the contents are shared */
    TEST_ASSERT_ERR(wf_vmo_clone(v, e->pool, ROOT, c, 64), WF_ERR_OK);
    for (unsigned i = 0; i < 16; i++) {
        TEST_ASSERT_EQ(peek(c, spot(i)), 0x5000 + i);
        TEST_ASSERT_EQ(peek(v, spot(i)), 0x5000 + i);
    }
    /* writes through the old regions stay in the original */
    for (unsigned k = 0; k < NREG; k += TOUCH)
        mem[2 * k * PG / 8] = 0x7000 + k;
    for (unsigned k = 0; k < NREG; k += TOUCH) {
        wf_word_t off = k * (GIB / NREG) & ~(PG - 1);
        TEST_ASSERT_EQ(peek(v, off), 0x7000 + k);
        TEST_ASSERT_EQ(peek(c, off), off == spot(0) ? 0x5000 : 0);
    }
    /* shrink to 1 MiB: NREG mappings cleared, the clusters past it freed */
    TEST_ASSERT_ERR(wf_vmo_resize(v, 1ull << 20), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vmo_resize(v, GIB), WF_ERR_OK);
    for (unsigned i = 1; i < 16; i++)
        TEST_ASSERT(peek(v, spot(i)) == 0, "spot %u survived the shrink", i);
    TEST_ASSERT_EQ(peek(v, spot(0)), 0x7000); /* written through region 0 */
    TEST_ASSERT(peek(c, spot(5)) == 0x5005, "the clone keeps its view");
    /* delete the original while mapped by NREG regions: they all go */
    for (unsigned k = 0; k < NREG; k += TOUCH) /* the regions stayed: fault in again */
        (void)mem[2 * k * PG / 8];
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, v, 64), WF_ERR_OK);
    wf_word_t start, length, off, rights;
    for (unsigned k = 0; k < NREG; k += 13)
        TEST_ASSERT_ERR(
            wf_vspace_lookup(WF_ROOT_VSPACE, TEST_VA + 2 * k * PG, &start, &length, &off, &rights),
            WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(peek(c, spot(9)), 0x5009);
}

TEST(vmwork, hundreds_of_regions_each_faulted_in)
{
    wf_cptr_t v = test_vmo(2 * NREG * PG);
    TEST_ASSERT(v);
    for (unsigned k = 0; k < NREG; k++) /* every other page, backwards */
        TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA + 2 * (NREG - 1 - k) * PG,
                                      2 * (NREG - 1 - k) * PG, PG, WF_VM_READ | WF_VM_WRITE),
                        WF_ERR_OK);
    for (unsigned k = 0; k < NREG; k++)
        mem[2 * k * PG / 8 + k % 512] = 0xa000 + k;
    for (unsigned k = 0; k < NREG; k++) {
        TEST_ASSERT_EQ(peek(v, 2 * k * PG + 8 * (k % 512)), 0xa000 + k);
        wf_word_t start, length, off, rights;
        TEST_ASSERT_ERR(wf_vspace_lookup(WF_ROOT_VSPACE, TEST_VA + 2 * k * PG + 100, &start,
                                         &length, &off, &rights),
                        WF_ERR_OK);
        TEST_ASSERT(start == TEST_VA + 2 * k * PG && length == PG && off == 2 * k * PG,
                    "region %u: [%#llx, +%#llx) at %#llx", k, (unsigned long long)start,
                    (unsigned long long)length, (unsigned long long)off);
        TEST_ASSERT_ERR(wf_vspace_lookup(WF_ROOT_VSPACE, TEST_VA + (2 * k + 1) * PG, &start,
                                         &length, &off, &rights),
                        WF_ERR_INVALID_ARGUMENT);
    }
}

/* --- Unmap, Protect and Present over a huge populated range (decision 089-090) --- */

#define MIB2 (2ull << 20)
#define NWIN 96 /* windows written: a cluster and a page table each */

TEST(vmwork, protect_unmap_and_present_of_a_populated_gib_region)
{
    wf_cptr_t v = test_vmo(GIB);
    TEST_ASSERT(v);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA, 0, GIB, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    for (unsigned n = 0; n < NWIN; n++) /* every fifth 2 MiB window */
        mem[5 * n * MIB2 / 8] = 0xb000 + n;
    /* Present: from inside the gap after a written window, the next one */
    wf_word_t start, length, off, rights;
    for (unsigned n = 0; n + 1 < NWIN; n += 7) {
        TEST_ASSERT_ERR(wf_vmo_present(v, 5 * n * MIB2 + (1 << 20), &start, &length), WF_ERR_OK);
        TEST_ASSERT(start == 5 * (n + 1) * MIB2 && length > 0 && length <= (1 << 20),
                    "window %u: [%#llx, +%#llx)", n, (unsigned long long)start,
                    (unsigned long long)length);
    }
    TEST_ASSERT_ERR(wf_vmo_present(v, 5 * (NWIN - 1) * MIB2 + (1 << 20), &start, &length),
                    WF_ERR_OK);
    TEST_ASSERT(start == GIB && length == 0, "nothing after the last window");
    /* Protect part of it, then all of it, read-only: the values stay readable */
    TEST_ASSERT_ERR(wf_vspace_protect(WF_ROOT_VSPACE, TEST_VA + 3 * MIB2, 200 * MIB2, WF_VM_READ),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_protect(WF_ROOT_VSPACE, TEST_VA, GIB, WF_VM_READ), WF_ERR_OK);
    for (unsigned n = 0; n < NWIN; n++)
        TEST_ASSERT_EQ(mem[5 * n * MIB2 / 8], 0xb000 + n);
    TEST_ASSERT_ERR(
        wf_vspace_lookup(WF_ROOT_VSPACE, TEST_VA + GIB - PG, &start, &length, &off, &rights),
        WF_ERR_OK);
    TEST_ASSERT_EQ(rights, WF_VM_READ);
    /* Unmap all of it: every region goes, the VMO keeps the values */
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, TEST_VA, GIB), WF_ERR_OK);
    for (unsigned n = 0; n < NWIN; n += 5) {
        TEST_ASSERT_ERR(wf_vspace_lookup(WF_ROOT_VSPACE, TEST_VA + 5 * n * MIB2, &start, &length,
                                         &off, &rights),
                        WF_ERR_INVALID_ARGUMENT);
        TEST_ASSERT_EQ(peek(v, 5 * n * MIB2), 0xb000 + n);
    }
}
