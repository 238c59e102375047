/*
 * ASIDs by generation (genarch/asid.h, decision 185), through the contract:
 * address spaces made with arch_pt_init_root and arch_pt_map, each with its
 * ASID word, loaded by arch_vspace_load and read from user mode on the
 * ports' scaffold (ktest_umode.h: prog_load reads a word at an address of
 * the loaded space). The width is narrowed for the tests (asid_set_bits) so
 * that a few spaces outnumber the ASIDs and the generation rolls over; what
 * they check holds at any width. Built where the scaffold runs and the
 * architecture has ASIDs (aarch64, riscv64). The file links after
 * umode_ktest.c, whose tests make the scaffold's pages first (they stay: the
 * PMM's self-tests, earlier, count the free memory).
 *
 * What a missing flush would show here: QEMU's TCG keeps its TLB over a
 * TTBR0 write that keeps the ASID (aarch64; a satp write flushes it whatever
 * changes), so on aarch64 a number handed to another space without the old
 * translations gone reads the old space's word; the tests make that case
 * happen (two spaces loaded one after the other with the same ASID) and
 * check it did.
 */
#include "ktest_arch.h"

#if defined(KTEST_UMODE) && (defined(WEFT_ARCH_aarch64) || defined(WEFT_ARCH_riscv64))

#include "arch.h"
#include "cap/delete.h"
#include "ipc/ipc.h"
#include "ipc/ktest_world.h"
#include "cap/preempt.h"
#include "config.h"
#include "genarch/asid.h"
#include "kprintf.h"
#include "ktest.h"
#include "ktest_umode.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/vspace.h"
#include "sched/sched.h"
#include "sched/smp.h"
#include "tap.h"

#define SPACES       7 /* more than the 3 ASIDs of 2 bits */
#define SPACE_TABLES 4 /* the root and the tables down to KU_DATA_VA's */

static uint64_t tables[SPACES][SPACE_TABLES][512] __aligned(4096);
static unsigned tables_used[SPACES];

struct space {
    struct pt_ctx pt;
    uint64_t word;
    paddr_t data;
};
static struct space spaces[SPACES];

static paddr_t table_alloc(struct pt_ctx *c)
{
    unsigned i = (unsigned)((struct space *)c->owner - spaces);
    if (tables_used[i] == SPACE_TABLES)
        return 0;
    memset(tables[i][tables_used[i]], 0, PAGE_SIZE);
    return virt_to_phys(tables[i][tables_used[i]++]);
}

static void table_free(struct pt_ctx *c, paddr_t pa)
{
    (void)c, (void)pa;
}

static uint64_t value_of(unsigned i)
{
    return 0xa51d0000ull + i;
}

/* Space i: the scaffold's code page at KU_CODE_VA, its own data page (word 0:
 * value_of(i)) at KU_DATA_VA, no ASID yet. */
static bool space_make(unsigned i)
{
    struct space *s = &spaces[i];
    tables_used[i] = 0;
    s->word = 0;
    s->data = pmm_alloc(&boot_pmm, 0);
    if (!s->data)
        return false;
    *(uint64_t *)phys_to_virt(s->data) = value_of(i);
    s->pt = (struct pt_ctx){.asid = &s->word, .alloc = table_alloc, .free = table_free, .owner = s};
    s->pt.root = table_alloc(&s->pt);
    if (!s->pt.root)
        return false;
    arch_pt_init_root(s->pt.root);
    return arch_pt_map(&s->pt, KU_CODE_VA, ku_code_pa, 1, VM_READ | VM_EXEC) &&
           arch_pt_map(&s->pt, KU_DATA_VA, s->data, 1, VM_READ);
}

/* Back to the scaffold's space; spaces [0, n) destroyed (their ASIDs go). */
static void spaces_gone(unsigned n)
{
    arch_vspace_switch(ku_space.root);
    for (unsigned i = 0; i < n; i++) {
        arch_pt_destroy(&spaces[i].pt);
        pmm_free(&boot_pmm, spaces[i].data, 0);
    }
}

/* A failed check in a helper: recorded, and 0 returned. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            tap_fail(__FILE__, __LINE__, __VA_ARGS__);                                             \
            return 0;                                                                              \
        }                                                                                          \
    } while (0)

/* Loads space i and checks it as user mode and the root register see it: its
 * word of the current generation, its ASID in range and no other space's of
 * this generation, that ASID and its root loaded, its own word at KU_DATA_VA.
 * Returns the ASID, 0 after a report. */
