/*
 * libFuzzer target: the system-call surface, cap_invoke, in the host world of
 * the capability tests (tests/host/test_cap_world.c).
 *
 * Every input starts from the same world: 4 MiB of memory as a root Untyped,
 * an IRQControl cap and an IOPort cap over every port, and from them a child
 * Untyped, a root pool, CNodes, endpoints, a notification, TCBs, a Reply, VMOs
 * (one mapped), a VSpace, a child pool, an IRQHandler and an issued IOPort
 * range, in root slots SETUP_FIRST.. (CPtr k names root slot k at depth 64).
 * The input is then decoded into a sequence of invocations (docs/fuzzing.md
 * describes the format): a label (every method of the generated decode table,
 * or one that names no method), the invoked CPtr, up to 15 message words
 * (small numbers that make slots, depths, types and radixes, powers of two,
 * page-aligned addresses and sizes, rights, guards, or raw 64-bit values) and
 * up to 3 extra caps, under a work budget the first byte picks (small budgets
 * make every preemptible operation restart many times).
 *
 * After every invocation the invariants are checked:
 *   - the derivation tree is well formed: the links of every slot of the world
 *     (root slots, the slots of every reachable CNode and TCB, the IRQ lines'
 *     notification slots) agree both ways, empty slots have no links, no zombie
 *     is left, and every non-empty slot is reached by walking the list from a
 *     node without a parent (so there is no cycle and no detached node);
 *   - every pool: usage at most its limit, zero when it has no object, at least
 *     what its child pools use; a root pool's instance passes pmm_verify and the
 *     pool's usage is exactly the memory taken out of it (managed less free less
 *     reserved-but-untaken): what it is charged is what it holds;
 *   - the current thread's reaper holds no unfinished work.
 * At the end every original pool cap in a root slot is revoked, after which
 * that pool must use nothing and hold no object and its instance must have all
 * of its memory free again; then everything is revoked and deleted, after which
 * the root Untyped must report all of its memory free, no interrupt line may be
 * issued and no thread queued.
 *
 * A failed check aborts (FUZZ_INVOKE_TRACE=1 in the environment prints every
 * step and its result) (libFuzzer reports it with the input). make fuzz-smoke
 * runs it a fixed number of times from the committed seeds (deterministic);
 * make fuzz-invoke FUZZ_SECONDS=N explores.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/irqchip.h"
#include "cap/cspace.h"
#include "cap/decode_gen.h"
#include "obj/irq.h"
#include "obj/pool.h"
#include "obj/tcb.h"
#include "sched/sched.h"
#include "test_cap_world.h"

#define MEM_BITS    22
#define ROOT_SLOTS  (1u << WORLD_ROOT_RADIX)
#define IRQCTL      3
#define IOPORTS     4
#define SETUP_FIRST 10
#define MAX_STEPS   64
#define DEEP        64

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_invoke: step %u: check failed: %s: ", cur_step, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static unsigned cur_step;

/* --- the input ---------------------------------------------------------------- */

struct input {
    const uint8_t *p;
    size_t left;
};

static uint8_t take(struct input *in)
{
    if (!in->left)
        return 0;
    in->left--;
    return *in->p++;
}

static uint64_t take64(struct input *in)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)take(in) << (8 * i);
    return v;
}

/* Words a selector byte in [0xc0, 0xe0) stands for. */
static const uint64_t specials[32] = {
    DEEP,
    WORLD_ROOT_RADIX,
    64 - WORLD_ROOT_RADIX,
    WF_RIGHTS_ALL,
    WF_VM_READ | WF_VM_WRITE,
    WF_VM_READ | WF_VM_WRITE | WF_VM_EXEC,
    WF_GUARD(0, 64 - WORLD_ROOT_RADIX),
    WF_GUARD(0, 60),
    WF_GUARD(5, 3),
    PAGE_SIZE,
    2 * PAGE_SIZE,
    CLUSTER_SIZE,
    1ull << 20,
    1ull << 21,
    1ull << 22,
    0x10000000ull,
    0x10000000ull + 0x1ff000,
    0x7ffffffff000ull,
    0x800000000000ull,
    0xffff800000000000ull,
    ~0ull,
    ~0ull - 0xfff,
    1ull << 63,
    WF_CNODE_RADIX_MAX,
    WF_CNODE_RADIX_MAX + 1,
    WF_RETYPE_FANOUT_MAX,
    WF_RETYPE_FANOUT_MAX + 1,
    WF_POOL_MIN_BITS,
    WF_VMO_MAX_BITS,
    1ull << WF_VMO_MAX_BITS,
    0xffff,
    0x10000,
};

