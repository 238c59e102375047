/*
 * CPtr resolution (the contract is in cap/cspace.h).
 *
 * One loop serves both lookups. Each iteration consumes a CNode's guard and radix,
 * at least one bit (radix >= 1), so at most 64 iterations run: the lookup is
 * bounded without a preemption point. Shifts are written so that no shift count
 * reaches 64 (undefined in C): bits are taken from the top of the unresolved part.
 */
#include "cap/cspace.h"

/* The n (0..64) bits of cptr just below bit position left (1..64). */
static uint64_t take_bits(uint64_t cptr, unsigned left, unsigned n)
{
    if (n == 0)
        return 0;
    uint64_t v = cptr >> (left - n);
    return n == 64 ? v : v & ((1ull << n) - 1);
}

static struct lookup_ret fail(enum wf_lookup_fault f, unsigned level, unsigned left)
{
    return (struct lookup_ret){NULL, f, level, left};
}

static struct lookup_ret resolve(struct cap root, uint64_t cptr, unsigned depth, bool exact)
{
    assert(depth >= 1 && depth <= 64);
    if (cap_type(root) != CAP_CNODE)
        return fail(WF_LOOKUP_FAULT_NOT_CNODE, 0, depth);
    struct cap node = root;
    unsigned left = depth;
    for (unsigned level = 0;; level++) {
        unsigned g = cap_cnode_guard_size(node), r = cap_cnode_radix(node);
        if (g > left || take_bits(cptr, left, g) != cap_cnode_guard(node))
            return fail(WF_LOOKUP_FAULT_GUARD_MISMATCH, level, left);
        if (g + r > left)
            return fail(WF_LOOKUP_FAULT_DEPTH_MISMATCH, level, left);
        struct slot *s = cap_cnode_slots(node) + take_bits(cptr, left - g, r);
        left -= g + r;
        struct cap c = s->cap;
        if (left == 0) {
            if (!exact && cap_is_null(c))
                return fail(WF_LOOKUP_FAULT_EMPTY_SLOT, level + 1, 0);
            return (struct lookup_ret){s, WF_LOOKUP_FAULT_NONE, level + 1, 0};
        }
        if (cap_type(c) == CAP_CNODE) {
            node = c;
            continue;
        }
        if (cap_is_null(c))
            return fail(WF_LOOKUP_FAULT_EMPTY_SLOT, level + 1, left);
        if (exact)
            return fail(WF_LOOKUP_FAULT_NOT_CNODE, level + 1, left);
        return (struct lookup_ret){s, WF_LOOKUP_FAULT_NONE, level + 1, left};
    }
}

struct lookup_ret cspace_lookup_slot(struct cap root, wf_cptr_t cptr, unsigned depth)
{
    return resolve(root, cptr, depth, true);
}

struct lookup_ret cspace_lookup_cap(struct cap root, wf_cptr_t cptr)
{
    return resolve(root, cptr, 64, false);
}
