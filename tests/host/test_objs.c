/*
 * Kernel objects through the generated stubs, in the capability world:
 *  - the null slot (slot 0 of the caller's root CNode, what CPtr 0 names) stays
 *    empty: every operation that writes a slot refuses it with INVALID_ARGUMENT
 *    on its index argument, while slot 0 of another CNode stays usable; a CNode
 *    whose slot 0 is full is refused as a thread's CSpace root;
 *  - a thread cannot replace its own CSpace root (the restart after the old
 *    root's deletion would find none of its caps), even with a budget of 1;
 *  - a child pool's quota lies inside its parent's limit, and Pool_CreateContig's
 *    RANGE_ERROR gives the sizes the pool could ever give;
 *  - a pool lives, and its original creates, while any cap to it is left, even a
 *    copy that objects made later separate from the original in the derivation
 *    tree; it is freed once, after its last cap and its last object (decision
 *    111), also when an IRQ line's copy of its notification outlives its caps;
 *  - decode, then invoke: an allocation failure injected at every allocation
 *    point in turn (mm_fail_countdown) fails the operation with
 *    NOT_ENOUGH_MEMORY and leaves the slots, the derivation tree and every pool's
 *    accounts exactly as they were; once the countdown passes the last point the
 *    operation succeeds. The operations: Pool_Create of every type,
 *    Pool_CreateContig, Pool_CreateDevice, VMO_Clone (of a VMO with contents and
 *    a mapping, whose state must stay as it was too) and Retype.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cap/decode_gen.h"
#include "cap/invoke.h"
#include "arch/irqchip.h"
#include "mm/charge.h"
#include "mm/vm.h"
#include "obj/irq.h"
#include "obj/pool.h"
#include "obj/tcb.h"
#include "obj/vmo.h"
#include "obj/vspace.h"
#include "test_cap_world.h"

#define ROOT   WORLD_ROOT_CNODE
#define DEEP   64
#define POOL   10
#define CHILD  11
#define VMO    12
#define CNODE  13
#define DEV_UT 14
#define VSPACE 15
#define FREE   40 /* first slot the tests fill */
#define NSLOTS (1u << WORLD_ROOT_RADIX)
#define DEV_PA 0xfe000000ull /* device memory: outside the world's RAM */

static struct slot *slot(unsigned i)
{
    return &W.root[i];
}

static void world(void)
{
    world_init(24, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_POOL, 23, POOL, 1);
}

/* A call through the stubs' path that keeps the error details. */
static enum wf_error call(wf_cptr_t cap, wf_word_t label, const wf_word_t *w, unsigned nw,
                          const wf_cptr_t *caps, unsigned ncaps, wf_word_t *d)
{
    memset(d, 0xee, WF_REPLY_MAX_WORDS * sizeof(*d));
    return (enum wf_error)wf_call(cap, label, w, nw, caps, ncaps, d, WF_REPLY_MAX_WORDS);
}

#define ASSERT_ERR(e, want)                                                                        \
    do {                                                                                           \
        enum wf_error e_ = (e);                                                                    \
        cr_assert_eq(e_, (want), "%s: %s, expected %s", #e, wf_error_name(e_),                     \
                     wf_error_name(want));                                                         \
    } while (0)

/* --- the null slot ------------------------------------------------------------------ */

/* Every way to write slot 0 of the root CNode: refused, INVALID_ARGUMENT with the
 * index argument in [0], the slot still empty. */