/* A message word: small numbers (slots, depths, types, radixes, counts),
 * powers of two, the specials, page-aligned addresses, or a raw word. */
static uint64_t take_word(struct input *in)
{
    uint8_t b = take(in);
    if (b < 0x80)
        return b;
    if (b < 0xc0)
        return 1ull << (b & 63);
    if (b < 0xe0)
        return specials[b & 31];
    if (b < 0xf0)
        return 0x10000000ull + (uint64_t)(b & 15) * PAGE_SIZE;
    return take64(in);
}

/* A CPtr: one of the first 64 root slots, or a raw word. */
static wf_cptr_t take_cptr(struct input *in)
{
    uint8_t b = take(in);
    return b < 0xf0 ? (wf_cptr_t)(b & 63) : take64(in);
}

/* Labels: every method of the decode table, then some that name none. */
static uint64_t labels[WF_LABEL_MAX + 1];
static unsigned nlabels;
static const uint64_t bad_labels[16] = {0,
                                        0x03,
                                        0x17,
                                        0x1f,
                                        0x2d,
                                        0x3f,
                                        0x44,
                                        0x4e,
                                        0x57,
                                        0x5f,
                                        0x7f,
                                        0x84,
                                        0x8c,
                                        0x94,
                                        WF_LABEL_MAX + 1,
                                        0xfffffffffffffull};

static uint64_t take_label(struct input *in)
{
    uint8_t b = take(in);
    return b < 0xf0 ? labels[b % nlabels] : bad_labels[b & 15];
}

/* --- the world's slots ---------------------------------------------------------- */

struct slotset {
    struct slot **v;
    size_t n, cap;
};

static void set_add(struct slotset *s, struct slot *x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v)
            abort();
    }
    s->v[s->n++] = x;
}

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (struct slot *const *)a, y = (uintptr_t) * (struct slot *const *)b;
    return x < y ? -1 : x > y;
}

static struct slotset world_slots; /* every slot reachable from the roots */
static struct slot **objs;         /* slot arrays already added */
static size_t nobjs, objs_cap;

static void add_array(struct slot *a, size_t n)
{
    for (size_t i = 0; i < nobjs; i++)
        if (objs[i] == a)
            return;
    if (nobjs == objs_cap) {
        objs_cap = objs_cap ? 2 * objs_cap : 64;
        objs = realloc(objs, objs_cap * sizeof(*objs));
        if (!objs)
            abort();
    }
    objs[nobjs++] = a;
    for (size_t i = 0; i < n; i++)
        set_add(&world_slots, &a[i]);
}

static struct slot *next_of(const struct slot *s)
{
    return (struct slot *)(s->next & ~(uintptr_t)SLOT_FLAGS);
}

/* Collects world_slots (sorted): the root CNode's slots, the boot slot, the IRQ
 * lines' notification slots, and the slots of every CNode and TCB a cap in
 * them names, transitively. */
static void collect(void)
{
    world_slots.n = 0;
    nobjs = 0;
    add_array(W.root, ROOT_SLOTS);
    add_array(&W.boot, 1);
    for (unsigned l = 0; l < arch_irq_lines(); l++)
        add_array(&irq_line(l)->ntfn, 1);
    for (size_t i = 0; i < world_slots.n; i++) {
        struct cap c = world_slots.v[i]->cap;
        CHECK(cap_type(c) != CAP_ZOMBIE, "a zombie left in slot %p", (void *)world_slots.v[i]);
        if (cap_type(c) == CAP_CNODE)
            add_array(cap_cnode_slots(c), (size_t)1 << cap_cnode_radix(c));
        else if (cap_type(c) == CAP_TCB)
            add_array(((struct tcb *)cap_object(c))->slots, WF_TCB_SLOT_COUNT);
    }
    qsort(world_slots.v, world_slots.n, sizeof(*world_slots.v), ptr_cmp);
}

