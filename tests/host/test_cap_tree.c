/*
 * The derivation tree against a reference model, through real invocations.
 *
 * The model is an explicit tree, the way seL4's abstract specification states
 * it: each cap has a parent (or none), a derived cap's parent is its source when
 * the source may parent it and the source's parent otherwise, deleting a cap
 * hands its children to its parent, revoking deletes every descendant. It also
 * keeps each cap's type, rights, badge, guard and (untyped) watermark, and
 * predicts every error from the order of the checks documented in docs/api.md.
 *
 * Random sequences of Copy, Mint, Move, Mutate, Swap, Delete, Revoke and Retype
 * run across four CNodes, through the generated stubs (weft/invoke.h) and the
 * test double of wf_call, with small badges so that caps with equal badges meet
 * (the case where the list encoding needs its first-badged flag). After every
 * step the kernel's slots must hold exactly the model's caps, and the parent of
 * every cap, recovered from the kernel's depth-first list, must be the model's.
 * The list itself is checked: links agree both ways and it holds every cap once.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "test_cap_world.h"

#define NCN     4 /* child CNodes, radix 4, in root slots CN_AT.. */
#define CRADIX  4
#define CN_AT   10 /* root slots of the child CNodes' original caps */
#define OBJ_AT  20 /* root slots 20-23 endpoints, 24-25 notifications, 26-28 untypeds */
#define OBJ_END 29
#define UT_BITS 10
#define NSLOT   (256 + NCN * 16 + 1) /* model slot ids: root, children, boot */
#define BOOT_ID (NSLOT - 1)
#define MAXCAP  4096

struct mcap {
    bool live;
    int slot; /* model slot id */
    int type; /* enum cap_type */
    int obj;  /* object id (untyped: region id) */
    uint64_t rights, badge, guard, guard_size, wm;
    bool revocable, first_badged;
    int parent; /* mcap index or -1 */
};

static struct mcap mc[MAXCAP];
static int ncap, nobj;
static int at[NSLOT]; /* model slot -> mcap index or -1 */

static struct slot *kslot(int id)
{
    if (id == BOOT_ID)
        return &W.boot;
    if (id < 256)
        return &W.root[id];
    int c = (id - 256) / 16, j = (id - 256) % 16;
    return &cap_cnode_slots(W.root[CN_AT + c].cap)[j];
}

static int slot_id(const struct slot *s)
{
    for (int id = 0; id < NSLOT; id++)
        if (kslot(id) == s)
            return id;
    return -1;
}

/* Where invocations name a slot: the CNode cap to use as root and the path. */
static void path_of(int id, wf_cptr_t *root, wf_word_t *index, wf_word_t *depth)
{
    if (id < 256) {
        *root = WORLD_ROOT_CNODE, *index = id, *depth = 64;
    } else {
        *root = CN_AT + (id - 256) / 16, *index = (id - 256) % 16, *depth = CRADIX;
    }
}

static int new_cap(int slot, int type, int obj, int parent)
{
    cr_assert_lt(ncap, MAXCAP);
    int i = ncap++;
    mc[i] = (struct mcap){.live = true,
                          .slot = slot,
                          .type = type,
                          .obj = obj,
                          .parent = parent,
                          .rights = WF_RIGHTS_ALL};
    at[slot] = i;
    return i;
}

static bool is_ancestor(int a, int x)
{
    for (int p = mc[x].parent; p >= 0; p = mc[p].parent)
        if (p == a)
            return true;
    return false;
}

static bool has_children(int a)
{
    for (int i = 0; i < ncap; i++)
        if (mc[i].live && mc[i].parent == a)
            return true;
    return false;
}

static void m_delete(int x)
{
    for (int i = 0; i < ncap; i++)
        if (mc[i].live && mc[i].parent == x)
            mc[i].parent = mc[x].parent;
    mc[x].live = false;
    at[mc[x].slot] = -1;
}

