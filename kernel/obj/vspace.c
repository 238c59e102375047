/*
 * VSpace invocations: the decoders of Map, Unmap, Protect, Lookup, Mapping, Read
 * and Write. The address space itself (regions, Map/Unmap/Protect) is
 * kernel/mm/region.c; the fault path and the copies kernel/mm/fault.c.
 */
#include "obj/vspace.h"
#include "sched/sched.h"
#include "sched/smp.h"

#include "cap/invoke.h"
#include "cap/preempt.h"
#include "obj/pool.h"
#include "obj/vmo.h"

/* pool_inv_fail, plus INVALID_CAPABILITY: the VMO cap (cap argument 0) lacks a
 * right the mapping needs. */
/* --- several CPUs (decision 148) ---------------------------------------------- */

/* A shootdown's request on a CPU in the mask, without the lock. */
static void shoot_here(void *arg)
{
    struct vspace *vs = arg;
    if (ARCH_VSPACE_TAGGED && vspace_current != vs) {
        /* its translations here are tagged: forgotten, the next load flushes them */
        arch_vspace_forget(vs->root);
    } else {
        arch_tlb_flush_all();
    }
    if (vspace_current != vs)
        __atomic_fetch_and(&vs->cpus, ~this_cpu_local.bit, __ATOMIC_RELAXED);
}

void vspace_tlb_shoot(struct pt_ctx *c)
{
    struct vspace *vs = c->owner;
    /* Tagged TLBs: this CPU may hold vs's translations without vs loaded (the
     * walker invalidates only a loaded root's). Before the once-per-hold test:
     * this CPU may have loaded vs and left it since the last change. */
    if (ARCH_VSPACE_TAGGED && vspace_current != vs &&
        (__atomic_load_n(&vs->cpus, __ATOMIC_RELAXED) & this_cpu_local.bit)) {
        arch_vspace_forget(vs->root);
        __atomic_fetch_and(&vs->cpus, ~this_cpu_local.bit, __ATOMIC_RELAXED);
    }
    uint64_t others = __atomic_load_n(&vs->cpus, __ATOMIC_RELAXED) & ~this_cpu_local.bit;
    if (!others || (vs->shot && vs->shot_ticket == kernel_lock.serving))
        return;
    vs->shot = true;
    vs->shot_ticket = kernel_lock.serving;
    sched_stats.shootdowns++;
    sched_stats.shot_cpus += (uint64_t)__builtin_popcountll(others);
    smp_call_many(others, shoot_here, vs);
}

static void leave_here(void *arg)
{
    struct vspace *vs = arg;
    if (vspace_current == vs)
        vspace_activate(NULL);
    arch_vspace_forget(vs->root); /* its root may be reused: no PCID may name it */
    __atomic_fetch_and(&vs->cpus, ~this_cpu_local.bit, __ATOMIC_RELAXED);
}

void vspace_leave_everywhere(struct vspace *vs)
{
    if (vs == vspace_current)
        vspace_activate(NULL);
    if (ARCH_VSPACE_TAGGED) {
        arch_vspace_forget(vs->root);
        __atomic_fetch_and(&vs->cpus, ~this_cpu_local.bit, __ATOMIC_RELAXED);
    }
    uint64_t others = __atomic_load_n(&vs->cpus, __ATOMIC_RELAXED) & ~this_cpu_local.bit;
    if (others)
        smp_call_many(others, leave_here, vs);
}

static enum wf_error vs_fail(struct invocation *inv, enum wf_error e, struct inv_arg why)
{
    if (e == WF_ERR_INVALID_CAPABILITY)
        return inv_fail(inv, e, 1, 0, 0, 0, 0);
    return pool_inv_fail(inv, e, why, vspace_from_cap(inv->slot->cap)->pool);
}

enum wf_error vspace_decode_map(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    struct cap vc = inv->caps[XCAP_VSPACE_MAP_VMO]->cap;
    uint64_t rights = inv->args[ARG_VSPACE_MAP_RIGHTS];
    if (rights > 0xffff)
        return vs_fail(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(ARG_VSPACE_MAP_RIGHTS));
    struct inv_arg why = INV_ARG(0);
    enum wf_error e = vspace_map_why(
        vs, vmo_from_cap(vc), inv->args[ARG_VSPACE_MAP_OFFSET], inv->args[ARG_VSPACE_MAP_VADDR],
        inv->args[ARG_VSPACE_MAP_LENGTH], (unsigned)rights, cap_rights(vc), &why);
    return vs_fail(inv, e, why);
}

enum wf_error vspace_decode_unmap(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    struct inv_arg why = INV_ARG(0);
    enum wf_error e = vspace_change(vs, inv->args[ARG_VSPACE_UNMAP_VADDR],
                                    inv->args[ARG_VSPACE_UNMAP_LENGTH], VM_CHANGE_UNMAP, 0, &why);
    return vs_fail(inv, e, why);
}

