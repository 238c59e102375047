/*
 * Invoking a kernel object through its cap: the dispatch from a Call's label to
 * the object's decoder (seL4 decodeInvocation).
 *
 * The IPC layer resolves the invoked CPtr and the extra caps' CPtrs in the
 * caller's CSpace, fills a struct invocation and calls cap_invoke. cap_invoke
 * checks what the generated table (cap/decode_gen.h, from abi/weft.def) says of
 * the label: the invoked cap's type, the message length, each extra cap's type
 * and rights; then the object's decoder does every remaining check, with no side
 * effect, and only then performs the operation, which cannot fail (it may stop
 * with WF_ERR_PREEMPTED; the syscall layer then re-executes the invocation).
 */
#ifndef WEFT_CAP_INVOKE_H
#define WEFT_CAP_INVOKE_H

#include "cap/cap.h"
#include "cap/cspace.h"
#include "cap/decode_gen.h"

struct reaper;

struct invocation {
    struct slot *slot;     /* slot of the invoked cap */
    wf_word_t label;       /* the method (WF_LABEL_*) */
    const wf_word_t *args; /* message words */
    unsigned nargs;
    struct slot *const *caps; /* slots of the extra caps, resolved by the caller */
    unsigned ncaps;
    struct reaper *reaper;               /* the caller's reaper: where long deletions park work */
    struct cap cspace;                   /* the caller's CSpace root (inv_slot_reserved) */
    wf_word_t reply[WF_REPLY_MAX_WORDS]; /* out: results, or an error's details */
    unsigned nreply;                     /* out: reply words set */
};

/* Checks inv against the decode table and runs the object's decoder. Returns
 * WF_ERR_OK with the results in inv->reply, an error with its details there
 * (docs/api.md), or WF_ERR_PREEMPTED (re-execute the same invocation). */
enum wf_error cap_invoke(struct invocation *inv);

/* How many of the given extra caps an invocation with label looks up: no more
 * than its method takes (0 for no method). A preempted invocation is re-executed
 * from the start, and an extra cap it does not take may have been destroyed by
 * the first attempt (a Revoke or Delete naming one): looking that cap up again
 * would fail the restart with the work half done. */
unsigned cap_invoke_xcaps(wf_word_t label, unsigned given);

/* Records error e with n detail words (at most 4) and returns e: the raw
 * recorder under inv_error, for details no struct inv_arg describes (lookups,
 * message lengths). */
enum wf_error inv_fail(struct invocation *inv, enum wf_error e, unsigned n, wf_word_t d0,
                       wf_word_t d1, wf_word_t d2, wf_word_t d3);

/* What an invocation's error is about (docs/api.md, decision 074): the index of
 * the argument (or cap argument, or WF_CAP_INVOKED where a number belongs to a
 * cap); for RANGE_ERROR the smallest and largest value it may take given the
 * other arguments and the objects' state; for NOT_ENOUGH_MEMORY the bytes still
 * free where the memory was to come from. */
struct inv_arg {
    wf_word_t index;
    uint64_t min, max;
    uint64_t free;
};
#define INV_ARG(i)           ((struct inv_arg){.index = (i)})
#define INV_RANGE(i, lo, hi) ((struct inv_arg){.index = (i), .min = (lo), .max = (hi)})
#define INV_FREE(bytes)      ((struct inv_arg){.free = (bytes)})
#define INV_NONE             ((struct inv_arg){0}) /* errors without details */

/* The one way a decoder reports an error: records e's details from a and returns
 * e. a.index for INVALID_ARGUMENT and INVALID_CAPABILITY; a.index, a.min, a.max
 * for RANGE_ERROR (a.min <= a.max); a.free for NOT_ENOUGH_MEMORY; none otherwise.
 * WF_ERR_OK passes through (with no details). */
enum wf_error inv_error(struct invocation *inv, enum wf_error e, struct inv_arg a);

/* WF_ERR_RANGE_ERROR for argument arg, allowed range [min, max] (inv_error with
 * INV_RANGE). */
enum wf_error inv_fail_range(struct invocation *inv, unsigned arg, wf_word_t min, wf_word_t max);

/* WF_ERR_FAILED_LOOKUP for a lookup rooted at cap argument root (WF_CAP_INVOKED:
 * the invoked cap) that failed as lr says. */
enum wf_error inv_fail_lookup(struct invocation *inv, wf_word_t root, const struct lookup_ret *lr);

/* Resolves the slot path (index, depth) of argument pair (index_arg, depth_arg)
 * from the CNode cap root (named root_id in error details). Returns WF_ERR_OK with
 * *out set, WF_ERR_RANGE_ERROR for a depth outside 1-64, or WF_ERR_FAILED_LOOKUP. */
enum wf_error inv_lookup_path(struct invocation *inv, struct cap root, wf_word_t root_id,
                              unsigned index_arg, unsigned depth_arg, struct slot **out);

/* True when no cap may be placed in slot s by a thread whose CSpace root is
 * cspace: s is slot 0 of that root CNode, the slot the null CPtr names (bootinfo's
 * WF_ROOT_NULL; IPC reads CPtr 0 as "no cap"), which stays empty
 * (docs/decisions/084-the-null-slot-stays-empty.md). The one check of every
 * operation that writes a slot: inv_dest_path, Retype, and the IPC cap receive. */
bool inv_slot_reserved(struct cap cspace, const struct slot *s);

/* Where a cap goes: the slot named by the (index, depth) arguments from the CNode
 * cap root (named root_id in error details). Returns WF_ERR_OK with *dest empty,
 * or the error recorded in inv: the lookup's, INVALID_ARGUMENT on index_arg for
 * the caller's null slot (inv_slot_reserved), DELETE_FIRST for an occupied slot. */
enum wf_error inv_dest_path(struct invocation *inv, struct cap root, wf_word_t root_id,
                            unsigned index_arg, unsigned depth_arg, struct slot **dest);

/* inv_dest_path from the CNode cap argument root_cap. For every method that
 * makes a cap: Pool_Create*, VMO_Clone, IRQControl_Get, IOPort_Issue. */
enum wf_error inv_dest_slot(struct invocation *inv, unsigned root_cap, unsigned index_arg,
                            unsigned depth_arg, struct slot **dest);

#endif
