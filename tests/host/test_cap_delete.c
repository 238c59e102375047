/*
 * Destroying objects that hold caps: deletion, revocation, preemption, restart.
 *
 * The model is a map from every slot of the world (root CNode slots and the slots
 * of every CNode and TCB) to the object its cap names. Deleting a cap that is the
 * last one to its object destroys the object, which deletes every cap it holds,
 * recursively (the model may recurse; the kernel may not). Revoking an untyped
 * deletes every cap to an object carved from it.
 *
 * Random graphs of CNodes, TCBs and endpoints, whose caps sit inside each other
 * (cycles, self-references, objects reachable only from inside other objects),
 * are torn down with tiny work budgets. Two "threads" interleave: A starts a
 * Delete or Revoke and is preempted; B runs one to completion (possibly
 * destroying the object that holds A's zombie, or A's own TCB and with it A's
 * reaper); A then continues. The kernel must end exactly where the model does,
 * with no zombie left and every reaper empty; revoking both untypeds must then
 * leave nothing. Deterministic cases pin each path: every budget from 1 up on a
 * fixed nested structure, a CNode holding its own last cap, a thread destroying
 * its own TCB, a revoke meeting another thread's unfinished work, and revoke at
 * every node of a deep derivation tree.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "obj/tcb.h"
#include "test_cap_world.h"

#define MAXOBJ   48
#define MAXSLOT  (256 + MAXOBJ * 8)
#define UT0      30 /* root slots of the two untypeds the objects come from */
#define UT1      31
#define OBJ_ROOT 40 /* root slots of the objects' original caps */
#define EMPTY    (-1)
#define UNTYPED  (-2)
#define ROOT_CN  (-3) /* the root CNode: never destroyed here */

struct mobj {
    int type; /* CAP_CNODE, CAP_TCB, CAP_ENDPOINT */
    void *ptr;
    struct slot *slots;
    unsigned nslots;
    int ut; /* 0 or 1 */
    bool dead;
};

static struct mobj obj[MAXOBJ];
static int nobj;
static struct slot *slots[MAXSLOT]; /* the slot universe */
static int nslots;
static int m[MAXSLOT]; /* model: object id in each slot, EMPTY or UNTYPED */
static struct reaper reaper_b;

static int slot_index(const struct slot *s)
{
    for (int i = 0; i < nslots; i++)
        if (slots[i] == s)
            return i;
    cr_assert_fail("slot %p outside the world", (void *)s);
    return -1;
}

static int obj_of(struct cap c)
{
    if (cap_is_null(c))
        return EMPTY;
    if (cap_type(c) == CAP_UNTYPED)
        return UNTYPED;
    cr_assert_neq(cap_type(c), CAP_ZOMBIE, "a zombie was left behind");
    if (cap_object(c) == W.root)
        return ROOT_CN;
    for (int i = 0; i < nobj; i++)
        if (obj[i].ptr == cap_object(c))
            return i;
    cr_assert_fail("cap to an unknown object");
    return EMPTY;
}

/* Retypes one object of type from untyped ut into its root slot. */
static int make_obj(int type, unsigned size_bits, int ut)
{
    int i = nobj++;
    cr_assert_lt(i, MAXOBJ);
    uint64_t t = type == CAP_CNODE ? WF_OBJ_CNODE : type == CAP_TCB ? WF_OBJ_TCB : WF_OBJ_ENDPOINT;
    world_retype(ut ? UT1 : UT0, t, size_bits, OBJ_ROOT + i, 1);
    struct cap c = W.root[OBJ_ROOT + i].cap;
    obj[i] = (struct mobj){type, cap_object(c), NULL, 0, ut, false};
    if (type == CAP_CNODE) {
        obj[i].slots = cap_cnode_slots(c);
        obj[i].nslots = 1u << size_bits;
    } else if (type == CAP_TCB) {
        obj[i].slots = ((struct tcb *)obj[i].ptr)->slots;
        obj[i].nslots = WF_TCB_SLOT_COUNT;
    }
    for (unsigned k = 0; k < obj[i].nslots; k++)
        slots[nslots++] = &obj[i].slots[k];
    return i;
}

