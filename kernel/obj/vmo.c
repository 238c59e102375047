/*
 * VMO invocations: the decoders of Read, Write, Resize, Clone, Describe and
 * Present. The memory object itself (its tree, clones, resizing, destruction) is
 * kernel/mm/vmo_mem.c.
 */
#include "obj/vmo.h"

#include "cap/invoke.h"
#include "cap/preempt.h"
#include "obj/pool.h"
#include "obj/vspace.h"

struct vmo *vmo_from_cap(struct cap c)
{
    return cap_type(c) == CAP_VMO ? cap_object(c) : NULL;
}

static enum wf_error vmo_fail(struct invocation *inv, enum wf_error e, struct inv_arg a)
{
    return pool_inv_fail(inv, e, a, vmo_from_cap(inv->slot->cap)->pool);
}

/* VMO_Read / VMO_Write: between the VMO and a VSpace, through a small buffer. */
static enum wf_error vmo_io(struct invocation *inv, bool to_vmo)
{
    static_assert(ARG_VMO_READ_OFFSET == ARG_VMO_WRITE_OFFSET &&
                      ARG_VMO_READ_LEN == ARG_VMO_WRITE_LEN &&
                      ARG_VMO_READ_VADDR == ARG_VMO_WRITE_VADDR &&
                      XCAP_VMO_READ_VSPACE == XCAP_VMO_WRITE_VSPACE,
                  "VMO_Read and VMO_Write share their layout");
    struct vmo *v = vmo_from_cap(inv->slot->cap);
    uint64_t off = inv->args[ARG_VMO_READ_OFFSET], len = inv->args[ARG_VMO_READ_LEN];
    vaddr_t va = inv->args[ARG_VMO_READ_VADDR];
    struct vspace *vs = vspace_from_cap(inv->caps[XCAP_VMO_READ_VSPACE]->cap);
    uint64_t need = to_vmo ? WF_RIGHT_WRITE : WF_RIGHT_READ;
    if ((cap_rights(inv->slot->cap) & need) != need)
        return inv_fail(inv, WF_ERR_INVALID_CAPABILITY, 1, WF_CAP_INVOKED, 0, 0, 0);
    if (v->device) /* the kernel never touches device memory */
        return inv_fail(inv, WF_ERR_INVALID_ARGUMENT, 1, WF_CAP_INVOKED, 0, 0, 0);
    if (off > v->size)
        return vmo_fail(inv, WF_ERR_RANGE_ERROR, INV_RANGE(ARG_VMO_READ_OFFSET, 0, v->size));
    if (len > v->size - off)
        return vmo_fail(inv, WF_ERR_RANGE_ERROR, INV_RANGE(ARG_VMO_READ_LEN, 0, v->size - off));
    if (v->dying)
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    /* Invoke: VM_COPY_UNIT bytes per unit, restartable (decision 088). */
    const uint64_t key[4] = {inv->label, off, len, va};
    uint64_t done = vm_copy_resume(&v->copy, key, vs);
    /* One bounce buffer for the kernel: one CPU runs kernel code at a time (the
     * kernel lock, decision 129) and nothing in it outlives this loop. A page a
     * step: one walk of each side per page rather than per few hundred bytes. */
    static uint8_t buf[PAGE_SIZE];
    while (done < len) {
        if (done % VM_COPY_UNIT == 0 && preempt_point()) {
            vm_copy_save(&v->copy, key, vs, done);
            return WF_ERR_PREEMPTED;
        }
        size_t n = (size_t)MIN(len - done, sizeof(buf));
        enum wf_error e;
        if (to_vmo) {
            e = vspace_read(vs, va + done, buf, n);
            if (e == WF_ERR_OK)
                e = vmo_write(v, off + done, buf, n);
        } else {
            vmo_read(v, off + done, buf, n);
            e = vspace_write(vs, va + done, buf, n);
        }
        if (e != WF_ERR_OK) { /* INVALID_ARGUMENT: a byte at vaddr; or no memory */
            vm_copy_save(&v->copy, key, vs, 0);
            return vmo_fail(inv, e, INV_ARG(ARG_VMO_READ_VADDR));
        }
        done += n;
    }
    vm_copy_save(&v->copy, key, vs, 0);
    return WF_ERR_OK;
}

enum wf_error vmo_decode_read(struct invocation *inv)
{
    return vmo_io(inv, false);
}

enum wf_error vmo_decode_write(struct invocation *inv)
{
    return vmo_io(inv, true);
}