/* The derivation tree: links agree both ways; every non-empty slot of the world
 * is on a list that starts at a node without a parent. Returns the number of
 * nodes walked (including nodes in objects no longer reachable from the roots). */
static size_t check_cdt(void)
{
    static uint8_t *seen;
    static size_t seen_cap;
    if (seen_cap < world_slots.n) {
        seen_cap = world_slots.n;
        seen = realloc(seen, seen_cap);
        if (!seen)
            abort();
    }
    memset(seen, 0, world_slots.n);
    size_t walked = 0;
    const size_t bound = world_slots.n + ((size_t)1 << MEM_BITS) / sizeof(struct slot);
    for (size_t i = 0; i < world_slots.n; i++) {
        struct slot *s = world_slots.v[i];
        if (slot_is_empty(s)) {
            CHECK(s->prev == 0 && s->next == 0, "empty slot %p has links", (void *)s);
            continue;
        }
        enum cap_type t = cap_type(s->cap);
        CHECK((t >= CAP_UNTYPED && t <= CAP_REPLY) || (t >= CAP_POOL && t <= CAP_IOPORT),
              "slot %p: type %u", (void *)s, t);
        struct slot *p = (struct slot *)s->prev, *n = next_of(s);
        CHECK(!p || next_of(p) == s, "slot %p: prev %p does not lead back", (void *)s, (void *)p);
        CHECK(!n || (struct slot *)n->prev == s, "slot %p: next %p does not lead back", (void *)s,
              (void *)n);
        if (p)
            continue;
        for (struct slot *x = s; x; x = next_of(x)) {
            CHECK(!slot_is_empty(x), "empty slot %p on the list", (void *)x);
            CHECK(++walked <= bound, "the list from %p does not end", (void *)s);
            struct slot **hit =
                bsearch(&x, world_slots.v, world_slots.n, sizeof(*world_slots.v), ptr_cmp);
            if (hit)
                seen[hit - world_slots.v] = 1;
        }
    }
    for (size_t i = 0; i < world_slots.n; i++)
        CHECK(slot_is_empty(world_slots.v[i]) || seen[i], "slot %p is on no list",
              (void *)world_slots.v[i]);
    return walked;
}

/* --- pools ----------------------------------------------------------------------- */

#define MAX_POOLS 256
static struct pool *pools[MAX_POOLS];
static unsigned npools;

static void add_pool(struct pool *p)
{
    for (; p; p = p->parent) {
        for (unsigned i = 0; i < npools; i++)
            if (pools[i] == p)
                return;
        CHECK(npools < MAX_POOLS, "too many pools");
        pools[npools++] = p;
    }
}

static void check_pool(const struct pool *p)
{
    CHECK(p->usage <= p->limit, "pool %p: usage %llu over its limit %llu", (void *)p,
          (unsigned long long)p->usage, (unsigned long long)p->limit);
    CHECK(p->objects || p->usage == 0, "pool %p: usage %llu with no object", (void *)p,
          (unsigned long long)p->usage);
    CHECK(p->slab_bytes <= p->usage, "pool %p: slab %llu over usage %llu", (void *)p,
          (unsigned long long)p->slab_bytes, (unsigned long long)p->usage);
    uint64_t children = 0;
    for (unsigned i = 0; i < npools; i++)
        if (pools[i]->parent == p)
            children += pools[i]->usage;
    CHECK(children <= p->usage, "pool %p: children use %llu, the pool %llu", (void *)p,
          (unsigned long long)children, (unsigned long long)p->usage);
    if (!p->parent) {
        const struct pmm *pm = p->pm;
        pmm_verify(pm);
        uint64_t held = pm->managed_bytes - pm->free_bytes - pm->untaken_bytes;
        CHECK(p->usage == held, "root pool %p: usage %llu, memory taken %llu", (void *)p,
              (unsigned long long)p->usage, (unsigned long long)held);
    }
}