static void world_with_untypeds(void)
{
    world_init(22, true);
    nobj = nslots = 0;
    for (int k = 0; k < 256; k++)
        slots[nslots++] = &W.root[k];
    world_retype(WORLD_ROOT_UT, WF_OBJ_UNTYPED, 18, UT0, 2);
    reaper_init(&reaper_b);
}

static void snapshot(void)
{
    for (int i = 0; i < nslots; i++)
        m[i] = obj_of(slots[i]->cap);
}

static void m_delete(int s);

static void m_destroy(int o)
{
    obj[o].dead = true;
    for (unsigned k = 0; k < obj[o].nslots; k++)
        m_delete(slot_index(&obj[o].slots[k]));
}

static void m_delete(int s)
{
    int o = m[s];
    m[s] = EMPTY;
    if (o < 0 || obj[o].dead)
        return;
    for (int i = 0; i < nslots; i++)
        if (m[i] == o)
            return;
    m_destroy(o);
}

static void m_revoke_untyped(int ut)
{
    for (int i = 0; i < nslots; i++)
        if (m[i] >= 0 && obj[m[i]].ut == ut)
            m_delete(i);
}

/* The kernel's slots against the model; no zombies, reapers empty. */
static void check_model(void)
{
    for (int i = 0; i < nslots; i++) {
        int k = obj_of(slots[i]->cap);
        cr_assert_eq(k, m[i], "slot %d: kernel object %d, model %d", i, k, m[i]);
    }
    cr_assert(reaper_is_empty(&W.reaper) && reaper_is_empty(&reaper_b), "work left in a reaper");
}

/* A random graph: objects from two untypeds, caps to them copied into random
 * slots of CNodes and TCBs, and some originals moved inside, so that objects are
 * reachable only from within others. */
static void random_graph(void)
{
    world_with_untypeds();
    int n = 6 + rand() % 18;
    for (int i = 0; i < n; i++) {
        int r = rand() % 10;
        if (r < 5)
            make_obj(CAP_CNODE, 1 + rand() % 3, rand() % 2);
        else if (r < 7)
            make_obj(CAP_TCB, 0, rand() % 2);
        else
            make_obj(CAP_ENDPOINT, 0, rand() % 2);
    }
    int holders[MAXOBJ], nh = 0;
    for (int i = 0; i < nobj; i++)
        if (obj[i].nslots)
            holders[nh++] = i;
    if (!nh)
        return;
    for (int k = rand() % (3 * nobj); k > 0; k--) {
        struct mobj *h = &obj[holders[rand() % nh]];
        struct slot *d = &h->slots[rand() % h->nslots];
        struct slot *s = &W.root[OBJ_ROOT + rand() % nobj];
        if (slot_is_empty(d) && !slot_is_empty(s))
            cdt_insert_derived(s, d, s->cap);
    }
    for (int i = 0; i < nobj; i++) {
        struct mobj *h = &obj[holders[rand() % nh]];
        struct slot *d = &h->slots[rand() % h->nslots];
        if (rand() % 2 && slot_is_empty(d))
            cdt_move(&W.root[OBJ_ROOT + i], d, W.root[OBJ_ROOT + i].cap);
    }
}

enum op_kind { OP_DELETE, OP_REVOKE_UT };
struct op {
    enum op_kind kind;
    struct slot *slot;
};

static enum wf_error run_once(struct op op, struct reaper *r, uint32_t budget)
{
    preempt_begin(budget);
    return op.kind == OP_DELETE ? cap_delete(op.slot, r) : cap_revoke(op.slot, r);
}

