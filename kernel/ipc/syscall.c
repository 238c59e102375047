/*
 * The system call layer: decode the registers of abi/include/weft/ipc.h, check
 * the caps named there, and hand over to IPC (ipc/ipc.c), notifications
 * (obj/notification.c), the scheduler, or a kernel object's invocation
 * (cap/invoke.h). Every check comes before the first change, so a malformed
 * call returns an error in rax and changes nothing.
 *
 * rax out is the system call's own result. A cap that does not resolve gives
 * WF_ERR_FAILED_LOOKUP with the lookup's details in the message words ([0] which
 * cap: WF_CAP_INVOKED for rdi, WF_CAP_REPLY_ARG for r12, an extra cap's index);
 * a cap of the wrong type or without the right the call needs gives
 * WF_ERR_INVALID_CAPABILITY with the same index in word 0.
 *
 * A Call on a cap that is not an endpoint invokes the kernel object: the label
 * is the method, words 4 and up and the extra caps' CPtrs come from the IPC
 * buffer, the result is the reply (label = error = rax, words = results or error
 * details). An invocation that runs out of its work budget (WF_ERR_PREEMPTED) is
 * restarted: the thread re-executes the syscall instruction, so interrupts and
 * higher priorities get their turn in between, and the invocation continues from
 * what the objects recorded (cap/preempt.h).
 *
 * Any number that is not an assigned native system call is an UnknownSyscall
 * fault (docs/architecture.md, Faults; decision 035). The debug calls exist in
 * debug builds only (elsewhere they are such faults); they take their argument
 * in word 0 and answer in word 0 (decision 050). DEBUG_STAT reads the kernel's
 * counters for tests and benchmarks (decision 073).
 */
#include "ipc/syscall.h"

#include "arch.h"
#include "cap/invoke.h"
#include "cap/preempt.h"
#include "core/console_call.h"
#include "ipc/ipc.h"
#include "kprintf.h"
#include "mm/vm.h"
#include "obj/irq.h"
#include "sched/sched.h"
#include "weft/syscalls.h"

/* Sets the result of a failed system call: err in rax and the label, n detail
 * words. */
static void fail(struct tcb *t, enum wf_error err, unsigned n, wf_word_t d0, wf_word_t d1,
                 wf_word_t d2, wf_word_t d3)
{
    const wf_word_t d[4] = {d0, d1, d2, d3};
    ctx_set_result(&t->ctx, err, ipc_info_out(err, 0, n), 0);
    for (unsigned i = 0; i < n; i++)
        ctx_set_mr(&t->ctx, i, d[i]);
}

/* Looks cptr up in t's CSpace; on failure sets the result (which = the index in
 * the details) and returns NULL. */
static struct slot *lookup(struct tcb *t, wf_cptr_t cptr, wf_word_t which)
{
    struct lookup_ret lr = cspace_lookup_cap(t->slots[WF_TCB_SLOT_CSPACE].cap, cptr);
    if (!lr.slot)
        fail(t, WF_ERR_FAILED_LOOKUP, 4, which, lr.fault, lr.level, lr.bits_left);
    return lr.slot;
}

/* The cap in cptr if it has type and all of rights; otherwise sets the error. */
static struct slot *lookup_typed(struct tcb *t, wf_cptr_t cptr, wf_word_t which, enum cap_type type,
                                 uint64_t rights)
{
    struct slot *s = lookup(t, cptr, which);
    if (s && (cap_type(s->cap) != type || (cap_rights(s->cap) & rights) != rights)) {
        fail(t, WF_ERR_INVALID_CAPABILITY, 1, which, 0, 0, 0);
        return NULL;
    }
    return s;
}

/* The Reply object a receive names in r12: NULL with *ok set for CPtr 0 (none). */
static struct reply *lookup_reply(struct tcb *t, bool *ok)
{
    wf_cptr_t cptr = ctx_reply_cap(&t->ctx);
    *ok = true;
    if (cptr == 0)
        return NULL;
    struct slot *s = lookup_typed(t, cptr, WF_CAP_REPLY_ARG, CAP_REPLY, 0);
    *ok = s != NULL;
    return s ? cap_object(s->cap) : NULL;
}

