/*
 * Synchronous IPC, notifications' system calls, and faults as messages
 * (docs/architecture.md, IPC and Faults; docs/ipc.md explains them to a newcomer).
 *
 * These are the slow-path operations, each done on behalf of the current thread
 * t after the system call layer (ipc/syscall.c) has decoded its registers and
 * checked its caps. They never fail for bad user input in a way that leaves
 * state half-changed: every check happens before the first change. The results
 * go into the registers of the threads involved (ctx_set_result); the scheduler
 * decides on the way out who runs.
 *
 * The fast path (ipc/fastpath.c) does Call and ReplyRecv when the partner waits
 * and both IPC buffers' views are valid (any length, caps included), with the
 * same observable result.
 */
#ifndef WEFT_IPC_IPC_H
#define WEFT_IPC_IPC_H

#include "mm/vm.h"
#include "obj/endpoint.h"
#include "obj/notification.h"
#include "obj/reply.h"
#include "obj/tcb.h"
#include "weft/ipc.h"

/* Sends t's message on ep with badge (flags: TCB_IPC_*). A waiting receiver gets
 * it at once; otherwise t blocks (blocking) or the send returns
 * WF_ERR_WOULD_BLOCK. A Call (TCB_IPC_CALL) then waits for the reply on the
 * receiver's Reply object. Also used to deliver t's pending fault (t->fault). */
void ipc_send(struct tcb *t, struct endpoint *ep, uint64_t badge, unsigned flags, bool blocking);

/* Receives on ep for t, naming the Reply object rp (may be NULL) that a received
 * Call binds to. A signalled bound notification is returned first; a waiting
 * sender's message is taken at once; otherwise t blocks (blocking) or the call
 * returns WF_ERR_WOULD_BLOCK. */
void ipc_recv(struct tcb *t, struct endpoint *ep, struct reply *rp, bool blocking);

/* Replies through rp with t's message (caps only if can_grant). Returns the
 * caller, now RUNNABLE but not queued (the caller of ipc_reply schedules it), or
 * NULL when nobody waited on rp. A reply to a fault sets the faulting thread's
 * registers from the message words (enum wf_fault_word order). */
struct tcb *ipc_reply(struct tcb *t, struct reply *rp, bool can_grant);

/* Records fault type (enum wf_fault_type, details d0 d1) for t and sends it to
 * t's fault endpoint as a Call; with no fault endpoint, logs it and suspends t. */
void ipc_fault(struct tcb *t, uint64_t type, uint64_t d0, uint64_t d1);

/* An exception from user mode in t: a page fault first goes to the VM system
 * (vm_fault); what it cannot resolve, and every other exception, is a fault. */
void ipc_exception(struct tcb *t);

/* The fast path for Call and ReplyRecv (ipc/fastpath.c), called by the
 * architecture's syscall entry for those two system calls of the current
 * thread, whose registers are saved in ctx, while the fast path is on
 * (ipc_fastpath_sysno). When it handles the call it switches
 * to the partner (sched_current, FPU, address space, arch_context_activate) and
 * returns the partner's context, which the caller resumes by the fast return
 * (ctx_fast_resume holds for it; otherwise the function leaves by
 * arch_exit_to_user itself). Otherwise it changes nothing and goes on to
 * kernel_entry (it does not return). */
struct arch_context *ipc_fastpath_call(struct arch_context *ctx);
struct arch_context *ipc_fastpath_reply_recv(struct arch_context *ctx);

/* The fast path of a foreign system call's round trip (fastpath_fault.c,
 * decision 138), on the same terms. ipc_fastpath_foreign: the syscall entry
 * hands it every system call number below ipc_fastpath_foreign_below (an
 * UNKNOWN_SYSCALL fault, whatever the thread's ABI mode), and it delivers the
 * fault message to a receiver waiting on the thread's fault endpoint.
 * ipc_fastpath_fault_reply_recv: the register variants of
 * ipc_fastpath_reply_recv hand it a ReplyRecv whose Reply object rp (its cap
 * checked) has a caller they do not take, and it answers a thread waiting for
 * the reply to an UNKNOWN_SYSCALL fault; slots and guard: the caller's CSpace
 * root decoded as fastpath.c's struct fast_cspace (slots NULL where the root
 * is not one CNode of 64 bits). */
struct arch_context *ipc_fastpath_foreign(struct arch_context *ctx);
struct arch_context *ipc_fastpath_fault_reply_recv(struct arch_context *ctx, struct reply *rp,
                                                   const struct slot *slots, uint64_t guard);