static void run_to_end(struct op op, struct reaper *r, uint32_t budget)
{
    for (int n = 0; run_once(op, r, budget) == WF_ERR_PREEMPTED; n++)
        cr_assert_lt(n, 1000000, "no progress");
}

static void m_apply(struct op op)
{
    if (op.kind == OP_DELETE)
        m_delete(slot_index(op.slot));
    else
        m_revoke_untyped(op.slot == &W.root[UT1]);
}

static struct op random_op(bool root_only)
{
    if (rand() % 4 == 0)
        return (struct op){OP_REVOKE_UT, &W.root[rand() % 2 ? UT1 : UT0]};
    for (;;) {
        struct slot *s = root_only || rand() % 2 ? &W.root[OBJ_ROOT + rand() % nobj]
                                                 : slots[256 + rand() % (nslots - 256 + 1) - 1];
        if (!slot_is_empty(s) || rand() % 8 == 0)
            return (struct op){OP_DELETE, s};
    }
}

/* The containing object of a slot, or -1 for a root slot. */
static int holder_of(const struct slot *s)
{
    for (int i = 0; i < nobj; i++)
        if (obj[i].nslots && s >= obj[i].slots && s < obj[i].slots + obj[i].nslots)
            return i;
    return -1;
}

static void cleanup_and_check_empty(void)
{
    struct op r0 = {OP_REVOKE_UT, &W.root[UT0]}, r1 = {OP_REVOKE_UT, &W.root[UT1]};
    run_to_end(r0, &W.reaper, 1 + rand() % 7);
    run_to_end(r1, &W.reaper, 1 + rand() % 7);
    for (int i = 0; i < nslots; i++)
        cr_assert(obj_of(slots[i]->cap) < 0, "slot %d still holds a cap to an object", i);
    cr_assert(reaper_is_empty(&W.reaper));
    cr_assert(!cdt_has_children(&W.root[UT0]) && !cdt_has_children(&W.root[UT1]));
}

Test(cap_delete, random_graphs_two_threads, .timeout = 60)
{
    for (unsigned seed = 1; seed <= 400; seed++) {
        srand(seed);
        random_graph();
        snapshot();
        /* Thread A uses the test's reaper, or one of the graph's TCBs' own. */
        struct reaper *ra = &W.reaper;
        int tcb_a = -1;
        if (rand() % 3 == 0) {
            for (int i = 0; i < nobj; i++)
                if (obj[i].type == CAP_TCB)
                    tcb_a = i;
            if (tcb_a >= 0)
                ra = &((struct tcb *)obj[tcb_a].ptr)->reaper;
        }
        struct op a = random_op(false), b = random_op(true);
        bool a_done = run_once(a, ra, 1 + rand() % 6) == WF_ERR_OK;
        run_to_end(b, &reaper_b, 1 + rand() % 9);
        m_apply(b);
        bool a_dead = tcb_a >= 0 && obj[tcb_a].dead;
        if (!a_done && !a_dead) {
            /* A re-executes: its slot may now be inside a destroyed object (its
             * lookup would fail); its reaper still finishes what it holds. */
            int h = holder_of(a.slot);
            if (h >= 0 && obj[h].dead)
                run_to_end((struct op){OP_DELETE, &W.root[0]}, ra, 1 + rand() % 5);
            else
                run_to_end(a, ra, 1 + rand() % 5);
        }
        /* The model applies both operations (A's target may have died with B's
         * operation, which then did A's work). */
        if (a.kind != OP_DELETE || holder_of(a.slot) < 0 || !obj[holder_of(a.slot)].dead)
            m_apply(a);
        /* A thread that destroyed its own TCB leaves its unfinished work to the
         * revoke of the memory (checked by the cleanup); otherwise the kernel
         * must be exactly where the model is. */
        if (tcb_a < 0 || !obj[tcb_a].dead)
            check_model();
        cleanup_and_check_empty();
        world_fini();
    }
}

