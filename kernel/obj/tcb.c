/*
 * TCBs: the caps a thread holds, and their teardown.
 *
 * A TCB's slots are ordinary CDT slots, filled by copying a cap the caller holds
 * (TCB_SetCSpace, TCB_SetFaultEndpoint, TCB_BindNotification), as seL4 MCS keeps
 * its fault and timeout endpoints. The copy is a derived cap: revoking the
 * caller's original removes it from the TCB too, so a thread cannot keep a right
 * its creator took back.
 *
 * Replacing a slot's cap may mean deleting the last cap to a big CSpace. The
 * setter then deletes the old cap (preemptibly) and returns WF_ERR_PREEMPTED once
 * it is gone, so the syscall layer re-executes the invocation: decoding again
 * with an empty slot re-checks the source, which the deletion may have removed
 * (it may have lived in the old CSpace), before anything is inserted.
 *
 * Destroying a TCB (tcb_finalize, then the zombie empties its slots): its thread
 * stops (the IPC issue), its notification binding is dropped and the deletions
 * its own invocations left unfinished move to the destroyer's reaper.
 */
#include "obj/tcb.h"

#include "cap/cdt.h"
#include "cap/invoke.h"
#include "obj/cnode.h"
#include "obj/notification.h"

void tcb_init(struct tcb *t)
{
    reaper_init(&t->reaper);
    t->state = TCB_INACTIVE;
}

void tcb_finalize(struct tcb *t, struct reaper *r)
{
    struct notification *n = cap_object(t->slots[WF_TCB_SLOT_BOUND_NTFN].cap);
    if (n && n->bound == t)
        n->bound = NULL;
    reaper_adopt(r, &t->reaper);
}

static struct tcb *invoked_tcb(struct invocation *inv)
{
    return cap_object(inv->slot->cap);
}

/* Puts c, derived from the cap in src, into slot which of the invoked TCB; an
 * old cap there is deleted first and the invocation restarted (see above). */
static enum wf_error install(struct invocation *inv, enum wf_tcb_slot which, struct slot *src,
                             struct cap c)
{
    struct slot *dest = &invoked_tcb(inv)->slots[which];
    if (!slot_is_empty(dest)) {
        enum wf_error e = cap_delete(dest, inv->reaper);
        return e == WF_ERR_OK ? WF_ERR_PREEMPTED : e;
    }
    cdt_insert_derived(src, dest, c);
    return WF_ERR_OK;
}

enum wf_error tcb_decode_set_cspace(struct invocation *inv)
{
    struct slot *src = inv->caps[XCAP_TCB_SET_CSPACE_CSPACE];
    struct cap c;
    if (cnode_apply_guard(src->cap, inv->args[ARG_TCB_SET_CSPACE_GUARD], &c) != WF_ERR_OK)
        return inv_fail(inv, WF_ERR_INVALID_ARGUMENT, 1, ARG_TCB_SET_CSPACE_GUARD, 0, 0, 0);

    return install(inv, WF_TCB_SLOT_CSPACE, src, c);
}

enum wf_error tcb_decode_set_fault_endpoint(struct invocation *inv)
{
    struct slot *src = inv->caps[XCAP_TCB_SET_FAULT_ENDPOINT_ENDPOINT];

    return install(inv, WF_TCB_SLOT_FAULT_EP, src, src->cap);
}

enum wf_error tcb_decode_bind_notification(struct invocation *inv)
{
    struct tcb *t = invoked_tcb(inv);
    struct slot *src = inv->caps[XCAP_TCB_BIND_NOTIFICATION_NOTIFICATION];
    struct notification *n = cap_object(src->cap);
    if (!slot_is_empty(&t->slots[WF_TCB_SLOT_BOUND_NTFN]) || notification_bound_tcb(n))
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);

    n->bound = t;
    return install(inv, WF_TCB_SLOT_BOUND_NTFN, src, src->cap);
}

enum wf_error tcb_decode_unbind_notification(struct invocation *inv)
{
    struct tcb *t = invoked_tcb(inv);
    struct slot *s = &t->slots[WF_TCB_SLOT_BOUND_NTFN];
    if (slot_is_empty(s))
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);

    struct notification *n = cap_object(s->cap);
    if (n->bound == t)
        n->bound = NULL;
    cap_delete_now(s);
    return WF_ERR_OK;
}