static void m_revoke(int x)
{
    for (int i = 0; i < ncap; i++)
        if (mc[i].live && is_ancestor(x, i))
            m_delete(i);
}

/* May cap p be the parent of n, a cap derived from it (same object)? */
static bool m_capable(int p, const struct mcap *n)
{
    if (!mc[p].revocable)
        return false;
    if (mc[p].type != CAP_ENDPOINT && mc[p].type != CAP_NOTIFICATION)
        return true;
    return mc[p].badge == 0 || (mc[p].badge == n->badge && !n->first_badged);
}

static void m_derive(int src, int dest, uint64_t rights, uint64_t badge, bool set_guard,
                     uint64_t guard, uint64_t gsize)
{
    struct mcap n = mc[src];
    n.slot = dest;
    if (n.type == CAP_ENDPOINT || n.type == CAP_NOTIFICATION)
        n.rights &= rights;
    if (badge)
        n.badge = badge;
    if (set_guard)
        n.guard = guard, n.guard_size = gsize;
    bool is_ep = n.type == CAP_ENDPOINT || n.type == CAP_NOTIFICATION;
    n.revocable = n.first_badged = is_ep ? n.badge != mc[src].badge : n.type == CAP_UNTYPED;
    n.parent = m_capable(src, &n) ? src : mc[src].parent;
    if (n.type == CAP_UNTYPED)
        mc[src].wm = 1u << UT_BITS;
    cr_assert_lt(ncap, MAXCAP);
    mc[ncap] = n;
    at[dest] = ncap++;
}

/* Retype one object of type from untyped cap u into slot dest; returns the
 * predicted error. */
static enum wf_error m_retype(int u, int dest, int type, unsigned obj_bits)
{
    if (at[dest] >= 0)
        return WF_ERR_DELETE_FIRST;
    uint64_t size = 1ull << (mc[u].obj < 0 ? 22 : UT_BITS);
    uint64_t wm = has_children(u) ? mc[u].wm : 0;
    uint64_t start = (wm + (1ull << obj_bits) - 1) & ~((1ull << obj_bits) - 1);
    if (start + (1ull << obj_bits) > size)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    mc[u].wm = start + (1ull << obj_bits);
    int i = new_cap(dest, type, nobj++, u);
    mc[i].revocable = mc[i].first_badged = true;
    if (type == CAP_UNTYPED)
        mc[i].wm = 0;
    return WF_ERR_OK;
}

static void check_slot(int id)
{
    struct slot *s = kslot(id);
    int i = at[id];
    if (i < 0) {
        cr_assert(slot_is_empty(s), "slot %d: kernel has type %d, model empty", id,
                  cap_type(s->cap));
        return;
    }
    struct cap c = s->cap;
    cr_assert_eq((int)cap_type(c), mc[i].type, "slot %d: type", id);
    cr_assert_eq(cap_rights(c), mc[i].rights, "slot %d: rights", id);
    cr_assert_eq(cap_badge(c), mc[i].badge, "slot %d: badge", id);
    if (mc[i].type == CAP_CNODE) {
        cr_assert_eq(cap_cnode_guard(c), mc[i].guard, "slot %d: guard", id);
        cr_assert_eq(cap_cnode_guard_size(c), mc[i].guard_size, "slot %d: guard size", id);
    }
    if (mc[i].type == CAP_UNTYPED && mc[i].obj >= 0)
        cr_assert_eq(cap_untyped_watermark(c), mc[i].wm, "slot %d: watermark", id);
}

/* Recovers every cap's parent from the kernel's list (a node's parent is the
 * nearest earlier node whose descendant run reaches it) and compares. */
