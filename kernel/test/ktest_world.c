/*
 * The thread self-tests' world (ktest_world.h): memory, objects, scripts.
 */
#include "ipc/ktest_world.h"

#include "arch.h"
#include "cap/cdt.h"
#include "cap/invoke.h"
#include "cap/preempt.h"
#include "ipc/ipc.h"
#include "ktest_arch.h"
#include "config.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "obj/untyped.h"
#include "sched/sched.h"

#define ROOT_RADIX 6
#define UT_BITS    18

extern const uint8_t uprog_script[], uprog_script_end[];

struct kw_pages {
    struct kw_entry script[4096 / sizeof(struct kw_entry)];
    struct kw_result results[4096 / sizeof(struct kw_result)];
    struct wf_ipc_buffer ipcbuf;
    uint8_t pad[4096 - sizeof(struct wf_ipc_buffer)];
    uint8_t stack[4096];
};
_Static_assert(sizeof(struct kw_pages) == 4 * 4096, "four pages per thread");

static uint8_t code_page[4096] __aligned(4096);
static uint64_t shared_page[512] __aligned(4096);
static struct kw_pages pages[KW_THREADS] __aligned(4096);
static unsigned nentries[KW_THREADS];
static struct slot root[1u << ROOT_RADIX];
static struct slot root_original;
static struct reaper reaper;
static paddr_t ut_pa;

struct slot *kw_slot(unsigned slot)
{
    return &root[slot];
}

struct tcb *kw_tcb(unsigned i)
{
    return cap_object(root[KW_TCB(i)].cap);
}

struct kw_result *kw_res(unsigned i, unsigned e)
{
    return &pages[i].results[e];
}

struct wf_ipc_buffer *kw_ipcbuf(unsigned i)
{
    return &pages[i].ipcbuf;
}

uint64_t *kw_shared(void)
{
    return shared_page;
}

enum wf_error kw_invoke(unsigned target, wf_word_t label, const wf_word_t *w, unsigned n,
                        const unsigned *xcaps, unsigned ncaps, wf_word_t *reply)
{
    struct slot *xs[WF_MSG_MAX_CAPS];
    for (unsigned i = 0; i < ncaps; i++)
        xs[i] = &root[xcaps[i]];
    struct invocation inv = {.slot = &root[target],
                             .label = label,
                             .args = w,
                             .nargs = n,
                             .caps = xs,
                             .ncaps = ncaps,
                             .reaper = &reaper};
    enum wf_error e;
    do {
        preempt_begin(PREEMPT_UNITS_DEFAULT);
        e = cap_invoke(&inv);
    } while (e == WF_ERR_PREEMPTED);
    for (unsigned i = 0; reply && i < inv.nreply; i++)
        reply[i] = inv.reply[i];
    return e;
}

enum wf_error kw_mint(unsigned dst, unsigned src, uint64_t rights, uint64_t badge)
{
    const wf_word_t w[6] = {dst, 64, src, 64, rights, badge};
    const unsigned x[1] = {1};
    return kw_invoke(1, WF_LABEL_CNODE_MINT, w, 6, x, 1, NULL);
}

enum wf_error kw_delete(unsigned s)
{
    const wf_word_t w[2] = {s, 64};
    return kw_invoke(1, WF_LABEL_CNODE_DELETE, w, 2, NULL, 0, NULL);
}

enum wf_error kw_revoke(unsigned s)
{
    const wf_word_t w[2] = {s, 64};
    return kw_invoke(1, WF_LABEL_CNODE_REVOKE, w, 2, NULL, 0, NULL);
}

static bool retype(uint64_t type, unsigned slot, unsigned count)
{
    const wf_word_t w[6] = {type, 0, 0, 0, slot, count};
    const unsigned x[1] = {1};
    return kw_invoke(2, WF_LABEL_UNTYPED_RETYPE, w, 6, x, 1, NULL) == WF_ERR_OK;
}

static void map_once(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    arch_ktest_map_user(KW_CODE, code_page, false, true);
    arch_ktest_map_user(KW_SHARED, shared_page, true, false);
    for (unsigned i = 0; i < KW_THREADS; i++)
        for (unsigned p = 0; p < 4; p++)
            arch_ktest_map_user(KW_BASE(i) + p * 4096, (uint8_t *)&pages[i] + p * 4096, p != 0,
                                false);
}

