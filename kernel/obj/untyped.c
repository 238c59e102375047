/*
 * Untyped memory and Retype (seL4's rules; seL4 src/object/untyped.c).
 *
 * An Untyped cap names a 2^n-byte, 2^n-aligned physical range and carries a
 * watermark: the offset below which memory may be in use. Invariant: memory at or
 * above the watermark is zero (RAM). Retype carves each object from above the
 * watermark, aligned to its own size, and moves the watermark past the last one;
 * the objects' caps become children of the untyped's cap in the derivation tree.
 *
 * Reuse. The kernel never tracks which objects of an untyped are alive: while the
 * cap has children, some may be, and the watermark only grows. Once it has none
 * (every object's caps were deleted, typically by revoking the untyped), nothing
 * can refer to the memory, so the next Retype resets it: zeroes [0, watermark) in
 * chunks from the top with a preemption point each, lowering the watermark after
 * each chunk (a restart continues from there; the invariant holds throughout),
 * then allocates from 0. Boot hands out untyped caps with the watermark at the top
 * (untyped_boot_cap), so boot never zeroes memory itself.
 *
 * Copies. The watermark lives in the cap, so two caps to one range must not both
 * allocate (seL4's GitHub issue #619). Copying an Untyped cap needs it to have no children
 * (REVOKE_FIRST); the copy becomes its child, and the source's watermark moves to
 * the top, so allocation continues through the copy only. Revoking the source
 * deletes the copy and everything made from it, and the source resets on its next
 * Retype (docs/decisions/023-untyped-copies-and-boot-watermark.md).
 *
 * Device untyped (MMIO) is never zeroed and makes only Untyped children here; Pool_CreateDevice
 * makes physical VMOs over it.
 */
#include "obj/untyped.h"

#include "arch.h"
#include "arch/memlayout.h"
#include "cap/cdt.h"
#include "cap/invoke.h"
#include "cap/preempt.h"
#include "lib/string.h"
#include "obj/object.h"

struct cap untyped_boot_cap(paddr_t paddr, unsigned size_bits, bool device)
{
    return cap_untyped_new(paddr, size_bits, device, device ? 0 : 1ull << size_bits);
}

enum wf_error untyped_reset(struct slot *s)
{
    struct cap c = s->cap;
    assert(cap_type(c) == CAP_UNTYPED && !cdt_has_children(s));
    if (cap_untyped_is_device(c)) {
        s->cap = cap_untyped_set_watermark(c, 0);
        return WF_ERR_OK;
    }
    paddr_t base = cap_untyped_paddr(c);
    uint64_t wm = cap_untyped_watermark(c);
    while (wm > 0) {
        if (preempt_point())
            return WF_ERR_PREEMPTED;
        uint64_t start = (wm - 1) & ~((1ull << UNTYPED_RESET_CHUNK_BITS) - 1);
        uint64_t words = (wm - start) & ~7ull; /* the architecture's zeroing, then a tail */
        arch_phys_zero(base + start, words);
        memset(phys_to_virt(base + start + words), 0, wm - start - words);
        wm = start;
        s->cap = cap_untyped_set_watermark(s->cap, wm);
    }
    return WF_ERR_OK;
}

/* Bytes Retype may still use: all of them when a reset would come first. */
static uint64_t untyped_free_from(const struct slot *s)
{
    return cdt_has_children(s) ? cap_untyped_watermark(s->cap) : 0;
}

/* A Retype decoded: count objects of type at offset at of the untyped in slot us,
 * into the empty slots dest[0 .. count). */
struct retype_op {
    struct slot *us;
    struct slot *dest;
    uint64_t type, count, at;
    unsigned size_bits, obj_bits;
};

/* Checks every argument of Retype and fills *op: WF_ERR_OK, or the error (with its
 * details) and nothing changed. */
static enum wf_error retype_check(struct invocation *inv, struct retype_op *op)
{
    struct slot *us = inv->slot;
    struct cap ut = us->cap;
    uint64_t type = inv->args[ARG_UNTYPED_RETYPE_TYPE];
    uint64_t size_bits = inv->args[ARG_UNTYPED_RETYPE_SIZE_BITS];
    uint64_t depth = inv->args[ARG_UNTYPED_RETYPE_NODE_DEPTH];
    uint64_t offset = inv->args[ARG_UNTYPED_RETYPE_NODE_OFFSET];
    uint64_t count = inv->args[ARG_UNTYPED_RETYPE_COUNT];
    uint64_t min, max;

    if (!object_type_valid(type))
        return inv_error(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(ARG_UNTYPED_RETYPE_TYPE));
    if (object_check_size(type, size_bits, &min, &max) != WF_ERR_OK)
        return inv_error(inv, WF_ERR_RANGE_ERROR,
                         INV_RANGE(ARG_UNTYPED_RETYPE_SIZE_BITS, min, max));
    if (cap_untyped_is_device(ut) && type != WF_OBJ_UNTYPED)
        return inv_error(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(ARG_UNTYPED_RETYPE_TYPE));

