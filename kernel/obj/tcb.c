/*
 * TCBs: the caps a thread holds, its life cycle, and the TCB invocations.
 *
 * A TCB's slots are ordinary CDT slots, filled by copying a cap the caller holds
 * (TCB_SetCSpace, TCB_Configure, TCB_SetVSpace, TCB_SetFaultEndpoint,
 * TCB_BindNotification), as seL4 MCS keeps its fault and timeout endpoints. The
 * copy is a derived cap: revoking the caller's original removes it from the TCB
 * too, so a thread cannot keep a right its creator took back.
 *
 * Replacing a slot's cap may mean deleting the last cap to a big CSpace. The
 * setter then deletes the old cap (preemptibly) and returns WF_ERR_PREEMPTED once
 * it is gone, so the syscall layer re-executes the invocation: decoding again
 * with an empty slot re-checks the source, which the deletion may have removed
 * (it may have lived in the old CSpace), before anything is inserted. A new
 * CSpace root must leave the thread's null slot (its slot 0) empty, and a thread
 * cannot replace its own root: the restart would look its caps up in the root
 * just deleted (docs/decisions/087-a-thread-keeps-its-own-cspace-root.md).
 *
 * Priorities follow seL4's MCP rule: a priority or MCP set through an invocation
 * is at most the MCP of an authority TCB the invoker names (usually its own), so
 * a thread can never raise anything above what it was itself given.
 *
 * Destroying a TCB (tcb_finalize, then the zombie empties its slots): its thread
 * stops (its IPC is cancelled, it leaves the run queue), its notification binding
 * is dropped and the deletions its own invocations left unfinished move to the
 * destroyer's reaper.
 */
#include "obj/tcb.h"

#include "cap/cdt.h"
#include "cap/invoke.h"
#include "mm/vm.h"
#include "obj/cnode.h"
#include "obj/endpoint.h"
#include "obj/notification.h"
#include "obj/reply.h"
#include "obj/vspace.h"
#include "sched/sched.h"
#include "sched/smp.h"
#include "weft/ipc.h"

void tcb_init(struct tcb *t)
{
    reaper_init(&t->reaper);
    t->state = TCB_INACTIVE;
    t->slice = SCHED_SLICE_TICKS;
    tcb_ipcbuf_forget(t);
    arch_context_init(&t->ctx, 0, 0);
}

void tcb_cancel_ipc(struct tcb *t)
{
    switch (t->state) {
    case TCB_BLOCKED_SEND:
    case TCB_BLOCKED_RECV:
        endpoint_remove(t->blocked_on, t);
        reply_unbind_receiver(t);
        break;
    case TCB_BLOCKED_NTFN:
        tcbq_remove(&((struct notification *)t->blocked_on)->q, t);
        t->blocked_on = NULL;
        break;
    case TCB_BLOCKED_REPLY:
        reply_take_caller(t->blocked_on);
        break;
    default:
        return;
    }
    tcb_ipc_cancelled(t);
}

void tcb_ipc_cancelled(struct tcb *t)
{
    t->ipc_flags = 0;
    if (t->fault) {
        /* A cancelled fault message: the thread runs its faulting instruction
         * again (and faults again unless something changed). */
        if (t->fault == WF_FAULT_TYPE_UNKNOWN_SYSCALL)
            ctx_restart_syscall(&t->ctx);
        t->fault = WF_FAULT_TYPE_NONE;
    } else {
        ctx_set_result(&t->ctx, WF_ERR_CANCELLED, 0, 0);
    }
}

void tcb_suspend(struct tcb *t)
{
    tcb_cancel_ipc(t);
    sched_remove(t);
    t->state = TCB_INACTIVE;
}

void tcb_resume(struct tcb *t)
{
    if (t->state == TCB_INACTIVE)
        sched_wake(t);
}

void tcb_finalize(struct tcb *t, struct reaper *r)
{
    tcb_suspend(t); /* stopped on its CPU first when it runs there */
    sched_forget_fpu_everywhere(t);
    sched_deadline_set(t, 0, 0);
    struct notification *n = cap_object(t->slots[WF_TCB_SLOT_BOUND_NTFN].cap);
    if (n && n->bound == t)
        n->bound = NULL;
    reaper_adopt(r, &t->reaper);
}

/* --- the kernel's own set-up API ---------------------------------------------- */