Test(objs, null_slot_refused_by_every_writer)
{
    world();
    wf_word_t d[WF_REPLY_MAX_WORDS];
    const wf_cptr_t root = ROOT;
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, PAGE_SIZE, ROOT, VMO, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_ENDPOINT, 0, ROOT, FREE, DEEP), WF_ERR_OK);
    uint64_t usage0 = pool_from_cap(slot(POOL)->cap)->usage;

    /* Retype with node_depth 0 (the root CNode itself), offset 0, one object or two. */
    for (wf_word_t count = 1; count <= 2; count++) {
        const wf_word_t w[6] = {WF_OBJ_ENDPOINT, 0, 0, 0, 0, count};
        ASSERT_ERR(call(WORLD_ROOT_UT, WF_LABEL_UNTYPED_RETYPE, w, 6, &root, 1, d),
                   WF_ERR_INVALID_ARGUMENT);
        cr_assert_eq(d[0], ARG_UNTYPED_RETYPE_NODE_OFFSET);
    }
    /* Copy, Mint, Move, Mutate into slot 0. */
    const wf_word_t copy[5] = {0, DEEP, FREE, DEEP, WF_RIGHTS_ALL};
    ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_COPY, copy, 5, &root, 1, d), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(d[0], ARG_CNODE_COPY_DEST_INDEX);
    const wf_word_t mint[6] = {0, DEEP, FREE, DEEP, WF_RIGHTS_ALL, 7};
    ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_MINT, mint, 6, &root, 1, d), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(d[0], ARG_CNODE_MINT_DEST_INDEX);
    const wf_word_t move[4] = {0, DEEP, FREE, DEEP};
    ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_MOVE, move, 4, &root, 1, d), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(d[0], ARG_CNODE_MOVE_DEST_INDEX);
    const wf_word_t mutate[5] = {0, DEEP, FREE, DEEP, 0};
    ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_MUTATE, mutate, 5, &root, 1, d), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(d[0], ARG_CNODE_MUTATE_DEST_INDEX);
    /* Swap needs two caps: slot 0 never holds one. */
    ASSERT_ERR(wf_cnode_swap(ROOT, 0, DEEP, ROOT, FREE, DEEP), WF_ERR_FAILED_LOOKUP);
    /* Pool_Create of each kind, Pool_CreateContig, VMO_Clone. */
    static const wf_word_t kinds[][2] = {{WF_OBJ_VMO, PAGE_SIZE}, {WF_OBJ_VSPACE, 0},
                                         {WF_OBJ_POOL, 1 << 20},  {WF_OBJ_CNODE, 4},
                                         {WF_OBJ_TCB, 0},         {WF_OBJ_NOTIFICATION, 0}};
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const wf_word_t w[4] = {kinds[i][0], kinds[i][1], 0, DEEP};
        ASSERT_ERR(call(POOL, WF_LABEL_POOL_CREATE, w, 4, &root, 1, d), WF_ERR_INVALID_ARGUMENT);
        cr_assert_eq(d[0], ARG_POOL_CREATE_DEST_INDEX);
    }
    const wf_word_t contig[3] = {PAGE_SIZE, 0, DEEP};
    ASSERT_ERR(call(POOL, WF_LABEL_POOL_CREATE_CONTIG, contig, 3, &root, 1, d),
               WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(d[0], ARG_POOL_CREATE_CONTIG_DEST_INDEX);
    const wf_cptr_t clone_caps[2] = {POOL, ROOT};
    const wf_word_t clone[2] = {0, DEEP};
    ASSERT_ERR(call(VMO, WF_LABEL_VMO_CLONE, clone, 2, clone_caps, 2, d), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(d[0], ARG_VMO_CLONE_DEST_INDEX);

    cr_assert(slot_is_empty(slot(0)), "the null slot was filled");
    cr_assert_eq(pool_from_cap(slot(POOL)->cap)->usage, usage0, "a refused call charged memory");
    /* Slot 0 of any other CNode takes caps as before. */
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_CNODE, 4, ROOT, CNODE, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_untyped_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, ROOT, CNODE, DEEP, 0, 1),
                 WF_ERR_OK);
    cr_assert(!slot_is_empty(cap_cnode_slots(slot(CNODE)->cap)));
    cr_assert_eq(wf_cnode_revoke(ROOT, POOL, DEEP), WF_ERR_OK);
    world_fini();
}

/* A CSpace root whose slot 0 is full would put a cap at the thread's CPtr 0:
 * TCB_SetCSpace and TCB_Configure refuse it (INVALID_CAPABILITY on the CNode cap
 * argument) before touching the thread's current root. */