static void check_pools(void)
{
    npools = 0;
    for (size_t i = 0; i < world_slots.n; i++)
        if (cap_type(world_slots.v[i]->cap) == CAP_POOL)
            add_pool(pool_from_cap(world_slots.v[i]->cap));
    for (unsigned i = 0; i < npools; i++)
        check_pool(pools[i]);
}

static void check_all(void)
{
    if (!reaper_is_empty(&W.reaper) && getenv("FUZZ_INVOKE_DRAIN_REAPER")) {
        /* Known (tests/fuzz/repro-invoke/): finish the work, look for others. */
        preempt_begin(~0u);
        reaper_drain(&W.reaper);
    }
    CHECK(reaper_is_empty(&W.reaper), "work left in the reaper");
    collect();
    check_cdt();
    check_pools();
}

/* --- setup and teardown ------------------------------------------------------------ */

static void ok(enum wf_error e, const char *what)
{
    CHECK(e == WF_ERR_OK, "setup: %s: %s", what, wf_error_name(e));
}

enum {
    S_UT = SETUP_FIRST, /* child untyped, 2^20 */
    S_POOL,             /* root pool, 2^20 */
    S_CNODE,            /* CNode, radix 3 */
    S_EP,
    S_EP2,
    S_NTFN,
    S_TCB,
    S_REPLY,
    S_VMO,    /* 64 KiB, from the pool, mapped in S_VS */
    S_VMO2,   /* 8 KiB */
    S_VS,     /* VSpace */
    S_CPOOL,  /* child pool, 256 KiB quota */
    S_PCNODE, /* CNode from the pool, radix 2 */
    S_PTCB,   /* TCB from the pool */
    S_PEP,    /* endpoint from the pool */
    S_IRQ,    /* IRQHandler, line 5 */
    S_PORTS,  /* IOPort 0x80-0x8f */
    S_EP_BADGED,
};

static void setup(void)
{
    world_init(MEM_BITS, false);
    irqchip_init();
    cdt_insert_root(&W.root[IRQCTL], cap_irq_control_new());
    cdt_insert_root(&W.root[IOPORTS], cap_ioport_new(0, 0xffff));
    world_retype(WORLD_ROOT_UT, WF_OBJ_UNTYPED, 20, S_UT, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_POOL, 20, S_POOL, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 3, S_CNODE, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, S_EP, 2);
    world_retype(WORLD_ROOT_UT, WF_OBJ_NOTIFICATION, 0, S_NTFN, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_TCB, 0, S_TCB, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_REPLY, 0, S_REPLY, 1);
    const wf_cptr_t cn = WORLD_ROOT_CNODE;
    ok(wf_pool_create(S_POOL, WF_OBJ_VMO, 1 << 16, cn, S_VMO, DEEP), "vmo");
    ok(wf_pool_create(S_POOL, WF_OBJ_VMO, 2 * PAGE_SIZE, cn, S_VMO2, DEEP), "vmo2");
    ok(wf_pool_create(S_POOL, WF_OBJ_VSPACE, 0, cn, S_VS, DEEP), "vspace");
    ok(wf_pool_create(S_POOL, WF_OBJ_POOL, 1 << 18, cn, S_CPOOL, DEEP), "child pool");
    ok(wf_pool_create(S_POOL, WF_OBJ_CNODE, 2, cn, S_PCNODE, DEEP), "pool cnode");
    ok(wf_pool_create(S_POOL, WF_OBJ_TCB, 0, cn, S_PTCB, DEEP), "pool tcb");
    ok(wf_pool_create(S_POOL, WF_OBJ_ENDPOINT, 0, cn, S_PEP, DEEP), "pool endpoint");
    ok(wf_vspace_map(S_VS, S_VMO, 0x10000000, 0, 1 << 16, WF_VM_READ | WF_VM_WRITE), "map");
    ok(wf_irqcontrol_get(IRQCTL, 5, 0, cn, S_IRQ, DEEP), "irq");
    ok(wf_irqhandler_set_notification(S_IRQ, S_NTFN), "irq notification");
    ok(wf_ioport_issue(IOPORTS, 0x80, 0x8f, cn, S_PORTS, DEEP), "ioport");
    ok(wf_cnode_mint(cn, S_EP_BADGED, DEEP, cn, S_EP, DEEP, WF_RIGHTS_ALL, 7), "badge");
    ok(wf_tcb_bind_notification(S_TCB, S_NTFN), "bind");
}