/* Moves the original cap of object o from its root slot into slot d. */
static void hide(int o, struct slot *d)
{
    cdt_move(&W.root[OBJ_ROOT + o], d, W.root[OBJ_ROOT + o].cap);
}

/* A fixed structure without cycles: a chain of six CNodes, each holding the only
 * cap to the next; the last holds the only cap to a TCB, which holds the only
 * cap to an endpoint (its fault endpoint); the third and the TCB hold the two
 * caps to a small CNode with an endpoint copy in it. */
static void nested_structure(void)
{
    world_with_untypeds();
    int c[6];
    for (int i = 0; i < 6; i++)
        c[i] = make_obj(CAP_CNODE, 2, i % 2);
    int t = make_obj(CAP_TCB, 0, 0), e = make_obj(CAP_ENDPOINT, 0, 1);
    int small = make_obj(CAP_CNODE, 1, 0);
    for (int i = 0; i < 5; i++)
        hide(c[i + 1], &obj[c[i]].slots[3 - i % 4]);
    hide(t, &obj[c[5]].slots[1]);
    cdt_insert_derived(&W.root[OBJ_ROOT + e], &obj[small].slots[0], W.root[OBJ_ROOT + e].cap);
    hide(e, &((struct tcb *)obj[t].ptr)->slots[WF_TCB_SLOT_FAULT_EP]);
    hide(small, &obj[c[2]].slots[2]);
    cdt_insert_derived(&obj[c[2]].slots[2], &((struct tcb *)obj[t].ptr)->slots[WF_TCB_SLOT_CSPACE],
                       obj[c[2]].slots[2].cap);
}

Test(cap_delete, every_budget_reaches_the_same_end)
{
    unsigned last_restarts = ~0u;
    for (uint32_t budget = 1; budget <= 40; budget++) {
        nested_structure();
        snapshot();
        struct op del = {OP_DELETE, &W.root[OBJ_ROOT + 0]};
        m_apply(del);
        unsigned restarts = 0;
        while (run_once(del, &W.reaper, budget) == WF_ERR_PREEMPTED) {
            restarts++;
            /* Between attempts the slot holds a zombie, which nothing but
             * deletion may use. */
            struct cap z = W.root[OBJ_ROOT].cap;
            cr_assert(cap_is_null(z) || cap_type(z) == CAP_ZOMBIE);
        }
        for (int i = 0; i < nobj; i++)
            cr_assert(obj[i].dead, "object %d survived", i);
        check_model();
        cr_assert_leq(restarts, last_restarts, "a larger budget needed more restarts");
        if (budget == 1)
            cr_assert_gt(restarts, 40, "budget 1 should restart at every unit");
        last_restarts = restarts;
        cleanup_and_check_empty();
        world_fini();
    }
}

Test(cap_delete, cnode_holding_its_only_cap)
{
    world_with_untypeds();
    int c = make_obj(CAP_CNODE, 2, 0);
    struct slot *in = &obj[c].slots[2];
    cdt_move(&W.root[OBJ_ROOT + c], in, W.root[OBJ_ROOT + c].cap);
    snapshot();
    /* Reachable only through itself: deleting the cap inside destroys it. */
    preempt_begin(UINT32_MAX);
    cr_assert_eq(cap_delete(in, &W.reaper), WF_ERR_OK);
    m_delete(slot_index(in));
    cr_assert(obj[c].dead);
    check_model();
    world_fini();
}