Test(objs, null_slot_full_root_refused)
{
    world();
    wf_word_t d[WF_REPLY_MAX_WORDS];
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_TCB, 0, ROOT, FREE, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_CNODE, 4, ROOT, CNODE, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_untyped_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, ROOT, CNODE, DEEP, 0, 1),
                 WF_ERR_OK);
    struct tcb *t = cap_object(slot(FREE)->cap);
    struct slot *root_slot = &t->slots[WF_TCB_SLOT_CSPACE];
    const wf_word_t g4 = WF_GUARD(0, 60);
    const wf_cptr_t cn = CNODE, cn_auth[2] = {CNODE, FREE}, root_auth[2] = {ROOT, FREE};

    ASSERT_ERR(call(FREE, WF_LABEL_TCB_SET_CSPACE, &g4, 1, &cn, 1, d), WF_ERR_INVALID_CAPABILITY);
    cr_assert_eq(d[0], XCAP_TCB_SET_CSPACE_CSPACE);
    const wf_word_t conf[4] = {g4, 0, 0, 0};
    ASSERT_ERR(call(FREE, WF_LABEL_TCB_CONFIGURE, conf, 4, cn_auth, 2, d),
               WF_ERR_INVALID_CAPABILITY);
    cr_assert_eq(d[0], XCAP_TCB_CONFIGURE_CSPACE);
    cr_assert(slot_is_empty(root_slot));

    /* With a root in place, the refusal leaves it there. */
    const wf_word_t conf8[4] = {WF_GUARD(0, 64 - WORLD_ROOT_RADIX), 0, 0, 0};
    ASSERT_ERR(call(FREE, WF_LABEL_TCB_CONFIGURE, conf8, 4, root_auth, 2, d), WF_ERR_OK);
    cr_assert_eq(cap_object(root_slot->cap), W.root);
    ASSERT_ERR(call(FREE, WF_LABEL_TCB_SET_CSPACE, &g4, 1, &cn, 1, d), WF_ERR_INVALID_CAPABILITY);
    ASSERT_ERR(call(FREE, WF_LABEL_TCB_CONFIGURE, conf, 4, cn_auth, 2, d),
               WF_ERR_INVALID_CAPABILITY);
    cr_assert_eq(cap_object(root_slot->cap), W.root, "a refused call changed the root");

    /* Slot 0 emptied, the same CNode is taken. */
    cr_assert_eq(wf_cnode_delete(CNODE, 0, 4), WF_ERR_OK);
    ASSERT_ERR(call(FREE, WF_LABEL_TCB_SET_CSPACE, &g4, 1, &cn, 1, d), WF_ERR_OK);
    cr_assert_eq(cap_object(root_slot->cap), cap_object(slot(CNODE)->cap));
    cr_assert_eq(wf_cnode_revoke(ROOT, POOL, DEEP), WF_ERR_OK);
    world_fini();
}

/* --- a thread replacing its own CSpace root ------------------------------------------- */

/* What kernel/ipc/syscall.c does for a Call on a kernel object made by thread t:
 * the CPtrs resolve in t's CSpace root (read again on every attempt), t's reaper
 * takes long deletions, and a preempted invocation (W.budget units an attempt)
 * is re-executed from the lookups on. */
static enum wf_error call_as(struct tcb *t, wf_cptr_t cap, wf_word_t label, const wf_word_t *w,
                             unsigned nw, const wf_cptr_t *caps, unsigned ncaps, wf_word_t *d)
{
    for (unsigned tries = 0;; tries++) {
        cr_assert(tries < 100000, "no progress");
        struct cap root = t->slots[WF_TCB_SLOT_CSPACE].cap;
        struct slot *xs[WF_MSG_MAX_CAPS];
        struct lookup_ret lr = cspace_lookup_cap(root, cap);
        if (!lr.slot)
            return WF_ERR_FAILED_LOOKUP;
        for (unsigned i = 0; i < ncaps; i++) {
            struct lookup_ret x = cspace_lookup_cap(root, caps[i]);
            if (!x.slot)
                return WF_ERR_FAILED_LOOKUP;
            xs[i] = x.slot;
        }
        struct invocation inv = {.slot = lr.slot,
                                 .label = label,
                                 .args = w,
                                 .nargs = nw,
                                 .caps = xs,
                                 .ncaps = ncaps,
                                 .reaper = &t->reaper,
                                 .cspace = root};
        preempt_begin(W.budget);
        enum wf_error e = cap_invoke(&inv);
        if (e == WF_ERR_PREEMPTED)
            continue;
        memcpy(d, inv.reply, sizeof(inv.reply));
        return e;
    }
}

/* A thread's SetCSpace or Configure of its own TCB, with a root in place, given a
 * CNode cap stored in that root: the first attempt used to delete the root and
 * return PREEMPTED, and the restart found neither the TCB cap nor the CNode cap
 * (FAILED_LOOKUP), leaving the thread without a CSpace. Refused up front now,
 * with ILLEGAL_OPERATION and nothing changed (decision 087); another thread may
 * still replace it. */
