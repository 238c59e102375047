/*
 * CNode invocations: the operations on the derivation tree as users see them.
 *
 * Every method names slots by (index, depth) paths: the destination (or only)
 * slot from the invoked CNode cap, the source from a CNode cap argument. Each
 * decoder looks up both, checks everything (emptiness, zombies, rights, badge and
 * guard data, untyped children), and only then acts through cap/cdt.h or
 * cap/delete.h. Semantics follow seL4 (seL4 Reference Manual, chapter 3):
 *  - rights only shrink (Copy and Mint intersect them with the source's);
 *  - a badge is set once: Mint may badge an unbadged endpoint or notification cap,
 *    never rebadge one; the newly badged cap is revocable on its own, so revoking
 *    it removes exactly the caps derived from it (that badge's holders);
 *  - guards are data of CNode caps, set by Mint and Mutate;
 *  - Move and Mutate keep the cap's place in the tree, as Swap keeps both;
 *  - zombies (objects being destroyed) can only be deleted;
 *  - Describe reports a slot's cap (type, rights, badge or guard, tree flags)
 *    without changing anything.
 */
#include "obj/cnode.h"

#include "cap/cdt.h"
#include "cap/delete.h"
#include "cap/invoke.h"

enum wf_error cnode_apply_guard(struct cap c, uint64_t data, struct cap *out)
{
    unsigned size = data & ((1u << WF_GUARD_SIZE_BITS) - 1);
    uint64_t value = data >> WF_GUARD_SIZE_BITS;
    unsigned radix = cap_cnode_radix(c);
    if (size + radix > 64 || (size < 64 && value >> size != 0))
        return WF_ERR_INVALID_ARGUMENT;
    *out = cap_set_pooled(cap_cnode_new(cap_cnode_slots(c), radix, value, size), cap_pooled(c));
    return WF_ERR_OK;
}

/* The cap derived from src by Copy (data_arg < 0) or Mint (data = args[data_arg]),
 * or the moved cap of Mutate (rights_arg < 0): *out on WF_ERR_OK. Data 0 keeps an
 * endpoint's or notification's badge; for a CNode cap the datum is always its new
 * guard (0: none), as in seL4. */
static enum wf_error derive(struct invocation *inv, struct cap src, int rights_arg, int data_arg,
                            struct cap *out)
{
    struct cap c = src;
    if (rights_arg >= 0) {
        uint64_t rights = inv->args[rights_arg];
        if (rights & ~WF_RIGHTS_ALL)
            return inv_error(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(rights_arg));
        c = cap_mask_rights(c, rights);
    }
    uint64_t data = data_arg >= 0 ? inv->args[data_arg] : 0;
    if (data_arg < 0 || (data == 0 && cap_type(c) != CAP_CNODE)) {
        *out = c;
        return WF_ERR_OK;
    }
    switch (cap_type(c)) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        /* A badge is set once, and only by Mint (Mutate keeps the tree shape). */
        if (cap_badge(c) != 0 || rights_arg < 0)
            return inv_error(inv, WF_ERR_ILLEGAL_OPERATION, INV_NONE);
        *out = cap_set_badge(c, data);
        return WF_ERR_OK;
    case CAP_CNODE:
        if (cnode_apply_guard(c, data, out) != WF_ERR_OK)
            return inv_error(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(data_arg));
        return WF_ERR_OK;
    default:
        return inv_error(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(data_arg));
    }
}

/* Looks up the destination (from the invoked CNode) and source (from cap 0)
 * paths of Copy, Mint, Move and Mutate, which share their first five
 * arguments; the destination must be empty and not the caller's null slot
 * (inv_dest_path), the source a live cap. */