Test(cap_delete, cycles_stay_until_their_memory_is_revoked)
{
    /* Two CNodes holding the only caps to each other are garbage nobody can
     * reach; as in seL4 they stay until the untyped under them is revoked. */
    world_with_untypeds();
    int a = make_obj(CAP_CNODE, 1, 0), b = make_obj(CAP_CNODE, 1, 1);
    cdt_insert_derived(&W.root[OBJ_ROOT + b], &obj[a].slots[0], W.root[OBJ_ROOT + b].cap);
    cdt_insert_derived(&W.root[OBJ_ROOT + a], &obj[b].slots[1], W.root[OBJ_ROOT + a].cap);
    snapshot();
    preempt_begin(UINT32_MAX);
    cr_assert_eq(cap_delete(&W.root[OBJ_ROOT + a], &W.reaper), WF_ERR_OK);
    cr_assert_eq(cap_delete(&W.root[OBJ_ROOT + b], &W.reaper), WF_ERR_OK);
    m_delete(OBJ_ROOT + a);
    m_delete(OBJ_ROOT + b);
    cr_assert(!obj[a].dead && !obj[b].dead);
    check_model();
    run_to_end((struct op){OP_REVOKE_UT, &W.root[UT0]}, &W.reaper, 1);
    m_revoke_untyped(0);
    cr_assert(obj[a].dead && obj[b].dead, "revoking one side's memory frees the cycle");
    check_model();
    world_fini();
}

Test(cap_delete, thread_destroying_its_own_tcb)
{
    /* A TCB whose only cap is in a CNode whose only cap is in the TCB: the
     * thread deletes the CNode's last cap with its own reaper. Its ring dies with
     * it; what remains is finished by revoking the memory. */
    for (uint32_t budget = 1; budget <= 12; budget++) {
        world_with_untypeds();
        int t = make_obj(CAP_TCB, 0, 0), c = make_obj(CAP_CNODE, 2, 0),
            d = make_obj(CAP_CNODE, 1, 1);
        struct tcb *tcb = obj[t].ptr;
        cdt_move(&W.root[OBJ_ROOT + t], &obj[c].slots[1], W.root[OBJ_ROOT + t].cap);
        cdt_move(&W.root[OBJ_ROOT + d], &obj[c].slots[3], W.root[OBJ_ROOT + d].cap);
        cdt_insert_derived(&W.root[OBJ_ROOT + c], &tcb->slots[WF_TCB_SLOT_CSPACE],
                           W.root[OBJ_ROOT + c].cap);
        cdt_remove(&W.root[OBJ_ROOT + c]);
        struct op del = {OP_DELETE, &tcb->slots[WF_TCB_SLOT_CSPACE]};
        while (run_once(del, &tcb->reaper, budget) == WF_ERR_PREEMPTED)
            if (!slot_is_empty(&obj[c].slots[1]) && cap_type(obj[c].slots[1].cap) == CAP_TCB)
                continue;
            else if (cap_is_null(tcb->slots[0].cap) || cap_type(tcb->slots[0].cap) == CAP_ZOMBIE)
                break; /* the thread is gone: it will not run again */
        cleanup_and_check_empty();
        world_fini();
    }
}

Test(cap_delete, revoke_finishes_another_threads_work)
{
    /* Thread A starts deleting a big nested structure and stops; thread B then
     * revokes the untyped under part of it. B's revoke must complete (it finishes
     * A's zombies in its range) and A then completes the rest. */
    for (unsigned seed = 1; seed <= 60; seed++) {
        srand(seed);
        nested_structure();
        snapshot();
        struct op a = {OP_DELETE, &W.root[OBJ_ROOT + 0]};
        uint32_t budget = 1 + rand() % 30;
        bool done = run_once(a, &W.reaper, budget) == WF_ERR_OK;
        struct op b = {OP_REVOKE_UT, &W.root[rand() % 2 ? UT0 : UT1]};
        run_to_end(b, &reaper_b, 1 + rand() % 4);
        m_apply(b);
        cr_assert(!cdt_has_children(b.slot), "revoke left a descendant");
        if (!done)
            run_to_end(a, &W.reaper, 1 + rand() % 4);
        m_apply(a);
        check_model();
        cleanup_and_check_empty();
        world_fini();
    }
}