static void invoke_object(struct tcb *t, struct slot *target)
{
    wf_msginfo_t info = ctx_info(&t->ctx);
    unsigned len = MIN(wf_msginfo_length(info), WF_MSG_MAX_WORDS);
    unsigned ncaps = cap_invoke_xcaps(wf_msginfo_label(info), wf_msginfo_xcaps(info));
    wf_word_t words[WF_MSG_MAX_WORDS];
    wf_cptr_t cptrs[WF_MSG_MAX_XCAPS];
    struct slot *caps[WF_MSG_MAX_XCAPS];
    struct vspace *vs = tcb_vspace(t);
    for (unsigned i = 0; i < MIN(len, WF_MSG_REG_WORDS); i++)
        words[i] = ctx_mr(&t->ctx, i);
    bool buf_ok = t->ipc_buffer != 0;
    if (len > WF_MSG_REG_WORDS && buf_ok)
        buf_ok = vspace_read(vs, t->ipc_buffer + 8 * WF_MSG_REG_WORDS, &words[WF_MSG_REG_WORDS],
                             (len - WF_MSG_REG_WORDS) * 8) == WF_ERR_OK;
    if (ncaps && buf_ok)
        buf_ok = vspace_read(
                     vs, t->ipc_buffer + __builtin_offsetof(struct wf_ipc_buffer, caps_or_badges),
                     cptrs, ncaps * sizeof(wf_cptr_t)) == WF_ERR_OK;
    if ((len > WF_MSG_REG_WORDS || ncaps) && !buf_ok) {
        fail(t, WF_ERR_INVALID_ARGUMENT, 1, len > WF_MSG_REG_WORDS ? WF_MSG_REG_WORDS : 0, 0, 0, 0);
        return;
    }
    for (unsigned i = 0; i < ncaps; i++) {
        caps[i] = lookup(t, cptrs[i], i);
        if (!caps[i])
            return;
    }
    struct invocation inv = {.slot = target,
                             .label = wf_msginfo_label(info),
                             .args = words,
                             .nargs = len,
                             .caps = caps,
                             .ncaps = ncaps,
                             .reaper = &t->reaper,
                             .cspace = t->slots[WF_TCB_SLOT_CSPACE].cap};
    preempt_begin(PREEMPT_UNITS_DEFAULT);
    enum wf_error e = cap_invoke(&inv);
    if (e == WF_ERR_PREEMPTED) {
        ctx_restart_syscall(&t->ctx);
        return;
    }
    ctx_set_result(&t->ctx, e, ipc_info_out(e, 0, inv.nreply), 0);
    for (unsigned i = 0; i < inv.nreply; i++)
        ctx_set_mr(&t->ctx, i, inv.reply[i]);
}

static void sys_call(struct tcb *t)
{
    struct slot *s = lookup(t, ctx_cap(&t->ctx), WF_CAP_INVOKED);
    if (!s)
        return;
    if (cap_type(s->cap) != CAP_ENDPOINT) {
        invoke_object(t, s);
        return;
    }
    uint64_t rights = cap_rights(s->cap);
    if (!(rights & WF_RIGHT_WRITE) || !(rights & (WF_RIGHT_GRANT | WF_RIGHT_GRANT_REPLY))) {
        fail(t, WF_ERR_INVALID_CAPABILITY, 1, WF_CAP_INVOKED, 0, 0, 0);
        return;
    }
    unsigned flags = TCB_IPC_CALL | (rights & WF_RIGHT_GRANT ? TCB_IPC_GRANT : 0);
    ipc_stats.slow++;
    ipc_send(t, cap_object(s->cap), cap_badge(s->cap), flags, true);
}

static void sys_send(struct tcb *t, bool blocking)
{
    struct slot *s = lookup(t, ctx_cap(&t->ctx), WF_CAP_INVOKED);
    if (!s)
        return;
    struct cap c = s->cap;
    if (cap_type(c) == CAP_REPLY) {
        struct tcb *caller = ipc_reply(t, cap_object(c), cap_rights(c) & WF_RIGHT_GRANT);
        if (caller)
            sched_enqueue(caller);
        ctx_set_error(&t->ctx, WF_ERR_OK);
        return;
    }
    if (cap_type(c) != CAP_ENDPOINT || !(cap_rights(c) & WF_RIGHT_WRITE)) {
        fail(t, WF_ERR_INVALID_CAPABILITY, 1, WF_CAP_INVOKED, 0, 0, 0);
        return;
    }
    unsigned flags = cap_rights(c) & WF_RIGHT_GRANT ? TCB_IPC_GRANT : 0;
    ipc_send(t, cap_object(c), cap_badge(c), flags, blocking);
}