enum wf_error vmo_decode_resize(struct invocation *inv)
{
    struct vmo *v = vmo_from_cap(inv->slot->cap);
    uint64_t size = inv->args[ARG_VMO_RESIZE_SIZE];
    if (v->kind == VMO_PHYS || v->dying || !(cap_rights(inv->slot->cap) & WF_RIGHT_WRITE))
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    if (!IS_ALIGNED(size, PAGE_SIZE))
        return inv_fail(inv, WF_ERR_ALIGNMENT_ERROR, 0, 0, 0, 0, 0);
    if (size == 0 || size > (1ull << WF_VMO_MAX_BITS))
        return vmo_fail(inv, WF_ERR_RANGE_ERROR,
                        INV_RANGE(ARG_VMO_RESIZE_SIZE, PAGE_SIZE, 1ull << WF_VMO_MAX_BITS));
    return vmo_fail(inv, vmo_resize(v, size), INV_ARG(ARG_VMO_RESIZE_SIZE));
}

enum wf_error vmo_decode_clone(struct invocation *inv)
{
    struct vmo *v = vmo_from_cap(inv->slot->cap);
    if (!(cap_rights(inv->slot->cap) & WF_RIGHT_READ))
        return inv_fail(inv, WF_ERR_INVALID_CAPABILITY, 1, WF_CAP_INVOKED, 0, 0, 0);
    if (v->dying)
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    struct slot *ps = inv->caps[XCAP_VMO_CLONE_POOL];
    if (!slot_revocable(ps) || pool_from_cap(ps->cap)->dead)
        return inv_fail(inv, WF_ERR_INVALID_CAPABILITY, 1, XCAP_VMO_CLONE_POOL, 0, 0, 0);
    struct slot *dest;
    enum wf_error e = inv_dest_slot(inv, XCAP_VMO_CLONE_DEST_ROOT, ARG_VMO_CLONE_DEST_INDEX,
                                    ARG_VMO_CLONE_DEST_DEPTH, &dest);
    if (e != WF_ERR_OK)
        return e;
    struct vmo_clone_op op;
    e = vmo_clone_decode(v, ps, dest, &op);
    if (e != WF_ERR_OK)
        return vmo_fail(inv, e, INV_ARG(0));
    return vmo_clone_invoke(&op); /* OK, or PREEMPTED: re-executed, it continues */
}

enum wf_error vmo_decode_describe(struct invocation *inv)
{
    struct vmo *v = vmo_from_cap(inv->slot->cap);
    inv->reply[RES_VMO_DESCRIBE_SIZE] = v->size;
    inv->reply[RES_VMO_DESCRIBE_KIND] = v->kind;
    inv->reply[RES_VMO_DESCRIBE_PADDR] = v->kind == VMO_PHYS ? v->phys : 0;
    inv->reply[RES_VMO_DESCRIBE_COMMITTED] =
        v->kind == VMO_PHYS ? (v->owns_phys ? v->size : 0) : v->committed << CLUSTER_SHIFT;
    return WF_ERR_OK;
}

enum wf_error vmo_decode_present(struct invocation *inv)
{
    struct vmo *v = vmo_from_cap(inv->slot->cap);
    uint64_t off = ALIGN_DOWN(inv->args[ARG_VMO_PRESENT_OFFSET], PAGE_SIZE);
    uint64_t nclusters = (v->size + CLUSTER_SIZE - 1) >> CLUSTER_SHIFT;
    uint64_t start, end;
    if (v->kind == VMO_PHYS) { /* present everywhere */
        start = end = v->size;
        if (off < v->size)
            start = off;
    } else {
        /* VMO_SCAN_UNIT clusters per unit; a re-execution with the same offset
         * continues the scan recorded in the VMO (decision 090) */
        struct vmo_scan *s = &v->scan;
        if (!s->active || s->off != off)
            *s = (struct vmo_scan){
                .active = true, .off = off, .ci = off >> CLUSTER_SHIFT, .start = UINT64_MAX};
        for (uint64_t n = 0; s->ci < nclusters; s->ci++, n++) {
            if (n % VMO_SCAN_UNIT == 0 && preempt_point())
                return WF_ERR_PREEMPTED;
            bool vis = vmo_visible(v, s->ci);
            if (s->start == UINT64_MAX && vis)
                s->start = s->ci;
            else if (s->start != UINT64_MAX && !vis)
                break;
        }
        s->active = false;
        end = s->ci << CLUSTER_SHIFT;
        start = s->start == UINT64_MAX ? end : MAX(off, s->start << CLUSTER_SHIFT);
        start = MIN(start, v->size);
        end = MIN(end, v->size);
    }
    inv->reply[RES_VMO_PRESENT_START] = start;
    inv->reply[RES_VMO_PRESENT_LENGTH] = end > start ? end - start : 0;
    return WF_ERR_OK;
}