static void check_tree(void)
{
    int live = 0, seen = 0;
    for (int id = 0; id < NSLOT; id++) {
        check_slot(id);
        live += at[id] >= 0;
    }
    for (int id = 0; id < NSLOT; id++) {
        struct slot *h = kslot(id);
        if (slot_is_empty(h) || slot_prev(h))
            continue;
        struct slot *stack[NSLOT];
        int sp = 0;
        for (struct slot *s = h; s; s = slot_next(s)) {
            cr_assert(!slot_is_empty(s), "an empty slot is linked");
            cr_assert(!slot_next(s) || slot_prev(slot_next(s)) == s, "links disagree");
            int sid = slot_id(s);
            cr_assert_geq(sid, 0, "a linked slot outside the world");
            while (sp && !cdt_is_parent_of(stack[sp - 1], s))
                sp--;
            int kp = sp ? at[slot_id(stack[sp - 1])] : -1;
            int mp = mc[at[sid]].parent;
            cr_assert_eq(kp, mp, "slot %d: kernel parent is cap %d (slot %d), model %d (slot %d)",
                         sid, kp, kp >= 0 ? mc[kp].slot : -1, mp, mp >= 0 ? mc[mp].slot : -1);
            stack[sp++] = s;
            seen++;
            cr_assert_leq(seen, live, "the list is longer than the caps");
        }
    }
    cr_assert_eq(seen, live, "the lists hold %d caps, the slots %d", seen, live);
}

static void setup(unsigned seed)
{
    srand(seed);
    world_init(22, false);
    memset(at, -1, sizeof(at));
    ncap = nobj = 0;
    int boot = new_cap(BOOT_ID, CAP_CNODE, nobj++, -1);
    mc[boot].revocable = mc[boot].first_badged = true;
    mc[boot].guard_size = 64 - WORLD_ROOT_RADIX;
    m_derive(boot, WORLD_ROOT_CNODE, WF_RIGHTS_ALL, 0, false, 0, 0);
    int ut = new_cap(WORLD_ROOT_UT, CAP_UNTYPED, -1, -1);
    mc[ut].revocable = mc[ut].first_badged = true;
    struct {
        int type;
        unsigned bits, user_bits, count, slot;
    } plan[] = {{CAP_CNODE, CRADIX + 5, CRADIX, NCN, CN_AT},
                {CAP_ENDPOINT, 5, 0, 4, OBJ_AT},
                {CAP_NOTIFICATION, 5, 0, 2, OBJ_AT + 4},
                {CAP_UNTYPED, UT_BITS, UT_BITS, 3, OBJ_AT + 6}};
    for (unsigned p = 0; p < ARRAY_SIZE(plan); p++) {
        world_retype(WORLD_ROOT_UT, plan[p].type, plan[p].user_bits, plan[p].slot, plan[p].count);
        for (unsigned k = 0; k < plan[p].count; k++)
            cr_assert_eq(m_retype(ut, plan[p].slot + k, plan[p].type, plan[p].bits), WF_ERR_OK);
    }
    check_tree();
}

static int random_child(void)
{
    return 256 + rand() % (NCN * 16);
}

/* A source: usually a non-empty child slot, sometimes a root object or CNode. */
static int random_source(void)
{
    int r = rand() % 10;
    if (r == 0)
        return CN_AT + rand() % NCN;
    if (r < 3)
        return OBJ_AT + rand() % (OBJ_END - OBJ_AT);
    for (int tries = 0; tries < 8; tries++) {
        int id = random_child();
        if (at[id] >= 0)
            return id;
    }
    return random_child();
}

