/*
 * Invocation dispatch: the generic checks of the decode table, then the object's
 * decoder (the contract is in cap/invoke.h).
 */
#include "cap/invoke.h"

#include "mm/slab.h"

enum wf_error inv_fail(struct invocation *inv, enum wf_error e, unsigned n, wf_word_t d0,
                       wf_word_t d1, wf_word_t d2, wf_word_t d3)
{
    const wf_word_t d[4] = {d0, d1, d2, d3};
    assert(n <= 4 && e != WF_ERR_OK);
    for (unsigned i = 0; i < n; i++)
        inv->reply[i] = d[i];
    inv->nreply = n;
    return e;
}

enum wf_error inv_error(struct invocation *inv, enum wf_error e, struct inv_arg a)
{
    switch (e) {
    case WF_ERR_OK:
        inv->nreply = 0;
        return e;
    case WF_ERR_INVALID_ARGUMENT:
    case WF_ERR_INVALID_CAPABILITY:
        return inv_fail(inv, e, 1, a.index, 0, 0, 0);
    case WF_ERR_RANGE_ERROR:
        assert(a.min <= a.max);
        return inv_fail(inv, e, 3, a.index, a.min, a.max, 0);
    case WF_ERR_NOT_ENOUGH_MEMORY:
        return inv_fail(inv, e, 1, a.free, 0, 0, 0);
    default:
        return inv_fail(inv, e, 0, 0, 0, 0, 0);
    }
}

enum wf_error inv_fail_range(struct invocation *inv, unsigned arg, wf_word_t min, wf_word_t max)
{
    return inv_error(inv, WF_ERR_RANGE_ERROR, INV_RANGE(arg, min, max));
}

enum wf_error inv_fail_lookup(struct invocation *inv, wf_word_t root, const struct lookup_ret *lr)
{
    return inv_fail(inv, WF_ERR_FAILED_LOOKUP, 4, root, lr->fault, lr->level, lr->bits_left);
}

enum wf_error inv_lookup_path(struct invocation *inv, struct cap root, wf_word_t root_id,
                              unsigned index_arg, unsigned depth_arg, struct slot **out)
{
    wf_word_t depth = inv->args[depth_arg];
    if (depth < 1 || depth > 64)
        return inv_fail_range(inv, depth_arg, 1, 64);
    struct lookup_ret lr = cspace_lookup_slot(root, inv->args[index_arg], (unsigned)depth);
    if (!lr.slot)
        return inv_fail_lookup(inv, root_id, &lr);
    *out = lr.slot;
    return WF_ERR_OK;
}

bool inv_slot_reserved(struct cap cspace, const struct slot *s)
{
    return cap_type(cspace) == CAP_CNODE && s == cap_cnode_slots(cspace);
}

enum wf_error inv_dest_path(struct invocation *inv, struct cap root, wf_word_t root_id,
                            unsigned index_arg, unsigned depth_arg, struct slot **dest)
{
    enum wf_error e = inv_lookup_path(inv, root, root_id, index_arg, depth_arg, dest);
    if (e != WF_ERR_OK)
        return e;
    if (inv_slot_reserved(inv->cspace, *dest))
        return inv_error(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(index_arg));
    if (!slot_is_empty(*dest))
        return inv_error(inv, WF_ERR_DELETE_FIRST, INV_NONE);
    return WF_ERR_OK;
}

enum wf_error inv_dest_slot(struct invocation *inv, unsigned root_cap, unsigned index_arg,
                            unsigned depth_arg, struct slot **dest)
{
    return inv_dest_path(inv, inv->caps[root_cap]->cap, root_cap, index_arg, depth_arg, dest);
}

unsigned cap_invoke_xcaps(wf_word_t label, unsigned given)
{
    if (label > WF_LABEL_MAX || !decode_table[label].decode)
        return 0;
    return MIN(given, decode_table[label].ncaps);
}

enum wf_error cap_invoke(struct invocation *inv)
{
    inv->nreply = 0;
    /* Not part of this operation: the memory of TCBs destroyed by earlier
     * invocations of their own returns now, before the decode. */
    pool_kobj_drain(inv->reaper);
    struct cap c = inv->slot->cap;
    if (cap_is_null(c) || cap_type(c) == CAP_ZOMBIE)
        return inv_fail(inv, WF_ERR_INVALID_CAPABILITY, 1, WF_CAP_INVOKED, 0, 0, 0);
    if (inv->label > WF_LABEL_MAX)
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    const struct decode_entry *e = &decode_table[inv->label];
    if (!e->decode || e->object != cap_type(c))
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    if (inv->nargs < e->nwords || inv->ncaps < e->ncaps)
        return inv_fail(inv, WF_ERR_TRUNCATED_MESSAGE, 2, e->nwords, e->ncaps, 0, 0);
    for (unsigned i = 0; i < e->ncaps; i++) {
        struct cap x = inv->caps[i]->cap;
        bool bad = cap_is_null(x) || cap_type(x) == CAP_ZOMBIE ||
                   (e->cap_type[i] && cap_type(x) != e->cap_type[i]) ||
                   (e->cap_rights[i] & ~cap_rights(x));
        if (bad)
            return inv_fail(inv, WF_ERR_INVALID_CAPABILITY, 1, i, 0, 0, 0);
    }
    enum wf_error r = e->decode(inv);
    if (r == WF_ERR_OK)
        inv->nreply = e->nresults;
    return r;
}