/* Revokes / deletes the cap in root slot i to completion, through the kernel's
 * own functions (the input may have moved the root CNode's cap out of slot 1;
 * a root slot itself never goes away). */
static void revoke_root_slot(unsigned i)
{
    enum wf_error e;
    do {
        preempt_begin(PREEMPT_UNITS_DEFAULT);
        e = cap_revoke(&W.root[i], &W.reaper);
    } while (e == WF_ERR_PREEMPTED);
    CHECK(e == WF_ERR_OK, "revoking root slot %u: %s", i, wf_error_name(e));
}

static void delete_root_slot(unsigned i)
{
    enum wf_error e;
    do {
        preempt_begin(PREEMPT_UNITS_DEFAULT);
        e = cap_delete(&W.root[i], &W.reaper);
    } while (e == WF_ERR_PREEMPTED);
    CHECK(e == WF_ERR_OK, "deleting root slot %u: %s", i, wf_error_name(e));
}

/* Revokes every original pool cap in a root slot: the pool must then use
 * nothing, hold nothing and have all its memory back. */
static void teardown_pools(void)
{
    for (unsigned i = 0; i < ROOT_SLOTS; i++) {
        struct slot *s = &W.root[i];
        if (cap_type(s->cap) != CAP_POOL || !(s->next & SLOT_REVOCABLE))
            continue;
        struct pool *p = pool_from_cap(s->cap);
        revoke_root_slot(i);
        CHECK(p->usage == 0 && p->objects == 0, "pool in slot %u: usage %llu, %llu objects", i,
              (unsigned long long)p->usage, (unsigned long long)p->objects);
        if (!p->parent) {
            pmm_verify(p->pm);
            CHECK(p->pm->free_bytes == p->pm->managed_bytes, "pool in slot %u: %llu of %llu free",
                  i, (unsigned long long)p->pm->free_bytes,
                  (unsigned long long)p->pm->managed_bytes);
        }
    }
    check_all();
}

/* Revokes and deletes everything reachable from the root slots; when the root
 * untyped's cap is still in its slot, nothing may be left then. */