Test(cap_delete, unfinished_delete_inside_a_dying_cnode)
{
    /* Thread A's Delete of slot S (inside CNode X) stops at every possible point;
     * then thread B deletes X's last cap. B meets A's ROOT zombie in S and takes
     * the work over (an element in B's reaper), whatever stage it was at. */
    for (uint32_t budget = 1; budget <= 14; budget++) {
        world_with_untypeds();
        int x = make_obj(CAP_CNODE, 2, 0), y = make_obj(CAP_CNODE, 2, 1),
            z = make_obj(CAP_CNODE, 1, 0);
        int e = make_obj(CAP_ENDPOINT, 0, 1);
        struct slot *s = &obj[x].slots[1];
        hide(y, s);
        hide(z, &obj[y].slots[2]);
        cdt_insert_derived(&W.root[OBJ_ROOT + e], &obj[y].slots[0], W.root[OBJ_ROOT + e].cap);
        cdt_insert_derived(&W.root[OBJ_ROOT + e], &obj[y].slots[3], W.root[OBJ_ROOT + e].cap);
        cdt_insert_derived(&W.root[OBJ_ROOT + e], &obj[z].slots[1], W.root[OBJ_ROOT + e].cap);
        snapshot();
        bool done = run_once((struct op){OP_DELETE, s}, &W.reaper, budget) == WF_ERR_OK;
        run_to_end((struct op){OP_DELETE, &W.root[OBJ_ROOT + x]}, &reaper_b, 1 + budget % 3);
        if (!done) /* A's lookup would now fail; it finishes what its reaper holds */
            run_to_end((struct op){OP_DELETE, &W.root[0]}, &W.reaper, 2);
        m_delete(OBJ_ROOT + x);
        cr_assert(obj[x].dead && obj[y].dead && obj[z].dead, "budget %u", budget);
        check_model();
        cleanup_and_check_empty();
        world_fini();
    }
}

Test(cap_delete, destroying_a_thread_takes_over_its_reaper)
{
    /* Thread A (a TCB's reaper) stops while deleting a CNode whose nested CNodes
     * became elements of A's reaper; thread B destroys A's TCB, which moves that
     * work to B's reaper, and B's Delete does not return before it is done. */
    unsigned spliced = 0;
    for (uint32_t budget = 1; budget <= 12; budget++) {
        world_with_untypeds();
        int t = make_obj(CAP_TCB, 0, 0), x = make_obj(CAP_CNODE, 2, 0);
        int y1 = make_obj(CAP_CNODE, 1, 1), y2 = make_obj(CAP_CNODE, 1, 1),
            e = make_obj(CAP_ENDPOINT, 0, 0);
        struct reaper *ra = &((struct tcb *)obj[t].ptr)->reaper;
        hide(y1, &obj[x].slots[3]);
        hide(y2, &obj[x].slots[2]);
        cdt_insert_derived(&W.root[OBJ_ROOT + e], &obj[y1].slots[1], W.root[OBJ_ROOT + e].cap);
        cdt_insert_derived(&W.root[OBJ_ROOT + e], &obj[y2].slots[1], W.root[OBJ_ROOT + e].cap);
        snapshot();
        bool done =
            run_once((struct op){OP_DELETE, &W.root[OBJ_ROOT + x]}, ra, budget) == WF_ERR_OK;
        /* The objects waiting in A's reaper (element zombies live in slot 0). */
        int waiting[4], nw = 0;
        for (struct slot *el = cap_ring_next(ra->sentinel.cap); el != &ra->sentinel;
             el = cap_ring_next(el->cap))
            for (int o = 0; o < nobj; o++)
                if (obj[o].nslots && el == &obj[o].slots[0])
                    waiting[nw++] = o;
        spliced += nw > 0;
        run_to_end((struct op){OP_DELETE, &W.root[OBJ_ROOT + t]}, &reaper_b, 2);
        cr_assert(reaper_is_empty(&reaper_b), "B returned with work left");
        m_delete(OBJ_ROOT + t);
        if (done) {
            m_delete(OBJ_ROOT + x);
            check_model();
        }
        /* A never runs again; what waited in its reaper was destroyed by B. */
        for (int i = 0; i < nw; i++)
            cr_assert_eq(world_count_caps(obj[waiting[i]].slots, obj[waiting[i]].nslots), 0,
                         "budget %u: object %d kept caps after B returned", budget, waiting[i]);
        cleanup_and_check_empty();
        world_fini();
    }
    cr_assert_gt(spliced, 0, "no budget stopped A with work in its reaper");
}