static enum wf_error dest_and_source(struct invocation *inv, struct slot **dest, struct slot **src)
{
    static_assert(ARG_CNODE_MINT_DEST_INDEX == ARG_CNODE_COPY_DEST_INDEX &&
                      ARG_CNODE_MOVE_SRC_DEPTH == ARG_CNODE_COPY_SRC_DEPTH &&
                      ARG_CNODE_MUTATE_SRC_INDEX == ARG_CNODE_COPY_SRC_INDEX &&
                      ARG_CNODE_MINT_DEST_DEPTH == ARG_CNODE_COPY_DEST_DEPTH,
                  "CNode methods share the layout of their slot paths");
    enum wf_error e = inv_dest_path(inv, inv->slot->cap, WF_CAP_INVOKED, ARG_CNODE_COPY_DEST_INDEX,
                                    ARG_CNODE_COPY_DEST_DEPTH, dest);
    if (e != WF_ERR_OK)
        return e;
    e = inv_lookup_path(inv, inv->caps[XCAP_CNODE_COPY_SRC_ROOT]->cap, XCAP_CNODE_COPY_SRC_ROOT,
                        ARG_CNODE_COPY_SRC_INDEX, ARG_CNODE_COPY_SRC_DEPTH, src);
    if (e != WF_ERR_OK)
        return e;
    if (slot_is_empty(*src)) {
        struct lookup_ret lr = {NULL, WF_LOOKUP_FAULT_EMPTY_SLOT, 0, 0};
        return inv_fail_lookup(inv, XCAP_CNODE_COPY_SRC_ROOT, &lr);
    }
    if (cap_type((*src)->cap) == CAP_ZOMBIE)
        return inv_error(inv, WF_ERR_ILLEGAL_OPERATION, INV_NONE);
    return WF_ERR_OK;
}

/* Copy and Mint: decode, then insert the derived cap right after its source. */
static enum wf_error copy_or_mint(struct invocation *inv, int data_arg)
{
    struct slot *dest, *src;
    struct cap c;
    enum wf_error e = dest_and_source(inv, &dest, &src);
    if (e == WF_ERR_OK)
        e = derive(inv, src->cap, ARG_CNODE_COPY_RIGHTS, data_arg, &c);
    if (e != WF_ERR_OK)
        return e;
    if (cap_type(c) == CAP_UNTYPED && cdt_has_children(src))
        return inv_error(inv, WF_ERR_REVOKE_FIRST, INV_NONE);

    cdt_insert_derived(src, dest, c);
    if (cap_type(c) == CAP_UNTYPED) /* the copy takes over the free memory */
        src->cap = cap_untyped_set_watermark(src->cap, 1ull << cap_untyped_size_bits(c));
    return WF_ERR_OK;
}

enum wf_error cnode_decode_copy(struct invocation *inv)
{
    return copy_or_mint(inv, -1);
}

enum wf_error cnode_decode_mint(struct invocation *inv)
{
    static_assert(ARG_CNODE_MINT_RIGHTS == ARG_CNODE_COPY_RIGHTS, "Mint extends Copy");
    return copy_or_mint(inv, ARG_CNODE_MINT_DATA);
}

/* Move and Mutate: decode, then move the node. */
static enum wf_error move_or_mutate(struct invocation *inv, int data_arg)
{
    struct slot *dest, *src;
    struct cap c;
    enum wf_error e = dest_and_source(inv, &dest, &src);
    if (e == WF_ERR_OK)
        e = derive(inv, src->cap, -1, data_arg, &c);
    if (e != WF_ERR_OK)
        return e;

    cdt_move(src, dest, c);
    return WF_ERR_OK;
}

enum wf_error cnode_decode_move(struct invocation *inv)
{
    return move_or_mutate(inv, -1);
}

enum wf_error cnode_decode_mutate(struct invocation *inv)
{
    return move_or_mutate(inv, ARG_CNODE_MUTATE_DATA);
}

