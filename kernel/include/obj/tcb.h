/*
 * Thread control blocks: the caps a thread holds, its user context, scheduling
 * state and IPC state, and the TCB invocations (abi/weft.def, labels 0x20-0x3f).
 *
 * A TCB holds caps in slots of its own (enum wf_tcb_slot): its CSpace root, VSpace
 * root, IPC buffer frame, fault endpoint and bound notification. They are ordinary
 * slots in the derivation tree: the TCB_Set* invocations copy caps into them,
 * revoking the source deletes the copies, and destroying the TCB deletes them
 * (through a zombie, like a CNode's slots; cap/delete.h).
 *
 * State machine (enum tcb_state): INACTIVE (new or suspended) -> RUNNABLE (in a
 * run queue, or the current thread) -> BLOCKED_* while it waits in IPC, linked
 * into the object it waits on through the same queue links (a thread is never in
 * a run queue and an IPC queue at once). Everything runs under the big kernel lock.
 */
#ifndef WEFT_OBJ_TCB_H
#define WEFT_OBJ_TCB_H

#include "arch/context.h"
#include "cap/delete.h"
#include "lib/avl.h"
#include "weft/objects.h"

enum tcb_state {
    TCB_INACTIVE = 0,      /* not running: new, suspended, or stopped after a fault */
    TCB_RUNNABLE = 1,      /* current, or in a run queue */
    TCB_BLOCKED_SEND = 2,  /* queued on an endpoint (blocked_on) with a message */
    TCB_BLOCKED_RECV = 3,  /* queued on an endpoint (blocked_on), waiting for one */
    TCB_BLOCKED_REPLY = 4, /* made a Call (or faulted); waits on the Reply (blocked_on) */
    TCB_BLOCKED_NTFN = 5,  /* queued on a notification (blocked_on) in Wait */
};

/* ipc_flags of a blocked sender. */
#define TCB_IPC_CALL        1u /* a Call: it waits for the reply after the send */
#define TCB_IPC_GRANT       2u /* its endpoint cap has Grant: caps may travel */
#define TCB_IPC_GRANT_REPLY 4u /* its endpoint cap has GrantReply */

struct reply;
struct wf_ipc_buffer;

/*
 * The kernel's view of a thread's IPC buffer (decision 076): the page at
 * ipc_buffer through the direct map, so that IPC copies words and reads cap
 * CPtrs without a page-table walk. A cache, never a pin: it is valid only while
 * epoch == vm_unmap_epoch (mm/vm.h). That counter advances whenever a user
 * translation is removed or loses a right, a VSpace is destroyed, or a cap to
 * a VSpace is deleted (the one way, besides TCB_SetVSpace, which empties the
 * view itself, that a thread's VSpace slot changes), so a valid view's page is
 * still mapped, writable and not shared copy-on-write in the VSpace the thread
 * runs in, and cannot have been freed. It is filled (tcb_ipcbuf_fill) only
 * from a present, writable, cacheable user entry. Empty, its epoch is
 * TCB_IPCBUF_NONE, which vm_unmap_epoch never reaches, so the one compare also
 * rejects it.
 */
struct tcb_ipcbuf {
    uint64_t *words; /* the buffer's msg[WF_MSG_REG_WORDS] (its first word); NULL: none */
    uint64_t epoch;  /* vm_unmap_epoch when filled, or TCB_IPCBUF_NONE */
};
#define TCB_IPCBUF_NONE (~0ull)

struct tcb {
    struct slot slots[WF_TCB_SLOT_COUNT]; /* first: a zombie's element lives in slots[0] */
    struct reaper reaper;                 /* deletions this thread started, unfinished */
    uint64_t state;                       /* enum tcb_state */
    uint8_t prio;                         /* scheduling priority, 0-255 */
    uint8_t mcp;                          /* maximum controlled priority */
    uint8_t abi;                          /* enum wf_abi_mode */
    uint8_t ipc_flags;                    /* TCB_IPC_* of a blocked send */
    uint32_t slice;                       /* timer ticks left in its time slice */
    uint32_t cpu;                         /* the CPU it runs on (TCB_SetAffinity) */
    struct tcb *next, *prev;              /* run queue, or the queue of blocked_on */
    void *blocked_on;                     /* endpoint, notification or reply it waits on */
    uint64_t badge;                       /* badge of the cap a blocked send used */
    struct reply *recv_reply;             /* Reply object a blocked receive named */
    uint64_t ipc_buffer;                  /* user address of its IPC buffer, 0: none */
    struct tcb_ipcbuf ipcbuf;             /* that page through the direct map (below) */
    uint64_t fault;                       /* enum wf_fault_type pending delivery/reply */
    uint64_t fault_detail[2];             /* its DETAIL0/1 words */
    struct arch_context ctx;              /* user registers and FPU state */
    struct avl_node deadline;             /* in the armed timers (key: ns); TCB_SetDeadline */
    uint64_t deadline_bits;               /* what it signals; 0: not armed */
};
_Static_assert(__builtin_offsetof(struct tcb, slots) == 0, "a TCB's slot 0 is at its base");
_Static_assert(sizeof(struct tcb) <= (1u << WF_TCB_BITS), "TCB size");