enum wf_error vspace_decode_protect(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    uint64_t rights = inv->args[ARG_VSPACE_PROTECT_RIGHTS];
    if (rights > 0xffff)
        return vs_fail(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(ARG_VSPACE_PROTECT_RIGHTS));
    struct inv_arg why = INV_ARG(0);
    enum wf_error e =
        vspace_change(vs, inv->args[ARG_VSPACE_PROTECT_VADDR], inv->args[ARG_VSPACE_PROTECT_LENGTH],
                      VM_CHANGE_PROTECT, (unsigned)rights, &why);
    return vs_fail(inv, e, why);
}

enum wf_error vspace_decode_lookup(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    struct vm_region *r = vspace_find(vs, inv->args[ARG_VSPACE_LOOKUP_VADDR]);
    if (!r)
        return vs_fail(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(ARG_VSPACE_LOOKUP_VADDR));
    inv->reply[RES_VSPACE_LOOKUP_START] = r->start;
    inv->reply[RES_VSPACE_LOOKUP_LENGTH] = r->end - r->start;
    inv->reply[RES_VSPACE_LOOKUP_OFFSET] = r->offset;
    inv->reply[RES_VSPACE_LOOKUP_RIGHTS] = r->rights;
    return WF_ERR_OK;
}

enum wf_error vspace_decode_mapping(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    vaddr_t va = inv->args[ARG_VSPACE_MAPPING_VADDR];
    if (va >= USER_TOP)
        return vs_fail(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(ARG_VSPACE_MAPPING_VADDR));
    paddr_t pa;
    unsigned access, level;
    bool ok = vspace_translate(vs, va, &pa, &access, &level);
    inv->reply[RES_VSPACE_MAPPING_PAGE_SIZE] = ok ? 1ull << (PAGE_SHIFT + 9 * level) : 0;
    inv->reply[RES_VSPACE_MAPPING_RIGHTS] = ok ? access & (VM_READ | VM_WRITE | VM_EXEC) : 0;
    return WF_ERR_OK;
}

/* VSpace_Read / VSpace_Write: from one address space to another through a small
 * buffer; the first byte either side cannot reach ends it. */
static enum wf_error cross_copy(struct invocation *inv, struct vspace *from, vaddr_t fva,
                                struct vspace *to, vaddr_t tva, uint64_t len, unsigned from_arg,
                                unsigned to_arg)
{
    /* VM_COPY_UNIT bytes per unit, restartable (decision 088); the progress is
     * kept in the invoked VSpace */
    struct vspace *self = vspace_from_cap(inv->slot->cap);
    struct vspace *other = self == from ? to : from;
    const uint64_t key[4] = {inv->label, fva, tva, len};
    uint64_t done = vm_copy_resume(&self->copy, key, other);
    uint8_t buf[256];
    while (done < len) {
        if (done % VM_COPY_UNIT == 0 && preempt_point()) {
            vm_copy_save(&self->copy, key, other, done);
            return WF_ERR_PREEMPTED;
        }
        size_t n = (size_t)MIN(len - done, sizeof(buf));
        enum wf_error e = vspace_read(from, fva + done, buf, n);
        if (e == WF_ERR_OK)
            e = vspace_write(to, tva + done, buf, n);
        else
            to_arg = from_arg;
        if (e != WF_ERR_OK) {
            vm_copy_save(&self->copy, key, other, 0);
            return vs_fail(inv, e, INV_ARG(to_arg));
        }
        done += n;
    }
    vm_copy_save(&self->copy, key, other, 0);
    return WF_ERR_OK;
}

enum wf_error vspace_decode_read(struct invocation *inv)
{
    return cross_copy(inv, vspace_from_cap(inv->slot->cap), inv->args[ARG_VSPACE_READ_VADDR],
                      vspace_from_cap(inv->caps[XCAP_VSPACE_READ_DEST]->cap),
                      inv->args[ARG_VSPACE_READ_DEST_VADDR], inv->args[ARG_VSPACE_READ_LEN],
                      ARG_VSPACE_READ_VADDR, ARG_VSPACE_READ_DEST_VADDR);
}

enum wf_error vspace_decode_write(struct invocation *inv)
{
    return cross_copy(inv, vspace_from_cap(inv->caps[XCAP_VSPACE_WRITE_SRC]->cap),
                      inv->args[ARG_VSPACE_WRITE_SRC_VADDR], vspace_from_cap(inv->slot->cap),
                      inv->args[ARG_VSPACE_WRITE_VADDR], inv->args[ARG_VSPACE_WRITE_LEN],
                      ARG_VSPACE_WRITE_SRC_VADDR, ARG_VSPACE_WRITE_VADDR);
}
