/*
 * Thread control blocks: storage and teardown (the IPC issue adds running them).
 *
 * A TCB holds caps in slots of its own (enum wf_tcb_slot): its CSpace root, VSpace
 * root, IPC buffer frame, fault endpoint and bound notification. They are ordinary
 * slots in the derivation tree: the TCB_Set* invocations copy caps into them,
 * revoking the source deletes the copies, and destroying the TCB deletes them
 * (through a zombie, like a CNode's slots; cap/delete.h).
 */
#ifndef WEFT_OBJ_TCB_H
#define WEFT_OBJ_TCB_H

#include "cap/delete.h"
#include "weft/objects.h"

enum tcb_state { TCB_INACTIVE = 0 };

struct tcb {
    struct slot slots[WF_TCB_SLOT_COUNT]; /* first: a zombie's element lives in slots[0] */
    struct reaper reaper;                 /* deletions this thread started, unfinished */
    uint64_t state;                       /* enum tcb_state (the IPC issue adds more) */
};
_Static_assert(__builtin_offsetof(struct tcb, slots) == 0, "a TCB's slot 0 is at its base");
_Static_assert(sizeof(struct tcb) <= (1u << WF_TCB_BITS), "TCB size");

/* Makes the zeroed memory at t a new, inactive TCB. */
void tcb_init(struct tcb *t);

/* Destroys what the TCB holds besides its slots (its last cap is going): stops
 * the thread (with the IPC issue), drops its notification binding and hands its
 * pending deletions to r (cap/delete.h reaper_adopt). O(1). */
void tcb_finalize(struct tcb *t, struct reaper *r);

#endif