/* Wait (blocking) or Poll on the notification cap in s (READ checked). */
static void wait_on(struct tcb *t, struct slot *s, bool blocking)
{
    uint64_t word;
    if (notification_wait(cap_object(s->cap), t, blocking, &word))
        ctx_set_result(&t->ctx, WF_ERR_OK, 0, word);
}

static void sys_recv(struct tcb *t, bool blocking)
{
    struct slot *s = lookup(t, ctx_cap(&t->ctx), WF_CAP_INVOKED);
    if (!s)
        return;
    struct cap c = s->cap;
    if ((cap_type(c) != CAP_ENDPOINT && cap_type(c) != CAP_NOTIFICATION) ||
        !(cap_rights(c) & WF_RIGHT_READ)) {
        fail(t, WF_ERR_INVALID_CAPABILITY, 1, WF_CAP_INVOKED, 0, 0, 0);
        return;
    }
    if (cap_type(c) == CAP_NOTIFICATION) {
        wait_on(t, s, blocking);
        return;
    }
    bool ok;
    struct reply *rp = lookup_reply(t, &ok);
    if (ok)
        ipc_recv(t, cap_object(c), rp, blocking);
}

static void sys_reply_recv(struct tcb *t)
{
    struct slot *s = lookup_typed(t, ctx_cap(&t->ctx), WF_CAP_INVOKED, CAP_ENDPOINT, WF_RIGHT_READ);
    if (!s)
        return;
    struct slot *rs = lookup_typed(t, ctx_reply_cap(&t->ctx), WF_CAP_REPLY_ARG, CAP_REPLY, 0);
    if (!rs)
        return;
    struct reply *rp = cap_object(rs->cap);
    ipc_stats.slow++;
    struct tcb *caller = ipc_reply(t, rp, cap_rights(rs->cap) & WF_RIGHT_GRANT);
    ipc_recv(t, cap_object(s->cap), rp, true);
    if (!caller)
        return;
    if (t->state == TCB_RUNNABLE)
        sched_enqueue(caller);
    else
        sched_switch_to(caller);
}

static void sys_notification(struct tcb *t, uint64_t right, int op)
{
    struct slot *s = lookup_typed(t, ctx_cap(&t->ctx), WF_CAP_INVOKED, CAP_NOTIFICATION, right);
    if (!s)
        return;
    if (op == 0) {
        notification_signal(cap_object(s->cap), cap_badge(s->cap));
        ctx_set_error(&t->ctx, WF_ERR_OK);
    } else {
        wait_on(t, s, op == 1);
    }
}

#ifdef WEFT_DEBUG
/* Counter s of enum wf_stat in *v; false for a number that names none. Each
 * source's comment says what it counts; abi/weft.def's enum stat is the
 * contract (decision 073). */
static bool stat_value(uint64_t s, uint64_t *v)
{
    switch (s) {
    case WF_STAT_IPC_FAST:
        *v = ipc_stats.fast;
        return true;
    case WF_STAT_IPC_SLOW:
        *v = ipc_stats.slow;
        return true;
    case WF_STAT_VM_FAULTS:
        *v = vm_stats.faults_mapped;
        return true;
    case WF_STAT_VM_PROMOTIONS:
        *v = vm_stats.promotions;
        return true;
    case WF_STAT_VM_DEMOTIONS:
        *v = vm_stats.demotions;
        return true;
    case WF_STAT_VM_RESERVATIONS:
        *v = vm_stats.resv_made;
        return true;
    case WF_STAT_IRQS_DELIVERED:
        *v = irq_delivered_count();
        return true;
    default:
        return false;
    }
}