    /* The destination CNode: the root cap itself, or a CNode cap found from it. */
    struct cap node = inv->caps[XCAP_UNTYPED_RETYPE_ROOT]->cap;
    if (depth > 64)
        return inv_error(inv, WF_ERR_RANGE_ERROR, INV_RANGE(ARG_UNTYPED_RETYPE_NODE_DEPTH, 0, 64));
    if (depth > 0) {
        struct lookup_ret lr =
            cspace_lookup_slot(node, inv->args[ARG_UNTYPED_RETYPE_NODE_INDEX], (unsigned)depth);
        if (lr.slot && cap_type(lr.slot->cap) != CAP_CNODE) {
            lr.fault =
                cap_is_null(lr.slot->cap) ? WF_LOOKUP_FAULT_EMPTY_SLOT : WF_LOOKUP_FAULT_NOT_CNODE;
            lr.slot = NULL;
        }
        if (!lr.slot)
            return inv_fail_lookup(inv, XCAP_UNTYPED_RETYPE_ROOT, &lr);
        node = lr.slot->cap;
    }
    uint64_t nslots = 1ull << cap_cnode_radix(node);
    if (offset >= nslots)
        return inv_error(inv, WF_ERR_RANGE_ERROR,
                         INV_RANGE(ARG_UNTYPED_RETYPE_NODE_OFFSET, 0, nslots - 1));
    if (count < 1 || count > WF_RETYPE_FANOUT_MAX)
        return inv_error(inv, WF_ERR_RANGE_ERROR,
                         INV_RANGE(ARG_UNTYPED_RETYPE_COUNT, 1, WF_RETYPE_FANOUT_MAX));
    if (count > nslots - offset)
        return inv_error(inv, WF_ERR_RANGE_ERROR,
                         INV_RANGE(ARG_UNTYPED_RETYPE_COUNT, 1, nslots - offset));
    struct slot *dest = cap_cnode_slots(node) + offset;
    for (uint64_t i = 0; i < count; i++)
        if (inv_slot_reserved(inv->cspace, &dest[i]))
            return inv_error(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(ARG_UNTYPED_RETYPE_NODE_OFFSET));
    for (uint64_t i = 0; i < count; i++)
        if (!slot_is_empty(&dest[i]))
            return inv_fail(inv, WF_ERR_DELETE_FIRST, 1, offset + i, 0, 0, 0);

    unsigned ut_bits = cap_untyped_size_bits(ut);
    unsigned obj_bits = object_size_bits(type, (unsigned)size_bits);
    uint64_t free_from = untyped_free_from(us);
    uint64_t avail = (1ull << ut_bits) - free_from;
    if (obj_bits > ut_bits || (avail >> obj_bits) < count)
        return inv_error(inv, WF_ERR_NOT_ENOUGH_MEMORY, INV_FREE(avail));
    /* Objects fit aligned: the untyped's end is aligned to the object size. */
    *op = (struct retype_op){.us = us,
                             .dest = dest,
                             .type = type,
                             .count = count,
                             .at = ALIGN_UP(free_from, 1ull << obj_bits),
                             .size_bits = (unsigned)size_bits,
                             .obj_bits = obj_bits};
    return WF_ERR_OK;
}

/* Decodes Retype: checks everything, then takes the memory, which for an untyped
 * without children means resetting it first. The reset is the one step that may
 * stop (WF_ERR_PREEMPTED) and it leaves a consistent, smaller watermark: the
 * restart decodes again and finds the same answers. */
static enum wf_error retype_decode(struct invocation *inv, struct retype_op *op)
{
    enum wf_error e = retype_check(inv, op);
    if (e == WF_ERR_OK && !cdt_has_children(op->us))
        e = untyped_reset(op->us);
    return e;
}

/* Makes the objects and places their caps: cannot fail. */
static void retype_invoke(const struct retype_op *op)
{
    struct slot *us = op->us;
    bool device = cap_untyped_is_device(us->cap);
    paddr_t base = cap_untyped_paddr(us->cap);
    us->cap = cap_untyped_set_watermark(us->cap, op->at + (op->count << op->obj_bits));
    for (uint64_t i = 0; i < op->count; i++) {
        paddr_t pa = base + op->at + (i << op->obj_bits);
        cdt_insert_new(us, &op->dest[i], object_create(op->type, op->size_bits, pa, device));
    }
}

enum wf_error untyped_decode_retype(struct invocation *inv)
{
    struct retype_op op;
    enum wf_error e = retype_decode(inv, &op);
    if (e == WF_ERR_OK)
        retype_invoke(&op);
    return e;
}

enum wf_error untyped_decode_describe(struct invocation *inv)
{
    struct cap ut = inv->slot->cap;
    unsigned bits = cap_untyped_size_bits(ut);
    inv->reply[RES_UNTYPED_DESCRIBE_PADDR] = cap_untyped_paddr(ut);
    inv->reply[RES_UNTYPED_DESCRIBE_SIZE_BITS] = bits;
    inv->reply[RES_UNTYPED_DESCRIBE_DEVICE] = cap_untyped_is_device(ut);
    inv->reply[RES_UNTYPED_DESCRIBE_FREE_BYTES] = (1ull << bits) - untyped_free_from(inv->slot);
    return WF_ERR_OK;
}