static void teardown_all(void)
{
    for (unsigned round = 0; round < 4; round++) {
        for (unsigned i = 0; i < ROOT_SLOTS; i++) {
            struct slot *s = &W.root[i];
            if (!slot_is_empty(s) && (s->next & SLOT_REVOCABLE) && cdt_has_children(s))
                revoke_root_slot(i);
        }
        for (unsigned i = 0; i < ROOT_SLOTS; i++)
            if (i == 0 || i > IOPORTS)
                delete_root_slot(i);
    }
    check_all();
    struct cap ut = W.root[WORLD_ROOT_UT].cap;
    if (cap_type(ut) != CAP_UNTYPED || cap_untyped_paddr(ut) != WORLD_PHYS_BASE ||
        cap_untyped_size_bits(ut) != MEM_BITS || cap_type(W.root[IRQCTL].cap) != CAP_IRQ_CONTROL ||
        cap_type(W.root[IOPORTS].cap) != CAP_IOPORT)
        return; /* the input moved a root cap away: nothing exact to check */
    CHECK(!cdt_has_children(&W.root[WORLD_ROOT_UT]), "the root untyped still has children");
    if (cap_type(W.root[WORLD_ROOT_CNODE].cap) == CAP_CNODE) {
        wf_word_t pa, bits, dev, free;
        CHECK(wf_untyped_describe(WORLD_ROOT_UT, &pa, &bits, &dev, &free) == WF_ERR_OK, "describe");
        CHECK(free == 1ull << MEM_BITS, "the root untyped has %llu of %llu bytes free",
              (unsigned long long)free, 1ull << MEM_BITS);
    }
    for (size_t i = 0; i < world_slots.n; i++) {
        struct slot *s = world_slots.v[i];
        bool root_copy = cap_type(s->cap) == CAP_CNODE && cap_cnode_slots(s->cap) == W.root;
        CHECK(slot_is_empty(s) || !s->prev || root_copy, "slot %p (type %u) still has a parent",
              (void *)s, cap_type(s->cap));
    }
    for (unsigned l = 0; l < arch_irq_lines(); l++)
        CHECK(!irq_line(l)->issued, "line %u still issued", l);
    CHECK(sched_highest() == -1, "a thread is still queued");
}

/* --- the target ----------------------------------------------------------------- */

static const uint32_t budgets[8] = {
    PREEMPT_UNITS_DEFAULT, PREEMPT_UNITS_DEFAULT, PREEMPT_UNITS_DEFAULT, 1, 2, 3, 7, 50};

/* libFuzzer's entry: builds the world, runs the input's invocations checking
 * the invariants after each, tears everything down and checks that all memory
 * came back; aborts on the first broken check. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int trace = -1;
    if (trace < 0)
        trace = getenv("FUZZ_INVOKE_TRACE") != NULL;
    if (!nlabels)
        for (unsigned l = 0; l <= WF_LABEL_MAX; l++)
            if (decode_table[l].decode)
                labels[nlabels++] = l;
    struct input in = {data, size};
    cur_step = 0;
    setup();
    check_all();
    W.budget = budgets[take(&in) & 7];
    for (cur_step = 1; cur_step <= MAX_STEPS && in.left >= 3; cur_step++) {
        wf_word_t words[16], reply[WF_REPLY_MAX_WORDS] = {0};
        wf_cptr_t caps[WF_MSG_MAX_CAPS];
        uint64_t label = take_label(&in);
        wf_cptr_t target = take_cptr(&in);
        uint8_t counts = take(&in);
        unsigned nwords = counts & 15, ncaps = (counts >> 4) & 3;
        for (unsigned i = 0; i < nwords; i++)
            words[i] = take_word(&in);
        for (unsigned i = 0; i < ncaps; i++)
            caps[i] = take_cptr(&in);
        enum wf_error e =
            wf_call(target, label, words, nwords, caps, ncaps, reply, WF_REPLY_MAX_WORDS);
        if (trace) {
            fprintf(stderr, "step %u: %s on %#llx (", cur_step,
                    label <= WF_LABEL_MAX && decode_table[label].name ? decode_table[label].name
                                                                      : "(no method)",
                    (unsigned long long)target);
            for (unsigned i = 0; i < nwords; i++)
                fprintf(stderr, "%s%#llx", i ? ", " : "", (unsigned long long)words[i]);
            fprintf(stderr, "; caps");
            for (unsigned i = 0; i < ncaps; i++)
                fprintf(stderr, " %#llx", (unsigned long long)caps[i]);
            fprintf(stderr, "): %s [%#llx %#llx %#llx %#llx] after %u restarts\n", wf_error_name(e),
                    (unsigned long long)reply[0], (unsigned long long)reply[1],
                    (unsigned long long)reply[2], (unsigned long long)reply[3], W.restarts);
        }
        CHECK(e < WF_ERR_COUNT && e != WF_ERR_PREEMPTED, "invocation returned %u", (unsigned)e);
        check_all();
    }
    W.budget = PREEMPT_UNITS_DEFAULT;
    teardown_pools();
    teardown_all();
    world_fini();
    return 0;
}