static unsigned load_and_check(unsigned i, unsigned bits, uint64_t keep)
{
    struct space *s = &spaces[i];
    arch_vspace_load(s->pt.root, &s->word);
    unsigned n = asid_number(s->word);
    CHECK(asid_current(s->word), "space %u: word %#llx of an old generation", i,
          (unsigned long long)s->word);
    CHECK(n >= 1 && n < (1u << bits) && n != asid_number(keep), "space %u: ASID %u", i, n);
    for (unsigned j = 0; j < SPACES; j++)
        CHECK(j == i || !asid_current(spaces[j].word) || asid_number(spaces[j].word) != n,
              "spaces %u and %u share ASID %u", i, j, n);
    CHECK(KTEST_LOADED_ASID() == n, "loaded ASID %u, not %u", KTEST_LOADED_ASID(), n);
    CHECK(KTEST_LOADED_ROOT() == s->pt.root, "space %u: another root loaded", i);
    uint64_t v = ku_load_word(KU_DATA_VA);
    CHECK(v == value_of(i), "space %u (ASID %u) read %#llx", i, n, (unsigned long long)v);
    return n;
}

/* Seven spaces on 2-bit ASIDs (1-3), loaded in turn three times: each has an
 * ASID no other space of the generation has and reads its own page at the
 * same address, and the generation rolls over (at least once every three
 * new ASIDs). Then on one ASID, each loaded right after another space with
 * the same ASID (reused across a rollover: the case a missing flush shows). */
KTEST(asid, more_spaces_than_asids_each_sees_its_own_page)
{
    KT_ASSERT(ku_setup(), "no user space");
    ku_space.active = false;
    unsigned made = 0;
    for (; made < SPACES; made++)
        if (!space_make(made))
            break;
    KT_ASSERT(made == SPACES, "no memory for space %u", made);
    asid_set_bits(2);
    uint64_t r0 = asid_rollovers;
    unsigned prev = 0, same = 0, n = 1;
    for (unsigned round = 0; n && round < 3; round++) {
        for (unsigned i = 0; n && i < SPACES; i++) {
            n = load_and_check(i, 2, 0);
            same += n == prev;
            prev = n;
        }
    }
    uint64_t rolls = asid_rollovers - r0;
    /* One ASID: every load rolls over and hands ASID 1 to the next space,
     * loaded right after the one that had it. */
    asid_set_bits(1);
    uint64_t r1 = asid_rollovers;
    for (unsigned i = 0; n && i < SPACES; i++) {
        n = load_and_check(i, 1, 0);
        same += n == prev;
        prev = n;
    }
    uint64_t rolls1 = asid_rollovers - r1;
    asid_set_bits(0);
    spaces_gone(made);
    ku_space.active = true;
    if (!n)
        return; /* reported */
    KT_ASSERT(rolls1 >= SPACES - 1, "%llu rollovers at one ASID", (unsigned long long)rolls1);
    /* 21 loads, 3 ASIDs a generation: a rollover at least every third */
    KT_ASSERT(rolls >= (3 * SPACES - 3) / 3, "%llu rollovers", (unsigned long long)rolls);
    KT_ASSERT(same > 0, "no space was loaded after another with the same ASID");
}

/* A space's tables destroyed while it is loaded: its ASID is free again at
 * once (no rollover), the next space is given it and loaded right after,
 * and reads its own page, not the destroyed space's. */
KTEST(asid, a_destroyed_space_s_asid_is_reused_without_its_translations)
{
    KT_ASSERT(ku_setup(), "no user space");
    ku_space.active = false;
    KT_ASSERT(space_make(0) && space_make(1), "no memory");
    asid_set_bits(1); /* one ASID: 1 */
    uint64_t r0 = asid_rollovers;
    unsigned a = load_and_check(0, 1, 0);
    arch_pt_destroy(&spaces[0].pt);
    KT_ASSERT_EQ(spaces[0].word, 0);
    unsigned b = load_and_check(1, 1, 0);
    uint64_t rolls = asid_rollovers - r0;
    asid_set_bits(0);
    arch_vspace_switch(ku_space.root);
    pmm_free(&boot_pmm, spaces[0].data, 0);
    arch_pt_destroy(&spaces[1].pt);
    pmm_free(&boot_pmm, spaces[1].data, 0);
    ku_space.active = true;
    if (!a || !b)
        return; /* reported */
    KT_ASSERT(a == 1 && b == 1, "ASIDs %u and %u", a, b);
    KT_ASSERT_EQ(rolls, 0);
}

