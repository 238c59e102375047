/*
 * Dispatch on object type: sizes, creation, finalization (obj/object.h).
 *
 * Sizes are fixed by the ABI (abi/weft.def): each object takes 2^bits bytes and
 * is aligned to them, so Retype's arithmetic is in powers of two only and an
 * object never straddles an alignment boundary of its own size.
 *
 * The same objects can come from a pool (Pool_Create; kernel/obj/pool.c): their
 * caps carry CAP_POOLED and their memory goes back to the pool when the object is
 * gone, here (object_finalize, object_release) rather than by an untyped reset.
 */
#include "obj/object.h"

#include "arch/memlayout.h"
#include "obj/endpoint.h"
#include "obj/irq.h"
#include "obj/notification.h"
#include "obj/pool.h"
#include "obj/reply.h"
#include "obj/tcb.h"
#include "obj/vmo.h"
#include "obj/vspace.h"

bool object_type_valid(uint64_t type)
{
    switch (type) {
    case WF_OBJ_UNTYPED:
    case WF_OBJ_CNODE:
    case WF_OBJ_TCB:
    case WF_OBJ_ENDPOINT:
    case WF_OBJ_NOTIFICATION:
    case WF_OBJ_REPLY:
    case WF_OBJ_POOL:
        return true;
    default: /* VMOs and VSpaces come from pools; IRQ and I/O port caps from IRQControl
                and IOPort caps */
        return false;
    }
}

enum wf_error object_check_size(uint64_t type, uint64_t size_bits, uint64_t *min, uint64_t *max)
{
    if (type == WF_OBJ_UNTYPED) {
        *min = WF_UNTYPED_MIN_BITS;
        *max = WF_UNTYPED_MAX_BITS;
    } else if (type == WF_OBJ_CNODE) {
        *min = WF_CNODE_RADIX_MIN;
        *max = WF_CNODE_RADIX_MAX;
    } else if (type == WF_OBJ_POOL) {
        *min = WF_POOL_MIN_BITS;
        *max = WF_UNTYPED_MAX_BITS;
    } else {
        return WF_ERR_OK;
    }
    return size_bits < *min || size_bits > *max ? WF_ERR_RANGE_ERROR : WF_ERR_OK;
}

unsigned object_size_bits(uint64_t type, unsigned size_bits)
{
    switch (type) {
    case WF_OBJ_UNTYPED:
    case WF_OBJ_POOL:
        return size_bits;
    case WF_OBJ_CNODE:
        return size_bits + WF_SLOT_BITS;
    case WF_OBJ_TCB:
        return WF_TCB_BITS;
    case WF_OBJ_ENDPOINT:
        return WF_ENDPOINT_BITS;
    case WF_OBJ_NOTIFICATION:
        return WF_NOTIFICATION_BITS;
    case WF_OBJ_REPLY:
        return WF_REPLY_BITS;
    default:
        panic("object_size_bits: type %llu", (unsigned long long)type);
    }
}

struct cap object_create(uint64_t type, unsigned size_bits, paddr_t pa, bool device)
{
    if (type == WF_OBJ_UNTYPED)
        return cap_untyped_new(pa, size_bits, device, 0);
    assert(!device);
    void *obj = phys_to_virt(pa);
    switch (type) {
    case WF_OBJ_CNODE:
        return cap_cnode_new(obj, size_bits, 0, 0);
    case WF_OBJ_TCB:
        tcb_init(obj);
        return cap_object_new(CAP_TCB, obj, WF_RIGHTS_ALL, 0);
    case WF_OBJ_ENDPOINT:
        return cap_object_new(CAP_ENDPOINT, obj, WF_RIGHTS_ALL, 0);
    case WF_OBJ_NOTIFICATION:
        return cap_object_new(CAP_NOTIFICATION, obj, WF_RIGHTS_ALL, 0);
    case WF_OBJ_REPLY:
        return cap_object_new(CAP_REPLY, obj, WF_RIGHTS_ALL, 0);
    case WF_OBJ_POOL:
        return pool_create_in(pa, size_bits);
    default:
        panic("object_create: type %llu", (unsigned long long)type);
    }
}

bool object_holds_slots(struct cap c)
{
    return cap_type(c) == CAP_CNODE || cap_type(c) == CAP_TCB;
}

enum wf_error object_teardown(struct cap c)
{
    switch (cap_type(c)) {
    case CAP_VMO:
        return vmo_teardown(cap_object(c));
    case CAP_VSPACE:
        return vspace_teardown(cap_object(c));
    default:
        return WF_ERR_OK;
    }
}

void object_finalize(struct cap c, struct reaper *r)
{
    pool_kobj_drain(r);
    switch (cap_type(c)) {
    case CAP_TCB:
        tcb_finalize(cap_object(c), r);
        break;
    case CAP_ENDPOINT:
        endpoint_finalize(cap_object(c));
        break;
    case CAP_NOTIFICATION:
        notification_finalize(cap_object(c));
        break;
    case CAP_REPLY:
        reply_finalize(cap_object(c));
        break;
    case CAP_POOL: /* the VM objects' destruction is O(size), not O(1) (decision 045) */
        pool_finalize(cap_object(c));
        break;
    case CAP_VMO:
        vmo_destroy(cap_object(c));
        break;
    case CAP_VSPACE:
        vspace_destroy(cap_object(c));
        break;
    case CAP_IRQ_HANDLER: /* the line is masked and free again */
        irqhandler_finalize(cap_irq_handler_line(c));
        break;
    default: /* IRQControl, IOPort: nothing behind them; Untyped: its memory returns by reset; CNode: the zombie empties it. */
        break;
    }
    /* A pool-made object without slots is gone now; a CNode or TCB returns its
     * memory when its zombie is done (object_release). */
    if (cap_pooled(c) && !object_holds_slots(c))
        pool_kobj_free(cap_object(c), false, r);
}

void object_release(struct cap z, void *obj, struct reaper *r)
{
    assert(cap_type(z) == CAP_ZOMBIE);
    if (cap_pooled(z))
        pool_kobj_free(obj, cap_zombie_kind(z) == ZOMBIE_TCB, r);
}