bool tcb_ipcbuf_fill(struct tcb *t)
{
    paddr_t pa;
    unsigned access, level;
    tcb_ipcbuf_forget(t);
    if (!t->ipc_buffer || !vspace_translate(tcb_vspace(t), t->ipc_buffer, &pa, &access, &level) ||
        (access & (VM_WRITE | VM_UNCACHED)) != VM_WRITE)
        return false;
    struct wf_ipc_buffer *b = phys_to_virt(pa);
    t->ipcbuf = (struct tcb_ipcbuf){.words = &b->msg[WF_MSG_REG_WORDS], .epoch = vm_unmap_epoch};
    return true;
}

void tcb_set_cap(struct tcb *t, enum wf_tcb_slot which, struct slot *src)
{
    assert(slot_is_empty(&t->slots[which]) && !slot_is_empty(src));
    cdt_insert_derived(src, &t->slots[which], src->cap);
    if (which == WF_TCB_SLOT_VSPACE)
        tcb_ipcbuf_fill(t);
}

void tcb_set_ipc_buffer(struct tcb *t, uint64_t vaddr)
{
    t->ipc_buffer = vaddr;
    tcb_ipcbuf_fill(t); /* already mapped: the fast path can use it at once */
}

void tcb_set_priority(struct tcb *t, unsigned prio, unsigned mcp)
{
    assert(prio <= WF_PRIO_MAX && mcp <= WF_PRIO_MAX);
    t->mcp = (uint8_t)mcp;
    sched_set_priority(t, prio);
}

void tcb_set_entry(struct tcb *t, uint64_t pc, uint64_t sp, uint64_t arg0)
{
    ctx_set_entry(&t->ctx, pc, sp, arg0);
}

struct vspace *tcb_vspace(const struct tcb *t)
{
    return vspace_from_cap(t->slots[WF_TCB_SLOT_VSPACE].cap);
}

/* --- invocations ----------------------------------------------------------------- */

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
    if (which == WF_TCB_SLOT_VSPACE) /* the IPC buffer's page in the new VSpace */
        tcb_ipcbuf_fill(invoked_tcb(inv));
    return WF_ERR_OK;
}

/* The checks SetCSpace and Configure share on the new CSpace root: the CNode cap
 * in cap argument xcap with the guard of argument guard_arg, into c. Refused:
 * replacing the caller's own root (ILLEGAL_OPERATION: its deletion would leave
 * the restart no CSpace to find the invoked cap and the new root in; decision
 * 087), a guard that does not fit (INVALID_ARGUMENT on guard_arg), and a CNode
 * whose slot 0, the thread's null slot, is full (INVALID_CAPABILITY on xcap:
 * IPC reads CPtr 0 as "no cap", decision 084). */
static enum wf_error check_cspace(struct invocation *inv, unsigned xcap, unsigned guard_arg,
                                  struct cap *c)
{
    struct tcb *t = invoked_tcb(inv);
    struct slot *src = inv->caps[xcap];
    if (inv->reaper == &t->reaper && !slot_is_empty(&t->slots[WF_TCB_SLOT_CSPACE]))
        return inv_error(inv, WF_ERR_ILLEGAL_OPERATION, INV_NONE);
    if (cnode_apply_guard(src->cap, inv->args[guard_arg], c) != WF_ERR_OK)
        return inv_error(inv, WF_ERR_INVALID_ARGUMENT, INV_ARG(guard_arg));
    if (!slot_is_empty(cap_cnode_slots(src->cap)))
        return inv_error(inv, WF_ERR_INVALID_CAPABILITY, INV_ARG(xcap));
    return WF_ERR_OK;
}