/* --- revoke at every node of a deep derivation tree ---------------------------- */

#define DEEP 64
static struct slot *dnode[DEEP];
static int dparent[DEEP];
static int ndeep;

/* Builds a deep tree: untypeds nested six levels, each level with endpoints, badged
 * mints, copies of those, and copies of the untyped objects' caps; records each
 * node's parent by construction. */
static void deep_tree(void)
{
    world_with_untypeds();
    ndeep = 0;
    int free_slot = 64;
    int ut_node = -1;
    struct slot *ut = &W.root[UT0];
    for (int level = 0; level < 6; level++) {
        /* a child untyped of half the size, and an endpoint, from ut */
        wf_cptr_t ucptr = ut - W.root;
        cr_assert_eq(wf_untyped_retype(ucptr, WF_OBJ_UNTYPED, 17 - level, WORLD_ROOT_CNODE, 0, 0,
                                       free_slot, 1),
                     WF_ERR_OK);
        struct slot *child = &W.root[free_slot++];
        cr_assert_eq(
            wf_untyped_retype(ucptr, WF_OBJ_ENDPOINT, 0, WORLD_ROOT_CNODE, 0, 0, free_slot, 1),
            WF_ERR_OK);
        int ep = ndeep;
        dnode[ndeep] = &W.root[free_slot++], dparent[ndeep++] = ut_node;
        for (int b = 1; b <= 2; b++) {
            cr_assert_eq(wf_cnode_mint(WORLD_ROOT_CNODE, free_slot, 64, WORLD_ROOT_CNODE,
                                       dnode[ep] - W.root, 64, WF_RIGHTS_ALL, b),
                         WF_ERR_OK);
            int mint = ndeep;
            dnode[ndeep] = &W.root[free_slot++], dparent[ndeep++] = ep;
            cr_assert_eq(wf_cnode_copy(WORLD_ROOT_CNODE, free_slot, 64, WORLD_ROOT_CNODE,
                                       dnode[mint] - W.root, 64, WF_RIGHT_READ),
                         WF_ERR_OK);
            dnode[ndeep] = &W.root[free_slot++], dparent[ndeep++] = mint;
        }
        cr_assert_eq(wf_cnode_copy(WORLD_ROOT_CNODE, free_slot, 64, WORLD_ROOT_CNODE,
                                   dnode[ep] - W.root, 64, WF_RIGHT_WRITE),
                     WF_ERR_OK);
        dnode[ndeep] = &W.root[free_slot++], dparent[ndeep++] = ep;
        dnode[ndeep] = child, dparent[ndeep] = ut_node;
        ut_node = ndeep++;
        ut = child;
    }
}

static bool deep_descends(int x, int a)
{
    for (int p = dparent[x]; p >= 0; p = dparent[p])
        if (p == a)
            return true;
    return false;
}

Test(cap_delete, revoke_at_every_node_of_a_deep_tree)
{
    deep_tree();
    int n = ndeep;
    world_fini();
    for (int at = 0; at < n; at++) {
        for (uint32_t budget = 1; budget <= 3; budget += 2) {
            deep_tree();
            W.budget = budget;
            cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, dnode[at] - W.root, 64), WF_ERR_OK);
            for (int x = 0; x < n; x++) {
                bool gone = deep_descends(x, at);
                cr_assert_eq(slot_is_empty(dnode[x]), gone, "revoke at %d: node %d %s", at, x,
                             gone ? "survived" : "was deleted");
            }
            world_fini();
        }
    }
}