/* The VSpace CPU 1 has loaded (a remote call made it load it, and CPU 1 idles
 * with it) keeps its ASID over every rollover CPU 0 makes (its word moved to
 * each new generation), and no space CPU 0 loads meanwhile is given it; when
 * the VSpace dies CPU 1 leaves it. */
static void load_on_cpu(void *arg)
{
    vspace_activate(arg);
}

enum { SL_POOL, SL_VS, SL_COUNT };
static struct slot smp_slots[SL_COUNT] __aligned(32);

KTEST(asid, rollover_keeps_the_asid_loaded_on_another_cpu)
{
    if (smp_online < 2)
        TAP_SKIP("one CPU");
    KT_ASSERT(ku_setup(), "no user space");
    ku_space.active = false;
    memset(smp_slots, 0, sizeof(smp_slots));
    KT_ASSERT(vm_boot_pool(&smp_slots[SL_POOL], MIB(1)) == WF_ERR_OK &&
                  pool_create_vspace(&smp_slots[SL_POOL], &smp_slots[SL_VS]) == WF_ERR_OK,
              "no memory for the VSpace");
    struct vspace *vs = vspace_from_cap(smp_slots[SL_VS].cap);
    smp_call_many(1ull << 1, load_on_cpu, vs);
    KT_ASSERT(sched_cpus[1]->vspace == vs, "CPU 1 did not keep the VSpace loaded");
    unsigned kept = asid_number(vs->asid);
    KT_ASSERT(kept && asid_current(vs->asid), "word %#llx", (unsigned long long)vs->asid);

    unsigned made = 0;
    for (; made < SPACES; made++)
        if (!space_make(made))
            break;
    asid_set_bits(2);
    uint64_t r0 = asid_rollovers;
    bool ok = made == SPACES;
    for (unsigned round = 0; ok && round < 2; round++)
        for (unsigned i = 0; ok && i < SPACES; i++) {
            ok = load_and_check(i, 2, vs->asid) != 0;
            ok = ok && asid_current(vs->asid) && asid_number(vs->asid) == kept;
        }
    uint64_t rolls = asid_rollovers - r0;
    uint64_t word = vs->asid;
    asid_set_bits(0);
    spaces_gone(made);
    ku_space.active = true;

    vspace_activate(NULL);
    preempt_begin(UINT32_MAX);
    struct pool *pl = pool_from_cap(smp_slots[SL_POOL].cap);
    KT_ASSERT(cap_revoke(&smp_slots[SL_POOL], NULL) == WF_ERR_OK && !pl->usage && !pl->objects);
    vm_boot_pool_release(&smp_slots[SL_POOL]);
    KT_ASSERT(sched_cpus[1]->vspace == NULL, "CPU 1 still has the dead VSpace loaded");
    KT_ASSERT(made == SPACES, "no memory for space %u", made);
    KT_ASSERT(ok, "VSpace word %#llx, ASID %u before", (unsigned long long)word, kept);
    KT_ASSERT(rolls >= 2, "%llu rollovers", (unsigned long long)rolls);
}

/*
 * The IPC fast path across address spaces: the Call + ReplyRecv round trip
 * of umode/bench_call_reply_recv_round_trip (the same loops, uprog_bcall and
 * uprog_bserver) with the client and the server each in a VSpace of its own
 * (its code, parameters, IPC buffer and stack at the addresses the kernel's
 * root has them, as x86-64's bench_ipc cross-space case), so that every
 * switch loads the other root with its ASID. Guest instructions per round
 * trip under -icount shift=0 (`make ARCH=... kernel-test DEBUG=0`, booted
 * with `ktest=asid/bench` and -icount shift=0,sleep=off); elsewhere time.
 * Each Call and ReplyRecv must take the fast path, and no switch may give an
 * ASID (every word stays of its generation: no allocation, no flush).
 */
extern const uint8_t uprog_script[], uprog_script_end[], uprog_bcall[], uprog_bserver[];
enum { BS_POOL, BS_VS, BS_CODE = BS_VS + 2, BS_DATA = BS_CODE + 2, BS_SLOTS = BS_DATA + 2 };
static struct slot bench_slots[BS_SLOTS] __aligned(32);
#define BENCH_DATA 0x4000ull

