/*
 * Kernel objects by type: sizes, creation from untyped memory, finalization.
 *
 * One object type, one file (kernel/obj/<type>.c); this interface is what the
 * capability core needs of all of them, dispatched on the type (seL4's
 * objecttype.c). Object memory comes from an Untyped (a Retype hands each new
 * object zeroed, size-aligned memory inside the untyped's range, which returns
 * when the untyped is reset) or from a Pool (Pool_Create: the cap carries
 * CAP_POOLED and the memory returns to the pool when the object is destroyed).
 */
#ifndef WEFT_OBJ_OBJECT_H
#define WEFT_OBJ_OBJECT_H

#include "cap/cap.h"
#include "weft/errors.h"

struct reaper;

/* True for the object types Untyped_Retype can create. */
bool object_type_valid(uint64_t type);

/* Checks the size argument of a Retype of type: WF_ERR_OK, or WF_ERR_RANGE_ERROR
 * with *min and *max set to the allowed range. Fixed-size types ignore it. */
enum wf_error object_check_size(uint64_t type, uint64_t size_bits, uint64_t *min, uint64_t *max);

/* log2 of the bytes an object of type takes, given Retype's (checked) size_bits. */
unsigned object_size_bits(uint64_t type, unsigned size_bits);

/* Sets up a new object of type in the zeroed memory at physical address pa (size-
 * aligned, inside a RAM untyped unless type is Untyped) and returns its original
 * cap, with all rights and no badge. */
struct cap object_create(uint64_t type, unsigned size_bits, paddr_t pa, bool device);

/* True for caps to objects that hold caps of their own (CNode, TCB): deleting the
 * last one takes a zombie (cap/delete.h). */
bool object_holds_slots(struct cap c);

/* Called when the last cap c to an object is being deleted, before
 * object_finalize: the preemptible part of destroying a VM object (VMO, VSpace:
 * unmapping, freeing its memory), with a preemption point before each unit.
 * Returns WF_ERR_OK when it is done (at once for other objects), or
 * WF_ERR_PREEMPTED: the cap stays and the deletion calls it again (decision 088). */
enum wf_error object_teardown(struct cap c);

/* Called once when the last cap c to an object is deleted: releases what the
 * object holds besides caps (queued threads, bindings) and, for a TCB, hands its
 * pending deletions to r; a pool-made object without slots returns its memory to
 * its pool. For a CNode or TCB it runs before the zombie empties the object's
 * slots. O(1) except for VM objects (decision 045). */
void object_finalize(struct cap c, struct reaper *r);

/* Called when the zombie z (ROOT or ELEMENT) of the CNode or TCB at obj has
 * emptied it and left the derivation tree: a pool-made object's memory returns to
 * its pool (deferred for the TCB whose own reaper r does the deleting). */
void object_release(struct cap z, void *obj, struct reaper *r);

#endif
