/*
 * Deletion, revocation and the destruction of objects that hold caps.
 *
 * The problem. Deleting the last cap to a CNode X must first delete every cap in
 * X. One of those may be the last cap to CNode Y, whose caps must go first, and
 * so on; the objects may form cycles (a CNode holding a cap to itself, a thread
 * whose CSpace holds the last cap to the thread). The kernel has a small fixed
 * stack, no heap, and must stop at any point when its work budget runs out
 * (cap/preempt.h) and continue later from what the objects record.
 *
 * Zombies (after seL4's, src/object/cnode.c). When the last cap to a CNode or TCB
 * is deleted, the cap is not removed: it becomes a zombie, which keeps the cap's
 * place in the derivation tree (so the untyped memory under the object cannot be
 * reset while it is being emptied) and records how far the emptying got: slots
 * [rem, n) of the object are empty. Nothing but deletion can use a zombie: it
 * cannot be invoked, copied, moved, or resolved through. A unit of work empties
 * the object's highest slot that may hold a cap; when none is left the zombie is
 * removed. Each unit is O(1).
 *
 * Two places for a zombie:
 *  - A ROOT zombie stays in the slot where the deleted cap was, as seL4 does at an
 *    "exposed" slot: Delete(S) leaves a ROOT in S until X is empty, and because it
 *    is in S, re-executing Delete(S) continues it. S may even lie inside X (the
 *    slot of the last cap to X is one of X's own): the zombie skips its own slot.
 *  - When emptying X finds the last cap to another CNode or TCB Y in slot t, Y's
 *    zombie is moved into Y's own slot 0 (trading places with whatever slot 0
 *    held, which lands in t, inside dying X, and is deleted next): an ELEMENT
 *    zombie. It is self-contained: its slot tells which object it destroys, so
 *    anyone who reaches it can finish it. seL4 stops here and leaves Y for a later
 *    revoke of its memory; Weft finishes Y eagerly. Every element is linked into a
 *    ring (the links live in the zombie's own 16 bytes) anchored in the reaper of
 *    the thread whose deletion met it: Delete and Revoke drain their reaper before
 *    they report success, so "deleting the last cap destroys the object and all it
 *    holds" holds at the return of every Delete and Revoke.
 *
 * Who else reaches a zombie, and what happens:
 *  - Revoke of the untyped under it: the zombie is in the untyped's subtree, so
 *    Revoke deletes it like any descendant: it finishes the element (unlinking it
 *    from whatever ring holds it) or the root. Revoke is therefore complete even
 *    when another thread's deletion was interrupted.
 *  - Emptying an object that contains the slot of another, interrupted, Delete
 *    (a ROOT): the ROOT becomes an element like any other and joins our ring.
 *  - Destroying a TCB hands its reaper's ring to ours (O(1) splice); destroying
 *    the current thread's own TCB leaves its ring without an owner, to be finished
 *    by a revoke of the memory (the thread will not run again to drain it).
 *
 * Invariants: at most one zombie per object, and no other cap to it (it was the
 * last); the slots of a zombie's object at or above its rem are empty, except
 * that a ROOT may sit in one of them; every element is in exactly one ring;
 * zombies are in the derivation tree, sentinels never are. Termination: every
 * unit removes a cap, lowers a rem, or turns a cap into a zombie (once per
 * object), so a bounded number of units empties everything.
 */
#include "cap/delete.h"

#include "cap/cdt.h"
#include "cap/preempt.h"
#include "mm/vm.h"
#include "obj/endpoint.h"
#include "obj/object.h"
#include "obj/tcb.h"

/* Sentinel flag: the reaper belongs to a dead thread and takes no more work. */
#define SENTINEL_DETACHED (1ull << 14)

/* --- rings ----------------------------------------------------------------- */

static void ring_set_prev(struct slot *s, struct slot *p)
{
    s->cap = cap_ring_set_prev(s->cap, p);
}

static void ring_set_next(struct slot *s, struct slot *n)
{
    s->cap = cap_ring_set_next(s->cap, n);
}

static void ring_unlink(struct slot *e)
{
    struct slot *p = cap_ring_prev(e->cap), *n = cap_ring_next(e->cap);
    ring_set_next(p, n);
    ring_set_prev(n, p);
    ring_set_prev(e, e);
    ring_set_next(e, e);
}