static bool sys_debug(struct tcb *t, uint64_t nr)
{
    struct cap root = t->slots[WF_TCB_SLOT_CSPACE].cap;
    switch (nr) {
    case WF_SYS_DEBUG_PUTC:
        kprintf("%c", (int)(ctx_cap(&t->ctx) & 0xff));
        ctx_set_error(&t->ctx, WF_ERR_OK);
        return true;
    case WF_SYS_DEBUG_CAP_IDENTIFY: {
        /* Decision 050: the type is reply word 0; rax is the error (none). */
        struct lookup_ret lr = cspace_lookup_cap(root, ctx_cap(&t->ctx));
        ctx_set_mr(&t->ctx, 0, lr.slot ? cap_type(lr.slot->cap) : 0);
        ctx_set_error(&t->ctx, WF_ERR_OK);
        return true;
    }
    case WF_SYS_DEBUG_DUMP_CSPACE:
        if (cap_type(root) == CAP_CNODE) {
            struct slot *slots = cap_cnode_slots(root);
            kprintf("cspace of thread %p: %lu slots\n", (void *)t, 1ul << cap_cnode_radix(root));
            for (unsigned long i = 0; i < 1ul << cap_cnode_radix(root); i++)
                if (!slot_is_empty(&slots[i]))
                    kprintf("  slot %lu: type %u w0 %#lx w1 %#lx\n", i,
                            (unsigned)cap_type(slots[i].cap), (unsigned long)slots[i].cap.w0,
                            (unsigned long)slots[i].cap.w1);
        }
        ctx_set_error(&t->ctx, WF_ERR_OK);
        return true;
    case WF_SYS_DEBUG_STAT: {
        /* Decision 050: the counter's number is word 0, its value reply word 0. */
        uint64_t v;
        if (stat_value(ctx_mr(&t->ctx, 0), &v)) {
            ctx_set_mr(&t->ctx, 0, v);
            ctx_set_error(&t->ctx, WF_ERR_OK);
        } else {
            fail(t, WF_ERR_INVALID_ARGUMENT, 1, 0, 0, 0, 0);
        }
        return true;
    }
    case WF_SYS_DEBUG_HALT:
        kprintf("halt: status %lu from user mode\n", (unsigned long)ctx_cap(&t->ctx));
        arch_debug_exit((unsigned)ctx_cap(&t->ctx));
        arch_halt();
    default:
        return false;
    }
}
#else
static bool sys_debug(struct tcb *t, uint64_t nr)
{
    (void)t;
    (void)nr;
    return false;
}
#endif

static void syscall(struct tcb *t)
{
    uint64_t nr = ctx_sysno(&t->ctx);
    switch (nr) {
    case WF_SYS_CALL:
        sys_call(t);
        return;
    case WF_SYS_SEND:
    case WF_SYS_NBSEND:
        sys_send(t, nr == WF_SYS_SEND);
        return;
    case WF_SYS_RECV:
    case WF_SYS_NBRECV:
        sys_recv(t, nr == WF_SYS_RECV);
        return;
    case WF_SYS_REPLY_RECV:
        sys_reply_recv(t);
        return;
    case WF_SYS_SIGNAL:
        sys_notification(t, WF_RIGHT_WRITE, 0);
        return;
    case WF_SYS_WAIT:
        sys_notification(t, WF_RIGHT_READ, 1);
        return;
    case WF_SYS_POLL:
        sys_notification(t, WF_RIGHT_READ, 2);
        return;
    case WF_SYS_YIELD:
        sched_yield();
        ctx_set_error(&t->ctx, WF_ERR_OK);
        return;
    case WF_SYS_CONSOLE_WRITE:
        console_call_write(t);
        return;
    case WF_SYS_CLOCK:
        ctx_set_result(&t->ctx, WF_ERR_OK, ipc_info_out(WF_ERR_OK, 0, 1), 0);
        ctx_set_mr(&t->ctx, 0, arch_clock_ns());
        return;
    default:
        if (!sys_debug(t, nr))
            ipc_fault(t, WF_FAULT_TYPE_UNKNOWN_SYSCALL, t->abi, 0);
        return;
    }
}

void kernel_entry(struct arch_context *ctx)
{
    struct tcb *t = tcb_of_ctx(ctx);
    assert(t == sched_current);
    enum arch_entry e = ctx_entry(ctx);
    if (e == ARCH_ENTRY_SYSCALL)
        syscall(t); /* one the fast path (ipc_fastpath) did not take */
    else if (e == ARCH_ENTRY_FAULT)
        ipc_exception(t);
    /* ARCH_ENTRY_INTERRUPT: its handler ran already */
    sched_exit();
}