/* A FIFO of threads through their next/prev links (endpoint and notification
 * queues, the run queues). */
struct tcb_queue {
    struct tcb *head, *tail;
};

static inline void tcbq_append(struct tcb_queue *q, struct tcb *t)
{
    t->next = NULL;
    t->prev = q->tail;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
}

static inline void tcbq_prepend(struct tcb_queue *q, struct tcb *t)
{
    t->prev = NULL;
    t->next = q->head;
    if (q->head)
        q->head->prev = t;
    else
        q->tail = t;
    q->head = t;
}

static inline void tcbq_remove(struct tcb_queue *q, struct tcb *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        q->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        q->tail = t->prev;
    t->next = t->prev = NULL;
}

/* The TCB whose user context is ctx. */
static inline struct tcb *tcb_of_ctx(struct arch_context *ctx)
{
    return container_of(ctx, struct tcb, ctx);
}

/* Makes the zeroed memory at t a new, inactive TCB (priority and MCP 0, native
 * ABI, clean user context). */
void tcb_init(struct tcb *t);

/* Destroys what the TCB holds besides its slots (its last cap is going): stops
 * the thread (cancelling any IPC it waits in; the current thread stops at the end
 * of its system call), drops its notification binding and hands its pending
 * deletions to r (cap/delete.h reaper_adopt). O(1). */
void tcb_finalize(struct tcb *t, struct reaper *r);

/* Cancels the IPC t waits in, if any: unlinks it from the endpoint, notification
 * or Reply object and sets its system call's result to WF_ERR_CANCELLED. Leaves
 * the state to the caller (t is not made runnable). O(1). */
void tcb_cancel_ipc(struct tcb *t);

/* Ends the IPC of t without a result: its system call returns WF_ERR_CANCELLED,
 * or, when the IPC was a fault message, the faulting instruction will run again
 * (the fault is forgotten). The state is the caller's. */
void tcb_ipc_cancelled(struct tcb *t);

/* Stops t (suspend): cancels its IPC, takes it off the run queue; INACTIVE. */
void tcb_suspend(struct tcb *t);

/* Makes an INACTIVE thread runnable; other states are left alone. */
void tcb_resume(struct tcb *t);

/*
 * The kernel's own way to set a thread up, for the root-task builder and the
 * self-tests (no decoding: the caller guarantees the arguments).
 */

/* Copies the cap in src (derived, as the TCB_Set* invocations do) into slot which
 * of t; the slot must be empty. A new VSpace refills the IPC buffer view. */
void tcb_set_cap(struct tcb *t, enum wf_tcb_slot which, struct slot *src);

/* Empties t's IPC buffer cache (struct tcb_ipcbuf). */
static inline void tcb_ipcbuf_forget(struct tcb *t)
{
    t->ipcbuf = (struct tcb_ipcbuf){.words = NULL, .epoch = TCB_IPCBUF_NONE};
}

/* Fills t's IPC buffer view from its VSpace's page tables: true when the page
 * at ipc_buffer is mapped present, writable and cacheable now (nothing is
 * faulted in), else false with the view empty. */
bool tcb_ipcbuf_fill(struct tcb *t);

/* Sets the IPC buffer address (and fills its view when the page is mapped),
 * priority and MCP, and the start registers: pc,
 * stack pointer and first argument register. */
void tcb_set_ipc_buffer(struct tcb *t, uint64_t vaddr);
void tcb_set_priority(struct tcb *t, unsigned prio, unsigned mcp);
void tcb_set_entry(struct tcb *t, uint64_t pc, uint64_t sp, uint64_t arg0);

/* The VSpace t runs in (NULL: the kernel test space); from its VSpace slot. */
struct vspace *tcb_vspace(const struct tcb *t);

#endif
