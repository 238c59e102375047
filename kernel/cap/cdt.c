/*
 * The capability derivation tree.
 *
 * Design. The tree is not stored as a tree: there is no room in a 32-byte slot for
 * parent, child and sibling pointers, and a kernel without a heap cannot allocate
 * nodes elsewhere. As in seL4 (Elkaduwe, Derrin, Elphinstone, "Verified protection
 * model of the seL4 microkernel", 2008; seL4 src/object/cnode.c), the slots are
 * chained in one doubly linked list in depth-first order, and the shape is implied:
 * the descendants of node a are the longest run of nodes after a for which
 * cdt_is_parent_of(a, x) holds. That predicate needs a's "revocable" flag (only
 * original caps, newly badged caps and Untyped caps can have children), the caps'
 * regions (an Untyped contains every object retyped from it) and, for badged
 * endpoints and notifications, the badges and the "first badged" flag (a newly
 * badged cap starts a subtree of its own, even under an earlier cap with its badge).
 *
 * Invariants (checked by the host tests against an explicit tree):
 *  - the caps to one object are contiguous in the list, but a pool's: what
 *    Pool_Create makes is inserted right after the pool's original cap, before
 *    the copies made earlier, so a pool counts its caps (inserted and removed
 *    here) and cdt_is_final asks the count (decision 111);
 *  - a node's descendants follow it contiguously;
 *  - inserting a derived cap right after its source makes it the source's first
 *    child, or (when the source is not revocable, so has no children) its sibling;
 *  - removing a node reparents its children to its parent.
 *  - IRQControl and IOPort caps derived by Copy are not revocable (they have no
 *    children), so what IRQControl_Get or IOPort_Issue makes from a copy lands
 *    under the revocable cap the copy came from. IOPort ranges may overlap, and a
 *    revocable issued range inserted after its parent would adopt the parent's
 *    earlier, narrower children; so issued ranges are leaves too (decision 065). The subtle case is a
 *    badged child whose parent is removed while an earlier sibling has its badge:
 *    cdt_remove passes the first-badged flag on to the next node so the sibling
 *    does not adopt it (seL4 emptySlot does the same).
 *
 * Every operation is O(1). Walking a subtree (revoke) happens in kernel/cap/delete.c
 * one node at a time, with preemption points.
 */
#include "cap/cdt.h"

#include "arch/memlayout.h"
#include "obj/pool.h"

/* Where the object of a slot's cap lives (kernel address), for region tests. An
 * element zombie lives in slot 0 of its object, which is at the object's base. */
static const void *slot_object(const struct slot *s)
{
    struct cap c = s->cap;
    if (cap_type(c) != CAP_ZOMBIE)
        return cap_object(c);
    if (cap_zombie_role(c) == ZOMBIE_ROOT)
        return cap_zombie_root_object(c);
    if (cap_zombie_role(c) == ZOMBIE_ELEMENT)
        return s;
    return NULL;
}

bool cdt_same_region(const struct slot *a, const struct slot *b)
{
    struct cap ca = a->cap, cb = b->cap;
    enum cap_type ta = cap_type(ca), tb = cap_type(cb);
    if (ta == CAP_NULL || tb == CAP_NULL || ta == CAP_ZOMBIE)
        return false;
    if (ta == CAP_UNTYPED) {
        paddr_t base = cap_untyped_paddr(ca);
        paddr_t end = base + (1ull << cap_untyped_size_bits(ca));
        if (tb == CAP_UNTYPED) {
            paddr_t bb = cap_untyped_paddr(cb);
            return bb >= base && bb + (1ull << cap_untyped_size_bits(cb)) <= end;
        }
        const void *obj = slot_object(b);
        if (!obj)
            return false;
        paddr_t pa = virt_to_phys(obj);
        return pa >= base && pa < end;
    }
    if (ta == CAP_POOL)
        return pool_contains(cap_object(ca), cb, slot_object(b));
    if (ta == CAP_IRQ_CONTROL) /* every line's handler is in the control's region */
        return tb == CAP_IRQ_CONTROL || tb == CAP_IRQ_HANDLER;
    if (ta == CAP_IRQ_HANDLER)
        return tb == CAP_IRQ_HANDLER && cap_irq_handler_line(ca) == cap_irq_handler_line(cb);
    if (ta == CAP_IOPORT) /* a port range contains the ranges inside it */
        return tb == CAP_IOPORT && cap_ioport_first(cb) >= cap_ioport_first(ca) &&
               cap_ioport_last(cb) <= cap_ioport_last(ca);
    if (ta != tb || cap_object(ca) != cap_object(cb))
        return false;
    return ta != CAP_CNODE || cap_cnode_radix(ca) == cap_cnode_radix(cb);
}

bool cdt_same_object(const struct slot *a, const struct slot *b)
{
    enum cap_type ta = cap_type(a->cap);
    if (ta == CAP_UNTYPED || ta == CAP_IRQ_CONTROL || ta == CAP_IOPORT)
        return false;   /* nothing to finalize: every cap is its own "object" */
    if (ta == CAP_POOL) /* a pool's region holds what was made from it */
        return cap_type(b->cap) == CAP_POOL && cap_object(a->cap) == cap_object(b->cap);
    return cdt_same_region(a, b);
}