bool kw_setup(void)
{
    map_once();
    memset(code_page, 0xcc, sizeof(code_page));
    memcpy(code_page, uprog_script, (size_t)(uprog_script_end - uprog_script));
    memset(shared_page, 0, sizeof(shared_page));
    memset(pages, 0, sizeof(pages));
    memset(nentries, 0, sizeof(nentries));
    for (unsigned i = 0; i < KW_THREADS; i++)
        pages[i].script[0].op = KW_OP_END;

    unsigned order = UT_BITS > CLUSTER_SHIFT ? UT_BITS - CLUSTER_SHIFT : 0;
    ut_pa = pmm_alloc(&boot_pmm, order);
    if (!ut_pa)
        return false;
    memset(root, 0, sizeof(root));
    memset(&root_original, 0, sizeof(root_original));
    reaper_init(&reaper);
    struct cap cn = cap_cnode_new(root, ROOT_RADIX, 0, 64 - ROOT_RADIX);
    cdt_insert_root(&root_original, cn);
    cdt_insert_derived(&root_original, &root[1], cn);
    cdt_insert_root(&root[2], untyped_boot_cap(ut_pa, UT_BITS, false));
    ipc_stats = (struct ipc_stats){0};
    ipc_fastpath_set(true);
    return retype(WF_OBJ_TCB, KW_TCB(0), KW_THREADS) && retype(WF_OBJ_ENDPOINT, KW_EP(0), 4) &&
           retype(WF_OBJ_NOTIFICATION, KW_NTFN(0), 2) && retype(WF_OBJ_REPLY, KW_REPLY(0), 4);
}

void kw_teardown(void)
{
    kw_revoke(2);
    for (unsigned s = 0; s < ARRAY_SIZE(root); s++)
        if (s != 1 && s != 2 && !slot_is_empty(&root[s]))
            kw_delete(s);
    cdt_remove(&root[2]);
    cdt_remove(&root[1]);
    cdt_remove(&root_original);
    unsigned order = UT_BITS > CLUSTER_SHIFT ? UT_BITS - CLUSTER_SHIFT : 0;
    pmm_free(&boot_pmm, ut_pa, order);
    ipc_fastpath_set(true);
}

unsigned kw_op(unsigned i, uint64_t op, uint64_t cap, uint64_t info, uint64_t w0, uint64_t w1,
               uint64_t w2, uint64_t w3, uint64_t reply)
{
    unsigned e = nentries[i]++;
    assert(e + 1 < ARRAY_SIZE(pages[i].script));
    pages[i].script[e] = (struct kw_entry){op, cap, info, {w0, w1, w2, w3}, reply};
    pages[i].script[e + 1].op = KW_OP_END;
    return e;
}

uint64_t *kw_params(unsigned i)
{
    return (uint64_t *)pages[i].script;
}

void kw_call_bench_params(uint64_t n)
{
    uint64_t *c = kw_params(0), *s = kw_params(1);
    c[0] = n;
    c[1] = WF_SYS_CALL;
    c[2] = KW_EP(0);
    c[3] = wf_msginfo(0x5, 0, 1);
    c[4] = KW_TCB(0);
    c[5] = wf_msginfo(WF_LABEL_TCB_SUSPEND, 0, 0);
    s[0] = WF_SYS_RECV;
    s[1] = WF_SYS_REPLY_RECV;
    s[2] = KW_EP(0);
    s[3] = KW_REPLY(0);
    s[4] = wf_msginfo(0, 0, 1);
}

void kw_set_cspace(unsigned i, unsigned slot)
{
    tcb_set_cap(kw_tcb(i), WF_TCB_SLOT_CSPACE, &root[slot]);
}

void kw_start_at(unsigned i, unsigned prio, uint64_t pc)
{
    struct tcb *t = kw_tcb(i);
    if (slot_is_empty(&t->slots[WF_TCB_SLOT_CSPACE]))
        tcb_set_cap(t, WF_TCB_SLOT_CSPACE, &root[1]);
    tcb_set_ipc_buffer(t, KW_IPCBUF(i));
    tcb_set_priority(t, prio, WF_PRIO_MAX);
    tcb_set_entry(t, pc, KW_BASE(i) + 0x4000, KW_BASE(i));
    tcb_resume(t);
}

void kw_start(unsigned i, unsigned prio)
{
    kw_start_at(i, prio, KW_CODE);
}