static void step(void)
{
    int op = rand() % 100;
    int dest = random_child(), src = random_source();
    wf_cptr_t droot, sroot;
    wf_word_t di, dd, si, sd;
    path_of(dest, &droot, &di, &dd);
    path_of(src, &sroot, &si, &sd);
    int s = at[src];
    enum wf_error want, got;

    if (op < 30) { /* Copy or Mint */
        bool mint = op >= 12;
        uint64_t rights = rand() % 20 == 0 ? 16 + rand() % 16 : rand() % 16;
        uint64_t data = 0, gsize = 0, gval = 0;
        bool guard = false;
        if (mint && s >= 0 && (rand() % 3 || mc[s].type == CAP_CNODE)) {
            if (mc[s].type == CAP_CNODE) {
                gsize = rand() % 10 == 0 ? 61 : rand() % 9;
                gval =
                    rand() % 8 == 0 && gsize < 64 ? 1ull << gsize : rand() % (1ull << (gsize % 16));
                data = WF_GUARD(gval, gsize);
                guard = true;
            } else {
                data = 1 + rand() % 3;
            }
        }
        if (at[dest] >= 0)
            want = WF_ERR_DELETE_FIRST;
        else if (s < 0)
            want = WF_ERR_FAILED_LOOKUP;
        else if (rights & ~WF_RIGHTS_ALL)
            want = WF_ERR_INVALID_ARGUMENT;
        else if (data && (mc[s].type == CAP_ENDPOINT || mc[s].type == CAP_NOTIFICATION) &&
                 mc[s].badge)
            want = WF_ERR_ILLEGAL_OPERATION;
        else if (guard && (gsize + CRADIX > 64 || (gsize < 64 && gval >> gsize)))
            want = WF_ERR_INVALID_ARGUMENT;
        else if (data && !guard && mc[s].type != CAP_ENDPOINT && mc[s].type != CAP_NOTIFICATION)
            want = WF_ERR_INVALID_ARGUMENT;
        else if (mc[s].type == CAP_UNTYPED && has_children(s))
            want = WF_ERR_REVOKE_FIRST;
        else
            want = WF_ERR_OK;
        if (mint)
            got = wf_cnode_mint(droot, di, dd, sroot, si, sd, rights, data);
        else
            got = wf_cnode_copy(droot, di, dd, sroot, si, sd, rights);
        if (want == WF_ERR_OK) {
            bool ep = mc[s].type == CAP_ENDPOINT || mc[s].type == CAP_NOTIFICATION;
            m_derive(s, dest, rights, ep ? data : 0, guard, gval, gsize);
        }
    } else if (op < 48) { /* Move or Mutate, between child slots */
        bool mutate = op >= 40;
        src = random_child();
        path_of(src, &sroot, &si, &sd);
        s = at[src];
        uint64_t data = 0, gsize = 0, gval = 0;
        bool guard = mutate && s >= 0 && mc[s].type == CAP_CNODE;
        if (guard) {
            gsize = rand() % 9;
            gval = rand() % (1u << gsize);
            data = WF_GUARD(gval, gsize);
        } else if (mutate && s >= 0 && rand() % 2) {
            data = 1;
        }
        if (at[dest] >= 0)
            want = WF_ERR_DELETE_FIRST;
        else if (s < 0)
            want = WF_ERR_FAILED_LOOKUP;
        else if (data && (mc[s].type == CAP_ENDPOINT || mc[s].type == CAP_NOTIFICATION))
            want = WF_ERR_ILLEGAL_OPERATION;
        else if (data && mc[s].type != CAP_CNODE)
            want = WF_ERR_INVALID_ARGUMENT;
        else
            want = WF_ERR_OK;
        got = mutate ? wf_cnode_mutate(droot, di, dd, sroot, si, sd, data)
                     : wf_cnode_move(droot, di, dd, sroot, si, sd);
        if (want == WF_ERR_OK) {
            at[src] = -1;
            at[dest] = s;
            mc[s].slot = dest;
            if (guard)
                mc[s].guard = gval, mc[s].guard_size = gsize;
        }
    } else if (op < 56) { /* Swap two child slots */
        src = random_child();
        path_of(src, &sroot, &si, &sd);
        s = at[src];
        int d = at[dest];
        want = s < 0 || d < 0 ? WF_ERR_FAILED_LOOKUP
               : src == dest  ? WF_ERR_ILLEGAL_OPERATION
                              : WF_ERR_OK;
        got = wf_cnode_swap(droot, di, dd, sroot, si, sd);
        if (want == WF_ERR_OK) {
            at[src] = d, at[dest] = s;
            mc[s].slot = dest, mc[d].slot = src;
        }
    } else if (op < 76) { /* Delete a child slot */
        want = WF_ERR_OK;
        got = wf_cnode_delete(droot, di, dd);
        if (at[dest] >= 0)
            m_delete(at[dest]);
    } else if (op < 88) { /* Revoke a child slot or a root object */
        int t = rand() % 3 ? dest : OBJ_AT + rand() % (OBJ_END - OBJ_AT);
        if (rand() % 8 == 0)
            t = CN_AT + rand() % NCN;
        path_of(t, &droot, &di, &dd);
        want = WF_ERR_OK;
        got = wf_cnode_revoke(droot, di, dd);
        if (at[t] >= 0)
            m_revoke(at[t]);
    } else { /* Retype an endpoint from an untyped cap (root or child) */
        int u = -1;
        for (int tries = 0; tries < 8 && u < 0; tries++) {
            int id = rand() % 2 ? OBJ_AT + 6 + rand() % 3 : random_child();
            if (at[id] >= 0 && mc[at[id]].type == CAP_UNTYPED)
                u = id;
        }
        if (u < 0)
            return;
        wf_cptr_t ucptr;
        wf_word_t ui, ud;
        path_of(u, &ucptr, &ui, &ud);
        if (u >= 256) /* invoke it through a 64-bit CPtr: copy it to a root slot first */
            return;
        want = m_retype(at[u], dest, CAP_ENDPOINT, 5);
        got = wf_untyped_retype(u, WF_OBJ_ENDPOINT, 0, WORLD_ROOT_CNODE, CN_AT + (dest - 256) / 16,
                                64, (dest - 256) % 16, 1);
    }
    cr_assert_eq(got, want, "op %d dest %d src %d: kernel %s, model %s", op, dest, src,
                 wf_error_name(got), wf_error_name(want));
    check_tree();
}