enum wf_error cnode_decode_swap(struct invocation *inv)
{
    struct slot *a, *b;
    enum wf_error e = inv_lookup_path(inv, inv->slot->cap, WF_CAP_INVOKED, ARG_CNODE_SWAP_A_INDEX,
                                      ARG_CNODE_SWAP_A_DEPTH, &a);
    if (e != WF_ERR_OK)
        return e;
    e = inv_lookup_path(inv, inv->caps[XCAP_CNODE_SWAP_B_ROOT]->cap, XCAP_CNODE_SWAP_B_ROOT,
                        ARG_CNODE_SWAP_B_INDEX, ARG_CNODE_SWAP_B_DEPTH, &b);
    if (e != WF_ERR_OK)
        return e;
    struct lookup_ret empty = {NULL, WF_LOOKUP_FAULT_EMPTY_SLOT, 0, 0};
    if (slot_is_empty(a))
        return inv_fail_lookup(inv, WF_CAP_INVOKED, &empty);
    if (slot_is_empty(b))
        return inv_fail_lookup(inv, XCAP_CNODE_SWAP_B_ROOT, &empty);
    if (a == b || cap_type(a->cap) == CAP_ZOMBIE || cap_type(b->cap) == CAP_ZOMBIE)
        return inv_error(inv, WF_ERR_ILLEGAL_OPERATION, INV_NONE);

    cdt_swap(a, b);
    return WF_ERR_OK;
}

/* Delete and Revoke: look up the one slot, then run op on it (preemptible). */
static enum wf_error on_slot(struct invocation *inv, unsigned index_arg, unsigned depth_arg,
                             enum wf_error (*op)(struct slot *, struct reaper *))
{
    struct slot *s;
    enum wf_error e =
        inv_lookup_path(inv, inv->slot->cap, WF_CAP_INVOKED, index_arg, depth_arg, &s);
    if (e != WF_ERR_OK)
        return e;

    return op(s, inv->reaper);
}

enum wf_error cnode_decode_delete(struct invocation *inv)
{
    return on_slot(inv, ARG_CNODE_DELETE_INDEX, ARG_CNODE_DELETE_DEPTH, cap_delete);
}

enum wf_error cnode_decode_revoke(struct invocation *inv)
{
    return on_slot(inv, ARG_CNODE_REVOKE_INDEX, ARG_CNODE_REVOKE_DEPTH, cap_revoke);
}

/* The data word CNode_Describe reports: a badge, a CNode's guard datum as Mint
 * takes it, or 0. */
static wf_word_t describe_data(struct cap c)
{
    switch (cap_type(c)) {
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
        return cap_badge(c);
    case CAP_CNODE:
        return WF_GUARD(cap_cnode_guard(c), cap_cnode_guard_size(c));
    default:
        return 0;
    }
}

enum wf_error cnode_decode_describe(struct invocation *inv)
{
    static_assert(CAP_ZOMBIE == WF_OBJ_DYING, "a zombie is described as WF_OBJ_DYING");
    struct slot *s;
    enum wf_error e = inv_lookup_path(inv, inv->slot->cap, WF_CAP_INVOKED, ARG_CNODE_DESCRIBE_INDEX,
                                      ARG_CNODE_DESCRIBE_DEPTH, &s);
    if (e != WF_ERR_OK)
        return e;

    /* An empty slot and a zombie (its words are ring links, and it has no
     * children) report their type alone. */
    struct cap c = s->cap;
    inv->reply[RES_CNODE_DESCRIBE_TYPE] = cap_type(c);
    if (slot_is_empty(s) || cap_type(c) == CAP_ZOMBIE) {
        inv->reply[RES_CNODE_DESCRIBE_RIGHTS] = 0;
        inv->reply[RES_CNODE_DESCRIBE_DATA] = 0;
        inv->reply[RES_CNODE_DESCRIBE_FLAGS] = 0;
        return WF_ERR_OK;
    }
    inv->reply[RES_CNODE_DESCRIBE_RIGHTS] = cap_rights(c);
    inv->reply[RES_CNODE_DESCRIBE_DATA] = describe_data(c);
    inv->reply[RES_CNODE_DESCRIBE_FLAGS] = (cdt_has_children(s) ? WF_DESCRIBE_HAS_CHILDREN : 0) |
                                           (slot_revocable(s) ? WF_DESCRIBE_ORIGINAL : 0);
    return WF_ERR_OK;
}