static bool reaper_detached(const struct reaper *r)
{
    return r->sentinel.cap.w0 & SENTINEL_DETACHED;
}

/* Links the element e (its links are ignored) into r's ring, or into a ring of
 * its own when r is NULL or detached. */
static void ring_insert(struct reaper *r, struct slot *e)
{
    ring_set_prev(e, e);
    ring_set_next(e, e);
    if (!r || reaper_detached(r))
        return;
    struct slot *s = &r->sentinel, *n = cap_ring_next(s->cap);
    ring_set_prev(e, s);
    ring_set_next(e, n);
    ring_set_next(s, e);
    ring_set_prev(n, e);
}

void reaper_init(struct reaper *r)
{
    r->sentinel.prev = r->sentinel.next = 0;
    r->sentinel.cap =
        cap_zombie_ring(ZOMBIE_SENTINEL, ZOMBIE_CNODE, 0, 0, &r->sentinel, &r->sentinel);
}

bool reaper_is_empty(const struct reaper *r)
{
    return cap_ring_next(r->sentinel.cap) == &r->sentinel;
}

void reaper_adopt(struct reaper *r, struct reaper *dying)
{
    struct slot *ds = &dying->sentinel;
    struct slot *first = cap_ring_next(ds->cap), *last = cap_ring_prev(ds->cap);
    if (first != ds) {
        if (r && r != dying && !reaper_detached(r)) {
            struct slot *s = &r->sentinel, *n = cap_ring_next(s->cap);
            ring_set_next(s, first);
            ring_set_prev(first, s);
            ring_set_next(last, n);
            ring_set_prev(n, last);
        } else {
            /* No owner: close the ring over its elements alone. */
            ring_set_next(last, first);
            ring_set_prev(first, last);
        }
    }
    reaper_init(dying);
    dying->sentinel.cap.w0 |= SENTINEL_DETACHED;
}

/* --- zombies ------------------------------------------------------------------ */

/* The slots of the object a zombie destroys, and how many there are. */
static struct slot *zombie_slots(enum zombie_kind kind, void *obj, unsigned radix, uint64_t *n)
{
    if (kind == ZOMBIE_TCB) {
        *n = WF_TCB_SLOT_COUNT;
        return ((struct tcb *)obj)->slots;
    }
    *n = 1ull << radix;
    return (struct slot *)obj;
}

/* Turns the final cap to a CNode or TCB into the fields of its zombie. */
static void zombie_of(struct cap c, enum zombie_kind *kind, unsigned *radix, void **obj)
{
    if (cap_type(c) == CAP_TCB) {
        *kind = ZOMBIE_TCB;
        *radix = 0;
    } else {
        assert(cap_type(c) == CAP_CNODE);
        *kind = ZOMBIE_CNODE;
        *radix = cap_cnode_radix(c);
    }
    *obj = cap_object(c);
}

/* Makes the object whose zombie (or last cap) is in slot t, inside an object being
 * emptied, an element: the zombie trades places with the object's slot 0 and
 * joins r's ring. Slots [top + 1, n) of the object must be empty. */
static void make_element(struct slot *t, enum zombie_kind kind, unsigned radix, void *obj,
                         uint64_t top, struct reaper *r)
{
    uint64_t n;
    bool pooled = cap_pooled(t->cap); /* the last cap or a ROOT zombie: both carry it */
    struct slot *home = zombie_slots(kind, obj, radix, &n);
    assert(top < n);
    cdt_swap(t, home);
    home->cap =
        cap_set_pooled(cap_zombie_ring(ZOMBIE_ELEMENT, kind, radix, top, home, home), pooled);
    ring_insert(r, home);
}

static void delete_step(struct slot *s, struct reaper *r, bool inner);

/* One unit of the ROOT zombie in s. */
static void root_step(struct slot *s, struct reaper *r)
{
    struct cap z = s->cap;
    uint64_t rem = cap_zombie_root_rem(z), n;
    struct slot *slots =
        zombie_slots(cap_zombie_kind(z), cap_zombie_root_object(z), cap_zombie_radix(z), &n);
    if (rem == 0) {
        cdt_remove(s);
        object_release(z, cap_zombie_root_object(z), r);
        return;
    }
    struct slot *t = &slots[rem - 1];
    if (t == s || slot_is_empty(t)) {
        s->cap.w1 = rem - 1;
        return;
    }
    delete_step(t, r, true);
}