bool cdt_is_parent_of(const struct slot *a, const struct slot *b)
{
    if (!slot_revocable(a) || !cdt_same_region(a, b))
        return false;
    if (!cap_has_badge(a->cap) || cap_badge(a->cap) == 0)
        return true;
    return cap_badge(b->cap) == cap_badge(a->cap) && !slot_first_badged(b);
}

bool cdt_has_children(const struct slot *s)
{
    const struct slot *n = slot_next(s);
    return n && cdt_is_parent_of(s, n);
}

bool cdt_is_final(const struct slot *s)
{
    if (cap_type(s->cap) == CAP_ZOMBIE)
        return true;
    if (cap_type(s->cap) == CAP_POOL) /* not adjacent: counted (obj/pool.h) */
        return ((const struct pool *)cap_object(s->cap))->caps == 1;
    const struct slot *p = slot_prev(s), *n = slot_next(s);
    return !(p && cdt_same_object(s, p)) && !(n && cdt_same_object(s, n));
}

bool cdt_derived_is_revocable(struct cap c, struct cap src)
{
    switch (cap_type(c)) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        return cap_badge(c) != cap_badge(src);
    case CAP_UNTYPED:
        return true;
    default:
        return false;
    }
}

/* Links the empty slot dest into the list right after at (at may be NULL: then
 * dest has no neighbours) with the given flags and cap. */
static void link_after(struct slot *at, struct slot *dest, struct cap c, uint64_t flags)
{
    assert(slot_is_empty(dest) && !cap_is_null(c));
    struct slot *n = at ? slot_next(at) : NULL;
    dest->cap = c;
    dest->prev = (uintptr_t)at;
    dest->next = (uintptr_t)n | flags;
    if (at)
        slot_set_next(at, dest);
    if (n)
        slot_set_prev(n, dest);
    if (cap_type(c) == CAP_POOL)
        pool_cap_added(cap_object(c));
}

void cdt_insert_root(struct slot *dest, struct cap c)
{
    link_after(NULL, dest, c, SLOT_REVOCABLE | SLOT_FIRST_BADGED);
}

void cdt_insert_new(struct slot *parent, struct slot *dest, struct cap c)
{
    link_after(parent, dest, c, SLOT_REVOCABLE | SLOT_FIRST_BADGED);
}

void cdt_insert_derived(struct slot *src, struct slot *dest, struct cap c)
{
    bool rev = cdt_derived_is_revocable(c, src->cap);
    link_after(src, dest, c, rev ? SLOT_REVOCABLE | SLOT_FIRST_BADGED : 0);
}

void cdt_move(struct slot *src, struct slot *dest, struct cap c)
{
    assert(slot_is_empty(dest) && !slot_is_empty(src) && src != dest);
    struct slot *p = slot_prev(src), *n = slot_next(src);
    dest->cap = c;
    dest->prev = src->prev;
    dest->next = src->next;
    if (p)
        slot_set_next(p, dest);
    if (n)
        slot_set_prev(n, dest);
    src->cap = cap_null();
    src->prev = src->next = 0;
}

/* The slot that takes x's place when a and b trade places. */
static struct slot *swapped(struct slot *x, struct slot *a, struct slot *b)
{
    return x == a ? b : x == b ? a : x;
}

void cdt_swap(struct slot *a, struct slot *b)
{
    if (a == b)
        return;
    if (slot_is_empty(a) || slot_is_empty(b)) {
        if (!slot_is_empty(a))
            cdt_move(a, b, a->cap);
        else if (!slot_is_empty(b))
            cdt_move(b, a, b->cap);
        return;
    }
    struct cap ca = a->cap;
    struct slot *ap = slot_prev(a), *an = slot_next(a), *bp = slot_prev(b), *bn = slot_next(b);
    uint64_t af = a->next & SLOT_FLAGS, bf = b->next & SLOT_FLAGS;
    /* a takes b's place and b takes a's; references to a or b among the
     * neighbours (adjacent nodes) are translated too. */
    a->cap = b->cap;
    b->cap = ca;
    a->prev = (uintptr_t)swapped(bp, a, b);
    a->next = (uintptr_t)swapped(bn, a, b) | bf;
    b->prev = (uintptr_t)swapped(ap, a, b);
    b->next = (uintptr_t)swapped(an, a, b) | af;
    struct slot *s[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (slot_prev(s[i]))
            slot_set_next(slot_prev(s[i]), s[i]);
        if (slot_next(s[i]))
            slot_set_prev(slot_next(s[i]), s[i]);
    }
}

void cdt_remove(struct slot *s)
{
    assert(!slot_is_empty(s));
    struct slot *p = slot_prev(s), *n = slot_next(s);
    if (p)
        slot_set_next(p, n);
    if (n) {
        slot_set_prev(n, p);
        n->next |= s->next & SLOT_FIRST_BADGED;
    }
    struct cap c = s->cap;
    s->cap = cap_null();
    s->prev = s->next = 0;
    if (cap_type(c) == CAP_POOL) /* last: this may free the pool */
        pool_cap_removed(cap_object(c));
}