Test(objs, own_cspace_root_replacement_refused)
{
    world();
    wf_word_t d[WF_REPLY_MAX_WORDS];
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_TCB, 0, ROOT, FREE, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_CNODE, 4, ROOT, CNODE, DEEP), WF_ERR_OK);
    struct tcb *t = cap_object(slot(FREE)->cap);
    struct slot *root_slot = &t->slots[WF_TCB_SLOT_CSPACE];
    cr_assert_eq(wf_tcb_set_cspace(FREE, ROOT, WF_GUARD(0, 64 - WORLD_ROOT_RADIX)), WF_ERR_OK);
    W.budget = 1;
    const wf_word_t g4 = WF_GUARD(0, 60);
    const wf_cptr_t cn = CNODE, cn_auth[2] = {CNODE, FREE};
    ASSERT_ERR(call_as(t, FREE, WF_LABEL_TCB_SET_CSPACE, &g4, 1, &cn, 1, d),
               WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(cap_object(root_slot->cap), W.root, "the thread lost its CSpace root");
    const wf_word_t conf[4] = {g4, 0, 0, 0};
    ASSERT_ERR(call_as(t, FREE, WF_LABEL_TCB_CONFIGURE, conf, 4, cn_auth, 2, d),
               WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(cap_object(root_slot->cap), W.root, "the thread lost its CSpace root");
    cr_assert(!slot_is_empty(slot(CNODE)));
    /* Its other invocations on itself still work; another thread (the world) may
     * replace its root, with the same budget. */
    ASSERT_ERR(
        call_as(t, FREE, WF_LABEL_TCB_SET_MCP, (wf_word_t[]){0}, 1, (wf_cptr_t[]){FREE}, 1, d),
        WF_ERR_OK);
    cr_assert_eq(wf_tcb_set_cspace(FREE, CNODE, g4), WF_ERR_OK);
    cr_assert_eq(cap_object(root_slot->cap), cap_object(slot(CNODE)->cap));
    W.budget = PREEMPT_UNITS_DEFAULT;
    cr_assert_eq(wf_cnode_revoke(ROOT, POOL, DEEP), WF_ERR_OK);
    world_fini();
}

/* --- pool quotas ---------------------------------------------------------------------- */

Test(objs, child_quota_inside_the_parent)
{
    world();
    wf_word_t d[WF_REPLY_MAX_WORDS];
    const wf_cptr_t root = ROOT;
    struct pool *p = pool_from_cap(slot(POOL)->cap);
    /* More than the parent's limit: RANGE_ERROR with [0, limit]; nothing made. */
    const wf_word_t huge[5] = {WF_OBJ_POOL, 1ull << 40, CHILD, DEEP};
    ASSERT_ERR(call(POOL, WF_LABEL_POOL_CREATE, huge, 4, &root, 1, d), WF_ERR_RANGE_ERROR);
    cr_assert_eq(d[0], ARG_POOL_CREATE_SIZE);
    cr_assert_eq(d[1], 0);
    cr_assert_eq(d[2], p->limit);
    const wf_word_t over[4] = {WF_OBJ_POOL, p->limit + 1, CHILD, DEEP};
    ASSERT_ERR(call(POOL, WF_LABEL_POOL_CREATE, over, 4, &root, 1, d), WF_ERR_RANGE_ERROR);
    cr_assert(slot_is_empty(slot(CHILD)));
    cr_assert_eq(p->usage, 0);
    /* The bound passes; a grandchild is bound by the child's quota. */
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, p->limit, ROOT, CHILD, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(CHILD, WF_OBJ_POOL, 1 << 20, ROOT, FREE, DEEP), WF_ERR_OK);
    const wf_word_t deep[4] = {WF_OBJ_POOL, (1 << 20) + 1, FREE + 1, DEEP};
    ASSERT_ERR(call(FREE, WF_LABEL_POOL_CREATE, deep, 4, &root, 1, d), WF_ERR_RANGE_ERROR);
    cr_assert_eq(d[2], 1 << 20);
    cr_assert_eq(wf_pool_create(FREE, WF_OBJ_POOL, 1 << 20, ROOT, FREE + 1, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_revoke(ROOT, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(p->usage, 0);
    world_fini();
}

Test(objs, contig_beyond_the_pool_is_a_range_error)
{
    world();
    wf_word_t d[WF_REPLY_MAX_WORDS];
    const wf_cptr_t root = ROOT;
    /* A child of 1 MiB: at most 1 MiB in one piece, whatever its parent has. */
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 1 << 20, ROOT, CHILD, DEEP), WF_ERR_OK);
    const wf_word_t two[3] = {2 << 20, VMO, DEEP};
    ASSERT_ERR(call(CHILD, WF_LABEL_POOL_CREATE_CONTIG, two, 3, &root, 1, d), WF_ERR_RANGE_ERROR);
    cr_assert_eq(d[0], ARG_POOL_CREATE_CONTIG_SIZE);
    cr_assert_eq(d[1], PAGE_SIZE);
    cr_assert_eq(d[2], 1 << 20);
    cr_assert(slot_is_empty(slot(VMO)));
    /* The root pool (8 MiB less its first cluster): 4 MiB. */
    const wf_word_t eight[3] = {8 << 20, VMO, DEEP};
    ASSERT_ERR(call(POOL, WF_LABEL_POOL_CREATE_CONTIG, eight, 3, &root, 1, d), WF_ERR_RANGE_ERROR);
    cr_assert_eq(d[2], MIN(4ull << 20, pmm_order_bytes(PMM_ORDERS - 1)));
    /* In range but taken now: NOT_ENOUGH_MEMORY, with what is left. */
    cr_assert_eq(wf_pool_create(CHILD, WF_OBJ_VMO, PAGE_SIZE, ROOT, FREE, DEEP), WF_ERR_OK);
    const wf_word_t one[3] = {1 << 20, VMO, DEEP};
    ASSERT_ERR(call(CHILD, WF_LABEL_POOL_CREATE_CONTIG, one, 3, &root, 1, d),
               WF_ERR_NOT_ENOUGH_MEMORY);
    cr_assert_eq(d[0], pool_available(pool_from_cap(slot(CHILD)->cap)));
    /* A quota below one cluster can give nothing in one piece. */
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, CLUSTER_SIZE - 1, ROOT, FREE + 1, DEEP),
                 WF_ERR_OK);
    const wf_word_t page[3] = {PAGE_SIZE, VMO, DEEP};
    ASSERT_ERR(call(FREE + 1, WF_LABEL_POOL_CREATE_CONTIG, page, 3, &root, 1, d),
               WF_ERR_NOT_ENOUGH_MEMORY);
    cr_assert_eq(wf_cnode_revoke(ROOT, POOL, DEEP), WF_ERR_OK);
    world_fini();
}