/* One unit of the ELEMENT zombie in e (slot 0 of its object). */
static void element_step(struct slot *e, struct reaper *r)
{
    struct cap z = e->cap;
    uint64_t top = cap_ring_top(z), n;
    struct slot *slots = zombie_slots(cap_zombie_kind(z), e, cap_zombie_radix(z), &n);
    assert(slots == e && top < n);
    if (top == 0) {
        ring_unlink(e);
        cdt_remove(e);
        object_release(z, e, r);
        return;
    }
    struct slot *t = &slots[top];
    if (slot_is_empty(t)) {
        e->cap = cap_ring_set_top(z, top - 1);
        return;
    }
    delete_step(t, r, true);
}

/* One unit of deleting the cap in the non-empty slot s. inner: s lies inside an
 * object being emptied (so a new zombie there must become an element). */
static void delete_step(struct slot *s, struct reaper *r, bool inner)
{
    struct cap c = s->cap;
    if (cap_type(c) == CAP_ZOMBIE) {
        enum zombie_role role = cap_zombie_role(c);
        assert(role != ZOMBIE_SENTINEL);
        if (role == ZOMBIE_ELEMENT) {
            assert(!inner);
            element_step(s, r);
        } else if (!inner) {
            root_step(s, r);
        } else if (cap_zombie_root_rem(c) == 0) {
            cdt_remove(s);
            object_release(c, cap_zombie_root_object(c), r);
        } else {
            /* Another deletion's root lies in an object we empty: adopt it. */
            make_element(s, cap_zombie_kind(c), cap_zombie_radix(c), cap_zombie_root_object(c),
                         cap_zombie_root_rem(c) - 1, r);
        }
        return;
    }
    bool final = cdt_is_final(s);
    if (cap_type(c) == CAP_VSPACE) /* a thread may lose its VSpace (obj/tcb.h ipcbuf) */
        vm_unmap_epoch++;
    if (final && object_teardown(c) != WF_ERR_OK)
        return; /* a VM object's teardown was preempted: the next step continues it */
    if (final)
        object_finalize(c, r);
    if (!final || !object_holds_slots(c)) {
        cdt_remove(s);
        return;
    }
    enum zombie_kind kind;
    unsigned radix;
    void *obj;
    uint64_t n;
    zombie_of(c, &kind, &radix, &obj);
    zombie_slots(kind, obj, radix, &n);
    if (inner)
        make_element(s, kind, radix, obj, n - 1, r);
    else
        s->cap = cap_set_pooled(cap_zombie_root(kind, radix, obj, n), cap_pooled(c));
}

/* --- the operations ------------------------------------------------------------- */

enum wf_error reaper_drain(struct reaper *r)
{
    if (!r)
        return WF_ERR_OK;
    for (;;) {
        struct slot *e = cap_ring_next(r->sentinel.cap);
        if (e == &r->sentinel)
            return WF_ERR_OK;
        if (preempt_point())
            return WF_ERR_PREEMPTED;
        element_step(e, r);
    }
}

enum wf_error cap_delete(struct slot *s, struct reaper *r)
{
    while (!slot_is_empty(s)) {
        if (preempt_point())
            return WF_ERR_PREEMPTED;
        delete_step(s, r, false);
    }
    return reaper_drain(r);
}

enum wf_error cap_revoke(struct slot *s, struct reaper *r)
{
    while (!slot_is_empty(s) && cdt_has_children(s)) {
        if (preempt_point())
            return WF_ERR_PREEMPTED;
        delete_step(slot_next(s), r, false);
    }
    /* Revoking a badged endpoint cap takes back its badge: sends still queued
     * with it used caps that are gone now (seL4 pairs Revoke with
     * CancelBadgedSends; Weft does both in one). */
    struct cap c = s->cap;
    if (cap_type(c) == CAP_ENDPOINT && cap_badge(c) != WF_BADGE_NONE)
        endpoint_cancel_badged(cap_object(c), cap_badge(c));
    return reaper_drain(r);
}

void cap_delete_now(struct slot *s)
{
    struct cap c = s->cap;
    assert(cap_type(c) != CAP_ZOMBIE);
    if (cap_type(c) == CAP_VSPACE) /* as in delete_step */
        vm_unmap_epoch++;
    if (cdt_is_final(s)) {
        assert(!object_holds_slots(c));
        object_finalize(c, NULL);
    }
    cdt_remove(s);
}