enum wf_error tcb_decode_set_cspace(struct invocation *inv)
{
    struct slot *src = inv->caps[XCAP_TCB_SET_CSPACE_CSPACE];
    struct cap c;
    enum wf_error e = check_cspace(inv, XCAP_TCB_SET_CSPACE_CSPACE, ARG_TCB_SET_CSPACE_GUARD, &c);
    if (e != WF_ERR_OK)
        return e;

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

/* RANGE_ERROR unless value <= the MCP of the authority TCB in cap argument xcap. */
static enum wf_error check_mcp(struct invocation *inv, unsigned xcap, unsigned arg)
{
    const struct tcb *auth = cap_object(inv->caps[xcap]->cap);
    if (inv->args[arg] > auth->mcp)
        return inv_fail_range(inv, arg, 0, auth->mcp);
    return WF_ERR_OK;
}

enum wf_error tcb_decode_configure(struct invocation *inv)
{
    struct slot *src = inv->caps[XCAP_TCB_CONFIGURE_CSPACE];
    struct cap c;
    enum wf_error e = check_cspace(inv, XCAP_TCB_CONFIGURE_CSPACE, ARG_TCB_CONFIGURE_GUARD, &c);
    if (e != WF_ERR_OK)
        return e;
    wf_word_t buf = inv->args[ARG_TCB_CONFIGURE_IPC_BUFFER];
    if (buf & 4095)
        return inv_fail(inv, WF_ERR_ALIGNMENT_ERROR, 0, 0, 0, 0, 0);
    if (!arch_user_canonical(buf + 4095))
        return inv_fail(inv, WF_ERR_INVALID_ARGUMENT, 1, ARG_TCB_CONFIGURE_IPC_BUFFER, 0, 0, 0);
    e = check_mcp(inv, XCAP_TCB_CONFIGURE_AUTHORITY, ARG_TCB_CONFIGURE_PRIORITY);
    if (e == WF_ERR_OK)
        e = check_mcp(inv, XCAP_TCB_CONFIGURE_AUTHORITY, ARG_TCB_CONFIGURE_MCP);
    if (e != WF_ERR_OK)
        return e;

    e = install(inv, WF_TCB_SLOT_CSPACE, src, c);
    if (e != WF_ERR_OK)
        return e;
    struct tcb *t = invoked_tcb(inv);
    tcb_set_ipc_buffer(t, buf);
    t->mcp = (uint8_t)inv->args[ARG_TCB_CONFIGURE_MCP];
    sched_set_priority(t, (unsigned)inv->args[ARG_TCB_CONFIGURE_PRIORITY]);
    return WF_ERR_OK;
}

enum wf_error tcb_decode_set_vspace(struct invocation *inv)
{
    struct slot *src = inv->caps[XCAP_TCB_SET_VSPACE_VSPACE];
    if (!vspace_from_cap(src->cap))
        return inv_fail(inv, WF_ERR_INVALID_CAPABILITY, 1, XCAP_TCB_SET_VSPACE_VSPACE, 0, 0, 0);

    return install(inv, WF_TCB_SLOT_VSPACE, src, src->cap);
}

enum wf_error tcb_decode_set_priority(struct invocation *inv)
{
    enum wf_error e =
        check_mcp(inv, XCAP_TCB_SET_PRIORITY_AUTHORITY, ARG_TCB_SET_PRIORITY_PRIORITY);
    if (e != WF_ERR_OK)
        return e;

    sched_set_priority(invoked_tcb(inv), (unsigned)inv->args[ARG_TCB_SET_PRIORITY_PRIORITY]);
    return WF_ERR_OK;
}

enum wf_error tcb_decode_set_mcp(struct invocation *inv)
{
    enum wf_error e = check_mcp(inv, XCAP_TCB_SET_MCP_AUTHORITY, ARG_TCB_SET_MCP_MCP);
    if (e != WF_ERR_OK)
        return e;

    invoked_tcb(inv)->mcp = (uint8_t)inv->args[ARG_TCB_SET_MCP_MCP];
    return WF_ERR_OK;
}

enum wf_error tcb_decode_read_registers(struct invocation *inv)
{
    struct tcb *t = invoked_tcb(inv);
    wf_word_t first = inv->args[ARG_TCB_READ_REGISTERS_FIRST];
    if (t == sched_current)
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    if (first > WF_REGS_COUNT - 4)
        return inv_fail_range(inv, ARG_TCB_READ_REGISTERS_FIRST, 0, WF_REGS_COUNT - 4);
    sched_preempt(t); /* running on another CPU: its registers are saved */

    for (unsigned i = 0; i < 4; i++)
        inv->reply[i] = ctx_reg(&t->ctx, (unsigned)first + i);
    return WF_ERR_OK;
}

enum wf_error tcb_decode_write_registers(struct invocation *inv)
{
    struct tcb *t = invoked_tcb(inv);
    wf_word_t first = inv->args[ARG_TCB_WRITE_REGISTERS_FIRST];
    wf_word_t count = inv->args[ARG_TCB_WRITE_REGISTERS_COUNT];
    if (t == sched_current)
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    if (count < 1 || count > 4)
        return inv_fail_range(inv, ARG_TCB_WRITE_REGISTERS_COUNT, 1, 4);
    if (first > WF_REGS_COUNT - count)
        return inv_fail_range(inv, ARG_TCB_WRITE_REGISTERS_FIRST, 0, WF_REGS_COUNT - count);
    sched_preempt(t);