static bool bench_space(unsigned i)
{
    struct slot *vsl = &bench_slots[BS_VS + i], *code = &bench_slots[BS_CODE + i];
    struct slot *data = &bench_slots[BS_DATA + i];
    if (pool_create_vspace(&bench_slots[BS_POOL], vsl) != WF_ERR_OK ||
        pool_create_vmo(&bench_slots[BS_POOL], PAGE_SIZE, code) != WF_ERR_OK ||
        pool_create_vmo(&bench_slots[BS_POOL], BENCH_DATA, data) != WF_ERR_OK)
        return false;
    struct vspace *vs = vspace_from_cap(vsl->cap);
    struct vmo *cv = vmo_from_cap(code->cap), *dv = vmo_from_cap(data->cap);
    size_t len = (size_t)(uprog_script_end - uprog_script);
    if (vmo_write(cv, 0, uprog_script, len) != WF_ERR_OK ||
        vmo_write(dv, 0, kw_params(i), PAGE_SIZE) != WF_ERR_OK ||
        vmo_write(dv, KW_IPCBUF(i) - KW_BASE(i), kw_ipcbuf(i), PAGE_SIZE) != WF_ERR_OK ||
        vspace_map(vs, cv, 0, KW_CODE, PAGE_SIZE, VM_READ | VM_EXEC, WF_RIGHT_READ) != WF_ERR_OK ||
        vspace_map(vs, dv, 0, KW_BASE(i), BENCH_DATA, VM_READ | VM_WRITE,
                   WF_RIGHT_READ | WF_RIGHT_WRITE) != WF_ERR_OK)
        return false;
    if (vm_fault(vs, KW_CODE, VM_EXEC) != VM_FAULT_RESOLVED)
        return false;
    paddr_t pa;
    unsigned access, level;
    if (!vspace_translate(vs, KW_CODE, &pa, &access, &level))
        return false;
    ktest_code_written(phys_to_virt(pa), len);
    for (uint64_t off = 0; off < BENCH_DATA; off += PAGE_SIZE)
        if (vm_fault(vs, KW_BASE(i) + off, VM_WRITE) != VM_FAULT_RESOLVED)
            return false;
    tcb_set_cap(kw_tcb(i), WF_TCB_SLOT_VSPACE, vsl);
    return true;
}

/* n round trips in the two spaces; their time, 0 when something failed. */
static uint64_t cross_round_trips(uint64_t n)
{
    if (!kw_setup())
        return 0;
    kw_call_bench_params(n);
    memset(bench_slots, 0, sizeof(bench_slots));
    if (vm_boot_pool(&bench_slots[BS_POOL], MIB(1)) != WF_ERR_OK || !bench_space(0) ||
        !bench_space(1)) {
        kw_teardown();
        return 0;
    }
    kw_start_at(1, 20, KW_CODE + (uint64_t)(uprog_bserver - uprog_script));
    sched_run_until_idle(); /* the server waits in Recv, its space's ASID given */
    ipc_stats.fast = ipc_stats.slow = 0;
    uint64_t r0 = asid_rollovers, t0 = arch_clock_ns();
    kw_start_at(0, 10, KW_CODE + (uint64_t)(uprog_bcall - uprog_script));
    sched_run_until_idle();
    uint64_t t = arch_clock_ns() - t0;
    bool ok = ipc_stats.fast == 2 * n && ipc_stats.slow == 0 && asid_rollovers == r0 &&
              kw_tcb(0)->state == TCB_INACTIVE;
    kw_teardown();
    vspace_activate(NULL);
    preempt_begin(UINT32_MAX);
    struct pool *pl = pool_from_cap(bench_slots[BS_POOL].cap);
    ok = ok && cap_revoke(&bench_slots[BS_POOL], NULL) == WF_ERR_OK && !pl->usage && !pl->objects;
    vm_boot_pool_release(&bench_slots[BS_POOL]);
    return ok ? t : 0;
}

KTEST(asid, bench_call_reply_recv_round_trip_across_spaces)
{
    ku_leave();
    const uint64_t n = 2000;
    uint64_t t[2];
    for (unsigned k = 0; k < 2; k++) {
        t[k] = cross_round_trips(n << k);
        KT_ASSERT(t[k], "run %u: not every round trip on the fast path, or no memory", k);
    }
    uint64_t per_1000 = (t[1] - t[0]) * 1000 / n;
    kprintf("# %s Call + ReplyRecv round trip, fast path, across address spaces: %llu.%03llu ns "
            "(instructions under -icount shift=0)\n",
            WEFT_ARCH_NAME, (unsigned long long)(per_1000 / 1000),
            (unsigned long long)(per_1000 % 1000));
}

#endif