/* WF_SYS_BASE while the fast path is on, 0 while it is off (ipc_fastpath_set):
 * the syscall entry's bound for ipc_fastpath_foreign, so that its compare is
 * also the on/off test. */
extern uint64_t ipc_fastpath_foreign_below;

/* The IPC fast path's switch from the current thread t, blocked, to thread to,
 * made RUNNABLE (fastpath.c, fast_switch; it counts nothing): returns to's
 * context for the fast return or leaves by the general exit. */
struct arch_context *ipc_fastpath_switch(struct tcb *t, struct tcb *to);

/* Turns the fast path on (the default) or off: off, every IPC takes the slow
 * path (self-tests compare the two; the x86-64 self-test scaffold turns it off
 * while its context, which is no thread's, runs). Returns the previous state. */
bool ipc_fastpath_set(bool on);

/* The system call numbers the syscall entry hands to the fast path:
 * {WF_SYS_CALL, WF_SYS_REPLY_RECV} while it is on, {~0, ~0} (no system call)
 * while it is off, so that the entry's two compares are also the on/off test. */
extern uint64_t ipc_fastpath_sysno[2];

/* How many of the two system calls the fast path serves took each path
 * (self-tests, benchmarks; DEBUG_STAT WF_STAT_IPC_FAST and WF_STAT_IPC_SLOW).
 * fast: Calls on an endpoint and ReplyRecvs the fast path completed
 * (fast_switch). slow: those the general path handled once their caps passed
 * the checks (sys_call, sys_reply_recv), whether they then deliver, block or
 * fail later. Send, Recv, their non-blocking forms, object invocations and
 * fault messages are in neither. fault_fast: fault messages the fast path of a
 * foreign system call delivered (ipc_fastpath_foreign). Only ever incremented,
 * except that the kernel self-tests' world resets them (self-test boots run no
 * user program). */
struct ipc_stats {
    uint64_t fast, slow, fault_fast;
};
extern struct ipc_stats ipc_stats;

/* t's IPC buffer through the direct map when its view (struct tcb_ipcbuf in
 * obj/tcb.h) is valid, else NULL. No side effects: the fast path asks before
 * it changes anything. */
static inline struct wf_ipc_buffer *ipc_buffer_cached(const struct tcb *t)
{
    if (t->ipcbuf.epoch != vm_unmap_epoch)
        return NULL;
    return container_of(t->ipcbuf.words, struct wf_ipc_buffer, msg[WF_MSG_REG_WORDS]);
}

/* t's IPC buffer through the direct map, refilling a stale view from its
 * VSpace's page tables (tcb_ipcbuf_fill): NULL when t has no IPC buffer or its
 * page is not mapped present, writable and cacheable right now (nothing is
 * faulted in; the slow path's vspace_read/vspace_write then handle it). */
static inline struct wf_ipc_buffer *ipc_buffer_kptr(struct tcb *t)
{
    struct wf_ipc_buffer *b = ipc_buffer_cached(t);
    return b || !tcb_ipcbuf_fill(t) ? b : ipc_buffer_cached(t);
}

/* Copies n message words (a tight rep movsq on x86-64). */
static inline void ipc_copy_words(wf_word_t *d, const wf_word_t *s, size_t n)
{
#if defined(__x86_64__)
    __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
#else
    while (n--)
        *d++ = *s++;
#endif
}

/* The empty slot where receiver r takes a cap (named in its IPC buffer), or
 * NULL: none named, no such slot, or not empty. No side effects. */
struct slot *ipc_receive_slot(struct tcb *r);

/* Transfers up to n extra caps named in s's IPC buffer to r by seL4's rules
 * (ipc.c's essay: an endpoint cap to via is unwrapped into its badge, another
 * cap is copied into the one empty slot r names; the first failure stops).
 * Returns how many went; *unwrapped gets the unwrapped mask. Used by the slow
 * path and by the fast path once it has committed: it cannot fail, only stop. */
unsigned ipc_transfer_caps(struct tcb *s, struct tcb *r, struct endpoint *via, unsigned n,
                           unsigned *unwrapped);

/* A message's info word as delivered: label, transferred caps, length (unwrapped
 * bits are added by the transfer). */
static inline wf_word_t ipc_info_out(wf_word_t label, unsigned xcaps, unsigned len)
{
    return wf_msginfo(label, xcaps, len);
}

#endif