    for (unsigned i = 0; i < count; i++)
        ctx_set_reg(&t->ctx, (unsigned)(first + i), inv->args[ARG_TCB_WRITE_REGISTERS_V0 + i]);
    return WF_ERR_OK;
}

enum wf_error tcb_decode_resume(struct invocation *inv)
{
    tcb_resume(invoked_tcb(inv));
    return WF_ERR_OK;
}

enum wf_error tcb_decode_suspend(struct invocation *inv)
{
    tcb_suspend(invoked_tcb(inv));
    return WF_ERR_OK;
}

enum wf_error tcb_decode_set_abi(struct invocation *inv)
{
    wf_word_t mode = inv->args[ARG_TCB_SET_ABI_MODE];
    if (mode != WF_ABI_MODE_NATIVE && mode != WF_ABI_MODE_FOREIGN)
        return inv_fail(inv, WF_ERR_INVALID_ARGUMENT, 1, ARG_TCB_SET_ABI_MODE, 0, 0, 0);

    invoked_tcb(inv)->abi = (uint8_t)mode;
    return WF_ERR_OK;
}

enum wf_error tcb_decode_set_tls(struct invocation *inv)
{
    wf_word_t base = inv->args[ARG_TCB_SET_TLS_BASE];
    if (!arch_user_canonical(base))
        return inv_fail_range(inv, ARG_TCB_SET_TLS_BASE, 0, USER_TOP - 1);

    arch_context_set_tls(&invoked_tcb(inv)->ctx, base);
    return WF_ERR_OK;
}

enum wf_error tcb_decode_set_deadline(struct invocation *inv)
{
    wf_word_t deadline = inv->args[ARG_TCB_SET_DEADLINE_DEADLINE];
    wf_word_t bits = inv->args[ARG_TCB_SET_DEADLINE_BITS];
    if (deadline && !bits)
        return inv_fail(inv, WF_ERR_INVALID_ARGUMENT, 1, ARG_TCB_SET_DEADLINE_BITS, 0, 0, 0);

    sched_deadline_set(invoked_tcb(inv), deadline, bits);
    return WF_ERR_OK;
}

enum wf_error tcb_decode_set_affinity(struct invocation *inv)
{
    wf_word_t cpu = inv->args[ARG_TCB_SET_AFFINITY_CPU];
    /* Ids run to the last CPU listed; one that did not start is refused too. */
    unsigned ids = arch_cpu_count() < SMP_MAX_CPUS ? arch_cpu_count() : SMP_MAX_CPUS;
    if (cpu >= ids || !smp_cpus[cpu].online || !sched_cpus[cpu])
        return inv_fail_range(inv, ARG_TCB_SET_AFFINITY_CPU, 0, smp_online - 1);

    sched_set_cpu(invoked_tcb(inv), (unsigned)cpu);
    inv->reply[0] = smp_online;
    return WF_ERR_OK;
}

/* The neutral thread state (enum wf_thread_state) of a kernel state. */
static wf_word_t thread_state(const struct tcb *t)
{
    switch (t->state) {
    case TCB_RUNNABLE:
        return WF_THREAD_STATE_RUNNABLE;
    case TCB_BLOCKED_SEND:
        return WF_THREAD_STATE_BLOCKED_SEND;
    case TCB_BLOCKED_RECV:
        return WF_THREAD_STATE_BLOCKED_RECV;
    case TCB_BLOCKED_REPLY:
        return WF_THREAD_STATE_BLOCKED_CALL;
    case TCB_BLOCKED_NTFN:
        return WF_THREAD_STATE_BLOCKED_NOTIFICATION;
    default:
        return WF_THREAD_STATE_INACTIVE;
    }
}

enum wf_error tcb_decode_describe(struct invocation *inv)
{
    struct tcb *t = invoked_tcb(inv);
    inv->reply[RES_TCB_DESCRIBE_STATE] = thread_state(t);
    inv->reply[RES_TCB_DESCRIBE_PRIORITY] = t->prio;
    inv->reply[RES_TCB_DESCRIBE_MCP] = t->mcp;
    inv->reply[RES_TCB_DESCRIBE_ABI] = t->abi;
    return WF_ERR_OK;
}