Test(cap_tree, random_operations_match_model, .timeout = 60)
{
    for (unsigned seed = 1; seed <= 120; seed++) {
        setup(seed);
        for (int i = 0; i < 300; i++)
            step();
        cr_assert(reaper_is_empty(&W.reaper));
        world_fini();
    }
}

Test(cap_tree, badge_siblings_do_not_adopt_orphans)
{
    /* The case the first-badged flag exists for: two caps minted with the same
     * badge from one original, then a copy of the second; deleting the second
     * must hand its copy to the original, not to the first. */
    setup(7);
    int e = OBJ_AT; /* endpoint original at root slot 20 */
    cr_assert_eq(wf_cnode_mint(CN_AT, 0, CRADIX, WORLD_ROOT_CNODE, e, 64, WF_RIGHTS_ALL, 5),
                 WF_ERR_OK);
    m_derive(at[e], 256, WF_RIGHTS_ALL, 5, false, 0, 0);
    cr_assert_eq(wf_cnode_mint(CN_AT, 1, CRADIX, WORLD_ROOT_CNODE, e, 64, WF_RIGHTS_ALL, 5),
                 WF_ERR_OK);
    m_derive(at[e], 257, WF_RIGHTS_ALL, 5, false, 0, 0);
    cr_assert_eq(wf_cnode_copy(CN_AT, 2, CRADIX, CN_AT, 0, CRADIX, WF_RIGHTS_ALL), WF_ERR_OK);
    m_derive(at[256], 258, WF_RIGHTS_ALL, 0, false, 0, 0);
    check_tree();
    cr_assert_eq(wf_cnode_delete(CN_AT, 0, CRADIX), WF_ERR_OK);
    m_delete(at[256]);
    check_tree();
    /* Revoking the other badged cap leaves the orphan alone. */
    cr_assert_eq(wf_cnode_revoke(CN_AT, 1, CRADIX), WF_ERR_OK);
    cr_assert(!slot_is_empty(kslot(258)));
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, e, 64), WF_ERR_OK);
    cr_assert(slot_is_empty(kslot(258)) && slot_is_empty(kslot(257)));
    world_fini();
}
