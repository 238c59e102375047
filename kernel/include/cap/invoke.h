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
    wf_word_t reply[WF_REPLY_MAX_WORDS]; /* out: results, or an error's details */
    unsigned nreply;                     /* out: reply words set */
};

/* Checks inv against the decode table and runs the object's decoder. Returns
 * WF_ERR_OK with the results in inv->reply, an error with its details there
 * (docs/api.md), or WF_ERR_PREEMPTED (re-execute the same invocation). */
enum wf_error cap_invoke(struct invocation *inv);

/* Records error e with n detail words (at most 4) and returns e: the decoders'
 * way out. */
enum wf_error inv_fail(struct invocation *inv, enum wf_error e, unsigned n, wf_word_t d0,
                       wf_word_t d1, wf_word_t d2, wf_word_t d3);

/* WF_ERR_RANGE_ERROR for argument arg, allowed range [min, max]. */
enum wf_error inv_fail_range(struct invocation *inv, unsigned arg, wf_word_t min, wf_word_t max);

/* WF_ERR_FAILED_LOOKUP for a lookup rooted at cap argument root (WF_CAP_INVOKED:
 * the invoked cap) that failed as lr says. */
enum wf_error inv_fail_lookup(struct invocation *inv, wf_word_t root, const struct lookup_ret *lr);

/* Resolves the slot path (index, depth) of argument pair (index_arg, depth_arg)
 * from the CNode cap root (named root_id in error details). Returns WF_ERR_OK with
 * *out set, WF_ERR_RANGE_ERROR for a depth outside 1-64, or WF_ERR_FAILED_LOOKUP. */
enum wf_error inv_lookup_path(struct invocation *inv, struct cap root, wf_word_t root_id,
                              unsigned index_arg, unsigned depth_arg, struct slot **out);

/* Where a new cap goes: the slot named by the (index, depth) arguments from the
 * CNode cap argument root_cap (inv_lookup_path). Returns WF_ERR_OK with *dest
 * empty, or the lookup / DELETE_FIRST error recorded in inv. For every method
 * that makes a cap: Pool_Create*, VMO_Clone, IRQControl_Get, IOPort_Issue. */
enum wf_error inv_dest_slot(struct invocation *inv, unsigned root_cap, unsigned index_arg,
                            unsigned depth_arg, struct slot **dest);

#endif