/* --- a pool's last cap ------------------------------------------------------------------ */

/* What Pool_Create makes is inserted right after the pool's original cap, so a
 * copy of the original made before it is no longer its neighbour in the
 * derivation tree. Deleting that copy leaves the pool live (the original still
 * creates and reports), and the pool goes, once, when its last cap and its last
 * object are gone, in either order. */
Test(objs, a_pool_lives_while_a_cap_to_it_is_left)
{
    world();
    struct pool *root = pool_from_cap(slot(POOL)->cap);
    uint64_t objects0 = root->objects;
    wf_word_t usage, limit, objects, free;
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 1 << 20, ROOT, CHILD, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_copy(ROOT, FREE, DEEP, ROOT, CHILD, DEEP, WF_RIGHT_READ), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(CHILD, WF_OBJ_ENDPOINT, 0, ROOT, FREE + 1, DEEP), WF_ERR_OK);
    /* The copy goes first: the original still makes objects. */
    cr_assert_eq(wf_cnode_delete(ROOT, FREE, DEEP), WF_ERR_OK);
    ASSERT_ERR(wf_pool_create(CHILD, WF_OBJ_NOTIFICATION, 0, ROOT, FREE + 2, DEEP), WF_ERR_OK);
    ASSERT_ERR(wf_pool_info(CHILD, &usage, &limit, &objects, &free), WF_ERR_OK);
    cr_assert_eq(objects, 2);
    /* Its objects go: the pool stays while the original is there. */
    cr_assert_eq(wf_cnode_delete(ROOT, FREE + 1, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_delete(ROOT, FREE + 2, DEEP), WF_ERR_OK);
    ASSERT_ERR(wf_pool_info(CHILD, &usage, &limit, &objects, &free), WF_ERR_OK);
    cr_assert_eq(objects, 0);
    cr_assert_eq(usage, 0);
    ASSERT_ERR(wf_pool_create(CHILD, WF_OBJ_ENDPOINT, 0, ROOT, FREE + 1, DEEP), WF_ERR_OK);
    /* The other order: a copy after the object, the original deleted first, then
     * the object, then the copy, which is the last cap. */
    cr_assert_eq(wf_cnode_copy(ROOT, FREE, DEEP, ROOT, CHILD, DEEP, WF_RIGHT_READ), WF_ERR_OK);
    cr_assert_eq(wf_cnode_delete(ROOT, CHILD, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_delete(ROOT, FREE + 1, DEEP), WF_ERR_OK);
    ASSERT_ERR(wf_pool_info(FREE, &usage, &limit, &objects, &free), WF_ERR_OK);
    cr_assert_eq(objects, 0);
    cr_assert_eq(root->objects, objects0 + 1, "the child pool went with a cap left");
    cr_assert_eq(wf_cnode_delete(ROOT, FREE, DEEP), WF_ERR_OK);
    cr_assert_eq(root->objects, objects0, "the child pool outlived its caps and objects");
    cr_assert_eq(root->usage, 0);
    cr_assert_eq(wf_cnode_revoke(ROOT, POOL, DEEP), WF_ERR_OK);
    world_fini();
}

/* A console server's shape: a notification made from the server's own pool is
 * bound to an IRQ line; its supervisor holds a copy of the pool cap (to watch
 * it) and of the IRQHandler. The server goes (its handler copy, the
 * notification's cap and the pool's original deleted, as destroying its CNode
 * does); the line's copy keeps the notification, and so the pool, until the
 * supervisor's handler goes; the pool itself goes with the watching copy, when
 * the supervisor revokes the parent pool. */
Test(objs, a_pool_notification_bound_to_an_irq_line_outlives_the_server)
{
    world();
    irqchip_init();
    enum { CTL = 20, WATCH, NTFN, HANDLER, KEPT };
    cdt_insert_root(slot(CTL), cap_irq_control_new());
    struct pool *root = pool_from_cap(slot(POOL)->cap);
    uint64_t objects0 = root->objects;
    wf_word_t usage, limit, objects, free;
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 1 << 20, ROOT, CHILD, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_copy(ROOT, WATCH, DEEP, ROOT, CHILD, DEEP, WF_RIGHT_READ), WF_ERR_OK);
    cr_assert_eq(wf_pool_create(CHILD, WF_OBJ_NOTIFICATION, 0, ROOT, NTFN, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_irqcontrol_get(CTL, 4, WF_IRQ_TRIGGER_DEFAULT, ROOT, KEPT, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_copy(ROOT, HANDLER, DEEP, ROOT, KEPT, DEEP, WF_RIGHTS_ALL), WF_ERR_OK);
    cr_assert_eq(wf_irqhandler_set_notification(HANDLER, NTFN), WF_ERR_OK);
    /* The server goes. */
    const unsigned gone[] = {HANDLER, NTFN, CHILD};
    for (unsigned i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        cr_assert_eq(wf_cnode_delete(ROOT, gone[i], DEEP), WF_ERR_OK);
    cr_assert(!slot_is_empty(&irq_line(4)->ntfn));
    ASSERT_ERR(wf_pool_info(WATCH, &usage, &limit, &objects, &free), WF_ERR_OK);
    cr_assert_eq(objects, 1);
    /* The supervisor's handler goes, and with it the notification. */
    cr_assert_eq(wf_cnode_delete(ROOT, KEPT, DEEP), WF_ERR_OK);
    cr_assert(slot_is_empty(&irq_line(4)->ntfn));
    ASSERT_ERR(wf_pool_info(WATCH, &usage, &limit, &objects, &free), WF_ERR_OK);
    cr_assert_eq(objects, 0);
    cr_assert_eq(usage, 0);
    cr_assert_eq(root->objects, objects0 + 1, "the pool went with a cap left");
    /* The watching copy goes with a revoke of the parent: then the pool. */
    cr_assert_eq(wf_cnode_revoke(ROOT, POOL, DEEP), WF_ERR_OK);
    cr_assert(slot_is_empty(slot(WATCH)));
    cr_assert_eq(root->objects, objects0);
    cr_assert_eq(root->usage, 0);
    cr_assert_eq(wf_cnode_revoke(ROOT, CTL, DEEP), WF_ERR_OK);
    world_fini();
}

/* --- decode, then invoke: allocation failure at every point ------------------------ */

/* What a failed operation must leave as it was. */
struct snapshot {
    struct slot slots[NSLOTS]; /* contents and derivation-tree links of every root slot */
    struct vmo vmo;            /* the object `watched` names (a VMO being cloned) */
    struct {
        uint64_t usage, objects, slab_bytes, free_bytes;
    } pools[NSLOTS];
};

/* An object the operation under test works on that no slot or pool shows. */
static const struct vmo *watched;

static void snap(struct snapshot *s)
{
    memset(s, 0, sizeof(*s));
    memcpy(s->slots, W.root, sizeof(s->slots));
    if (watched)
        memcpy(&s->vmo, watched, sizeof(s->vmo));
    for (unsigned i = 0; i < NSLOTS; i++) {
        struct pool *p = pool_from_cap(W.root[i].cap);
        if (!p)
            continue;
        s->pools[i].usage = p->usage;
        s->pools[i].objects = p->objects;
        s->pools[i].slab_bytes = p->slab_bytes;
        s->pools[i].free_bytes = p->pm->free_bytes;
    }
}

/* Runs op with the n-th allocation point failing, for n = 1, 2, ... until it
 * succeeds: each failure must be NOT_ENOUGH_MEMORY and leave the world as it was.
 * Returns the number of failures seen (the allocation points). */
static unsigned fail_at_every_point(const char *what, enum wf_error (*op)(void))
{
    unsigned n;
    for (n = 1;; n++) {
        cr_assert_lt(n, 1000, "%s: no success", what);
        struct snapshot *before = malloc(sizeof(*before)), *after = malloc(sizeof(*after));
        snap(before);
        mm_fail_countdown = n;
        enum wf_error e = op();
        bool injected = mm_fail_countdown == 0;
        mm_fail_countdown = 0;
        snap(after);
        if (e == WF_ERR_OK) {
            cr_assert(!injected, "%s: succeeded although point %u failed", what, n);
            free(before);
            free(after);
            break;
        }
        cr_assert_eq(e, WF_ERR_NOT_ENOUGH_MEMORY, "%s, point %u: %s", what, n, wf_error_name(e));
        cr_assert(injected, "%s: failed without an injected failure", what);
        cr_assert(memcmp(before->slots, after->slots, sizeof(before->slots)) == 0,
                  "%s, point %u: slots or derivation tree changed", what, n);
        cr_assert(memcmp(before->pools, after->pools, sizeof(before->pools)) == 0,
                  "%s, point %u: a pool's accounts changed", what, n);
        cr_assert(memcmp(&before->vmo, &after->vmo, sizeof(before->vmo)) == 0,
                  "%s, point %u: the VMO changed", what, n);
        free(before);
        free(after);
    }
    return n - 1;
}

static wf_word_t op_type, op_size;

static enum wf_error op_create(void)
{
    return wf_pool_create(CHILD, op_type, op_size, ROOT, FREE, DEEP);
}

static enum wf_error op_contig(void)
{
    return wf_pool_create_contig(CHILD, op_size, ROOT, FREE, DEEP);
}

static enum wf_error op_device(void)
{
    return wf_pool_create_device(CHILD, DEV_UT, ROOT, FREE, DEEP);
}

static enum wf_error op_clone(void)
{
    return wf_vmo_clone(VMO, CHILD, ROOT, FREE, DEEP);
}

static enum wf_error op_retype_pool(void)
{
    /* Retype takes no pool memory: no allocation point, success at once. */
    return wf_untyped_retype(WORLD_ROOT_UT, WF_OBJ_POOL, 17, ROOT, 0, 0, FREE, 1);
}

Test(objs, failed_allocation_changes_nothing)
{
    world();
    static const wf_word_t kinds[][2] = {
        {WF_OBJ_VMO, 1 << 20}, {WF_OBJ_VSPACE, 0},       {WF_OBJ_POOL, 1 << 20},
        {WF_OBJ_CNODE, 4},     {WF_OBJ_CNODE, 10},       {WF_OBJ_TCB, 0},
        {WF_OBJ_ENDPOINT, 0},  {WF_OBJ_NOTIFICATION, 0}, {WF_OBJ_REPLY, 0},
    };
    for (unsigned fresh = 0; fresh < 2; fresh++) {
        /* fresh: from an empty child pool (slab clusters must grow); else from one
         * whose slab already has partial clusters. */
        for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
            cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 4 << 20, ROOT, CHILD, DEEP), WF_ERR_OK);
            if (!fresh)
                for (unsigned j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++)
                    cr_assert_eq(
                        wf_pool_create(CHILD, kinds[j][0], kinds[j][1], ROOT, FREE + 1 + j, DEEP),
                        WF_ERR_OK);
            op_type = kinds[i][0];
            op_size = kinds[i][1];
            unsigned points = fail_at_every_point("Pool_Create", op_create);
            cr_assert_geq(points, 1, "type %llu: no allocation point", (unsigned long long)op_type);
            cr_assert_eq(wf_cnode_revoke(ROOT, CHILD, DEEP), WF_ERR_OK);
            cr_assert_eq(wf_cnode_delete(ROOT, CHILD, DEEP), WF_ERR_OK);
        }
    }
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 4 << 20, ROOT, CHILD, DEEP), WF_ERR_OK);
    op_size = 1 << 20;
    /* the extent, the VMO, and a slab cluster for it */
    cr_assert_geq(fail_at_every_point("Pool_CreateContig", op_contig), 2);
    cr_assert_eq(wf_cnode_delete(ROOT, FREE, DEEP), WF_ERR_OK);
    /* the VMO, and a slab cluster for it when the child's slab has no room */
    cdt_insert_root(slot(DEV_UT), cap_untyped_new(DEV_PA, 16, true, 0));
    cr_assert_geq(fail_at_every_point("Pool_CreateDevice", op_device), 1);
    struct vmo *dev = vmo_from_cap(slot(FREE)->cap);
    cr_assert(dev && dev->kind == VMO_PHYS && dev->device && !dev->owns_phys);
    cr_assert_eq(dev->phys, DEV_PA);
    cr_assert_eq(dev->size, 1 << 16);
    cr_assert_eq(wf_cnode_revoke(ROOT, CHILD, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_delete(ROOT, DEV_UT, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_revoke(ROOT, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(pool_from_cap(slot(POOL)->cap)->usage, 0);
    cr_assert_eq(fail_at_every_point("Retype", op_retype_pool), 0);
    world_fini();
}

/* VMO_Clone of a VMO with contents and mappings: the hidden VMO (from the VMO's
 * pool) and the clone (from the pool named) are taken in decode; a failure at
 * either leaves the VMO, its mappings, the slots and every pool as they were. */
Test(objs, failed_clone_allocation_changes_nothing)
{
    world();
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VSPACE, 0, ROOT, VSPACE, DEEP), WF_ERR_OK);
    for (unsigned fresh = 0; fresh < 2; fresh++) {
        /* the clone from a fresh child pool, or from the VMO's own pool */
        cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, 4 << 20, ROOT, CHILD, DEEP), WF_ERR_OK);
        wf_cptr_t vp = fresh ? POOL : CHILD;
        cr_assert_eq(wf_pool_create(vp, WF_OBJ_VMO, 1 << 20, ROOT, VMO, DEEP), WF_ERR_OK);
        struct vmo *v = vmo_from_cap(slot(VMO)->cap);
        struct vspace *vs = vspace_from_cap(slot(VSPACE)->cap);
        preempt_begin(UINT32_MAX);
        for (uint64_t x = 1; x <= 4; x++)
            cr_assert_eq(vmo_write(v, x * 0x30000, &x, 8), WF_ERR_OK);
        cr_assert_eq(wf_vspace_map(VSPACE, VMO, 0x400000, 0, 1 << 20, WF_VM_READ | WF_VM_WRITE),
                     WF_ERR_OK);
        cr_assert_eq(vm_fault(vs, 0x400000 + 0x30000, VM_WRITE), VM_FAULT_RESOLVED);
        watched = v;
        cr_assert_geq(fail_at_every_point("VMO_Clone", op_clone), 2);
        watched = NULL;
        paddr_t pa;
        unsigned a, l;
        cr_assert(!vspace_translate(vs, 0x400000 + 0x30000, &pa, &a, &l),
                  "the VMO's mapping stayed after the clone");
        struct vmo *c = vmo_from_cap(slot(FREE)->cap);
        cr_assert(c && c->kind == VMO_CLONE && v->pending == VMO_PENDING_NONE);
        for (uint64_t x = 1; x <= 4; x++) {
            uint64_t got = 0;
            cr_assert_eq(vmo_read(c, x * 0x30000, &got, 8), WF_ERR_OK);
            cr_assert_eq(got, x);
        }
        cr_assert_eq(wf_cnode_delete(ROOT, FREE, DEEP), WF_ERR_OK);
        cr_assert_eq(wf_cnode_delete(ROOT, VMO, DEEP), WF_ERR_OK);
        cr_assert_eq(wf_cnode_revoke(ROOT, CHILD, DEEP), WF_ERR_OK);
        cr_assert_eq(wf_cnode_delete(ROOT, CHILD, DEEP), WF_ERR_OK);
    }
    cr_assert_eq(wf_cnode_revoke(ROOT, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(pool_from_cap(slot(POOL)->cap)->usage, 0);
    world_fini();
}
