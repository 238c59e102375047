/*
 * benchvm: the VM benchmark (make bench-vm; docs/perf/vm.md), an ordinary
 * process in a VSpace of its own that init starts when the command line says
 * bench=vm (launch.c). Every page fault it takes goes the way any thread's
 * does: user mode, the trap entry, vm_fault, the return to user mode.
 *
 * Under -icount shift=0,sleep=off the counter (bench_arch.h: x86-64's TSC, the
 * ports' CLOCK system call) advances by one per guest instruction, so a delta
 * counts the instructions executed in between, the kernel's included. The
 * program maps a 64 MiB anonymous VMO (from the pool
 * init gave it) read-write at a 2 MiB-aligned address and writes one word to
 * each 4 KiB page, window by window (32 windows of 2 MiB), timing each window.
 * Then it writes everything again (all mapped: the loop alone), clones the VMO
 * copy-on-write and writes all 64 MiB a third time through its own mapping
 * (each fault copies a cluster), and deletes the clone.
 *
 * "Per MiB" figures are the median window's count halved: the 100 Hz timer
 * interrupts the loop every 10 M instructions, and which window it lands in
 * depends on everything that ran since boot; the median leaves it out, so a
 * figure changes only when the fault path does. Fault, promotion and
 * reservation counts are DEBUG_STAT deltas (decision 073) over the whole pass,
 * so the program needs a debug kernel. Figures go to the console as JSON lines.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"
#include "bench_arch.h"
#include "weft/invoke.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

#define BENCH_VA   0x40000000ull
#define BENCH_LEN  (64ull << 20)
#define WINDOW     (2ull << 20)
#define NWIN       ((unsigned)(BENCH_LEN / WINDOW))
#define MIB        (BENCH_LEN >> 20)
#define SLOT_DATA  (BENCH_SLOT_POOL + 1)
#define SLOT_CLONE (BENCH_SLOT_POOL + 2)

static unsigned failures;

static void emit(const char *metric, uint64_t value, const char *unit)
{
    printf("{\"bench\":\"vm\",\"arch\":\"%s\",\"cluster_order\":%d,\"metric\":\"%s\","
           "\"value\":%llu,\"unit\":\"%s\"}\n",
           WEFT_ARCH_NAME, CLUSTER_ORDER, metric, (unsigned long long)value, unit);
}

static bool ok(enum wf_error e, const char *what)
{
    if (e != WF_ERR_OK) {
        printf("benchvm: %s: %s\n", what, wf_error_name(e));
        failures++;
    }
    return e == WF_ERR_OK;
}

/* The kernel's counter s now (0 and a failure if it cannot be read). */
static uint64_t read_stat(unsigned s)
{
    wf_word_t v = 0;
    ok((enum wf_error)wf_debug_stat(s, &v), "DEBUG_STAT (a release kernel?)");
    return v;
}

struct stats {
    uint64_t faults, promotions, demotions, reservations;
};

static struct stats stats_now(void)
{
    return (struct stats){read_stat(WF_STAT_VM_FAULTS), read_stat(WF_STAT_VM_PROMOTIONS),
                          read_stat(WF_STAT_VM_DEMOTIONS), read_stat(WF_STAT_VM_RESERVATIONS)};
}

/* Writes one word to each 4 KiB page of 64 MiB, window by window; t[w] gets
 * window w's instruction count. The loop (bench_touch) is 4 instructions per
 * page on x86-64 and aarch64, 3 on riscv64. */
static void pass(uint64_t t[NWIN])
{
    for (unsigned w = 0; w < NWIN; w++) {
        uint64_t p = BENCH_VA + w * WINDOW, end = p + WINDOW;
        uint64_t t0 = bench_counter();
        bench_touch(p, end);
        t[w] = bench_counter() - t0;
    }
}

/* The median window's count, per MiB (upper median of NWIN). */
static uint64_t per_mib(const uint64_t t[NWIN])
{
    uint64_t s[NWIN];
    for (unsigned i = 0; i < NWIN; i++) {
        unsigned j = i;
        for (; j > 0 && s[j - 1] > t[i]; j--)
            s[j] = s[j - 1];
        s[j] = t[i];
    }
    return s[NWIN / 2] / (WINDOW >> 20);
}

static uint64_t total(const uint64_t t[NWIN])
{
    uint64_t n = 0;
    for (unsigned i = 0; i < NWIN; i++)
        n += t[i];
    return n;
}

static wf_word_t pool_usage(void)
{
    wf_word_t usage = 0;
    ok(wf_pool_info(BENCH_SLOT_POOL, &usage, 0, 0, 0), "Pool_Info");
    return usage;
}

static int run(void)
{
    static uint64_t t[NWIN];
    const wf_word_t cn = WF_CHILD_CNODE, rw = WF_VM_READ | WF_VM_WRITE;
    wf_word_t usage0 = pool_usage();
    if (!ok(wf_pool_create(BENCH_SLOT_POOL, WF_OBJ_VMO, BENCH_LEN, cn, SLOT_DATA, 64),
            "Pool_Create VMO") ||
        !ok(wf_vspace_map(WF_CHILD_VSPACE, SLOT_DATA, BENCH_VA, 0, BENCH_LEN, rw), "VSpace_Map"))
        return 1;

    /* 1. first touch */
    struct stats a = stats_now();
    pass(t);
    struct stats b = stats_now();
    emit("first_touch_instructions_per_mib", per_mib(t), "instructions");
    emit("first_touch_64mib_instructions", total(t), "instructions");
    emit("first_touch_faults_per_mib", (b.faults - a.faults) / MIB, "faults");
    emit("first_touch_promotions", b.promotions - a.promotions, "windows");
    emit("first_touch_reservations", b.reservations - a.reservations, "reservations");
    emit("first_touch_pool_overhead_bytes", pool_usage() - usage0 - BENCH_LEN, "bytes");

    /* 2. the loop alone, everything mapped */
    pass(t);
    emit("retouch_instructions_per_mib", per_mib(t), "instructions");

    /* 3. copy-on-write clone, then write all 64 MiB again through our mapping */
    a = stats_now();
    uint64_t t0 = bench_counter();
    enum wf_error e = wf_vmo_clone(SLOT_DATA, BENCH_SLOT_POOL, cn, SLOT_CLONE, 64);
    uint64_t t1 = bench_counter();
    if (!ok(e, "VMO_Clone"))
        return 1;
    pass(t);
    b = stats_now();
    emit("cow_clone_instructions", t1 - t0, "instructions");
    emit("cow_write_instructions_per_mib", per_mib(t), "instructions");
    emit("cow_write_64mib_instructions", total(t), "instructions");
    emit("cow_write_faults_per_mib", (b.faults - a.faults) / MIB, "faults");
    emit("cow_write_promotions", b.promotions - a.promotions, "windows");
    emit("cow_clone_demotions", b.demotions - a.demotions, "windows");

    /* 4. deleting the clone (the "exit" of a fork) */
    t0 = bench_counter();
    e = wf_cnode_delete(cn, SLOT_CLONE, 64);
    t1 = bench_counter();
    if (ok(e, "CNode_Delete clone"))
        emit("cow_clone_destroy_instructions", t1 - t0, "instructions");
    return failures != 0;
}

int main(uintptr_t arg)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)arg;
    if (!si || si->magic != WF_STARTINFO_MAGIC) {
        printf("benchvm: no start info: start it from init with bench=vm\n");
        return 2;
    }
    int r = run();
    printf("benchvm: %s\n", r ? "FAILED" : "ok");
    return r;
}
